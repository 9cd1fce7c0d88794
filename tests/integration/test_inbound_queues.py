"""inbound_queues (bulk) through ansible-playbook against the simulator.

Every test asserts on three things: what the module returned, what it sent
(the simulator's request log) and what the simulator stored afterwards.
Cases are grouped into few playbook runs: each run costs about two seconds.
"""

import re
import time

import pytest

from conftest import ACME, Ansible, GLOBEX, GLOBEX_KEY, counts, expected_config, three_ways

MODULE = 'alohub.callcenter.inbound_queues'
LIST = '/v1/queues/inbound'


def item(queue_id):
    return '%s/%d' % (LIST, queue_id)


def bulk(name, config=None, **options):
    """One inbound_queues task named ``name``; task keywords go in ``options['task']``."""
    task_keywords = options.pop('task', {})
    args = dict(options)
    if config is not None:
        args['config'] = config
    return dict(name=name, **dict(task_keywords, **{MODULE: args}))


def puts_by_path(entries):
    return dict((e['path'], e['body']) for e in entries if e['method'] == 'PUT')


def list_reads(entries):
    return [e for e in entries if e['method'] == 'GET' and e['path'] == LIST]


def assert_only_changes(before, after, changes):
    """``after`` equals ``before`` except for ``changes`` ({id: {raw field: value}})."""
    expected = dict((qid, dict(record)) for qid, record in before.items())
    for qid, fields in changes.items():
        expected[qid].update(fields)
    assert after == expected


# ---------------------------------------------------------------------------
# merged: check, real, rerun
# ---------------------------------------------------------------------------

# By id and by name, mixed; two of them are already as wanted.
MIXED = [
    dict(id=1001226, strategy='vip', max_wait_sec=180, announce_position=True),  # test: 1, "120", null
    dict(name='sales', max_wait_sec=60, moh_file_id='jazz.mp3'),                  # "60" equal, moh null
    dict(id=1001204, strategy='vip', announce_position=True),                      # vip: 2, 1 -> unchanged
    dict(name='overflow', strategy='99', announce_position=False),                 # all null
    dict(id=1001209, name='retention', max_wait_sec=0),                            # "120" -> "0"
    dict(name='billing', strategy=1),                                              # 1 -> unchanged
]
MIXED_PUTS = {
    item(1001226): {'strategy': 2, 'max_wait_sec': '180', 'announce_position': '1'},
    item(1001201): {'moh_file_id': 'jazz.mp3'},
    item(1001205): {'strategy': 99, 'announce_position': '0'},
    item(1001209): {'max_wait_sec': '0'},
}
MIXED_STORED = {
    1001226: {'strategy': 2, 'timeWait': '180', 'nguongRanhRoi': '1'},
    1001201: {'musicinQueue': 'jazz.mp3'},
    1001205: {'strategy': 99, 'nguongRanhRoi': '0'},
    1001209: {'timeWait': '0'},
}


