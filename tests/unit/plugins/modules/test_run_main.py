# -*- coding: utf-8 -*-
# Copyright: (c) 2026, AloHub collection maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""The run_main fixture itself: arguments in, the controller's result out, requests at the seam."""

from __future__ import annotations

import pytest

KEY = 'sk_test_Secret123abc'
URL = 'https://gw.example.test/api'
RECORD = dict(callinId=1001226, callinName='test', strategy=1, musicinQueue='waiting.wav', timeWait='120',
              agentSelector=None, nguongRanhRoi=None, callinNumber=None)


def test_a_read_goes_through_the_real_session_preparation(run_main, reply):
    run = run_main('inbound_queue_info', dict(api_url=URL, api_key=KEY, id=1001226, tenant_id='20260310'),
                   replies=[reply(200, RECORD)])
    assert not run.failed, run.result
    assert [q['id'] for q in run.result['queues']] == [1001226]
    (sent,) = run.requests
    assert sent['method'] == 'GET' and sent['prepared'].url == URL + '/v1/queues/inbound/1001226'
    headers = sent['prepared'].headers
    assert headers['Authorization'] == KEY and headers['X-Tenant-ID'] == '20260310'
    assert headers['User-Agent'].startswith('alohub.callcenter (Ansible collection; ansible-core/')


def test_check_mode_and_diff_reach_the_module(run_main, reply):
    run = run_main('inbound_queue', dict(api_url=URL, api_key=KEY, id=1001226, strategy='vip'),
                   replies=[reply(200, RECORD)], check_mode=True, diff=True)
    assert run.changed and not run.failed, run.result
    assert run.result['diff']['after']['strategy'] == 2
    assert [r['method'] for r in run.requests] == ['GET']   # check mode: no PUT


def test_a_failure_is_masked_like_the_controller_gets_it(run_main):
    run = run_main('inbound_queue', dict(api_url=URL, api_key=KEY, id=1001226, strategy='turbo'))
    assert run.failed and 'strategy must be one of' in run.msg
    assert KEY not in str(run.result)
    assert run.requests == []


def test_the_environment_is_clean_unless_given(run_main, reply, monkeypatch):
    monkeypatch.setenv('ALOHUB_API_KEY', 'sk_from_the_shell_xyz')
    run = run_main('inbound_queue_info', dict(api_url=URL, id=1001226))
    assert run.failed and 'api_key' in run.msg, run.result
    run = run_main('inbound_queue_info', dict(api_url=URL, id=1001226), replies=[reply(200, RECORD)],
                   env=dict(ALOHUB_API_KEY=KEY))
    assert not run.failed, run.result
    assert run.requests[0]['prepared'].headers['Authorization'] == KEY


def test_an_unexpected_request_fails_the_test(run_main):
    with pytest.raises(AssertionError, match='unexpected request 1: GET'):
        run_main('inbound_queue_info', dict(api_url=URL, api_key=KEY, id=1001226))
