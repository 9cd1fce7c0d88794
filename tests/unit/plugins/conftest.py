# -*- coding: utf-8 -*-
# Copyright: (c) 2026, AloHub collection maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Shared fakes for the module_utils unit tests.

The fakes stand in at the real seams and nowhere else:

* ``FakeSession`` replaces ``requests.Session``: ``request()`` returns scripted
  ``FakeResponse`` objects (``status_code``, ``headers``, ``iter_content()``,
  ``close()``) or raises scripted ``requests`` exceptions.
* ``Clock`` is injected into ``Transport`` as ``clock`` and ``sleep``: sleeping
  records the wait and advances the clock, so no test ever really sleeps.
* ``FakeApi`` replaces ``Transport`` under ``QueueClient``: it answers
  ``request(method, path, params=None, body=None)`` with real
  ``transport.Response`` objects (or raises the real ``ApiError``) the way the
  AloHub API does, with switches for the ways a server can misbehave.
"""

from __future__ import annotations

import copy
import re

import pytest

from alohub_test.fakes import Clock, EndlessResponse, FakeResponse, FakeSession

from ansible_collections.alohub.callcenter.plugins.module_utils import queue_model
from ansible_collections.alohub.callcenter.plugins.module_utils.errors import ApiError
from ansible_collections.alohub.callcenter.plugins.module_utils.transport import Response, Transport


SECRET = 'sk_test_Secret123abc'
BASE_URL = 'https://gw.example.test/api'
QUEUES = '/v1/queues/inbound'


def base_settings(**overrides):
    settings = dict(api_url=BASE_URL, api_key=SECRET, auth_header='authorization', tenant_id=None,
                    validate_certs=True, ca_path=None, timeout=30, retries=5, max_retry_wait=60, retry_budget=300)
    settings.update(overrides)
    return settings


@pytest.fixture
def settings():
    return base_settings()


@pytest.fixture
def make_transport():
    """make_transport(script, **settings overrides) -> Transport with .fake_session and .fake_clock."""

    def make(script, rng=lambda: 0.5, **overrides):
        session = FakeSession(script)
        clock = Clock()
        transport = Transport(base_settings(**overrides), session=session, sleep=clock.sleep, clock=clock, rng=rng)
        transport.fake_session = session
        transport.fake_clock = clock
        return transport

    return make


@pytest.fixture
def reply():
    """reply(status, body, headers) -> FakeResponse."""
    return FakeResponse


@pytest.fixture
def endless_reply():
    return EndlessResponse


# ---------------------------------------------------------------------------
# API records and a fake API behind QueueClient
# ---------------------------------------------------------------------------

def api_record(callin_id, name=None, **fields):
    """A queue record as GET returns it (API field names, wire types)."""
    record = dict(callinId=callin_id, callinName=name if name is not None else 'queue-%d' % callin_id,
                  strategy=1, musicinQueue='moh-default.wav', timeWait='120', agentSelector=None,
                  nguongRanhRoi='0', callinNumber=None)
    record.update(fields)
    return record


# PUT field -> GET field, taken from the model's own table.
PUT_TO_API = dict((wire, api) for dummy, api, wire, dummy2 in queue_model.FIELDS if wire)


class FakeApi:
    """The three endpoints of the inbound-queue API, over an in-memory tenant.

    Switches: ``page_size_cap`` (serve at most that many per page),
    ``total_offset`` (lie about totalRecord), ``ignore_page`` (serve page 0
    whatever is asked), ``apply_puts`` (False: answer success but change
    nothing), ``put_envelope`` (a different PUT answer), ``errors``
    (``{(method, queue id): exception}`` raised instead of answering).
    """

    def __init__(self, records, page_size_cap=None, total_offset=0, ignore_page=False, apply_puts=True,
                 put_envelope=None, errors=None):
        self.records = [copy.deepcopy(r) for r in records]
        self.page_size_cap = page_size_cap
        self.total_offset = total_offset
        self.ignore_page = ignore_page
        self.apply_puts = apply_puts
        self.put_envelope = put_envelope
        self.errors = dict(errors or {})
        self.calls = []

    def request(self, method, path, params=None, body=None):
        self.calls.append((method, path, copy.deepcopy(params), copy.deepcopy(body)))
        if path == QUEUES and method == 'GET':
            page = 0 if self.ignore_page else int(params.get('page', 0))
            size = int(params.get('size', 20))
            if self.page_size_cap:
                size = min(size, self.page_size_cap)
            data = self.records[page * size:(page + 1) * size]
            return Response(BASE_URL + path, 200, dict(success='1', error_code='SUCCESS', error_message='OK',
                                                       totalRecord=len(self.records) + self.total_offset,
                                                       data=copy.deepcopy(data)))
        match = re.match(re.escape(QUEUES) + r'/(\d+)$', path)
        assert match, 'FakeApi got an unexpected path %r' % path
        error = self.errors.get((method, int(match.group(1))))
        if error is not None:
            raise error
        record = self.find(int(match.group(1)))
        if record is None:
            raise ApiError(method, BASE_URL + path, 404, 'NOT_FOUND', 'Inbound queue not found', path=path)
        if method == 'GET':
            return Response(BASE_URL + path, 200, copy.deepcopy(record))
        assert method == 'PUT', method
        assert body, 'a PUT with an empty body'
        if self.apply_puts:
            for field, value in body.items():
                record[PUT_TO_API[field]] = value
        envelope = self.put_envelope or dict(success='1', error_code='SUCCESS',
                                             error_message='Inbound queue updated successfully')
        return Response(BASE_URL + path, 200, envelope)

    shown_base = BASE_URL
    tenant_id = None

    @staticmethod
    def shown(path, params=None):
        return BASE_URL + path

    def find(self, callin_id):
        for record in self.records:
            if record['callinId'] == callin_id:
                return record
        return None

    def verbs(self):
        return [(method, path) for method, path, dummy, dummy2 in self.calls]

    def puts(self):
        return [(path, body) for method, path, dummy, body in self.calls if method == 'PUT']


class ScriptedTransport:
    """A transport that answers each request with the next scripted body (or raises it)."""

    shown_base = BASE_URL
    tenant_id = None

    def __init__(self, bodies, status=200):
        self.bodies = list(bodies)
        self.status = status
        self.calls = []

    def request(self, method, path, params=None, body=None):
        self.calls.append((method, path, params, body))
        item = self.bodies.pop(0)
        if isinstance(item, BaseException):
            raise item
        return Response(BASE_URL + path, self.status, item)

    @staticmethod
    def shown(path, params=None):
        return BASE_URL + path


@pytest.fixture
def fake_api():
    return FakeApi


@pytest.fixture
def scripted_transport():
    return ScriptedTransport


@pytest.fixture
def record():
    return api_record


@pytest.fixture
def secret():
    return SECRET
