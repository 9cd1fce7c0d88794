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
    AppliedError,
    NotFoundError,
    TransportError,
    ValidationError,
)
from ansible_collections.alohub.callcenter.plugins.module_utils.reconcile import (
    BulkFailure, Plan, StaleError, find_by_name, sync_many, sync_one,
)


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


def test_plan_item_and_setting_changes_hold_only_what_changes(fake_api, tenant):
    plan = Plan(before_of(fake_api(tenant), TEST_ID), {'strategy': 2, 'max_wait_sec': 120, 'announce_position': True})
    assert plan.item() == {'id': TEST_ID, 'name': 'test', 'before': {'announce_position': None, 'strategy': 1},
                           'after': {'announce_position': True, 'strategy': 2}}
    assert plan.setting_changes() == [{'setting': 'strategy', 'before': 1, 'after': 2},
                                      {'setting': 'announce_position', 'before': None, 'after': True}]


def test_find_by_name_several_lists_the_ids(fake_api, tenant):
    with pytest.raises(NotFoundError) as info:
        find_by_name(normalised(fake_api(tenant)), 'support')
    assert "2 inbound queues are named 'support' (ids 1001227, 1001228); use id to pick one" == info.value.msg
    assert info.value.fail_kwargs()['matching_ids'] == [1001227, 1001228]


# ---------------------------------------------------------------------------
# sync_one (inbound_queue)
# ---------------------------------------------------------------------------

def one(api, check_mode=False, **params):
    return sync_one(QueueClient(api), params, check_mode)


def test_sync_one_unchanged_sends_nothing_but_the_get(fake_api, tenant):
    api = fake_api(tenant)
    plan, after = one(api, id=TEST_ID, strategy=1, max_wait_sec=120)
    assert not plan.changed
    assert after == before_of(api, TEST_ID)
    assert api.verbs() == [('GET', '%s/%d' % (QUEUES, TEST_ID))]


def test_sync_one_check_mode_predicts_without_a_put(fake_api, tenant):
    api = fake_api(tenant)
    before = before_of(api, TEST_ID)
    plan, after = one(api, check_mode=True, id=TEST_ID, strategy='divert', announce_position=False)
    assert plan.changed
    assert after == dict(before, strategy=4, strategy_name='divert', announce_position=False)
    assert [verb for verb, dummy in api.verbs()] == ['GET']
    assert api.find(TEST_ID)['strategy'] == 1


def test_sync_one_puts_only_the_differences_then_verifies(fake_api, tenant):
    api = fake_api(tenant)
    plan, after = one(api, id=TEST_ID, strategy='1', max_wait_sec=180, announce_position=True, moh_file_id='moh-2024.wav')
    path = '%s/%d' % (QUEUES, TEST_ID)
    assert api.verbs() == [('GET', path), ('PUT', path), ('GET', path)]
    assert api.puts() == [(path, {'max_wait_sec': '180', 'announce_position': '1'})]
    assert after == plan.after and after['max_wait_sec'] == 180 and after['announce_position'] is True


def test_sync_one_by_name_reads_the_list(fake_api, tenant):
    api = fake_api(tenant)
    plan, dummy = one(api, name='sales', strategy='vip')
    assert plan.queue_id == 1001229
    assert [verb for verb, dummy2 in api.verbs()] == ['GET', 'PUT', 'GET'] and api.verbs()[0] == ('GET', QUEUES)


def test_sync_one_second_run_is_a_no_op(fake_api, tenant):
    api = fake_api(tenant)
    one(api, id=TEST_ID, max_wait_sec=180, strategy=3)
    calls = len(api.calls)
    plan, dummy = one(api, id=TEST_ID, max_wait_sec=180, strategy=3)
    assert not plan.changed and len(api.calls) == calls + 1


@pytest.mark.parametrize('params, message', [
    (dict(strategy=1), 'one of id or name is required'),
    (dict(id=TEST_ID), 'at least one setting is required: strategy, moh_file_id, max_wait_sec, announce_position'),
    (dict(id=0, strategy=1), 'id must be a positive integer; got 0'),
    (dict(id=TEST_ID, strategy='premium'), 'strategy must be one of'),
])
def test_sync_one_validates_before_any_request(fake_api, tenant, params, message):
    api = fake_api(tenant)
    with pytest.raises(ValidationError) as info:
        one(api, **params)
    assert info.value.msg.startswith(message)
    assert api.calls == []


