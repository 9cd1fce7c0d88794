# -*- coding: utf-8 -*-
# Copyright: (c) 2026, AloHub collection maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""transport.py: Retry-After, back-off, headers, URLs, the request/retry loop."""

from __future__ import annotations

import email.utils
import random
import threading
import time

import pytest
import requests

from ansible_collections.alohub.callcenter.plugins.module_utils import answers, transport
from ansible_collections.alohub.callcenter.plugins.module_utils.answers import parse_error_body
from ansible_collections.alohub.callcenter.plugins.module_utils.errors import (
    HINTS, ApiError, ResponseError, RetryBudgetError, RouteError, TooLargeError, TransportError,
)
from ansible_collections.alohub.callcenter.plugins.module_utils.transport import (
    Transport,
    backoff_delay,
    build_headers,
    parse_retry_after,
)


QUEUES = '/v1/queues/inbound'
RATE_LIMITED = {'success': '0', 'error_code': 'RATE_LIMIT_EXCEEDED', 'error_message': 'Too many requests'}


BASE_URL = 'https://gw.example.test/api'  # conftest's base_settings()

# ---------------------------------------------------------------------------
# parse_retry_after
# ---------------------------------------------------------------------------


@pytest.mark.parametrize('value, expected', [
    ('5', 5.0),
    (' 7 ', 7.0),
    ('1.5', 1.5),
    (3, 3.0),
])
def test_parse_retry_after_seconds(value, expected):
    assert parse_retry_after(value) == expected


@pytest.mark.parametrize('value', ['0', '0.0', '-4', -1, '-0.5'])
def test_parse_retry_after_asking_for_no_wait_is_ignored(value):
    """Zero or negative: the caller backs off normally instead of hammering a server that refuses requests."""
    assert parse_retry_after(value) is None


@pytest.mark.parametrize('value', [None, '', '   ', 'soon', 'nan', 'inf', 'Thu, 99 Foo 2026 xx:yy:zz GMT'])
def test_parse_retry_after_unreadable_is_none(value):
    assert parse_retry_after(value) is None


def test_parse_retry_after_http_date_in_the_future():
    now = 1_800_000_000.0
    value = email.utils.formatdate(now + 42, usegmt=True)
    assert parse_retry_after(value, now=now) == pytest.approx(42.0)


@pytest.mark.parametrize('ago', [3600, 0])
def test_parse_retry_after_http_date_now_or_in_the_past_is_ignored(ago):
    now = 1_800_000_000.0
    value = email.utils.formatdate(now - ago, usegmt=True)
    assert parse_retry_after(value, now=now) is None


@pytest.mark.parametrize('value', ['0', '-3', email.utils.formatdate(1_000_000_000, usegmt=True)])
def test_a_retry_after_of_no_wait_falls_back_to_the_back_off(make_transport, reply, value):
    t = make_transport([reply(429, RATE_LIMITED, {'Retry-After': value})] * 3 + [reply(200, {})])
    t.request('GET', QUEUES)
    assert t.fake_clock.waits == [0.375, 0.75, 1.5]  # the back-off (rng 0.5), not three requests at once


def test_parse_retry_after_http_date_uses_the_wall_clock_by_default():
    value = email.utils.formatdate(time.time() + 30, usegmt=True)
    assert 27.0 < parse_retry_after(value) <= 30.0


# ---------------------------------------------------------------------------
# backoff_delay
# ---------------------------------------------------------------------------

def test_backoff_grows_exponentially_from_the_base():
    full = [backoff_delay(n, cap=1000, rng=lambda: 1.0) for n in range(5)]
    assert full == [0.5, 1.0, 2.0, 4.0, 8.0]


def test_backoff_equal_jitter_stays_within_half_and_full_ceiling():
    rng = random.Random(1234).random
    for n in range(12):
        ceiling = min(20.0, 0.5 * 2 ** n)
        for dummy in range(50):
            delay = backoff_delay(n, cap=20, rng=rng)
            assert ceiling / 2 <= delay <= ceiling


def test_backoff_jitter_uses_the_injected_rng():
    assert backoff_delay(3, cap=60, rng=lambda: 0.0) == 2.0
    assert backoff_delay(3, cap=60, rng=lambda: 0.5) == 3.0


def test_backoff_never_exceeds_the_cap():
    assert backoff_delay(30, cap=7, rng=lambda: 1.0) == 7.0
    assert backoff_delay(30, cap=7, rng=lambda: 0.0) == 3.5
    assert backoff_delay(4, cap=0, rng=lambda: 1.0) == 0.0


# ---------------------------------------------------------------------------
# build_headers and URLs
# ---------------------------------------------------------------------------

