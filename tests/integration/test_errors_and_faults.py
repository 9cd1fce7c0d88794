"""Errors and faults through ansible-playbook: every error code as the module
reports it, every fault kind of the simulator, retries, and tenant isolation.

A playbook run costs seconds, so many cases share one run: each case is its
own task against its own queue id, and its fault rule matches only that id's
path, so the rules of one case never touch another. A module-scoped fixture
makes the run once; several test functions then check their part of it.
"""

import json
import re

import pytest

from conftest import ACME, ACME_KEY, ACME_READONLY_KEY, Ansible, GLOBEX, counts

# How the client answers errors and faults; no ansible-core line changes it (the key's masking on
# every line is test_secrets.py's): the newest line only (make test).
pytestmark = pytest.mark.line_independent

INFO = 'alohub.callcenter.inbound_queue_info'
QUEUE = 'alohub.callcenter.inbound_queue'
QUEUES = 'alohub.callcenter.inbound_queues'
BASE = 1001200           # acme's first queue id; acme has 1001200..1001241
TEST_QUEUE = 1001226     # "test": strategy 1
GLOBEX_QUEUE = 2002000   # globex's first queue (acme must not see it)
INITECH = '20260312'
INITECH_KEY = 'sk_test_initech'
WRONG_KEY = 'sk_live_wrong_Q7x2'
SECRETS = (ACME_KEY, ACME_READONLY_KEY, INITECH_KEY, WRONG_KEY)
LIST_PATH = '/v1/queues/inbound'


def task(title, module, **args):
    """A task that may fail without stopping the play."""
    return dict(name=title, ignore_errors=True, **{module: args})


def rule(kind, queue_id, **options):
    """A fault rule that hits only requests for ``queue_id``."""
    return dict(kind=kind, path='/%d$' % queue_id, **options)


def item_path(queue_id):
    return '%s/%d' % (LIST_PATH, queue_id)


def retry_warnings(result, count):
    """The warnings that say ``count`` retries were made (the wording around the number may change)."""
    return [w for w in result.get('warnings', []) if 'AloHub API' in w and re.search(r'\b%d retr' % count, w)]


def in_order(entries):
    """Log entries by arrival: the log itself is in the order answers were ready (a delayed one comes late)."""
    return sorted(entries, key=lambda e: e['arrival'])


def assert_clean(run, result, name):
    """No traceback and no key anywhere."""
    text = json.dumps(result)
    assert 'Traceback' not in text, (name, result)
    for secret in SECRETS:
        assert secret not in text, (name, 'a key is in the result')


def starts_failed(msg, method, path, rest):
    """``msg`` is ``METHOD <api_url><path>[?query] failed: <rest>...``: messages show the full URL asked for."""
    return re.match(r'%s http://127\.0\.0\.1:\d+%s(\?\S*)? failed: %s' % (method, re.escape(path), re.escape(rest)), msg)


def assert_api_failure(run, name, status, method, path, attempts, hint, error_code=None, server=None, retry_after=None):
    """The task failed with a message a user can act on, and the result's fields agree with it."""
    entry = run.task(name)
    result = entry['result']
    assert entry['status'] == 'failed', (name, result)
    msg = result['msg']
    assert starts_failed(msg, method, path, 'HTTP %d' % status), (name, msg)
    assert ' after %d attempt%s' % (attempts, '' if attempts == 1 else 's') in msg, (name, msg)
    assert 'Hint: ' in msg and hint in msg, (name, msg)
    if error_code:
        assert 'HTTP %d %s' % (status, error_code) in msg, (name, msg)
    if server:
        assert '(%s)' % server in msg, (name, msg)
    if retry_after is None:
        assert 'Retry-After' not in msg and 'retry_after' not in result, (name, msg)
    else:
        assert 'last Retry-After %s s' % retry_after in msg, (name, msg)
    assert_clean(run, result, name)
    assert (result['status'], result['attempts'], result.get('error_code')) == (status, attempts, error_code), (name, result)
    assert (result['method'], result['path']) == (method, path), (name, result)
    assert len(run.requests(name)) == attempts + (1 if method == 'PUT' else 0), (name, run.requests(name))
    return msg