def test_sync_one_unknown_id_names_the_full_url(fake_api, tenant):
    with pytest.raises(NotFoundError) as info:
        one(fake_api(tenant), id=42, strategy=1)
    assert info.value.msg.startswith('inbound queue 42 was not found for this tenant: GET '
                                     'https://gw.example.test/api/v1/queues/inbound/42 answered HTTP 404 NOT_FOUND')


def test_sync_one_a_setting_that_does_not_take_fails_as_changed(fake_api, tenant):
    api = fake_api(tenant, apply_puts=False)
    with pytest.raises(AppliedError) as info:
        one(api, id=TEST_ID, max_wait_sec=180, strategy=1)
    assert info.value.msg == ('the server accepted the update of queue 1001226 (test), so it changed, but then: reading '
                              'queue 1001226 (test) back shows the server did not apply it: max_wait_sec is 120, wanted 180')
    kwargs = info.value.fail_kwargs()
    assert kwargs['changed'] is True and kwargs['missed'] == ['max_wait_sec'] and kwargs['queue_id'] == TEST_ID


@pytest.mark.parametrize('read_back', [
    ApiError('GET', 'u', 503, None, 'The upstream server is currently unavailable', attempts=6),
    TransportError('GET', 'u', 'no complete answer within timeout (30 s)', attempts=6),
    ApiError('GET', 'u', 404, 'NOT_FOUND', 'gone'),
])
def test_sync_one_a_failed_read_back_after_an_accepted_put_is_changed(fake_api, tenant, read_back):
    """Truthful changed: the server took the PUT, so the task changed something, whatever fails after."""
    calls = []

    class ReadBackFails(fake_api):
        def request(self, method, path, params=None, body=None):
            calls.append(method)
            if method == 'GET' and 'PUT' in calls:
                raise read_back
            return super().request(method, path, params, body)

    api = ReadBackFails(tenant)
    with pytest.raises(AppliedError) as info:
        one(api, id=TEST_ID, strategy=2)
    assert info.value.fail_kwargs()['changed'] is True
    assert info.value.msg.startswith('the server accepted the update of queue 1001226 (test), so it changed, but then: ')
    assert api.find(TEST_ID)['strategy'] == 2


def test_sync_one_put_error_propagates_unchanged_without_a_read_back(fake_api, tenant):
    error = ApiError('PUT', '%s/%d' % (QUEUES, TEST_ID), 400, 'INVALID_INPUT', 'moh_file_id is unknown')
    api = fake_api(tenant, errors={('PUT', TEST_ID): error})
    with pytest.raises(ApiError) as info:
        one(api, id=TEST_ID, moh_file_id='nope.wav')
    assert info.value is error and 'changed' not in info.value.fail_kwargs()
    assert [verb for verb, dummy in api.verbs()] == ['GET', 'PUT']


# ---------------------------------------------------------------------------
# Entries (queue_model.Entry, as sync_many parses them)
# ---------------------------------------------------------------------------

def test_entries_are_validated_naming_them():
    with pytest.raises(ValidationError) as info:
        queue_model.parse_entries([{'id': 1, 'strategy': 1}, {'name': 'x', 'max_wait_sec': -1}])
    assert info.value.msg.startswith('config[1].max_wait_sec must be 0 or more')


@pytest.mark.parametrize('config, message', [
    ([{'strategy': 1}], 'config[0] needs an id or a name'),
    ([{}], 'config[0] needs an id or a name'),
    ([None], 'config[0] must be a dict (a queue entry); got null'),
    (['queue 5'], 'config[0] must be a dict (a queue entry); got a string'),
    ({'queues': []}, 'config must be a list of queue entries; got an object'),
    ([{'id': '../2', 'strategy': 1}], 'config[0].id must be a positive integer'),
    ([{'id': 5.0, 'strategy': 1}], 'config[0].id must be a positive integer; got 5.0'),
    ([{'id': True, 'strategy': 1}], 'config[0].id must be a positive integer; got True'),
    ([{'name': '', 'strategy': 1}], 'config[0].name must be a non-empty string'),
    ([{'id': 5, 'colour': 'red'}], 'config[0] has unsupported keys colour; supported: id, name, strategy'),
    ([{'id': 5, 'strategy': 1}, {'id': 6}, {'id': '5', 'max_wait_sec': 3}], 'config[0] and config[2] both name queue 5'),
    ([{'id': 5, 'strategy': 1, 'strategy_name': 'vip'}], "config[0].strategy_name is 'vip' but config[0].strategy is 1 "
     "(normal); they must agree"),
    ([{'id': 5, 'strategy_name': 'premium'}], 'config[0].strategy_name must be one of normal, vip'),
])
def test_bad_entries_are_rejected(config, message):
    with pytest.raises(ValidationError) as info:
        queue_model.parse_entries(config)
    assert info.value.msg.startswith(message)


