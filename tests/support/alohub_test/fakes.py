"""Fakes at the HTTP seam, shared by the unit tests of module_utils and of the modules.

* ``FakeResponse``: what ``Transport`` reads from a ``requests.Response``
  (``status_code``, ``headers``, ``iter_content()``, ``close()``).
* ``FakeSession``: a ``requests.Session`` whose ``request()`` plays a script of
  responses and exceptions and records every call.
* ``PreparingSession``: a ``FakeSession`` in front of the module's own real session:
  each request is first prepared by it (the module's headers and auth; requests' own
  URL and header checks, which refuse what would never be sent), then recorded and
  answered from the script.
* ``Clock``: a monotonic clock and ``sleep`` for ``Transport``; sleeping only moves it.
"""

import json

import requests
from requests.structures import CaseInsensitiveDict


class FakeResponse:
    """What Transport reads from a requests.Response."""

    def __init__(self, status=200, body=b'', headers=None, content_type=None, chunks_error=None):
        self.status_code = status
        if isinstance(body, (dict, list)):
            body = json.dumps(body)
            content_type = content_type or 'application/json'
        if isinstance(body, str):
            body = body.encode('utf-8')
        self.body = body
        self.headers = CaseInsensitiveDict(headers or {})
        if content_type:
            self.headers.setdefault('Content-Type', content_type)
        self.chunks_error = chunks_error
        self.closed = False

    def iter_content(self, chunk_size=1):
        for start in range(0, len(self.body), chunk_size):
            yield self.body[start:start + chunk_size]
        if self.chunks_error is not None:
            raise self.chunks_error

    def close(self):
        self.closed = True


class EndlessResponse(FakeResponse):
    """A 200 whose body never ends (up to ``limit`` bytes), served in the chunk size asked for."""

    def __init__(self, limit):
        super().__init__(200, b'', {'Content-Type': 'application/json'})
        self.limit = limit
        self.served = 0

    def iter_content(self, chunk_size=1):
        chunk = b' ' * chunk_size
        while self.served < self.limit and not self.closed:
            self.served += chunk_size
            yield chunk


class FakeSession:
    """A requests.Session whose request() plays a script of responses and exceptions."""

    def __init__(self, script):
        self.script = list(script)
        self.calls = []

    def request(self, method, url, **kwargs):
        self.calls.append(dict(kwargs, method=method, url=url))
        if not self.script:
            raise AssertionError('unexpected request %d: %s %s' % (len(self.calls), method, url))
        item = self.script.pop(0)
        if isinstance(item, BaseException):
            raise item
        return item


class Clock:
    """Monotonic clock + sleep for Transport; sleeping only moves the clock."""

    def __init__(self, start=1000.0):
        self.now = start
        self.waits = []

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        assert seconds >= 0, 'negative sleep %r' % seconds
        self.waits.append(seconds)
        self.now += seconds


class PreparingSession(FakeSession):
    """A FakeSession that lets the real ``requests.Session`` ``real`` prepare each request first.

    ``calls`` holds the requests that would have gone on the wire, each with its
    ``prepared`` request (``.url``, ``.headers``, ``.body``); a request that requests
    refuses to prepare (a malformed URL, a header value with CR/LF) raises as it would
    and is not recorded.
    """

    def __init__(self, real, script):
        super().__init__(script)
        self.real = real

    def request(self, method, url, **kwargs):
        request = requests.Request(method, url, params=kwargs.get('params'), data=kwargs.get('data'),
                                   json=kwargs.get('json'), headers=kwargs.get('headers'))
        prepared = self.real.prepare_request(request)
        return super().request(method, url, prepared=prepared, **kwargs)

    def close(self):
        self.real.close()
