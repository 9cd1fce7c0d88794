"""The hostile HTTP server of the shared test support (alohub_test.hostile), against real clients."""

import http.client
import socket
import time

import pytest
import requests

from alohub_test.hostile import (
    HostileServer, close_mid_body, hang, raw, reset, respond, route, sequence, trickle, trickle_headers,
)


def test_respond_records_requests_and_keeps_the_connection_alive():
    with HostileServer(respond(200, {'ok': True}, headers={'X-Test': 'yes'})) as server:
        with requests.Session() as session:
            first = session.get(server.url + '/v1/queues/inbound?page=2', headers={'Authorization': 'k'}, timeout=5)
            second = session.put(server.url + '/v1/queues/inbound/7', json={'strategy': 2}, timeout=5)
    assert (first.status_code, first.json(), first.headers['X-Test']) == (200, {'ok': True}, 'yes')
    assert second.status_code == 200
    one, two = server.requests
    assert (one.method, one.path, one.query, one.headers['authorization'], one.body) == (
        'GET', '/v1/queues/inbound', {'page': '2'}, 'k', b'')
    assert (two.method, two.path, two.json(), two.number) == ('PUT', '/v1/queues/inbound/7', {'strategy': 2}, 2)
    assert server.connections == 1 and one.connection == two.connection == 1   # keep-alive
    assert server.errors == []


def test_trickle_sends_the_body_a_little_at_a_time():
    with HostileServer(trickle(200, b'0123456789', every=0.05, chunk=2)) as server:
        started = time.monotonic()
        answer = requests.get(server.url + '/', timeout=(5, 1))    # each read gets bytes before its timeout
        elapsed = time.monotonic() - started
    assert answer.content == b'0123456789'
    assert elapsed >= 0.2, elapsed


def test_trickle_headers_stalls_the_status_line():
    with HostileServer(trickle_headers(200, b'{}', every=0.5, chunk=3)) as server:
        conn = http.client.HTTPConnection('127.0.0.1', server.port, timeout=0.2)
        conn.request('GET', '/')
        with pytest.raises(socket.timeout):
            conn.getresponse()
        conn.close()


def test_hang_never_answers_and_stop_does_not_wait_for_it():
    server = HostileServer(hang()).start()
    with pytest.raises(requests.exceptions.ReadTimeout):
        requests.get(server.url + '/', timeout=(5, 0.2))
    started = time.monotonic()
    server.stop()
    assert time.monotonic() - started < 2
    assert [r.path for r in server.requests] == ['/']


def test_close_mid_body_cuts_the_answer_short():
    with HostileServer(close_mid_body(200, b'{"callinId": 1001226}', after=5)) as server:
        with pytest.raises(requests.exceptions.ChunkedEncodingError):
            requests.get(server.url + '/', timeout=5).content   # pylint: disable=expression-not-assigned


def test_reset_and_raw():
    with HostileServer(route({'/reset': reset(), '/raw': raw(b'HTTP/1.1 abc\r\n\r\n')})) as server:
        with pytest.raises(requests.exceptions.ConnectionError):
            requests.get(server.url + '/reset', timeout=5)
        with pytest.raises(requests.exceptions.ConnectionError):
            requests.get(server.url + '/raw', timeout=5)
    assert server.errors == []


def test_sequence_and_route():
    behaviour = route({
        ('GET', '/v1/queues/inbound'): sequence([respond(503, 'busy'), respond(200, {'data': []})]),
        '/v1/queues/inbound/1': respond(200, {'callinId': 1}),
    })
    with HostileServer(behaviour) as server:
        url = server.url + '/v1/queues/inbound'
        assert [requests.get(url, timeout=5).status_code for dummy in range(2)] == [503, 200]
        assert requests.put(url + '/1', json={}, timeout=5).json() == {'callinId': 1}
        assert requests.get(url, timeout=5).status_code == 599          # the sequence is used up
        assert requests.delete(url + '/2', timeout=5).status_code == 404  # no route
    assert len(server.errors) == 2
    assert 'no behaviour left' in server.errors[0] and 'nothing for DELETE /v1/queues/inbound/2' in server.errors[1]


def test_a_lying_content_length_is_sent_as_given():
    with HostileServer(respond(200, b'{}', headers={'Content-Length': '100'}, close=True)) as server:
        with pytest.raises(requests.exceptions.ChunkedEncodingError):
            requests.get(server.url + '/', timeout=5).content   # pylint: disable=expression-not-assigned