def play_once(simulator_process, collections_path, tmp_path_factory, tasks, rules=(), config=None, **play_args):
    """Reset the simulator, set faults (and config), run ``tasks``.

    Returns (run, before, after): ``before``/``after`` are acme's stored queues, with globex's under ``GLOBEX``.
    """
    sim = simulator_process
    sim.reset()
    if config:
        sim.config(**config)
    sim.faults(list(rules))
    ansible = Ansible(sim, collections_path, tmp_path_factory.mktemp('play'))
    before = dict(sim.queues(ACME), **{GLOBEX: sim.queues(GLOBEX)})
    run = ansible.play(tasks, defaults=ansible.defaults(**play_args.pop('defaults', {})), **play_args)
    after = dict(sim.queues(ACME), **{GLOBEX: sim.queues(GLOBEX)})
    sim.reset()
    return run, before, after


# ---------------------------------------------------------------------------
# Every error, as the module reports it
# ---------------------------------------------------------------------------

KONG_401 = '{"message": "Unauthorized"}'
KONG_NO_KEY = '{"message": "No API key found in request"}'
Q = dict((n, BASE + n) for n in range(30))

# name -> (fault kind, options). Every request for its queue gets the fault; retries: 2.
EXHAUSTED = (
    ('429 envelope, Retry-After 0', 'rate_limit', dict(retry_after=0)),
    ('429 envelope, no Retry-After', 'rate_limit', {}),
    ('429 kong, Retry-After 0', 'rate_limit_kong', dict(retry_after=0)),
    ('429 kong, no Retry-After', 'rate_limit_kong', {}),
    ('502 json', 'gateway', dict(status=502)),
    ('502 text', 'gateway', dict(status=502, format='text')),
    ('503 json', 'gateway', dict(status=503)),
    ('503 text', 'gateway', dict(status=503, format='text')),
    ('504 json', 'gateway', dict(status=504)),
    ('504 text', 'gateway', dict(status=504, format='text')),
    ('reset', 'reset', {}),
    ('truncate', 'truncate', {}),
    ('delay over timeout', 'delay', dict(delay_ms=1300)),
)
EXHAUSTED_IDS = dict((name, BASE + 10 + n) for n, (name, dummy, dummy2) in enumerate(EXHAUSTED))

# Tenant isolation: acme's key against globex's queues, and tenant_id against the key.
ISOLATION_CASES = (
    ('isolation: read by id', INFO, dict(id=GLOBEX_QUEUE)),
    ('isolation: read by name', INFO, dict(name='globex-main')),
    ('isolation: change by id', QUEUE, dict(id=GLOBEX_QUEUE, strategy='locked')),
    ('isolation: change by name', QUEUE, dict(name='globex-main', strategy='locked')),
    ('isolation: bulk change', QUEUES, dict(config=[dict(id=GLOBEX_QUEUE, strategy='locked'), dict(id=TEST_QUEUE, strategy=1)])),
    ('isolation: tenant mismatch', INFO, dict(id=TEST_QUEUE, tenant_id=GLOBEX)),
    ('isolation: tenant match', INFO, dict(id=TEST_QUEUE, tenant_id=ACME)),
)
ISOLATION = [task(name, module, **args) for name, module, args in ISOLATION_CASES]