def test_merged_check_real_rerun_with_diff(ansible, sim):
    seed = sim.queues(ACME)
    run = ansible.play(three_ways(MODULE, dict(config=MIXED), name='bulk'), diff=True)
    assert run.rc == 0, run.output

    # -- check mode: what would change, per queue; nothing sent but one list page.
    check = run.result('bulk check')
    assert check['changed'] is True
    assert counts(check['summary']) == dict(total=6, changed=4, unchanged=2, failed=0)
    assert [(r['id'], r['name'], r['changed'], r['error']) for r in check['results']] == [
        (1001226, 'test', True, None),
        (1001201, 'sales', True, None),
        (1001204, 'vip', False, None),
        (1001205, 'overflow', True, None),
        (1001209, 'retention', True, None),
        (1001202, 'billing', False, None),
    ]
    first = check['results'][0]['diff']
    assert first['before_header'] == first['after_header'] == 'queue 1001226 (test)'
    assert (first['before']['strategy'], first['after']['strategy']) == (1, 2)
    assert first['after']['strategy_name'] == 'vip'
    assert (first['before']['max_wait_sec'], first['after']['max_wait_sec']) == (120, 180)
    assert (first['before']['announce_position'], first['after']['announce_position']) == (None, True)
    assert first['after']['moh_file_id'] == 'waiting.wav'  # not asked for: left alone
    assert check['results'][2]['diff'] is None and check['results'][5]['diff'] is None
    # The task's diff: one before/after per changed queue, in config order.
    assert [d['before_header'] for d in check['diff']] == [
        'queue 1001226 (test)', 'queue 1001201 (sales)', 'queue 1001205 (overflow)', 'queue 1001209 (retention)']
    assert all(d['before_header'] == d['after_header'] for d in check['diff'])
    assert check['diff'] == [r['diff'] for r in check['results'] if r['changed']]
    assert [(e['method'], e['path']) for e in run.requests('bulk check')] == [('GET', LIST)]

    # -- real: one PUT per differing queue, only the differing fields, wire forms.
    real = run.result('bulk real')
    assert real['changed'] is True
    assert counts(real['summary']) == counts(check['summary'])
    # The verified records are the predicted ones; what was "would change" is "changed" now.
    assert [dict(r, status=None) for r in real['results']] == [dict(r, status=None) for r in check['results']]
    assert [r['status'] for r in real['results']] == [
        {'would_change': 'changed'}.get(r['status'], r['status']) for r in check['results']]
    sent = run.requests('bulk real')
    puts = [e for e in sent if e['method'] == 'PUT']
    assert len(puts) == 4 and puts_by_path(puts) == MIXED_PUTS
    assert all(e['status'] == 200 for e in sent)
    # Read with one list page, verified with one re-list (4 updates > 1 page): 6 requests in all.
    assert len(list_reads(sent)) == 2 and len(sent) == 6

    # -- rerun: nothing to do.
    rerun = run.result('bulk rerun')
    assert rerun['changed'] is False
    assert counts(rerun['summary']) == dict(total=6, changed=0, unchanged=6, failed=0)
    assert all(r['diff'] is None and r['changed'] is False for r in rerun['results'])
    assert 'diff' not in rerun  # like inbound_queue: no diff key when nothing changed
    assert [(e['method'], e['path']) for e in run.requests('bulk rerun')] == [('GET', LIST)]

    assert_only_changes(seed, sim.queues(ACME), MIXED_STORED)
    assert run.recap['changed'] == 2

    # --diff prints one block per changed queue, headed with the queue, for check and real.
    sections = re.split(r'^TASK \[', run.stdout, flags=re.M)
    for title in ('bulk check', 'bulk real'):
        text = [s for s in sections if s.startswith(title + ']')][0]
        heads = re.findall(r'^--- before: (.*)$', text, flags=re.M)
        assert heads == [d['before_header'] for d in check['diff']], text
        assert len(re.findall(r'^\+\+\+ after: queue ', text, flags=re.M)) == 4
    rerun_text = [s for s in sections if s.startswith('bulk rerun]')][0]
    assert '--- before' not in rerun_text


# ---------------------------------------------------------------------------
# Request budget: list pages + changed PUTs + min(GET per update, re-list)
# ---------------------------------------------------------------------------

