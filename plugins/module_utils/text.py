# -*- coding: utf-8 -*-
# Copyright: (c) 2026, AloHub collection maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Text for people: values from the API or a file, made safe to show on a terminal.

A queue name is whatever someone typed in the AloHub UI: an ESC sequence in it
can erase a terminal's screen, a line break can forge an output line, and a
bidirectional control reorders what a review shows. Every string that reaches
a message, a diff header or an output line goes through ``visible`` (or
``quoted``/``value``, which use it), so those characters are shown as escapes
(``\\x1b``, ``\\u202e``) and never act. The data itself (records, results,
files) keeps the exact value.

Imports nothing of the collection.
"""

from __future__ import annotations

import json
import re
from urllib.parse import urlsplit, urlunsplit

# C0 controls and DEL, C1 controls, the bidirectional marks and controls (ALM, LRM, RLM, LRE...RLO,
# LRI...PDI), the Unicode line and paragraph separators, the byte-order mark, and lone surrogates
# (which cannot even be encoded for output).
UNSAFE = re.compile('[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff\ud800-\udfff]')


def _escape(match):
    code = ord(match.group(0))
    return '\\x%02x' % code if code < 0x100 else '\\u%04x' % code


def visible(text):
    """``text`` with every control character (and bidi control, and lone surrogate) written as an escape."""
    return UNSAFE.sub(_escape, text)


def quoted(text, limit=100):
    """A string in double quotes, escaped as JSON would (control characters as escapes), cut short.

    A 10,000-character name would make a 10 KB message: past ``limit``
    characters it is cut, and its length given.
    """
    if text is None:
        return 'null'
    cut = text if len(text) <= limit else text[:limit]
    shown = '"%s"' % visible(json.dumps(cut, ensure_ascii=False)[1:-1])
    return shown if cut is text else '%s... (%d characters)' % (shown, len(text))


def value(item):
    """A value as the playbooks' YAML shows it: null, true, false, 120, "text" (never Python's None or True)."""
    if item is None:
        return 'null'
    if isinstance(item, bool):
        return 'true' if item else 'false'
    if isinstance(item, str):
        return quoted(item)
    if isinstance(item, (dict, list)):
        return visible(json.dumps(item, ensure_ascii=False, sort_keys=True))
    return visible(str(item))


def shown_url(url):
    """``url`` as messages and files show it: without user info (``https://user:pass@host`` -> ``https://host``)
    and without a trailing slash."""
    parts = urlsplit(url)
    netloc = parts.netloc.rsplit('@', 1)[-1]
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment)).rstrip('/')
