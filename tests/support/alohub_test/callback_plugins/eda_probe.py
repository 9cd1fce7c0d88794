# -*- coding: utf-8 -*-
# Copyright: (c) 2026, AloHub collection maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Test-only callback: when a playbook run starts and ends, and the ansible_eda it was given.

tests/integration/test_eda_rulebook.py runs the real ansible-rulebook, whose run_playbook action
starts ansible-playbook through ansible-runner in a temporary directory it removes afterwards.
This callback, enabled through the environment ansible-runner passes on, is how the test sees
those runs: the time each one started (the detection latency is measured up to it) and ended, and
the ``ansible_eda`` extra variable exactly as the playbook received it, read without templating.
"""

from __future__ import annotations

DOCUMENTATION = r'''
name: eda_probe
type: aggregate
short_description: Record playbook starts and ends and the ansible_eda extra variable (integration tests only)
description:
  - Appends one JSON object per playbook start, play start and playbook end to the file named by
    E(ALOHUB_TEST_EDA_PROBE), with the wall-clock time; the play's object holds the raw C(ansible_eda)
    extra variable that ansible-rulebook passed.
options: {}
'''

import json
import os
import time

from ansible.plugins.callback import CallbackBase


def _plain(value):
    """Plain JSON data: Ansible's own str, dict and list subclasses (data tags) become the plain types."""
    if isinstance(value, dict):
        return dict((str.__str__(k) if isinstance(k, str) else k, _plain(v)) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    if isinstance(value, str):
        return str.__str__(value)
    return value


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = 'aggregate'
    CALLBACK_NAME = 'eda_probe'
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._path = os.environ.get('ALOHUB_TEST_EDA_PROBE')

    def _write(self, **entry):
        if not self._path:
            return
        entry.update(time=time.time(), pid=os.getpid())
        with open(self._path, 'a', encoding='utf-8') as handle:
            handle.write(json.dumps(entry, default=repr) + '\n')

    def v2_playbook_on_start(self, playbook):
        self._write(event='start', playbook=getattr(playbook, '_file_name', None))

    def v2_playbook_on_play_start(self, play):
        extra = play.get_variable_manager().extra_vars
        self._write(event='play', extra_vars=sorted(str(name) for name in extra),
                    ansible_eda=_plain(extra.get('ansible_eda')))

    def v2_playbook_on_stats(self, stats):
        self._write(event='end', failures=sum((stats.failures or {}).values()))
