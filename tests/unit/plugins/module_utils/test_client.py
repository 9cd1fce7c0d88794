# -*- coding: utf-8 -*-
# Copyright: (c) 2026, AloHub collection maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""client.py: paging through the list, GET by id, PUT, and malformed answers."""

from __future__ import annotations

import pytest

from ansible_collections.alohub.callcenter.plugins.module_utils import client as client_module
from ansible_collections.alohub.callcenter.plugins.module_utils.client import QueueClient
from ansible_collections.alohub.callcenter.plugins.module_utils.errors import ApiError, ResponseError, ValidationError
from ansible_collections.alohub.callcenter.plugins.module_utils.transport import Response


QUEUES = '/v1/queues/inbound'


def records(record, count, first=1001200):
    return [record(first + n) for n in range(count)]


def envelope(data, total):
    return {'success': '1', 'error_code': 'SUCCESS', 'totalRecord': total, 'data': data}


def ids(api_records):
    return [r['callinId'] for r in api_records]


# ---------------------------------------------------------------------------
# list_all
# ---------------------------------------------------------------------------

def test_list_all_follows_pages_until_a_short_page(fake_api, record):
    api = fake_api(records(record, 250))
    client = QueueClient(api)
    got, total = client.list_all()
    assert total == 250
    assert ids(got) == ids(api.records)  # server order, all of them
    assert [params for dummy, dummy2, params, dummy3 in api.calls] == [
        {'page': 0, 'size': 100}, {'page': 1, 'size': 100}, {'page': 2, 'size': 100}]
    assert client.last_list_pages == 3
    assert client.warnings == []


def test_list_all_stops_when_the_total_is_reached(fake_api, record):
    api = fake_api(records(record, 200))
    client = QueueClient(api)
    got, total = client.list_all()
    assert (len(got), total) == (200, 200)
    assert len(api.calls) == 2  # no third request for an empty page
    assert client.warnings == []


def test_list_all_survives_a_capped_page_size(fake_api, record):
    """Asked for 100 per page, served 50: progress is counted in records, not pages."""
    api = fake_api(records(record, 120), page_size_cap=50)
    client = QueueClient(api)
    got, total = client.list_all()
    assert (len(got), total) == (120, 120)
    assert ids(got) == ids(api.records)
    assert [params['page'] for dummy, dummy2, params, dummy3 in api.calls] == [0, 1, 2]
    assert client.warnings == []


def test_list_all_capped_pages_that_end_exactly(fake_api, record):
    api = fake_api(records(record, 100), page_size_cap=50)
    client = QueueClient(api)
    got, dummy = client.list_all()
    assert len(got) == 100 and len(api.calls) == 2


def test_list_all_of_an_empty_tenant(fake_api):
    api = fake_api([])
    client = QueueClient(api)
    assert client.list_all() == ([], 0)
    assert len(api.calls) == 1 and client.warnings == []


def test_list_all_total_too_high_stops_at_a_short_page_and_warns(fake_api, record):
    api = fake_api(records(record, 120), page_size_cap=50, total_offset=30)
    client = QueueClient(api)
    got, total = client.list_all()
    assert (len(got), total) == (120, 150)
    assert len(api.calls) == 3
    assert client.warnings == ['the server reported totalRecord 150 but served 120 distinct queues']


def test_list_all_total_too_high_stops_at_an_empty_page_and_warns(fake_api, record):
    api = fake_api(records(record, 100), page_size_cap=50, total_offset=1)
    client = QueueClient(api)
    got, total = client.list_all()
    assert (len(got), total) == (100, 101)
    assert len(api.calls) == 3
    assert client.warnings == ['the server reported totalRecord 101 but served 100 distinct queues']


