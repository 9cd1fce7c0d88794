"""Integration tests: real ansible-playbook against the real simulator.

Every test writes a small playbook, runs ``ansible-playbook`` in a subprocess
(the same binary users run), and reads back:

* each task's result, through the test-only ``capture`` callback;
* the HTTP requests each task made, from the simulator's request log, split
  by the task's start and end time.
"""

import json
import os
import re
import subprocess
import sys

import pytest
import yaml

from playenv import BIN, REPO, link_collection, playbook_env

sys.path.insert(0, str(REPO / 'tests' / 'simulator'))

from alohub_sim.harness import (  # noqa: E402  pylint: disable=wrong-import-position
    ACME, ACME_KEY, ACME_READONLY_KEY, GLOBEX, GLOBEX_KEY, Simulator,
)

__all__ = ['ACME', 'ACME_KEY', 'ACME_READONLY_KEY', 'GLOBEX', 'GLOBEX_KEY']

RECAP = re.compile(r'^localhost\s+:\s+(.*)$', re.M)


def collections_root(tmp_path_factory):
    """A directory holding ansible_collections/alohub/callcenter -> the repo."""
    return link_collection(tmp_path_factory.mktemp('collections'))


@pytest.fixture(scope='session')
def collections_path(tmp_path_factory):
    return collections_root(tmp_path_factory)


@pytest.fixture(scope='session')
def simulator_process():
    with Simulator() as sim:
        yield sim


@pytest.fixture
def sim(simulator_process):
    simulator_process.reset()
    yield simulator_process


class Run:
    """What one ansible-playbook run produced."""

    def __init__(self, proc, tasks, requests, secret=None):
        self.rc = proc.returncode
        self.stdout = proc.stdout
        self.stderr = proc.stderr
        self.tasks = tasks
        self.all_requests = requests
        match = RECAP.search(self.stdout)
        self.recap = dict(item.split('=') for item in match.group(1).split()) if match else {}
        self.recap = dict((k, int(v)) for k, v in self.recap.items())

    @property
    def output(self):
        return self.stdout + self.stderr

    def task(self, name):
        """The captured entry of the task named ``name`` (exactly one)."""
        found = [t for t in self.tasks if t['task'] == name]
        assert len(found) == 1, 'task %r ran %d times; tasks: %s' % (name, len(found), [t['task'] for t in self.tasks])
        return found[0]

    def result(self, name):
        return self.task(name)['result']

    def requests(self, name=None, method=None):
        """API requests (simulator log) made while task ``name`` ran (all when None)."""
        entries = self.all_requests
        if name is not None:
            task = self.task(name)
            entries = [e for e in entries if task['start'] <= e['ts'] <= task['end']]
        if method is not None:
            entries = [e for e in entries if e['method'] == method]
        return entries


class Ansible:
    """Writes and runs playbooks against the simulator."""

    def __init__(self, sim, collections, workdir):
        self.sim = sim
        self.collections = collections
        self.workdir = workdir
        self.count = 0

    def env(self, extra=None):
        return playbook_env(self.collections, **(extra or {}))

    def defaults(self, **overrides):
        """The connection options for module_defaults: the simulator, tenant acme."""
        options = dict(api_url=self.sim.url, api_key=ACME_KEY)
        options.update(overrides)
        return dict((k, v) for k, v in options.items() if v is not None)

    def play(self, tasks, defaults=None, env=None, args=(), check=False, diff=False, verbosity=0, vars=None):
        """Run ``tasks`` (a list of task dicts) in one play; returns a Run."""
        self.count += 1
        play = dict(hosts='localhost', connection='local', gather_facts=False, tasks=tasks,
                    vars=dict(vars or {}))
        if defaults is not False:
            play['module_defaults'] = {'group/alohub.callcenter.alohub': defaults if defaults is not None else self.defaults()}
        path = self.workdir / ('play%d.yml' % self.count)
        path.write_text(yaml.safe_dump([play], sort_keys=False))
        return self.run_playbook(path, env=env, args=args, check=check, diff=diff, verbosity=verbosity)

    def run_playbook(self, path, env=None, args=(), check=False, diff=False, verbosity=0):
        capture = self.workdir / ('capture%d.jsonl' % self.count)
        if capture.exists():
            capture.unlink()
        cmd = [str(BIN / 'ansible-playbook'), '-i', 'localhost,', str(path)] + list(args)
        if check:
            cmd.append('--check')
        if diff:
            cmd.append('--diff')
        if verbosity:
            cmd.append('-' + 'v' * verbosity)
        environment = self.env(env)
        environment['ALOHUB_TEST_CAPTURE'] = str(capture)
        self.sim.clear_requests()
        proc = subprocess.run(cmd, env=environment, capture_output=True, text=True, timeout=300, check=False,
                              stdin=subprocess.DEVNULL, cwd=str(self.workdir))
        tasks = []
        if capture.exists():
            tasks = [json.loads(line) for line in capture.read_text().splitlines() if line.strip()]
        return Run(proc, tasks, self.sim.requests())


@pytest.fixture
def ansible(sim, collections_path, tmp_path):
    return Ansible(sim, collections_path, tmp_path)


def three_ways(module, args, name='queue'):
    """The same task in check mode, for real, and again: the three runs every change gets."""
    task = {module: args}
    return [
        dict(task, name='%s check' % name, check_mode=True, diff=True),
        dict(task, name='%s real' % name, diff=True),
        dict(task, name='%s rerun' % name, diff=True),
    ]


def alone(collections):
    """The environment with ``collections`` as the ONLY collections path.

    PYTHONPATH goes too: `make` puts .build/collections (the work tree's link) on it, and
    ansible-galaxy then finds alohub.callcenter "already installed" and installs nothing.
    """
    env = dict((k, v) for k, v in os.environ.items() if k != 'PYTHONPATH')
    env['ANSIBLE_COLLECTIONS_PATH'] = str(collections)
    return env


def run(cmd, **kwargs):
    """Run a command that must succeed; its stdout."""
    proc = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, check=False,
                          stdin=subprocess.DEVNULL, timeout=300, **kwargs)
    assert proc.returncode == 0, '%s exited %d:\n%s\n%s' % (cmd, proc.returncode, proc.stdout, proc.stderr)
    return proc.stdout


# An oracle for what the modules return, written here independently of the
# collection's own queue model, from the raw records the simulator stores.
STRATEGY_NAMES = {1: 'normal', 2: 'vip', 3: 'blacklist', 4: 'divert', 99: 'locked'}
FLAGS = {None: None, '0': False, '1': True, 0: False, 1: True}   # every nguongRanhRoi shape on the wire


def expected_record(raw):
    """The normalised record (what inbound_queue_info returns) of a raw stored record."""
    time_wait = raw['timeWait']
    return dict(
        id=raw['callinId'], name=raw['callinName'], strategy=raw['strategy'],
        strategy_name=STRATEGY_NAMES.get(raw['strategy']), moh_file_id=raw['musicinQueue'],
        max_wait_sec=None if time_wait is None else int(time_wait),
        announce_position=FLAGS[raw['nguongRanhRoi']], agent_selector=raw['agentSelector'], number=raw['callinNumber'])


def expected_config(raw):
    """The config entry (what inbound_queues gathers and export.yml writes) of a raw stored record."""
    record = expected_record(raw)
    return dict((key, record[key]) for key in ('id', 'name', 'strategy', 'moh_file_id', 'max_wait_sec', 'announce_position'))
