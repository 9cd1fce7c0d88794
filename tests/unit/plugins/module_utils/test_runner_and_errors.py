# -*- coding: utf-8 -*-
# Copyright: (c) 2026, AloHub collection maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""runner.execute around a module's run(module, client), and how the typed errors render."""

from __future__ import annotations

import sys

import pytest

from ansible_collections.alohub.callcenter.plugins.module_utils import runner, transport
from ansible_collections.alohub.callcenter.plugins.module_utils.client import QueueClient
from ansible_collections.alohub.callcenter.plugins.module_utils.errors import (
    ApiError,
    ResponseError,
    TransportError,
    ValidationError,
)


class Exited(Exception):
    pass


class FakeModule:
    """What runner.run uses of an AnsibleModule."""

    def __init__(self, **params):
        self.params = dict(api_url='https://xapi.alohub.vn', api_key='sk_test_acme', auth_header='authorization',
                           tenant_id=None, validate_certs=True, ca_path=None, timeout=30, retries=5, max_retry_wait=60,
                           retry_budget=300)
        self.params.update(params)
        self.given_options = frozenset(self.params)
        self.check_mode = False
        self.warnings = []
        self.failed = None
        self.exited = None

    def warn(self, text):
        self.warnings.append(text)

    def fail_json(self, **kwargs):
        self.failed = kwargs
        # Called while an exception is being handled, Ansible would attach its traceback.
        self.failed_during_exception = sys.exc_info()[0] is not None
        raise Exited()

    def exit_json(self, **kwargs):
        self.exited = kwargs
        raise Exited()


def run(module, action, **kwargs):
    with pytest.raises(Exited):
        runner.execute(module, lambda the_module, client: action(client), **kwargs)
    return module


def test_run_exits_with_the_action_result():
    seen = []

    def action(client):
        seen.append(client)
        return dict(changed=False, queues=[])

    module = run(FakeModule(), action)
    assert module.exited == dict(changed=False, queues=[]) and module.failed is None
    assert isinstance(seen[0], QueueClient)
    assert isinstance(seen[0].transport, transport.Transport)
    assert module.warnings == []


def test_run_fails_on_bad_settings_before_the_action():
    called = []
    module = run(FakeModule(api_url='ftp://x'), called.append)
    assert called == []
    assert module.failed['option'] == 'api_url' and 'api_url must be' in module.failed['msg']


def test_run_turns_typed_errors_into_fail_json_and_still_warns():
    def action(client):
        client.warnings.append('the server reported totalRecord 3 but served 2 distinct queues')
        raise ApiError('GET', 'https://xapi.alohub.vn/v1/queues/inbound', 403, 'INSUFFICIENT_SCOPE', 'Missing scope queue')

    module = run(FakeModule(), action)
    assert module.failed['status'] == 403 and module.failed['error_code'] == 'INSUFFICIENT_SCOPE'
    assert module.failed['msg'].startswith('GET https://xapi.alohub.vn/v1/queues/inbound failed: HTTP 403 '
                                           'INSUFFICIENT_SCOPE (Missing scope queue)')
    assert module.warnings == ['the server reported totalRecord 3 but served 2 distinct queues']


def test_run_warns_about_insecure_transport_and_retries():
    def action(client):
        client.transport.stats['retries'] = 1
        client.transport.retry_events.append(('HTTP 429', 2.0))
        return dict(changed=False)

    module = run(FakeModule(api_url='http://xapi.alohub.vn'), action)
    assert any('plain http://' in w for w in module.warnings)
    assert any(w.startswith('1 retry of requests to the AloHub API (HTTP 429 x1)') for w in module.warnings)


def test_an_offline_run_needs_no_key_and_gets_no_client():
    seen = []
    module = run(FakeModule(api_key=None), lambda client: seen.append(client) or dict(changed=False), offline=True)
    assert seen == [None] and module.exited == dict(changed=False)


