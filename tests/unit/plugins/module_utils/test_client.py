# -*- coding: utf-8 -*-
# Copyright: (c) 2026, AloHub collection maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""client.py: paging through the list, GET by id, PUT, and malformed answers."""

from __future__ import annotations

import pytest

from ansible_collections.alohub.callcenter.plugins.module_utils import client as client_module
from ansible_collections.alohub.callcenter.plugins.module_utils.client import QueueClient
from ansible_collections.alohub.callcenter.plugins.module_utils.errors import (
    ApiError, NotFoundError, ResponseError, RouteError, TooLargeError, ValidationError,
)
from ansible_collections.alohub.callcenter.plugins.module_utils.queue_model import normalise
from ansible_collections.alohub.callcenter.plugins.module_utils.transport import Response


QUEUES = '/v1/queues/inbound'
BASE = 'https://gw.example.test/api'


def records(record, count, first=1001200):
    return [record(first + n) for n in range(count)]


def envelope(data, total):
    return {'success': '1', 'error_code': 'SUCCESS', 'totalRecord': total, 'data': data}


def ids(queues):
    return [queue['id'] for queue in queues]


def api_ids(api_records):
    return [r['callinId'] for r in api_records]


def incomplete(client):
    with pytest.raises(ResponseError) as info:
        client.list_all()
    assert 'the queue list could not be read whole, twice' in info.value.msg
    return info.value.msg


# ---------------------------------------------------------------------------
# list_all: complete or failed
# ---------------------------------------------------------------------------

def test_list_all_follows_pages_and_returns_normalised_records(fake_api, record):
    api = fake_api(records(record, 250))
    listing = QueueClient(api).list_all()
    assert listing.total == 250 and listing.pages == 3
    assert listing.queues == [normalise(r) for r in api.records]  # server order, all of them, normalised
    assert [params for dummy, dummy2, params, dummy3 in api.calls] == [
        {'page': 0, 'size': 100}, {'page': 1, 'size': 100}, {'page': 2, 'size': 100}]


def test_list_all_stops_when_the_total_is_reached(fake_api, record):
    api = fake_api(records(record, 200))
    listing = QueueClient(api).list_all()
    assert (len(listing.queues), listing.total) == (200, 200)
    assert len(api.calls) == 2  # no third request for an empty page


def test_list_all_survives_a_capped_page_size(fake_api, record):
    """Asked for 100 per page, served 50: progress is counted in records, not pages."""
    api = fake_api(records(record, 120), page_size_cap=50)
    listing = QueueClient(api).list_all()
    assert ids(listing.queues) == api_ids(api.records)
    assert [params['page'] for dummy, dummy2, params, dummy3 in api.calls] == [0, 1, 2]
    assert listing.by_id()[1001200]['name'] == 'queue-1001200'


def test_list_all_capped_pages_that_end_exactly(fake_api, record):
    api = fake_api(records(record, 100), page_size_cap=50)
    assert len(QueueClient(api).list_all().queues) == 100 and len(api.calls) == 2


def test_list_all_of_an_empty_tenant(fake_api):
    api = fake_api([])
    listing = QueueClient(api).list_all()
    assert (listing.queues, listing.total, listing.pages) == ([], 0, 1)


def test_a_total_too_high_fails_after_reading_twice(fake_api, record):
    """A short page before totalRecord is reached: 149 of 249 is not the tenant."""
    api = fake_api(records(record, 120), page_size_cap=50, total_offset=30)
    msg = incomplete(QueueClient(api))
    assert 'the server reported totalRecord 150 but served 120 distinct queues in 4 pages (50 per page); page 3 was empty' in msg
    assert len(api.calls) == 8  # two whole reads


def test_a_total_off_by_one_fails(fake_api, record):
    api = fake_api(records(record, 100), page_size_cap=50, total_offset=1)
    assert 'totalRecord 101 but served 100 distinct queues' in incomplete(QueueClient(api))


def test_a_total_too_low_fails(fake_api, record):
    api = fake_api(records(record, 120), page_size_cap=50, total_offset=-40)
    assert 'totalRecord 80 but served 100 distinct queues' in incomplete(QueueClient(api))


