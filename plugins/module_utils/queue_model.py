# -*- coding: utf-8 -*-
# Copyright: (c) 2026, AloHub collection maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""The inbound queue: ONE table maps API fields, module options and wire forms.

The API document lost its field-name column; how each field was read is
recorded here and nowhere else, so a correction is a one-line change.

Three forms of a queue exist:

* the API record (GET): ``{"callinId": 1001226, "timeWait": "120", ...}``
* the normalised record (what modules return): ``{"id": 1001226, "max_wait_sec": 120, ...}``
* the wire form (PUT body): ``{"max_wait_sec": "120", "strategy": 1, ...}``

Both sides of a comparison are normalised first, so ``"120"`` and ``120``
are equal and ``"1"``, ``1`` and ``True`` all mean "announce position on".

What the API sends is untrusted: each field must have one of its documented
shapes, or the record is rejected with a RecordError naming the record and the
field. Nothing is coerced across types (a float or a boolean is never an id, a
number is never a name). Imports errors only.
"""

from __future__ import annotations

import math
import re

from ansible.module_utils.common.validation import check_type_bool

from ansible_collections.alohub.callcenter.plugins.module_utils.errors import RecordError, ValidationError
from ansible_collections.alohub.callcenter.plugins.module_utils.text import quoted, value as shown_value, visible


STRATEGIES = {1: 'normal', 2: 'vip', 3: 'blacklist', 4: 'divert', 99: 'locked'}
STRATEGY_CODES = dict((name, code) for code, name in STRATEGIES.items())
MAX_TEXT = 255
MAX_JSON_DEPTH = 32          # of a value returned as is (agentSelector)
_WHOLE = re.compile(r'^\s*[0-9]+(\.0*)?\s*$')


class _Bad(Exception):
    """A field value the API should not have sent; the text says what it should be."""


_SURROGATE = re.compile('[\ud800-\udfff]')


def _as_text(value):
    """A string from the API as text: a lone UTF-16 surrogate (which JSON can carry but UTF-8 cannot, so no module
    result or file could hold it) becomes its escape, ``\\ud800``. The name then reads, compares, exports and
    round-trips as that text, instead of making the whole tenant unreadable."""
    return _SURROGATE.sub(lambda match: '\\u%04x' % ord(match.group(0)), value) if _SURROGATE.search(value) else value


def _text_from_api(value):
    if value is None:
        return None
    if not isinstance(value, str):
        raise _Bad('must be a string or null')
    return _as_text(value)


def _is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


class _Text:
    """A string; the wire form is the same string."""

    from_api = staticmethod(_text_from_api)

    @staticmethod
    def parse(option, value):
        if not isinstance(value, str):
            raise ValidationError('%s must be a string; got %s%s' % (
                option, shown_value(value), '; quote a file name made of digits ("0123"), or YAML reads it as a number'
                if isinstance(value, (int, float)) and not isinstance(value, bool) else ''), option=option)
        if not value.strip():
            raise ValidationError('%s must not be empty (the API cannot clear a setting)' % option, option=option)
        if len(value) > MAX_TEXT or any(ord(c) < 32 or ord(c) == 127 for c in value):
            raise ValidationError('%s must be at most %d characters without control characters' % (option, MAX_TEXT), option=option)
        return value

    @staticmethod
    def to_wire(value):
        return value


class _Seconds:
    """A whole number of seconds; a numeric STRING on the wire ("180")."""

    @staticmethod
    def from_api(value):
        if value is None:
            return None
        if _is_int(value):
            number = value
        elif isinstance(value, float) and math.isfinite(value) and value.is_integer():
            number = int(value)
        elif isinstance(value, str) and value.isascii() and _WHOLE.match(value):
            number = int(float(value)) if '.' in value else int(value)
        else:
            raise _Bad('must be a whole number of seconds (a number or a numeric string) or null')
        if number < 0:
            raise _Bad('must not be negative')
        return number  # "120", 120 and "120.0" are the same wait

    @staticmethod
    def parse(option, value):
        if isinstance(value, bool) or isinstance(value, float) and not value.is_integer():
            raise ValidationError('%s must be a whole number of seconds; got %s' % (option, shown_value(value)), option=option)
        try:
            number = int(str(value).strip()) if not isinstance(value, float) else int(value)
        except (ValueError, OverflowError):
            raise ValidationError('%s must be a whole number of seconds; got %s' % (option, shown_value(value)), option=option)
        if number < 0:
            raise ValidationError('%s must be 0 or more; got %d' % (option, number), option=option)
        return number

    @staticmethod
    def to_wire(value):
        return str(value)


class _Flag:
    """On or off; "0"/"1" on the wire, "0", "1", 0, 1, true, false or null when read."""

    _READ = {'1': True, 'true': True, '0': False, 'false': False}

    @classmethod
    def from_api(cls, value):
        if value is None or isinstance(value, bool):
            return value
        if _is_int(value) and value in (0, 1):
            return bool(value)
        if isinstance(value, str) and value.strip().lower() in cls._READ:
            return cls._READ[value.strip().lower()]
        raise _Bad('must be "0", "1", 0, 1, true, false or null')

    @staticmethod
    def parse(option, value):
        if isinstance(value, bool):
            return value
        if isinstance(value, str) or _is_int(value):
            try:
                return check_type_bool(value)  # yes/no, on/off, 1/0, as Ansible's bool options take
            except TypeError:
                pass
        raise ValidationError('%s must be true or false; got %s' % (option, shown_value(value)), option=option)

    @staticmethod
    def to_wire(value):
        return '1' if value else '0'


class _Strategy:
    """A code 1, 2, 3, 4, 99; users may also give the name or the digits as a string."""

    @staticmethod
    def from_api(value):
        if value is None or _is_int(value):
            return value
        if isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
            return int(value.strip())
        raise _Bad('must be an integer code or null')

    @staticmethod
    def parse(option, value):
        code = None
        if _is_int(value):
            code = value
        elif isinstance(value, str):
            text = value.strip().lower()
            code = STRATEGY_CODES.get(text)
            if code is None and text.isascii() and text.isdigit():
                code = int(text)
        if code not in STRATEGIES:
            raise ValidationError(
                '%s must be one of %s (or the codes %s); got %s' % (
                    option, ', '.join(STRATEGY_CODES), ', '.join(str(c) for c in STRATEGIES), shown_value(value)),
                option=option)
        return code

    @staticmethod
    def to_wire(value):
        return value


class _Id:
    """The queue id: a positive integer, exactly. It goes into URL paths."""

    @staticmethod
    def from_api(value):
        if not _is_int(value) or value <= 0:
            raise _Bad('must be a positive integer')
        return value


class _ReadOnlyText:
    """A read-only string (name, phone number); never turned into another type."""

    from_api = staticmethod(_text_from_api)


class _AsReturned:
    """Returned as the API gives it, if it is plain JSON of bounded depth."""

    @staticmethod
    def from_api(value):
        return _check_plain(value, 0)


def _check_plain(value, depth):
    """``value`` if it is plain JSON of bounded depth (strings as text), else _Bad."""
    if depth > MAX_JSON_DEPTH:
        raise _Bad('is nested more than %d levels deep' % MAX_JSON_DEPTH)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise _Bad('holds a number that is not finite')
        return value
    if isinstance(value, str):
        return _as_text(value)
    if isinstance(value, dict):
        plain = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise _Bad('holds a key that is not a string')
            plain[_as_text(key)] = _check_plain(item, depth + 1)
        return plain
    if isinstance(value, list):
        return [_check_plain(item, depth + 1) for item in value]
    if value is not None and not isinstance(value, (bool, int)):
        raise _Bad('is not JSON data')
    return value


# option name -> (API field on GET, PUT field or None when read-only, codec).
# The order is the order of keys in a normalised record.
FIELDS = (
    ('id', 'callinId', None, _Id),
    ('name', 'callinName', None, _ReadOnlyText),
    ('strategy', 'strategy', 'strategy', _Strategy),
    ('moh_file_id', 'musicinQueue', 'moh_file_id', _Text),
    ('max_wait_sec', 'timeWait', 'max_wait_sec', _Seconds),
    # The document's 7th description row ("Announce position: 0=off, 1=on")
    # lines up with the 7th field, nguongRanhRoi.
    ('announce_position', 'nguongRanhRoi', 'announce_position', _Flag),
    ('agent_selector', 'agentSelector', None, _AsReturned),
    ('number', 'callinNumber', None, _ReadOnlyText),
)

SETTINGS = tuple(option for option, dummy, wire, dummy2 in FIELDS if wire)
READ_ONLY = ('strategy_name', 'agent_selector', 'number')
# The keys of a normalised record that config entries carry (what gathered returns).
CONFIG_KEYS = ('id', 'name') + SETTINGS
# What an entry of inbound_queues' config may hold: the record's keys.
ENTRY_KEYS = CONFIG_KEYS + READ_ONLY
_BY_OPTION = dict((option, (api, wire, codec)) for option, api, wire, codec in FIELDS)


def normalise(record, where='the record'):
    """An API record (GET) -> the normalised record modules return.

    Raises RecordError, naming ``where`` and the field, when the record is not
    a queue record of the documented shape.
    """
    if not isinstance(record, dict):
        raise RecordError('%s is not a JSON object (got %s)' % (where, _json_type(record)))
    result = {}
    for option, api, dummy, codec in FIELDS:
        try:
            result[option] = codec.from_api(record.get(api))
        except _Bad as exc:
            raise RecordError('%s %s: %s %s; got %s' % (where, _identify(record), api, exc, _shown(record.get(api))),
                              field=api)
        if option == 'strategy':
            result['strategy_name'] = strategy_name(result['strategy'])
    return result


def _identify(record):
    """How a rejected record is named: by its raw id and name, whatever they are."""
    return '(callinId %s, callinName %s)' % (_shown(record.get('callinId')), _shown(record.get('callinName')))


def _shown(item, limit=60):
    if isinstance(item, str):
        return quoted(item, limit)
    text = shown_value(item) if isinstance(item, (dict, list, bool, int, type(None))) else visible(repr(item))
    return text if len(text) <= limit else text[:limit] + '...'


def _json_type(item):
    return {dict: 'an object', list: 'a list', str: 'a string', bool: 'a boolean', type(None): 'null'}.get(
        type(item), 'a number')


def strategy_name(code):
    return STRATEGIES.get(code) if _is_int(code) else None


def desired_settings(params, label=None):
    """The settings a user asked for, validated and typed; None means "leave alone".

    ``label(option)`` names a setting in messages (for example ``config[3].strategy``).
    """
    desired = {}
    for option in SETTINGS:
        given = params.get(option)
        if given is None:
            continue
        desired[option] = _BY_OPTION[option][2].parse(label(option) if label else option, given)
    return desired


def parse_strategy(label, given):
    """A strategy given by code, digits or name -> its code (for strategy_name, checked like strategy)."""
    return _Strategy.parse(label, given)


def queue_id(given, label='id'):
    """A queue id given by a user: a positive integer (digits in a string too), nothing else."""
    if isinstance(given, bool):
        raise ValidationError('%s must be a positive integer; got %s' % (label, shown_value(given)), option=label)
    if isinstance(given, str):
        digits = given.strip()
        if not digits.isdigit() or not digits.isascii():
            raise ValidationError('%s must be a positive integer; got %s' % (label, shown_value(given)), option=label)
        given = int(digits)
    if not _is_int(given) or given <= 0:
        raise ValidationError('%s must be a positive integer; got %s' % (label, shown_value(given)), option=label)
    return given


def queue_name(given, label='name'):
    """A queue name to look for: a non-empty string."""
    if not isinstance(given, str) or not given.strip():
        raise ValidationError('%s must be a non-empty string; got %s' % (label, shown_value(given)), option=label)
    return given


def differences(current, desired):
    """The requested settings whose normalised current value differs."""
    return dict((option, wanted) for option, wanted in desired.items() if current.get(option) != wanted)


def predict(current, changes):
    """The normalised record as it will be once ``changes`` are applied."""
    after = dict(current)
    after.update(changes)
    if 'strategy' in changes:
        after['strategy_name'] = strategy_name(after['strategy'])
    return after


def to_wire(changes):
    """Normalised settings -> the PUT body, in the API's wire forms."""
    body = {}
    for option, wanted in changes.items():
        dummy, wire, codec = _BY_OPTION[option]
        body[wire] = codec.to_wire(wanted)
    return body


def to_config(record):
    """A normalised record -> an entry of ``inbound_queues``' ``config``."""
    return dict((key, record[key]) for key in CONFIG_KEYS)


def label(record):
    """How a queue is named in messages and diff headers: ``queue 1001226 (test)``, control characters escaped."""
    name = record.get('name')
    return 'queue %s (%s)' % (record.get('id'), visible(name) if isinstance(name, str) else shown_value(name))


def setting_value(setting, item):
    """A setting's value for people: ``2 (vip)`` for a strategy code, ``null``, ``true``, ``"waiting.wav"``."""
    if setting == 'strategy' and strategy_name(item):
        return '%s (%s)' % (item, strategy_name(item))
    return shown_value(item)
