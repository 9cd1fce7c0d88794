# -*- coding: utf-8 -*-
# Copyright: (c) 2026, AloHub collection maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""reconcile.py: plans, finding a queue by name, one queue end to end, and the bulk flows with their statuses.

The API side is the real QueueClient over the fake API of conftest, so every
test can count the GETs and PUTs it caused.
"""

from __future__ import annotations

import pytest

from ansible_collections.alohub.callcenter.plugins.module_utils import entries, queue_model, reconcile
from ansible_collections.alohub.callcenter.plugins.module_utils.client import QueueClient
from ansible_collections.alohub.callcenter.plugins.module_utils.errors import (
    AmbiguousError,
    ApiError,
    AppliedError,
    BulkFailure,
    NotFoundError,
    TransportError,
    ValidationError,
)
from ansible_collections.alohub.callcenter.plugins.module_utils.reconcile import (
    STATUSES, Plan, find_by_name, sync_many, sync_one,
)


QUEUES = '/v1/queues/inbound'
TEST_ID = 1001226
URL = 'https://gw.example.test/api'


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


def path(queue):
    return '%s/%d' % (QUEUES, queue)


# ---------------------------------------------------------------------------
# Plan
# ---------------------------------------------------------------------------

def test_plan_holds_only_the_differing_settings(fake_api, tenant):
    before = before_of(fake_api(tenant), TEST_ID)
    plan = Plan.towards(before, {'strategy': 2, 'max_wait_sec': 120, 'moh_file_id': 'moh-2024.wav'})
    assert plan.changed
    assert plan.changes == {'strategy': 2}
    assert plan.body == {'strategy': 2}
    assert plan.queue_id == TEST_ID
    assert plan.after == dict(before, strategy=2, strategy_name='vip')


def test_plan_body_is_in_wire_form(fake_api, tenant):
    before = before_of(fake_api(tenant), TEST_ID)
    plan = Plan.towards(before, {'max_wait_sec': 180, 'announce_position': True, 'strategy': 99})
    assert plan.body == {'max_wait_sec': '180', 'announce_position': '1', 'strategy': 99}


def test_plan_without_differences(fake_api, tenant):
    before = before_of(fake_api(tenant), 1001227)
    plan = Plan.towards(before, {'strategy': 2, 'max_wait_sec': 60, 'announce_position': True})
    assert not plan.changed
    assert plan.changes == {} and plan.body == {}
    assert plan.after == before


def test_plan_diff_names_the_queue_in_both_headers(fake_api, tenant):
    before = before_of(fake_api(tenant), TEST_ID)
    plan = Plan.towards(before, {'max_wait_sec': 180})
    diff = plan.diff()
    assert diff['before_header'] == diff['after_header'] == 'queue 1001226 (test)'
    assert diff['before'] == before and diff['after']['max_wait_sec'] == 180
    assert plan.diff(dict(plan.after, number='123'))['after']['number'] == '123'


def test_a_diff_shows_control_characters_escaped_and_the_data_keeps_them(fake_api, tenant):
    api = fake_api(tenant)
    api.find(TEST_ID)['callinName'] = 'x\x1b[2J\u202eevil\nPLAY RECAP'
    before = before_of(api, TEST_ID)
    diff = Plan.towards(before, {'max_wait_sec': 1}).diff()
    assert diff['before_header'] == 'queue 1001226 (x\\x1b[2J\\u202eevil\\x0aPLAY RECAP)'
    assert diff['before']['name'] == diff['after']['name'] == 'x\\x1b[2J\\u202eevil\\x0aPLAY RECAP'
    assert before['name'] == 'x\x1b[2J\u202eevil\nPLAY RECAP'


def test_plan_item_and_setting_changes_hold_only_what_changes(fake_api, tenant):
    plan = Plan.towards(before_of(fake_api(tenant), TEST_ID), {'strategy': 2, 'max_wait_sec': 120, 'announce_position': True})
    assert plan.item() == {'id': TEST_ID, 'name': 'test', 'before': {'announce_position': None, 'strategy': 1},
                           'after': {'announce_position': True, 'strategy': 2}}
    assert plan.setting_changes() == [{'setting': 'strategy', 'before': 1, 'after': 2},
                                      {'setting': 'announce_position', 'before': None, 'after': True}]


# ---------------------------------------------------------------------------
# find_by_name
# ---------------------------------------------------------------------------

def test_find_by_name_one(fake_api, tenant):
    assert find_by_name(normalised(fake_api(tenant)), 'test')['id'] == TEST_ID


@pytest.mark.parametrize('name', ['nope', 'Test', ' test', 'tes'])
def test_find_by_name_none_matches_exactly(fake_api, tenant, name):
    with pytest.raises(NotFoundError) as info:
        find_by_name(normalised(fake_api(tenant)), name)
    assert info.value.msg == 'no inbound queue of this tenant is named "%s"' % name
    assert info.value.result_status == 'missing'


def test_find_by_name_several_is_ambiguous_and_lists_the_ids(fake_api, tenant):
    with pytest.raises(AmbiguousError) as info:
        find_by_name(normalised(fake_api(tenant)), 'support')
    assert '2 inbound queues are named "support" (ids 1001227, 1001228); use id to pick one' == info.value.msg
    assert info.value.fail_kwargs()['matching_ids'] == [1001227, 1001228]
    assert info.value.result_status == 'ambiguous'


# ---------------------------------------------------------------------------
# sync_one (inbound_queue)
# ---------------------------------------------------------------------------

def one(api, check_mode=False, want_diff=False, **params):
    return sync_one(QueueClient(api), params, check_mode, want_diff)


def test_sync_one_unchanged_sends_nothing_but_the_get(fake_api, tenant):
    api = fake_api(tenant)
    result = one(api, id=TEST_ID, strategy=1, max_wait_sec=120)
    assert result == dict(changed=False, check_mode=False, target=dict(api_url=URL, tenant_id=None), status='ok',
                          queue=before_of(api, TEST_ID), changes=[])
    assert api.verbs() == [('GET', path(TEST_ID))]


def test_sync_one_check_mode_predicts_without_a_put(fake_api, tenant):
    api = fake_api(tenant)
    before = before_of(api, TEST_ID)
    result = one(api, check_mode=True, want_diff=True, id=TEST_ID, strategy='divert', announce_position=False)
    assert result['changed'] and result['status'] == 'would_change' and result['check_mode'] is True
    assert result['queue'] == dict(before, strategy=4, strategy_name='divert', announce_position=False)
    assert result['diff']['after']['strategy'] == 4
    assert [verb for verb, dummy in api.verbs()] == ['GET']
    assert api.find(TEST_ID)['strategy'] == 1


def test_sync_one_puts_only_the_differences_then_verifies(fake_api, tenant):
    api = fake_api(tenant)
    result = one(api, id=TEST_ID, strategy='1', max_wait_sec=180, announce_position=True, moh_file_id='moh-2024.wav')
    assert api.verbs() == [('GET', path(TEST_ID)), ('PUT', path(TEST_ID)), ('GET', path(TEST_ID))]
    assert api.puts() == [(path(TEST_ID), {'max_wait_sec': '180', 'announce_position': '1'})]
    assert result['status'] == 'changed' and result['queue']['max_wait_sec'] == 180
    assert result['changes'] == [{'setting': 'max_wait_sec', 'before': 120, 'after': 180},
                                 {'setting': 'announce_position', 'before': None, 'after': True}]
    assert 'diff' not in result


def test_sync_one_by_name_reads_the_list(fake_api, tenant):
    api = fake_api(tenant)
    result = one(api, name='sales', strategy='vip')
    assert result['queue']['id'] == 1001229
    assert [verb for verb, dummy2 in api.verbs()] == ['GET', 'PUT', 'GET'] and api.verbs()[0] == ('GET', QUEUES)


def test_sync_one_second_run_is_a_no_op(fake_api, tenant):
    api = fake_api(tenant)
    one(api, id=TEST_ID, max_wait_sec=180, strategy=3)
    calls = len(api.calls)
    assert not one(api, id=TEST_ID, max_wait_sec=180, strategy=3)['changed'] and len(api.calls) == calls + 1


@pytest.mark.parametrize('params, message', [
    (dict(strategy=1), 'one of id or name is required'),
    (dict(id=TEST_ID), 'at least one setting is required: strategy, moh_file_id, max_wait_sec, announce_position'),
    (dict(id=0, strategy=1), 'id must be a positive integer; got 0'),
    (dict(id=TEST_ID, strategy='premium'), 'strategy must be one of'),
    (dict(id=TEST_ID, moh_file_id=83), 'moh_file_id must be a string; got 83; quote a file name made of digits'),
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
    assert info.value.fail_kwargs()['url'] == URL + path(42)


def test_sync_one_a_setting_that_does_not_take_fails_as_changed(fake_api, tenant):
    api = fake_api(tenant, apply_puts=False)
    with pytest.raises(AppliedError) as info:
        one(api, id=TEST_ID, max_wait_sec=180, strategy=1)
    assert info.value.msg == ('the server accepted the update of queue 1001226 (test), so it changed, but then: reading '
                              'queue 1001226 (test) back shows the server did not apply it: max_wait_sec is 120, wanted 180')
    kwargs = info.value.fail_kwargs()
    assert kwargs['changed'] is True and kwargs['missed'] == ['max_wait_sec'] and kwargs['queue_id'] == TEST_ID


@pytest.mark.parametrize('read_back, says', [
    (ApiError('GET', 'u', 503, None, 'The upstream server is currently unavailable', attempts=6), 'HTTP 503'),
    (TransportError('GET', 'u', 'no complete answer within timeout (30 s)', attempts=6), 'within timeout'),
    (ApiError('GET', 'u', 404, 'NOT_FOUND', 'gone'), 'disappeared right after the update'),
])
def test_sync_one_a_failed_read_back_after_an_accepted_put_is_changed(fake_api, tenant, read_back, says):
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
    assert says in info.value.msg
    assert api.find(TEST_ID)['strategy'] == 2


def test_sync_one_put_error_propagates_unchanged_without_a_read_back(fake_api, tenant):
    error = ApiError('PUT', URL + path(TEST_ID), 400, 'INVALID_INPUT', 'moh_file_id is unknown')
    api = fake_api(tenant, errors={('PUT', TEST_ID): error})
    with pytest.raises(ApiError) as info:
        one(api, id=TEST_ID, moh_file_id='nope.wav')
    assert info.value is error and 'changed' not in info.value.fail_kwargs()
    assert info.value.result_status == 'invalid'
    assert [verb for verb, dummy in api.verbs()] == ['GET', 'PUT']


# ---------------------------------------------------------------------------
# sync_many, state=merged
# ---------------------------------------------------------------------------

def many(api, config=None, check_mode=False, parallel=1, **kwargs):
    """sync_many over a real client; returns the result, or the result a BulkFailure carries (and the failure)."""
    try:
        return sync_many(QueueClient(api), config=config, check_mode=check_mode, parallel=parallel, **kwargs), None
    except BulkFailure as failure:
        return failure.fail_kwargs(), failure


def counts(result):
    return dict((key, result['summary'][key]) for key in ('total', 'changed', 'unchanged', 'failed'))


def statuses(result):
    return [r['status'] for r in result['results']]


@pytest.mark.parametrize('parallel', [1, 4])
def test_merged_puts_only_changed_queues_and_verifies(fake_api, tenant, parallel):
    api = fake_api(tenant)
    config = [
        {'id': TEST_ID, 'max_wait_sec': 180},                  # changes
        {'id': 1001227, 'strategy': 'vip', 'max_wait_sec': 60},  # already so
        {'name': 'sales', 'strategy': 4, 'announce_position': False},  # changes
    ]
    result, failure = many(api, config, parallel=parallel, want_diff=True)
    assert failure is None and result['changed'] is True and result['status'] == 'changed'
    assert counts(result) == {'total': 3, 'changed': 2, 'unchanged': 1, 'failed': 0}
    assert result['summary']['statuses'] == {'changed': 2, 'ok': 1}
    assert result['check_mode'] is False and result['target'] == dict(
        api_url=URL, tenant_id=None, tenant_queue_ids=[TEST_ID, 1001227, 1001228, 1001229])
    assert sorted(api.puts()) == [(path(TEST_ID), {'max_wait_sec': '180'}),
                                  (path(1001229), {'strategy': 4, 'announce_position': '0'})]
    results = result['results']
    assert statuses(result) == ['changed', 'ok', 'changed']
    assert [r['entry'] for r in results] == ['config[0]', 'config[1]', 'config[2]']
    assert [r['changed'] for r in results] == [True, False, True]
    assert results[0]['changes'] == [{'setting': 'max_wait_sec', 'before': 120, 'after': 180}]
    assert results[0]['diff']['after']['max_wait_sec'] == 180
    assert results[0]['diff']['before_header'] == 'queue 1001226 (test)'
    assert results[1]['diff'] is None and results[1]['changes'] == []
    assert result['plan'] == [
        {'id': TEST_ID, 'name': 'test', 'before': {'max_wait_sec': 120}, 'after': {'max_wait_sec': 180}},
        {'id': 1001229, 'name': 'sales', 'before': {'announce_position': None, 'strategy': None},
         'after': {'announce_position': False, 'strategy': 4}}]
    assert len(result['diff']) == 2 and result['backup_file'] is None
    assert result['msg'] == '3 queue entries: 2 changed, 1 unchanged, 0 failed'
    # Rerun: nothing to PUT, no plan.
    puts = len(api.puts())
    result, dummy = many(api, config, parallel=parallel)
    assert counts(result) == {'total': 3, 'changed': 0, 'unchanged': 3, 'failed': 0} and result['status'] == 'ok'
    assert result['plan'] == [] and result['changed'] is False and 'diff' not in result
    assert len(api.puts()) == puts


def test_merged_check_mode_sends_no_put_and_returns_the_plan(fake_api, tenant):
    api = fake_api(tenant)
    result, dummy = many(api, [{'id': TEST_ID, 'max_wait_sec': 1}, {'name': 'sales', 'strategy': 2}], check_mode=True,
                         want_diff=True)
    assert result['summary']['changed'] == 2 and result['changed'] is True
    assert statuses(result) == ['would_change', 'would_change'] and result['status'] == 'would_change'
    assert result['check_mode'] is True
    assert [verb for verb, dummy2 in api.verbs()] == ['GET']  # the list, nothing else
    assert result['results'][1]['diff']['after']['strategy_name'] == 'vip'
    assert [item['id'] for item in result['plan']] == [TEST_ID, 1001229]


def test_an_empty_config_is_a_no_op_without_a_request(fake_api, tenant):
    api = fake_api(tenant)
    result, failure = many(api, [])
    assert failure is None and result['results'] == [] and result['status'] == 'ok' and api.calls == []


def test_merged_verifies_with_one_get_each_when_that_is_fewer_requests(fake_api, tenant):
    api = fake_api(tenant, page_size_cap=1)  # the list takes 4 pages here, so GETs are cheaper
    many(api, [{'id': TEST_ID, 'max_wait_sec': 1}, {'name': 'sales', 'strategy': 2}])
    verbs = api.verbs()
    after_puts = verbs[[v for v, dummy in verbs].index('PUT'):]
    assert [v for v, dummy in after_puts] == ['PUT', 'PUT', 'GET', 'GET']
    assert all(p != QUEUES for dummy, p in after_puts)


def test_merged_verifies_with_a_relist_when_that_is_fewer_requests(fake_api, tenant):
    api = fake_api(tenant)  # one page holds the tenant
    result, dummy = many(api, [{'id': TEST_ID, 'max_wait_sec': 1}, {'name': 'sales', 'strategy': 2}], want_diff=True)
    assert counts(result) == {'total': 2, 'changed': 2, 'unchanged': 0, 'failed': 0}
    assert api.verbs()[-1] == ('GET', QUEUES)
    assert len([1 for verb, p in api.verbs() if verb == 'GET' and p != QUEUES]) == 0
    assert result['results'][0]['diff']['after']['max_wait_sec'] == 1


def test_merged_keeps_going_past_a_failed_put_with_typed_errors(fake_api, tenant):
    error = ApiError('PUT', URL + path(TEST_ID), 400, 'INVALID_INPUT', 'no such music file')
    api = fake_api(tenant, errors={('PUT', TEST_ID): error})
    result, failure = many(api, [{'id': TEST_ID, 'moh_file_id': 'x.wav'}, {'name': 'sales', 'strategy': 2},
                                 {'id': 42, 'strategy': 1}, {'name': 'support', 'strategy': 1}])
    assert failure.msg.startswith('4 queue entries: 1 changed, 0 unchanged, 3 failed: config[0]: PUT ')
    assert result['status'] == 'failed' and result['msg'] == failure.msg
    assert counts(result) == {'total': 4, 'changed': 1, 'unchanged': 0, 'failed': 3}
    assert statuses(result) == ['invalid', 'changed', 'missing', 'ambiguous']
    results = result['results']
    assert 'INVALID_INPUT' in results[0]['error'] and results[0]['changed'] is False
    assert results[0]['error_info'] == {'kind': 'ApiError', 'status': 400, 'error_code': 'INVALID_INPUT', 'method': 'PUT',
                                        'url': error.url, 'attempts': 1}
    assert results[1]['changed'] is True and results[1]['error'] is None and results[1]['error_info'] is None
    assert results[2]['error'].startswith('config[2]: queue 42 was not found')
    assert results[2]['id'] == 42 and results[2]['name'] is None
    assert results[3]['matching_ids'] == [1001227, 1001228] and results[3]['id'] is None
    assert result['changed'] is True and [item['id'] for item in result['plan']] == [1001229]
    assert api.find(1001229)['strategy'] == 2


def test_merged_a_queue_the_server_did_not_update_is_changed_and_failed(fake_api, tenant):
    api = fake_api(tenant, apply_puts=False)
    result, failure = many(api, [{'id': TEST_ID, 'max_wait_sec': 1}])
    assert counts(result) == {'total': 1, 'changed': 1, 'unchanged': 0, 'failed': 1}
    assert result['changed'] is True and statuses(result) == ['failed']
    error = result['results'][0]['error']
    assert error.startswith('config[0]: the server accepted the update of queue 1001226 (test), so it changed, but then:')
    assert 'the server did not apply it: max_wait_sec is 120, wanted 1' in error
    assert result['results'][0]['error_info'] == {'kind': 'VerificationError', 'applied': True}


def test_merged_a_failed_read_back_does_not_lose_the_other_results(fake_api, tenant):
    """One GET of the verification failing must not stop the others being verified and reported."""
    lost = TransportError('GET', 'u', 'connection refused', attempts=6)
    api = fake_api(tenant, page_size_cap=1, errors={('GET', TEST_ID): lost})
    result, dummy = many(api, [{'id': TEST_ID, 'max_wait_sec': 1}, {'name': 'sales', 'strategy': 2}])
    assert counts(result) == {'total': 2, 'changed': 2, 'unchanged': 0, 'failed': 1}
    assert 'connection refused' in result['results'][0]['error'] and result['results'][0]['changed'] is True
    assert result['results'][1]['changed'] is True and result['results'][1]['error'] is None


def test_merged_a_failed_relist_marks_the_updated_entries_changed_and_failed(fake_api, tenant):
    class RelistFails(fake_api):
        def request(self, method, path, params=None, body=None):
            if path == QUEUES and any(verb == 'PUT' for verb, dummy in self.verbs()):
                self.calls.append((method, path, params, body))
                raise ApiError(method, URL + path, 503, None, 'The upstream server is currently unavailable', attempts=6)
            return super().request(method, path, params, body)

    api = RelistFails(tenant)
    result, failure = many(api, [{'id': TEST_ID, 'max_wait_sec': 1}, {'name': 'sales', 'strategy': 2},
                                 {'id': 1001227, 'strategy': 2}])
    assert api.verbs()[-1] == ('GET', QUEUES)
    # The server took both PUTs: they are changed AND failed (not verified).
    assert counts(result) == {'total': 3, 'changed': 2, 'unchanged': 1, 'failed': 2}
    assert result['changed'] is True and statuses(result) == ['failed', 'failed', 'ok']
    for entry in result['results'][:2]:
        assert entry['changed'] is True
        assert 'so it changed, but then: GET https://gw.example.test/api/v1/queues/inbound failed: HTTP 503' in entry['error']
        assert entry['error_info']['status'] == 503 and entry['error_info']['applied'] is True


def test_merged_two_entries_for_one_queue_fail_before_any_put(fake_api, tenant):
    api = fake_api(tenant)
    result, failure = many(api, [{'id': TEST_ID, 'strategy': 1}, {'name': 'test', 'strategy': 2}])
    assert failure.msg == 'config[0] and config[1] both resolve to queue 1001226 (test); give each queue once'
    assert result['results'] == [] and result['status'] == 'failed' and result['changed'] is False
    assert [verb for verb, dummy in api.verbs()] == ['GET']


def test_merged_a_renamed_queue_fails_its_entry(fake_api, tenant):
    result, failure = many(fake_api(tenant), [{'id': TEST_ID, 'name': 'renamed', 'strategy': 1}])
    assert statuses(result) == ['renamed']
    assert result['results'][0]['error'] == ('config[0]: queue 1001226 (test) is named "test" now, not "renamed"; names '
                                             'cannot be changed through the API: rename it back in the AloHub UI, or '
                                             'update the entry')


def test_entries_read_from_a_file_are_named_as_the_file_has_them(fake_api, tenant):
    result, failure = many(fake_api(tenant), [{'id': TEST_ID, 'strategy': 1}, {'name': 'nope', 'strategy': 1}],
                           source='queues.yml')
    assert [r['entry'] for r in result['results']] == ['queues.yml entry 1 (id 1001226)', 'queues.yml entry 2 (nope)']
    assert failure.msg.endswith('queues.yml entry 2 (nope): no inbound queue of this tenant is named "nope"')


def test_a_failure_before_the_tenant_is_read_has_the_same_shape(fake_api, tenant):
    error = ApiError('GET', URL + QUEUES, 401, 'UNAUTHORIZED', 'bad key')

    class Refused(fake_api):
        def request(self, method, path, params=None, body=None):
            raise error

    result, failure = many(Refused(tenant), [{'id': TEST_ID, 'strategy': 1}])
    assert failure.msg == error.msg
    assert result['results'] == [] and result['plan'] == [] and result['status'] == 'failed'
    assert result['target'] == dict(api_url=URL, tenant_id=None) and result['check_mode'] is False


def test_every_status_is_documented_once():
    assert len(set(STATUSES)) == len(STATUSES)


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
    assert result['summary']['unmanageable'] == 2
    assert counts(result) == {'total': 3, 'changed': 1, 'unchanged': 2, 'failed': 0}
    assert statuses(result) == ['would_change', 'unmanageable', 'ok', 'unmanaged']
    assert result['results'][3] == dict(entry=None, id=1001228, name='support', status='unmanaged', changed=False,
                                        changes=[], diff=None, error=None, error_info=None)
    assert result['unmanageable'] == [
        {'id': 1001227, 'name': 'support', 'setting': 'number',
         'reason': 'config[1] gives number "0287000000" but the queue has null; it is read-only through the API'},
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
    assert statuses(result) == ['unmanageable', 'unmanageable', 'unmanageable', 'ok']
    first = result['unmanageable'][0]
    assert first['reason'] == ('config[0] leaves moh_file_id unset while the queue has "moh-2024.wav"; the API cannot '
                               'clear a setting: give the value in config, or clear it in the AloHub UI')


def test_overridden_real_run_applies_what_it_can_then_fails(fake_api, tenant):
    api = fake_api(tenant)
    config = [{'id': TEST_ID, 'strategy': 3, 'moh_file_id': 'moh-2024.wav', 'max_wait_sec': 120}]
    result, failure = many(api, config, state='overridden')
    assert api.puts() == [(path(TEST_ID), {'strategy': 3})]
    assert failure is not None and failure.msg.startswith(
        '1 queue entries: 1 changed, 0 unchanged, 0 failed, 3 unmanageable: queue 1001227 (support): the queue is not in config')
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
    assert sorted(api.puts()) == [(path(TEST_ID), {'max_wait_sec': '180'}), (path(1001229), {'strategy': 2})]
    assert result['plan'] == plan and counts(result) == {'total': 2, 'changed': 2, 'unchanged': 0, 'failed': 0}
    assert [r['entry'] for r in result['results']] == ['plan[0]', 'plan[1]']


def test_a_plan_already_applied_sends_nothing_and_says_so(fake_api, tenant):
    api = fake_api(tenant)
    plan = planned(api, [{'id': TEST_ID, 'max_wait_sec': 180}, {'name': 'sales', 'strategy': 'vip'}])
    many(api, plan=plan)
    puts = len(api.puts())
    result, failure = many(api, plan=plan)
    assert failure is None and len(api.puts()) == puts
    assert result['already_applied'] is True and result['changed'] is False and statuses(result) == ['ok', 'ok']
    assert result['msg'].startswith('the plan is already applied: every queue holds its "after" values, so nothing was sent')


def test_a_plan_partly_applied_is_completed(fake_api, tenant):
    """A cancelled or crashed apply: the queues it reached hold "after", the others "before"; a rerun completes it."""
    api = fake_api(tenant)
    plan = planned(api, [{'id': TEST_ID, 'max_wait_sec': 180, 'strategy': 2}, {'name': 'sales', 'strategy': 'vip'}])
    api.find(TEST_ID)['timeWait'] = '180'   # one setting of the first item took, the other did not
    result, failure = many(api, plan=plan)
    assert failure is None and statuses(result) == ['changed', 'changed']
    assert sorted(api.puts()) == [(path(TEST_ID), {'strategy': 2}), (path(1001229), {'strategy': 2})]
    assert result['plan'][0] == {'id': TEST_ID, 'name': 'test', 'before': {'strategy': 1}, 'after': {'strategy': 2}}


def test_a_stale_plan_sends_nothing_and_names_every_stale_queue(fake_api, tenant):
    api = fake_api(tenant)
    plan = planned(api, [{'id': TEST_ID, 'max_wait_sec': 180}, {'name': 'sales', 'strategy': 'vip'},
                         {'id': 1001227, 'strategy': 1}, {'id': 1001228, 'strategy': 1}])
    api.find(TEST_ID)['timeWait'] = '150'          # someone changed it in the UI
    api.find(1001229)['callinName'] = 'sales-hn'   # renamed
    api.records = [r for r in api.records if r['callinId'] != 1001227]  # and one is gone
    result, failure = many(api, plan=plan)
    msg = failure.msg
    assert msg.startswith('the plan is stale, so nothing was sent: the tenant changed since the plan was made (')
    assert 'queue 1001226 (test): max_wait_sec is 150 now, was 120 when planned (and the plan sets 180)' in msg
    assert 'queue 1001229 (sales-hn): name is "sales-hn" now, was "sales" when planned' in msg
    assert 'queue 1001227 no longer exists in this tenant' in msg
    assert statuses(result) == ['stale', 'stale', 'stale', 'not_sent']
    assert api.puts() == [] and result['changed'] is False


def test_a_backup_restores_what_it_can_then_fails_naming_what_the_api_cannot_clear(fake_api, tenant):
    api = fake_api(tenant)
    backup = [{'id': TEST_ID, 'name': 'test', 'before': {'strategy': 1, 'announce_position': True},
               'after': {'strategy': 2, 'announce_position': None}}]
    api.find(TEST_ID)['nguongRanhRoi'] = '1'
    result, failure = many(api, plan=backup)
    assert api.puts() == [(path(TEST_ID), {'strategy': 2})]
    assert result['results'][0]['unrestorable'] == ['announce_position'] and result['results'][0]['status'] == 'changed'
    assert failure.msg.endswith('queue 1001226 (test): cannot restore announce_position back to null: the API cannot clear '
                                'a setting; clear it in the AloHub UI')
    # Again: what could be restored is, nothing is sent, and the setting is still named.
    again, failure = many(api, plan=backup)
    assert len(api.puts()) == 1 and again['changed'] is False and statuses(again) == ['unrestorable']
    assert 'cannot restore announce_position back to null' in failure.msg


def test_an_empty_plan_is_a_no_op_without_a_request(fake_api, tenant):
    api = fake_api(tenant)
    result, failure = many(api, plan=[])
    assert failure is None and result['results'] == [] and result['plan'] == [] and api.calls == []
    assert result['summary'] == {'total': 0, 'changed': 0, 'unchanged': 0, 'failed': 0, 'statuses': {}}


@pytest.mark.parametrize('plan, message', [
    ('x', 'plan must be a list of plan items'),
    ([5], 'plan[0] must be a mapping {id, name, before, after}'),
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
    result, failure = many(api, plan=plan)
    assert failure.msg.startswith(message) and result['status'] == 'failed'
    assert api.calls == []


def test_a_plan_edited_after_it_was_made_is_refused(fake_api, tenant):
    api = fake_api(tenant)
    plan = planned(api, [{'id': TEST_ID, 'max_wait_sec': 180}])
    meta = dict(kind='plan', api_url=URL, tenant_id=None, tenant_queue_ids=[TEST_ID])
    meta['digest'] = entries.plan_digest(plan, meta)
    edited = [dict(plan[0], after={'max_wait_sec': 999})]
    calls = len(api.calls)
    result, failure = many(api, plan=edited, source='plan.yml', source_meta=meta)
    assert failure.msg == ('the plan plan.yml was edited after it was made (its digest does not match its items and '
                           'metadata), so nothing was sent: make a new plan and review it again')
    assert len(api.calls) == calls
    result, failure = many(api, plan=plan, source='plan.yml', source_meta=meta)
    assert failure is None and result['changed'] is True


@pytest.mark.parametrize('meta, says', [
    (dict(kind='plan', api_url='https://xapi.alohub.vn'), 'was made for another API'),
    (dict(kind='plan', api_url=URL, tenant_queue_ids=[2002000, 2002001]), 'was made for another tenant, the tenant of its key '
     'at https://gw.example.test/api (queues 2002000, 2002001...), not for the tenant of its key at '
     'https://gw.example.test/api (queues 1001226, 1001227, 1001228...)'),
    (dict(kind='queues', api_url=URL), 'the file given as plan is a queues file, not a plan or a backup'),
])
def test_a_plan_for_another_api_or_tenant_is_refused_sending_nothing(fake_api, tenant, meta, says):
    api = fake_api(tenant)
    plan = [{'id': 2002000, 'name': 'globex-main', 'before': {'strategy': 1}, 'after': {'strategy': 2}}]
    result, failure = many(api, plan=plan, source_meta=meta)
    assert says in failure.msg and api.puts() == []


def test_a_plan_of_this_tenant_is_accepted_whatever_queues_were_removed_since(fake_api, tenant):
    api = fake_api(tenant)
    meta = dict(kind='plan', api_url=URL, tenant_queue_ids=[1000000, TEST_ID])   # 1000000 is gone; TEST_ID is here
    plan = [{'id': TEST_ID, 'name': 'test', 'before': {'strategy': 1}, 'after': {'strategy': 2}}]
    result, failure = many(api, plan=plan, source_meta=meta)
    assert failure is None and result['changed'] is True


def test_a_tenant_id_on_both_sides_must_agree(fake_api, tenant):
    api = fake_api(tenant)
    api.tenant_id = '20260310'
    meta = dict(kind='queues', api_url=URL, tenant_id='20260311', tenant_queue_ids=[TEST_ID])
    result, failure = many(api, [{'id': TEST_ID, 'strategy': 2}], source_meta=meta)
    assert 'this queues file was made for another tenant, tenant 20260311' in failure.msg and api.puts() == []


def test_a_portable_file_is_not_bound_to_a_tenant(fake_api, tenant):
    api = fake_api(tenant)
    meta = dict(kind='queues', api_url='https://xapi-dev.alohub.vn', key_by='name', tenant_queue_ids=[2002000])
    result, failure = many(api, [{'name': 'test', 'strategy': 2}], source_meta=meta)
    assert failure is None and result['changed'] is True


# ---------------------------------------------------------------------------
# render and gather
# ---------------------------------------------------------------------------

def test_render_returns_each_entrys_body_in_wire_form():
    rendered, config = reconcile.render([{'id': TEST_ID, 'strategy': 'vip', 'max_wait_sec': 180, 'announce_position': True},
                                         {'name': 'sales', 'moh_file_id': 'a.wav', 'strategy_name': 'locked'},
                                         {'id': 7}])
    assert rendered == [
        {'entry': 'config[0]', 'id': TEST_ID, 'name': None,
         'body': {'strategy': 2, 'max_wait_sec': '180', 'announce_position': '1'}},
        {'entry': 'config[1]', 'id': None, 'name': 'sales', 'body': {'strategy': 99, 'moh_file_id': 'a.wav'}},
        {'entry': 'config[2]', 'id': 7, 'name': None, 'body': {}},
    ]


def test_render_validates_as_merged_does():
    with pytest.raises(ValidationError, match=r'config\[0\].max_wait_sec must be 0 or more'):
        reconcile.render([{'id': 1, 'max_wait_sec': -1}])
    with pytest.raises(ValidationError, match=r'config\[0\] and config\[1\] both name the queue "sales"'):
        reconcile.render([{'name': 'sales', 'strategy': 1}, {'name': 'sales', 'max_wait_sec': 1}])


def test_render_merges_the_overlay():
    rendered, config = reconcile.render([{'name': 'sales', 'strategy': 1, 'max_wait_sec': 60}],
                                        source='base.yml', overlay=[{'name': 'sales', 'max_wait_sec': 90}],
                                        overlay_source='prod.yml')
    assert config == [{'name': 'sales', 'strategy': 1, 'max_wait_sec': 90}]
    assert rendered[0]['body'] == {'strategy': 1, 'max_wait_sec': '90'} and rendered[0]['entry'] == 'base.yml entry 1 (sales)'


def test_gather_returns_config_entries_sorted_by_id(fake_api, tenant):
    api = fake_api(list(reversed(tenant)))
    gathered, total, target, excluded = reconcile.gather(QueueClient(api))
    assert total == 4 and [q['id'] for q in gathered] == [TEST_ID, 1001227, 1001228, 1001229] and excluded == []
    assert set(gathered[0]) == set(queue_model.CONFIG_KEYS)
    assert target['tenant_queue_ids'] == [TEST_ID, 1001227, 1001228, 1001229]


def test_gather_by_name_drops_the_ids_and_refuses_shared_names(fake_api, tenant):
    with pytest.raises(ValidationError) as info:
        reconcile.gather(QueueClient(fake_api(tenant)), key_by='name')
    assert info.value.msg.startswith('key_by=name: 1 name(s) are shared by several queues of this tenant, so they cannot '
                                     'stand for one queue: "support": queues 1001227, 1001228; nothing was written')
    gathered, total, dummy, excluded = reconcile.gather(QueueClient(fake_api(tenant[:2] + tenant[3:])), key_by='name')
    assert [sorted(entry) for entry in gathered][0] == sorted(set(queue_model.CONFIG_KEYS) - {'id'})


def test_a_selection_leaves_entries_and_tenant_queues_out(fake_api, tenant):
    api = fake_api(tenant)
    selection = entries.Selection(exclude=['support'])
    result, failure = many(api, [{'name': 'test', 'strategy': 2}, {'name': 'support', 'strategy': 1}], check_mode=True,
                           state='overridden', selection=selection)
    assert failure is None and result['excluded'] == ['support']
    assert [(r['name'], r['status']) for r in result['results']] == [('test', 'would_change'), ('sales', 'unmanaged')]
    # Gathered by name: the two queues named support would fail, but are left out, and named.
    gathered, total, dummy, excluded = reconcile.gather(QueueClient(api), key_by='name', selection=selection)
    assert [e['name'] for e in gathered] == ['test', 'sales'] and total == 4 and excluded == ['support']
    rendered, effective = reconcile.render([{'name': 'a', 'strategy': 1}, {'name': 'b', 'strategy': 2}],
                                           selection=entries.Selection(include=['b']))
    assert [r['name'] for r in rendered] == ['b'] and effective == [{'name': 'b', 'strategy': 2}]
