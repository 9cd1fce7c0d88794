"""The real ansible-rulebook runs the event source and the shipped rulebook against the simulator.

No fake of the rules engine: ``ansible-rulebook --rulebook alohub.callcenter.queue_drift`` (the
rulebook found in the collection by its name, the source loaded the way ansible-rulebook loads it,
without the collection on PYTHONPATH, as in a decision environment) with the ALOHUB_* connection of
the simulator. A queue is changed through the simulator's admin API and the run of
playbooks/drift.yml that the rulebook starts must begin within the poll interval plus a margin;
the test-only ``eda_probe`` callback (tests/support/alohub_test/callback_plugins) records when each
playbook run starts and ends and the ``ansible_eda`` it was given. A queue whose name is a Jinja
template must reach the playbook as that exact text and never run; a gateway outage must be error
events, not the end of the rulebook. Bad arguments must end the rulebook at start.

The newest ansible-core line only (mark ``release``): ansible-rulebook is installed there
(tests/requirements-dev.txt), and what is tested is the rulebook engine and the source, which no
ansible-core line changes. A missing ansible-rulebook or Java fails.
"""

import json
import re
import subprocess
import time

import pytest
import yaml

from conftest import ACME, ACME_KEY, BIN, REPO, expected_config, playbook_env
from alohub_test.processes import stop_tree

pytestmark = pytest.mark.release

RULEBOOK = BIN / 'ansible-rulebook'
INTERVAL = 2              # seconds between polls in these tests (the default is 60)
MARGIN = 10               # the rules engine, ansible-runner and ansible-playbook starting, on a busy machine
TEST, SALES, OTHER = 1001226, 1001201, 1001200


def java_major():
    """The major version of the java on PATH ("17.0.15" -> 17, "1.8.0_392" -> 8), or None."""
    try:
        proc = subprocess.run(['java', '-version'], capture_output=True, text=True, check=False, timeout=60)
    except OSError:
        return None
    found = re.search(r'version "(?:1\.)?(\d+)', proc.stdout + proc.stderr)
    return int(found.group(1)) if found else None


@pytest.fixture(scope='module', autouse=True)
def rulebook_installed():
    assert RULEBOOK.exists(), 'ansible-rulebook is not installed next to %s (make venv installs it)' % BIN
    assert (java_major() or 0) >= 17, ('ansible-rulebook needs a Java 17+ runtime on PATH (in a clone, make venv '
                                       'installs one with hacking/java.sh; Debian: apt-get install openjdk-17-jre-headless)')