def test_a_list_that_changed_while_read_is_read_again(scripted_transport, record):
    transport = scripted_transport([
        envelope([record(1), record(2)], 3), envelope([], 3),        # a queue vanished mid-read
        envelope([record(1), record(2)], 2),                          # the second read is whole
    ])
    listing = QueueClient(transport).list_all()
    assert ids(listing.queues) == [1, 2] and listing.total == 2 and listing.pages == 1


def test_list_all_drops_duplicates_across_shifted_pages(scripted_transport, record):
    # A queue was inserted at the front between page 0 and page 1: record 3 shows up twice.
    transport = scripted_transport([
        envelope([record(1), record(2), record(3)], 6),
        envelope([record(3), record(4), record(5)], 6),
        envelope([record(6)], 6),
    ])
    listing = QueueClient(transport).list_all()
    assert ids(listing.queues) == [1, 2, 3, 4, 5, 6]
    assert len(transport.calls) == 3


def test_list_all_keeps_the_first_copy_of_a_duplicate(scripted_transport, record):
    transport = scripted_transport([
        envelope([record(1, 'first'), record(2)], 3),
        envelope([record(1, 'second'), record(3)], 3),
    ])
    listing = QueueClient(transport).list_all()
    assert [q['name'] for q in listing.queues if q['id'] == 1] == ['first']
    assert ids(listing.queues) == [1, 2, 3]


def test_a_server_repeating_the_same_page_fails(fake_api, record):
    api = fake_api(records(record, 120), page_size_cap=50, ignore_page=True)
    msg = incomplete(QueueClient(api))
    assert 'served 50 distinct queues in 3 pages (50 per page); pages 1 and 2 brought no queue not seen before' in msg
    assert len(api.calls) == 6  # per read: the first page, then two pages bringing nothing new


def test_paging_stops_at_a_bound_derived_from_the_total(record):
    """A server that keeps serving new queues, fewer per page than the first: ceil(total / first page) + 2 pages."""
    calls = []

    class Trickling:
        shown_base = BASE

        @staticmethod
        def shown(path, params=None):
            return BASE + path

        def request(self, method, path, params=None, body=None):
            calls.append(params['page'])
            page = params['page']
            data = records(record, 5) if page == 0 else [record(2000000 + page)]
            return Response(BASE + path, 200, envelope(data, 20))

    msg = incomplete(QueueClient(Trickling()))
    assert 'stopped after 6 pages, the most that totalRecord 20 allows at 5 queues per page' in msg
    assert len(calls) == 12


@pytest.mark.parametrize('total', [client_module.MAX_QUEUES + 1, 10 ** 9])
def test_a_total_beyond_what_is_read_fails_at_once(scripted_transport, record, total):
    transport = scripted_transport([envelope([record(1)], total)])
    with pytest.raises(ResponseError) as info:
        QueueClient(transport).list_all()
    assert '"totalRecord" is %d, more queues than this collection reads (%d)' % (total, client_module.MAX_QUEUES) in info.value.msg
    assert len(transport.calls) == 1


# ---------------------------------------------------------------------------
# list_page: envelopes and records
# ---------------------------------------------------------------------------

