"""inbound_queue_info through ansible-playbook: every page, lookups, check mode,
the normalised record, and a server whose paging misbehaves.

One playbook run holds every case (a module-scoped fixture); between groups
of tasks, ``ansible.builtin.uri`` tasks change the simulator's page size cap
and fault rules through its admin API (admin calls are not in the request
log), so the cases before and after see different servers.
"""

import math
from collections import Counter

import pytest

from conftest import ACME, ACME_KEY, GLOBEX, GLOBEX_KEY, Ansible, expected_record

# Paging, lookups and the record's shape are the client's; argument handling per line is in the units:
# the newest line only (make test).
pytestmark = pytest.mark.line_independent

INFO = 'alohub.callcenter.inbound_queue_info'
LIST_PATH = '/v1/queues/inbound'
TEST_QUEUE = 1001226      # "test", the API document's sample record
ALL_NULL = 1001205        # every optional field null
ACME_IDS = list(range(1001200, 1001242))
GLOBEX_TOTAL = 25
KEYS = ['id', 'name', 'strategy', 'strategy_name', 'moh_file_id', 'max_wait_sec', 'announce_position',
        'agent_selector', 'number']


def kind(value):
    """The exact type: True must not pass for an int."""
    return value.__class__


def info(title, check_mode=False, **args):
    entry = dict(name=title, ignore_errors=True, **{INFO: args})
    if check_mode:
        entry['check_mode'] = True
    return entry


def admin(sim, title, path, body):
    """A uri task that changes the simulator between tasks (config or fault rules)."""
    return dict(name=title, **{'ansible.builtin.uri': dict(
        url=sim.url + path, method='POST', body_format='json', body=body, status_code=200)})


@pytest.fixture(scope='module')
def reads(simulator_process, collections_path, tmp_path_factory):
    sim = simulator_process
    sim.reset()
    sim.faults([dict(kind='total_offset', offset=3, tenant=GLOBEX)])
    raw = sim.queues(ACME)
    ansible = Ansible(sim, collections_path, tmp_path_factory.mktemp('info'))
    run = ansible.play([
        info('all'),
        info('all, check mode', check_mode=True),
        info('by id', id=TEST_QUEUE),
        info('by id, all null', id=ALL_NULL),
        info('unknown id', id=1009999),
        info('by name', name='support'),
        info('by name, unicode', name='Ch\u0103m s\u00f3c kh\u00e1ch h\u00e0ng'),
        info('by name, none', name='no such queue'),
        info('by name, other case', name='Support'),
        info('globex, total too high', api_key='{{ globex_key }}'),
        admin(sim, 'cap 7', '/_sim/config', dict(page_size_cap=7)),
        info('all, cap 7'),
        admin(sim, 'total too low', '/_sim/faults', [dict(kind='total_offset', offset=-2, tenant=ACME)]),
        info('all, total too low'),
        admin(sim, 'shift', '/_sim/faults', [dict(kind='shift', tenant=ACME, times=1)]),
        info('all, shifted'),
    ], vars=dict(globex_key=GLOBEX_KEY))
    shifted = sim.queues(ACME)
    sim.reset()
    return run, raw, shifted


def list_requests(run, name):
    entries = run.requests(name)
    assert all(e['method'] == 'GET' and e['path'] == LIST_PATH and e['status'] == 200 for e in entries), entries
    return entries


def assert_everything(result, ids, total):
    got = [q['id'] for q in result['queues']]
    assert not [i for i, n in Counter(got).items() if n > 1], 'duplicates: %s' % got
    assert sorted(got) == sorted(ids)
    assert result['total'] == total and result['changed'] is False


def test_run_went_through(reads):
    run = reads[0]
    assert 'Traceback' not in run.output and ACME_KEY not in run.output and GLOBEX_KEY not in run.output
    # The two tasks against a lying totalRecord fail (complete or failed); nothing else does.
    failed = sorted(entry['task'] for entry in run.tasks if entry['status'] == 'failed')
    assert failed == ['all, total too low', 'globex, total too high'], failed
    assert run.recap['changed'] == 0 and run.recap.get('ignored', 0) == 2, run.output
    assert run.requests(method='PUT') == []


def test_all_pages_with_the_default_cap(reads):
    """Asked for 100 a page, served 50 at most: 42 queues in ceil(42/50) = 1 request."""
    run = reads[0]
    result = run.result('all')
    assert_everything(result, ACME_IDS, 42)
    assert [q['id'] for q in result['queues']] == ACME_IDS   # server order (by id)
    entries = list_requests(run, 'all')
    assert len(entries) == math.ceil(42 / 50)
    assert entries[0]['query'] == {'page': '0', 'size': '100'}
    assert not result.get('warnings')


def test_all_pages_with_a_small_cap(reads):
    """The server silently serves 7 a page: the module follows pages by records, not by the size it asked for."""
    run = reads[0]
    result = run.result('all, cap 7')
    assert_everything(result, ACME_IDS, 42)
    entries = list_requests(run, 'all, cap 7')
    assert len(entries) == math.ceil(42 / 7)
    assert [e['query']['page'] for e in entries] == [str(n) for n in range(6)]
    assert not result.get('warnings')