@pytest.mark.line_independent
def test_request_budget_with_small_pages(ansible, sim):
    sim.config(page_size_cap=10)  # acme's 42 queues take 5 pages
    seed = sim.queues(ACME)
    few = [dict(id=1001200 + i, max_wait_sec=1000 + i) for i in (1, 7, 30)]
    many = [dict(id=1001200 + i, moh_file_id='many-%d.wav' % i) for i in range(3, 15)]  # 12 updates
    # Every queue of the tenant, all already as wanted but one (by name, too).
    everything = [dict(id=qid, max_wait_sec=expected_config(r)['max_wait_sec']) for qid, r in seed.items()
                  if qid not in (1001201, 1001207, 1001226, 1001230)]
    everything.append(dict(name='test', strategy='locked'))
    run = ansible.play([
        bulk('few', few),
        bulk('many', many, parallel=3),
        bulk('check all', everything, task=dict(check_mode=True)),
    ])
    assert run.rc == 0, run.output

    def pages(entries):
        return [e['query'].get('page') for e in list_reads(entries)]

    # 3 updates: 5 pages + 3 PUTs + 3 GETs (fewer than a 5-page re-list).
    sent = run.requests('few')
    assert pages(sent) == ['0', '1', '2', '3', '4']
    assert sorted(e['path'] for e in sent if e['method'] == 'PUT') == [item(1001201), item(1001207), item(1001230)]
    assert sorted(e['path'] for e in sent if e['method'] == 'GET' and e['path'] != LIST) == sorted(
        e['path'] for e in sent if e['method'] == 'PUT')
    assert len(sent) == 5 + 3 + 3
    assert counts(run.result('few')['summary']) == dict(total=3, changed=3, unchanged=0, failed=0)

    # 12 updates: 5 pages + 12 PUTs + a 5-page re-list (fewer than 12 GETs).
    sent = run.requests('many')
    assert pages(sent) == ['0', '1', '2', '3', '4'] * 2
    assert puts_by_path(sent) == dict((item(1001200 + i), {'moh_file_id': 'many-%d.wav' % i}) for i in range(3, 15))
    assert len(sent) == 5 + 12 + 5
    assert counts(run.result('many')['summary']) == dict(total=12, changed=12, unchanged=0, failed=0)

    # Check mode over (nearly) the whole tenant: the 5 pages and nothing else.
    check = run.result('check all')
    assert check['changed'] is True
    assert counts(check['summary']) == dict(total=len(everything), changed=1, unchanged=len(everything) - 1, failed=0)
    assert pages(run.requests('check all')) == ['0', '1', '2', '3', '4']
    assert len(run.requests('check all')) == 5

    changes = dict((1001200 + i, {'musicinQueue': 'many-%d.wav' % i}) for i in range(3, 15))
    for i in (1, 7, 30):
        changes.setdefault(1001200 + i, {})['timeWait'] = str(1000 + i)
    assert_only_changes(seed, sim.queues(ACME), changes)


# ---------------------------------------------------------------------------
# Round trip: gathered -> config, info records -> config, null settings
# ---------------------------------------------------------------------------

def test_gathered_round_trip(ansible, sim):
    seed = sim.queues(ACME)
    run = ansible.play([
        bulk('gather in check mode', [dict(id=1001226, strategy=2)], state='gathered', task=dict(check_mode=True)),
        dict(bulk('gather', state='gathered'), register='gathered'),
        bulk('feed gathered back', '{{ gathered.gathered }}'),
        dict(name='info', register='info', **{'alohub.callcenter.inbound_queue_info': {}}),
        bulk('feed info records back', '{{ info.queues }}'),
        bulk('no-ops', [
            dict(id=1001205),                                             # no setting at all
            dict(name='test', strategy=None, moh_file_id=None),           # settings all null
            # read-only keys only (strategy_name is a synonym of strategy since 1.1: it must agree, here it does)
            dict(id=1001200, strategy_name='normal', number='x', agent_selector='ringall'),
            # What Ansible converts for int and bool options is accepted (sales: 2, "60", "0").
            dict(id='1001201', max_wait_sec='60', announce_position='no', strategy='2'),
        ]),
    ])
    assert run.rc == 0, run.output

    gathered = run.result('gather')
    assert gathered['changed'] is False
    assert gathered['total'] == 42
    assert gathered['gathered'] == [expected_config(seed[qid]) for qid in sorted(seed)]
    assert gathered['gathered'][26] == dict(id=1001226, name='test', strategy=1, moh_file_id='waiting.wav',
                                            max_wait_sec=120, announce_position=None)
    assert [(e['method'], e['path']) for e in run.requests('gather')] == [('GET', LIST)]

    checked = run.result('gather in check mode')
    assert checked['changed'] is False
    assert checked['gathered'] == gathered['gathered'] and checked['total'] == 42
    assert any('config is ignored with state=gathered' in w for w in checked['warnings'])
    assert [(e['method'], e['path']) for e in run.requests('gather in check mode')] == [('GET', LIST)]

    for name in ('feed gathered back', 'feed info records back'):
        result = run.result(name)
        assert result['changed'] is False, name
        assert counts(result['summary']) == dict(total=42, changed=0, unchanged=42, failed=0), name
        assert [(e['method'], e['path']) for e in run.requests(name)] == [('GET', LIST)], name
    # The info records carried the read-only keys, and they were ignored.
    assert {'strategy_name', 'agent_selector', 'number'} <= set(run.result('info')['queues'][0])

    nulls = run.result('no-ops')
    assert nulls['changed'] is False
    assert counts(nulls['summary']) == dict(total=4, changed=0, unchanged=4, failed=0)
    assert [r['id'] for r in nulls['results']] == [1001205, 1001226, 1001200, 1001201]
    assert all(r['error'] is None and r['diff'] is None for r in nulls['results'])
    assert [(e['method'], e['path']) for e in run.requests('no-ops')] == [('GET', LIST)]

    assert sim.queues(ACME) == seed


