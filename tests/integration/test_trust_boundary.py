"""The API as a trust boundary, end to end: hostile servers of our own, through real ansible-playbook.

The simulator behaves like the AloHub API; these servers (alohub_test.hostile) do what a broken or
malicious gateway could: answer a byte at a time, lie about totals, send ids that are floats or
booleans, accept an update and then fail the read-back, send JSON nested 200,000 deep or numbers
JSON cannot carry, ask for no wait on a 429, echo the key encoded, sit behind a proxy, or not be the
API at all. Every case ends in a correct result or a clear failure, within its timeouts, with
`changed` telling the truth, and without the key in any output.
"""

import base64
import json
import time
from urllib.parse import quote

import pytest

from alohub_test.hostile import HostileServer, hang, respond, route, sequence, trickle, trickle_headers

KEY = 'sk_live+Secret/Key='
QUEUE = 'alohub.callcenter.inbound_queue'
INFO = 'alohub.callcenter.inbound_queue_info'
QUEUES = 'alohub.callcenter.inbound_queues'
LIST = '/v1/queues/inbound'
OK = dict(success='1', error_code='SUCCESS', error_message='Inbound queue updated successfully')

pytestmark = pytest.mark.line_independent


def record(queue_id, name='q', **fields):
    base = dict(callinId=queue_id, callinName=name, strategy=1, musicinQueue='waiting.wav', timeWait='120',
                agentSelector=None, nguongRanhRoi=None, callinNumber=None)
    base.update(fields)
    return base


def page(records, total=None):
    return dict(success='1', error_code='SUCCESS', totalRecord=len(records) if total is None else total, data=records)


@pytest.fixture
def servers():
    """servers(handler) -> a started HostileServer, stopped (and checked for its own errors) at the end."""
    started = []

    def start(handler):
        server = HostileServer(handler).start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()
    for server in started:
        assert server.errors == [], server.errors


def task(title, module, server, **args):
    args.setdefault('api_url', server.url)
    return {'name': title, 'ignore_errors': True, module: args}


def endless_pages(conn):
    """A first page of 100 queues, then one new queue per page, forever, all claiming totalRecord 500."""
    number = int(conn.request.query.get('page', 0))
    data = [record(1000 + n) for n in range(100)] if number == 0 else [record(5000 + number)]
    respond(200, page(data, total=500))(conn)


