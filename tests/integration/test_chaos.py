"""Fault injection: seeded random faults on a share of requests, through ansible-playbook.

The faults (tests/soak/chaos_mix.py): 429 in both shapes (API envelope and
Kong) with Retry-After 0, 1 or none; 502/503/504 as JSON and as text;
connection resets; replies lost after a PUT was applied; answers cut short;
answers slower than ``timeout``. Each rule has its own seed, so a run that
sends the same requests in the same order meets the same faults.

What must hold under them: every task succeeds within its retry budget; the
server ends up exactly in the desired state (no unmanaged field, no other
queue, no other tenant touched); a rerun sends no PUT. When the budget runs
out, the failure names the status, the error_code, the attempts and the last
Retry-After, without a traceback.
"""

import random

import pytest

from conftest import ACME, ACME_KEY, GLOBEX, GLOBEX_KEY, counts

from alohub_test import chaos_mix
from alohub_test.hostplay import play_on_hosts

# The HTTP client's behaviour, which no ansible-core line changes: the newest line only (make test).
pytestmark = pytest.mark.line_independent

INITECH = '20260312'
INITECH_KEY = 'sk_test_initech'
QUEUE = 'alohub.callcenter.inbound_queue'
QUEUES = 'alohub.callcenter.inbound_queues'
INFO = 'alohub.callcenter.inbound_queue_info'
VIETNAMESE = 'Ch\u0103m s\u00f3c kh\u00e1ch h\u00e0ng'  # queue 1001227 of the seed


def snapshot(sim):
    return dict((tenant, sim.queues(tenant)) for tenant in (ACME, GLOBEX, INITECH))


def chaos_defaults(ansible, **extra):
    options = dict(chaos_mix.CONNECTION)
    options.update(extra)
    return ansible.defaults(**options)


def assert_clean(run):
    """No module crashed: every failure is the module's own fail_json, not an unhandled exception.

    (ansible-core 2.19+ puts ``exception: (traceback unavailable)`` in every
    failed result; a crash shows as "Module failed: <exception text>" with no
    message of the module's own, or as MODULE FAILURE with module_stderr.)
    """
    assert 'Traceback' not in run.output, run.output[-3000:]
    for task in run.tasks:
        result = task['result']
        assert 'module_stderr' not in result and 'MODULE FAILURE' not in str(result.get('msg')), (task['task'], result)
        assert not str(result.get('msg', '')).startswith('Task failed: Module failed:'), (task['task'], result)


# One queue per task, per tenant; by id, by name, the Vietnamese name; some
# settings already as wanted ('waiting.wav' on 1001226), null fields.
SINGLE = {
    ACME: [
        ('four settings', dict(id=1001226, strategy='vip', max_wait_sec=180, announce_position=True, moh_file_id='waiting.wav')),
        ('all-null queue', dict(id=1001205, announce_position=False, strategy='locked')),
        ('unicode hold music', dict(id=1001207, max_wait_sec=3600, moh_file_id='nh\u1ea1c ch\u1edd.wav')),
        ('Vietnamese name', dict(name=VIETNAMESE, strategy='blacklist', announce_position=False)),
    ],
    GLOBEX: [
        ('globex by name', dict(name='it-helpdesk', max_wait_sec=0, strategy='2')),
        ('globex by id', dict(id=2002010, moh_file_id='globex.wav', announce_position=True)),
        ('globex strategy', dict(id=2002017, strategy=99)),
    ],
    INITECH: [
        ('initech by name', dict(name='printer', strategy='divert', max_wait_sec=45)),
        ('initech by id', dict(id=3003005, announce_position=True, moh_file_id='tps.wav')),
    ],
}
NAMES = {VIETNAMESE: 1001227, 'it-helpdesk': 2002004, 'printer': 3003001}
KEYS = {ACME: ACME_KEY, GLOBEX: GLOBEX_KEY, INITECH: INITECH_KEY}


def queue_of(args):
    return args['id'] if 'id' in args else NAMES[args['name']]