@pytest.fixture(scope='module')
def failures(simulator_process, collections_path, tmp_path_factory):
    """One run with every failure: non-retryable codes, and retryable ones beyond the retries."""
    rules = [
        rule('body', Q[1], status=401, body=KONG_401),
        rule('body', Q[2], status=401, body=KONG_NO_KEY),
        rule('error', Q[3], method='PUT', status=400, error_code='INVALID_INPUT',
             error_message='strategy: must be one of 1, 2, 3, 4, 99'),
        rule('error', Q[4]),  # 500 FAIL
        rule('body', Q[5], status=200, content_type='text/html', body='<html><body>Kong says hello</body></html>'),
        dict(kind='gateway', status=503, method='GET', path='inbound$', tenant=INITECH),
        rule('lost_reply', TEST_QUEUE, method='PUT'),
    ]
    tasks = [
        task('401 wrong key', INFO, id=Q[0], api_key='{{ wrong_key }}'),
        task('401 wrong key, bulk', QUEUES, state='gathered', api_key='{{ wrong_key }}'),
        task('401 kong', INFO, id=Q[1]),
        task('401 kong no key', INFO, id=Q[2]),
        task('403 readonly key', INFO, id=Q[0], api_key='{{ readonly_key }}'),
        task('404 unknown id', QUEUE, id=1009999, strategy=1),
        task('404 other tenant', QUEUE, id=GLOBEX_QUEUE, strategy=1),
        task('404 info unknown id', INFO, id=1009999),
        task('400 on PUT', QUEUE, id=Q[3], strategy='vip'),
        task('500', INFO, id=Q[4]),
        task('200 not json', INFO, id=Q[5]),
        task('503 on the list', INFO, api_key='{{ initech_key }}'),
    ]
    tasks += ISOLATION
    for name, kind, options in EXHAUSTED:
        rules.append(rule(kind, EXHAUSTED_IDS[name], **options))
        tasks.append(task(name, INFO, id=EXHAUSTED_IDS[name], timeout=1, retries=2, max_retry_wait=0))
    tasks.append(task('lost reply on PUT', QUEUE, id=TEST_QUEUE, strategy='vip', retries=2, max_retry_wait=0))
    run, before, after = play_once(
        simulator_process, collections_path, tmp_path_factory, tasks, rules, defaults=dict(retries=0),
        vars=dict(wrong_key=WRONG_KEY, readonly_key=ACME_READONLY_KEY, initech_key=INITECH_KEY))
    return run, before, after


def test_failures_leave_no_traceback_no_key_and_no_change(failures):
    run, before, after = failures
    assert 'Traceback' not in run.output
    for secret in SECRETS:
        assert secret not in run.output
    # Every lost PUT was applied although no answer came; nothing else changed.
    expected = dict(before)
    expected[TEST_QUEUE] = dict(before[TEST_QUEUE], strategy=2)
    assert after == expected
    assert [e['path'] for e in run.requests(method='PUT')] == [item_path(Q[3])] + [item_path(TEST_QUEUE)] * 3


def test_401_and_403(failures):
    run = failures[0]
    assert_api_failure(run, '401 wrong key', 401, 'GET', item_path(Q[0]), 1, 'check api_key',
                       'UNAUTHORIZED', 'Invalid API key')
    assert [(e['status'], e['tenant'], e['auth_header']) for e in run.requests('401 wrong key')] == [
        (401, None, 'Authorization')]
    assert_api_failure(run, '401 wrong key, bulk', 401, 'GET', LIST_PATH, 1, 'check api_key', 'UNAUTHORIZED', 'Invalid API key')
    # The gateway's own 401s carry no error_code; the message quotes Kong.
    assert_api_failure(run, '401 kong', 401, 'GET', item_path(Q[1]), 1, 'check api_key', server='Unauthorized')
    assert_api_failure(run, '401 kong no key', 401, 'GET', item_path(Q[2]), 1, 'check api_key',
                       server='No API key found in request')
    assert_api_failure(run, '403 readonly key', 403, 'GET', item_path(Q[0]), 1, '"queue" scope',
                       'INSUFFICIENT_SCOPE', "API key does not have scope 'queue'")
    assert [(e['status'], e['tenant']) for e in run.requests('403 readonly key')] == [(403, ACME)]


def test_404(failures):
    run = failures[0]
    # inbound_queue: a queue it cannot find is a failure; another tenant's queue is just "not found".
    for name, queue_id in (('404 unknown id', 1009999), ('404 other tenant', GLOBEX_QUEUE)):
        failed = run.task(name)
        assert failed['status'] == 'failed'
        result = failed['result']
        msg = result['msg']
        assert 'inbound queue %d was not found for this tenant' % queue_id in msg, msg
        assert re.search(r'GET http://127\.0\.0\.1:\d+%s answered HTTP 404 NOT_FOUND' % item_path(queue_id), msg), msg
        assert 'Hint: ' in msg and 'other tenants are reported as not found' in msg, msg
        assert (result['status'], result['error_code'], result['method'], result['path']) == (
            404, 'NOT_FOUND', 'GET', item_path(queue_id))
        assert_clean(run, result, name)
        assert [(e['method'], e['path'], e['status']) for e in run.requests(name)] == [('GET', item_path(queue_id), 404)]
    # inbound_queue_info: absence is an answer, not a failure.
    info = run.task('404 info unknown id')
    assert info['status'] == 'ok', info
    assert (info['result']['queues'], info['result']['total'], info['result']['changed']) == ([], None, False)
    assert [e['status'] for e in run.requests('404 info unknown id')] == [404]