def test_hostile_answers_end_in_a_clear_result_within_their_timeouts(ansible, servers):
    slow = dict(timeout=2, retries=1, max_retry_wait=1)
    s = dict(
        body=servers(route({(('GET', LIST + '/5')): trickle(200, record(5), every=1.0)})),
        head=servers(route({(('GET', LIST + '/5')): trickle_headers(200, record(5), every=1.0)})),
        hang=servers(route({(('GET', LIST + '/5')): hang()})),
        total=servers(route({LIST: respond(200, page([record(1)], total=10 ** 9))})),
        endless=servers(route({LIST: endless_pages})),
        short=servers(route({LIST: sequence([respond(200, page([record(n) for n in range(1, 101)], 249)),
                                             respond(200, page([record(n) for n in range(101, 150)], 249)),
                                             respond(200, page([], 249))] * 2)})),
        float=servers(route({LIST: respond(200, page([record(1001226.9, 'sales'), record(1001226, 'support')]))})),
        bool=servers(route({LIST: respond(200, page([record(True, 'x'), record(1, 'support')]))})),
        mixed=servers(route({LIST: respond(200, page([record(1), record('2'), record(3.0)]))})),
        readback=servers(route({(('GET', LIST + '/5')): sequence([respond(200, record(5)),
                                                                  respond(503, {'message': 'unavailable'}),
                                                                  respond(503, {'message': 'unavailable'})]),
                                (('PUT', LIST + '/5')): respond(200, OK)})),
        # Two updates, one list page: the verification reads the list again, and gets JSON 200,000 deep.
        bulk=servers(route({LIST: sequence([respond(200, page([record(5), record(6)])),
                                            respond(200, b'[' * 200000 + b']' * 200000)]),
                            (('PUT', LIST + '/5')): respond(200, OK), (('PUT', LIST + '/6')): respond(200, OK)})),
        huge=servers(route({(('GET', LIST + '/7')): respond(200, b'{"callinId": 7, "timeWait": 1e400}')})),
        nan=servers(route({LIST: respond(200, b'{"success": "1", "totalRecord": 1, "data": [{"callinId": 1, "timeWait": NaN}]}')})),
        route=servers(route({}, default=respond(404, {'message': 'no Route matched with those values'}))),
    )
    tasks = [
        task('trickled body', INFO, s['body'], id=5, **slow),
        task('trickled headers', INFO, s['head'], id=5, **slow),
        task('no answer', INFO, s['hang'], id=5, **slow),
        task('total of a billion', INFO, s['total']),
        task('pages without end', INFO, s['endless']),
        task('a short page in the middle', QUEUES, s['short'], state='gathered'),
        task('a float id beside the real one', QUEUE, s['float'], name='sales', strategy='vip'),
        task('a boolean id', QUEUE, s['bool'], name='x', strategy='vip'),
        task('ids of mixed types', QUEUES, s['mixed'], state='gathered'),
        task('read-back fails after an accepted PUT', QUEUE, s['readback'], id=5, strategy='vip', retries=1,
             max_retry_wait=0),
        task('verification answers that cannot be read', QUEUES, s['bulk'],
             config=[dict(id=5, strategy='vip'), dict(id=6, strategy='vip')], retries=0),
        task('NaN in the list', INFO, s['nan']),
        task('1e400 in a record', INFO, s['huge'], id=7),
        task('api_url with the path twice', INFO, s['route'], api_url=s['route'].url + LIST, id=5),
    ]
    started = time.monotonic()
    run = ansible.play(tasks, defaults=dict(api_key=KEY))
    elapsed = time.monotonic() - started
    assert 'Traceback' not in run.output and 'MODULE FAILURE' not in run.output, run.output
    assert KEY not in run.output

    def failed(name, *pieces):
        entry = run.task(name)
        result = entry['result']
        assert entry['status'] == 'failed', (name, result)
        for piece in pieces:
            assert piece in result['msg'], (name, piece, result['msg'])
        return result

    # Bounded time: 2 attempts of at most 2 s each (a trickle of 1 byte a second would take minutes).
    for name, key in (('trickled body', 'body'), ('trickled headers', 'head'), ('no answer', 'hang')):
        failed(name, 'no complete answer within timeout (2 s) after 2 attempts')
        first, second = [r.time for r in s[key].requests]
        assert 2 <= second - first < 4, (name, second - first)   # the first attempt given up after 2 s, a short back-off
    # The whole play: 15 tasks that take seconds each (over 60 s on a loaded 2-core machine). A task
    # that hung instead would hold it for at least 6 attempts of 30 s (the defaults), so 150 s tells the two apart.
    assert elapsed < 150, elapsed
    failed('total of a billion', '"totalRecord" is 1000000000, more queues than this collection reads (50000)')
    assert len(s['total'].requests) == 1
    failed('pages without end', 'stopped after 7 pages, the most that totalRecord 500 allows at 100 queues per page')
    assert len(s['endless'].requests) == 14  # two reads of the bound
    failed('a short page in the middle', 'the server reported totalRecord 249 but served 149 distinct queues')
    assert 'gathered' not in run.result('a short page in the middle')

    # Exact identity: no PUT to a queue the server did not name exactly.
    result = failed('a float id beside the real one', 'record 0 of page 0 (callinId 1001226.9, callinName "sales"): '
                    'callinId must be a positive integer; got 1001226.9')
    assert result['changed'] is False and [r.method for r in s['float'].requests] == ['GET']
    failed('a boolean id', '(callinId true, callinName "x"): callinId must be a positive integer; got true')
    assert [r.method for r in s['bool'].requests] == ['GET']
    failed('ids of mixed types', 'record 1 of page 0 (callinId "2", callinName "q"): callinId must be a positive integer')

    # Truthful changed: the server took the PUT, the read-back failed.
    result = failed('read-back fails after an accepted PUT', 'the server accepted the update of queue 5 (q), so it changed, '
                                                             'but then: GET', 'HTTP 503')
    assert result['changed'] is True
    result = failed('verification answers that cannot be read', '2 queue entries: 2 changed, 0 unchanged, 2 failed: ')
    assert result['changed'] is True and [r['changed'] for r in result['results']] == [True, True]
    assert all('so it changed, but then: GET' in r['error'] and 'the answer is JSON nested too deeply to read' in r['error']
               for r in result['results'])
    failed('1e400 in a record', 'the answer holds a number JSON cannot carry')
    failed('NaN in the list', 'the answer holds a number JSON cannot carry (NaN is not a JSON number)')

    # A wrong api_url is not "no such queue".
    result = failed('api_url with the path twice', 'GET %s/v1/queues/inbound/v1/queues/inbound/5 failed: HTTP 404 '
                                                   '(no Route matched with those values)' % s['route'].url,
                    'api_url is probably wrong')
    assert 'queues' not in result