def test_gathered_records_are_entries_read_only_keys_and_all(tenant):
    config = [queue_model.normalise(r) for r in tenant]
    entries = queue_model.parse_entries(config)
    assert [e.queue_id for e in entries] == [r['callinId'] for r in tenant]
    assert entries[3].desired == {}  # all settings null: leave alone
    assert entries[1].desired['strategy'] == 2  # strategy and strategy_name agree
    assert queue_model.parse_entries(None) == []


@pytest.mark.parametrize('given, code', [('vip', 2), ('LOCKED', 99), ('3', 3), (4, 4)])
def test_strategy_name_alone_is_a_synonym_of_strategy(given, code):
    entry, = queue_model.parse_entries([{'id': 5, 'strategy_name': given}])
    assert entry.desired == {'strategy': code}


def test_strategy_and_strategy_name_agreeing_in_other_spellings_pass():
    entry, = queue_model.parse_entries([{'id': 5, 'strategy': '2', 'strategy_name': 'VIP'}])
    assert entry.desired == {'strategy': 2}


# ---------------------------------------------------------------------------
# sync_many, state=merged
# ---------------------------------------------------------------------------

def many(api, config=None, check_mode=False, parallel=1, **kwargs):
    """sync_many over a real client; returns the result, or the result a BulkFailure carries (and the failure)."""
    try:
        return sync_many(QueueClient(api), config=config, check_mode=check_mode, parallel=parallel, **kwargs), None
    except BulkFailure as failure:
        return failure.fail_kwargs(), failure


@pytest.mark.parametrize('parallel', [1, 4])
def test_merged_puts_only_changed_queues_and_verifies(fake_api, tenant, parallel):
    api = fake_api(tenant)
    config = [
        {'id': TEST_ID, 'max_wait_sec': 180},                  # changes
        {'id': 1001227, 'strategy': 'vip', 'max_wait_sec': 60},  # already so
        {'name': 'sales', 'strategy': 4, 'announce_position': False},  # changes
    ]
    result, failure = many(api, config, parallel=parallel, want_diff=True)
    assert failure is None and result['changed'] is True
    assert result['summary'] == {'total': 3, 'changed': 2, 'unchanged': 1, 'failed': 0}
    assert sorted(api.puts()) == [
        ('%s/%d' % (QUEUES, TEST_ID), {'max_wait_sec': '180'}),
        ('%s/%d' % (QUEUES, 1001229), {'strategy': 4, 'announce_position': '0'}),
    ]
    results = result['results']
    assert [r['changed'] for r in results] == [True, False, True]
    assert results[0]['changes'] == [{'setting': 'max_wait_sec', 'before': 120, 'after': 180}]
    assert results[0]['diff']['after']['max_wait_sec'] == 180
    assert results[0]['diff']['before_header'] == 'queue 1001226 (test)'
    assert results[1]['diff'] is None and results[1]['changes'] == []
    assert result['plan'] == [
        {'id': TEST_ID, 'name': 'test', 'before': {'max_wait_sec': 120}, 'after': {'max_wait_sec': 180}},
        {'id': 1001229, 'name': 'sales', 'before': {'announce_position': None, 'strategy': None},
         'after': {'announce_position': False, 'strategy': 4}}]
    assert len(result['diff']) == 2
    # Rerun: nothing to PUT, no plan.
    puts = len(api.puts())
    result, dummy = many(api, config, parallel=parallel)
    assert result['summary'] == {'total': 3, 'changed': 0, 'unchanged': 3, 'failed': 0}
    assert result['plan'] == [] and result['changed'] is False and 'diff' not in result
    assert len(api.puts()) == puts