def test_headers_authorization_carries_the_raw_key(settings, secret):
    headers = build_headers(settings)
    assert headers['Authorization'] == secret  # raw, no "Bearer"
    assert 'X-Api-Key' not in headers
    assert 'X-Tenant-ID' not in headers
    assert headers['Accept'] == 'application/json'


def test_headers_x_api_key(settings, secret):
    settings['auth_header'] = 'x-api-key'
    headers = build_headers(settings)
    assert headers['X-Api-Key'] == secret
    assert 'Authorization' not in headers
    assert list(headers.values()).count(secret) == 1


@pytest.mark.parametrize('tenant, sent', [('20260310', True), (None, False), ('', False)])
def test_headers_tenant_only_when_set(settings, tenant, sent):
    settings['tenant_id'] = tenant
    headers = build_headers(settings)
    assert ('X-Tenant-ID' in headers) is sent
    if sent:
        assert headers['X-Tenant-ID'] == tenant


def test_headers_user_agent_names_the_collection_ansible_and_requests(settings):
    from ansible.module_utils.ansible_release import __version__ as ansible_version
    agent = build_headers(settings)['User-Agent']
    assert agent == 'alohub.callcenter (Ansible collection; ansible-core/%s; python-requests/%s)' % (
        ansible_version, requests.__version__)


@pytest.mark.parametrize('base, expected', [
    ('https://xapi.alohub.vn', 'https://xapi.alohub.vn/v1/queues/inbound/7'),
    ('https://xapi.alohub.vn/', 'https://xapi.alohub.vn/v1/queues/inbound/7'),
    ('https://host.example/api', 'https://host.example/api/v1/queues/inbound/7'),
    ('https://host.example/api/', 'https://host.example/api/v1/queues/inbound/7'),
    ('http://127.0.0.1:8080', 'http://127.0.0.1:8080/v1/queues/inbound/7'),
])
def test_url_building(make_transport, reply, base, expected):
    t = make_transport([reply(200, {'callinId': 7})], api_url=base)
    assert t.url(QUEUES + '/7') == expected
    t.request('GET', QUEUES + '/7')
    assert t.fake_session.calls[0]['url'] == expected


def test_request_passes_params_body_timeout_verify_and_never_follows_redirects(make_transport, reply):
    t = make_transport([reply(200, {'success': '1'})], timeout=12)
    t.request('PUT', QUEUES + '/5', params={'page': 0}, body={'strategy': 2})
    call = t.fake_session.calls[0]
    assert call['method'] == 'PUT'
    assert call['params'] == {'page': 0}
    assert call['json'] == {'strategy': 2}
    assert call['timeout'] == 12
    assert call['verify'] is True
    assert call['allow_redirects'] is False
    assert call['stream'] is True


@pytest.mark.parametrize('validate_certs, ca_path, verify', [
    (True, None, True),
    (True, '/etc/pki/alohub-ca.pem', '/etc/pki/alohub-ca.pem'),
    (False, None, False),
    # validate_certs: false means the certificate is not checked, whatever ca_path (or ALOHUB_CA_PATH) says;
    # that is also what insecure_transport_warning tells the user.
    (False, '/etc/pki/alohub-ca.pem', False),
])
def test_verify_follows_validate_certs_and_ca_path(make_transport, reply, validate_certs, ca_path, verify):
    t = make_transport([reply(200, {})], validate_certs=validate_certs, ca_path=ca_path)
    t.request('GET', QUEUES)
    assert t.fake_session.calls[0]['verify'] == verify


def test_real_session_carries_headers_and_ignores_netrc(settings, secret, tmp_path, monkeypatch):
    netrc = tmp_path / 'netrc'
    netrc.write_text('machine gw.example.test login someone password hunter2\n')
    netrc.chmod(0o600)
    monkeypatch.setenv('NETRC', str(netrc))
    settings['tenant_id'] = '20260310'
    t = Transport(settings)
    prepared = t.session.prepare_request(requests.Request('GET', t.url(QUEUES)))
    assert prepared.headers['Authorization'] == secret  # not replaced by netrc Basic auth
    assert prepared.headers['X-Tenant-ID'] == '20260310'
    assert prepared.headers['User-Agent'].startswith('alohub.callcenter (')
    assert set(t.session.adapters) >= {'http://', 'https://'}


# ---------------------------------------------------------------------------
# Success paths and bodies
# ---------------------------------------------------------------------------

def test_json_body_parsed_into_response(make_transport, reply):
    t = make_transport([reply(200, {'callinId': 1, 'callinName': 'a'}, {'X-Thing': '1'})])
    response = t.request('GET', QUEUES + '/1')
    assert isinstance(response, transport.Response)
    assert (response.url, response.status) == ('https://gw.example.test/api' + QUEUES + '/1', 200)
    assert response.data == {'callinId': 1, 'callinName': 'a'}
    assert t.stats['requests'] == 1 and t.stats['retries'] == 0