def test_list_all_total_too_low_reads_on_and_warns(fake_api, record):
    api = fake_api(records(record, 120), page_size_cap=50, total_offset=-40)
    client = QueueClient(api)
    got, total = client.list_all()
    assert (len(got), total) == (120, 80)
    assert len(api.calls) == 3
    assert client.warnings == ['the server reported totalRecord 80 but served 120 distinct queues']


def test_list_all_drops_duplicates_across_shifted_pages(scripted_transport, record):
    # A queue was inserted at the front between page 0 and page 1: record 3 shows up twice.
    transport = scripted_transport([
        envelope([record(1), record(2), record(3)], 6),
        envelope([record(3), record(4), record(5)], 6),
        envelope([record(6)], 6),
    ])
    client = QueueClient(transport)
    got, total = client.list_all()
    assert ids(got) == [1, 2, 3, 4, 5, 6]
    assert total == 6
    assert len(transport.calls) == 3
    assert client.warnings == []


def test_list_all_keeps_the_first_copy_of_a_duplicate(scripted_transport, record):
    transport = scripted_transport([
        envelope([record(1, 'first'), record(2)], 3),
        envelope([record(1, 'second'), record(3)], 3),
    ])
    got, dummy = QueueClient(transport).list_all()
    assert [r['callinName'] for r in got if r['callinId'] == 1] == ['first']
    assert ids(got) == [1, 2, 3]


def test_list_all_stops_when_the_server_repeats_the_same_page(fake_api, record):
    api = fake_api(records(record, 120), page_size_cap=50, ignore_page=True)
    client = QueueClient(api)
    got, total = client.list_all()
    assert (len(got), total) == (50, 120)
    assert len(api.calls) == 3  # the first page, then two pages bringing nothing new
    assert client.warnings == [
        'the queue list served the same records on consecutive pages; stopped reading at page 2',
        'the server reported totalRecord 120 but served 50 distinct queues',
    ]


def test_list_all_has_a_hard_page_limit(monkeypatch, record):
    monkeypatch.setattr(client_module, 'MAX_PAGES', 5)

    class Endless:
        calls = 0

        def request(self, method, path, params=None, body=None):
            Endless.calls += 1
            page = params['page']
            return Response(method, path, 200, {}, envelope([record(10 * page + 1), record(10 * page + 2)], 10 ** 9))

    client = QueueClient(Endless())
    got, dummy = client.list_all()
    assert Endless.calls == 5 and len(got) == 10
    assert client.warnings == ['the server reported totalRecord 1000000000 but served 10 distinct queues']


def test_list_all_counts_its_requests_each_time(fake_api, record):
    api = fake_api(records(record, 30), page_size_cap=10)
    client = QueueClient(api)
    client.list_all()
    assert client.last_list_pages == 3
    api.page_size_cap = None
    client.list_all(size=30)
    assert client.last_list_pages == 1  # 30 per page asked and served: one page holds them all


# ---------------------------------------------------------------------------
# list_page: envelopes
# ---------------------------------------------------------------------------

@pytest.mark.parametrize('body, problem', [
    ([{'callinId': 1}], 'not a JSON object'),
    (None, 'not a JSON object'),
    ({'success': '1', 'totalRecord': 1, 'data': 'queue 1'}, '"data" is not a list of queue records'),
    ({'success': '1', 'totalRecord': 1, 'data': {'callinId': 1}}, '"data" is not a list of queue records'),
    ({'success': '1', 'totalRecord': 1, 'data': [{'id': 1}]}, '"data" is not a list of queue records'),
    ({'success': '1', 'totalRecord': 2, 'data': [{'callinId': 1}, 'x']}, '"data" is not a list of queue records'),
    ({'success': '1', 'data': []}, '"totalRecord" is not a number'),
    ({'success': '1', 'totalRecord': 'many', 'data': []}, '"totalRecord" is not a number'),
])
def test_malformed_list_envelopes_raise_response_errors(scripted_transport, body, problem):
    client = QueueClient(scripted_transport([body]))
    with pytest.raises(ResponseError) as info:
        client.list_all()
    assert problem in info.value.msg
    assert info.value.msg.startswith('GET /v1/queues/inbound failed: HTTP 200')