# ---------------------------------------------------------------------------
# Entries that cannot be applied. One playbook run; each test below reads its
# own tasks. (Bad input, which fails before any request, is tested in process:
# tests/unit/plugins/modules/test_argument_validation.py.)
# ---------------------------------------------------------------------------

FAILING = [
    # Two entries resolving to the same queue: nothing is applied.
    bulk('same queue twice', [dict(id=1001200, strategy=2), dict(id=1001226, strategy=2),
                              dict(name='test', max_wait_sec=5)]),
    # A name beside an id must be the queue's name; only that entry fails.
    bulk('wrong name', [dict(id=1001226, name='not-test', strategy=2), dict(id=1001210, max_wait_sec=121)]),
    # Another tenant's queue is not found; the others are applied.
    bulk('other tenant', [dict(id=1001211, strategy='blacklist'), dict(id=2002000, strategy=2),
                          dict(id=1001212, max_wait_sec=30)]),
    # A name matching several queues fails, listing them; a name matching none fails too.
    bulk('ambiguous', [dict(name='support', strategy=3), dict(name='hanoi', strategy='normal'),
                       dict(name='no such queue', strategy=1)]),
]


class Outcome:
    """A playbook run plus the simulator's stored state before and after it."""

    def __init__(self, run, before, after):
        self.run = run
        self.before = before
        self.after = after


@pytest.fixture(scope='module')
def failing(simulator_process, collections_path, tmp_path_factory):
    sim = simulator_process
    sim.reset()
    before = dict((tenant, sim.queues(tenant)) for tenant in (ACME, GLOBEX))
    ansible = Ansible(sim, collections_path, tmp_path_factory.mktemp('failing'))
    run = ansible.play([dict(task, ignore_errors=True) for task in FAILING])
    after = dict((tenant, sim.queues(tenant)) for tenant in (ACME, GLOBEX))
    return Outcome(run, before, after)


@pytest.mark.line_independent
def test_two_entries_resolving_to_one_queue_fail_before_any_put(failing):
    same = failing.run.task('same queue twice')
    assert same['status'] == 'failed'
    assert 'config[1] and config[2] both resolve to queue 1001226 (test)' in same['result']['msg']
    assert [(e['method'], e['path']) for e in failing.run.requests('same queue twice')] == [('GET', LIST)]
    assert failing.after[ACME][1001200] == failing.before[ACME][1001200]  # config[0] was not applied


@pytest.mark.line_independent
def test_name_beside_id_must_be_the_current_name(failing):
    wrong = failing.run.task('wrong name')
    assert wrong['status'] == 'failed'
    result = wrong['result']
    assert result['changed'] is True
    assert counts(result['summary']) == dict(total=2, changed=1, unchanged=0, failed=1)
    assert result['results'][0]['error'].startswith('config[0]')
    assert 'is named "test" now, not "not-test"' in result['results'][0]['error']
    assert result['results'][0]['changed'] is False and result['results'][0]['diff'] is None
    assert result['results'][1]['changed'] is True and result['results'][1]['error'] is None
    assert result['msg'].startswith('2 queue entries: 1 changed, 0 unchanged, 1 failed: config[0]: ') and 'not-test' in result['msg']
    assert [r['status'] for r in result['results']] == ['renamed', 'changed']
    assert puts_by_path(failing.run.requests('wrong name')) == {item(1001210): {'max_wait_sec': '121'}}


