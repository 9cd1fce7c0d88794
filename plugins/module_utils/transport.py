# -*- coding: utf-8 -*-
# Copyright: (c) 2026, AloHub collection maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""HTTP transport: one requests Session per module run.

It owns the headers (auth, tenant, User-Agent), URL building, the retry
policy (429, 502, 503, 504, connection errors, timeouts) with Retry-After and
jittered exponential back-off, and pacing from the rate-limit headers so that a
busy run waits for the next window instead of collecting 429s.
"""

from __future__ import annotations

import email.utils
import json
import math
import random
import re
import threading
import time
import traceback

try:
    import requests
    from urllib3.exceptions import LocationValueError
    HAS_REQUESTS = True
    REQUESTS_IMPORT_ERROR = None
except ImportError:
    HAS_REQUESTS = False
    REQUESTS_IMPORT_ERROR = traceback.format_exc()

from ansible_collections.alohub.callcenter.plugins.module_utils.arguments import AUTH_HEADERS
from ansible_collections.alohub.callcenter.plugins.module_utils.errors import (
    ApiError,
    ResponseError,
    TransportError,
)


COLLECTION_VERSION = '1.0.0'
RETRY_STATUSES = frozenset((429, 502, 503, 504))
BACKOFF_BASE = 0.5          # seconds before the first retry (before jitter)
RATE_LIMIT_RESERVE = 1      # requests left in a window that pacing keeps unused
MAX_BODY_BYTES = 8 * 1024 * 1024
BODY_EXCERPT = 200


def parse_retry_after(value, now=None):
    """Seconds to wait from a Retry-After value: delta-seconds or an HTTP date.

    Returns None when the header is absent or unreadable.
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
    if seconds is not None:
        return max(0.0, seconds) if math.isfinite(seconds) else None
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    if now is None:
        now = time.time()
    return max(0.0, when.timestamp() - now)


def backoff_delay(retry_number, cap, rng=random.random, base=BACKOFF_BASE):
    """Exponential back-off with "equal jitter", never above ``cap`` seconds.

    ``retry_number`` counts from 0 (the wait before the first retry).
    """
    ceiling = min(float(cap), base * (2 ** retry_number))
    return ceiling / 2.0 + rng() * ceiling / 2.0


def _header_ints(headers, fragment):
    values = []
    for name, value in headers.items():
        if fragment in name.lower():
            try:
                values.append(int(float(str(value).strip())))
            except (ValueError, OverflowError):  # "inf" can not be an int
                continue
    return values


class RateLimitState:
    """What the rate-limit headers said, kept across the requests of one run.

    Header names vary by gateway (``X-RateLimit-Remaining-Tenant``,
    ``X-RateLimit-Remaining-10``, ``RateLimit-Remaining``...), so every
    header whose name contains ``ratelimit-remaining`` counts and the smallest
    wins. ``RateLimit-Reset`` (seconds, or an epoch time) says when the window
    ends. Thread-safe: parallel updates share one state.
    """

    def __init__(self, reserve=RATE_LIMIT_RESERVE):
        self.reserve_count = reserve
        self.remaining = None
        self.limit = None
        self.reset_at = None
        self.blocked_until = 0.0
        self.in_flight = 0
        self._lock = threading.Lock()

    def acquire(self, now, max_wait):
        """Take a slot for one request; return how long to wait first."""
        with self._lock:
            self.in_flight += 1
            delay = 0.0
            if now < self.blocked_until:
                delay = self.blocked_until - now
            elif self.remaining is not None and self.reset_at is not None and now < self.reset_at:
                if self.remaining <= self.reserve_count and self.reset_at - now <= max_wait:
                    self.blocked_until = self.reset_at
                    delay = self.reset_at - now
                    # The next window's budget is unknown until an answer says it.
                    self.remaining = None
                    self.reset_at = None
            if self.remaining is not None:
                self.remaining -= 1
            return delay

    def release(self, headers, now, wall_now=None):
        """Record the headers of an answer (or none, for a failed attempt)."""
        with self._lock:
            self.in_flight = max(0, self.in_flight - 1)
            if headers is None:
                return
            remaining = _header_ints(headers, 'ratelimit-remaining')
            if not remaining:
                return
            limits = _header_ints(headers, 'ratelimit-limit')
            self.limit = min(limits) if limits else None
            # Requests still in flight were sent after the server counted this one.
            self.remaining = min(remaining) - self.in_flight
            resets = _header_ints(headers, 'ratelimit-reset')
            if resets:
                reset = min(resets)
                if reset > 1000000000:  # an epoch timestamp, not a delta
                    reset = reset - (wall_now if wall_now is not None else time.time())
                self.reset_at = now + max(0, reset)
            else:
                self.reset_at = None

    def snapshot(self, now):
        with self._lock:
            return dict(
                remaining=self.remaining, limit=self.limit,
                reset_in=None if self.reset_at is None else max(0.0, round(self.reset_at - now, 3)))


