# -*- coding: utf-8 -*-
# Copyright: (c) 2026, AloHub collection maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""The event source alohub.callcenter.queue_changes, in process, against the real simulator.

Each test drives the source one poll at a time (``QueueWatch.poll_once``) on an asyncio queue and
changes the tenant through the simulator's admin API in between. Nothing really sleeps: the source's
own waits and the transport's retry waits are recorded, and where a test is about rate-limit
windows the simulator's clock is frozen and moved by exactly the waits the source asked for.
tests/integration/test_eda_rulebook.py runs the same source under the real ansible-rulebook.
"""

from __future__ import annotations

import asyncio
import http.client
import inspect
import json
import os
import re
import runpy
import subprocess
import sys

import pytest
import yaml

from alohub_sim.harness import ACME, ACME_KEY, GLOBEX, Simulator

from ansible_collections.alohub.callcenter.extensions.eda.plugins.event_source import queue_changes as qc
from ansible_collections.alohub.callcenter.plugins.doc_fragments.connection import ModuleDocFragment
from ansible_collections.alohub.callcenter.plugins.filter.queues import drift_report
from ansible_collections.alohub.callcenter.plugins.module_utils import reconcile
from ansible_collections.alohub.callcenter.plugins.module_utils.client import QueueClient
from ansible_collections.alohub.callcenter.plugins.module_utils.transport import Transport

SOURCE_FILE = qc.__file__
HOSTILE = "{{ lookup('ansible.builtin.pipe', 'touch /tmp/alohub-eda-pwned') }}{% raw %}x{% endraw %}"
TEST = 1001226          # ACME's queue named "test": strategy 1, musicinQueue waiting.wav, timeWait "120"
SALES = 1001201         # ACME's "sales": strategy 2, timeWait 60, nguongRanhRoi off


def run(coro):
    return asyncio.run(coro)


class Time:
    """The source's clock and sleep: sleeping records the wait and moves the clock (and a frozen simulator clock)."""

    def __init__(self, sim=None):
        self.now = 1000.0
        self.waits = []
        self.request_waits = []
        self.sim = sim

    def clock(self):
        return self.now

    def wall(self):
        return 1796000000.0 + self.now

    async def sleep(self, seconds):
        self.waits.append(seconds)
        self.advance(seconds)

    def request_sleep(self, seconds):
        self.request_waits.append(seconds)

    def advance(self, seconds):
        self.now += seconds
        if self.sim is not None:
            self.sim.clock(advance=seconds)


@pytest.fixture(scope='module')
def simulator():
    with Simulator() as sim:
        yield sim


@pytest.fixture
def sim(simulator):
    simulator.reset()
    yield simulator


def connection(sim, **extra):
    args = dict(api_url=sim.url, api_key=ACME_KEY, tenant_id=ACME, interval=60)
    args.update(extra)
    return args


def watch(sim, clock=None, rng=lambda: 1.0, **args):
    clock = clock or Time()
    source = qc.QueueWatch(connection(sim, **args), sleep=clock.sleep, clock=clock.clock, wall=clock.wall,
                           request_sleep=clock.request_sleep, rng=rng, environ={})
    source.time = clock
    source.events = asyncio.Queue()
    return source


def poll(source):
    """One poll; (its events, the wait it asked for before the next)."""
    delay = run(source.poll_once(source.events))
    events = []
    while not source.events.empty():
        events.append(source.events.get_nowait())
    return events, delay


def api_requests(sim):
    return [entry for entry in sim.requests() if entry['path'].startswith('/v1/')]


# ---------------------------------------------------------------------------
# changes mode
# ---------------------------------------------------------------------------

def test_first_poll_is_the_baseline_and_sends_nothing(sim):
    source = watch(sim)
    events, delay = poll(source)
    assert events == []
    assert delay == 60
    assert len(api_requests(sim)) == 1  # 42 queues: one page
    events, delay = poll(source)
    assert events == [] and delay == 60


