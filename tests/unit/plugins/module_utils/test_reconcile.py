# -*- coding: utf-8 -*-
# Copyright: (c) 2026, AloHub collection maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""reconcile.py: plans, finding a queue by name, one queue end to end, and the bulk steps.

The API side is the real QueueClient over the fake API of conftest, so every
test can count the GETs and PUTs it caused.
"""

from __future__ import annotations

import pytest

from ansible_collections.alohub.callcenter.plugins.module_utils import queue_model, reconcile
from ansible_collections.alohub.callcenter.plugins.module_utils.client import QueueClient
from ansible_collections.alohub.callcenter.plugins.module_utils.errors import (
    ApiError,
    NotFoundError,
    TransportError,
    ValidationError,
    VerificationError,
)
from ansible_collections.alohub.callcenter.plugins.module_utils.reconcile import Plan, find_by_name, sync_one


QUEUES = '/v1/queues/inbound'
TEST_ID = 1001226


@pytest.fixture
def tenant(record):
    """A small tenant: the document's "test" queue, two named "support", one with null settings."""
    return [
        record(TEST_ID, 'test', strategy=1, musicinQueue='moh-2024.wav', timeWait='120', nguongRanhRoi=None),
        record(1001227, 'support', strategy=2, timeWait='60', nguongRanhRoi='1'),
        record(1001228, 'support', strategy=3, timeWait='30', nguongRanhRoi=0),
        record(1001229, 'sales', strategy=None, musicinQueue=None, timeWait=None, nguongRanhRoi=None),
    ]


def normalised(api):
    return [queue_model.normalise(r) for r in api.records]


def before_of(api, queue):
    return queue_model.normalise(api.find(queue))


# ---------------------------------------------------------------------------
# Plan
# ---------------------------------------------------------------------------

def test_plan_holds_only_the_differing_settings(fake_api, tenant):
    before = before_of(fake_api(tenant), TEST_ID)
    plan = Plan(before, {'strategy': 2, 'max_wait_sec': 120, 'moh_file_id': 'moh-2024.wav'})
    assert plan.changed
    assert plan.changes == {'strategy': 2}
    assert plan.body == {'strategy': 2}
    assert plan.queue_id == TEST_ID
    assert plan.after == dict(before, strategy=2, strategy_name='vip')


def test_plan_body_is_in_wire_form(fake_api, tenant):
    before = before_of(fake_api(tenant), TEST_ID)
    plan = Plan(before, {'max_wait_sec': 180, 'announce_position': True, 'strategy': 99})
    assert plan.body == {'max_wait_sec': '180', 'announce_position': '1', 'strategy': 99}


def test_plan_without_differences(fake_api, tenant):
    before = before_of(fake_api(tenant), 1001227)
    plan = Plan(before, {'strategy': 2, 'max_wait_sec': 60, 'announce_position': True})
    assert not plan.changed
    assert plan.changes == {} and plan.body == {}
    assert plan.after == before


def test_plan_diff_names_the_queue_in_both_headers(fake_api, tenant):
    before = before_of(fake_api(tenant), TEST_ID)
    plan = Plan(before, {'max_wait_sec': 180})
    diff = plan.diff()
    assert diff['before_header'] == diff['after_header'] == 'queue 1001226 (test)'
    assert diff['before'] == before and diff['after']['max_wait_sec'] == 180
    fresh = dict(plan.after, number='123')
    assert plan.diff(fresh)['after'] is fresh


# ---------------------------------------------------------------------------
# find_by_name
# ---------------------------------------------------------------------------

def test_find_by_name_one(fake_api, tenant):
    assert find_by_name(normalised(fake_api(tenant)), 'test')['id'] == TEST_ID


@pytest.mark.parametrize('name', ['nope', 'Test', ' test', 'tes'])
def test_find_by_name_none_matches_exactly(fake_api, tenant, name):
    with pytest.raises(NotFoundError) as info:
        find_by_name(normalised(fake_api(tenant)), name)
    assert info.value.msg == 'no inbound queue of this tenant is named %r' % name


def test_find_by_name_several_lists_the_ids(fake_api, tenant):
    with pytest.raises(NotFoundError) as info:
        find_by_name(normalised(fake_api(tenant)), 'support')
    assert "2 inbound queues are named 'support' (ids 1001227, 1001228); use id to pick one" == info.value.msg
    assert info.value.fail_kwargs()['matching_ids'] == [1001227, 1001228]


# ---------------------------------------------------------------------------
# sync_one
# ---------------------------------------------------------------------------

def test_sync_one_unchanged_sends_nothing(fake_api, tenant):
    api = fake_api(tenant)
    before = before_of(api, TEST_ID)
    plan, after = sync_one(QueueClient(api), before, {'strategy': 1, 'max_wait_sec': 120}, check_mode=False)
    assert not plan.changed
    assert after == before
    assert api.calls == []