def test_empty_2xx_body_is_none(make_transport, reply):
    t = make_transport([reply(204, b'')])
    assert t.request('PUT', QUEUES + '/1', body={'strategy': 1}).data is None


def test_non_json_2xx_is_a_response_error_with_the_body_start(make_transport, reply):
    t = make_transport([reply(200, '<html><body>Welcome to nginx</body></html>', content_type='text/html')])
    with pytest.raises(ResponseError) as info:
        t.request('GET', QUEUES)
    assert 'not JSON' in info.value.msg
    assert 'Welcome to nginx' in info.value.msg
    assert info.value.status == 200
    assert len(t.fake_session.calls) == 1


def test_truncated_json_2xx_is_a_response_error(make_transport, reply):
    t = make_transport([reply(200, b'{"success": "1", "data": [{"callinId": 1')])
    with pytest.raises(ResponseError, match='not JSON'):
        t.request('GET', QUEUES)


def test_oversize_body_is_refused_and_the_reply_closed(make_transport, endless_reply):
    big = endless_reply(transport.MAX_BODY_BYTES * 4)
    t = make_transport([big])
    with pytest.raises(TooLargeError) as info:
        t.request('GET', QUEUES)
    assert 'the answer is larger than 8 MiB' in info.value.msg and isinstance(info.value, ResponseError)
    assert big.closed
    assert big.served <= transport.MAX_BODY_BYTES + 65536  # stopped reading right after the limit


def test_body_at_the_limit_is_read(reply):
    body = b'{"a": 1234567}  '
    assert answers.read_limited(reply(200, body), limit=16) == body  # exactly 16 bytes
    too_long = reply(200, body + b' ')
    assert answers.read_limited(too_long, limit=16) is None and too_long.closed  # 17 bytes


def test_redirect_is_not_followed_and_not_retried(make_transport, reply):
    t = make_transport([reply(302, b'', {'Location': 'https://elsewhere.example/login'})])
    with pytest.raises(ApiError) as info:
        t.request('GET', QUEUES)
    assert info.value.status == 302
    assert 'redirected to https://elsewhere.example/login' in info.value.msg
    assert 'redirects are not followed' in info.value.msg
    assert len(t.fake_session.calls) == 1


# ---------------------------------------------------------------------------
# The retry loop
# ---------------------------------------------------------------------------

def test_429_retry_after_seconds_is_honoured(make_transport, reply):
    t = make_transport([reply(429, RATE_LIMITED, {'Retry-After': '3'}), reply(200, {'ok': True})])
    assert t.request('GET', QUEUES).data == {'ok': True}
    assert t.fake_clock.waits == [3.0]
    assert t.stats['rate_limited'] == 1 and t.stats['retries'] == 1 and t.stats['requests'] == 2


def test_429_retry_after_http_date_is_honoured(make_transport, reply):
    when = email.utils.formatdate(time.time() + 20, usegmt=True)
    t = make_transport([reply(429, RATE_LIMITED, {'Retry-After': when}), reply(200, {})])
    t.request('GET', QUEUES)
    assert len(t.fake_clock.waits) == 1
    assert 17.0 < t.fake_clock.waits[0] <= 20.0


def test_429_without_retry_after_backs_off_exponentially(make_transport, reply):
    t = make_transport([reply(429, {'message': 'API rate limit exceeded'})] * 4 + [reply(200, {})])
    t.request('GET', QUEUES)
    # rng 0.5 -> three quarters of 0.5, 1, 2, 4
    assert t.fake_clock.waits == [0.375, 0.75, 1.5, 3.0]


def test_backoff_is_capped_by_max_retry_wait(make_transport, reply):
    t = make_transport([reply(503, 'The upstream server is currently unavailable')] * 6 + [reply(200, {})],
                       retries=6, max_retry_wait=2, rng=lambda: 1.0)
    t.request('GET', QUEUES)
    assert t.fake_clock.waits == [0.5, 1.0, 2.0, 2.0, 2.0, 2.0]


def test_retry_after_above_max_retry_wait_fails_at_once(make_transport, reply):
    t = make_transport([reply(429, RATE_LIMITED, {'Retry-After': '61'}), reply(200, {})], max_retry_wait=60)
    with pytest.raises(ApiError) as info:
        t.request('GET', QUEUES)
    msg = info.value.msg
    assert 'HTTP 429' in msg and 'RATE_LIMIT_EXCEEDED' in msg
    assert 'Retry-After exceeds max_retry_wait (60 s)' in msg
    assert 'last Retry-After 61 s' in msg
    assert 'after 1 attempt' in msg
    assert t.fake_clock.waits == []
    assert len(t.fake_session.calls) == 1