@pytest.mark.parametrize('retry_after', ['0', '-30', 'Thu, 01 Jan 2015 00:00:00 GMT'])
def test_a_retry_after_of_no_wait_falls_back_to_the_back_off(ansible, servers, retry_after):
    limited = respond(429, {'message': 'API rate limit exceeded'}, headers={'Retry-After': retry_after})
    server = servers(route({(('GET', LIST + '/5')): sequence([limited, limited, limited, respond(200, record(5))])}))
    run = ansible.play([task('rate limited', INFO, server, id=5, retries=3, max_retry_wait=10)], defaults=dict(api_key=KEY))
    assert run.task('rate limited')['status'] == 'ok', run.output
    times = [r.time for r in server.requests]
    gaps = [later - earlier for earlier, later in zip(times, times[1:])]
    # Equal-jitter back-off: at least 0.25, 0.5 and 1 s, not three requests at once.
    assert [gap >= low for gap, low in zip(gaps, (0.25, 0.5, 1.0))] == [True] * 3, gaps


def test_the_retry_budget_bounds_a_storm(ansible, servers):
    limited = respond(429, {'message': 'API rate limit exceeded'}, headers={'Retry-After': '2'})
    server = servers(route({LIST: respond(200, page([record(n) for n in range(1, 6)]))}, default=limited))
    config = [dict(id=n, strategy='vip') for n in range(1, 6)]
    started = time.monotonic()
    run = ansible.play([task('storm', QUEUES, server, config=config, retry_budget=5, retries=10, max_retry_wait=5)],
                       defaults=dict(api_key=KEY))
    elapsed = time.monotonic() - started
    result = run.result('storm')
    assert run.task('storm')['status'] == 'failed'
    assert result['summary']['failed'] == 5 and result['changed'] is False
    assert all('would exceed the retry budget of this task (retry_budget 5 s' in r['error'] for r in result['results'])
    assert elapsed < 30, elapsed


def test_the_key_echoed_encoded_never_reaches_the_output_or_the_log(ansible, servers, tmp_path):
    forms = [quote(KEY, safe=''), base64.b64encode(KEY.encode()).decode(), base64.urlsafe_b64encode(KEY.encode()).decode()]
    server = servers(route({
        (('GET', LIST + '/5')): respond(200, record(5, 'echo %s %s' % (forms[0], forms[1]), musicinQueue='%s.wav' % forms[2])),
        (('GET', LIST + '/6')): respond(401, {'message': 'bad key %s / %s' % (forms[0], forms[1])}),
    }))
    log = tmp_path / 'ansible.log'
    run = ansible.play([task('echoed in data', INFO, server, id=5), task('echoed in an error', INFO, server, id=6)],
                       defaults=dict(api_key=KEY), verbosity=4, env=dict(ANSIBLE_LOG_PATH=str(log)))
    assert run.task('echoed in data')['status'] == 'ok'
    assert run.task('echoed in an error')['status'] == 'failed'
    text = run.output + log.read_text() + json.dumps(run.tasks)
    for secret in [KEY] + forms:
        assert secret not in text, secret
    assert run.result('echoed in data')['queues'][0]['name'] == 'echo ******** ********'


def test_a_short_key_is_refused_before_any_request(ansible, servers):
    server = servers(route({}, default=respond(200, record(5))))
    run = ansible.play([task('short key', INFO, server, id=5, api_key='wav')], defaults=dict())
    assert run.task('short key')['status'] == 'failed'
    assert 'api_key is shorter than 8 characters' in run.result('short key')['msg']
    assert server.requests == []


def test_plain_http_through_a_proxy_is_warned_about(ansible, servers):
    proxy = servers(route({}, default=respond(200, record(5))))   # answers whatever it is asked, as a proxy would
    run = ansible.play([task('through a proxy', INFO, proxy, id=5, api_url='http://127.0.0.1:9')],
                       defaults=dict(api_key=KEY), env=dict(HTTP_PROXY=proxy.url, NO_PROXY=''))
    result = run.result('through a proxy')
    assert run.task('through a proxy')['status'] == 'ok', result
    assert any('goes through the proxy 127.0.0.1' in w or 'go through the proxy 127.0.0.1' in w
               for w in result.get('warnings', [])), result
    assert proxy.requests[0].target == 'http://127.0.0.1:9/v1/queues/inbound/5'  # it did reach the proxy, in clear