def test_merged_check_mode_sends_no_put_and_returns_the_plan(fake_api, tenant):
    api = fake_api(tenant)
    result, dummy = many(api, [{'id': TEST_ID, 'max_wait_sec': 1}, {'name': 'sales', 'strategy': 2}], check_mode=True,
                         want_diff=True)
    assert result['summary']['changed'] == 2 and result['changed'] is True
    assert [verb for verb, dummy2 in api.verbs()] == ['GET']  # the list, nothing else
    assert result['results'][1]['diff']['after']['strategy_name'] == 'vip'
    assert [item['id'] for item in result['plan']] == [TEST_ID, 1001229]


def test_merged_verifies_with_one_get_each_when_that_is_fewer_requests(fake_api, tenant):
    api = fake_api(tenant, page_size_cap=1)  # the list takes 4 pages here, so GETs are cheaper
    many(api, [{'id': TEST_ID, 'max_wait_sec': 1}, {'name': 'sales', 'strategy': 2}])
    verbs = api.verbs()
    after_puts = verbs[[v for v, dummy in verbs].index('PUT'):]
    assert [v for v, dummy in after_puts] == ['PUT', 'PUT', 'GET', 'GET']
    assert all(path != QUEUES for dummy, path in after_puts)


def test_merged_verifies_with_a_relist_when_that_is_fewer_requests(fake_api, tenant):
    api = fake_api(tenant)  # one page holds the tenant
    result, dummy = many(api, [{'id': TEST_ID, 'max_wait_sec': 1}, {'name': 'sales', 'strategy': 2}], want_diff=True)
    assert result['summary'] == {'total': 2, 'changed': 2, 'unchanged': 0, 'failed': 0}
    assert api.verbs()[-1] == ('GET', QUEUES)
    assert len([1 for verb, path in api.verbs() if verb == 'GET' and path != QUEUES]) == 0
    assert result['results'][0]['diff']['after']['max_wait_sec'] == 1


def test_merged_keeps_going_past_a_failed_put_with_typed_errors(fake_api, tenant):
    error = ApiError('PUT', 'https://gw.example.test/api%s/%d' % (QUEUES, TEST_ID), 400, 'INVALID_INPUT', 'no such music file')
    api = fake_api(tenant, errors={('PUT', TEST_ID): error})
    result, failure = many(api, [{'id': TEST_ID, 'moh_file_id': 'x.wav'}, {'name': 'sales', 'strategy': 2},
                                 {'id': 42, 'strategy': 1}])
    assert failure.msg.startswith('2 of 3 queue entries failed (1 changed, 0 unchanged): config[0]: PUT ')
    assert result['summary'] == {'total': 3, 'changed': 1, 'unchanged': 0, 'failed': 2}
    results = result['results']
    assert 'INVALID_INPUT' in results[0]['error'] and results[0]['changed'] is False
    assert results[0]['error_info'] == {'kind': 'ApiError', 'status': 400, 'error_code': 'INVALID_INPUT', 'method': 'PUT',
                                        'url': error.url, 'attempts': 1}
    assert results[1]['changed'] is True and results[1]['error'] is None and results[1]['error_info'] is None
    assert results[2]['error'].startswith('config[2]: queue 42 was not found')
    assert results[2]['error_info'] == {'kind': 'NotFoundError', 'status': 404, 'error_code': 'NOT_FOUND'}
    assert results[2]['id'] == 42 and results[2]['name'] is None
    assert result['changed'] is True and [item['id'] for item in result['plan']] == [1001229]
    assert api.find(1001229)['strategy'] == 2


def test_merged_a_queue_the_server_did_not_update_is_changed_and_failed(fake_api, tenant):
    api = fake_api(tenant, apply_puts=False)
    result, failure = many(api, [{'id': TEST_ID, 'max_wait_sec': 1}])
    assert result['summary'] == {'total': 1, 'changed': 1, 'unchanged': 0, 'failed': 1}
    assert result['changed'] is True
    error = result['results'][0]['error']
    assert error.startswith('config[0]: the server accepted the update of queue 1001226 (test), so it changed, but then:')
    assert 'the server did not apply it: max_wait_sec is 120, wanted 1' in error
    assert result['results'][0]['error_info'] == {'kind': 'VerificationError', 'applied': True}