def test_check_mode_reads_the_same(reads):
    run = reads[0]
    check = run.result('all, check mode')
    assert run.task('all, check mode')['status'] == 'ok'
    assert check['changed'] is False
    assert check['queues'] == run.result('all')['queues'] and check['total'] == 42
    assert [e['method'] for e in run.requests('all, check mode')] == ['GET']


def test_lookups_by_id_and_name(reads):
    run = reads[0]
    by_id = run.result('by id')
    assert by_id['queues'] == [dict(id=TEST_QUEUE, name='test', strategy=1, strategy_name='normal',
                                    moh_file_id='waiting.wav', max_wait_sec=120, announce_position=None,
                                    agent_selector=None, number=None)]
    assert by_id['total'] is None and by_id['changed'] is False
    assert [(e['path'], e['status']) for e in run.requests('by id')] == [('%s/%d' % (LIST_PATH, TEST_QUEUE), 200)]

    unknown = run.result('unknown id')
    assert run.task('unknown id')['status'] == 'ok'
    assert (unknown['queues'], unknown['total'], unknown['changed']) == ([], None, False)
    assert [e['status'] for e in run.requests('unknown id')] == [404]

    support = run.result('by name')
    assert [q['name'] for q in support['queues']] == ['support', 'support']
    assert sorted(q['id'] for q in support['queues']) == [1001203, 1001217]
    assert support['total'] == 42
    assert len(list_requests(run, 'by name')) == 1
    unicode_name = run.result('by name, unicode')
    assert [q['id'] for q in unicode_name['queues']] == [1001227]
    for name in ('by name, none', 'by name, other case'):   # exact names only
        assert run.task(name)['status'] == 'ok'
        assert run.result(name)['queues'] == [] and run.result(name)['total'] == 42, name


def test_normalised_record_shape(reads):
    run, raw = reads[0], reads[1]
    # The seed holds what this test is about: every wire shape of the flag, and null fields.
    shapes = set((type(r['nguongRanhRoi']).__name__, r['nguongRanhRoi']) for r in raw.values())
    assert shapes == {('NoneType', None), ('str', '0'), ('str', '1'), ('int', 0), ('int', 1)}
    assert any(isinstance(r['timeWait'], str) for r in raw.values())
    assert all(v is None for k, v in raw[ALL_NULL].items() if k not in ('callinId', 'callinName'))

    queues = run.result('all')['queues']
    for queue in queues:
        assert sorted(queue) == sorted(KEYS), queue
        assert queue == expected_record(raw[queue['id']]), (queue, raw[queue['id']])
        assert kind(queue['id']) is int and kind(queue['name']) is str
        for key, wanted in (('strategy', int), ('strategy_name', str), ('moh_file_id', str), ('max_wait_sec', int),
                            ('announce_position', bool), ('number', str)):
            assert queue[key] is None or kind(queue[key]) is wanted, (key, queue)
    # The same record whether it comes from the list or by id.
    all_null = run.result('by id, all null')['queues']
    assert all_null == [q for q in queues if q['id'] == ALL_NULL]
    assert all_null[0] == dict(id=ALL_NULL, name=raw[ALL_NULL]['callinName'], strategy=None, strategy_name=None,
                               moh_file_id=None, max_wait_sec=None, announce_position=None, agent_selector=None, number=None)


def test_total_record_that_lies(reads):
    """totalRecord above or below what is served: complete or failed. The list is read twice, then the task fails
    saying what did not add up, and returns no queues (a part of the tenant passed off as all of it is data loss)."""
    run = reads[0]
    high = run.result('globex, total too high')
    assert run.task('globex, total too high')['status'] == 'failed'
    assert ('the queue list could not be read whole, twice: the server reported totalRecord %d but served %d distinct '
            'queues in 2 pages' % (GLOBEX_TOTAL + 3, GLOBEX_TOTAL)) in high['msg'], high['msg']
    assert 'queues' not in high
    entries = list_requests(run, 'globex, total too high')
    assert {e['tenant'] for e in entries} == {GLOBEX}
    assert [e['query']['page'] for e in entries] == ['0', '1'] * 2   # twice: one page served everything, the next none

    low = run.result('all, total too low')
    assert run.task('all, total too low')['status'] == 'failed'
    assert 'the server reported totalRecord 40 but served 42 distinct queues' in low['msg'], low['msg']
    assert 'queues' not in low


def test_page_shift_makes_no_duplicates(reads):
    """A queue added at the front between pages pushes every record one place on: each later page repeats one,
    and the first read misses the new queue. It does not add up, so the list is read again, whole this time."""
    run, dummy, shifted = reads
    result = run.result('all, shifted')
    assert run.task('all, shifted')['status'] == 'ok'
    got = [q['id'] for q in result['queues']]
    assert len(got) == len(set(got)), got
    assert set(got) == set(shifted)
    assert len(shifted) == 43 and min(shifted) == ACME_IDS[0] - 1
    entries = list_requests(run, 'all, shifted')
    assert entries[0]['fault'] == 'shift'
    pages = [e['query']['page'] for e in entries]
    second = pages.index('0', 1)                       # where the second read starts
    assert pages[second:] == [str(n) for n in range(7)]  # 43 queues at 7 a page
    assert result['total'] == 43 and not [w for w in result.get('warnings', []) if 'totalRecord' in w]