def test_sync_one_check_mode_predicts_without_a_put(fake_api, tenant):
    api = fake_api(tenant)
    before = before_of(api, TEST_ID)
    desired = queue_model.desired_settings({'strategy': 'divert', 'announce_position': False})
    plan, after = sync_one(QueueClient(api), before, desired, check_mode=True)
    assert plan.changed
    assert after == dict(before, strategy=4, strategy_name='divert', announce_position=False)
    assert api.calls == []
    assert api.find(TEST_ID)['strategy'] == 1


def test_sync_one_puts_only_the_differences_then_verifies(fake_api, tenant):
    api = fake_api(tenant)
    before = before_of(api, TEST_ID)
    desired = queue_model.desired_settings({'strategy': '1', 'max_wait_sec': 180, 'announce_position': True,
                                            'moh_file_id': 'moh-2024.wav'})
    plan, after = sync_one(QueueClient(api), before, desired, check_mode=False)
    assert api.verbs() == [('PUT', '%s/%d' % (QUEUES, TEST_ID)), ('GET', '%s/%d' % (QUEUES, TEST_ID))]
    assert api.puts() == [('%s/%d' % (QUEUES, TEST_ID), {'max_wait_sec': '180', 'announce_position': '1'})]
    assert api.find(TEST_ID)['timeWait'] == '180'
    assert after == plan.after
    assert after['max_wait_sec'] == 180 and after['announce_position'] is True


def test_sync_one_second_run_is_a_no_op(fake_api, tenant):
    api = fake_api(tenant)
    client = QueueClient(api)
    desired = {'max_wait_sec': 180, 'strategy': 3}
    sync_one(client, before_of(api, TEST_ID), desired, check_mode=False)
    calls = len(api.calls)
    plan, dummy = sync_one(client, before_of(api, TEST_ID), desired, check_mode=False)
    assert not plan.changed and len(api.calls) == calls


def test_sync_one_fails_when_the_server_does_not_apply(fake_api, tenant):
    api = fake_api(tenant, apply_puts=False)
    before = before_of(api, TEST_ID)
    with pytest.raises(VerificationError) as info:
        sync_one(QueueClient(api), before, {'max_wait_sec': 180, 'strategy': 1}, check_mode=False)
    assert info.value.msg == ('queue 1001226 (test) was updated but the server did not apply it: '
                              'max_wait_sec is 120, wanted 180')
    assert info.value.fail_kwargs()['missed'] == ['max_wait_sec']
    assert info.value.fail_kwargs()['queue_id'] == TEST_ID
    assert [verb for verb, dummy in api.verbs()] == ['PUT', 'GET']


def test_sync_one_fails_when_the_queue_disappears(scripted_transport, fake_api, tenant):
    before = before_of(fake_api(tenant), TEST_ID)
    transport = scripted_transport([{'success': '1'}, ApiError('GET', '%s/%d' % (QUEUES, TEST_ID), 404, 'NOT_FOUND')])
    with pytest.raises(VerificationError, match='disappeared right after the update'):
        sync_one(QueueClient(transport), before, {'max_wait_sec': 5}, check_mode=False)


def test_sync_one_put_error_propagates_without_a_get(fake_api, tenant):
    error = ApiError('PUT', '%s/%d' % (QUEUES, TEST_ID), 400, 'INVALID_INPUT', 'moh_file_id is unknown')
    api = fake_api(tenant, errors={('PUT', TEST_ID): error})
    with pytest.raises(ApiError) as info:
        sync_one(QueueClient(api), before_of(api, TEST_ID), {'moh_file_id': 'nope.wav'}, check_mode=False)
    assert info.value is error
    assert [verb for verb, dummy in api.verbs()] == ['PUT']


# ---------------------------------------------------------------------------
# The bulk steps (inbound_queues)
# ---------------------------------------------------------------------------

def merged(api, config, check_mode=False, parallel=1):
    """The steps inbound_queues runs for state=merged, in its order."""
    client = QueueClient(api)
    entries = reconcile.parse_entries(config)
    records, dummy = client.list_all()
    reconcile.resolve(entries, [queue_model.normalise(r) for r in records])
    updated = reconcile.apply_many(client, entries, check_mode, parallel)
    reconcile.verify_many(client, updated, client.last_list_pages)
    return reconcile.summarise(entries)


def test_parse_entries_validates_every_entry_naming_it():
    with pytest.raises(ValidationError) as info:
        reconcile.parse_entries([{'id': 1, 'strategy': 1}, {'name': 'x', 'max_wait_sec': -1}])
    assert info.value.msg.startswith('config[1].max_wait_sec must be 0 or more')