def test_inbound_queue_under_random_faults(ansible, sim):
    """Three tenants at once, each with its own seeded faults, each its tasks in order."""
    before = snapshot(sim)
    rules = []
    for number, tenant in enumerate(SINGLE):
        rules += chaos_mix.rules(share=0.3, seed=11 + number, tenant=tenant)
    sim.faults(rules)
    per_host = {}
    for tenant, cases in SINGLE.items():
        key = dict(api_key=KEYS[tenant])
        tasks = [dict(name='real %s' % label, diff=True, **{QUEUE: dict(args, **key)}) for label, args in cases]
        tasks += [dict(name='rerun %s' % label, **{QUEUE: dict(args, **key)}) for label, args in cases]
        tasks.append(dict(name='read all %s' % tenant, **{INFO: key}))
        per_host['t%s' % tenant] = tasks
    run = play_on_hosts(ansible, per_host, defaults=chaos_defaults(ansible))
    described = sim.faults()
    assert run.rc == 0, run.output[-4000:]
    assert_clean(run)

    expected = dict((tenant, dict(records)) for tenant, records in before.items())
    for tenant, cases in SINGLE.items():
        for label, args in cases:
            queue = queue_of(args)
            settings = dict((k, v) for k, v in args.items() if k not in ('id', 'name'))
            expected[tenant][queue] = chaos_mix.apply_settings(expected[tenant][queue], settings)
            real = run.result('real %s' % label)
            assert real['changed'] is (expected[tenant][queue] != before[tenant][queue]), label
            assert real['queue']['id'] == queue
            rerun = run.task('rerun %s' % label)
            assert rerun['status'] == 'ok' and rerun['result']['changed'] is False, (label, rerun['result'])
        listed = run.result('read all %s' % tenant)
        assert listed['total'] == len(before[tenant])
        assert sorted(q['id'] for q in listed['queues']) == sorted(before[tenant])
    # Every PUT came from a real run of its own queue; no rerun sent a PUT (one tenant per host).
    for tenant, cases in SINGLE.items():
        puts = [e for e in run.all_requests if e['tenant'] == tenant and e['method'] == 'PUT']
        assert sorted(set(int(e['path'].rsplit('/', 1)[1]) for e in puts)) == sorted(
            q for q in expected[tenant] if expected[tenant][q] != before[tenant][q]), tenant
        for label, args in cases:
            assert set(e['path'] for e in run.requests('real %s' % label, 'PUT', tenant=tenant)) <= {
                '/v1/queues/inbound/%d' % queue_of(args)}, label
            assert run.requests('rerun %s' % label, 'PUT', tenant=tenant) == [], 'the rerun of %s sent a PUT' % label
        assert run.requests('read all %s' % tenant, 'PUT', tenant=tenant) == []
    # Exactly the desired state: every field of every queue of every tenant.
    assert snapshot(sim) == expected

    faults = chaos_mix.fired(described)
    hit = [e for e in run.all_requests if e['fault']]
    print('inbound_queue chaos: %d requests, %d faulted: %s' % (len(run.all_requests), len(hit), faults))
    # Enough faults that the run means something (the seeds decide the exact mix).
    assert sum(faults.values()) >= 8 and len(hit) == sum(faults.values()), faults
    assert len([k for k, v in faults.items() if v]) >= 5, faults
    warned = [t['task'] for t in run.tasks if any('retr' in w for w in t['result'].get('warnings', []))]
    assert warned, 'no task reported its retries'


def bulk_config(seed, ids, unique, count):
    """``count`` entries over ``ids``: some by id, some by unique name, random settings."""
    rng = random.Random(seed)
    ids = list(ids)
    rng.shuffle(ids)
    config = []
    for queue in ids[:count]:
        entry = dict(name=unique[queue]) if queue in unique and rng.random() < 0.7 else dict(id=queue)
        for option, choices in (('strategy', [1, 2, 3, 4, 99, 'vip', 'divert', '3']),
                                ('moh_file_id', ['waiting.wav', 'jazz.mp3', 'soak-%d.wav' % rng.randint(0, 9)]),
                                ('max_wait_sec', [0, 45, 120, 300, 900]),
                                ('announce_position', [True, False])):
            if rng.random() < 0.6:
                entry[option] = rng.choice(choices)
        if len(entry) == 1:
            entry['max_wait_sec'] = rng.randint(1, 999)
        config.append(entry)
    return config


BULK = {
    # tenant: (seed, ids, unique names, entries)
    ACME: (5, range(1001200, 1001242),
           {1001228: 'hanoi', 1001229: 'saigon', 1001230: 'danang', 1001227: VIETNAMESE, 1001240: 'training'}, 30),
    GLOBEX: (6, range(2002000, 2002025), {2002000: 'globex-main', 2002004: 'it-helpdesk', 2002007: 'legal'}, 15),
}