class Rulebook:
    """An ansible-rulebook process and what it left: its output and the eda_probe records."""

    def __init__(self, tmp_path, sim, collections, rulebook_vars, **env):
        self.tmp = tmp_path
        self.sim = sim
        self.probe_file = tmp_path / 'probe.jsonl'
        self.output_file = tmp_path / 'rulebook.out'
        (tmp_path / 'inventory.yml').write_text('all:\n  hosts:\n    localhost:\n      ansible_connection: local\n')
        (tmp_path / 'vars.yml').write_text(yaml.safe_dump(rulebook_vars))
        self.env = playbook_env(collections, ALOHUB_API_URL=sim.url, ALOHUB_API_KEY=ACME_KEY, ALOHUB_TENANT_ID=ACME,
                                ANSIBLE_CALLBACKS_ENABLED='eda_probe', ALOHUB_TEST_EDA_PROBE=str(self.probe_file),
                                ANSIBLE_HOME=str(tmp_path / 'ansible-home'), **env)
        self.env.pop('PYTHONPATH', None)  # as in a decision environment: the source must find its collection itself
        self.process = None
        self.started = None

    def start(self):
        self.started = time.time()
        with open(self.output_file, 'wb') as output:
            self.process = subprocess.Popen(  # pylint: disable=consider-using-with
                [str(RULEBOOK), '--rulebook', 'alohub.callcenter.queue_drift', '--vars', str(self.tmp / 'vars.yml'),
                 '--inventory', str(self.tmp / 'inventory.yml'), '--print-events'],
                cwd=str(self.tmp), env=self.env, stdin=subprocess.DEVNULL, stdout=output, stderr=subprocess.STDOUT)
        return self

    def stop(self):
        """ansible-rulebook and the ansible-playbook runs it started: an orphaned run would poll the next test's simulator."""
        if self.process is not None:
            stop_tree(self.process)

    def output(self):
        return self.output_file.read_text(errors='replace') if self.output_file.exists() else ''

    def probe(self, event=None):
        if not self.probe_file.exists():
            return []
        records = [json.loads(line) for line in self.probe_file.read_text().splitlines() if line.strip()]
        return [record for record in records if event is None or record['event'] == event]

    def wait_for(self, what, check, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = check()
            if found:
                return found
            assert self.process.poll() is None, 'ansible-rulebook ended (rc %s) waiting for %s:\n%s' % (
                self.process.returncode, what, self.output()[-6000:])
            time.sleep(0.05)
        raise AssertionError('no %s within %s s; ansible-rulebook said:\n%s' % (what, timeout, self.output()[-6000:]))


def source_polls(sim):
    return [entry for entry in sim.requests() if entry['path'].startswith('/v1/queues/inbound')]


def test_drift_runs_the_playbook_within_the_interval_and_names_stay_data(sim, collections_path, tmp_path):
    marker = tmp_path / 'template-ran'
    hostile = "{{ lookup('ansible.builtin.pipe', 'touch %s') }}" % marker
    sim.set_queue(ACME, OTHER, callinName=hostile)        # a name anyone with the AloHub UI could give
    raw = sim.queues(ACME)
    queues_file = tmp_path / 'acme.yml'
    queues_file.write_text(yaml.safe_dump({'alohub_inbound_queues': [expected_config(raw[q]) for q in (TEST, SALES, OTHER)]}))
    report = tmp_path / 'drift-report.yml'
    rulebook_vars = dict(queues_file=str(queues_file), interval=INTERVAL, drift_report_file=str(report))
    rulebook = Rulebook(tmp_path, sim, collections_path, rulebook_vars, ALOHUB_RETRIES='0')
    timings = {}
    try:
        rulebook.start()
        rulebook.wait_for('first poll', lambda: source_polls(sim), 60)  # the baseline: the file matches the tenant
        timings['first poll after start'] = time.time() - rulebook.started
        assert rulebook.probe() == []

        # A change in the tenant: the rulebook's action (drift.yml) starts within the interval and a margin.
        changed_at = time.time()
        sim.set_queue(ACME, TEST, timeWait='999')
        start = rulebook.wait_for('playbook run', lambda: rulebook.probe('start'), INTERVAL + MARGIN + 20)[0]
        timings['detection latency (change -> playbook start)'] = start['time'] - changed_at
        assert start['time'] - changed_at <= INTERVAL + MARGIN, timings
        rulebook.wait_for('end of the playbook run', lambda: rulebook.probe('end'), 120)
        timings['change -> drift report written'] = time.time() - changed_at
        play = rulebook.probe('play')[0]
        assert play['ansible_eda']['event']['alohub_event'] == 'drift'
        assert play['ansible_eda']['event']['queue'] == dict(id=TEST, name='test')
        assert [name for name in play['extra_vars'] if not name.startswith('ansible_')] == [
            'drift_report_file', 'queues_file', 'strict']
        drift = yaml.safe_load(report.read_text().replace('!unsafe ', ''))
        assert drift['status'] == 'drift' and drift['drifted_ids'] == [TEST]

        # The queue with the template for a name drifts too: the playbook gets the name as text, nothing runs.
        sim.set_queue(ACME, OTHER, timeWait='5')
        rulebook.wait_for('second playbook run', lambda: len(rulebook.probe('end')) >= 2, INTERVAL + MARGIN + 60)
        event = rulebook.probe('play')[1]['ansible_eda']['event']
        assert event['queue'] == dict(id=OTHER, name=hostile)
        assert event['changes'] == [dict(setting='max_wait_sec', before=5, after=expected_config(raw[OTHER])['max_wait_sec'])]
        drift = yaml.safe_load(report.read_text().replace('!unsafe ', ''))
        assert sorted(drift['drifted_ids']) == sorted([TEST, OTHER])
        assert [queue['name'] for queue in drift['queues'] if queue['id'] == OTHER] == [hostile]
        assert not marker.exists(), 'a queue name was templated'

        # A gateway outage: error events, back-off, and the source polls again; the rulebook keeps running.
        sim.faults([dict(kind='gateway', status=503, times=2)])
        outage = time.time()
        rulebook.wait_for('two failed polls', lambda: sim.faults()[0]['fired'] >= 2, 30)
        rulebook.wait_for('a poll after the outage', lambda: [
            e for e in source_polls(sim) if e['status'] == 200 and e['fault'] is None and e['ts'] > outage + 0.5], 30)
        timings['outage of 2 polls -> polling again'] = time.time() - outage
        assert rulebook.process.poll() is None
        rulebook.wait_for('the error events printed', lambda: len(re.findall(r"'alohub_event': 'error'", rulebook.output())) >= 2, 10)
        sim.set_queue(ACME, SALES, timeWait='61')  # and a drift after the outage is still reported
        rulebook.wait_for('third playbook run', lambda: len(rulebook.probe('start')) >= 3, INTERVAL + MARGIN + 20)
        rulebook.wait_for('end of the third run', lambda: len(rulebook.probe('end')) >= 3, 120)
        assert ACME_KEY not in rulebook.output()
    finally:
        rulebook.stop()
    print('\nEDA rulebook timings: %s' % json.dumps(dict((k, round(v, 2)) for k, v in timings.items())))
    assert not marker.exists()


def test_the_hostile_name_would_run_if_a_playbook_templated_it(sim, collections_path, tmp_path):
    """The canary of the test above: the same text, templated by a playbook that reads ansible_eda, does run.

    So the marker staying absent above means that no shipped playbook templates event data, not that the
    text is harmless.
    """
    marker = tmp_path / 'template-ran'
    extra = tmp_path / 'extravars.yml'   # what ansible-rulebook writes for ansible-runner
    extra.write_text(yaml.safe_dump(dict(ansible_eda=dict(event=dict(queue=dict(
        name="{{ lookup('ansible.builtin.pipe', 'touch %s') }}" % marker)))), default_flow_style=False))
    playbook = tmp_path / 'careless.yml'
    playbook.write_text('- hosts: localhost\n  gather_facts: false\n  tasks:\n'
                        '    - ansible.builtin.debug:\n        msg: "{{ ansible_eda.event.queue.name }}"\n')
    env = playbook_env(collections_path)
    proc = subprocess.run([str(BIN / 'ansible-playbook'), '-i', 'localhost,', '-c', 'local', str(playbook), '-e', '@%s' % extra],
                          capture_output=True, text=True, env=env, check=False, stdin=subprocess.DEVNULL, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert marker.exists()


def test_bad_arguments_end_the_rulebook_at_start(sim, collections_path, tmp_path):
    queues_file = tmp_path / 'acme.yml'
    queues_file.write_text('alohub_inbound_queues: []\n')
    rulebook = Rulebook(tmp_path, sim, collections_path, dict(queues_file=str(queues_file), interval=0))
    try:
        rulebook.start()
        rulebook.process.wait(90)
    finally:
        rulebook.stop()
    output = rulebook.output()
    assert rulebook.process.returncode != 0, output
    assert 'alohub.callcenter.queue_changes: interval must be at least 1 second' in output
    assert 'Terminating: One of the source plugins failed' in output
    assert ACME_KEY not in output
    assert source_polls(sim) == []


def test_the_decision_environment_builds_a_context(tmp_path):
    """ansible-builder accepts extensions/eda/decision-environment.yml (there is no container engine to build it here)."""
    context = tmp_path / 'context'
    builder = BIN / 'ansible-builder'
    assert builder.exists(), 'ansible-builder is not installed next to %s (make venv installs it)' % BIN
    proc = subprocess.run([str(builder), 'create', '--file', str(REPO / 'extensions' / 'eda' / 'decision-environment.yml'),
                           '--context', str(context), '--output-filename', 'Containerfile'],
                          capture_output=True, text=True, check=False, cwd=str(tmp_path), stdin=subprocess.DEVNULL)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    build = context / '_build'
    assert 'ansible-rulebook' in (build / 'requirements.txt').read_text()
    assert 'requests' in (build / 'requirements.txt').read_text()
    assert 'java-17-openjdk-headless' in (build / 'bindep.txt').read_text()
    assert [c['name'] for c in yaml.safe_load((build / 'requirements.yml').read_text())['collections']] == ['alohub.callcenter']