@pytest.mark.parametrize('config, message', [
    ([{'strategy': 1}], 'config[0] needs an id or a name'),
    ([None], 'config[0] needs an id or a name'),
    ([{'id': '../2', 'strategy': 1}], 'config[0].id must be a positive integer'),
    ([{'name': '', 'strategy': 1}], 'config[0].name must be a non-empty string'),
    ([{'id': 5, 'strategy': 1}, {'id': 6}, {'id': '5', 'max_wait_sec': 3}], 'config[0] and config[2] both name queue 5'),
])
def test_parse_entries_rejects_bad_entries(config, message):
    with pytest.raises(ValidationError) as info:
        reconcile.parse_entries(config)
    assert info.value.msg.startswith(message)


def test_parse_entries_accepts_gathered_records_with_read_only_keys(fake_api, tenant):
    config = [queue_model.normalise(r) for r in tenant]  # even the full records, read-only keys and all
    entries = reconcile.parse_entries(config)
    assert [e.queue_id for e in entries] == [r['callinId'] for r in tenant]
    assert entries[3].desired == {}  # all settings null: leave alone
    assert reconcile.parse_entries(None) == []


def test_resolve_by_id_and_by_name(fake_api, tenant):
    api = fake_api(tenant)
    entries = reconcile.parse_entries([{'id': TEST_ID, 'name': 'test', 'max_wait_sec': 1}, {'name': 'sales', 'strategy': 1}])
    reconcile.resolve(entries, normalised(api))
    assert [e.plan.queue_id for e in entries] == [TEST_ID, 1001229]
    assert [e.error for e in entries] == [None, None]
    assert entries[1].after['strategy_name'] == 'normal'


def test_resolve_records_per_entry_errors(fake_api, tenant):
    api = fake_api(tenant)
    entries = reconcile.parse_entries([
        {'id': 42, 'strategy': 1},
        {'id': TEST_ID, 'name': 'renamed', 'strategy': 1},
        {'name': 'support', 'strategy': 1},
        {'name': 'sales', 'strategy': 2},
    ])
    reconcile.resolve(entries, normalised(api))
    assert entries[0].error.startswith('config[0]: queue 42 was not found for this tenant')
    assert entries[1].error == ("config[1]: queue 1001226 (test) is named 'test', not 'renamed'; "
                                "names cannot be changed through the API")
    assert entries[2].error.startswith("config[2]: 2 inbound queues are named 'support' (ids 1001227, 1001228)")
    assert entries[3].error is None and entries[3].plan.changed
    assert [e.plan for e in entries[:3]] == [None, None, None]


def test_resolve_two_entries_for_one_queue_fail_before_any_put(fake_api, tenant):
    api = fake_api(tenant)
    entries = reconcile.parse_entries([{'id': TEST_ID, 'strategy': 1}, {'name': 'test', 'strategy': 2}])
    with pytest.raises(ValidationError) as info:
        reconcile.resolve(entries, normalised(api))
    assert info.value.msg == 'config[0] and config[1] both resolve to queue 1001226 (test); give each queue once'
    assert api.calls == []


@pytest.mark.parametrize('parallel', [1, 4])
def test_merged_puts_only_changed_queues_and_verifies(fake_api, tenant, parallel):
    api = fake_api(tenant)
    config = [
        {'id': TEST_ID, 'max_wait_sec': 180},                  # changes
        {'id': 1001227, 'strategy': 'vip', 'max_wait_sec': 60},  # already so
        {'name': 'sales', 'strategy': 4, 'announce_position': False},  # changes
    ]
    results, summary = merged(api, config, parallel=parallel)
    assert summary == {'total': 3, 'changed': 2, 'unchanged': 1, 'failed': 0}
    assert sorted(api.puts()) == [
        ('%s/%d' % (QUEUES, TEST_ID), {'max_wait_sec': '180'}),
        ('%s/%d' % (QUEUES, 1001229), {'strategy': 4, 'announce_position': '0'}),
    ]
    assert [r['changed'] for r in results] == [True, False, True]
    assert results[0]['diff']['after']['max_wait_sec'] == 180
    assert results[0]['diff']['before_header'] == 'queue 1001226 (test)'
    assert results[1]['diff'] is None
    # Rerun: nothing to PUT.
    puts = len(api.puts())
    results, summary = merged(api, config, parallel=parallel)
    assert summary == {'total': 3, 'changed': 0, 'unchanged': 3, 'failed': 0}
    assert len(api.puts()) == puts


def test_merged_check_mode_sends_no_put(fake_api, tenant):
    api = fake_api(tenant)
    results, summary = merged(api, [{'id': TEST_ID, 'max_wait_sec': 1}, {'name': 'sales', 'strategy': 2}], check_mode=True)
    assert summary['changed'] == 2
    assert [verb for verb, dummy in api.verbs()] == ['GET']  # the list, nothing else
    assert results[1]['diff']['after']['strategy_name'] == 'vip'


