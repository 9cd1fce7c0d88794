# -*- coding: utf-8 -*-
# Copyright: (c) 2026, AloHub collection maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Typed errors that render their own fail_json message.

Every message says what was tried (method and URL), what came back (HTTP
status, error_code, the server's words) and what the user can do. None of them
ever carries a header, a key or a traceback. Each error also says which status
a per-entry result gets when it stops that entry (``result_status``), so no
caller decodes a class name. Imports nothing of the collection.
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

# A list that cannot be read whole, or a record the collection cannot read safely: the API's answer, but not usable.
INCOMPLETE_HINT = ('the queue list changed while it was read, or the server is inconsistent; nothing was changed. '
                   'Retry later, and report it to AloHub if it persists')
RECORD_HINT = ('the API sent a queue record that does not have the documented shape, so nothing was done with it; '
               'report it to AloHub, or to the collection maintainers if the API changed')

# A 404 that is not the API's NOT_FOUND: the gateway has no API behind that path.
ROUTE_HINT = ('api_url is probably wrong: nothing answers at this URL as the AloHub API does. api_url is the base '
              'URL (such as https://xapi.alohub.vn or https://host/api); the collection appends /v1/queues/inbound itself')


class AlohubError(Exception):
    """Base class. ``details`` become extra keys of the failed task result.

    ``result_status``: the status of a per-entry result this error stops (the
    documented set of inbound_queues' ``results[].status``).
    """

    result_status = 'failed'

    def __init__(self, msg, **details):
        super().__init__(msg)
        self.msg = msg
        self.details = dict((k, v) for k, v in details.items() if v is not None)

    def fail_kwargs(self):
        kwargs = dict(self.details)
        kwargs['msg'] = self.msg
        return kwargs

    def info(self):
        """What a per-entry result keeps of this error: its kind and, for HTTP errors, status and error_code."""
        info = dict(kind=type(self).__name__)
        for key in ('status', 'error_code', 'method', 'url', 'attempts'):
            if self.details.get(key) is not None:
                info[key] = self.details[key]
        return info


class ValidationError(AlohubError):
    """Bad input, found before any request was sent."""

    result_status = 'invalid'


class FileError(ValidationError):
    """A file that cannot be read, written or trusted as the collection's (found before anything is sent)."""


class RecordError(AlohubError):
    """A record the API sent is not a queue record as documented (a field of the wrong type or value)."""


class ApiError(AlohubError):
    """The API (or the gateway in front of it) answered with an error.

    ``url`` is the full URL asked for (base URL with its prefix, path and query), as shown in messages.
    """

    def __init__(self, method, url, status, error_code=None, server_message=None,
                 attempts=1, retry_after=None, reason=None, hint=None, path=None):
        self.method = method
        self.url = url
        self.path = path
        self.status = status
        self.error_code = error_code
        self.server_message = server_message
        self.attempts = attempts
        self.retry_after = retry_after
        parts = ['%s %s failed' % (method, url)]
        parts.append(': HTTP %s' % status if status else '')
        if error_code:
            parts.append(' %s' % error_code)
        if server_message:
            parts.append(' (%s)' % server_message)
        if reason:
            parts.append('; %s' % reason)
        parts.append(' after %d attempt%s' % (attempts, '' if attempts == 1 else 's'))
        if retry_after is not None:
            parts.append(', last Retry-After %s s' % fmt_seconds(retry_after))
        hint = hint or HINTS.get(status)
        if hint:
            parts.append('. Hint: %s' % hint)
        super().__init__(
            ''.join(parts), status=status, error_code=error_code, attempts=attempts,
            retry_after=retry_after, method=method, url=url, path=path)

    @property
    def result_status(self):
        """A per-entry result stopped by this error: the server refused the values (400) or failed otherwise."""
        return 'invalid' if self.status == 400 else 'failed'


class RouteError(ApiError):
    """A 404 from the gateway (or anything else in front of the API), not the API's NOT_FOUND."""

    def __init__(self, method, url, status, error_code=None, server_message=None, attempts=1, path=None):
        super().__init__(method, url, status, error_code, server_message, attempts=attempts, hint=ROUTE_HINT, path=path)


class ResponseError(ApiError):
    """A 2xx answer whose body is not what the API documents."""

    def __init__(self, method, url, status, problem, body_start=None, path=None, hint=RESPONSE_HINT):
        message = problem
        if body_start:
            message = '%s; body starts with %r' % (problem, body_start)
        super().__init__(method, url, status, server_message=message, hint=hint, path=path)


class TooLargeError(ResponseError):
    """A 2xx answer larger than the transport reads (a page of very large records, or not the API at all)."""

    def __init__(self, method, url, status, problem, path=None):
        self.problem = problem
        super().__init__(method, url, status, problem, path=path, hint=(
            'the API sent more than the collection reads in one answer; if the tenant has queues with very large names '
            'or settings, report it to AloHub; otherwise check that api_url points at the API'))


class TransportError(AlohubError):
    """No (complete) HTTP answer: connection refused or reset, timeout, TLS failure."""

    def __init__(self, method, url, problem, attempts=1, hint=None, path=None):
        msg = '%s %s failed: %s after %d attempt%s' % (method, url, problem, attempts, '' if attempts == 1 else 's')
        if hint:
            msg += '. Hint: %s' % hint
        super().__init__(msg, method=method, url=url, path=path, attempts=attempts)


class RetryBudgetError(AlohubError):
    """Retrying would wait past the task's retry budget."""

    def __init__(self, last, budget, waited, delay):
        msg = ('%s; stopped retrying: waiting %s s more would exceed the retry budget of this task '
               '(retry_budget %d s, %s s already spent waiting before retries). Hint: the API is overloaded or '
               'rate limited; run fewer jobs at once, or raise retry_budget' % (
                   last.msg.split('. Hint:')[0], fmt_seconds(delay), budget, fmt_seconds(waited)))
        details = dict(last.details)
        details.update(retry_budget=budget, retry_waited=round(waited, 3))
        super().__init__(msg, **details)


class VerificationError(AlohubError):
    """The server accepted an update but did not apply it."""


class NotFoundError(AlohubError):
    """The queue the task names does not exist for this tenant."""

    result_status = 'missing'


class AmbiguousError(AlohubError):
    """A name matches several queues of the tenant (``matching_ids``)."""

    result_status = 'ambiguous'


class RenamedError(AlohubError):
    """The queue an entry names by id has another name now (names cannot be changed through the API)."""

    result_status = 'renamed'


class StaleError(AlohubError):
    """The tenant changed since the plan was made: nothing was sent."""

    result_status = 'stale'


class TargetError(AlohubError):
    """A file made for another API or tenant than the one this task talks to: nothing was sent."""


class BulkFailure(AlohubError):
    """Some queues failed, or overridden found drift the API cannot fix; carries the full result."""

    def __init__(self, msg, result):
        super().__init__(msg)
        self.details = dict(result)   # the same shape as a successful run's result, None values included


class AppliedError(AlohubError):
    """Something failed AFTER the server accepted an update: the task changed something all the same."""

    def __init__(self, queue, cause):
        details = dict(cause.details)
        details['changed'] = True
        self.cause = cause
        super().__init__('the server accepted the update of %s, so it changed, but then: %s' % (queue, cause.msg), **details)

    def info(self):
        info = self.cause.info()
        info['applied'] = True
        return info


def fmt_seconds(value):
    return ('%d' % value) if float(value).is_integer() else ('%.1f' % value)


MASK = '********'


class Redactor:
    """Replaces the API key, and the forms a server may echo it in, in text meant for output.

    Applied to messages, warnings and results only, never to the data the modules
    reason on: the forms are the key itself, URL-encoded (``%2B`` / ``+``) and
    base64 (standard and URL-safe, with and without padding).
    """

    def __init__(self, secret):
        forms = set()
        if secret:
            import base64
            from urllib.parse import quote, quote_plus
            raw = secret.encode('utf-8')
            forms.update((secret, quote(secret, safe=''), quote_plus(secret), quote(secret)))
            for encoded in (base64.b64encode(raw), base64.urlsafe_b64encode(raw)):
                text = encoded.decode('ascii')
                forms.update((text, text.rstrip('=')))
        # Longest first, so that a form containing another is masked whole.
        self.forms = sorted((form for form in forms if form), key=len, reverse=True)

    def __call__(self, text):
        for form in self.forms:
            if form in text:
                text = text.replace(form, MASK)
        return text

    def data(self, value):
        """``value`` (result data: dicts, lists, strings) with every string redacted."""
        if not self.forms:
            return value
        if isinstance(value, str):
            return self(value)
        if isinstance(value, dict):
            return dict((self.data(k) if isinstance(k, str) else k, self.data(v)) for k, v in value.items())
        if isinstance(value, (list, tuple)):
            return [self.data(item) for item in value]
        return value