def test_a_change_in_the_ui_is_one_changed_event_with_normalised_values(sim):
    source = watch(sim)
    poll(source)
    sim.set_queue(ACME, SALES, timeWait='90', nguongRanhRoi='1', strategy='4')
    events, dummy = poll(source)
    assert len(events) == 1
    event = events[0]
    assert event['alohub_event'] == 'changed'
    assert event['queue'] == dict(id=SALES, name='sales')
    assert event['changes'] == [dict(setting='strategy', before=2, after=4),
                                dict(setting='max_wait_sec', before=60, after=90),
                                dict(setting='announce_position', before=False, after=True)]
    assert event['record']['strategy_name'] == 'divert' and event['record']['max_wait_sec'] == 90
    assert event['target'] == dict(api_url=sim.url, tenant_id=ACME)
    assert event['mode'] == 'changes' and event['poll'] == 2
    assert event['time'].endswith('Z') and event['time'].startswith('20')
    assert 'max_wait_sec 60 -> 90' in event['message']
    assert json.loads(json.dumps(event)) == event  # plain JSON, as ansible-rulebook hands it to the rules engine
    assert poll(source)[0] == []  # reported once


def test_created_and_removed_queues(sim):
    source = watch(sim)
    poll(source)
    sim.delete_queue(ACME, SALES)
    sim.set_queue(ACME, 1009999, callinName='night line', timeWait='30')
    events, dummy = poll(source)
    kinds = dict((event['alohub_event'], event) for event in events)
    assert sorted(kinds) == ['created', 'removed']
    created, removed = kinds['created'], kinds['removed']
    assert created['queue'] == dict(id=1009999, name='night line')
    assert created['changes'] == [dict(setting='name', before=None, after='night line'),
                                  dict(setting='max_wait_sec', before=None, after=30)]
    assert removed['queue'] == dict(id=SALES, name='sales')
    assert removed['record']['strategy'] == 2
    assert dict(setting='strategy', before=2, after=None) in removed['changes']


@pytest.mark.parametrize('fault, config', [
    ([dict(kind='total_offset', offset=1)], {}),                       # totalRecord says one queue more
    ([dict(kind='body', method='GET', path='^/v1/queues/inbound$', skip=1, times=2,
           body=json.dumps(dict(success=True, totalRecord=42, data=[])))], dict(page_size_cap=20)),  # a short page
], ids=['total_offset', 'empty_page'])
def test_a_list_that_cannot_be_read_whole_is_an_error_never_removed_events(sim, fault, config):
    source = watch(sim)
    poll(source)
    sim.config(**config)
    sim.faults(fault)
    events, delay = poll(source)
    assert [event['alohub_event'] for event in events] == ['error']
    assert 'could not be read whole' in events[0]['message']
    assert events[0]['queue'] == dict(id=None, name=None) and events[0]['changes'] == []
    assert events[0]['error']['kind'] == 'ResponseError'
    assert delay > 60
    sim.faults([])
    sim.set_queue(ACME, TEST, timeWait='121')
    events, delay = poll(source)
    assert [(e['alohub_event'], e['queue']['id']) for e in events] == [('changed', TEST)]  # the old baseline held
    assert delay == 60


def test_a_429_storm_backs_off_and_honours_retry_after(sim):
    source = watch(sim, retries=1, rng=lambda: 1.0)
    poll(source)
    sim.set_queue(ACME, TEST, timeWait='7')
    sim.faults([dict(kind='rate_limit', retry_after=3, times=1000)])
    waits = []
    for expected in (120, 240, 480, 600, 600):
        sim.clear_requests()
        events, delay = poll(source)
        assert [event['alohub_event'] for event in events] == ['error']
        assert events[0]['error']['status'] == 429
        assert 'HTTP 429' in events[0]['message'] and events[0]['failures'] == len(waits) + 1
        assert len(api_requests(sim)) == 2           # one attempt and one retry (retries: 1) per poll
        waits.append(delay)
        assert delay == expected                     # twice the interval, doubling, up to max_backoff
    assert source.time.request_waits == [3] * 5      # the transport waited the Retry-After before its retry
    sim.faults([])
    events, delay = poll(source)
    assert [(e['alohub_event'], e['queue']['id']) for e in events] == [('changed', TEST)]
    assert delay == 60


def test_a_retry_after_longer_than_the_back_off_is_waited(sim):
    source = watch(sim, retries=0, max_retry_wait=60)
    poll(source)
    sim.faults([dict(kind='rate_limit', retry_after=3000, times=5)])
    events, delay = poll(source)
    assert events[0]['alohub_event'] == 'error' and 'Retry-After' in events[0]['message']
    assert delay == 3000