def test_400_500_and_an_answer_that_is_not_json(failures):
    run = failures[0]
    assert_api_failure(run, '400 on PUT', 400, 'PUT', item_path(Q[3]), 1, 'rejected the input',
                       'INVALID_INPUT', 'strategy: must be one of 1, 2, 3, 4, 99')
    assert [(e['method'], e['status']) for e in run.requests('400 on PUT')] == [('GET', 200), ('PUT', 400)]
    assert run.requests('400 on PUT', 'PUT')[0]['body'] == {'strategy': 2}

    assert_api_failure(run, '500', 500, 'GET', item_path(Q[4]), 1, 'backend failed', 'FAIL',
                       'Internal server error (simulated)')

    not_json = run.result('200 not json')
    assert run.task('200 not json')['status'] == 'failed'
    assert starts_failed(not_json['msg'], 'GET', item_path(Q[5]), 'HTTP 200'), not_json['msg']
    assert 'the answer is not JSON' in not_json['msg'] and 'Kong says hello' in not_json['msg'], not_json['msg']
    assert 'Hint: ' in not_json['msg'] and 'check that api_url points at the API' in not_json['msg'], not_json['msg']
    assert len(run.requests('200 not json')) == 1

    # Non-retryable and retryable statuses alike: retries: 0 means one request, no retry warning.
    for name in ('401 wrong key', '403 readonly key', '400 on PUT', '500', '200 not json', '503 on the list'):
        assert not [w for w in run.result(name).get('warnings', []) if 'retr' in w], name


def test_gateway_error_on_the_list(failures):
    run = failures[0]
    assert_api_failure(run, '503 on the list', 503, 'GET', LIST_PATH, 1, 'unavailable',
                       server='The upstream server is currently unavailable')
    assert [(e['query'], e['tenant']) for e in run.requests('503 on the list')] == [({'page': '0', 'size': '100'}, INITECH)]


GATEWAY_WORDS = {
    502: ('gateway got no valid answer', 'An invalid response was received from the upstream server'),
    503: ('unavailable', 'The upstream server is currently unavailable'),
    504: ('timed out', 'The upstream server is timing out'),
}


def test_retryable_statuses_beyond_the_retries(failures):
    """Every request gets the fault, retries: 2 -> three attempts, then a message with status, code, attempts, Retry-After."""
    run = failures[0]
    for name, kind, options in EXHAUSTED:
        if kind not in ('rate_limit', 'rate_limit_kong', 'gateway'):
            continue
        path = item_path(EXHAUSTED_IDS[name])
        if kind == 'gateway':
            hint, words = GATEWAY_WORDS[options['status']]
            assert_api_failure(run, name, options['status'], 'GET', path, 3, hint, server=words)
        else:
            code = 'RATE_LIMIT_EXCEEDED' if kind == 'rate_limit' else None
            words = 'API rate limit exceeded (simulated)' if kind == 'rate_limit' else 'API rate limit exceeded'
            # A Retry-After of 0 asks for no wait: it is treated as absent (the back-off applies), so
            # the message names none.
            assert_api_failure(run, name, 429, 'GET', path, 3, 'rate limit', code, words,
                               retry_after=options.get('retry_after') or None)
        assert [e['fault'] for e in run.requests(name)] == [kind] * 3, name


