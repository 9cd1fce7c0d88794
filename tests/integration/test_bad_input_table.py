"""Bad input and hostile answers, as a table, through ansible-playbook.

Part 1, every option of every module with wrong types, out-of-range values,
empty strings, unicode, very long strings and injection attempts (CR/LF in
the key or tenant, path characters or ``%2F`` where an id goes): each fails
with a clear message, and not one request reaches the server. The full table
runs in process (tests/unit/plugins/modules/test_argument_validation.py); a
few rows of it run here, end to end.

Part 2, answers a server should not give (not JSON, cut short, too big, the
wrong Content-Type, JSON that is not an object, another queue's record, a
``totalRecord`` that is not a number, pages that repeat forever...), names
full of path characters and control characters, and unicode that is valid:
each is either handled correctly or fails with a clear message, and nothing
hangs.

Cases already covered elsewhere (totalRecord off by a few and page shifts in
test_inbound_queue_info.py) are not repeated here.
"""

import json
import socket
import threading
import time
import unicodedata

import pytest

from conftest import ACME, ACME_KEY

from alohub_test.hostplay import play_on_hosts

QUEUE = 'alohub.callcenter.inbound_queue'
INFO = 'alohub.callcenter.inbound_queue_info'
QUEUES = 'alohub.callcenter.inbound_queues'
LIST = '/v1/queues/inbound'
VIETNAMESE = 'Ch\u0103m s\u00f3c kh\u00e1ch h\u00e0ng'  # queue 1001227 of the seed
HOSTS = 4

KEY_CHARS = 'api_key contains control characters, non-ASCII characters'
STRATEGY = 'strategy must be one of normal, vip, blacklist, divert, locked'
GOOD = dict(id=1001226, strategy=2)

# The argument-validation table (every option of every module, 99 rows) runs in process:
# tests/unit/plugins/modules/test_argument_validation.py. These rows run end to end, in one play:
# one per module, one that only Ansible's own argument checks stop, one that only urllib3 stops when
# it connects, and the NUL byte (ansible-core 2.20+ stops it itself). (module, args, message piece(s)).
VALIDATION_SMOKE = [
    (QUEUE, dict(id=1001226, strategy='\u00b2'), STRATEGY),
    (QUEUE, dict(id=1001226, strategy=1, colour='red'), 'Unsupported parameters'),
    (QUEUE, dict(id=1001226, moh_file_id='a\x00.wav'), ('embedded null character', 'without control characters')),
    (QUEUE, dict(GOOD, api_url='http://%s.test' % ('a' * 70), retries=0), 'invalid URL: Failed to parse'),  # label > 63
    (INFO, dict(id=0), 'id must be a positive integer'),
    (INFO, dict(api_key='sk_test_acme\r\nX-Evil: 1'), KEY_CHARS),
    (QUEUES, dict(config=[GOOD, dict(id=1001227, strategy=1), dict(id='1001227', max_wait_sec=5)]),
     'config[1] and config[2] both name queue 1001227'),
]


def split(items, hosts=HOSTS):
    """Deal ``items`` round-robin into ``hosts`` lists, keyed h0.. (so each host gets a mix)."""
    out = dict(('h%d' % n, []) for n in range(hosts))
    for number, item in enumerate(items):
        out['h%d' % (number % hosts)].append(item)
    return dict((host, tasks) for host, tasks in out.items() if tasks)


def case_task(name, module, args):
    return dict(name=name, ignore_errors=True, **{module: args})


def assert_no_crash(run):
    """Every failure is the module's own (no unhandled exception, no traceback)."""
    assert 'Traceback' not in run.output, run.output[-3000:]
    for task in run.tasks:
        result = task['result']
        assert 'module_stderr' not in result and 'MODULE FAILURE' not in str(result.get('msg')), (task['task'], result)
        assert not str(result.get('msg', '')).startswith('Task failed: Module failed:'), (task['task'], result)