class Response:
    """A successful answer: status, headers and the parsed JSON body."""

    def __init__(self, method, path, status, headers, data):
        self.method = method
        self.path = path
        self.status = status
        self.headers = headers
        self.data = data


class Transport:
    """Sends requests to the AloHub API with retries and pacing."""

    def __init__(self, settings, session=None, sleep=time.sleep, clock=time.monotonic, rng=random.random, pool_size=10):
        self.base_url = settings['api_url'].rstrip('/')
        self.timeout = settings['timeout']
        self.retries = settings['retries']
        self.max_retry_wait = settings['max_retry_wait']
        # validate_certs: false turns checking off even when ca_path (or ALOHUB_CA_PATH) is set.
        self.verify = (settings.get('ca_path') or True) if settings['validate_certs'] else False
        self._secret = settings['api_key']
        self.sleep = sleep
        self.clock = clock
        self.rng = rng
        self.rate_limit = RateLimitState()
        self.stats = dict(requests=0, retries=0, rate_limited=0, waited=0.0)
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

    def request(self, method, path, params=None, body=None):
        """Send one logical request; return a Response or raise a typed error."""
        attempt = 0
        last_retry_after = None
        while True:
            attempt += 1
            outcome = self._attempt(method, path, params, body)
            if isinstance(outcome, Response):
                return outcome
            status, problem, error, retry_after = outcome
            if retry_after is not None:
                last_retry_after = retry_after
            if retry_after is not None and retry_after > self.max_retry_wait:
                raise ApiError(method, path, status, error.error_code, error.server_message, attempts=attempt,
                               retry_after=retry_after,
                               reason='Retry-After exceeds max_retry_wait (%d s), so it was not waited for' % self.max_retry_wait)
            if attempt > self.retries:
                if error is not None:
                    raise ApiError(method, path, status, error.error_code, error.server_message,
                                   attempts=attempt, retry_after=last_retry_after)
                raise TransportError(method, path, problem, attempts=attempt, hint=_transport_hint(method, problem))
            delay = retry_after if retry_after is not None else backoff_delay(attempt - 1, self.max_retry_wait, self.rng)
            self._note_retry(status, problem, delay)
            self.sleep(delay)

    def _attempt(self, method, path, params, body):
        """One HTTP exchange. Returns a Response, or (status, problem, error, retry_after) for a retryable failure."""
        delay = self.rate_limit.acquire(self.clock(), self.max_retry_wait)
        if delay > 0:
            self._count('waited', delay)
            self.sleep(delay)
        self._count('requests')
        headers = None
        try:
            try:
                reply = self.session.request(
                    method, self.url(path), params=params, json=body, timeout=self.timeout,
                    verify=self.verify, allow_redirects=False, stream=True)
                headers = reply.headers
                raw = _read_limited(reply)
            except requests.exceptions.SSLError as exc:
                raise TransportError(method, path, 'TLS error: %s' % _tls_reason(exc, self._secret),
                                     hint='set ca_path to the CA bundle that signed the server certificate, '
                                          'or validate_certs: false for a test server only')
            except (requests.exceptions.InvalidURL, LocationValueError) as exc:
                # urllib3 raises LocationValueError itself, past requests, for a host it cannot
                # encode (a label over 63 characters); it is a ValueError, not a requests error.
                raise TransportError(method, path, 'invalid URL: %s' % _exc_text(exc, self._secret), hint='check api_url')
            except (requests.exceptions.ConnectionError, requests.exceptions.Timeout,
                    requests.exceptions.ChunkedEncodingError) as exc:
                return None, _describe_connection_error(exc, self.timeout, self._secret), None, None
            except requests.exceptions.ContentDecodingError as exc:
                # Content-Encoding: gzip (say) over a body that is not: a broken proxy, not worth a retry.
                raise ResponseError(method, path, reply.status_code,
                                    'the answer could not be decoded: %s' % _exc_text(exc, self._secret))
            except requests.exceptions.RequestException as exc:
                # Anything else requests may raise (a malformed header value, a proxy it cannot use...).
                raise TransportError(method, path, 'request failed: %s' % _exc_text(exc, self._secret),
                                     hint='check api_url and the proxy settings of the Ansible controller')
        finally:
            self.rate_limit.release(headers, self.clock())

        status = reply.status_code
        if raw is None:
            raise ResponseError(method, path, status, 'the answer is larger than %d bytes' % MAX_BODY_BYTES)
        text = self._redact(raw.decode('utf-8', 'replace'))
        if 200 <= status < 300:
            return Response(method, path, status, headers, _parse_json_body(method, path, status, text))
        if 300 <= status < 400:
            raise ApiError(method, path, status, server_message='redirected to %s' % self._redact(headers.get('Location', '?')),
                           reason='redirects are not followed, so the key is not sent elsewhere; set api_url to the final address')
        error_code, message = parse_error_body(text, self._redact)
        error = ApiError(method, path, status, error_code, message)
        if status in RETRY_STATUSES:
            if status == 429:
                self._count('rate_limited')
            return status, None, error, parse_retry_after(headers.get('Retry-After'))
        raise error

    def _redact(self, text):
        return text.replace(self._secret, '********') if self._secret else text

    def _count(self, name, amount=1):
        with self._stats_lock:
            self.stats[name] += amount

    def _note_retry(self, status, problem, delay):
        with self._stats_lock:
            self.stats['retries'] += 1
            self.retry_events.append(('HTTP %s' % status if status else problem, delay))

    def retry_summary(self):
        """One line for a warning when any request had to be retried, else None."""
        if not self.stats['retries']:
            return None
        kinds = {}
        for what, dummy in self.retry_events:
            kinds[what] = kinds.get(what, 0) + 1
        detail = ', '.join('%s x%d' % item for item in sorted(kinds.items()))
        waited = sum(delay for dummy, delay in self.retry_events) + self.stats['waited']
        return ('%d retr%s of requests to the AloHub API (%s); %.1f s spent waiting in total'
                % (self.stats['retries'], 'y' if self.stats['retries'] == 1 else 'ies', detail, waited))