def test_connection_faults_beyond_the_retries(failures):
    run = failures[0]
    problems = {
        'reset': 'connection closed without an answer',
        'truncate': '',
        'delay over timeout': 'no complete answer within timeout (1 s)',
    }
    for name, problem in problems.items():
        result = run.result(name)
        path = item_path(EXHAUSTED_IDS[name])
        assert run.task(name)['status'] == 'failed', result
        msg = result['msg']
        assert starts_failed(msg, 'GET', path, problem), msg
        assert ' after 3 attempts. Hint: ' in msg, msg
        assert (result['attempts'], result['method'], result['path']) == (3, 'GET', path)
        assert 'status' not in result or result['status'] is None, result
        assert_clean(run, result, name)
        entries = in_order(run.requests(name))
        assert len(entries) == 3 and all(e['fault'] for e in entries), (name, entries)
    assert 'raise timeout or retries' in run.result('delay over timeout')['msg']
    assert [e['status'] for e in run.requests('reset')] == [None] * 3

    lost = run.result('lost reply on PUT')
    assert starts_failed(lost['msg'], 'PUT', item_path(TEST_QUEUE),
                         'connection closed without an answer after 3 attempts. Hint: '), lost['msg']
    assert [(e['method'], e['status']) for e in run.requests('lost reply on PUT')] == [
        ('GET', 200), ('PUT', None), ('PUT', None), ('PUT', None)]


# ---------------------------------------------------------------------------
# Faults that are retried, then succeed
# ---------------------------------------------------------------------------

# name -> (fault kind, options, what the warning counts). Each is injected twice; retries: 3.
RETRYABLE = (
    ('429 envelope, Retry-After 0', 'rate_limit', dict(retry_after=0, retry_after_format='seconds'), 'HTTP 429 x2'),
    ('429 envelope, no Retry-After', 'rate_limit', {}, 'HTTP 429 x2'),
    ('429 kong, Retry-After 0', 'rate_limit_kong', dict(retry_after=0, retry_after_format='seconds'), 'HTTP 429 x2'),
    ('429 kong, no Retry-After', 'rate_limit_kong', {}, 'HTTP 429 x2'),
    ('502 json', 'gateway', dict(status=502), 'HTTP 502 x2'),
    ('502 text', 'gateway', dict(status=502, format='text'), 'HTTP 502 x2'),
    ('503 json', 'gateway', dict(status=503), 'HTTP 503 x2'),
    ('503 text', 'gateway', dict(status=503, format='text'), 'HTTP 503 x2'),
    ('504 json', 'gateway', dict(status=504), 'HTTP 504 x2'),
    ('504 text', 'gateway', dict(status=504, format='text'), 'HTTP 504 x2'),
    ('reset', 'reset', {}, 'connection closed without an answer x2'),
    ('truncate', 'truncate', {}, ' x2'),
    ('delay over timeout', 'delay', dict(delay_ms=1300), 'no complete answer within timeout (1 s) x2'),
)
BACKOFF_CASE = '429 envelope, no Retry-After'
OVERSIZE = BASE + 20
RA_IDS = [BASE + 30 + n for n in range(5)]


@pytest.fixture(scope='module')
def recoveries(simulator_process, collections_path, tmp_path_factory):
    """One run where every retryable fault hits twice and the third attempt succeeds;
    and the Retry-After cases against max_retry_wait: 1. The simulator sends
    Retry-After as an HTTP date unless a rule says seconds.

    max_retry_wait: 0 caps the back-off at nothing, so these cases do not
    sleep, except one that shows the real jittered back-off (max_retry_wait: 1).
    """
    rules, tasks = [], []
    for n, (name, kind, options, dummy) in enumerate(RETRYABLE):
        rules.append(rule(kind, BASE + n, times=2, **options))
        tasks.append(task(name, INFO, id=BASE + n, timeout=1, max_retry_wait=1 if name == BACKOFF_CASE else 0))
    rules += [
        rule('lost_reply', TEST_QUEUE, method='PUT', times=2),
        rule('oversize', OVERSIZE, times=1),
        rule('rate_limit', RA_IDS[0], retry_after=5, retry_after_format='seconds'),
        rule('rate_limit_kong', RA_IDS[1], retry_after=5, retry_after_format='seconds'),
        rule('rate_limit', RA_IDS[2], retry_after=30),               # an HTTP date, 30 s ahead
        rule('rate_limit', RA_IDS[3], retry_after=1, retry_after_format='seconds', times=1),
        rule('rate_limit', RA_IDS[4], retry_after=1, times=2),       # an HTTP date, at most 1 s ahead
    ]
    tasks += [
        task('lost reply on PUT', QUEUE, id=TEST_QUEUE, strategy='vip', max_retry_wait=0),
        task('lost reply rerun', QUEUE, id=TEST_QUEUE, strategy='vip', max_retry_wait=0),
        task('oversize', INFO, id=OVERSIZE),
        task('seconds above', INFO, id=RA_IDS[0], max_retry_wait=1),
        task('kong seconds above', INFO, id=RA_IDS[1], max_retry_wait=1),
        task('date above', INFO, id=RA_IDS[2], max_retry_wait=1),
        task('seconds equal', INFO, id=RA_IDS[3], max_retry_wait=1),
        task('date within', INFO, id=RA_IDS[4], max_retry_wait=1),
    ]
    return play_once(simulator_process, collections_path, tmp_path_factory, tasks, rules,
                     config=dict(retry_after_format='date'), defaults=dict(retries=3))


