# -*- coding: utf-8 -*-
# Copyright: (c) 2026, AloHub collection maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Run a module's ``main()`` in process, with a fake HTTP session at the transport seam.

``run_main(module, args, replies=(), check_mode=False, diff=False, env=None)``:

* sets the module arguments the way the controller hands them over (ansible-core
  2.19+: ``ansible.module_utils.testing.patch_module_args``; 2.16-2.18:
  ``ansible.module_utils.basic._ANSIBLE_ARGS``), with ``_ansible_check_mode`` /
  ``_ansible_diff`` for ``check_mode`` / ``diff``;
* replaces ``Transport._new_session(settings, pool_size)`` (the seam) by a
  ``PreparingSession`` that answers from ``replies`` (``FakeResponse`` objects or
  exceptions, in order) after the module's real session has prepared the request;
* lets ``exit_json`` / ``fail_json`` do their real work (no_log masking, warnings,
  the JSON the controller would get), then raises instead of exiting, and returns
  a ``ModuleRun``: ``failed``, ``changed``, ``msg``, ``result``, ``requests``.

Only the ALOHUB_* variables given in ``env`` reach the module, none of the caller's.
A module that crashes raises its exception here, as it would be a MODULE FAILURE there.
"""

from __future__ import annotations

import contextlib
import importlib
import io
import json
import os

import pytest

from ansible.module_utils import basic
from ansible.module_utils.common import warnings as ansible_warnings

from alohub_test.fakes import FakeResponse, PreparingSession
from ansible_collections.alohub.callcenter.plugins.module_utils.transport import Transport

try:
    from ansible.module_utils.testing import patch_module_args  # ansible-core 2.19+
except ImportError:  # ansible-core 2.16 - 2.18
    patch_module_args = None

PACKAGE = 'ansible_collections.alohub.callcenter.plugins.modules.'


class ModuleExit(BaseException):
    """exit_json or fail_json was called: carries what the controller would have received.

    A BaseException, like the SystemExit it replaces, so no ``except Exception`` in a
    module swallows it.
    """

    def __init__(self, result):
        super().__init__(result)
        self.result = result


class ModuleRun:
    """What one in-process run of a module returned and sent."""

    def __init__(self, result, sessions):
        self.result = result
        self.sessions = sessions

    @property
    def failed(self):
        return bool(self.result.get('failed'))

    @property
    def changed(self):
        return bool(self.result.get('changed'))

    @property
    def msg(self):
        return self.result.get('msg', '')

    @property
    def warnings(self):
        return [w if isinstance(w, str) else json.dumps(w) for w in self.result.get('warnings', [])]

    @property
    def requests(self):
        """Every request that would have been sent: dicts with method, url, prepared, params, json..."""
        return [call for session in self.sessions for call in session.calls]

    def __repr__(self):
        return 'ModuleRun(%r)' % (self.result,)


@contextlib.contextmanager
def module_args(args):
    """Expose ``args`` to the AnsibleModule created inside, on every supported ansible-core line."""
    if patch_module_args is not None:
        with patch_module_args(args):
            yield
        return
    saved = basic._ANSIBLE_ARGS
    basic._ANSIBLE_ARGS = json.dumps(dict(ANSIBLE_MODULE_ARGS=args)).encode('utf-8')
    try:
        yield
    finally:
        basic._ANSIBLE_ARGS = saved


def _exiting(original):
    """``exit_json``/``fail_json`` that do their real work, then raise ModuleExit with the printed result."""

    def method(self, *args, **kwargs):
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            try:
                original(self, *args, **kwargs)
            except SystemExit:
                pass
        raise ModuleExit(json.loads(out.getvalue()))

    return method


@pytest.fixture
def run_main(monkeypatch):
    """run_main(module, args, replies=(), check_mode=False, diff=False, env=None) -> ModuleRun."""
    monkeypatch.setattr(basic.AnsibleModule, 'exit_json', _exiting(basic.AnsibleModule.exit_json))
    monkeypatch.setattr(basic.AnsibleModule, 'fail_json', _exiting(basic.AnsibleModule.fail_json))
    real_session = Transport._new_session

    def run(module, args=None, replies=(), check_mode=False, diff=False, env=None):
        # Warnings and deprecations are process-wide in ansible-core: start each run without old ones.
        monkeypatch.setattr(ansible_warnings, '_global_warnings', type(ansible_warnings._global_warnings)())
        monkeypatch.setattr(ansible_warnings, '_global_deprecations', type(ansible_warnings._global_deprecations)())
        for name in list(os.environ):
            if name.startswith('ALOHUB_'):
                monkeypatch.delenv(name)
        for name, value in (env or {}).items():
            monkeypatch.setenv(name, value)
        script = list(replies)
        sessions = []

        def new_session(settings, pool_size):
            session = PreparingSession(real_session(settings, pool_size), script)
            sessions.append(session)
            return session

        monkeypatch.setattr(Transport, '_new_session', staticmethod(new_session))
        target = importlib.import_module(PACKAGE + module) if isinstance(module, str) else module
        full = dict(args or {})
        full.update(_ansible_check_mode=check_mode, _ansible_diff=diff)
        try:
            with module_args(full):
                target.main()
        except ModuleExit as done:
            return ModuleRun(done.result, sessions)
        finally:
            for session in sessions:
                session.close()
        raise AssertionError('%s.main() returned without calling exit_json or fail_json' % getattr(target, '__name__', target))

    return run


@pytest.fixture
def reply():
    """reply(status, body, headers) -> FakeResponse (a body dict or list is sent as JSON)."""
    return FakeResponse