def test_bad_values_fail_before_any_request_end_to_end(ansible, sim):
    tasks = [case_task('v%03d' % n, module, args) for n, (module, args, dummy) in enumerate(VALIDATION_SMOKE)]
    run = ansible.play(tasks)
    assert_no_crash(run)
    problems = []
    for n, (module, args, message) in enumerate(VALIDATION_SMOKE):
        task = run.task('v%03d' % n)
        result = task['result']
        expected = message if isinstance(message, tuple) else (message,)  # alternatives: ansible-core lines differ
        if task['status'] != 'failed' or not any(piece in result['msg'] for piece in expected):
            problems.append((n, module.rsplit('.', 1)[1], args, task['status'], result.get('msg')))
        elif len(result['msg']) > 1000 or ACME_KEY in str(result):
            problems.append((n, module.rsplit('.', 1)[1], args, 'over-long message or the key in it'))
        assert run.requests('v%03d' % n) == []
    assert problems == [], '\n'.join(repr(p) for p in problems)
    # Nothing at all reached the server: not one request in the whole run.
    assert run.all_requests == []


# ---------------------------------------------------------------------------
# Part 2: hostile answers, odd names and valid unicode
# ---------------------------------------------------------------------------

LIST_TENANTS = dict(('L%d' % n, 'sk_test_list_%d' % n) for n in range(1, 9))
DECOMPOSED = unicodedata.normalize('NFD', VIETNAMESE)


def rule(kind, queue_id, **options):
    """A fault that hits only requests for one queue."""
    return dict(kind=kind, path='/%d$' % queue_id, **options)


def list_rule(kind, tenant, **options):
    """A fault that hits only one tenant's list requests."""
    return dict(kind=kind, tenant=tenant, method='GET', path='inbound$', **options)


def envelope(records, total):
    return json.dumps(dict(success='1', error_code='SUCCESS', totalRecord=total, data=records))


def fails(*pieces, **checks):
    """The task fails with every piece in its message (and ``changed=True``: it changed all the same)."""
    return ('failed', dict(checks, pieces=pieces))


def works(**checks):
    return ('ok', checks)


