# -*- coding: utf-8 -*-
# Copyright: (c) 2026, AloHub collection maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""The modules' flows in process (run_main): what they return and exactly what they send.

Each test scripts the answers of the API at the HTTP session and checks the result the
controller would get (after Ansible's own no_log masking) and the requests made.
"""

from __future__ import annotations

import base64
from urllib.parse import quote

import pytest

KEY = 'sk_test_Secret123abc'
URL = 'https://gw.example.test/api'
CONNECTION = dict(api_url=URL, api_key=KEY)
LIST = URL + '/v1/queues/inbound'


def record(queue_id, name, **fields):
    base = dict(callinId=queue_id, callinName=name, strategy=1, musicinQueue='waiting.wav', timeWait='120',
                agentSelector=None, nguongRanhRoi=None, callinNumber=None)
    base.update(fields)
    return base


TENANT = [record(1001226, 'test'), record(1001227, 'sales', strategy=2, timeWait='60', nguongRanhRoi='1')]
OK = dict(success='1', error_code='SUCCESS', error_message='Inbound queue updated successfully')


def page(records, total=None):
    return dict(success='1', error_code='SUCCESS', totalRecord=len(records) if total is None else total, data=records)


def methods(run):
    return [(r['method'], r['url'].split('?')[0]) for r in run.requests]


# ---------------------------------------------------------------------------
# inbound_queue: truthful changed
# ---------------------------------------------------------------------------

def test_inbound_queue_check_real_and_rerun(run_main, reply):
    args = dict(CONNECTION, id=1001226, strategy='vip', max_wait_sec=180)
    check = run_main('inbound_queue', args, replies=[reply(200, TENANT[0])], check_mode=True, diff=True)
    assert check.changed and not check.failed and methods(check) == [('GET', LIST + '/1001226')]
    assert check.result['diff']['after']['strategy_name'] == 'vip'
    changed = dict(TENANT[0], strategy=2, timeWait='180')
    real = run_main('inbound_queue', args, replies=[reply(200, TENANT[0]), reply(200, OK), reply(200, changed)])
    assert real.changed and real.result['queue']['max_wait_sec'] == 180
    assert [r['method'] for r in real.requests] == ['GET', 'PUT', 'GET']
    assert real.requests[1]['json'] == {'strategy': 2, 'max_wait_sec': '180'}
    rerun = run_main('inbound_queue', args, replies=[reply(200, changed)])
    assert not rerun.changed and [r['method'] for r in rerun.requests] == ['GET']


@pytest.mark.parametrize('read_back', [
    'gateway',      # 503s until retries are spent
    'strange',      # a body that is not a queue record
    'unapplied',    # the record, unchanged
])
def test_inbound_queue_a_failed_read_back_after_an_accepted_put_is_changed(run_main, reply, read_back):
    answers = dict(
        gateway=[reply(503, {'message': 'The upstream server is currently unavailable'})] * 2,
        strange=[reply(200, {'success': 'TRUE'})],
        unapplied=[reply(200, TENANT[0])],
    )[read_back]
    run = run_main('inbound_queue', dict(CONNECTION, id=1001226, strategy='vip', retries=1, max_retry_wait=0),
                   replies=[reply(200, TENANT[0]), reply(200, OK)] + answers)
    assert run.failed and run.changed, run.result
    assert run.msg.startswith('the server accepted the update of queue 1001226 (test), so it changed, but then: ')


def test_inbound_queue_a_rejected_put_is_not_changed(run_main, reply):
    run = run_main('inbound_queue', dict(CONNECTION, id=1001226, moh_file_id='nope.wav'),
                   replies=[reply(200, TENANT[0]), reply(400, dict(success='0', error_code='INVALID_INPUT',
                                                                   error_message='unknown music file'))])
    assert run.failed and not run.changed
    assert run.msg.startswith('PUT %s/1001226 failed: HTTP 400 INVALID_INPUT (unknown music file)' % LIST)


def test_inbound_queue_by_name_never_puts_to_a_queue_with_a_float_id(run_main, reply):
    hostile = [record(1001226.9, 'sales'), record(1001226, 'support')]
    run = run_main('inbound_queue', dict(CONNECTION, name='sales', strategy='vip'), replies=[reply(200, page(hostile))])
    assert run.failed and not run.changed
    assert 'record 0 of page 0 (callinId 1001226.9, callinName "sales"): callinId must be a positive integer' in run.msg
    assert [r['method'] for r in run.requests] == ['GET']


def test_a_gateway_404_says_api_url_is_probably_wrong(run_main, reply):
    run = run_main('inbound_queue_info', dict(CONNECTION, api_url=URL + '/v1/queues/inbound', id=1001226),
                   replies=[reply(404, {'message': 'no Route matched with those values'})])
    assert run.failed
    assert run.msg.startswith('GET %s/v1/queues/inbound/v1/queues/inbound/1001226 failed: HTTP 404' % URL)
    assert 'api_url is probably wrong' in run.msg


def test_the_apis_own_404_is_an_empty_info_result(run_main, reply):
    run = run_main('inbound_queue_info', dict(CONNECTION, id=1001299),
                   replies=[reply(404, dict(success='0', error_code='NOT_FOUND', error_message='not found'))])
    assert not run.failed and run.result['queues'] == [] and run.result['total'] is None


def test_info_fails_rather_than_return_part_of_the_tenant(run_main, reply):
    short = [reply(200, page(TENANT[:1], total=2)), reply(200, page([], total=2))] * 2
    run = run_main('inbound_queue_info', CONNECTION, replies=short)
    assert run.failed and 'the queue list could not be read whole, twice' in run.msg
    assert 'queues' not in run.result


# ---------------------------------------------------------------------------
# inbound_queues: states, plans, results that survive
# ---------------------------------------------------------------------------

def test_rendered_needs_no_key_and_sends_nothing(run_main):
    run = run_main('inbound_queues', dict(state='rendered', config=[
        dict(id=1001226, strategy='vip', max_wait_sec=180, announce_position=True),
        dict(name='sales', strategy_name='locked')]))
    assert not run.failed and not run.changed and run.requests == []
    assert run.result['rendered'] == [
        dict(entry='config[0]', id=1001226, name=None, body=dict(strategy=2, max_wait_sec='180', announce_position='1')),
        dict(entry='config[1]', id=None, name='sales', body=dict(strategy=99))]
    assert 'target' not in run.result and run.result['check_mode'] is False


def test_rendered_fails_as_merged_would(run_main):
    run = run_main('inbound_queues', dict(state='rendered', config=[dict(id=1, strategy=1, strategy_name='vip')]))
    assert run.failed and 'config[0].strategy_name is "vip" but config[0].strategy is 1 (normal)' in run.msg


def test_merged_check_mode_returns_the_plan_and_the_target(run_main, reply):
    run = run_main('inbound_queues', dict(CONNECTION, tenant_id='20260310', config=[dict(id=1001226, strategy='vip')]),
                   replies=[reply(200, page(TENANT))], check_mode=True)
    assert run.changed and not run.failed
    assert run.result['plan'] == [dict(id=1001226, name='test', before=dict(strategy=1), after=dict(strategy=2))]
    assert run.result['target'] == dict(api_url=URL, tenant_id='20260310', tenant_queue_ids=[1001226, 1001227])
    assert run.result['results'][0]['changes'] == [dict(setting='strategy', before=1, after=2)]
    assert run.result['results'][0]['status'] == 'would_change' and run.result['check_mode'] is True


def test_a_plan_is_applied_exactly_then_its_rerun_says_already_applied(run_main, reply):
    plan = [dict(id=1001226, name='test', before=dict(strategy=1), after=dict(strategy=2))]
    applied = dict(TENANT[0], strategy=2)
    run = run_main('inbound_queues', dict(CONNECTION, plan=plan),
                   replies=[reply(200, page(TENANT)), reply(200, OK), reply(200, applied)])
    assert run.changed and not run.failed
    # The list, the planned PUT, and one GET to verify (cheaper than the list here).
    assert methods(run) == [('GET', LIST), ('PUT', LIST + '/1001226'), ('GET', LIST + '/1001226')]
    assert run.requests[1]['json'] == {'strategy': 2}
    again = run_main('inbound_queues', dict(CONNECTION, plan=plan), replies=[reply(200, page([applied, TENANT[1]]))])
    assert not again.failed and not again.changed and again.result['already_applied'] is True
    assert again.msg.startswith('the plan is already applied')
    assert [r['method'] for r in again.requests] == ['GET']
    moved = run_main('inbound_queues', dict(CONNECTION, plan=plan),
                     replies=[reply(200, page([dict(TENANT[0], strategy=3), TENANT[1]]))])
    assert moved.failed and not moved.changed and 'the plan is stale, so nothing was sent' in moved.msg
    assert moved.result['results'][0]['status'] == 'stale'


def test_an_empty_plan_sends_nothing_and_names_the_target(run_main):
    run = run_main('inbound_queues', dict(CONNECTION, plan=[]))
    assert not run.failed and not run.changed and run.requests == []
    assert run.result['target'] == dict(api_url=URL, tenant_id=None)


def test_plan_and_config_are_mutually_exclusive(run_main):
    run = run_main('inbound_queues', dict(CONNECTION, plan=[], config=[]))
    assert run.failed and 'mutually exclusive: config|plan' in run.msg and run.requests == []


def test_overridden_real_run_applies_then_fails_with_every_result(run_main, reply):
    config = [dict(id=1001226, strategy='vip', moh_file_id='waiting.wav', max_wait_sec=120)]
    applied = dict(TENANT[0], strategy=2)
    run = run_main('inbound_queues', dict(CONNECTION, state='overridden', config=config),
                   replies=[reply(200, page(TENANT)), reply(200, OK), reply(200, applied)])
    assert run.failed and run.changed
    assert run.result['summary'] == dict(total=1, changed=1, unchanged=0, failed=0, unmanageable=1,
                                         statuses=dict(changed=1, unmanaged=1))
    assert run.result['unmanageable'][0]['id'] == 1001227 and run.result['unmanageable'][0]['setting'] is None
    assert run.result['results'][0]['changed'] is True and run.result['plan'][0]['after'] == dict(strategy=2)


def test_bulk_results_survive_a_verification_that_fails(run_main, reply):
    config = [dict(id=1001226, strategy='vip'), dict(id=1001227, strategy='locked')]
    run = run_main('inbound_queues', dict(CONNECTION, config=config, retries=0),
                   replies=[reply(200, page(TENANT)), reply(200, OK), reply(200, OK),
                            reply(200, b'[' * 100000 + b']' * 100000)])
    assert run.failed and run.changed
    assert run.result['summary'] == dict(total=2, changed=2, unchanged=0, failed=2, statuses=dict(failed=2))
    for entry in run.result['results']:
        assert entry['changed'] is True and entry['error_info']['applied'] is True
        assert 'so it changed, but then: GET' in entry['error'] and 'nested too deeply' in entry['error']


# ---------------------------------------------------------------------------
# First contact: messages that say what to do
# ---------------------------------------------------------------------------

def test_a_misspelt_option_is_named_with_its_closest_match(run_main):
    run = run_main('inbound_queue', dict(CONNECTION, id=1001226, max_wait_secs=180))
    assert run.failed and run.msg.startswith('Unsupported parameters for (')
    assert 'max_wait_secs' in run.msg and 'Did you mean: max_wait_secs -> max_wait_sec?' in run.msg
    assert 'one of the following is required' not in run.msg and run.requests == []


def test_a_missing_key_names_the_environment_variable(run_main):
    run = run_main('inbound_queue_info', dict(api_url=URL, id=1))
    assert run.failed and run.msg.startswith('api_key is required') and 'ALOHUB_API_KEY' in run.msg


def test_a_bad_value_from_the_environment_names_the_variable(run_main):
    run = run_main('inbound_queue_info', dict(id=1), env=dict(ALOHUB_API_KEY=KEY, ALOHUB_RETRIES='abc'))
    assert run.failed and "argument 'retries'" in run.msg
    assert '(retries came from the ALOHUB_RETRIES environment variable)' in run.msg


def test_a_registered_result_given_as_config_gets_a_hint(run_main):
    info = dict(changed=False, queues=[dict(id=1, strategy=1)], total=1)
    run = run_main('inbound_queues', dict(CONNECTION, config=info))
    assert run.failed and 'config must be a list of queue entries, but it is a dict with the keys changed, queues, total' in run.msg
    assert 'config: "{{ info.queues }}"' in run.msg and run.requests == []


def test_a_key_too_short_to_mask_is_refused_before_any_request(run_main):
    run = run_main('inbound_queue_info', dict(api_url=URL, api_key='wav', id=1))
    assert run.failed and 'shorter than 8 characters' in run.msg and run.requests == []


@pytest.mark.parametrize('form', ['url', 'base64'])
def test_the_key_echoed_encoded_by_the_server_is_masked_in_the_result(run_main, reply, form):
    key = 'sk+live/Secret=1'
    echoed = quote(key, safe='') if form == 'url' else base64.b64encode(key.encode()).decode()
    run = run_main('inbound_queue_info', dict(CONNECTION, api_key=key, id=1001226),
                   replies=[reply(200, record(1001226, 'echo %s' % echoed, musicinQueue='%s.wav' % echoed))])
    assert not run.failed
    assert echoed not in repr(run.result) and run.result['queues'][0]['name'] == 'echo ********'


def test_a_short_word_in_the_data_is_kept_as_it_is(run_main, reply):
    """The key is masked in output only: data that happens to contain a short word of it is untouched."""
    run = run_main('inbound_queue', dict(CONNECTION, api_key='sk_live_wav_12345', id=1001226, moh_file_id='a.wav'),
                   replies=[reply(200, record(1001226, 'test', musicinQueue='a.wav'))])
    assert not run.failed and not run.changed and run.result['queue']['moh_file_id'] == 'a.wav'


def test_info_by_name_returns_only_that_name_and_the_total(run_main, reply):
    run = run_main('inbound_queue_info', dict(CONNECTION, name='sales'), replies=[reply(200, page(TENANT))])
    assert not run.failed and [q['id'] for q in run.result['queues']] == [1001227] and run.result['total'] == 2


def test_gathered_returns_config_entries_sorted_by_id(run_main, reply):
    run = run_main('inbound_queues', dict(CONNECTION, state='gathered', config=[dict(id=1)]),
                   replies=[reply(200, page(list(reversed(TENANT))))])
    assert not run.failed and not run.changed and run.result['total'] == 2
    assert [q['id'] for q in run.result['gathered']] == [1001226, 1001227]
    assert 'strategy_name' not in run.result['gathered'][0]
    # (The warning about the config, 'config is ignored with state=gathered', is asserted end to end, in
    # test_inbound_queues.py: in process, controller code loaded by other tests can take module warnings.)


@pytest.mark.parametrize('args, message', [
    (dict(parallel=0, config=[]), 'parallel must be between 1 and 16; got 0'),
    (dict(parallel=17, config=[]), 'parallel must be between 1 and 16; got 17'),
    (dict(state='overridden', plan=[]), 'plan is applied with state=merged (the default); got state=overridden'),
    (dict(state='overridden'), 'state=overridden needs config (the queues and their settings), or plan (a reviewed plan to apply)'),
    (dict(state='rendered'), 'state=rendered needs config (the entries to check)'),
])
def test_inbound_queues_option_combinations_fail_before_any_request(run_main, args, message):
    run = run_main('inbound_queues', dict(CONNECTION, **args))
    assert run.failed and run.msg == message and run.requests == []