def test_retryable_faults_twice_then_success(recoveries):
    run = recoveries[0]
    assert run.rc == 0 and run.recap.get('ignored') == 3, run.output   # the three Retry-After failures
    for n, (name, kind, options, warning) in enumerate(RETRYABLE):
        result = run.result(name)
        assert run.task(name)['status'] == 'ok', (name, result)
        assert [q['id'] for q in result['queues']] == [BASE + n], name
        statuses = [(e['fault'], e['status']) for e in in_order(run.requests(name))]
        status = dict(reset=None, truncate=200, delay=200).get(kind, options.get('status', 429))
        assert statuses == [(kind, status), (kind, status), (None, 200)], (name, statuses)
        warnings = retry_warnings(result, 2)
        assert len(warnings) == 1 and warning in warnings[0], (name, result.get('warnings'))
        assert_clean(run, result, name)


def test_backoff_and_timeout_really_wait(recoveries):
    run = recoveries[0]
    # Without Retry-After: jittered exponential back-off, 0.25-0.5 s, then 0.5-1 s (max_retry_wait 1).
    stamps = [e['ts'] for e in run.requests(BACKOFF_CASE)]
    assert stamps[1] - stamps[0] >= 0.25 and stamps[2] - stamps[1] >= 0.5, stamps
    # The delay case gave up after timeout (1 s), twice; the server answered the late requests anyway.
    stamps = [e['ts'] for e in in_order(run.requests('delay over timeout'))]
    # The log's time stamps carry the simulator's own scheduling noise (a loaded machine gave 0.88 s for a 1 s
    # wait); a client that did not wait for its timeout would retry after the 0.25-0.5 s back-off alone.
    assert stamps[1] - stamps[0] >= 0.75 and stamps[2] - stamps[1] >= 0.75, stamps


def test_lost_reply_on_put_converges(recoveries):
    """The PUT was applied but its answer lost, twice; the retried PUT succeeds, the task reports changed, a rerun sends no PUT."""
    run, before, after = recoveries
    lost = run.result('lost reply on PUT')
    assert lost['changed'] is True and lost['queue']['strategy'] == 2 and lost['queue']['strategy_name'] == 'vip'
    assert [(e['method'], e['status']) for e in run.requests('lost reply on PUT')] == [
        ('GET', 200), ('PUT', None), ('PUT', None), ('PUT', 200), ('GET', 200)]
    assert all(e['body'] == {'strategy': 2} for e in run.requests('lost reply on PUT', 'PUT'))
    warnings = retry_warnings(lost, 2)
    assert len(warnings) == 1 and 'connection closed without an answer x2' in warnings[0], lost.get('warnings')
    rerun = run.result('lost reply rerun')
    assert rerun['changed'] is False
    assert [e['method'] for e in run.requests('lost reply rerun')] == ['GET']
    expected = dict(before)
    expected[TEST_QUEUE] = dict(before[TEST_QUEUE], strategy=2)
    assert after == expected


def test_oversize_answer_is_read_once(recoveries):
    """A valid answer padded with 1 MiB of white space is fine: one request, no retry."""
    run = recoveries[0]
    result = run.result('oversize')
    assert [q['id'] for q in result['queues']] == [OVERSIZE]
    assert [e['fault'] for e in run.requests('oversize')] == ['oversize']
    assert not result.get('warnings')


# ---------------------------------------------------------------------------
# Retry-After against max_retry_wait (cases of the recoveries run)
# ---------------------------------------------------------------------------