def test_merged_verifies_with_one_get_each_when_that_is_fewer_requests(fake_api, tenant):
    api = fake_api(tenant, page_size_cap=1)  # the list takes 4 pages (+1) here, so GETs are cheaper
    merged(api, [{'id': TEST_ID, 'max_wait_sec': 1}, {'name': 'sales', 'strategy': 2}])
    verbs = api.verbs()
    after_puts = verbs[[v for v, dummy in verbs].index('PUT'):]
    assert [v for v, dummy in after_puts] == ['PUT', 'PUT', 'GET', 'GET']
    assert all(path != QUEUES for dummy, path in after_puts)


def test_merged_verifies_with_a_relist_when_that_is_fewer_requests(fake_api, tenant):
    api = fake_api(tenant)  # one page holds the tenant
    results, summary = merged(api, [{'id': TEST_ID, 'max_wait_sec': 1}, {'name': 'sales', 'strategy': 2}])
    assert summary == {'total': 2, 'changed': 2, 'unchanged': 0, 'failed': 0}
    assert api.verbs()[-1] == ('GET', QUEUES)
    assert len([1 for verb, path in api.verbs() if verb == 'GET' and path != QUEUES]) == 0
    assert results[0]['diff']['after']['max_wait_sec'] == 1


def test_merged_keeps_going_past_a_failed_put(fake_api, tenant):
    error = ApiError('PUT', '%s/%d' % (QUEUES, TEST_ID), 400, 'INVALID_INPUT', 'no such music file')
    api = fake_api(tenant, errors={('PUT', TEST_ID): error})
    results, summary = merged(api, [{'id': TEST_ID, 'moh_file_id': 'x.wav'}, {'name': 'sales', 'strategy': 2},
                                    {'id': 42, 'strategy': 1}])
    assert summary == {'total': 3, 'changed': 1, 'unchanged': 0, 'failed': 2}
    assert 'INVALID_INPUT' in results[0]['error'] and results[0]['changed'] is False
    assert results[1]['changed'] is True and results[1]['error'] is None
    assert results[2]['error'].startswith('config[2]: queue 42 was not found')
    assert results[2]['id'] == 42 and results[2]['name'] is None
    assert api.find(1001229)['strategy'] == 2


def test_merged_reports_a_queue_the_server_did_not_update(fake_api, tenant):
    api = fake_api(tenant, apply_puts=False)
    results, summary = merged(api, [{'id': TEST_ID, 'max_wait_sec': 1}])
    assert summary['failed'] == 1
    assert 'the server did not apply it: max_wait_sec is 120, wanted 1' in results[0]['error']


def test_merged_a_failed_read_back_does_not_lose_the_other_results(fake_api, tenant):
    """One GET of the verification failing must not stop the others being verified and reported."""
    lost = TransportError('GET', '%s/%d' % (QUEUES, TEST_ID), 'connection refused', attempts=6)
    api = fake_api(tenant, page_size_cap=1, errors={('GET', TEST_ID): lost})
    results, summary = merged(api, [{'id': TEST_ID, 'max_wait_sec': 1}, {'name': 'sales', 'strategy': 2}])
    assert summary['failed'] == 1 and summary['total'] == 2
    assert 'connection refused' in results[0]['error']
    assert results[1]['changed'] is True and results[1]['error'] is None


def test_summarise_counts():
    class Done:
        def __init__(self, result):
            self._result = result

        def result(self):
            return self._result

    entries = [Done(dict(changed=True, error=None)), Done(dict(changed=False, error=None)),
               Done(dict(changed=False, error='boom')), Done(dict(changed=False, error=None))]
    results, summary = reconcile.summarise(entries)
    assert summary == {'total': 4, 'changed': 1, 'unchanged': 2, 'failed': 1}
    assert len(results) == 4


def test_merged_a_failed_relist_marks_the_updated_entries(fake_api, tenant):
    class RelistFails(fake_api):
        def request(self, method, path, params=None, body=None):
            if path == QUEUES and any(verb == 'PUT' for verb, dummy in self.verbs()):
                self.calls.append((method, path, params, body))
                raise ApiError(method, path, 503, None, 'The upstream server is currently unavailable', attempts=6)
            return super().request(method, path, params, body)

    api = RelistFails(tenant)
    results, summary = merged(api, [{'id': TEST_ID, 'max_wait_sec': 1}, {'name': 'sales', 'strategy': 2},
                                    {'id': 1001227, 'strategy': 2}])
    assert api.verbs()[-1] == ('GET', QUEUES)
    # The server took both PUTs: they are changed AND failed (not verified).
    assert summary == {'total': 3, 'changed': 2, 'unchanged': 1, 'failed': 2}
    for result in results[:2]:
        assert result['changed'] is True
        assert result['error'].startswith('the update was sent, but reading it back failed: GET /v1/queues/inbound failed: HTTP 503')