@pytest.mark.parametrize('body, problem', [
    ([{'callinId': 1}], 'the list answer is not a JSON object'),
    (None, 'the list answer is not a JSON object'),
    ({'success': '1', 'totalRecord': 1, 'data': 'queue 1'}, '"data" is not a list of queue records'),
    ({'success': '1', 'totalRecord': 1, 'data': {'callinId': 1}}, '"data" is not a list of queue records'),
    ({'success': '1', 'totalRecord': 1, 'data': [{'id': 1}]}, 'record 0 of page 0 (callinId null, callinName null): '
                                                              'callinId must be a positive integer; got null'),
    ({'success': '1', 'totalRecord': 2, 'data': [{'callinId': 1}, 'x']}, 'record 1 of page 0 is not a JSON object (got a string)'),
    ({'success': '1', 'totalRecord': 2, 'data': [{'callinId': 1001226.9, 'callinName': 'sales'}]},
     'record 0 of page 0 (callinId 1001226.9, callinName "sales"): callinId must be a positive integer; got 1001226.9'),
    ({'success': '1', 'totalRecord': 2, 'data': [{'callinId': True}]}, 'callinId must be a positive integer; got true'),
    ({'success': '1', 'data': []}, '"totalRecord" is not a count of queues: null'),
    ({'success': '1', 'totalRecord': 'many', 'data': []}, '"totalRecord" is not a count of queues: "many"'),
    ({'success': '1', 'totalRecord': 2.5, 'data': []}, '"totalRecord" is not a count of queues: 2.5'),
    ({'success': '1', 'totalRecord': -1, 'data': []}, '"totalRecord" is not a count of queues: -1'),
    ({'success': '1', 'totalRecord': True, 'data': []}, '"totalRecord" is not a count of queues: true'),
    ({'success': '0', 'error_code': 'FAIL', 'totalRecord': 0, 'data': []}, "the list answer reports no success (success '0', error_code 'FAIL')"),
])
def test_malformed_list_answers_raise_response_errors_naming_what(scripted_transport, body, problem):
    client = QueueClient(scripted_transport([body]))
    with pytest.raises(ResponseError) as info:
        client.list_all()
    assert problem in info.value.msg
    assert info.value.msg.startswith('GET %s%s failed: HTTP 200' % (BASE, QUEUES))


def test_list_page_accepts_a_null_data_and_a_string_total(scripted_transport):
    client = QueueClient(scripted_transport([{'success': '1', 'totalRecord': '0', 'data': None}]))
    assert client.list_page(0) == ([], 0)


def test_list_page_asks_for_the_page_and_size(scripted_transport, record):
    transport = scripted_transport([envelope([record(1)], 41)])
    assert QueueClient(transport).list_page(2, size=20) == ([normalise(record(1))], 41)
    assert transport.calls == [('GET', QUEUES, {'page': 2, 'size': 20}, None)]


# ---------------------------------------------------------------------------
# get
# ---------------------------------------------------------------------------

def test_get_returns_the_normalised_record(fake_api, record):
    api = fake_api([record(1001226, 'test')])
    assert QueueClient(api).get(1001226) == normalise(record(1001226, 'test'))
    assert api.verbs() == [('GET', QUEUES + '/1001226')]


def test_get_unknown_queue_is_a_not_found_error_with_the_full_url(fake_api, record):
    api = fake_api([record(1)])
    with pytest.raises(NotFoundError) as info:
        QueueClient(api).get(2)
    assert info.value.msg == ('inbound queue 2 was not found for this tenant: GET %s%s/2 answered HTTP 404 NOT_FOUND. Hint: '
                              'check the id; queues of other tenants are reported as not found' % (BASE, QUEUES))
    assert info.value.details == dict(status=404, error_code='NOT_FOUND', method='GET', url=BASE + QUEUES + '/2',
                                      path=QUEUES + '/2')
    assert len(api.calls) == 1


def test_the_client_names_its_target(fake_api, record):
    api = fake_api([record(1)])
    api.tenant_id = '20260310'
    assert QueueClient(api).target == dict(api_url=BASE, tenant_id='20260310')


def test_a_gateway_404_is_not_a_missing_queue(scripted_transport):
    transport = scripted_transport([RouteError('GET', BASE + QUEUES + '/1', 404, server_message='no Route matched with those values')])
    with pytest.raises(RouteError) as info:
        QueueClient(transport).get(1)
    assert 'api_url is probably wrong' in info.value.msg


def test_get_other_errors_propagate(scripted_transport):
    transport = scripted_transport([ApiError('GET', BASE + QUEUES + '/1', 403, 'INSUFFICIENT_SCOPE')])
    with pytest.raises(ApiError) as info:
        QueueClient(transport).get(1)
    assert info.value.status == 403


def test_get_unwraps_an_envelope(scripted_transport, record):
    transport = scripted_transport([{'success': '1', 'error_code': 'SUCCESS', 'data': record(7)}])
    assert QueueClient(transport).get(7) == normalise(record(7))


