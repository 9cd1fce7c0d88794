"""Crash trials: apply a plan, kill the run at a random moment, then roll back and re-apply.

Write before you act: whatever the server accepts must be recoverable even if the process dies the next
instant. Each trial applies the same plan (one update for each of the 36 queues whose wait is set) against the simulator (a slow gateway: every request
takes a while, so the run is caught half-way), stops it after a random number of PUTs the server has
answered, the way runs really end:

* ``sigkill``: SIGKILL to every process of the run at once (ansible-playbook, its workers, the module),
  as the OOM killer or a lost machine would;
* ``sigterm``: SIGTERM to ansible-playbook, as a controller cancelling the job does;
* ``sigint``: SIGINT to ansible-playbook (Ctrl-C);
* ``runner``: ansible-runner's cancel, what AWX uses (SIGKILL to ansible-playbook's process group, which
  ansible-core 2.17+ does not share with its workers: the module must notice on its own).

After each, with the survivors gone: either the backup on disk rolls the tenant back to exactly its state
before the apply and the plan, applied again, completes; or the plan applied again completes what the
killed run left, and the two backups, newest first, roll everything back. Trials alternate between the two.

``ALOHUB_CRASH_TRIALS`` says how many (make test runs a few; make crash-trials runs 24, over both
parallel settings and every kind of stop); ``ALOHUB_CRASH_SEED`` makes the kill points repeatable.
"""

import copy
import os
import random
import signal
import subprocess
import time

import pytest
import yaml

from conftest import ACME, ACME_KEY, REPO
from alohub_test.playbook import load_data
from alohub_test.playenv import BIN, playbook_env
from alohub_test.processes import alive, descendants

# The playbooks, the role and interrupted runs: on the newest and the oldest ansible-core line (tests/pytest.ini).
pytestmark = pytest.mark.template_engine

PLAYBOOKS = REPO / 'playbooks'
TRIALS = int(os.environ.get('ALOHUB_CRASH_TRIALS', '4'))
SEED = int(os.environ.get('ALOHUB_CRASH_SEED', '20261203'))
KINDS = ('sigkill', 'sigterm', 'sigint', 'runner')
LATENCY_MS = 120
# ansible-runner's cancel reaches ansible-playbook 2 to 3 s after its callback says so (measured): a slower gateway keeps
# its trials from ending before the cancel lands.
RUNNER_LATENCY_MS = 400


def accepted_puts(sim):
    return [e for e in sim.requests() if e['method'] == 'PUT' and e['status'] == 200]


def wait_until_quiet(sim, pids, timeout=90):
    """Until every process of the run is gone (orphans too) and the simulator has had no request for a second."""
    deadline = time.monotonic() + timeout
    while any(alive(pid) for pid in pids):
        assert time.monotonic() < deadline, 'processes of the killed run still alive: %s' % [p for p in pids if alive(p)]
        time.sleep(0.1)
    count = -1
    while True:
        now = len(sim.requests())
        if now == count:
            return
        count = now
        time.sleep(1.0)