def test_back_off_has_jitter_but_never_waits_less_than_the_interval(sim):
    source = watch(sim, rng=lambda: 0.0, retries=0)
    poll(source)
    sim.faults([dict(kind='gateway', status=502, times=10)])
    delays = [poll(source)[1] for dummy in range(3)]
    assert delays == [60, 120, 240]  # equal jitter at its low end: half of 120, 240, 480


def test_a_gateway_outage_is_errors_then_recovery(sim):
    source = watch(sim, retries=2, interval=30)
    poll(source)
    sim.faults([dict(kind='gateway', status=503, times=9)])
    sim.set_queue(ACME, SALES, timeWait='75')          # changed during the outage
    outcomes = [poll(source) for dummy in range(3)]
    for events, delay in outcomes:
        assert [event['alohub_event'] for event in events] == ['error']
        assert 'HTTP 503' in events[0]['message'] and 'after 3 attempts' in events[0]['message']
    assert [delay for dummy, delay in outcomes] == [60, 120, 240]
    assert [events[0]['next_poll_in'] for events, dummy in outcomes] == [60, 120, 240]
    events, delay = poll(source)                        # the gateway is back
    assert [(e['alohub_event'], e['changes']) for e in events] == [
        ('changed', [dict(setting='max_wait_sec', before=60, after=75)])]
    assert delay == 30
    assert source.stats['failed'] == 3 and source.stats['polls'] == 5


def test_an_unexpected_failure_is_an_error_event_too(sim, monkeypatch):
    source = watch(sim)

    def broken(queue_client):
        raise KeyError('boom')

    monkeypatch.setattr(qc, 'read_tenant', broken)
    events, delay = poll(source)
    assert events[0]['alohub_event'] == 'error' and events[0]['message'] == "unexpected KeyError: 'boom'"
    assert delay >= 60


def test_the_key_is_never_in_an_event_or_a_log_line(sim, caplog):
    # A gateway that echoes the key in its error body, and a queue named after the key.
    caplog.set_level('DEBUG', logger='alohub.callcenter.queue_changes')
    source = watch(sim, retries=0)
    poll(source)
    sim.faults([dict(kind='body', status=500, body=json.dumps(dict(message='bad key %s' % ACME_KEY)), times=1)])
    events, dummy = poll(source)
    assert events[0]['alohub_event'] == 'error'
    sim.set_queue(ACME, TEST, callinName='copy of %s' % ACME_KEY)
    events += poll(source)[0]
    text = json.dumps(events)
    assert ACME_KEY not in text and '********' in text
    assert 'poll 2 failed' in caplog.text and ACME_KEY not in caplog.text


def test_a_hostile_name_stays_exact_data(sim, tmp_path):
    source = watch(sim)
    poll(source)
    sim.set_queue(ACME, TEST, callinName=HOSTILE)
    sim.set_queue(ACME, 1009999, callinName='{{ 7 * 7 }}')
    events, dummy = poll(source)
    by_id = dict((event['queue']['id'], event) for event in events)
    assert by_id[TEST]['queue']['name'] == HOSTILE
    assert by_id[TEST]['changes'][0] == dict(setting='name', before='test', after=HOSTILE)
    assert by_id[1009999]['queue']['name'] == '{{ 7 * 7 }}'
    assert type(by_id[TEST]['queue']['name']) is str  # pylint: disable=unidiomatic-typecheck
    assert not os.path.exists('/tmp/alohub-eda-pwned')


# ---------------------------------------------------------------------------
# the rate-limit budget
# ---------------------------------------------------------------------------

BIG = '20269999'
BIG_KEY = 'sk_test_big_tenant'


def big_tenant(sim, queues, tenant_limit, window=60):
    sim.reset(tenants={BIG: dict(keys={BIG_KEY: ['queue']}, queues=queues)})
    sim.config(tenant_limit=tenant_limit, route_limit=0, window=window, page_size_cap=100)  # 100 a page, as the API
    sim.clock(freeze=1800000000)  # the start of a window (1800000000 is a multiple of 60)
    return Time(sim)


def test_the_budget_stretches_the_interval_to_the_next_window(sim):
    clock = big_tenant(sim, queues=250, tenant_limit=20)   # 3 pages per poll; limit 20 requests a minute
    source = watch(sim, clock=clock, api_key=BIG_KEY, tenant_id=BIG, interval=10, rate_limit_share=0.5)
    delays = []
    for dummy in range(6):
        events, delay = poll(source)
        assert events == []
        delays.append(delay)
        clock.advance(delay)
    # An allowance of 10 a window: polls 1-3 take 9 requests, a 4th would make 12, so after the third the
    # source waits out the window (40 s of it were left, plus a second's margin), and the next window goes the
    # same way. RateLimit-Reset is whole seconds (rounded up), so a wait lands within a second of that.
    assert delays[:2] == [10, 10] and delays[3:5] == [10, 10]
    assert 39 <= delays[2] <= 42 and 39 <= delays[5] <= 42
    assert len(api_requests(sim)) == 18


