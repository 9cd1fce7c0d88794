# -*- coding: utf-8 -*-
# Copyright: (c) 2026, AloHub collection maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Typed errors that render their own fail_json message.

Every message says what was tried (method and path), what came back (HTTP
status, error_code, the server's words) and what the user can do. None of them
ever carries a header, a key or a traceback.
"""

from __future__ import annotations


# What a user can do about each HTTP status.
HINTS = {
    400: 'the server rejected the input; check the values sent',
    401: 'check api_key and auth_header (the key is sent raw in the Authorization header, '
         'or in X-Api-Key), and that tenant_id, when set, is the tenant of that key',
    403: 'the API key lacks the "queue" scope; ask for a key with that scope',
    404: 'no such queue for this tenant (queues of other tenants are reported as not found)',
    429: 'the rate limit was hit; raise retries or max_retry_wait, or run fewer jobs at once',
    500: 'the AloHub backend failed; retry later, and report it to AloHub if it persists',
    502: 'the gateway got no valid answer from the backend; retry later',
    503: 'the service is unavailable; retry later',
    504: 'the gateway timed out waiting for the backend; retry later',
}


# A 2xx answer that is not the API's: most often api_url points at a web page or a proxy.
RESPONSE_HINT = ('this is not an answer of the AloHub API; check that api_url points at the API '
                 '(such as https://xapi.alohub.vn or https://host/api), not at a web page or a proxy')


class AlohubError(Exception):
    """Base class. ``details`` become extra keys of the failed task result."""

    def __init__(self, msg, **details):
        super().__init__(msg)
        self.msg = msg
        self.details = dict((k, v) for k, v in details.items() if v is not None)

    def fail_kwargs(self):
        kwargs = dict(self.details)
        kwargs['msg'] = self.msg
        return kwargs


class ValidationError(AlohubError):
    """Bad input, found before any request was sent."""


class ApiError(AlohubError):
    """The API (or the gateway in front of it) answered with an error."""

    def __init__(self, method, path, status, error_code=None, server_message=None,
                 attempts=1, retry_after=None, reason=None, hint=None):
        self.method = method
        self.path = path
        self.status = status
        self.error_code = error_code
        self.server_message = server_message
        self.attempts = attempts
        self.retry_after = retry_after
        parts = ['%s %s failed' % (method, path)]
        parts.append(': HTTP %s' % status if status else '')
        if error_code:
            parts.append(' %s' % error_code)
        if server_message:
            parts.append(' (%s)' % server_message)
        if reason:
            parts.append('; %s' % reason)
        parts.append(' after %d attempt%s' % (attempts, '' if attempts == 1 else 's'))
        if retry_after is not None:
            parts.append(', last Retry-After %s s' % _fmt_seconds(retry_after))
        hint = hint or HINTS.get(status)
        if hint:
            parts.append('. Hint: %s' % hint)
        super().__init__(
            ''.join(parts), status=status, error_code=error_code, attempts=attempts,
            retry_after=retry_after, method=method, path=path)


class ResponseError(ApiError):
    """A 2xx answer whose body is not what the API documents."""

    def __init__(self, method, path, status, problem, body_start=None):
        message = problem
        if body_start:
            message = '%s; body starts with %r' % (problem, body_start)
        super().__init__(method, path, status, server_message=message, hint=RESPONSE_HINT)


class TransportError(AlohubError):
    """No HTTP answer at all: connection refused or reset, timeout, TLS failure."""

    def __init__(self, method, path, problem, attempts=1, hint=None):
        msg = '%s %s failed: %s after %d attempt%s' % (method, path, problem, attempts, '' if attempts == 1 else 's')
        if hint:
            msg += '. Hint: %s' % hint
        super().__init__(msg, method=method, path=path, attempts=attempts)


class VerificationError(AlohubError):
    """The server accepted an update but did not apply it."""


def _fmt_seconds(value):
    return ('%d' % value) if float(value).is_integer() else ('%.1f' % value)


class NotFoundError(AlohubError):
    """The queue the task names does not exist for this tenant (or is ambiguous)."""
