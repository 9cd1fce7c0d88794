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
"""

from __future__ import annotations

import math

from ansible_collections.alohub.callcenter.plugins.module_utils.errors import ValidationError


STRATEGIES = {1: 'normal', 2: 'vip', 3: 'blacklist', 4: 'divert', 99: 'locked'}
STRATEGY_CODES = dict((name, code) for code, name in STRATEGIES.items())
MAX_TEXT = 255


class _Text:
    """A string; the wire form is the same string."""

    @staticmethod
    def from_api(value):
        return None if value is None else str(value)

    @staticmethod
    def parse(option, value):
        if not isinstance(value, str):
            raise ValidationError('%s must be a string; got %r' % (option, value), option=option)
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
        if value is None or isinstance(value, bool):
            return None if value is None else value
        try:
            number = float(str(value).strip())
        except ValueError:
            return value  # unreadable: kept as is, so it differs from any request
        if not math.isfinite(number) or not number.is_integer():
            return value
        return int(number)  # "120", 120 and "120.0" are the same wait

    @staticmethod
    def parse(option, value):
        if isinstance(value, bool):
            raise ValidationError('%s must be a whole number of seconds; got %r' % (option, value), option=option)
        try:
            number = int(str(value).strip())
        except ValueError:
            raise ValidationError('%s must be a whole number of seconds; got %r' % (option, value), option=option)
        if number < 0:
            raise ValidationError('%s must be 0 or more; got %d' % (option, number), option=option)
        return number

    @staticmethod
    def to_wire(value):
        return str(value)


class _Flag:
    """On or off; "0"/"1" on the wire, "0", "1", 0, 1 or null when read."""

    @staticmethod
    def from_api(value):
        if value is None:
            return None
        text = str(value).strip().lower()
        if text in ('1', 'true'):
            return True
        if text in ('0', 'false'):
            return False
        return value

    @staticmethod
    def parse(option, value):
        if isinstance(value, bool):
            return value
        raise ValidationError('%s must be true or false; got %r' % (option, value), option=option)

    @staticmethod
    def to_wire(value):
        return '1' if value else '0'


class _Strategy:
    """A code 1, 2, 3, 4, 99; users may also give the name or the digits as a string."""

    @staticmethod
    def from_api(value):
        if value is None or isinstance(value, bool):
            return value
        try:
            return int(str(value).strip())
        except ValueError:
            return value

    @staticmethod
    def parse(option, value):
        code = None
        if isinstance(value, int) and not isinstance(value, bool):
            code = value
        elif isinstance(value, str):
            text = value.strip().lower()
            code = STRATEGY_CODES.get(text)
            if code is None and text.isascii() and text.isdigit():
                code = int(text)
        if code not in STRATEGIES:
            raise ValidationError(
                '%s must be one of %s (or the codes %s); got %r' % (
                    option, ', '.join(STRATEGY_CODES), ', '.join(str(c) for c in STRATEGIES), value),
                option=option)
        return code

    @staticmethod
    def to_wire(value):
        return value


class _ReadOnly:
    """Returned as the API gives it; not settable through the API."""

    @staticmethod
    def from_api(value):
        return value


class _ReadOnlyInt(_ReadOnly):

    @staticmethod
    def from_api(value):
        try:
            return int(value)
        except (TypeError, ValueError):
            return value


class _ReadOnlyText(_ReadOnly):

    @staticmethod
    def from_api(value):
        return None if value is None else str(value)


# option name -> (API field on GET, PUT field or None when read-only, codec).
# The order is the order of keys in a normalised record.
FIELDS = (
    ('id', 'callinId', None, _ReadOnlyInt),
    ('name', 'callinName', None, _ReadOnlyText),
    ('strategy', 'strategy', 'strategy', _Strategy),
    ('moh_file_id', 'musicinQueue', 'moh_file_id', _Text),
    ('max_wait_sec', 'timeWait', 'max_wait_sec', _Seconds),
    # The document's 7th description row ("Announce position: 0=off, 1=on")
    # lines up with the 7th field, nguongRanhRoi.
    ('announce_position', 'nguongRanhRoi', 'announce_position', _Flag),
    ('agent_selector', 'agentSelector', None, _ReadOnly),
    ('number', 'callinNumber', None, _ReadOnlyText),
)

SETTINGS = tuple(option for option, dummy, wire, dummy2 in FIELDS if wire)
READ_ONLY = ('strategy_name', 'agent_selector', 'number')
_BY_OPTION = dict((option, (api, wire, codec)) for option, api, wire, codec in FIELDS)


def normalise(record):
    """An API record (GET) -> the normalised record modules return."""
    if not isinstance(record, dict):
        raise ValueError('a queue record must be a JSON object, got %s' % type(record).__name__)
    result = {}
    for option, api, dummy, codec in FIELDS:
        result[option] = codec.from_api(record.get(api))
        if option == 'strategy':
            result['strategy_name'] = strategy_name(result['strategy'])
    return result


def strategy_name(code):
    return STRATEGIES.get(code) if isinstance(code, int) else None


def desired_settings(params, where=None):
    """The settings a user asked for, validated and typed; None means "leave alone".

    ``where`` names the entry in messages (for example ``config[3]``).
    """
    desired = {}
    for option in SETTINGS:
        value = params.get(option)
        if value is None:
            continue
        label = option if where is None else '%s.%s' % (where, option)
        desired[option] = _BY_OPTION[option][2].parse(label, value)
    return desired


def queue_id(value, label='id'):
    """A queue id that may go into a URL path: a positive integer, nothing else."""
    if isinstance(value, bool):
        raise ValidationError('%s must be a positive integer; got %r' % (label, value), option=label)
    if isinstance(value, str):
        text = value.strip()
        if not text.isdigit() or not text.isascii():
            raise ValidationError('%s must be a positive integer; got %r' % (label, value), option=label)
        value = int(text)
    if not isinstance(value, int) or value <= 0:
        raise ValidationError('%s must be a positive integer; got %r' % (label, value), option=label)
    return value


def queue_name(value, label='name'):
    """A queue name to look for: a non-empty string."""
    if not isinstance(value, str) or not value.strip():
        raise ValidationError('%s must be a non-empty string; got %r' % (label, value), option=label)
    return value


def differences(current, desired):
    """The requested settings whose normalised current value differs."""
    return dict((option, value) for option, value in desired.items() if current.get(option) != value)


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
    for option, value in changes.items():
        dummy, wire, codec = _BY_OPTION[option]
        body[wire] = codec.to_wire(value)
    return body


def to_config(record):
    """A normalised record -> an entry of ``inbound_queues``' ``config``."""
    return dict((key, value) for key, value in record.items() if key not in READ_ONLY)


def label(record):
    """How a queue is named in messages and diff headers: ``queue 1001226 (test)``."""
    return 'queue %s (%s)' % (record.get('id'), record.get('name'))