def test_the_source_never_spends_more_than_its_share_of_a_window(sim):
    clock = big_tenant(sim, queues=250, tenant_limit=20)
    source = watch(sim, clock=clock, api_key=BIG_KEY, tenant_id=BIG, interval=10, rate_limit_share=0.5)
    per_window = {}
    while clock.now < 1000 + 4 * 60:          # four windows of 60 s, by the simulator's (frozen) clock
        window = int((clock.now - 1000) // 60)
        start = sim.mark()
        delay = poll(source)[1]
        per_window[window] = per_window.get(window, 0) + sim.mark() - start
        clock.advance(delay)
    assert all(count <= 10 for count in per_window.values()), per_window   # 50 % of 20 a window
    assert sum(per_window.values()) >= 30, per_window


def test_a_poll_larger_than_the_allowance_is_spread_over_windows(sim):
    clock = big_tenant(sim, queues=500, tenant_limit=40)    # 5 pages; 10 % of 40 is 4 a window
    source = watch(sim, clock=clock, api_key=BIG_KEY, tenant_id=BIG, interval=10)
    delays = []
    for dummy in range(3):
        delays.append(poll(source)[1])
        clock.advance(delays[-1])
    # 5 requests, at most 4 a window: the rest of this window (and a second) and one more window, so
    # 2.5 a window on average.
    assert all(119 <= delay <= 122 for delay in delays), delays


def test_a_window_spent_by_other_jobs_makes_the_source_wait_for_the_next(sim):
    clock = big_tenant(sim, queues=250, tenant_limit=20)
    for dummy in range(15):  # other jobs of the tenant take 15 of the window's 20 requests
        conn = http.client.HTTPConnection('127.0.0.1', sim.port, timeout=10)
        conn.request('GET', '/v1/queues/inbound?page=0&size=1', headers={'Authorization': BIG_KEY})
        assert conn.getresponse().status == 200
        conn.close()
    source = watch(sim, clock=clock, api_key=BIG_KEY, tenant_id=BIG, interval=10, rate_limit_share=1)
    events, delay = poll(source)
    assert events == []
    assert 60 <= delay <= 61   # 2 left: less than a poll, so the source waits for the next window (and a second)


def test_without_rate_limit_headers_only_the_interval_applies(sim):
    sim.config(tenant_limit=0, route_limit=0)
    source = watch(sim, interval=5)
    assert [poll(source)[1] for dummy in range(3)] == [5, 5, 5]


@pytest.mark.parametrize('cost, rate, used_before, expected', [
    (1, dict(limit=None, remaining=None, reset_in=None), 0, 60),        # no headers: the interval
    (5, dict(limit=1000, remaining=900, reset_in=200), 0, 60),          # 5 + 5 of an allowance of 100
    (5, dict(limit=100, remaining=90, reset_in=200), 0, 60),            # 5 + 5 of 10: the next poll fits exactly
    (5, dict(limit=100, remaining=85, reset_in=200), 1, 201),           # 6 + 5 > 10: wait for the next window
    (5, dict(limit=100, remaining=75, reset_in=8), 10, 60),             # over, but the window ends within the interval
    (5, dict(limit=1000, remaining=3, reset_in=100), 0, 101),           # the tenant has less than a poll left
], ids=['no-headers', 'plenty', 'fits', 'over', 'window-ends-first', 'tenant-spent'])
def test_pacer_after_poll(cost, rate, used_before, expected):
    pacer = qc.Pacer(60, 0.1, 600)
    if used_before:
        pacer._count(used_before, rate, 0.0)  # pylint: disable=protected-access
    delay, reason = pacer.after_poll(cost, rate, 0.0)
    assert delay == expected
    assert (reason is None) == (expected == 60)


def test_pacer_spreads_a_poll_bigger_than_the_allowance():
    pacer = qc.Pacer(10, 0.1, 600)
    pacer._count(0, dict(reset_in=60), -30.0)  # pylint: disable=protected-access  # a window of 60 s was seen
    # 5 requests with an allowance of 2: this window's 30 s and two more windows.
    assert pacer.after_poll(5, dict(limit=20, remaining=15, reset_in=30), 0.0)[0] == 30 + 1 + 2 * 60


def test_pacer_back_off():
    pacer = qc.Pacer(10, 0.1, 100, rng=lambda: 0.5)
    assert [pacer.after_failure(1, {}, 0.0) for dummy in range(6)] == [15, 30, 60, 75, 75, 75]
    assert pacer.after_failure(1, {}, 0.0, retry_after=500) == 500
    pacer.after_poll(1, {}, 0.0)
    assert pacer.failures == 0 and pacer.after_failure(1, {}, 0.0) == 15


# ---------------------------------------------------------------------------
# drift mode
# ---------------------------------------------------------------------------

def queues_file(tmp_path, entries, name='queues.yml'):
    path = tmp_path / name
    path.write_text(yaml.safe_dump({'alohub_inbound_queues': entries}))
    return str(path)


def drift_watch(sim, tmp_path, entries, **args):
    return watch(sim, mode='drift', queues_file=queues_file(tmp_path, entries), **args)


FILE = [dict(id=TEST, name='test', strategy=1, moh_file_id='waiting.wav', max_wait_sec=120),
        dict(id=SALES, name='sales', strategy='vip', max_wait_sec=60)]


def test_drift_is_reported_when_it_appears_and_when_it_clears(sim, tmp_path):
    source = drift_watch(sim, tmp_path, FILE)
    assert poll(source)[0] == []
    sim.set_queue(ACME, TEST, timeWait='300')
    events, delay = poll(source)
    assert len(events) == 1 and delay == 60
    event = events[0]
    assert event['alohub_event'] == 'drift' and event['status'] == 'drift'
    assert event['queue'] == dict(id=TEST, name='test')
    assert event['changes'] == [dict(setting='max_wait_sec', before=300, after=120)]  # live -> file, as drift.yml says
    assert event['queues_file'] == os.path.join(str(tmp_path), 'queues.yml')
    assert 'max_wait_sec 300 -> 120' in event['message']
    assert poll(source)[0] == []                          # not at every poll
    sim.set_queue(ACME, TEST, timeWait='301')
    events = poll(source)[0]
    assert [(e['alohub_event'], e['changes'][0]['before']) for e in events] == [('drift', 301)]  # it changed: again
    sim.set_queue(ACME, TEST, timeWait='120')
    events = poll(source)[0]
    assert [e['alohub_event'] for e in events] == ['drift_cleared']
    assert events[0]['previous'] == dict(status='drift', changes=[dict(setting='max_wait_sec', before=301, after=120)])
    assert poll(source)[0] == []


def test_drift_at_start_is_reported_and_missing_or_renamed_queues_are_drift(sim, tmp_path):
    sim.set_queue(ACME, SALES, callinName='sales-old')
    entries = FILE + [dict(id=4242, max_wait_sec=5), dict(name='no such queue', max_wait_sec=5)]
    source = drift_watch(sim, tmp_path, entries)
    events = poll(source)[0]
    by_status = dict((event['status'], event) for event in events)
    assert sorted(by_status) == ['missing', 'renamed']
    assert len(events) == 3
    missing = [event for event in events if event['status'] == 'missing']
    assert sorted(str(event['queue']) for event in missing) == sorted([
        str(dict(id=4242, name=None)), str(dict(id=None, name='no such queue'))])
    assert by_status['renamed']['queue'] == dict(id=SALES, name='sales')  # the bulk module names the entry
    assert '"sales-old"' in by_status['renamed']['message'] and 'names cannot be changed' in by_status['renamed']['message']


def test_strict_drift_counts_queues_the_file_leaves_out(sim, tmp_path):
    source = drift_watch(sim, tmp_path, FILE, strict=True)
    events = poll(source)[0]
    unmanaged = [event for event in events if event['status'] == 'unmanaged']
    assert sorted(event['queue']['id'] for event in unmanaged) == sorted(set(sim.queues(ACME)) - set([TEST, SALES]))
    assert all('not in config' in event['unmanageable'][0]['reason'] for event in unmanaged)
    # sales has announce_position off, which the file leaves unset: drift under strict, with the reason.
    sales = [event for event in events if event['queue']['id'] == SALES]
    assert [(event['status'], event['unmanageable'][0]['setting']) for event in sales] == [('drift', 'announce_position')]


def test_drift_words_are_drift_yml_words(sim, tmp_path):
    """The statuses of the events are the drift report's (plugins/filter drift_report), queue by queue."""
    sim.set_queue(ACME, SALES, callinName='renamed')
    sim.set_queue(ACME, TEST, timeWait='5')
    entries = FILE + [dict(id=4242, max_wait_sec=5), dict(id=1001202, max_wait_sec=None)]
    for strict in (False, True):
        queue_client = QueueClient(Transport(dict(api_url=sim.url, api_key=ACME_KEY, auth_header='authorization',
                                                  tenant_id=None, validate_certs=True, ca_path=None, timeout=10,
                                                  retries=0, max_retry_wait=1, retry_budget=1)))
        try:
            result = reconcile.sync_many(queue_client, 'overridden' if strict else 'merged', config=entries, check_mode=True)
        except reconcile.BulkFailure as failure:
            result = failure.details
        report = drift_report(result, 'q.yml', strict)
        rows = qc.compare_with_file(queue_client, entries, strict)
        assert sorted((row['id'], row['status']) for row in rows) == sorted(
            (queue['id'], str(queue['status'])) for queue in report['queues'])


def test_a_drifting_queue_removed_from_the_file_clears(sim, tmp_path):
    sim.set_queue(ACME, TEST, timeWait='300')
    source = drift_watch(sim, tmp_path, FILE)
    assert [e['alohub_event'] for e in poll(source)[0]] == ['drift']
    queues_file(tmp_path, FILE[1:])
    os.utime(os.path.join(str(tmp_path), 'queues.yml'), ns=(1, 1))  # a new stamp whatever the clock's resolution
    events = poll(source)[0]
    assert [(e['alohub_event'], e['queue']['id']) for e in events] == [('drift_cleared', TEST)]
    assert 'no longer lists it' in events[0]['message']


def test_a_queues_file_broken_while_running_is_an_error_event(sim, tmp_path):
    source = drift_watch(sim, tmp_path, FILE)
    poll(source)
    path = os.path.join(str(tmp_path), 'queues.yml')
    with open(path, 'w') as handle:
        handle.write('alohub_inbound_queues: [{id: 1, max_wait_sec: -5}]\n')
    events, delay = poll(source)
    assert [e['alohub_event'] for e in events] == ['error']
    assert 'max_wait_sec must be 0 or more' in events[0]['message'] and delay > 60


def test_an_entry_that_fails_is_one_error_event_not_one_per_poll(sim, tmp_path, monkeypatch):
    rows = [dict(key='id 1', id=1, name='x', status='failed', changes=[], unmanageable=[], message='it broke')]
    monkeypatch.setattr(qc, 'compare_with_file', lambda *args: rows)
    source = drift_watch(sim, tmp_path, FILE)
    assert [e['alohub_event'] for e in poll(source)[0]] == ['error']
    assert poll(source)[0] == []


def test_the_drift_check_failing_as_a_whole_is_an_error(sim, tmp_path):
    source = drift_watch(sim, tmp_path, [dict(id=TEST, max_wait_sec=1), dict(name='test', max_wait_sec=2)])
    events = poll(source)[0]
    assert [e['alohub_event'] for e in events] == ['error']
    assert 'both resolve to queue 1001226' in events[0]['message']


# ---------------------------------------------------------------------------
# the queues file is data
# ---------------------------------------------------------------------------

def test_the_queues_file_is_read_as_data(tmp_path):
    path = tmp_path / 'q.yml'
    path.write_text('---\nalohub_file_meta: {kind: queues}\nalohub_inbound_queues:\n'
                    '  - id: 1001226\n    name: !unsafe "%s"\n    moh_file_id: !unsafe "0287"\n' % HOSTILE.replace('"', '\\"'))
    assert qc.read_queues_file(str(path)) == [dict(id=1001226, name=HOSTILE, moh_file_id='0287')]


@pytest.mark.parametrize('text, message', [
    ('a: &x [1]\nalohub_inbound_queues: *x\n', 'a YAML anchor (&x); queues files and plans do not use anchors or aliases'),
    ('alohub_inbound_queues:\n  - {id: 1, max_wait_sec: 017}\n', 'quote it ("017")'),
    ('alohub_inbound_queues: !vault |\n  $ANSIBLE_VAULT;1.1;AES256\n  3133\n', 'the tag !vault is not supported here'),
    ('$ANSIBLE_VAULT;1.1;AES256\n3133\n', 'vault-encrypted'),
    ('alohub_inbound_queues: {id: 1}\n', 'must be a list'),
    ('- id: 1\n', 'must hold a mapping with alohub_inbound_queues'),
    ('alohub_inbound_queues: [\n', 'not readable YAML'),
    ('alohub_inbound_queues: !unsafe [1]\n', '!unsafe is for strings only'),
    (b'alohub_inbound_queues: ["\xff"]\n', 'is not text (UTF-8)'),
])
def test_queues_files_that_are_refused(tmp_path, text, message):
    path = tmp_path / 'q.yml'
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text)
    with pytest.raises(qc.QueuesFileError, match=re.escape(message)):
        qc.read_queues_file(str(path))