def build_headers(settings):
    """The headers every request carries. The key is sent in exactly one of them."""
    headers = {
        'Accept': 'application/json',
        'User-Agent': 'alohub.callcenter/%s (Ansible collection; python-requests/%s)' % (
            COLLECTION_VERSION, getattr(requests, '__version__', '?') if HAS_REQUESTS else '?'),
        AUTH_HEADERS[settings['auth_header']]: settings['api_key'],
    }
    if settings.get('tenant_id'):
        headers['X-Tenant-ID'] = settings['tenant_id']
    return headers


def parse_error_body(text, redact=None):
    """(error_code, message) from an error answer: the API envelope, Kong's JSON, or plain text.

    ``redact`` is applied to the decoded values before they are cut short: JSON
    escapes (``\\/``) can hide a secret from a redaction of the raw text.
    """
    redact = redact or (lambda value: value)
    try:
        data = json.loads(text)
    except ValueError:
        data = None
    if isinstance(data, dict):
        code = data.get('error_code')
        message = data.get('error_message') or data.get('message')
        return (redact(str(code)) if code else None), (_excerpt(redact(str(message))) if message else None)
    stripped = text.strip()
    return None, (_excerpt(stripped) if stripped else None)


def _parse_json_body(method, path, status, text):
    if not text.strip():
        return None
    try:
        return json.loads(text)
    except ValueError:
        raise ResponseError(method, path, status, 'the answer is not JSON', body_start=_excerpt(text))


def _read_limited(reply):
    """The body, or None when it is over MAX_BODY_BYTES."""
    chunks = []
    size = 0
    for chunk in reply.iter_content(65536):
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            reply.close()
            return None
        chunks.append(chunk)
    return b''.join(chunks)


def _excerpt(text):
    text = ' '.join(text.split())
    return text if len(text) <= BODY_EXCERPT else text[:BODY_EXCERPT] + '...'


def _exc_text(exc, secret):
    text = str(exc)
    if secret:
        text = text.replace(secret, '********')
    return _excerpt(text)


def _tls_reason(exc, secret):
    """OpenSSL's reason from inside requests' wrapping, such as
    ``[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: self-signed certificate``.

    The whole text starts with ~150 characters of pool and URL noise, so an
    excerpt of it cut off the reason (untrusted CA, hostname mismatch, expired).
    """
    text = str(exc)
    match = re.search(r"\[(?:SSL|X509)[^\]]*\].*?(?=\s*\(_ssl\.c:\d+\)|['\"]\)|$)", text)
    if match:
        text = match.group(0)
    if secret:
        text = text.replace(secret, '********')
    return _excerpt(text)


def _describe_connection_error(exc, timeout, secret):
    if isinstance(exc, requests.exceptions.Timeout):
        return 'no answer within timeout (%d s)' % timeout
    text = str(exc)
    for pattern, meaning in (
            (r'IncompleteRead', 'the answer was cut short (the connection closed before the whole body arrived)'),
            (r'Connection refused', 'connection refused'),
            (r'RemoteDisconnected|Connection aborted|reset by peer|ConnectionResetError', 'connection closed without an answer'),
            (r'Name or service not known|nodename nor servname|getaddrinfo failed|Temporary failure in name resolution',
             'host name not found')):
        if re.search(pattern, text):
            return meaning
    return 'connection error: %s' % _exc_text(exc, secret)


def _transport_hint(method, problem):
    if method == 'PUT':
        return ('the update may have reached the server before the answer was lost; '
                'rerun the task: it compares first and sends only what still differs')
    if problem.startswith('no answer within timeout'):
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
