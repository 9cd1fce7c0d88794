# -*- coding: utf-8 -*-
# Copyright: (c) 2026, AloHub collection maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Test-only callback: writes every task result to a JSON-lines file, and marks the simulator's log.

The integration tests run real ansible-playbook and read back what each task
returned (after Ansible's own no_log filtering). After each task's result, this
asks the simulator how many API requests have arrived so far (``POST /_sim/mark``)
and writes that number with the result: a host's task made exactly the requests
that arrived after its previous task's mark and up to its own. The mark is taken
in the controller's main process while it handles the result, before the host's
next task is started, so the split is exact, not a matter of clocks.
"""

from __future__ import annotations

DOCUMENTATION = r'''
name: capture
type: aggregate
short_description: Write task results to a JSON-lines file (integration tests only)
description:
  - Appends one JSON object per task result to the file named by E(ALOHUB_TEST_CAPTURE).
  - When E(ALOHUB_TEST_SIM_URL) names the AloHub simulator, each object also holds the simulator's
    request mark taken right after the task (C(POST /_sim/mark)).
options: {}
'''

import http.client
import json
import os
import ssl
from urllib.parse import urlsplit

from ansible.plugins.callback import CallbackBase


def simulator_mark(url, timeout=10):
    """The simulator's count of API requests arrived so far; None when it cannot be asked."""
    split = urlsplit(url)
    if split.scheme == 'https':
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        conn = http.client.HTTPSConnection(split.hostname, split.port, timeout=timeout, context=context)
    else:
        conn = http.client.HTTPConnection(split.hostname, split.port, timeout=timeout)
    try:
        conn.request('POST', '/_sim/mark')
        response = conn.getresponse()
        data = response.read()
        if response.status != 200:
            return None
        return json.loads(data.decode('utf-8'))['arrival']
    except (OSError, ValueError, KeyError, http.client.HTTPException):
        return None
    finally:
        conn.close()


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = 'aggregate'
    CALLBACK_NAME = 'capture'
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._path = os.environ.get('ALOHUB_TEST_CAPTURE')
        self._sim = os.environ.get('ALOHUB_TEST_SIM_URL')

    def _write(self, status, result):
        if not self._path:
            return
        entry = dict(
            task=result._task.get_name(),
            host=result._host.get_name(),
            status=status,
            mark=simulator_mark(self._sim) if self._sim else None,
            result=self._clean(result._result),
        )
        with open(self._path, 'a', encoding='utf-8') as handle:
            handle.write(json.dumps(entry, default=repr) + '\n')

    @staticmethod
    def _clean(value):
        return json.loads(json.dumps(value, default=repr))

    def v2_runner_on_ok(self, result):
        self._write('ok', result)

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._write('failed', result)

    def v2_runner_on_skipped(self, result):
        self._write('skipped', result)

    def v2_runner_on_unreachable(self, result):
        self._write('unreachable', result)