def test_merged_a_failed_read_back_does_not_lose_the_other_results(fake_api, tenant):
    """One GET of the verification failing must not stop the others being verified and reported."""
    lost = TransportError('GET', 'u', 'connection refused', attempts=6)
    api = fake_api(tenant, page_size_cap=1, errors={('GET', TEST_ID): lost})
    result, dummy = many(api, [{'id': TEST_ID, 'max_wait_sec': 1}, {'name': 'sales', 'strategy': 2}])
    assert result['summary'] == {'total': 2, 'changed': 2, 'unchanged': 0, 'failed': 1}
    assert 'connection refused' in result['results'][0]['error'] and result['results'][0]['changed'] is True
    assert result['results'][1]['changed'] is True and result['results'][1]['error'] is None


def test_merged_a_failed_relist_marks_the_updated_entries_changed_and_failed(fake_api, tenant):
    class RelistFails(fake_api):
        def request(self, method, path, params=None, body=None):
            if path == QUEUES and any(verb == 'PUT' for verb, dummy in self.verbs()):
                self.calls.append((method, path, params, body))
                raise ApiError(method, 'https://gw.example.test/api' + path, 503, None,
                               'The upstream server is currently unavailable', attempts=6)
            return super().request(method, path, params, body)

    api = RelistFails(tenant)
    result, failure = many(api, [{'id': TEST_ID, 'max_wait_sec': 1}, {'name': 'sales', 'strategy': 2},
                                 {'id': 1001227, 'strategy': 2}])
    assert api.verbs()[-1] == ('GET', QUEUES)
    # The server took both PUTs: they are changed AND failed (not verified).
    assert result['summary'] == {'total': 3, 'changed': 2, 'unchanged': 1, 'failed': 2}
    assert result['changed'] is True
    for entry in result['results'][:2]:
        assert entry['changed'] is True
        assert 'so it changed, but then: GET https://gw.example.test/api/v1/queues/inbound failed: HTTP 503' in entry['error']
        assert entry['error_info']['status'] == 503 and entry['error_info']['applied'] is True


def test_merged_anything_unexpected_after_the_puts_keeps_every_result(fake_api, tenant, monkeypatch):
    api = fake_api(tenant)

    def broken(*args):
        raise KeyError('boom')

    monkeypatch.setattr(reconcile, 'verify_many', broken)
    result, failure = many(api, [{'id': TEST_ID, 'max_wait_sec': 1}, {'id': 1001227, 'strategy': 2}])
    assert result['summary'] == {'total': 2, 'changed': 1, 'unchanged': 1, 'failed': 1}
    assert result['results'][0]['changed'] is True
    assert 'verifying the update failed unexpectedly: KeyError' in result['results'][0]['error']


def test_merged_two_entries_for_one_queue_fail_before_any_put(fake_api, tenant):
    api = fake_api(tenant)
    with pytest.raises(ValidationError) as info:
        many(api, [{'id': TEST_ID, 'strategy': 1}, {'name': 'test', 'strategy': 2}])
    assert info.value.msg == 'config[0] and config[1] both resolve to queue 1001226 (test); give each queue once'
    assert [verb for verb, dummy in api.verbs()] == ['GET']


def test_merged_a_renamed_queue_fails_its_entry(fake_api, tenant):
    result, failure = many(fake_api(tenant), [{'id': TEST_ID, 'name': 'renamed', 'strategy': 1}])
    assert result['results'][0]['error'] == ("config[0]: queue 1001226 (test) is named 'test', not 'renamed'; names "
                                             "cannot be changed through the API")


# ---------------------------------------------------------------------------
# sync_many, state=overridden
# ---------------------------------------------------------------------------

def test_overridden_reports_what_the_api_cannot_fix_in_check_mode(fake_api, tenant):
    api = fake_api(tenant)
    config = [
        {'id': TEST_ID, 'strategy': 2, 'moh_file_id': 'moh-2024.wav', 'max_wait_sec': 120},   # leaves nothing set unset
        {'id': 1001227, 'strategy': 2, 'max_wait_sec': 60, 'announce_position': True, 'moh_file_id': 'moh-default.wav',
         'number': '0287000000'},
        # 1001228 (support) is not in config; 1001229 (sales) has all settings null: nothing unset while set
        {'id': 1001229},
    ]
    result, failure = many(api, config, check_mode=True, state='overridden')
    assert failure is None
    assert result['summary'] == {'total': 3, 'changed': 1, 'unchanged': 2, 'failed': 0, 'unmanageable': 2}
    assert result['unmanageable'] == [
        {'id': 1001227, 'name': 'support', 'setting': 'number',
         'reason': "config[1] gives number '0287000000' but the queue has None; it is read-only through the API"},
        {'id': 1001228, 'name': 'support', 'setting': None,
         'reason': 'the queue is not in config; queues cannot be created or deleted through the API: add it to config, '
                   'or remove it in the AloHub UI'},
    ]
    assert api.puts() == []