def test_a_huge_queues_file_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(qc.files, 'MAX_FILE_BYTES', 100)
    path = tmp_path / 'q.yml'
    path.write_text('alohub_inbound_queues: []\n' + '#' * 200)
    with pytest.raises(qc.QueuesFileError, match='larger than'):
        qc.read_queues_file(str(path))


def test_an_empty_queues_list_is_no_entry(tmp_path):
    path = tmp_path / 'q.yml'
    path.write_text('alohub_inbound_queues:\n')
    assert qc.read_queues_file(str(path)) == []


# ---------------------------------------------------------------------------
# arguments: only they stop the source, at start
# ---------------------------------------------------------------------------

BAD_ARGUMENTS = [
    (dict(intervall=30), 'unknown argument intervall (did you mean: intervall -> interval?)'),
    (dict(interval=0), 'interval must be at least 1 second'),
    (dict(interval='often'), "argument 'interval' is of type"),   # "str" since ansible-core 2.19, "<class 'str'>" before
    (dict(mode='poll'), 'value of mode must be one of: changes, drift, got: poll'),
    (dict(mode='drift'), 'mode drift needs queues_file'),
    (dict(queues_file='q.yml'), 'queues_file is only used with mode: drift'),
    (dict(strict=True), 'strict is only used with mode: drift'),
    (dict(rate_limit_share=0), 'rate_limit_share must be more than 0 and at most 1'),
    (dict(rate_limit_share=1.5), 'rate_limit_share must be more than 0 and at most 1'),
    (dict(max_backoff=0), 'max_backoff must be at least 1'),
    (dict(api_key=None), 'api_key is required'),
    (dict(api_key='short'), 'api_key is shorter than 8 characters'),
    (dict(api_url='ftp://host'), 'api_url must be an http:// or https:// URL'),
    (dict(auth_header='bearer'), 'value of auth_header must be one of: authorization, x-api-key, got: bearer'),
    (dict(timeout=0), 'timeout must be at least 1'),
    (dict(validate_certs='maybe'), "argument 'validate_certs' is of type"),
    (dict(mode='drift', queues_file='/nonexistent/q.yml'), 'queues_file /nonexistent/q.yml cannot be read'),
]