def test_retry_after_equal_to_max_retry_wait_is_honoured(make_transport, reply):
    t = make_transport([reply(429, RATE_LIMITED, {'Retry-After': '60'}), reply(200, {})], max_retry_wait=60)
    t.request('GET', QUEUES)
    assert t.fake_clock.waits == [60.0]


@pytest.mark.parametrize('status, body', [
    (502, 'An invalid response was received from the upstream server'),
    (503, 'The upstream server is currently unavailable'),
    (504, {'message': 'The upstream server is timing out'}),
])
def test_gateway_errors_are_retried(make_transport, reply, status, body):
    t = make_transport([reply(status, body), reply(200, {'ok': 1})])
    assert t.request('GET', QUEUES).data == {'ok': 1}
    assert len(t.fake_session.calls) == 2
    assert t.fake_clock.waits == [0.375]


def test_503_retry_after_is_honoured(make_transport, reply):
    t = make_transport([reply(503, 'down', {'Retry-After': '9'}), reply(200, {})])
    t.request('GET', QUEUES)
    assert t.fake_clock.waits == [9.0]


@pytest.mark.parametrize('status, code', [
    (400, 'INVALID_INPUT'),
    (401, 'UNAUTHORIZED'),
    (403, 'INSUFFICIENT_SCOPE'),
    (404, 'NOT_FOUND'),
    (500, 'FAIL'),
])
def test_client_and_server_errors_are_not_retried(make_transport, reply, status, code):
    body = {'success': '0', 'error_code': code, 'error_message': 'the words of the server'}
    t = make_transport([reply(status, body), reply(200, {})])
    with pytest.raises(ApiError) as info:
        t.request('PUT', QUEUES + '/9', body={'strategy': 1})
    error = info.value
    assert (error.status, error.error_code, error.attempts) == (status, code, 1)
    assert error.msg.startswith('PUT %s%s/9 failed: HTTP %d %s (the words of the server)' % (BASE_URL, QUEUES, status, code))
    assert 'Hint:' in error.msg
    assert len(t.fake_session.calls) == 1
    assert t.fake_clock.waits == []


def test_retries_exhausted_names_status_code_attempts_and_retry_after(make_transport, reply):
    t = make_transport([reply(429, RATE_LIMITED, {'Retry-After': '2'})] * 3, retries=2)
    with pytest.raises(ApiError) as info:
        t.request('GET', QUEUES)
    error = info.value
    assert error.msg == ('GET %s/v1/queues/inbound failed: HTTP 429 RATE_LIMIT_EXCEEDED (Too many requests) after 3 attempts, '
                         'last Retry-After 2 s. Hint: ' % BASE_URL + HINTS[429])
    assert 'HTTP 429 RATE_LIMIT_EXCEEDED' in error.msg
    assert 'after 3 attempts' in error.msg
    assert 'last Retry-After 2 s' in error.msg
    assert (error.attempts, error.retry_after) == (3, 2.0)
    assert error.fail_kwargs()['error_code'] == 'RATE_LIMIT_EXCEEDED'
    assert t.fake_clock.waits == [2.0, 2.0]


def test_budget_exhausted_remembers_the_last_retry_after_seen(make_transport, reply):
    # The last answer had no Retry-After; the message still reports the last one the server gave.
    t = make_transport([reply(429, RATE_LIMITED, {'Retry-After': '1.5'}), reply(503, 'busy')], retries=1)
    with pytest.raises(ApiError) as info:
        t.request('GET', QUEUES)
    assert info.value.status == 503
    assert 'last Retry-After 1.5 s' in info.value.msg


def test_zero_retries_means_one_attempt(make_transport, reply):
    t = make_transport([reply(503, 'busy'), reply(200, {})], retries=0)
    with pytest.raises(ApiError, match='after 1 attempt'):
        t.request('GET', QUEUES)
    assert len(t.fake_session.calls) == 1


@pytest.mark.parametrize('exc, problem', [
    (requests.exceptions.ConnectionError('Failed to establish a new connection: [Errno 111] Connection refused'),
     'connection refused'),
    (requests.exceptions.ConnectionError("('Connection aborted.', RemoteDisconnected('Remote end closed'))"),
     'connection closed without an answer'),
    (requests.exceptions.ConnectionError('Failed to resolve: [Errno -2] Name or service not known'), 'host name not found'),
    (requests.exceptions.ReadTimeout('read timed out'), 'no complete answer within timeout (30 s)'),
    (requests.exceptions.ConnectTimeout('connect timed out'), 'no complete answer within timeout (30 s)'),
])
def test_connection_errors_and_timeouts_are_retried(make_transport, reply, exc, problem):
    t = make_transport([exc, reply(200, {'ok': 1})])
    assert t.request('GET', QUEUES).data == {'ok': 1}
    assert len(t.fake_session.calls) == 2
    assert t.retry_events == [(problem, 0.375)]