def server_cases(acme, tenants, gzip_url='http://127.0.0.1:9'):
    """(name, module, args, fault rules, expectation) for part 2."""
    def key(tenant):
        return dict(api_key=LIST_TENANTS[tenant])

    first = dict((tenant, records[0]['callinId']) for tenant, records in tenants.items())
    return [
        # -- answers to GET by id
        ('get answers HTML', QUEUE, dict(id=1001201, strategy=2),
         [rule('body', 1001201, content_type='text/html', body='<html>Bad gateway</html>')],
         fails("HTTP 200 (the answer is not JSON; body starts with '<html>Bad gateway</html>')")),
        ('get is cut short', QUEUE, dict(id=1001202, strategy=2), [rule('truncate', 1001202)],
         fails('the answer was cut short', 'after 2 attempts')),
        ('get is too big', INFO, dict(id=1001203), [rule('oversize', 1001203, bytes=9 << 20)],
         fails('the answer is larger than 8 MiB')),
        ('get is padded to 1 MiB', QUEUE, dict(id=1001204, strategy=3), [rule('oversize', 1001204, bytes=1 << 20)],
         works(changed=True)),
        ('get says text/plain', QUEUE, dict(id=1001206, max_wait_sec=61),
         [rule('body', 1001206, method='GET', times=1, content_type='text/plain', body=json.dumps(acme[1001206]))],
         works(changed=True)),
        ('get answers a list', INFO, dict(id=1001207), [rule('body', 1001207, body='[1, 2]')],
         fails('the answer is not a JSON object (got a list)')),
        ('get answers null', INFO, dict(id=1001209), [rule('body', 1001209, body='null')],
         fails('the answer is not a JSON object (got null)')),
        ('get answers nothing', INFO, dict(id=1001217), [rule('body', 1001217, body='')],
         fails('the answer is not a JSON object (got null)')),
        ('get answers another queue', QUEUE, dict(id=1001210, strategy=99),
         [rule('body', 1001210, method='GET', body=json.dumps(acme[1001211]))],
         fails('the answer is the record of queue 1001211, not of the queue asked for')),
        ('get answers in an envelope', QUEUE, dict(id=1001211, strategy=4),
         [rule('body', 1001211, method='GET', times=1, body=json.dumps(dict(success='1', data=acme[1001211])))],
         works(changed=True)),
        ('answer in broken gzip', INFO, dict(id=1001226, api_url=gzip_url), [],
         fails('HTTP 200 (the answer could not be decoded', 'content-encoding: gzip')),
        ('slow server', INFO, dict(id=1001216, timeout=1, retries=0), [rule('delay', 1001216, delay_ms=6000)],
         fails('no complete answer within timeout (1 s) after 1 attempt')),
        # -- answers to PUT
        ('put answers HTML', QUEUE, dict(id=1001212, strategy=4),
         [rule('body', 1001212, method='PUT', content_type='text/html', body='<html>ok</html>')],
         fails('/v1/queues/inbound/1001212 failed: HTTP 200 (the answer is not JSON')),
        ('put answers a list', QUEUE, dict(id=1001213, strategy=4), [rule('body', 1001213, method='PUT', body='[]')],
         # The server said 2xx, so the update counts as accepted (changed), and the read-back decides.
         fails('so it changed, but then: reading queue 1001213 (collections) back shows the server did not apply it: '
               'strategy is 1 (normal), wanted 4 (divert)', changed=True)),
        ('put answers success 0', QUEUE, dict(id=1001214, strategy=4),
         [rule('body', 1001214, method='PUT', body='{"success": "0", "error_code": "FAIL", "error_message": "no"}')],
         fails('HTTP 200 FAIL (no); the server answered 200 but reported failure')),
        ('put is cut short once', QUEUE, dict(id=1001215, max_wait_sec=62), [rule('truncate', 1001215, method='PUT', times=1)],
         works(changed=True)),
        # -- the list
        ('list repeats its first page', INFO, key('L1'),
         [list_rule('body', 'L1', body=envelope(tenants['L1'][:10], 25))],
         # Complete or failed: 10 of 25 is not the tenant.
         fails('the queue list could not be read whole, twice: the server reported totalRecord 25 but served 10 distinct '
               'queues in 3 pages (10 per page); pages 1 and 2 brought no queue not seen before')),
        ('list is not an object', INFO, key('L2'), [list_rule('body', 'L2', body='[]')],
         fails('the list answer is not a JSON object')),
        ('list data is not a list', INFO, key('L3'), [list_rule('body', 'L3', body='{"totalRecord": 2, "data": {"a": 1}}')],
         fails('"data" is not a list of queue records')),
        ('list total is not a number', INFO, key('L4'), [list_rule('body', 'L4', body='{"totalRecord": "lots", "data": []}')],
         fails('"totalRecord" is not a count of queues: "lots"')),
        ('list page is cut short', INFO, key('L5'), [list_rule('truncate', 'L5', skip=1)],
         fails('the answer was cut short', 'after 2 attempts')),
        ('list is too big', QUEUES, dict(key('L6'), state='gathered'), [list_rule('oversize', 'L6', bytes=9 << 20)],
         fails('the answer is larger than 8 MiB')),
        ('bulk under a total that lies', QUEUES,
         dict(key('L7'), config=[dict(name='queue-00003', strategy=99), dict(id=first['L7'] + 23, max_wait_sec=5)]),
         [list_rule('total_offset', 'L7', offset=50)],
         fails('the server reported totalRecord 75 but served 25 distinct queues')),
        ('bulk while pages shift', QUEUES,
         dict(key('L8'), config=[dict(name='queue-00025', strategy=99), dict(id=first['L8'] + 12, max_wait_sec=5)]),
         [list_rule('shift', 'L8', skip=1, times=3)], works(changed=True)),
        # -- names and ids that try to be something else
        ('name with ../', QUEUE, dict(name='../1001226', strategy=1), [], fails('no inbound queue of this tenant is named "../1001226"')),
        ('name that is an id', QUEUE, dict(name='1001226', strategy=1), [], fails('is named "1001226"')),
        ('name with %2F', QUEUE, dict(name='..%2F..%2F1001226', strategy=1), [], fails('is named "..%2F..%2F1001226"')),
        ('name with CR/LF', INFO, dict(name='test\r\nX-Evil: 1'), [], works(count=0)),
        ('name 10000 long', QUEUE, dict(name='q' * 10000, strategy=1), [], fails('no inbound queue of this tenant is named')),
        ('Vietnamese name', QUEUE, dict(name=VIETNAMESE, max_wait_sec=63), [], works(changed=True, queue=1001227)),
        ('Vietnamese name, info', INFO, dict(name=VIETNAMESE), [], works(count=1)),
        ('Vietnamese name, bulk', QUEUES, dict(config=[dict(name=VIETNAMESE, strategy='divert')]), [], works(changed=True)),
        ('Vietnamese name, decomposed', QUEUE, dict(name=DECOMPOSED, strategy=1), [], fails('no inbound queue of this tenant is named')),
        ('unicode hold music', QUEUE, dict(id=1001218, moh_file_id='nh\u1ea1c ch\u1edd \U0001f3b5.wav'), [], works(changed=True)),
        ('255 characters of hold music', QUEUE, dict(id=1001219, moh_file_id='\u1ec7' * 255), [], works(changed=True)),
        ('a path as hold music', QUEUE, dict(id=1001220, moh_file_id='../../etc/passwd'), [], works(changed=True)),
        ('id in Arabic-Indic digits', QUEUE, dict(id='\u0661\u0660\u0660\u0661\u0662\u0662\u0661', max_wait_sec=64), [],
         works(changed=True, queue=1001221)),
        ('id beyond 64 bits', INFO, dict(id=10 ** 20), [], fails('HTTP 400 INVALID_INPUT')),
        ('tenant with %0d%0a', INFO, dict(id=1001226, tenant_id='20260310%0d%0aX-Evil:%201'), [],
         fails('HTTP 401 UNAUTHORIZED (API key does not belong to tenant)')),
        ('huge wait', QUEUE, dict(id=1001223, max_wait_sec=10 ** 12), [], works(changed=True)),
        # -- the bulk module's edges
        ('config null', QUEUES, dict(config=None), [], fails('state=merged needs config')),
        ('config empty', QUEUES, dict(config=[]), [], works(changed=False)),
        # strategy_name is a synonym of strategy since 1.1 (it must agree); the other read-only keys are ignored.
        ('read-only keys with junk', QUEUES,
         dict(config=[dict(id=1001222, strategy=2, strategy_name='VIP', number=12345, agent_selector={'x': [1]})]), [],
         works(changed=True)),
        ('strategy_name that disagrees', QUEUES, dict(config=[dict(id=1001222, strategy=2, strategy_name='bogus')]), [],
         fails("config[0].strategy_name must be one of")),
        ('gathered with a config', QUEUES, dict(state='gathered', config=[GOOD]), [], works(warning='config is ignored')),
    ]


