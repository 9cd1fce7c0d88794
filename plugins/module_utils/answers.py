# -*- coding: utf-8 -*-
# Copyright: (c) 2026, AloHub collection maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Reading answers: the body within a size cap, strict JSON, and what an error answer says.

Everything here treats the server's bytes as untrusted data: JSON as the RFC
has it (no NaN or Infinity, no number that overflows, bounded depth), error
bodies in any of the shapes the API and the gateway use, and excerpts that are
short, on one line and redacted before they are cut.

Imports errors and text.
"""

from __future__ import annotations

import json
import math

from ansible_collections.alohub.callcenter.plugins.module_utils.errors import ResponseError
from ansible_collections.alohub.callcenter.plugins.module_utils.text import visible


MAX_BODY_BYTES = 8 * 1024 * 1024
BODY_EXCERPT = 200


def read_limited(reply, limit=MAX_BODY_BYTES):
    """The body of a streamed requests answer, or None when it is over ``limit`` bytes."""
    chunks = []
    size = 0
    for chunk in reply.iter_content(65536):
        size += len(chunk)
        if size > limit:
            reply.close()
            return None
        chunks.append(chunk)
    return b''.join(chunks)


def _reject_constant(name):
    raise ValueError('%s is not a JSON number' % name)


def _finite_float(text):
    number = float(text)
    if not math.isfinite(number):
        raise ValueError('%s is out of range for a number' % text[:20])
    return number


def loads(text):
    """JSON as the RFC has it: no NaN or Infinity, no number that overflows to infinity."""
    return json.loads(text, parse_constant=_reject_constant, parse_float=_finite_float)


def json_body(method, url, status, text, redact, path=None):
    """The parsed body of a 2xx answer (None when empty), or a ResponseError saying what is wrong with it."""
    if not text.strip():
        return None
    try:
        return loads(text)
    except RecursionError:
        raise ResponseError(method, url, status, 'the answer is JSON nested too deeply to read', path=path)
    except ValueError as exc:
        problem = 'the answer is not JSON'
        if 'JSON number' in str(exc) or 'out of range' in str(exc) or 'digits' in str(exc):
            problem = 'the answer holds a number JSON cannot carry (%s)' % excerpt(str(exc))
        raise ResponseError(method, url, status, problem, body_start=excerpt(redact(text)), path=path)


def parse_error_body(text, redact=None):
    """(error_code, message) from an error answer: the API envelope, Kong's JSON, or plain text.

    ``redact`` is applied to the decoded values before they are cut short: JSON
    escapes (``\\/``) can hide a secret from a redaction of the raw text, and a
    cut could leave half a key.
    """
    redact = redact or (lambda value: value)
    try:
        data = loads(text)
    except (ValueError, RecursionError):
        data = None
    if isinstance(data, dict):
        code = data.get('error_code')
        message = data.get('error_message') or data.get('message')
        code = excerpt(redact(code if isinstance(code, str) else json.dumps(code))) if code else None
        message = excerpt(redact(message if isinstance(message, str) else json.dumps(message))) if message else None
        return code, message
    stripped = text.strip()
    return None, (excerpt(redact(stripped)) if stripped else None)


def excerpt(text):
    """``text`` on one line, at most BODY_EXCERPT characters, control characters escaped (a server's words are data)."""
    text = visible(' '.join(text.split()))
    return text if len(text) <= BODY_EXCERPT else text[:BODY_EXCERPT] + '...'