@pytest.mark.parametrize('args, message', BAD_ARGUMENTS, ids=[str(sorted(a.items())) for a, m in BAD_ARGUMENTS])
def test_bad_arguments_fail_at_start_with_a_clear_message(sim, monkeypatch, args, message):
    for name in list(os.environ):
        if name.startswith('ALOHUB_'):
            monkeypatch.delenv(name)
    full = connection(sim, **args)
    full = dict((key, value) for key, value in full.items() if value is not None)
    with pytest.raises(qc.ArgumentError) as failure:
        run(qc.main(asyncio.Queue(), full))
    assert message in str(failure.value)
    assert str(failure.value).startswith('alohub.callcenter.queue_changes: ')
    assert ACME_KEY not in str(failure.value)
    assert api_requests(sim) == []


def test_an_invalid_queues_file_fails_at_start(sim, tmp_path):
    with pytest.raises(qc.ArgumentError, match=r'config\[0\].max_wait_sec must be 0 or more'):
        drift_watch(sim, tmp_path, [dict(id=TEST, max_wait_sec=-1)])


def test_a_bad_value_from_the_environment_names_the_variable(sim):
    with pytest.raises(qc.ArgumentError, match='timeout came from the ALOHUB_TIMEOUT environment variable'):
        qc.QueueWatch(dict(interval=60), environ=dict(ALOHUB_API_URL=sim.url, ALOHUB_API_KEY=ACME_KEY, ALOHUB_TIMEOUT='0'))
    with pytest.raises(qc.ArgumentError, match='auth_header came from the ALOHUB_AUTH_HEADER environment variable'):
        qc.QueueWatch(dict(), environ=dict(ALOHUB_API_KEY=ACME_KEY, ALOHUB_AUTH_HEADER='bearer'))