def test_overridden_a_setting_left_null_while_set_is_unmanageable(fake_api, tenant):
    api = fake_api(tenant)
    config = [{'id': TEST_ID, 'strategy': 1}, {'id': 1001227}, {'id': 1001228}, {'id': 1001229}]
    result, dummy = many(api, config, check_mode=True, state='overridden')
    reasons = [(item['id'], item['setting']) for item in result['unmanageable']]
    assert (TEST_ID, 'moh_file_id') in reasons and (TEST_ID, 'max_wait_sec') in reasons
    assert (TEST_ID, 'announce_position') not in reasons  # null on the tenant too
    assert (1001227, 'strategy') in reasons
    first = result['unmanageable'][0]
    assert first['reason'] == ("config[0] leaves moh_file_id unset while the queue has 'moh-2024.wav'; the API cannot "
                               "clear a setting: give the value in config, or clear it in the AloHub UI")


def test_overridden_real_run_applies_what_it_can_then_fails(fake_api, tenant):
    api = fake_api(tenant)
    config = [{'id': TEST_ID, 'strategy': 3, 'moh_file_id': 'moh-2024.wav', 'max_wait_sec': 120}]
    result, failure = many(api, config, state='overridden')
    assert api.puts() == [('%s/%d' % (QUEUES, TEST_ID), {'strategy': 3})]
    assert failure is not None and failure.msg.startswith(
        '3 setting(s) or queue(s) differ in ways the API cannot fix (1 changed, 0 unchanged, 3 unmanageable): ')
    assert result['changed'] is True and result['summary']['unmanageable'] == 3


# ---------------------------------------------------------------------------
# sync_many with a reviewed plan
# ---------------------------------------------------------------------------

def planned(api, config):
    result, dummy = many(api, config, check_mode=True)
    return result['plan']


def test_a_plan_is_applied_exactly(fake_api, tenant):
    api = fake_api(tenant)
    plan = planned(api, [{'id': TEST_ID, 'max_wait_sec': 180, 'strategy': 1}, {'name': 'sales', 'strategy': 'vip'}])
    result, failure = many(api, plan=plan)
    assert failure is None
    assert sorted(api.puts()) == [('%s/%d' % (QUEUES, TEST_ID), {'max_wait_sec': '180'}),
                                  ('%s/%d' % (QUEUES, 1001229), {'strategy': 2})]
    assert result['plan'] == plan and result['summary'] == {'total': 2, 'changed': 2, 'unchanged': 0, 'failed': 0}


def test_a_stale_plan_sends_nothing_and_names_every_stale_queue(fake_api, tenant):
    api = fake_api(tenant)
    plan = planned(api, [{'id': TEST_ID, 'max_wait_sec': 180}, {'name': 'sales', 'strategy': 'vip'},
                         {'id': 1001227, 'strategy': 1}])
    api.find(TEST_ID)['timeWait'] = '150'          # someone changed it in the UI
    api.find(1001229)['callinName'] = 'sales-hn'   # renamed
    api.records = [r for r in api.records if r['callinId'] != 1001227]  # and one is gone
    with pytest.raises(StaleError) as info:
        many(api, plan=plan)
    msg = info.value.msg
    assert msg.startswith('the plan is stale, so nothing was sent: the tenant changed since the plan was made (')
    assert 'queue 1001226 (test): max_wait_sec is 150 now, was 120 when planned' in msg
    assert "queue 1001229 (sales-hn): name is 'sales-hn' now, was 'sales' when planned" in msg
    assert 'queue 1001227 no longer exists' in msg
    assert api.puts() == []