@pytest.fixture
def broken_gzip():
    """A server (not the simulator) whose answers claim Content-Encoding: gzip over plain bytes."""
    listener = socket.create_server(('127.0.0.1', 0))
    listener.settimeout(0.2)
    stop = threading.Event()

    def serve():
        body = b'{"callinId": 1001226}'
        while not stop.is_set():
            try:
                conn, dummy = listener.accept()
            except OSError:
                continue
            with conn:
                conn.settimeout(5)
                try:
                    data = b''
                    while b'\r\n\r\n' not in data:
                        chunk = conn.recv(65536)
                        if not chunk:
                            break
                        data += chunk
                    conn.sendall(b'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Encoding: gzip\r\n'
                                 b'Content-Length: %d\r\nConnection: close\r\n\r\n%s' % (len(body), body))
                except OSError:
                    pass

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield 'http://127.0.0.1:%d' % listener.getsockname()[1]
    stop.set()
    thread.join(2)
    listener.close()


@pytest.mark.line_independent
def test_hostile_answers_odd_names_and_unicode(ansible, sim, broken_gzip):
    acme = sim.queues(ACME)
    spec = {ACME: dict(keys={ACME_KEY: ['queue']}, queues=list(acme.values()))}
    for number, (tenant, key) in enumerate(sorted(LIST_TENANTS.items()), start=1):
        spec[tenant] = dict(keys={key: ['queue']}, queues=25, first_id=50000000 + number * 1000)
    sim.reset(tenants=spec)
    sim.config(page_size_cap=10)
    tenants = dict((tenant, list(sim.queues(tenant).values())) for tenant in LIST_TENANTS)
    cases = server_cases(acme, tenants, broken_gzip)
    first_ids = dict((tenant, [r['callinId'] for r in records]) for tenant, records in tenants.items())
    rules = [r for case in cases for r in case[3]]
    sim.faults(rules)
    tasks = [case_task(name, module, args) for name, module, args, dummy, dummy2 in cases]
    started = time.monotonic()
    run = play_on_hosts(ansible, split(tasks), defaults=ansible.defaults(retries=1, max_retry_wait=0, timeout=5))
    elapsed = time.monotonic() - started
    assert_no_crash(run)
    after = sim.queues(ACME)

    problems = []
    for name, module, args, dummy, (status, expect) in cases:
        task = run.task(name)
        result = task['result']
        if task['status'] != status:
            problems.append((name, 'status %s, wanted %s' % (task['status'], status), result.get('msg')))
            continue
        if 'changed' in expect and result['changed'] is not expect['changed']:
            problems.append((name, 'changed', result['changed']))
        if status == 'failed':
            missing = [piece for piece in expect['pieces'] if piece not in result['msg']]
            if missing or len(result['msg']) > 1000:
                problems.append((name, missing or 'over-long message', result['msg'][:300]))
            continue
        if 'count' in expect and len(result['queues']) != expect['count']:
            problems.append((name, 'count', len(result['queues'])))
        if 'queue' in expect and result['queue']['id'] != expect['queue']:
            problems.append((name, 'queue', result['queue']['id']))
        if 'warning' in expect and not any(expect['warning'] in w for w in result.get('warnings', [])):
            problems.append((name, 'warning', result.get('warnings')))
    assert problems == [], '\n'.join(repr(p) for p in problems)

    # Names never reach a URL: every request went to the list or to a numeric id.
    for entry in run.all_requests:
        assert entry['path'] == LIST or entry['path'][len(LIST) + 1:].isdigit(), entry['path']
    # The values landed exactly as given (unicode, 255 characters, a path is only data).
    assert after[1001218]['musicinQueue'] == 'nh\u1ea1c ch\u1edd \U0001f3b5.wav'
    assert after[1001219]['musicinQueue'] == '\u1ec7' * 255
    assert after[1001220]['musicinQueue'] == '../../etc/passwd'
    assert after[1001221]['timeWait'] == '64' and after[1001223]['timeWait'] == '1000000000000'
    assert after[1001227]['timeWait'] == '63' and after[1001227]['strategy'] == 4
    # Another queue's record did not lead to a PUT to that queue (or any).
    assert after[1001211]['strategy'] == 4 and after[1001210] == acme[1001210]
    assert [e for e in run.all_requests if e['method'] == 'PUT' and e['path'].endswith(('/1001210', '/1001211'))] == [
        e for e in run.all_requests if e['method'] == 'PUT' and e['path'].endswith('/1001211')]
    # A PUT whose answer was junk: the module said so, and no later PUT "fixed" it silently.
    assert after[1001212] == acme[1001212] and after[1001213] == acme[1001213] and after[1001214] == acme[1001214]
    # The repeating list was not read forever: a few pages, read twice, then a failure.
    assert len([e for e in run.all_requests if e['tenant'] == 'L1']) <= 6
    # Pages that shifted: the two named queues, and only they, were updated.
    l8_puts = sorted(e['path'] for e in run.all_requests if e['tenant'] == 'L8' and e['method'] == 'PUT')
    assert l8_puts == sorted('%s/%d' % (LIST, first_ids['L8'][n]) for n in (12, 24))
    assert elapsed < 120, 'the table took %.0f s: something waited far longer than its timeout' % elapsed