def test_connection_errors_exhaust_into_a_transport_error(make_transport):
    t = make_transport([requests.exceptions.ConnectionError('[Errno 111] Connection refused')] * 3, retries=2)
    with pytest.raises(TransportError) as info:
        t.request('GET', QUEUES)
    assert info.value.msg.startswith('GET %s/v1/queues/inbound failed: connection refused after 3 attempts' % BASE_URL)
    assert 'Hint: check api_url' in info.value.msg
    assert len(t.fake_clock.waits) == 2


def test_timeouts_exhaust_with_a_timeout_hint(make_transport):
    t = make_transport([requests.exceptions.ReadTimeout('x')] * 2, retries=1, timeout=5)
    with pytest.raises(TransportError) as info:
        t.request('GET', QUEUES)
    assert 'no complete answer within timeout (5 s) after 2 attempts' in info.value.msg
    assert 'raise timeout or retries' in info.value.msg


def test_a_put_whose_answers_were_lost_says_it_may_have_been_applied(make_transport):
    t = make_transport([requests.exceptions.ConnectionError('RemoteDisconnected')] * 2, retries=1)
    with pytest.raises(TransportError) as info:
        t.request('PUT', QUEUES + '/1001226', body={'strategy': 2})
    assert 'connection closed without an answer after 2 attempts' in info.value.msg
    assert 'the update may have reached the server' in info.value.msg and 'rerun the task' in info.value.msg


def test_body_cut_short_is_retried(make_transport, reply):
    cut = reply(200, b'{"success": "1", "da', chunks_error=requests.exceptions.ChunkedEncodingError('IncompleteRead'))
    t = make_transport([cut, reply(200, {'ok': 2})])
    assert t.request('GET', QUEUES).data == {'ok': 2}
    assert len(t.fake_session.calls) == 2


def test_ssl_errors_are_not_retried(make_transport, reply):
    t = make_transport([requests.exceptions.SSLError('CERTIFICATE_VERIFY_FAILED self-signed certificate'), reply(200, {})])
    with pytest.raises(TransportError) as info:
        t.request('GET', QUEUES)
    assert 'TLS error' in info.value.msg and 'CERTIFICATE_VERIFY_FAILED' in info.value.msg
    assert 'ca_path' in info.value.msg
    assert len(t.fake_session.calls) == 1


def test_invalid_url_is_not_retried(make_transport, reply):
    t = make_transport([requests.exceptions.InvalidURL('Invalid URL'), reply(200, {})])
    with pytest.raises(TransportError, match='invalid URL.*check api_url'):
        t.request('GET', QUEUES)
    assert len(t.fake_session.calls) == 1


# ---------------------------------------------------------------------------
# Error bodies (API envelope, Kong JSON, plain text)
# ---------------------------------------------------------------------------

@pytest.mark.parametrize('text, expected', [
    ('{"success": "0", "error_code": "INVALID_INPUT", "error_message": "strategy is invalid"}',
     ('INVALID_INPUT', 'strategy is invalid')),
    ('{"message": "API rate limit exceeded"}', (None, 'API rate limit exceeded')),
    ('{"message": "No API key found in request"}', (None, 'No API key found in request')),
    ('An invalid response was received from the upstream server\n', (None, 'An invalid response was received from the upstream server')),
    ('', (None, None)),
    ('[1, 2]', (None, '[1, 2]')),
])
def test_parse_error_body(text, expected):
    assert parse_error_body(text) == expected


def test_long_error_bodies_are_cut_to_an_excerpt():
    code, message = parse_error_body('<html>' + 'x' * 5000 + '</html>')
    assert code is None
    assert len(message) == answers.BODY_EXCERPT + 3 and message.endswith('...')


def test_kong_401_is_rendered_with_the_hint(make_transport, reply):
    t = make_transport([reply(401, {'message': 'No API key found in request'})])
    with pytest.raises(ApiError) as info:
        t.request('GET', QUEUES)
    assert 'HTTP 401 (No API key found in request)' in info.value.msg
    assert 'auth_header' in info.value.msg


def test_kong_plain_text_gateway_error_after_the_budget(make_transport, reply):
    t = make_transport([reply(502, 'An invalid response was received from the upstream server',
                              content_type='text/plain')] * 2, retries=1)
    with pytest.raises(ApiError) as info:
        t.request('GET', QUEUES)
    assert 'HTTP 502 (An invalid response was received from the upstream server) after 2 attempts' in info.value.msg
    assert info.value.error_code is None


# ---------------------------------------------------------------------------
# The key never shows
# ---------------------------------------------------------------------------