def test_a_plan_setting_a_value_back_to_null_fails_before_any_request(fake_api, tenant):
    api = fake_api(tenant)
    plan = [{'id': TEST_ID, 'name': 'test', 'before': {'moh_file_id': 'moh-2024.wav', 'strategy': 1},
             'after': {'moh_file_id': None, 'strategy': 2}}]
    with pytest.raises(ValidationError) as info:
        many(api, plan=plan)
    assert info.value.msg == ("the plan sets settings back to null, which the API cannot do (it cannot clear a setting), so "
                              "nothing was sent: plan[0] (queue 1001226 (test)): moh_file_id back to null (it is "
                              "'moh-2024.wav'). Set those settings by hand in the AloHub UI, or edit the plan to give them "
                              "a value")
    assert api.calls == []


def test_an_empty_plan_is_a_no_op_without_a_request(fake_api, tenant):
    api = fake_api(tenant)
    result, dummy = many(api, plan=[])
    assert result == {'changed': False, 'results': [], 'summary': {'total': 0, 'changed': 0, 'unchanged': 0, 'failed': 0},
                      'plan': []}
    assert api.calls == []


@pytest.mark.parametrize('plan, message', [
    ('x', 'plan must be a list of plan items'),
    ([5], 'plan[0] must be a dict {id, name, before, after}'),
    ([{'name': 'x', 'before': {}, 'after': {}}], 'plan[0] needs the id of its queue'),
    ([{'id': 1, 'before': {'strategy': 1}, 'after': {'strategy': 2}, 'why': 'x'}], 'plan[0] has unsupported keys why'),
    ([{'id': 1, 'before': {'colour': 1}, 'after': {'colour': 2}}], 'plan[0].before has unsupported settings colour'),
    ([{'id': 1, 'before': {'strategy': 1}, 'after': {}}], 'plan[0]: before and after must name the same settings'),
    ([{'id': 1, 'before': {'strategy': 1}, 'after': {'strategy': 'premium'}}], 'plan[0].after.strategy must be one of'),
    ([{'id': 1, 'before': {'strategy': 1}, 'after': {'strategy': 2}}, {'id': 1, 'before': {}, 'after': {}}],
     'plan[0] and plan[1] both name queue 1'),
])
def test_a_malformed_plan_fails_before_any_request(fake_api, tenant, plan, message):
    api = fake_api(tenant)
    with pytest.raises(ValidationError) as info:
        many(api, plan=plan)
    assert info.value.msg.startswith(message)
    assert api.calls == []


def test_a_backup_is_the_inverse_plan_and_rolls_back(fake_api, tenant):
    api = fake_api(tenant)
    plan = planned(api, [{'id': TEST_ID, 'max_wait_sec': 180, 'strategy': 2}])
    applied, dummy = many(api, plan=plan)
    backup = [dict(item, before=item['after'], after=item['before']) for item in applied['plan']]
    restored, failure = many(api, plan=backup)
    assert failure is None and restored['summary']['changed'] == 1
    assert before_of(api, TEST_ID)['max_wait_sec'] == 120 and before_of(api, TEST_ID)['strategy'] == 1


# ---------------------------------------------------------------------------
# render and gather
# ---------------------------------------------------------------------------

def test_render_returns_each_entrys_body_in_wire_form():
    rendered = reconcile.render([{'id': TEST_ID, 'strategy': 'vip', 'max_wait_sec': 180, 'announce_position': True},
                                 {'name': 'sales', 'moh_file_id': 'a.wav', 'strategy_name': 'locked'},
                                 {'id': 7}])
    assert rendered == [
        {'id': TEST_ID, 'name': None, 'body': {'strategy': 2, 'max_wait_sec': '180', 'announce_position': '1'}},
        {'id': None, 'name': 'sales', 'body': {'strategy': 99, 'moh_file_id': 'a.wav'}},
        {'id': 7, 'name': None, 'body': {}},
    ]


def test_render_validates_as_merged_does():
    with pytest.raises(ValidationError, match=r'config\[0\].max_wait_sec must be 0 or more'):
        reconcile.render([{'id': 1, 'max_wait_sec': -1}])


def test_gather_returns_config_entries_sorted_by_id(fake_api, tenant):
    api = fake_api(list(reversed(tenant)))
    gathered, total = reconcile.gather(QueueClient(api))
    assert total == 4 and [q['id'] for q in gathered] == [TEST_ID, 1001227, 1001228, 1001229]
    assert set(gathered[0]) == set(queue_model.CONFIG_KEYS)