def test_connection_from_the_environment_and_empty_arguments_count_as_unset(sim):
    environ = dict(ALOHUB_API_URL=sim.url, ALOHUB_API_KEY=ACME_KEY, ALOHUB_TENANT_ID=ACME, ALOHUB_RETRIES='0',
                   ALOHUB_VALIDATE_CERTS='false')
    source = qc.QueueWatch(dict(api_key='', tenant_id='', interval='30'), environ=environ)
    assert source.settings['api_url'] == sim.url and source.settings['api_key'] == ACME_KEY
    assert source.settings['tenant_id'] == ACME and source.settings['retries'] == 0
    assert source.settings['validate_certs'] is False and source.options['interval'] == 30.0
    assert source.target == dict(api_url=sim.url, tenant_id=ACME)
    assert not any(ACME_KEY in warning for warning in source.warnings)
    # An argument wins over the environment.
    other = qc.QueueWatch(dict(tenant_id=GLOBEX), environ=environ)
    assert other.settings['tenant_id'] == GLOBEX


def test_engine_arguments_are_accepted(sim):
    source = qc.QueueWatch(dict(connection(sim), eda_feedback_queue=asyncio.Queue()), environ={})
    assert source.mode == 'changes'


def test_insecure_settings_warn(sim):
    source = qc.QueueWatch(dict(connection(sim), api_url='http://alohub.example.com'), environ={})
    assert any('plain http://' in warning for warning in source.warnings)