def test_inbound_queues_under_random_faults(ansible, sim):
    """Two tenants at once, 45 entries, paged reads (10 per page), parallel PUTs, all under faults."""
    before = snapshot(sim)
    sim.config(page_size_cap=10)  # several pages per read: pagination under faults too
    # Besides the random mix, two faults at fixed places, so that every run has them:
    # replies lost after acme's 4th and 5th PUT were applied, and globex's 3rd PUT
    # answered only after the client gave up (the server applies it late).
    rules = [dict(kind='lost_reply', method='PUT', tenant=ACME, skip=3, times=2, comment='reply lost after the PUT was applied'),
             dict(kind='delay', method='PUT', tenant=GLOBEX, skip=2, times=1, delay_ms=chaos_mix.DELAY_MS,
                  comment='answer slower than timeout')]
    for number, tenant in enumerate(BULK):
        rules += chaos_mix.rules(share=0.3, seed=23 + number, tenant=tenant)
    sim.faults(rules)
    per_host, configs = {}, {}
    for tenant, (seed, ids, unique, count) in BULK.items():
        configs[tenant] = bulk_config(seed, ids, unique, count)
        args = dict(config=configs[tenant], parallel=4, api_key=KEYS[tenant])
        per_host['t%s' % tenant] = [
            dict(name='check %s' % tenant, check_mode=True, diff=True, **{QUEUES: args}),
            dict(name='real %s' % tenant, diff=True, **{QUEUES: args}),
            dict(name='rerun %s' % tenant, **{QUEUES: args}),
            dict(name='gathered %s' % tenant, **{QUEUES: dict(state='gathered', api_key=KEYS[tenant])}),
        ]
    run = play_on_hosts(ansible, per_host, defaults=chaos_defaults(ansible))
    described = sim.faults()
    assert run.rc == 0, run.output[-4000:]
    assert_clean(run)

    expected = dict((tenant, dict(records)) for tenant, records in before.items())
    for tenant, (seed, ids, unique, count) in BULK.items():
        by_name = dict((v, k) for k, v in unique.items())
        for entry in configs[tenant]:
            queue = entry['id'] if 'id' in entry else by_name[entry['name']]
            expected[tenant][queue] = chaos_mix.apply_settings(expected[tenant][queue], entry)
        changed = sorted(q for q in expected[tenant] if expected[tenant][q] != before[tenant][q])
        assert len(changed) >= count // 2

        check = run.result('check %s' % tenant)
        assert counts(check['summary']) == dict(total=count, changed=len(changed), unchanged=count - len(changed), failed=0)
        real = run.result('real %s' % tenant)
        assert counts(real['summary']) == counts(check['summary']), real['summary']
        # One PUT per changed queue, all while "real" ran, plus repeats of PUTs that met a fault.
        puts = [e for e in run.all_requests if e['tenant'] == tenant and e['method'] == 'PUT']
        assert sorted(set(int(e['path'].rsplit('/', 1)[1]) for e in puts)) == changed
        assert puts == run.requests('real %s' % tenant, 'PUT', tenant=tenant), 'a PUT outside the real run (check or rerun)'
        assert len(puts) - len(changed) <= len([e for e in puts if e['fault']]), 'a PUT was repeated that met no fault'
        rerun = run.result('rerun %s' % tenant)
        assert rerun['changed'] is False and rerun['summary']['unchanged'] == count

        gathered = dict((q['id'], q) for q in run.result('gathered %s' % tenant)['gathered'])
        assert sorted(gathered) == sorted(expected[tenant])
        for queue, record in expected[tenant].items():
            for option, (field, dummy) in chaos_mix.WIRE.items():
                assert gathered[queue][option] == chaos_mix.normalised_value(option, record[field]), (queue, option)
    assert snapshot(sim) == expected

    faults = chaos_mix.fired(described)
    print('inbound_queues chaos: %d requests, %d faulted: %s' % (len(run.all_requests), sum(faults.values()), faults))
    assert sum(faults.values()) >= 15, faults
    assert len([k for k, v in faults.items() if v]) >= 8, faults


# Always-on faults on chosen queues: the retry budget runs out.
BUDGET_RULES = [
    dict(kind='rate_limit', path='/1001201$', retry_after=1),
    dict(kind='rate_limit_kong', path='/1001202$', retry_after=0),
    dict(kind='rate_limit', path='/1001203$', retry_after=30),
    dict(kind='gateway', method='PUT', path='/1001204$', status=503, format='text'),
    dict(kind='reset', path='/1001206$'),
    dict(kind='delay', path='/1001207$', delay_ms=2500),
    dict(kind='lost_reply', method='PUT', path='/1001208$'),
    dict(kind='gateway', method='PUT', path='/1001209$', status=502, format='json'),
    dict(kind='rate_limit_kong', path='/1001210$'),
]


