# -*- coding: utf-8 -*-
# Copyright: (c) 2026, AloHub collection maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Desired vs current -> plan -> apply -> verify. Shared by the modules.

Everything here works on normalised records (see queue_model); only
``apply`` talks to the client.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from ansible_collections.alohub.callcenter.plugins.module_utils import queue_model
from ansible_collections.alohub.callcenter.plugins.module_utils.errors import (
    AlohubError,
    NotFoundError,
    ValidationError,
    VerificationError,
)


class Plan:
    """What one queue needs: the settings that differ, and the record after."""

    def __init__(self, before, desired):
        self.before = before
        self.desired = desired
        self.changes = queue_model.differences(before, desired)
        self.after = queue_model.predict(before, self.changes)

    @property
    def queue_id(self):
        return self.before['id']

    @property
    def changed(self):
        return bool(self.changes)

    @property
    def body(self):
        """The PUT body: only the differing settings, in wire form."""
        return queue_model.to_wire(self.changes)

    def diff(self, after=None):
        header = queue_model.label(self.before)
        return dict(before=self.before, after=self.after if after is None else after,
                    before_header=header, after_header=header)


def find_by_name(records, name):
    """The one normalised record named exactly ``name``; fails on none or several."""
    matches = [record for record in records if record.get('name') == name]
    if len(matches) == 1:
        return matches[0]
    if not matches:
        raise NotFoundError('no inbound queue of this tenant is named %s' % _quoted(name), name=name)
    ids = sorted(record['id'] for record in matches)
    raise NotFoundError('%d inbound queues are named %s (ids %s); use id to pick one'
                        % (len(matches), _quoted(name), ', '.join(str(i) for i in ids)), name=name, matching_ids=ids)


def _quoted(name, limit=100):
    """``repr(name)``, cut short: a 10,000-character name made a 10 KB message."""
    if len(name) <= limit:
        return repr(name)
    return '%r... (%d characters)' % (name[:limit], len(name))


def apply(client, plan, check_mode):
    """PUT the plan's changes unless nothing differs or this is a dry run."""
    if plan.changed and not check_mode:
        client.update(plan.queue_id, plan.body)


def verify(plan, fresh):
    """Fail when the server accepted the update but a setting did not take."""
    missed = queue_model.differences(fresh, plan.changes)
    if missed:
        detail = ', '.join('%s is %r, wanted %r' % (option, fresh.get(option), value)
                           for option, value in sorted(missed.items()))
        raise VerificationError('%s was updated but the server did not apply it: %s'
                                % (queue_model.label(plan.before), detail),
                                queue_id=plan.queue_id, missed=sorted(missed))
    return fresh


def sync_one(client, before, desired, check_mode):
    """Reconcile one queue read with GET; returns (plan, record after the task)."""
    plan = Plan(before, desired)
    if not plan.changed or check_mode:
        return plan, plan.after
    apply(client, plan, check_mode)
    record = client.get(plan.queue_id)
    if record is None:
        raise VerificationError('%s disappeared right after the update' % queue_model.label(plan.before),
                                queue_id=plan.queue_id)
    return plan, verify(plan, queue_model.normalise(record))


# ---------------------------------------------------------------------------
# Many queues in one task (inbound_queues)
# ---------------------------------------------------------------------------

class Entry:
    """One validated entry of ``config``: how it names its queue and what it wants."""

    def __init__(self, index, raw):
        self.where = 'config[%d]' % index
        self.queue_id = None
        self.name = None
        if raw.get('id') is not None:
            self.queue_id = queue_model.queue_id(raw['id'], '%s.id' % self.where)
        if raw.get('name') is not None:
            self.name = queue_model.queue_name(raw['name'], '%s.name' % self.where)
        if self.queue_id is None and self.name is None:
            raise ValidationError('%s needs an id or a name' % self.where, option=self.where)
        self.desired = queue_model.desired_settings(raw, self.where)
        self.plan = None
        self.error = None
        self.after = None
        self.applied = False  # the server accepted a PUT for this entry

    def describe(self):
        if self.plan is not None:
            return queue_model.label(self.plan.before)
        if self.queue_id is not None:
            return 'queue %d' % self.queue_id
        return 'queue named %r' % self.name

    def result(self):
        plan = self.plan
        record = plan.before if plan is not None else {}
        # Changed when the server took the update (even if reading it back then
        # failed), or, in check mode, when it would have been sent.
        changed = self.applied or bool(plan is not None and plan.changed and self.error is None)
        return dict(
            id=record.get('id', self.queue_id),
            name=record.get('name', self.name),
            changed=changed,
            diff=plan.diff(self.after) if changed else None,
            error=self.error,
        )