def test_list_page_accepts_a_null_data_and_a_string_total(scripted_transport):
    client = QueueClient(scripted_transport([{'success': '1', 'totalRecord': '0', 'data': None}]))
    assert client.list_page(0) == ([], 0)


def test_list_page_asks_for_the_page_and_size(scripted_transport, record):
    transport = scripted_transport([envelope([record(1)], 41)])
    assert QueueClient(transport).list_page(2, size=20) == ([record(1)], 41)
    assert transport.calls == [('GET', QUEUES, {'page': 2, 'size': 20}, None)]


# ---------------------------------------------------------------------------
# get
# ---------------------------------------------------------------------------

def test_get_returns_the_bare_record(fake_api, record):
    api = fake_api([record(1001226, 'test')])
    assert QueueClient(api).get(1001226) == record(1001226, 'test')
    assert api.verbs() == [('GET', QUEUES + '/1001226')]


def test_get_unknown_queue_is_none(fake_api, record):
    api = fake_api([record(1)])
    assert QueueClient(api).get(2) is None
    assert len(api.calls) == 1


def test_get_other_errors_propagate(scripted_transport):
    transport = scripted_transport([ApiError('GET', QUEUES + '/1', 403, 'INSUFFICIENT_SCOPE')])
    with pytest.raises(ApiError) as info:
        QueueClient(transport).get(1)
    assert info.value.status == 403


def test_get_unwraps_an_envelope(scripted_transport, record):
    transport = scripted_transport([{'success': '1', 'error_code': 'SUCCESS', 'data': record(7)}])
    assert QueueClient(transport).get(7) == record(7)


@pytest.mark.parametrize('body', [{'success': '1'}, [], None, {'data': [{'callinId': 7}]}, 'queue 7'])
def test_get_something_else_is_a_response_error(scripted_transport, body):
    with pytest.raises(ResponseError, match='not a queue record'):
        QueueClient(scripted_transport([body])).get(7)


@pytest.mark.parametrize('bad', ['../1', '1/../../admin', True, 0, -4])
def test_get_and_update_validate_the_id_before_any_request(scripted_transport, bad):
    transport = scripted_transport([])
    client = QueueClient(transport)
    with pytest.raises(ValidationError):
        client.get(bad)
    with pytest.raises(ValidationError):
        client.update(bad, {'strategy': 1})
    assert transport.calls == []


# ---------------------------------------------------------------------------
# update
# ---------------------------------------------------------------------------

def test_update_puts_the_body_as_given(fake_api, record):
    api = fake_api([record(5)])
    answer = QueueClient(api).update('5', {'max_wait_sec': '180', 'strategy': 2})
    assert answer['error_message'] == 'Inbound queue updated successfully'
    assert api.puts() == [(QUEUES + '/5', {'max_wait_sec': '180', 'strategy': 2})]
    assert len(api.calls) == 1


@pytest.mark.parametrize('body', [None, {'error_message': 'ok'}, {'success': 1}, {'success': True}])
def test_update_accepts_success_or_no_envelope(scripted_transport, body):
    assert QueueClient(scripted_transport([body])).update(5, {'strategy': 1}) == body


@pytest.mark.parametrize('success', ['0', 0, False, 'false'])
def test_update_without_success_is_an_error(scripted_transport, success):
    body = {'success': success, 'error_code': 'INVALID_INPUT', 'error_message': 'max_wait_sec must be a string'}
    with pytest.raises(ApiError) as info:
        QueueClient(scripted_transport([body])).update(5, {'max_wait_sec': 180})
    msg = info.value.msg
    assert msg.startswith('PUT /v1/queues/inbound/5 failed: HTTP 200 INVALID_INPUT (max_wait_sec must be a string)')
    assert 'did not report success' in msg