def test_retry_after_against_max_retry_wait(recoveries):
    """A Retry-After above max_retry_wait fails at once; equal is honoured; HTTP dates count too."""
    run = recoveries[0]
    for name, queue_id, code in (('seconds above', RA_IDS[0], 'RATE_LIMIT_EXCEEDED'), ('kong seconds above', RA_IDS[1], None),
                                 ('date above', RA_IDS[2], 'RATE_LIMIT_EXCEEDED')):
        if name == 'date above':
            assert run.task(name)['status'] == 'failed' and run.result(name)['attempts'] == 1
            msg = run.result(name)['msg']
        else:
            msg = assert_api_failure(run, name, 429, 'GET', item_path(queue_id), 1, 'rate limit', code, retry_after='5')
        assert 'Retry-After exceeds max_retry_wait (1 s), so it was not waited for' in msg, msg
        assert len(run.requests(name)) == 1, name
    # The date was read as a date: about 30 s ahead, not "unreadable" (which would have been retried).
    date_above = run.result('date above')
    assert 27 <= date_above['retry_after'] <= 30, date_above
    assert re.search(r'last Retry-After (2[7-9]|30)(\.\d)? s', date_above['msg']), date_above['msg']

    ok = run.result('seconds equal')
    assert run.task('seconds equal')['status'] == 'ok' and ok['queues'][0]['id'] == RA_IDS[3]
    stamps = [e['ts'] for e in run.requests('seconds equal')]
    assert len(stamps) == 2 and stamps[1] - stamps[0] >= 0.95, stamps
    assert len(retry_warnings(ok, 1)) == 1 and 'HTTP 429 x1' in retry_warnings(ok, 1)[0], ok

    dated = run.result('date within')
    assert run.task('date within')['status'] == 'ok' and dated['queues'][0]['id'] == RA_IDS[4]
    assert [e['status'] for e in run.requests('date within')] == [429, 429, 200]
    assert len(retry_warnings(dated, 2)) == 1 and 'HTTP 429 x2' in retry_warnings(dated, 2)[0], dated


# ---------------------------------------------------------------------------
# Tenant isolation
# ---------------------------------------------------------------------------

def test_tenants_are_isolated(failures):
    """acme's key can neither read nor change globex's queues; a tenant_id that is not the key's is refused."""
    run, before, after = failures
    assert after[GLOBEX] == before[GLOBEX]
    for name, dummy, dummy2 in ISOLATION_CASES:
        assert run.requests(name, 'PUT') == [], name
        assert all(e['tenant'] in (ACME, None) for e in run.requests(name)), name

    by_id = run.result('isolation: read by id')
    assert run.task('isolation: read by id')['status'] == 'ok' and by_id['queues'] == []
    assert [(e['status'], e['tenant']) for e in run.requests('isolation: read by id')] == [(404, ACME)]
    by_name = run.result('isolation: read by name')
    assert by_name['queues'] == [] and by_name['total'] == 42

    change = run.task('isolation: change by id')
    assert change['status'] == 'failed' and change['result']['status'] == 404
    assert 'inbound queue %d was not found for this tenant' % GLOBEX_QUEUE in change['result']['msg']
    change = run.task('isolation: change by name')
    assert change['status'] == 'failed'
    assert 'no inbound queue of this tenant is named "globex-main"' in change['result']['msg']

    bulk = run.task('isolation: bulk change')
    assert bulk['status'] == 'failed'
    results = bulk['result']['results']
    assert results[0]['id'] == GLOBEX_QUEUE and 'not found' in results[0]['error'] and results[0]['changed'] is False
    assert results[1]['error'] is None and results[1]['changed'] is False
    assert counts(bulk['result']['summary']) == dict(total=2, changed=0, unchanged=1, failed=1)

    msg = assert_api_failure(run, 'isolation: tenant mismatch', 401, 'GET', item_path(TEST_QUEUE), 1,
                             'tenant_id, when set, is the tenant of that key', 'UNAUTHORIZED', 'API key does not belong to tenant')
    assert [(e['status'], e['tenant_header'], e['tenant']) for e in run.requests('isolation: tenant mismatch')] == [
        (401, GLOBEX, None)], msg
    match = run.result('isolation: tenant match')
    assert [q['id'] for q in match['queues']] == [TEST_QUEUE]
    assert [(e['tenant_header'], e['tenant']) for e in run.requests('isolation: tenant match')] == [(ACME, ACME)]