@pytest.mark.line_independent
def test_other_tenants_queue_fails_alone(failing):
    other = failing.run.task('other tenant')
    assert other['status'] == 'failed'
    result = other['result']
    assert counts(result['summary']) == dict(total=3, changed=2, unchanged=0, failed=1)
    assert [(r['id'], r['changed'], r['error'] is None) for r in result['results']] == [
        (1001211, True, True), (2002000, False, False), (1001212, True, True)]
    assert 'config[1]: queue 2002000 was not found' in result['results'][1]['error']
    assert puts_by_path(failing.run.requests('other tenant')) == {
        item(1001211): {'strategy': 3}, item(1001212): {'max_wait_sec': '30'}}
    assert failing.after[GLOBEX] == failing.before[GLOBEX]


@pytest.mark.line_independent
def test_ambiguous_name_fails_listing_the_ids(failing):
    ambiguous = failing.run.task('ambiguous')
    assert ambiguous['status'] == 'failed'
    result = ambiguous['result']
    assert counts(result['summary']) == dict(total=3, changed=1, unchanged=0, failed=2)
    error = result['results'][0]['error']
    assert error.startswith('config[0]') and 'named "support"' in error and '1001203, 1001217' in error
    assert result['results'][1]['changed'] is True
    assert 'config[2]: no inbound queue of this tenant is named "no such queue"' == result['results'][2]['error']
    assert puts_by_path(failing.run.requests('ambiguous')) == {item(1001228): {'strategy': 1}}


@pytest.mark.line_independent
def test_failing_entries_leave_the_rest_applied(failing):
    assert_only_changes(failing.before[ACME], failing.after[ACME], {
        1001210: {'timeWait': '121'}, 1001211: {'strategy': 3}, 1001212: {'timeWait': '30'},
        1001228: {'strategy': 1}})


# ---------------------------------------------------------------------------
# Faults in the middle of a run
# ---------------------------------------------------------------------------

