"""Integration tests: real ansible-playbook against the real simulator.

Every test writes a small playbook, runs ``ansible-playbook`` in a subprocess
(the same binary users run), and reads back (``alohub_test.playbook``):

* each task's result, through the test-only ``capture`` callback;
* the HTTP requests each task made, from the simulator's request log, split
  exactly by the request marks the callback takes after every task.

Each pytest-xdist worker starts its own simulator (a session fixture), so
tests in different workers never share one.
"""

import os
import subprocess

import pytest

from alohub_sim.harness import (
    ACME, ACME_KEY, ACME_READONLY_KEY, GLOBEX, GLOBEX_KEY, Simulator,
)
from alohub_test.playbook import Ansible, Run, counts, three_ways
from alohub_test.playenv import BIN, REPO, link_collection, playbook_env

__all__ = ['ACME', 'ACME_KEY', 'ACME_READONLY_KEY', 'GLOBEX', 'GLOBEX_KEY', 'Ansible', 'BIN', 'REPO', 'Run',
           'Simulator', 'counts', 'playbook_env', 'three_ways']


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


@pytest.fixture
def ansible(sim, collections_path, tmp_path):
    return Ansible(sim, collections_path, tmp_path)


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