def parse_entries(config):
    """Validate every entry before anything is sent."""
    entries = [Entry(index, raw or {}) for index, raw in enumerate(config or [])]
    seen = {}
    for entry in entries:
        if entry.queue_id is not None:
            if entry.queue_id in seen:
                raise ValidationError('%s and %s both name queue %d' % (seen[entry.queue_id], entry.where, entry.queue_id))
            seen[entry.queue_id] = entry.where
    return entries


def resolve(entries, current):
    """Attach each entry to its current record, or record why it cannot be."""
    by_id = dict((record['id'], record) for record in current)
    owner = {}
    for entry in entries:
        try:
            if entry.queue_id is not None:
                before = by_id.get(entry.queue_id)
                if before is None:
                    raise NotFoundError('queue %d was not found for this tenant (queues of other tenants are reported as not found)'
                                        % entry.queue_id)
                if entry.name is not None and entry.name != before['name']:
                    raise ValidationError('%s is named %r, not %r; names cannot be changed through the API'
                                          % (queue_model.label(before), before['name'], entry.name))
            else:
                before = find_by_name(current, entry.name)
        except AlohubError as exc:
            entry.error = '%s: %s' % (entry.where, exc.msg)
            continue
        if before['id'] in owner:
            raise ValidationError('%s and %s both resolve to %s; give each queue once'
                                  % (owner[before['id']], entry.where, queue_model.label(before)))
        owner[before['id']] = entry.where
        entry.plan = Plan(before, entry.desired)
        entry.after = entry.plan.after


def apply_many(client, entries, check_mode, parallel):
    """PUT the changed queues, ``parallel`` at a time; errors stay with their entry."""
    todo = [entry for entry in entries if entry.plan is not None and entry.plan.changed]
    if check_mode or not todo:
        return []

    def put(entry):
        try:
            apply(client, entry.plan, check_mode)
        except AlohubError as exc:
            entry.error = exc.msg
            return None
        entry.applied = True
        return entry

    if parallel <= 1 or len(todo) == 1:
        done = [put(entry) for entry in todo]
    else:
        with ThreadPoolExecutor(max_workers=min(parallel, len(todo))) as pool:
            done = list(pool.map(put, todo))
    return [entry for entry in done if entry is not None]


def verify_many(client, updated, list_requests):
    """Read back what was updated: one GET each, or the whole list when that is fewer requests."""
    if not updated:
        return
    unread = 'the update was sent, but reading it back failed: %s'
    if len(updated) > list_requests:
        try:
            records, dummy = client.list_all()
        except AlohubError as exc:
            for entry in updated:
                entry.error = unread % exc.msg
            return
        fresh = dict((record['id'], record) for record in (queue_model.normalise(r) for r in records))
    else:
        fresh = {}
        for entry in updated:
            try:
                record = client.get(entry.plan.queue_id)
            except AlohubError as exc:
                entry.error = unread % exc.msg
                continue
            if record is not None:
                fresh[entry.plan.queue_id] = queue_model.normalise(record)
    for entry in updated:
        if entry.error is not None:
            continue
        record = fresh.get(entry.plan.queue_id)
        try:
            if record is None:
                raise VerificationError('%s disappeared right after the update' % queue_model.label(entry.plan.before))
            entry.after = verify(entry.plan, record)
        except AlohubError as exc:
            entry.error = exc.msg


def summarise(entries):
    results = [entry.result() for entry in entries]
    failed = sum(1 for r in results if r['error'])
    changed = sum(1 for r in results if r['changed'])
    unchanged = sum(1 for r in results if not r['changed'] and not r['error'])
    summary = dict(total=len(results), changed=changed, unchanged=unchanged, failed=failed)
    return results, summary
