# -*- coding: utf-8 -*-
# Copyright: (c) 2026, AloHub collection maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Test-only callback: writes every task result to a JSON-lines file.

The integration tests run real ansible-playbook and read back what each task
returned (after Ansible's own no_log filtering) and when it ran, so that the
simulator's request log can be split per task.
"""

from __future__ import annotations

DOCUMENTATION = r'''
name: capture
type: aggregate
short_description: Write task results to a JSON-lines file (integration tests only)
description:
  - Appends one JSON object per task result to the file named by E(ALOHUB_TEST_CAPTURE).
options: {}
'''

import json
import os
import time

from ansible.plugins.callback import CallbackBase


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = 'aggregate'
    CALLBACK_NAME = 'capture'
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._path = os.environ.get('ALOHUB_TEST_CAPTURE')
        self._started = {}

    def _write(self, status, result):
        if not self._path:
            return
        task = result._task
        entry = dict(
            task=task.get_name(),
            status=status,
            start=self._started.get(task._uuid),
            end=time.time(),
            result=self._clean(result._result),
        )
        with open(self._path, 'a', encoding='utf-8') as handle:
            handle.write(json.dumps(entry, default=repr) + '\n')

    @staticmethod
    def _clean(value):
        return json.loads(json.dumps(value, default=repr))

    def v2_playbook_on_task_start(self, task, is_conditional):
        self._started[task._uuid] = time.time()

    def v2_runner_on_ok(self, result):
        self._write('ok', result)

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._write('failed', result)

    def v2_runner_on_skipped(self, result):
        self._write('skipped', result)
