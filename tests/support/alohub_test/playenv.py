"""How the tests run ansible-playbook: the collection link and the environment.

Shared by the integration tests, the soak and the benchmark, so all run Ansible the
same way: the work tree as the only alohub.callcenter, the test-only capture callback
on, no ALOHUB_* variable leaking in from the caller's shell, and the venv's tools first
on PATH.
"""

import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[2]                  # tests/support/alohub_test -> the repository (= collection root)
BIN = Path(sys.executable).parent
CALLBACKS = HERE / 'callback_plugins'


def link_collection(root):
    """Make ``root``/ansible_collections/alohub/callcenter point at the repo; returns ``root``."""
    link = Path(root) / 'ansible_collections' / 'alohub' / 'callcenter'
    link.parent.mkdir(parents=True)
    link.symlink_to(REPO, target_is_directory=True)
    return Path(root)


def playbook_env(collections, **extra):
    """The environment of an ansible-playbook run against the simulator.

    The capture callback writes each task's result to ``ALOHUB_TEST_CAPTURE`` (a path) and,
    when ``ALOHUB_TEST_SIM_URL`` names a simulator, marks its request log after each task
    (``POST /_sim/mark``), which is how ``Run.requests(task)`` knows each task's requests.
    """
    env = dict((k, v) for k, v in os.environ.items() if not k.startswith('ALOHUB_'))
    env.update(
        ANSIBLE_COLLECTIONS_PATH=str(collections),
        ANSIBLE_CALLBACK_PLUGINS=str(CALLBACKS),
        ANSIBLE_CALLBACKS_ENABLED='capture',
        ANSIBLE_NOCOLOR='1',
        ANSIBLE_FORCE_COLOR='0',
        ANSIBLE_LOCALHOST_WARNING='false',
        ANSIBLE_INVENTORY_UNPARSED_WARNING='false',
        ANSIBLE_RETRY_FILES_ENABLED='false',
        ANSIBLE_PYTHON_INTERPRETER=sys.executable,
        PATH=str(BIN) + os.pathsep + os.environ.get('PATH', ''),
    )
    env.update(extra)
    return env