def test_key_echoed_in_an_error_body_is_redacted(make_transport, reply, secret):
    t = make_transport([reply(401, {'message': 'Invalid authentication credentials: %s' % secret})])
    with pytest.raises(ApiError) as info:
        t.request('GET', QUEUES)
    assert secret not in info.value.msg
    assert secret not in repr(info.value.fail_kwargs())
    assert '********' in info.value.msg


def test_key_echoed_json_escaped_is_redacted(make_transport, reply):
    # Base64 keys carry "/"; Kong (lua-cjson) and PHP escape it as "\/" in JSON, so the raw
    # body does not contain the key as such, but the decoded message does.
    key = 'c2tfbGl2ZV8x/ab+cd=='
    body = '{"message": "Invalid key c2tfbGl2ZV8x\\/ab+cd=="}'
    t = make_transport([reply(401, body)], api_key=key)
    with pytest.raises(ApiError) as info:
        t.request('GET', QUEUES)
    assert key not in info.value.msg
    assert 'Invalid key ********' in info.value.msg


@pytest.mark.parametrize('key', ['sk_test_Secret123abc', 'c2tfbGl2ZV8x/ab+cd=='])
def test_key_at_the_excerpt_boundary_is_not_partly_shown(make_transport, reply, key):
    # The excerpt cut falls inside the key: redaction must happen before the cut.
    body = '{"message": "%s %s"}' % ('x' * (answers.BODY_EXCERPT - 10), key.replace('/', '\\/'))
    t = make_transport([reply(400, body)], api_key=key)
    with pytest.raises(ApiError) as info:
        t.request('GET', QUEUES)
    assert key[:5] not in info.value.msg


def test_key_in_a_non_json_success_body_is_redacted(make_transport, reply, secret):
    t = make_transport([reply(200, 'debug: key=%s' % secret)])
    with pytest.raises(ResponseError) as info:
        t.request('GET', QUEUES)
    assert secret not in info.value.msg


def test_key_in_a_redirect_location_is_redacted(make_transport, reply, secret):
    t = make_transport([reply(301, b'', {'Location': 'https://other.example/?apikey=%s' % secret})])
    with pytest.raises(ApiError) as info:
        t.request('GET', QUEUES)
    assert secret not in info.value.msg


def test_key_in_exception_texts_is_redacted(make_transport, secret):
    t = make_transport([requests.exceptions.ConnectionError('weird proxy said %s' % secret)] * 2, retries=1)
    with pytest.raises(TransportError) as info:
        t.request('GET', QUEUES)
    assert secret not in info.value.msg
    assert 'connection error: weird proxy said ********' in info.value.msg
    t = make_transport([requests.exceptions.SSLError('bad cert for %s' % secret)])
    with pytest.raises(TransportError) as info:
        t.request('GET', QUEUES)
    assert secret not in info.value.msg


# ---------------------------------------------------------------------------
# Pacing inside the transport, and the retry summary
# ---------------------------------------------------------------------------

def test_transport_paces_when_the_window_is_spent(make_transport, reply):
    spent = {'RateLimit-Limit': '10', 'RateLimit-Remaining': '0', 'RateLimit-Reset': '4'}
    t = make_transport([reply(200, {}, spent), reply(200, {}, {'RateLimit-Remaining': '9', 'RateLimit-Reset': '10'})])
    t.request('GET', QUEUES)
    assert t.fake_clock.waits == []
    t.request('GET', QUEUES)
    assert t.fake_clock.waits == [4.0]
    assert t.stats['waited'] == 4.0


def test_transport_does_not_pace_with_plenty_left(make_transport, reply):
    plenty = {'RateLimit-Remaining': '8', 'RateLimit-Reset': '4'}
    t = make_transport([reply(200, {}, plenty)] * 3)
    for dummy in range(3):
        t.request('GET', QUEUES)
    assert t.fake_clock.waits == []


def test_no_warnings_without_retries_or_pacing(make_transport, reply):
    t = make_transport([reply(200, {})])
    t.request('GET', QUEUES)
    assert t.warnings() == []


def test_retry_summary_counts_kinds_and_waits(make_transport, reply):
    t = make_transport([
        reply(429, RATE_LIMITED, {'Retry-After': '2'}),
        reply(503, 'busy'),
        requests.exceptions.ConnectionError('Connection refused'),
        reply(200, {}),
    ])
    t.request('GET', QUEUES)
    summary, = t.warnings()
    assert summary.startswith('3 retries of requests to the AloHub API')
    assert '(HTTP 429 x1, HTTP 503 x1, connection refused x1)' in summary
    # Retry-After 2, then back-offs of 3/4 of 1 s and of 2 s (rng 0.5): 4.25 s
    assert summary.endswith('4.2 s spent waiting before retries (retry_budget 300 s)')
    assert sum(t.fake_clock.waits) == pytest.approx(4.25)