def test_budget_runs_out_with_a_clear_failure(ansible, sim):
    before = snapshot(sim)
    sim.faults(BUDGET_RULES)

    def one(name, queue, **extra):
        return dict(name=name, ignore_errors=True, **{QUEUE: dict(id=queue, max_wait_sec=777, **extra)})

    # Independent cases, so three hosts run them at once and their waits overlap.
    run = play_on_hosts(ansible, {
        'h1': [one('429 envelope', 1001201), one('429 kong', 1001202), one('retry-after above max', 1001203),
               one('503 text on PUT', 1001204)],
        'h2': [one('slower than timeout', 1001207, timeout=1, retries=1), one('reply lost on PUT', 1001208),
               dict(name='rerun after lost reply', **{QUEUE: dict(id=1001208, max_wait_sec=777)})],
        'h3': [one('reset', 1001206), one('backoff without retry-after', 1001210, retries=3),
               dict(name='bulk, one queue always 502', ignore_errors=True, **{QUEUES: dict(config=[
                   dict(id=1001209, max_wait_sec=777), dict(id=1001211, max_wait_sec=777), dict(id=1001212, strategy=99)])})],
    }, defaults=ansible.defaults(retries=2, max_retry_wait=1))
    assert_clean(run)

    def failed(name):
        task = run.task(name)
        assert task['status'] == 'failed', (name, task['result'])
        return task['result']

    result = failed('429 envelope')
    assert (result['status'], result['error_code'], result['attempts'], result['retry_after']) == (429, 'RATE_LIMIT_EXCEEDED', 3, 1)
    assert '/v1/queues/inbound/1001201 failed: HTTP 429 RATE_LIMIT_EXCEEDED' in result['msg']
    assert 'after 3 attempts, last Retry-After 1 s' in result['msg']
    assert len([e for e in run.all_requests if e['path'].endswith('/1001201')]) == 3

    # Retry-After 0 asks for no wait at all: it is treated as absent, and the back-off applies.
    result = failed('429 kong')
    assert (result['status'], result.get('error_code'), result['attempts'], result.get('retry_after')) == (429, None, 3, None)
    assert 'HTTP 429 (API rate limit exceeded) after 3 attempts. Hint:' in result['msg']

    result = failed('retry-after above max')
    assert (result['status'], result['attempts'], result['retry_after']) == (429, 1, 30)
    assert 'Retry-After exceeds max_retry_wait (1 s)' in result['msg']
    assert len([e for e in run.all_requests if e['path'].endswith('/1001203')]) == 1

    result = failed('503 text on PUT')
    assert (result['status'], result['attempts'], result['method']) == (503, 3, 'PUT')
    assert 'HTTP 503 (The upstream server is currently unavailable) after 3 attempts' in result['msg']

    result = failed('reset')
    assert 'connection closed without an answer after 3 attempts' in result['msg'] and result['attempts'] == 3

    result = failed('slower than timeout')
    assert 'no complete answer within timeout (1 s) after 2 attempts' in result['msg']

    # The PUT was applied each time, only the reply was lost: the task fails,
    # the queue has the value, and a rerun converges without a PUT.
    result = failed('reply lost on PUT')
    assert '/v1/queues/inbound/1001208 failed: connection closed without an answer after 3 attempts' in result['msg']
    assert 'the update may have reached the server' in result['msg']
    assert run.result('rerun after lost reply')['changed'] is False
    assert len([e for e in run.all_requests if e['path'].endswith('/1001208') and e['method'] == 'PUT']) == 3

    result = failed('backoff without retry-after')
    assert (result['status'], result['attempts']) == (429, 4) and 'Retry-After' not in result['msg']

    bulk = failed('bulk, one queue always 502')
    assert counts(bulk['summary']) == dict(total=3, changed=2, unchanged=0, failed=1)
    errors = dict((r['id'], r['error']) for r in bulk['results'])
    assert '/v1/queues/inbound/1001209 failed: HTTP 502' in errors[1001209] and 'after 3 attempts' in errors[1001209]
    assert errors[1001211] is None and errors[1001212] is None
    assert bulk['msg'].startswith('3 queue entries: 2 changed, 0 unchanged, 1 failed: ')

    after = snapshot(sim)
    assert after[GLOBEX] == before[GLOBEX] and after[INITECH] == before[INITECH]
    acme = after[ACME]
    assert acme[1001208]['timeWait'] == '777'           # applied although the reply was lost
    assert acme[1001211]['timeWait'] == '777' and acme[1001212]['strategy'] == 99
    for untouched in (1001201, 1001202, 1001203, 1001204, 1001206, 1001209, 1001210):
        assert acme[untouched] == before[ACME][untouched], untouched