@pytest.mark.parametrize('body, problem', [
    ({'success': '1'}, 'callinId must be a positive integer; got null'),
    ([], 'the answer is not a JSON object (got a list)'),
    (None, 'the answer is not a JSON object (got null)'),
    ({'data': [{'callinId': 7}]}, 'callinId must be a positive integer; got null'),
    ('queue 7', 'the answer is not a JSON object (got a string)'),
    ({'callinId': '7'}, 'callinId must be a positive integer; got "7"'),
    ({'callinId': 7.0}, 'callinId must be a positive integer; got 7.0'),
])
def test_get_something_else_is_a_response_error(scripted_transport, body, problem):
    with pytest.raises(ResponseError) as info:
        QueueClient(scripted_transport([body])).get(7)
    assert problem in info.value.msg


def test_get_another_queues_record_is_a_response_error(scripted_transport, record):
    with pytest.raises(ResponseError, match='the answer is the record of queue 8, not of the queue asked for'):
        QueueClient(scripted_transport([record(8)])).get(7)


@pytest.mark.parametrize('bad', ['../1', '1/../../admin', True, 0, -4, 1.5, [1]])
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
    client = QueueClient(api)
    client.update('5', {'max_wait_sec': '180', 'strategy': 2})
    assert api.puts() == [(QUEUES + '/5', {'max_wait_sec': '180', 'strategy': 2})]
    assert len(api.calls) == 1 and client.warnings == []


@pytest.mark.parametrize('body', [{'success': 1}, {'success': True}, {'success': 'TRUE'}, {'success': ' true '}])
def test_update_accepts_every_spelling_of_success(scripted_transport, body):
    client = QueueClient(scripted_transport([body]))
    client.update(5, {'strategy': 1})
    assert client.warnings == []


@pytest.mark.parametrize('body', [None, {'error_message': 'ok'}, 'done', {'success': 'maybe'}])
def test_an_undocumented_2xx_answer_is_accepted_with_a_warning(scripted_transport, body):
    """The server said 2xx: the update is taken as accepted (changed), and the read-back decides."""
    client = QueueClient(scripted_transport([body]))
    client.update(5, {'strategy': 1})
    assert len(client.warnings) == 1
    assert 'is not the documented success envelope' in client.warnings[0]
    assert 'decided by reading the queue back' in client.warnings[0]


@pytest.mark.parametrize('success', ['0', 0, False, 'false', 'FALSE'])
def test_update_reporting_failure_is_an_error(scripted_transport, success):
    body = {'success': success, 'error_code': 'INVALID_INPUT', 'error_message': 'max_wait_sec must be a string'}
    with pytest.raises(ApiError) as info:
        QueueClient(scripted_transport([body])).update(5, {'max_wait_sec': 180})
    msg = info.value.msg
    assert msg.startswith('PUT %s%s/5 failed: HTTP 200 INVALID_INPUT (max_wait_sec must be a string)' % (BASE, QUEUES))
    assert 'reported failure' in msg


def test_pages_too_large_to_read_are_read_again_smaller(fake_api, record):
    """A page over the transport's size cap (a few huge records): half the size, again, down to one queue a page."""

    class Huge(fake_api):
        def request(self, method, path, params=None, body=None):
            if path == QUEUES and int(params['size']) > 10:
                self.calls.append((method, path, dict(params), None))
                raise TooLargeError('GET', BASE + QUEUES, 200, 'the answer is larger than 8 MiB', path=QUEUES)
            return super().request(method, path, params, body)

    api = Huge(records(record, 30))
    client = QueueClient(api)
    assert len(client.list_all().queues) == 30
    assert [params['size'] for dummy, dummy2, params, dummy3 in api.calls][:5] == [100, 50, 25, 12, 6]
    assert client.warnings == ['the queue list was read 6 queues per page instead of 100: a page of 12 queues was '
                               'larger than the answers the collection reads']


def test_one_record_too_large_to_read_fails_naming_it(fake_api, record):
    class Always(fake_api):
        def request(self, method, path, params=None, body=None):
            raise TooLargeError('GET', BASE + QUEUES, 200, 'the answer is larger than 8 MiB', path=QUEUES)

    with pytest.raises(TooLargeError) as info:
        QueueClient(Always(records(record, 3))).list_all()
    assert 'the answer is larger than 8 MiB, even with one queue per page; a single queue record that large' in info.value.msg