@pytest.fixture(scope='module')
def plan_file(simulator_process, collections_path, tmp_path_factory):
    """One plan for every trial: each queue of the tenant whose max_wait_sec is set gets a new one (one PUT each).

    (A queue where it is not set could not be rolled back exactly: the API cannot clear a setting.)
    """
    sim = simulator_process
    sim.reset()
    workdir = tmp_path_factory.mktemp('crash-plan')
    queues = sim.queues(ACME)
    entries = [dict(id=queue_id, max_wait_sec=1000 + n) for n, queue_id in enumerate(sorted(queues))
               if queues[queue_id]['timeWait'] is not None]
    (workdir / 'queues.yml').write_text(yaml.safe_dump(dict(alohub_inbound_queues=entries)))
    proc = subprocess.run([str(BIN / 'ansible-playbook'), '-i', 'localhost,', str(PLAYBOOKS / 'plan.yml'),
                           '-e', 'queues_file=queues.yml', '-e', 'plan_file=plan.yml'], cwd=str(workdir),
                          env=dict(playbook_env(collections_path), ALOHUB_API_URL=sim.url, ALOHUB_API_KEY=ACME_KEY),
                          capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=120, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert len(load_data(workdir / 'plan.yml')['alohub_plan']) == len(entries) > 30
    return workdir / 'plan.yml'


def trial_plan():
    """(number, kind, parallel, PUTs answered before the stop) per trial; ansible-runner's trials are release tooling
    (its cancel is tested on the newest line, where ansible-runner is installed)."""
    rng = random.Random(SEED)
    plan = []
    for n in range(TRIALS):
        kind = KINDS[n % len(KINDS)]
        parallel = (1, 4)[(n // len(KINDS)) % 2]
        trial = (n, kind, parallel, rng.randint(0, 30 if parallel == 1 else 36))
        plan.append(pytest.param(*trial, id='trial%d-%s-parallel%d-after%d' % trial,
                                 marks=[pytest.mark.release] if kind == 'runner' else []))
    return plan


class Apply:
    """apply.yml -e plan_file=... started in the background, in a session of its own."""

    def __init__(self, workdir, sim, collections_path, plan_file, parallel, kind):
        self.env = dict(playbook_env(collections_path), ALOHUB_API_URL=sim.url, ALOHUB_API_KEY=ACME_KEY)
        self.args = ['-e', 'plan_file=%s' % plan_file, '-e', 'alohub_inbound_queues_parallel=%d' % parallel]
        self.kind = kind
        self.workdir = workdir / 'runner' / 'project' if kind == 'runner' else workdir   # where it writes its backups
        self.seen = set()
        self.cancelled = False
        self.runner = None
        if kind == 'runner':
            self._start_runner(workdir, plan_file, parallel)
        else:
            self.proc = subprocess.Popen([str(BIN / 'ansible-playbook'), '-i', 'localhost,', str(PLAYBOOKS / 'apply.yml')]
                                         + self.args, cwd=str(workdir), env=self.env, stdin=subprocess.DEVNULL,
                                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
            self.pid = self.proc.pid

    def _start_runner(self, workdir, plan_file, parallel):
        import threading
        import ansible_runner  # pylint: disable=import-outside-toplevel
        private = workdir / 'runner'
        (private / 'project').mkdir(parents=True)
        env = dict(self.env, PATH=str(BIN) + os.pathsep + os.environ.get('PATH', ''))
        self.pid = None

        def cancel():
            return self.cancelled

        def go():
            self.runner = ansible_runner.run(
                private_data_dir=str(private), playbook=str(PLAYBOOKS / 'apply.yml'), envvars=env, quiet=True,
                extravars=dict(plan_file=str(plan_file), alohub_inbound_queues_parallel=parallel), ident='apply',
                inventory={'all': {'hosts': {'localhost': {'ansible_connection': 'local',
                                                           'ansible_python_interpreter': str(BIN / 'python')}}}},
                # AWX checks for a cancel between the lines of output it reads; this checks as often.
                cancel_callback=cancel, suppress_env_files=True, settings=dict(pexpect_timeout=0.1))

        self.thread = threading.Thread(target=go, daemon=True)
        self.thread.start()

    def watch(self):
        """Note every process of the run so far (the ones it starts later are seen at the next call)."""
        if self.kind == 'runner':
            roots = [pid for pid in descendants(os.getpid()) if self._is_playbook(pid)]
            for root in roots:
                self.seen.update([root] + descendants(root))
        else:
            self.seen.update([self.pid] + descendants(self.pid))

    @staticmethod
    def _is_playbook(pid):
        try:
            with open('/proc/%d/cmdline' % pid, 'rb') as handle:
                return b'ansible-playbook' in handle.read()
        except OSError:
            return False

    def stop(self):
        self.watch()
        assert not self.done(), 'the apply ended before it was stopped:\n%s' % (
            self.runner.status if self.kind == 'runner' else self.proc.stdout.read().decode('utf-8', 'replace'))
        if self.kind == 'sigkill':
            for pid in sorted(self.seen):
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        elif self.kind == 'sigterm':
            os.kill(self.pid, signal.SIGTERM)
        elif self.kind == 'sigint':
            os.kill(self.pid, signal.SIGINT)
        else:
            self.cancelled = True

    def finish(self):
        if self.kind == 'runner':
            self.thread.join(120)
            return self.runner.status if self.runner else None
        self.proc.wait(120)
        return self.proc.stdout.read().decode('utf-8', 'replace')

    def done(self):
        return (not self.thread.is_alive()) if self.kind == 'runner' else self.proc.poll() is not None


def playbook(sim, collections_path, workdir, name, *args):
    proc = subprocess.run([str(BIN / 'ansible-playbook'), '-i', 'localhost,', str(PLAYBOOKS / ('%s.yml' % name))]
                          + [item for arg in args for item in ('-e', arg)], cwd=str(workdir),
                          env=dict(playbook_env(collections_path), ALOHUB_API_URL=sim.url, ALOHUB_API_KEY=ACME_KEY),
                          capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=300, check=False)
    return proc.returncode, proc.stdout + proc.stderr


def planned_state(seed, plan):
    after = copy.deepcopy(seed)
    for item in plan:
        after[item['id']]['timeWait'] = str(item['after']['max_wait_sec'])
    return after


@pytest.mark.parametrize('number, kind, parallel, kill_after', trial_plan())
def test_a_killed_apply_is_rolled_back_exactly_and_completed_by_a_rerun(
        sim, collections_path, tmp_path, plan_file, number, kind, parallel, kill_after):
    seed = sim.queues(ACME)
    plan = load_data(plan_file)['alohub_plan']
    sim.config(latency_ms=RUNNER_LATENCY_MS if kind == 'runner' else LATENCY_MS)
    run = Apply(tmp_path, sim, collections_path, plan_file, parallel, kind)
    deadline = time.monotonic() + 120
    while len(accepted_puts(sim)) < kill_after and not run.done():
        assert time.monotonic() < deadline, 'the apply never reached %d PUTs' % kill_after
        run.watch()
        time.sleep(0.02)
    at_stop = len(accepted_puts(sim))
    run.stop()
    run.finish()
    # ansible-runner's cancel takes a moment of its own; from when ansible-playbook is gone, the module is on its own.
    at_end = len(accepted_puts(sim))
    wait_until_quiet(sim, sorted(run.seen))
    sim.config(latency_ms=0)
    accepted = sorted(set(int(e['path'].rsplit('/', 1)[1]) for e in accepted_puts(sim)))
    workdir = run.workdir
    backups = sorted((workdir / 'alohub-backups').glob('*.yml')) if (workdir / 'alohub-backups').exists() else []
    print('trial %d: %s, parallel %d, stopped after %d answered PUTs (%d when ansible-playbook was gone): %d accepted '
          'of %d, %d backup(s)' % (number, kind, parallel, at_stop, at_end, len(accepted), len(plan), len(backups)))
    now = sim.queues(ACME)
    changed = sorted(queue_id for queue_id in seed if now[queue_id] != seed[queue_id])
    assert changed == accepted   # the server holds exactly what it accepted
    if accepted:
        first, = backups
        saved = load_data(first)
        covered = set(item['id'] for item in saved['alohub_plan'])
        assert set(accepted) <= covered, 'accepted updates missing from the backup: %s' % sorted(set(accepted) - covered)
        assert set(saved.get('alohub_backup_accepted') or []) <= set(accepted)
    if kind in ('sigterm', 'sigint', 'runner'):
        # A stop it saw coming (a signal, or the controller gone): no new update after it, those in flight finish.
        since = at_end if kind == 'runner' else at_stop
        assert len(accepted) <= since + parallel + 1, (len(accepted), since)
    if number % 2 == 0:
        if accepted:
            code, output = playbook(sim, collections_path, workdir, 'rollback', 'backup_file=latest')
            assert code == 0, output
        assert sim.queues(ACME) == seed   # rolled back exactly
        code, output = playbook(sim, collections_path, workdir, 'apply', 'plan_file=%s' % plan_file)
        assert code == 0, output
        assert sim.queues(ACME) == planned_state(seed, plan)   # and the plan, applied again, completes
    else:
        code, output = playbook(sim, collections_path, workdir, 'apply', 'plan_file=%s' % plan_file)
        assert code == 0, output
        assert sim.queues(ACME) == planned_state(seed, plan)   # the rerun completes what the killed run left
        assert ('already applied' in output) == (len(accepted) == len(plan))
        newest = sorted((workdir / 'alohub-backups').glob('*.yml'))
        for backup in sorted(newest, key=lambda path: load_data(path)['alohub_plan_meta']['created'] + path.name,
                             reverse=True):
            code, output = playbook(sim, collections_path, workdir, 'rollback', 'backup_file=%s' % backup)
            assert code == 0, output
        assert sim.queues(ACME) == seed   # and the backups, newest first, undo all of it
