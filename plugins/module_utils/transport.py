# -*- coding: utf-8 -*-
# Copyright: (c) 2026, AloHub collection maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""HTTP transport: one requests Session per module run.

It owns the headers (auth, tenant, User-Agent), URL building, the wall-clock
bound of every exchange, and the retry policy (429, 502, 503, 504, connection
errors, timeouts) with Retry-After, jittered exponential back-off and a retry
budget per task. It paces requests with ``pacing.RateLimitState`` and reads
answers with ``answers`` (size cap, strict JSON, error bodies).

Imports errors, pacing, answers and text; nothing above it.
"""

from __future__ import annotations

import email.utils
import math
import random
import re
import socket
import threading
import time
import traceback
from urllib.parse import urlencode, urlsplit

try:
    import requests
    from urllib3.exceptions import LocationValueError
    HAS_REQUESTS = True
    REQUESTS_IMPORT_ERROR = None
except ImportError:
    HAS_REQUESTS = False
    REQUESTS_IMPORT_ERROR = traceback.format_exc()

from ansible.module_utils.ansible_release import __version__ as ANSIBLE_VERSION

from ansible_collections.alohub.callcenter.plugins.module_utils.answers import (
    MAX_BODY_BYTES,
    excerpt,
    json_body,
    parse_error_body,
    read_limited,
)
from ansible_collections.alohub.callcenter.plugins.module_utils.errors import (
    ApiError,
    Redactor,
    ResponseError,
    RetryBudgetError,
    RouteError,
    TooLargeError,
    TransportError,
    fmt_seconds,
)
from ansible_collections.alohub.callcenter.plugins.module_utils.pacing import RateLimitState
from ansible_collections.alohub.callcenter.plugins.module_utils.text import shown_url


AUTH_HEADERS = {
    # the auth_header option's value -> the HTTP header that carries the key
    'authorization': 'Authorization',
    'x-api-key': 'X-Api-Key',
}
RETRY_STATUSES = frozenset((429, 502, 503, 504))
BACKOFF_BASE = 0.5          # seconds before the first retry (before jitter)
# Pacing is reported (one warning) once the waits for rate-limit windows add up
# to this many seconds, or one of them is at least PACING_NOTABLE_WAIT.
PACING_REPORT_SECONDS = 10.0
PACING_NOTABLE_WAIT = 5.0


def parse_retry_after(value, now=None):
    """Seconds to wait from a Retry-After value: delta-seconds or an HTTP date.

    Returns None when the header is absent, unreadable, or asks for no wait at
    all (0, a negative number, a date in the past): the caller then backs off
    as if there were no header, instead of hammering a server that is already
    refusing requests.
    """
    if value is None:
        return None
    value = str(value).strip()
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        seconds = None
    if seconds is None:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError, OverflowError):
            return None
        if when is None:
            return None
        try:
            seconds = when.timestamp() - (time.time() if now is None else now)
        except (OverflowError, ValueError, OSError):
            return None
    if not math.isfinite(seconds) or seconds <= 0:
        return None
    return seconds


def backoff_delay(retry_number, cap, rng=random.random, base=BACKOFF_BASE):
    """Exponential back-off with "equal jitter", never above ``cap`` seconds.

    ``retry_number`` counts from 0 (the wait before the first retry).
    """
    ceiling = min(float(cap), base * (2 ** min(retry_number, 30)))
    return ceiling / 2.0 + rng() * ceiling / 2.0


class Response:
    """A successful answer: the URL as messages show it, the status and the parsed JSON body."""

    def __init__(self, url, status, data):
        self.url = url
        self.status = status
        self.data = data


class _Retryable(Exception):
    """One attempt failed in a way worth retrying; ``final(attempts)`` is the error if it was the last."""

    def __init__(self, method, url, path, status=None, error_code=None, server_message=None, problem=None,
                 retry_after=None):
        super().__init__(problem or status)
        self.method = method
        self.url = url
        self.path = path
        self.status = status
        self.error_code = error_code
        self.server_message = server_message
        self.problem = problem
        self.retry_after = retry_after

    @property
    def what(self):
        return 'HTTP %s' % self.status if self.status else self.problem

    def final(self, attempts, retry_after=None, reason=None):
        if self.status:
            return ApiError(self.method, self.url, self.status, self.error_code, self.server_message,
                            attempts=attempts, retry_after=retry_after, reason=reason, path=self.path)
        return TransportError(self.method, self.url, self.problem, attempts=attempts,
                              hint=_transport_hint(self.method, self.problem), path=self.path)


class _DeadlinePassed(Exception):
    """The exchange did not complete within the timeout (wall clock)."""


class _ReadFailed(Exception):
    """The headers came, reading the body failed: ``error`` (a requests exception) under ``status``."""

    def __init__(self, status, error):
        super().__init__(str(error))
        self.status = status
        self.error = error


class Transport:
    """Sends requests to the AloHub API with retries and pacing."""

    def __init__(self, settings, session=None, sleep=time.sleep, clock=time.monotonic, rng=random.random, pool_size=10):
        self.base_url = settings['api_url'].rstrip('/')
        self.shown_base = shown_url(self.base_url)
        self.tenant_id = settings.get('tenant_id')
        self.timeout = settings['timeout']
        self.retries = settings['retries']
        self.max_retry_wait = settings['max_retry_wait']
        self.retry_budget = settings['retry_budget']
        # validate_certs: false turns checking off even when ca_path (or ALOHUB_CA_PATH) is set.
        self.verify = (settings.get('ca_path') or True) if settings['validate_certs'] else False
        self.redact = Redactor(settings['api_key'])
        self.sleep = sleep
        self.clock = clock
        self.rng = rng
        self.rate_limit = RateLimitState()
        self.stats = dict(requests=0, retries=0, rate_limited=0, waited=0.0, retry_waited=0.0,
                          paced=0, longest_pace=0.0)
        self.retry_events = []  # (what went wrong, seconds waited before the retry)
        self._stats_lock = threading.Lock()
        self.session = session if session is not None else self._new_session(settings, pool_size)

    @staticmethod
    def _new_session(settings, pool_size):
        session = requests.Session()
        session.headers.update(build_headers(settings))
        adapter = requests.adapters.HTTPAdapter(pool_connections=1, pool_maxsize=max(1, pool_size))
        session.mount('http://', adapter)
        session.mount('https://', adapter)
        # Proxies from the environment are honoured; .netrc credentials are not
        # (they would override our auth header).
        session.trust_env = True
        session.auth = lambda request: request
        return session

    def url(self, path):
        return self.base_url + path

    def shown(self, path, params=None):
        """The URL as messages show it: base URL with its prefix (no user info), path and query."""
        return self.shown_base + path + ('?' + urlencode(params) if params else '')

    def request(self, method, path, params=None, body=None):
        """Send one logical request; return a Response or raise a typed error."""
        attempt = 0
        last_retry_after = None
        while True:
            attempt += 1
            try:
                return self._attempt(method, path, params, body)
            except _Retryable as failure:
                if failure.retry_after is not None:
                    last_retry_after = failure.retry_after
                if failure.retry_after is not None and failure.retry_after > self.max_retry_wait:
                    raise failure.final(attempt, failure.retry_after,
                                        reason='Retry-After exceeds max_retry_wait (%d s), so it was not waited for'
                                        % self.max_retry_wait)
                if attempt > self.retries:
                    raise failure.final(attempt, last_retry_after)
                delay = failure.retry_after
                if delay is None:
                    delay = backoff_delay(attempt - 1, self.max_retry_wait, self.rng)
                self._spend_retry_wait(failure, attempt, last_retry_after, delay)
                self.sleep(delay)

    def _spend_retry_wait(self, failure, attempt, last_retry_after, delay):
        """Count ``delay`` against the task's retry budget, or stop when it would overspend it."""
        with self._stats_lock:
            waited = self.stats['retry_waited']
            if waited + delay > self.retry_budget:
                raise RetryBudgetError(failure.final(attempt, last_retry_after), self.retry_budget, waited, delay)
            self.stats['retry_waited'] = waited + delay
            self.stats['retries'] += 1
            self.retry_events.append((failure.what, delay))

    def _attempt(self, method, path, params, body):
        """One HTTP exchange: a Response, or raises _Retryable or a final typed error."""
        delay = self.rate_limit.acquire(self.clock(), self.max_retry_wait)
        if delay > 0:
            self._note_pacing(delay)
            self.sleep(delay)
        self._count('requests')
        url = self.shown(path, params)
        headers = None
        try:
            try:
                try:
                    reply, raw = self._exchange(method, path, params, body)
                    headers = reply.headers
                except _ReadFailed as failed:
                    if isinstance(failed.error, requests.exceptions.ContentDecodingError):
                        # Content-Encoding: gzip (say) over a body that is not: a broken proxy, not worth a retry.
                        raise ResponseError(method, url, failed.status, 'the answer could not be decoded: %s'
                                            % _exc_text(failed.error, self.redact), path=path)
                    raise failed.error
            except _DeadlinePassed:
                raise _Retryable(method, url, path, problem='no complete answer within timeout (%d s)' % self.timeout)
            except requests.exceptions.SSLError as exc:
                raise TransportError(method, url, 'TLS error: %s' % _tls_reason(exc, self.redact),
                                     hint='set ca_path to the CA bundle that signed the server certificate, '
                                          'or validate_certs: false for a test server only', path=path)
            except (requests.exceptions.InvalidURL, LocationValueError) as exc:
                # urllib3 raises LocationValueError itself, past requests, for a host it cannot
                # encode (a label over 63 characters); it is a ValueError, not a requests error.
                raise TransportError(method, url, 'invalid URL: %s' % _exc_text(exc, self.redact), hint='check api_url',
                                     path=path)
            except (requests.exceptions.ConnectionError, requests.exceptions.Timeout,
                    requests.exceptions.ChunkedEncodingError) as exc:
                raise _Retryable(method, url, path, problem=_describe_connection_error(exc, self.timeout, self.redact))
            except requests.exceptions.RequestException as exc:
                # Anything else requests may raise (a malformed header value, a proxy it cannot use...).
                raise TransportError(method, url, 'request failed: %s' % _exc_text(exc, self.redact),
                                     hint='check api_url and the proxy settings of the Ansible controller', path=path)
        finally:
            self.rate_limit.release(headers, self.clock())
        return self._interpret(method, path, url, reply.status_code, headers, raw)

    def _exchange(self, method, path, params, body):
        """Send the request and read the whole answer within ``timeout`` seconds of wall-clock time.

        requests' own timeout bounds each socket operation, so an answer that
        trickles a byte at a time (headers or body) would never time out. The
        exchange runs in a daemon thread instead, and this one waits for it at
        most ``timeout`` seconds; past that the connection is shut down and the
        thread abandoned (it holds nothing the module needs).
        """
        box = dict(abandoned=False)
        lock = threading.Lock()
        done = threading.Event()

        def work():
            try:
                reply = self.session.request(
                    method, self.url(path), params=params, json=body, timeout=self.timeout,
                    verify=self.verify, allow_redirects=False, stream=True)
                with lock:
                    box['reply'] = reply
                    abandoned = box['abandoned']
                if not abandoned:
                    try:
                        box['raw'] = read_limited(reply)
                    except requests.exceptions.RequestException as exc:
                        box['error'] = _ReadFailed(reply.status_code, exc)
            except BaseException as exc:  # handed to the waiting thread  # pylint: disable=broad-except
                box['error'] = exc
            finally:
                done.set()

        worker = threading.Thread(target=work, name='alohub-request', daemon=True)
        worker.start()
        if not done.wait(self.timeout):
            with lock:
                box['abandoned'] = True
                reply = box.get('reply')
            _abort(reply)
            raise _DeadlinePassed()
        if 'error' in box:
            raise box['error']
        return box['reply'], box['raw']

    def _interpret(self, method, path, url, status, headers, raw):
        if raw is None:
            raise TooLargeError(method, url, status, 'the answer is larger than %d MiB' % (MAX_BODY_BYTES // 1048576), path=path)
        text = raw.decode('utf-8', 'replace')
        if 200 <= status < 300:
            return Response(url, status, json_body(method, url, status, text, self.redact, path=path))
        if 300 <= status < 400:
            raise ApiError(method, url, status, server_message='redirected to %s' % excerpt(self.redact(headers.get('Location', '?'))),
                           reason='redirects are not followed, so the key is not sent elsewhere; set api_url to the final address',
                           path=path)
        error_code, message = parse_error_body(text, self.redact)
        if status == 404 and (error_code or '').upper() != 'NOT_FOUND':
            raise RouteError(method, url, status, error_code, message, path=path)
        if status in RETRY_STATUSES:
            if status == 429:
                self._count('rate_limited')
            raise _Retryable(method, url, path, status=status, error_code=error_code, server_message=message,
                             retry_after=parse_retry_after(headers.get('Retry-After')))
        raise ApiError(method, url, status, error_code, message, path=path)

    def _count(self, name, amount=1):
        with self._stats_lock:
            self.stats[name] += amount

    def _note_pacing(self, delay):
        with self._stats_lock:
            self.stats['waited'] += delay
            self.stats['paced'] += 1
            self.stats['longest_pace'] = max(self.stats['longest_pace'], delay)

    def warnings(self):
        """Lines for warnings: the retries made, and pacing when it waited long enough to matter."""
        lines = []
        stats = self.stats
        if stats['retries']:
            kinds = {}
            for what, dummy in self.retry_events:
                kinds[what] = kinds.get(what, 0) + 1
            detail = ', '.join('%s x%d' % item for item in sorted(kinds.items()))
            lines.append('%d retr%s of requests to the AloHub API (%s); %s s spent waiting before retries '
                         '(retry_budget %d s)' % (stats['retries'], 'y' if stats['retries'] == 1 else 'ies', detail,
                                                  fmt_seconds(round(stats['retry_waited'], 1)), self.retry_budget))
        if stats['waited'] >= PACING_REPORT_SECONDS or stats['longest_pace'] >= PACING_NOTABLE_WAIT:
            lines.append('paced to the API rate limit: waited %s s in %d pause%s (the longest %s s) for the rate-limit '
                         'window to reset, as the rate-limit headers asked; fewer jobs at once on this tenant, or a '
                         'higher limit, make it faster' % (
                             fmt_seconds(round(stats['waited'], 1)), stats['paced'], '' if stats['paced'] == 1 else 's',
                             fmt_seconds(round(stats['longest_pace'], 1))))
        return lines


def _abort(reply):
    """Shut the connection under an abandoned answer, so the thread reading it wakes up and ends."""
    if reply is None:
        return
    try:
        sock = reply.raw.connection.sock
        if sock is not None:
            sock.shutdown(socket.SHUT_RDWR)
    except (AttributeError, OSError):
        pass
    try:
        reply.close()
    except Exception:  # closing a half-read answer from another thread  # pylint: disable=broad-except
        pass


def build_headers(settings):
    """The headers every request carries. The key is sent in exactly one of them."""
    headers = {
        'Accept': 'application/json',
        'User-Agent': 'alohub.callcenter (Ansible collection; ansible-core/%s; python-requests/%s)' % (
            ANSIBLE_VERSION, getattr(requests, '__version__', '?') if HAS_REQUESTS else '?'),
        AUTH_HEADERS[settings['auth_header']]: settings['api_key'],
    }
    if settings.get('tenant_id'):
        headers['X-Tenant-ID'] = settings['tenant_id']
    return headers


def proxy_warning(settings):
    """A warning when a plain-http request (with the key in a header) would go through a proxy."""
    url = settings['api_url']
    if urlsplit(url).scheme != 'http':
        return None
    try:
        proxies = requests.utils.get_environ_proxies(url)
    except (ValueError, OSError):
        return None
    proxy = proxies.get('http') or proxies.get('all')
    if not proxy:
        return None
    try:
        host = urlsplit(proxy if '//' in proxy else '//' + proxy).hostname or '?'
    except ValueError:
        host = '?'
    return ('api_url uses plain http:// and the requests go through the proxy %s (from the http_proxy / HTTP_PROXY '
            'environment variables): the API key travels unencrypted to that proxy and beyond. Use https://, or add '
            'the API host to NO_PROXY for a local test server.' % host)


def _exc_text(exc, redact):
    return excerpt(redact(str(exc)))


def _tls_reason(exc, redact):
    """OpenSSL's reason from inside requests' wrapping, such as
    ``[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: self-signed certificate``.

    The whole text starts with ~150 characters of pool and URL noise, so an
    excerpt of it cut off the reason (untrusted CA, hostname mismatch, expired).
    """
    text = str(exc)
    match = re.search(r"\[(?:SSL|X509)[^\]]*\].*?(?=\s*\(_ssl\.c:\d+\)|['\"]\)|$)", text)
    if match:
        text = match.group(0)
    return excerpt(redact(text))


def _describe_connection_error(exc, timeout, redact):
    if isinstance(exc, requests.exceptions.Timeout):
        # The same words as the wall-clock deadline's: whichever of the two fires first, it is one fault.
        return 'no complete answer within timeout (%d s)' % timeout
    text = str(exc)
    for pattern, meaning in (
            (r'IncompleteRead', 'the answer was cut short (the connection closed before the whole body arrived)'),
            (r'Connection refused', 'connection refused'),
            (r'RemoteDisconnected|Connection aborted|reset by peer|ConnectionResetError', 'connection closed without an answer'),
            (r'Name or service not known|nodename nor servname|getaddrinfo failed|Temporary failure in name resolution',
             'host name not found')):
        if re.search(pattern, text):
            return meaning
    return 'connection error: %s' % _exc_text(exc, redact)


def _transport_hint(method, problem):
    if method == 'PUT':
        return ('the update may have reached the server before the answer was lost; '
                'rerun the task: it compares first and sends only what still differs')
    if problem.startswith('no complete answer within timeout'):
        return 'the server is slow or unreachable; raise timeout or retries'
    if problem == 'host name not found':
        return 'check api_url'
    if problem.startswith('the answer was cut short'):
        return 'the server or a proxy in between dropped the connection mid-answer; retry later'
    return 'check api_url and that the server is reachable from the Ansible controller'


def silence_insecure_request_warnings():
    """urllib3 prints one warning per request when certificates are not checked;
    the module says it once, as an Ansible warning, instead."""
    import urllib3
    urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)