# ---------------------------------------------------------------------------
# The API is a trust boundary: bounded time, strict JSON, masking in output only
# ---------------------------------------------------------------------------

class BlockingSession:
    """A session whose request() blocks until released, as a server that never answers would."""

    def __init__(self):
        self.release = threading.Event()
        self.calls = 0

    def request(self, method, url, **kwargs):
        self.calls += 1
        self.release.wait(10)
        raise requests.exceptions.ConnectionError('released')


class TricklingResponse:
    """A 200 whose body arrives a byte every ``every`` seconds: each read is quick, the whole is not."""

    def __init__(self, every):
        self.status_code = 200
        self.headers = {'Content-Type': 'application/json'}
        self.body = b'{"callinId": 1}'
        self.every = every
        self.closed = False

    def close(self):
        self.closed = True

    def iter_content(self, chunk_size=1):
        for byte in self.body:
            time.sleep(self.every)
            if self.closed:
                return
            yield bytes([byte])


def test_timeout_bounds_the_whole_exchange_by_the_wall_clock(settings):
    session = BlockingSession()
    t = Transport(dict(settings, timeout=1, retries=0), session=session)
    start = time.monotonic()
    with pytest.raises(TransportError) as info:
        t.request('GET', QUEUES + '/1')
    elapsed = time.monotonic() - start
    session.release.set()
    assert 0.9 < elapsed < 2.5
    assert 'no complete answer within timeout (1 s) after 1 attempt' in info.value.msg
    assert 'raise timeout or retries' in info.value.msg


def test_a_trickling_body_times_out_and_is_retried(settings):
    class Session:
        calls = 0

        def request(self, method, url, **kwargs):
            Session.calls += 1
            return TricklingResponse(every=0.2)  # 15 bytes: 3 s, far past the 1 s timeout

    t = Transport(dict(settings, timeout=1, retries=1, max_retry_wait=0), session=Session())
    start = time.monotonic()
    with pytest.raises(TransportError) as info:
        t.request('GET', QUEUES + '/1')
    assert time.monotonic() - start < 3.5
    assert Session.calls == 2
    assert 'no complete answer within timeout (1 s) after 2 attempts' in info.value.msg


def test_the_retry_budget_stops_a_storm_with_a_message_that_says_so(make_transport, reply):
    t = make_transport([reply(429, RATE_LIMITED, {'Retry-After': '10'})] * 10, retries=9, retry_budget=25)
    with pytest.raises(RetryBudgetError) as info:
        t.request('GET', QUEUES)
    msg = info.value.msg
    assert msg.startswith('GET %s/v1/queues/inbound failed: HTTP 429 RATE_LIMIT_EXCEEDED (Too many requests) after 3 attempts'
                          % BASE_URL)
    assert 'stopped retrying: waiting 10 s more would exceed the retry budget of this task (retry_budget 25 s, 20 s ' \
           'already spent waiting before retries)' in msg
    assert t.fake_clock.waits == [10.0, 10.0]
    assert len(t.fake_session.calls) == 3
    assert info.value.details['status'] == 429 and info.value.details['retry_budget'] == 25


def test_the_retry_budget_is_shared_by_every_request_of_the_task(make_transport, reply):
    t = make_transport([reply(503, 'busy'), reply(200, {}), reply(503, 'busy'), reply(503, 'busy')],
                       retries=5, retry_budget=1)
    t.request('GET', QUEUES)            # waits 0.375 s
    with pytest.raises(RetryBudgetError):
        t.request('GET', QUEUES)        # 0.375 s more fits, then 0.75 s would not
    assert t.fake_clock.waits == [0.375, 0.375]


def test_a_budget_of_zero_makes_no_retry(make_transport, reply):
    t = make_transport([reply(503, 'busy')], retry_budget=0)
    with pytest.raises(RetryBudgetError):
        t.request('GET', QUEUES)
    assert len(t.fake_session.calls) == 1 and t.fake_clock.waits == []


def test_pacing_that_waits_long_enough_to_matter_is_reported(make_transport, reply):
    low = {'X-RateLimit-Remaining-Tenant': '1', 'RateLimit-Reset': '6'}
    t = make_transport([reply(200, {}, low), reply(200, {}, low), reply(200, {})])
    for dummy in range(3):
        t.request('GET', QUEUES)
    warning, = t.warnings()
    assert warning.startswith('paced to the API rate limit: waited 12 s in 2 pauses (the longest 6 s)')
    assert t.fake_clock.waits == [6.0, 6.0]