def test_the_key_and_its_encoded_forms_are_masked_in_everything_that_goes_out():
    import base64
    key = 'sk_test_acme+/='
    forms = [key, 'sk_test_acme%2B%2F%3D', base64.b64encode(key.encode()).decode()]

    def action(client):
        client.warnings.append('server said %s' % forms[1])
        return dict(changed=False, queues=[{'name': 'echo %s' % form, forms[2]: [form]} for form in forms])

    module = run(FakeModule(api_key=key), action)
    text = repr(module.exited) + repr(module.warnings)
    assert not any(form in text for form in forms)
    assert module.exited['queues'][0] == {'name': 'echo ********', '********': ['********']}
    assert module.warnings == ['server said ********']


def test_a_failure_is_masked_too():
    key = 'sk_test_acme_long'

    def action(client):
        raise ApiError('GET', 'https://xapi.alohub.vn/x', 401, server_message='key %s is wrong' % key)

    module = run(FakeModule(api_key=key), action)
    assert key not in repr(module.failed) and 'key ******** is wrong' in module.failed['msg']


def test_run_without_requests_fails_with_the_missing_library(monkeypatch):
    monkeypatch.setattr(transport, 'HAS_REQUESTS', False)
    monkeypatch.setattr(transport, 'REQUESTS_IMPORT_ERROR', 'Traceback: no module named requests')
    module = run(FakeModule(), lambda client: dict(changed=False))
    assert 'requests' in module.failed['msg']
    offline = run(FakeModule(), lambda client: dict(changed=False), offline=True)
    assert offline.exited == dict(changed=False)  # state=rendered needs no requests
    assert module.failed['exception'] == 'Traceback: no module named requests'


# ---------------------------------------------------------------------------
# errors
# ---------------------------------------------------------------------------

def test_api_error_renders_every_part_and_drops_empty_details():
    error = ApiError('PUT', '/v1/queues/inbound/5', 429, 'RATE_LIMIT_EXCEEDED', 'slow down', attempts=6, retry_after=1.5)
    assert error.msg == ('PUT /v1/queues/inbound/5 failed: HTTP 429 RATE_LIMIT_EXCEEDED (slow down) after 6 attempts, '
                         'last Retry-After 1.5 s. Hint: the rate limit was hit; raise retries or max_retry_wait, '
                         'or run fewer jobs at once')
    assert error.fail_kwargs() == dict(msg=error.msg, status=429, error_code='RATE_LIMIT_EXCEEDED', attempts=6, retry_after=1.5,
                                       method='PUT', url='/v1/queues/inbound/5')
    plain = ApiError('GET', '/x', 418)
    assert plain.msg == 'GET /x failed: HTTP 418 after 1 attempt'
    assert set(plain.fail_kwargs()) == {'msg', 'status', 'attempts', 'method', 'url'}


def test_response_error_carries_the_body_start():
    error = ResponseError('GET', '/v1/queues/inbound', 200, 'the answer is not JSON', body_start='<html>')
    assert error.msg.startswith("GET /v1/queues/inbound failed: HTTP 200 (the answer is not JSON; body starts with '<html>')")


def test_transport_error_and_validation_error():
    error = TransportError('GET', '/x', 'connection refused', attempts=2, hint='check api_url')
    assert error.msg == 'GET /x failed: connection refused after 2 attempts. Hint: check api_url'
    assert error.fail_kwargs()['attempts'] == 2
    assert ValidationError('bad', option='timeout').fail_kwargs() == {'msg': 'bad', 'option': 'timeout'}


def test_api_failures_are_reported_outside_the_exception_handler():
    def action(client):
        raise ApiError('GET', 'https://xapi.alohub.vn/v1/queues/inbound', 500, 'FAIL', 'System error')

    module = run(FakeModule(), action)
    assert module.failed['msg'].startswith('GET https://xapi.alohub.vn/v1/queues/inbound failed: HTTP 500 FAIL')
    assert module.failed_during_exception is False
