# -*- coding: utf-8 -*-
# Copyright: (c) 2026, AloHub collection maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""What users give, validated before anything is sent: config entries, overlays and plan items.

A config entry (one queue of a queues file, or of ``inbound_queues``'
``config``) names a queue by id or name and gives the settings wanted. An
overlay is a second list of entries merged over the first by name (or id), the
overlay winning per setting. A plan item (one queue of a reviewed plan, or of
a backup) gives the settings that change, before and after.

Entries are named in messages the way the user wrote them: ``config[2]`` for
the module option, ``queues.yml entry 3 (sales)`` when the playbooks say which
file they read (``source``).

Imports queue_model, text and errors.
"""

from __future__ import annotations

import fnmatch
import hashlib
import json

from ansible_collections.alohub.callcenter.plugins.module_utils import queue_model
from ansible_collections.alohub.callcenter.plugins.module_utils.errors import ValidationError
from ansible_collections.alohub.callcenter.plugins.module_utils.text import value as shown_value, visible


READ_ONLY_KEYS = ('agent_selector', 'number')
PLAN_KEYS = ('id', 'name', 'before', 'after')


class Source:
    """Names the entries of one list: ``config[2]`` (the module option) or ``queues.yml entry 3 (sales)`` (a file)."""

    def __init__(self, option, path=None, noun='entry'):
        self.option = option
        self.path = path
        self.noun = noun

    def where(self, index, raw):
        if self.path is None:
            return '%s[%d]' % (self.option, index)
        if isinstance(raw, dict) and isinstance(raw.get('name'), str):
            return '%s %s %d (%s)' % (visible(self.path), self.noun, index + 1, visible(raw['name']))
        if isinstance(raw, dict) and raw.get('id') is not None:
            return '%s %s %d (id %s)' % (visible(self.path), self.noun, index + 1, shown_value(raw['id']))
        return '%s %s %d' % (visible(self.path), self.noun, index + 1)

    def field(self, where, key):
        return '%s.%s' % (where, key) if self.path is None else '%s: %s' % (where, key)


class Entry:
    """One validated entry: which queue (``queue_id`` or ``name``), and the settings wanted of it.

    ``read_only`` holds the read-only keys the entry gives (``agent_selector``,
    ``number``), which only ``state=overridden`` compares.
    """

    def __init__(self, where, raw, source):
        self.where = where
        if not isinstance(raw, dict):
            raise ValidationError('%s must be a mapping (a queue entry); got %s' % (where, _json_type(raw)), option=where)
        unknown = sorted(visible(str(key)) for key in raw if key not in queue_model.ENTRY_KEYS)
        if unknown:
            raise ValidationError('%s has unsupported keys %s; supported: %s' % (where, ', '.join(unknown),
                                                                                 ', '.join(queue_model.ENTRY_KEYS)), option=where)

        def label(key):
            return source.field(where, key)

        self.queue_id = None if raw.get('id') is None else queue_model.queue_id(raw['id'], label('id'))
        self.name = None if raw.get('name') is None else queue_model.queue_name(raw['name'], label('name'))
        if self.queue_id is None and self.name is None:
            raise ValidationError('%s needs an id or a name' % where, option=where)
        self.desired = queue_model.desired_settings(raw, label)
        self._strategy_name(raw.get('strategy_name'), label)
        self.read_only = dict((key, raw[key]) for key in READ_ONLY_KEYS if raw.get(key) is not None)

    def _strategy_name(self, given, label):
        """strategy_name is a synonym of strategy; both given must agree."""
        if given is None:
            return
        code = queue_model.parse_strategy(label('strategy_name'), given)
        if 'strategy' not in self.desired:
            self.desired['strategy'] = code
        elif self.desired['strategy'] != code:
            raise ValidationError('%s is %s but %s is %s; they must agree: edit one and remove or match the other' % (
                label('strategy_name'), shown_value(given), label('strategy'),
                queue_model.setting_value('strategy', self.desired['strategy'])), option=label('strategy_name'))


def parse_entries(config, source=None):
    """Every entry of ``config`` validated, before anything is sent.

    Two entries for one queue are an error: the same id twice, or the same name
    twice when one of the two has no id (it names the queue by that name, so
    both would resolve to the same queue).
    """
    source = source or Source('config')
    if config is None:
        return []
    if not isinstance(config, list):
        raise ValidationError('%s must be a list of queue entries; got %s' % (source.path or source.option,
                                                                              _json_type(config)), option='config')
    entries = [Entry(source.where(index, raw), raw, source) for index, raw in enumerate(config)]
    by_id, by_name = {}, {}
    for entry in entries:
        if entry.queue_id is not None:
            if entry.queue_id in by_id:
                raise ValidationError('%s and %s both name queue %d; give each queue once'
                                      % (by_id[entry.queue_id], entry.where, entry.queue_id), option='config')
            by_id[entry.queue_id] = entry.where
        if entry.name is not None:
            by_name.setdefault(entry.name, []).append(entry)
    for name, named in by_name.items():
        if len(named) > 1 and any(entry.queue_id is None for entry in named):
            raise ValidationError('%s both name the queue %s (an entry without an id names its queue by name, so both '
                                  'would change the same queue); give each queue once'
                                  % (' and '.join(entry.where for entry in named), queue_model.quoted(name)), option='config')
    return entries


def merge_overlay(config, overlay, source=None, overlay_source=None):
    """``config`` with ``overlay`` merged over it: entries matched by id (when the overlay entry has one) or by
    name, the overlay's settings winning one by one. An overlay entry that matches no entry, or more than one, is an
    error naming both files' entries. Both lists are validated first, as ``parse_entries`` does.
    """
    source = source or Source('config')
    overlay_source = overlay_source or Source('overlay')
    parse_entries(config, source)
    layered = parse_entries(overlay, overlay_source)
    merged = [dict(raw) for raw in config or []]
    for index, entry in enumerate(layered):
        matches = [n for n, raw in enumerate(config or [])
                   if (entry.queue_id is not None and _given_id(raw) == entry.queue_id)
                   or (entry.queue_id is None and raw.get('name') == entry.name)]
        if not matches:
            raise ValidationError('%s matches no entry of %s: an overlay changes the settings of entries the base file '
                                  'has (by %s); add the queue to the base file, or fix the overlay entry'
                                  % (entry.where, source.path or source.option,
                                     'id %d' % entry.queue_id if entry.queue_id is not None else
                                     'name %s' % queue_model.quoted(entry.name)), option='overlay')
        if len(matches) > 1:
            raise ValidationError('%s matches %d entries of %s (%s); give the overlay entry an id'
                                  % (entry.where, len(matches), source.path or source.option,
                                     ', '.join(source.where(n, config[n]) for n in matches)), option='overlay')
        raw = overlay[index]
        target = merged[matches[0]]
        for key, item in raw.items():
            if key in ('id', 'name') or item is None:
                continue
            target[key] = item
            if key == 'strategy':
                target.pop('strategy_name', None)   # the overlay's strategy wins over the base's synonym
    return merged


class Selection:
    """Which queues a run is about, by name: ``include`` patterns (none: every name) less ``exclude`` patterns.

    Patterns are shell-style (``sales*``, ``hn-?``, ``[!x]*``), matched against the whole name, case-sensitive,
    as queue names are.
    """

    def __init__(self, include=None, exclude=None):
        self.include = list(include or [])
        self.exclude = list(exclude or [])
        for pattern in self.include + self.exclude:
            if not isinstance(pattern, str) or not pattern:
                raise ValidationError('include and exclude take name patterns (non-empty strings); got %s'
                                      % shown_value(pattern), option='exclude')

    def __bool__(self):
        return bool(self.include or self.exclude)

    def takes(self, name):
        """Whether a queue of this name is in the run (a queue without a name is, unless there are include patterns)."""
        if not isinstance(name, str):
            return not self.include
        if self.include and not any(fnmatch.fnmatchcase(name, pattern) for pattern in self.include):
            return False
        return not any(fnmatch.fnmatchcase(name, pattern) for pattern in self.exclude)

    def split(self, config):
        """(the entries taken, the names of those left out): an entry is matched by its ``name``."""
        if not self or not isinstance(config, list):
            return config, []
        taken, left = [], []
        for raw in config:
            name = raw.get('name') if isinstance(raw, dict) else None
            if self.takes(name):
                taken.append(raw)
            else:
                left.append(name)
        return taken, left


def _given_id(raw):
    try:
        return queue_model.queue_id(raw.get('id')) if raw.get('id') is not None else None
    except ValidationError:
        return None


class PlanItem:
    """One validated plan item: the queue (by id), and each changing setting's value before and after.

    ``after`` may hold None for a setting: a backup of a change that set a
    setting that was null before. The API cannot clear a setting, so such a
    setting is unrestorable (reported, never sent).
    """

    def __init__(self, where, item, source):
        self.where = where
        if not isinstance(item, dict):
            raise ValidationError('%s must be a mapping {id, name, before, after}' % where, option='plan')
        unknown = sorted(visible(str(key)) for key in item if key not in PLAN_KEYS)
        if unknown:
            raise ValidationError('%s has unsupported keys %s; supported: %s' % (where, ', '.join(unknown),
                                                                                 ', '.join(PLAN_KEYS)), option='plan')
        if item.get('id') is None:
            raise ValidationError('%s needs the id of its queue' % where, option='plan')
        self.queue_id = queue_model.queue_id(item['id'], source.field(where, 'id'))
        self.name = None if item.get('name') is None else queue_model.queue_name(item['name'], source.field(where, 'name'))
        before, after = item.get('before') or {}, item.get('after') or {}
        for part, values in (('before', before), ('after', after)):
            if not isinstance(values, dict):
                raise ValidationError('%s must be a mapping of settings' % source.field(where, part), option='plan')
            unknown = sorted(visible(str(key)) for key in values if key not in queue_model.SETTINGS)
            if unknown:
                raise ValidationError('%s has unsupported settings %s; settings: %s' % (
                    source.field(where, part), ', '.join(unknown), ', '.join(queue_model.SETTINGS)), option='plan')
        if set(before) != set(after):
            raise ValidationError('%s: before and after must name the same settings (before: %s; after: %s)' % (
                where, ', '.join(sorted(before)) or 'none', ', '.join(sorted(after)) or 'none'), option='plan')
        self.before = self._settings(before, source.field(where, 'before'))
        self.after = self._settings(after, source.field(where, 'after'))

    @staticmethod
    def _settings(values, label):
        """Normalised settings, null kept as null."""
        given = dict((key, item) for key, item in values.items() if item is not None)
        typed = queue_model.desired_settings(given, lambda key: '%s.%s' % (label, key))
        return dict((key, typed.get(key)) for key in values)

    def unrestorable(self):
        """The settings this item would set back to null, which the API cannot do."""
        return [key for key in queue_model.SETTINGS if key in self.after and self.after[key] is None]


def parse_plan(items, source=None):
    """Plan items validated before any request: a list of PlanItem, each queue once."""
    source = source or Source('plan', noun='item')
    if not isinstance(items, list):
        raise ValidationError('plan must be a list of plan items ({id, name, before, after}); got %s'
                              % _json_type(items), option='plan')
    parsed, seen = [], {}
    for index, item in enumerate(items):
        plan_item = PlanItem(source.where(index, item), item, source)
        if plan_item.queue_id in seen:
            raise ValidationError('%s and %s both name queue %d' % (seen[plan_item.queue_id], plan_item.where,
                                                                    plan_item.queue_id), option='plan')
        seen[plan_item.queue_id] = plan_item.where
        parsed.append(plan_item)
    return parsed


DIGEST_KEY = 'digest'


def plan_digest(items, meta):
    """The digest that binds a plan's (or backup's) items to its metadata: ``sha256:<hex>``.

    Computed over the canonical JSON of both (sorted keys, no white space, ASCII
    escapes), the metadata without its own ``digest``; applying a plan whose
    digest does not match refuses it, since it was edited after it was made.
    """
    meta = dict((key, item) for key, item in (meta or {}).items() if key != DIGEST_KEY)
    text = json.dumps(dict(items=items, meta=meta), sort_keys=True, separators=(',', ':'), ensure_ascii=True)
    return 'sha256:' + hashlib.sha256(text.encode('ascii')).hexdigest()


def _json_type(item):
    return {dict: 'a mapping', list: 'a list', str: 'a string', bool: 'a boolean', type(None): 'null'}.get(
        type(item), 'a number')