def test_short_pacing_is_not_reported(make_transport, reply):
    low = {'X-RateLimit-Remaining-Tenant': '1', 'RateLimit-Reset': '2'}
    t = make_transport([reply(200, {}, low), reply(200, {})])
    t.request('GET', QUEUES)
    t.request('GET', QUEUES)
    assert t.fake_clock.waits == [2.0] and t.warnings() == []


@pytest.mark.parametrize('body, problem', [
    (b'{"timeWait": NaN}', 'NaN is not a JSON number'),
    (b'{"timeWait": Infinity}', 'Infinity is not a JSON number'),
    (b'{"timeWait": -Infinity}', '-Infinity is not a JSON number'),
    (b'{"timeWait": 1e400}', 'out of range'),
    (b'{"callinId": ' + b'9' * 5000 + b'}', 'the answer holds a number JSON cannot carry'),
    (b'[' * 200000 + b']' * 200000, 'the answer is JSON nested too deeply to read'),
    (b'{"a": 1', 'the answer is not JSON'),
])
def test_answers_json_cannot_carry_are_response_errors(make_transport, reply, body, problem):
    t = make_transport([reply(200, body, content_type='application/json')])
    with pytest.raises(ResponseError) as info:
        t.request('GET', QUEUES + '/1')
    assert problem in info.value.msg
    assert len(info.value.msg) < 1000


def test_the_key_in_data_is_kept_for_the_module_to_reason_on(make_transport, reply, secret):
    """Masking is for output: the record the module compares holds what the server sent."""
    t = make_transport([reply(200, {'callinId': 1, 'musicinQueue': 'a-%s.wav' % secret})])
    assert t.request('GET', QUEUES + '/1').data['musicinQueue'] == 'a-%s.wav' % secret


@pytest.mark.parametrize('form', ['url', 'base64', 'base64url', 'plain'])
def test_the_key_echoed_encoded_in_an_error_is_masked(make_transport, reply, form):
    import base64
    from urllib.parse import quote
    key = 'sk+test/Secret=123'
    echoed = dict(url=quote(key, safe=''), base64=base64.b64encode(key.encode()).decode(),
                  base64url=base64.urlsafe_b64encode(key.encode()).decode().rstrip('='), plain=key)[form]
    t = make_transport([reply(401, {'message': 'bad key %s' % echoed})], api_key=key)
    with pytest.raises(ApiError) as info:
        t.request('GET', QUEUES)
    assert echoed not in info.value.msg and 'bad key ********' in info.value.msg


def test_a_gateway_404_is_a_route_error_with_the_full_url(make_transport, reply):
    t = make_transport([reply(404, {'message': 'no Route matched with those values'})],
                       api_url='https://user:pw@gw.example.test/api/v1/queues/inbound')
    with pytest.raises(RouteError) as info:
        t.request('GET', QUEUES + '/5')
    msg = info.value.msg
    assert msg.startswith('GET https://gw.example.test/api/v1/queues/inbound/v1/queues/inbound/5 failed: HTTP 404 '
                          '(no Route matched with those values)')
    assert 'api_url is probably wrong' in msg and 'user:pw' not in msg


@pytest.mark.parametrize('body', [{'success': '0', 'error_code': 'NOT_FOUND', 'error_message': 'Inbound queue 5 not found'},
                                  {'error_code': 'not_found'}])
def test_the_apis_own_404_is_not_a_route_error(make_transport, reply, body):
    t = make_transport([reply(404, body)])
    with pytest.raises(ApiError) as info:
        t.request('GET', QUEUES + '/5')
    assert not isinstance(info.value, RouteError) and info.value.status == 404


@pytest.mark.parametrize('env, url, warns', [
    ({'HTTP_PROXY': 'http://proxy.corp:3128'}, 'http://127.0.0.1:8080', True),
    ({'http_proxy': 'http://u:p@proxy.corp:3128'}, 'http://localhost:8080', True),
    ({'HTTP_PROXY': 'http://proxy.corp:3128', 'NO_PROXY': '127.0.0.1'}, 'http://127.0.0.1:8080', False),
    ({'HTTPS_PROXY': 'http://proxy.corp:3128'}, 'http://127.0.0.1:8080', False),
    ({'HTTP_PROXY': 'http://proxy.corp:3128'}, 'https://xapi.alohub.vn', False),
    ({}, 'http://127.0.0.1:8080', False),
])
def test_a_key_crossing_plain_http_through_a_proxy_is_warned_about(monkeypatch, env, url, warns):
    for name in ('HTTP_PROXY', 'http_proxy', 'HTTPS_PROXY', 'https_proxy', 'ALL_PROXY', 'all_proxy', 'NO_PROXY', 'no_proxy'):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    warning = transport.proxy_warning(dict(api_url=url))
    if not warns:
        assert warning is None
        return
    assert 'through the proxy proxy.corp' in warning and 'travels unencrypted' in warning
    assert 'u:p' not in warning