# ---------------------------------------------------------------------------
# as ansible-rulebook loads it
# ---------------------------------------------------------------------------

def test_loaded_the_way_ansible_rulebook_loads_it():
    module = runpy.run_path(SOURCE_FILE)
    assert inspect.iscoroutinefunction(module['main'])
    assert list(inspect.signature(module['main']).parameters) == ['queue', 'args']
    assert '__main__' in open(SOURCE_FILE, encoding='utf-8').read()


def test_the_documentation_lists_every_argument():
    doc = yaml.safe_load(qc.DOCUMENTATION)
    fragment = yaml.safe_load(ModuleDocFragment.DOCUMENTATION)['options']
    assert doc['extends_documentation_fragment'] == ['alohub.callcenter.connection']
    documented = set(doc['options']) | set(fragment)
    assert documented == set(qc.connection_options()) | set(qc.SOURCE_OPTIONS)
    for name, spec in qc.SOURCE_OPTIONS.items():
        assert doc['options'][name]['type'] == spec['type'], name
        assert doc['options'][name].get('default') == spec.get('default'), name
    yaml.safe_load(qc.EXAMPLES)


def test_it_imports_the_collection_where_ansible_rulebook_cannot(tmp_path):
    """A decision environment installs collections outside sys.path; the source finds its own collection root."""
    link = tmp_path / 'ansible_collections' / 'alohub' / 'callcenter'
    link.parent.mkdir(parents=True)
    link.symlink_to(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(SOURCE_FILE))))))
    path = link / 'extensions' / 'eda' / 'plugins' / 'event_source' / 'queue_changes.py'
    code = 'import runpy, sys; m = runpy.run_path(sys.argv[1]); print(m["arguments"].__file__)'
    env = dict((k, v) for k, v in os.environ.items() if k != 'PYTHONPATH')
    out = subprocess.run([sys.executable, '-c', code, str(path)], capture_output=True, text=True, env=env, check=True,
                         cwd=str(tmp_path))
    assert out.stdout.strip().startswith(str(tmp_path))


def test_the_loop_waits_what_each_poll_asks_and_stops_when_cancelled(sim):
    clock = Time()
    source = watch(sim, clock=clock, interval=7)
    polls = []
    original = source.poll_once

    async def counted(queue):
        polls.append(1)
        if len(polls) > 3:
            raise asyncio.CancelledError()
        return await original(queue)

    source.poll_once = counted
    with pytest.raises(asyncio.CancelledError):
        run(source.run(asyncio.Queue()))
    assert clock.waits == [7, 7, 7]