@pytest.mark.line_independent
def test_faults_mid_run(ansible, sim):
    sim.config(page_size_cap=10)
    sim.faults([
        # The 3rd PUT of the first task gets a 503 once.
        dict(kind='gateway', status=503, method='PUT', path=r'/100121[0-5]$', skip=2, times=1),
        # A PUT that is applied, then the connection drops before the answer.
        dict(kind='lost_reply', method='PUT', path=r'/1001221$', times=1),
        # The 2nd list page of globex's first read: connection reset.
        dict(kind='reset', method='GET', path=r'^/v1/queues/inbound$', tenant=GLOBEX, skip=1, times=1),
        # A non-retryable 400 on one PUT.
        dict(kind='error', status=400, error_code='INVALID_INPUT', error_message='rejected (simulated)',
             method='PUT', path=r'/1001231$', times=1),
    ])
    seed = sim.queues(ACME)
    globex_seed = sim.queues(GLOBEX)
    run = ansible.play([
        bulk('gateway', [dict(id=qid, max_wait_sec=500) for qid in range(1001210, 1001216)]),
        bulk('lost reply', [dict(id=qid, strategy='divert') for qid in range(1001220, 1001223)]),
        bulk('list reset', [dict(id=qid, moh_file_id='globex.wav') for qid in range(2002003, 2002008)],
             api_key=GLOBEX_KEY),
        bulk('bad request', [dict(id=qid, announce_position=True) for qid in range(1001230, 1001234)],
             task=dict(ignore_errors=True)),
    ])
    assert 'Traceback' not in run.output
    fired = [rule['fired'] for rule in sim.faults()]
    assert fired == [1, 1, 1, 1]

    gateway = run.task('gateway')
    assert gateway['status'] == 'ok', gateway
    assert counts(gateway['result']['summary']) == dict(total=6, changed=6, unchanged=0, failed=0)
    puts = run.requests('gateway', 'PUT')
    assert [e['status'] for e in puts].count(503) == 1 and len(puts) == 7
    assert any('HTTP 503 x1' in w for w in gateway['result']['warnings']), gateway['result'].get('warnings')

    lost = run.task('lost reply')
    assert lost['status'] == 'ok', lost
    assert counts(lost['result']['summary']) == dict(total=3, changed=3, unchanged=0, failed=0)
    puts = run.requests('lost reply', 'PUT')
    assert [(e['status'], e['fault']) for e in puts if e['path'] == item(1001221)] == [
        (None, 'lost_reply'), (200, None)]
    assert len(puts) == 4

    reset = run.task('list reset')
    assert reset['status'] == 'ok', reset
    assert counts(reset['result']['summary']) == dict(total=5, changed=5, unchanged=0, failed=0)
    reads = list_reads(run.requests('list reset'))
    assert [(e['query']['page'], e['fault']) for e in reads[:4]] == [
        ('0', None), ('1', 'reset'), ('1', None), ('2', None)]
    assert len(reads) == 3 + 1 + 3  # 3 pages, the retried one, a 3-page re-list to verify 5 updates
    assert len(run.requests('list reset', 'PUT')) == 5

    bad = run.task('bad request')
    assert bad['status'] == 'failed'
    result = bad['result']
    # 1001232 already announces the position ("1").
    assert counts(result['summary']) == dict(total=4, changed=2, unchanged=1, failed=1)
    assert 'HTTP 400 INVALID_INPUT' in result['results'][1]['error']
    assert 'rejected (simulated)' in result['results'][1]['error']
    assert [r['changed'] for r in result['results']] == [True, False, False, True]
    puts = run.requests('bad request', 'PUT')
    assert len([e for e in puts if e['path'] == item(1001231)]) == 1  # a 400 is not retried

    changes = dict((qid, {'timeWait': '500'}) for qid in range(1001210, 1001216))
    changes.update((qid, {'strategy': 4}) for qid in range(1001220, 1001223))
    changes.update((qid, {'nguongRanhRoi': '1'}) for qid in (1001230, 1001233))
    assert_only_changes(seed, sim.queues(ACME), changes)
    assert_only_changes(globex_seed, sim.queues(GLOBEX),
                        dict((qid, {'musicinQueue': 'globex.wav'}) for qid in range(2002003, 2002008)))


# ---------------------------------------------------------------------------
# A binding rate limit
# ---------------------------------------------------------------------------

@pytest.mark.line_independent
def test_binding_rate_limit_is_paced(ansible, sim):
    seed = sim.queues(ACME)
    config = sim.config(tenant_limit=10, window=2)
    assert config['tenant_limit'] == 10 and config['window'] == 2
    wanted = [dict(id=qid, max_wait_sec=777) for qid in range(1001200, 1001230)]  # 30 changes
    started = time.time()
    run = ansible.play([bulk('paced', wanted, parallel=4)])
    elapsed = time.time() - started
    assert run.rc == 0, run.output
    result = run.result('paced')
    assert counts(result['summary']) == dict(total=30, changed=30, unchanged=0, failed=0)

    sent = run.requests('paced')
    statuses = [e['status'] for e in sent]
    too_many = statuses.count(429)
    served = [e for e in sent if e['status'] != 429]
    # 1 list page + 30 PUTs + 1 re-list, whatever was refused on the way.
    assert len(served) == 32
    assert len([e for e in served if e['method'] == 'PUT']) == 30
    # The limit really binds: 32 requests at 10 per 2-second window need at least 4 windows.
    assert len(set(int(e['ts'] // 2) for e in served)) >= 4
    # The client paces itself from the headers: few or no 429s.
    assert too_many <= 2, (too_many, statuses)
    print('rate limit: %d requests, %d answered 429, %.1f s' % (len(sent), too_many, elapsed))

    assert_only_changes(seed, sim.queues(ACME), dict((qid, {'timeWait': '777'}) for qid in range(1001200, 1001230)))
