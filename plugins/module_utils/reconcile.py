# -*- coding: utf-8 -*-
# Copyright: (c) 2026, AloHub collection maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Desired vs current -> plan -> apply -> verify: the flows the modules run.

``sync_one`` is the whole cycle for one queue (inbound_queue), ``sync_many``
for many (inbound_queues: merged, overridden, or a reviewed plan), ``render``
the offline check of a config, ``gather`` the export. Each validates its input
before any request, reads through the client, and returns what the module
returns; nothing is handed back up to be finished by the caller.

Once the server accepted a PUT the result says changed, whatever fails after.

Imports queue_model, client (its paths) and errors; it is handed the client.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from ansible_collections.alohub.callcenter.plugins.module_utils import queue_model
from ansible_collections.alohub.callcenter.plugins.module_utils.client import queue_path
from ansible_collections.alohub.callcenter.plugins.module_utils.errors import (
    AlohubError,
    AppliedError,
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

    def item(self):
        """The plan item: ``{id, name, before, after}`` holding only the changing settings."""
        keys = [key for key in queue_model.SETTINGS if key in self.changes]  # the table's order, as people read it
        return dict(id=self.before['id'], name=self.before['name'],
                    before=dict((key, self.before[key]) for key in keys),
                    after=dict((key, self.changes[key]) for key in keys))

    def setting_changes(self):
        """One ``{setting, before, after}`` per changing setting, in the table's order."""
        return [dict(setting=key, before=self.before[key], after=self.changes[key])
                for key in queue_model.SETTINGS if key in self.changes]


# ---------------------------------------------------------------------------
# One queue (inbound_queue)
# ---------------------------------------------------------------------------

def find_by_name(queues, name):
    """The one normalised record named exactly ``name``; fails on none or several."""
    matches = [queue for queue in queues if queue['name'] == name]
    if len(matches) == 1:
        return matches[0]
    if not matches:
        raise NotFoundError('no inbound queue of this tenant is named %s' % queue_model.quoted(name), name=name)
    ids = sorted(queue['id'] for queue in matches)
    raise NotFoundError('%d inbound queues are named %s (ids %s); use id to pick one'
                        % (len(matches), queue_model.quoted(name), ', '.join(str(i) for i in ids)),
                        name=name, matching_ids=ids)


def find_queue(client, queue_id=None, name=None):
    """The normalised record of the queue named by id (one GET) or by exact name (the list)."""
    if name is not None:
        return find_by_name(client.list_all().queues, name)
    record = client.get(queue_id)
    if record is None:
        path = queue_path(queue_id)
        url = client.transport.shown(path)
        raise NotFoundError('inbound queue %d was not found for this tenant: GET %s answered HTTP 404 NOT_FOUND. '
                            'Hint: check the id; queues of other tenants are reported as not found' % (queue_id, url),
                            status=404, error_code='NOT_FOUND', method='GET', path=path, url=url)
    return record


def sync_one(client, params, check_mode):
    """Reconcile the queue ``params`` names (``id`` or ``name``) with the settings it gives.

    Returns ``(plan, record after the task)``. Everything is validated before
    the first request; after an accepted PUT, a failure raises AppliedError
    (changed: true).
    """
    desired = queue_model.desired_settings(params)
    queue_id = None if params.get('id') is None else queue_model.queue_id(params['id'])
    name = None if params.get('name') is None else queue_model.queue_name(params['name'])
    if queue_id is None and name is None:
        raise ValidationError('one of id or name is required to name the queue')
    if not desired:
        raise ValidationError('at least one setting is required: %s' % ', '.join(queue_model.SETTINGS))
    plan = Plan(find_queue(client, queue_id, name), desired)
    if not plan.changed or check_mode:
        return plan, plan.after
    client.update(plan.queue_id, plan.body)
    label = queue_model.label(plan.before)
    try:
        fresh = client.get(plan.queue_id)
        if fresh is None:
            raise VerificationError('%s disappeared right after the update' % label, queue_id=plan.queue_id)
        return plan, verify(plan, fresh)
    except AlohubError as exc:
        raise AppliedError(label, exc)


def verify(plan, fresh):
    """Fail when the server accepted the update but a setting did not take."""
    missed = queue_model.differences(fresh, plan.changes)
    if missed:
        detail = ', '.join('%s is %r, wanted %r' % (option, fresh.get(option), value)
                           for option, value in sorted(missed.items()))
        raise VerificationError('reading %s back shows the server did not apply it: %s'
                                % (queue_model.label(plan.before), detail),
                                queue_id=plan.queue_id, missed=sorted(missed))
    return fresh


# ---------------------------------------------------------------------------
# Many queues (inbound_queues)
# ---------------------------------------------------------------------------

class _Target:
    """One queue of a bulk run: where it came from (an entry or a plan item), its plan, its outcome."""

    def __init__(self, where, queue_id=None, name=None, desired=None):
        self.where = where
        self.queue_id = queue_id
        self.name = name
        self.desired = desired or {}
        self.plan = None
        self.error = None
        self.after = None
        self.applied = False  # the server accepted a PUT for this queue

    def fail(self, exc):
        self.error = exc

    def message(self):
        if self.error is None:
            return None
        text = self.error.msg
        return '%s: %s' % (self.where, text) if not text.startswith(self.where) else text

    def result(self, check_mode):
        plan = self.plan
        record = plan.before if plan is not None else {}
        # Changed when the server took the update (even if reading it back then
        # failed), or, in check mode, when it would have been sent.
        changed = self.applied or bool(check_mode and plan is not None and plan.changed and self.error is None)
        return dict(
            id=record.get('id', self.queue_id),
            name=record.get('name', self.name),
            changed=changed,
            changes=plan.setting_changes() if changed else [],
            diff=plan.diff(self.after) if changed else None,
            error=self.message(),
            error_info=self.error.info() if self.error is not None else None,
        )


class BulkFailure(AlohubError):
    """Some queues failed, or overridden found drift the API cannot fix; carries the full result."""

    def __init__(self, result, problems, check_mode):
        summary = result['summary']
        shown = '; '.join(problems[:5]) + ('; ...' if len(problems) > 5 else '')
        verb = 'would change' if check_mode else 'changed'
        text = '%d of %d queue entries failed' % (summary['failed'], summary['total']) if summary['failed'] else \
            '%d setting(s) or queue(s) differ in ways the API cannot fix' % summary['unmanageable']
        super().__init__('%s (%d %s, %d unchanged%s): %s' % (
            text, summary['changed'], verb, summary['unchanged'],
            ', %d unmanageable' % summary['unmanageable'] if 'unmanageable' in summary else '', shown), **result)


def sync_many(client, state='merged', config=None, plan=None, check_mode=False, parallel=4, want_diff=False):
    """The bulk cycle: validate, list once, resolve, (check the plan,) apply, verify, summarise.

    ``state`` is merged or overridden; with ``plan`` (a list of plan items) the
    reviewed changes are applied exactly, or nothing is sent when any is stale.
    Returns the module's result; raises BulkFailure (carrying that result) when
    an entry failed, or when overridden found unmanageable drift in a real run.
    """
    if plan is not None:
        targets = parse_plan(plan)
        if not targets:
            return _outcome([], [], check_mode, state, True, want_diff)
        listing = client.list_all()
        resolve_plan(targets, listing)
        unmanageable = []
    else:
        entries = queue_model.parse_entries(config)
        targets = [_Target(entry.where, entry.queue_id, entry.name, entry.desired) for entry in entries]
        listing = client.list_all()
        resolve(targets, listing.queues)
        unmanageable = find_unmanageable(entries, targets, listing.queues) if state == 'overridden' else []
    if not check_mode:
        updated = apply_many(client, targets, parallel)
        try:
            verify_many(client, updated, listing.pages)
        except Exception as exc:  # pylint: disable=broad-except
            # Whatever went wrong, the PUTs happened: keep every result and say so.
            for target in updated:
                if target.error is None:
                    target.fail(exc if isinstance(exc, AlohubError) else AlohubError(
                        'verifying the update failed unexpectedly: %s: %s' % (type(exc).__name__, exc)))
    return _outcome(targets, unmanageable, check_mode, state, plan is not None, want_diff)


def _outcome(targets, unmanageable, check_mode, state, plan_given, want_diff):
    results = [target.result(check_mode) for target in targets]
    failed = sum(1 for r in results if r['error'])
    changed = sum(1 for r in results if r['changed'])
    unchanged = sum(1 for r in results if not r['changed'] and not r['error'])
    summary = dict(total=len(results), changed=changed, unchanged=unchanged, failed=failed)
    result = dict(changed=changed > 0, results=results, summary=summary,
                  plan=[target.plan.item() for target in targets
                        if target.plan is not None and target.plan.changed and (check_mode or target.error is None
                                                                                or target.applied)])
    if state == 'overridden' and not plan_given:
        summary['unmanageable'] = len(unmanageable)
        result['unmanageable'] = unmanageable
    diffs = [r['diff'] for r in results if r['diff']]
    if want_diff and diffs:
        result['diff'] = diffs
    problems = [r['error'] for r in results if r['error']]
    if not check_mode and unmanageable:
        problems += ['%s: %s' % (queue_model.label(item), item['reason']) for item in unmanageable]
    if problems:
        raise BulkFailure(result, problems, check_mode)
    return result


def resolve(targets, queues):
    """Attach each target to its current record, or record why it cannot be."""
    by_id = dict((queue['id'], queue) for queue in queues)
    owner = {}
    for target in targets:
        try:
            if target.queue_id is not None:
                before = by_id.get(target.queue_id)
                if before is None:
                    raise NotFoundError('queue %d was not found for this tenant (queues of other tenants are reported '
                                        'as not found)' % target.queue_id, status=404, error_code='NOT_FOUND')
                if target.name is not None and target.name != before['name']:
                    raise ValidationError('%s is named %s, not %s; names cannot be changed through the API'
                                          % (queue_model.label(before), queue_model.quoted(before['name']),
                                             queue_model.quoted(target.name)))
            else:
                before = find_by_name(queues, target.name)
        except AlohubError as exc:
            target.fail(exc)
            continue
        if before['id'] in owner:
            raise ValidationError('%s and %s both resolve to %s; give each queue once'
                                  % (owner[before['id']], target.where, queue_model.label(before)))
        owner[before['id']] = target.where
        target.plan = Plan(before, target.desired)
        target.after = target.plan.after


def find_unmanageable(entries, targets, queues):
    """What overridden cannot fix: queues config leaves out, settings it leaves null, read-only keys that differ."""
    listed = set(target.plan.queue_id for target in targets if target.plan is not None)
    found = []
    for entry, target in zip(entries, targets):
        if target.plan is None:
            continue
        current = target.plan.before
        for setting in queue_model.SETTINGS:
            if setting not in entry.desired and current[setting] is not None:
                found.append(_unmanageable(current, setting, '%s leaves %s unset while the queue has %s; the API cannot '
                                           'clear a setting: give the value in config, or clear it in the AloHub UI'
                                           % (entry.where, setting, _value(setting, current[setting]))))
        for key, value in sorted(entry.read_only.items()):
            if value != current[key]:
                found.append(_unmanageable(current, key, '%s gives %s %r but the queue has %r; it is read-only '
                                           'through the API' % (entry.where, key, value, current[key])))
    for queue in queues:
        if queue['id'] not in listed and not any(t.plan is None and t.queue_id == queue['id'] for t in targets):
            found.append(_unmanageable(queue, None, 'the queue is not in config; queues cannot be created or deleted '
                                       'through the API: add it to config, or remove it in the AloHub UI'))
    return found


def _unmanageable(queue, setting, reason):
    return dict(id=queue['id'], name=queue['name'], setting=setting, reason=reason)


def _value(setting, value):
    if setting == 'strategy' and queue_model.strategy_name(value):
        return '%r (%s)' % (value, queue_model.strategy_name(value))
    return repr(value)


def apply_many(client, targets, parallel):
    """PUT the changed queues, ``parallel`` at a time; errors stay with their target."""
    todo = [target for target in targets if target.plan is not None and target.plan.changed and target.error is None]

    def put(target):
        try:
            client.update(target.plan.queue_id, target.plan.body)
        except AlohubError as exc:
            target.fail(exc)
            return None
        target.applied = True
        return target

    if parallel <= 1 or len(todo) <= 1:
        done = [put(target) for target in todo]
    else:
        with ThreadPoolExecutor(max_workers=min(parallel, len(todo))) as pool:
            done = list(pool.map(put, todo))
    return [target for target in done if target is not None]


def verify_many(client, updated, list_requests):
    """Read back what was updated: one GET each, or the whole list when that is fewer requests."""
    if not updated:
        return
    if len(updated) > list_requests:
        try:
            fresh = client.list_all().by_id()
        except AlohubError as exc:
            for target in updated:
                target.fail(AppliedError(queue_model.label(target.plan.before), exc))
            return
    else:
        fresh = {}
        for target in updated:
            try:
                record = client.get(target.plan.queue_id)
            except AlohubError as exc:
                target.fail(AppliedError(queue_model.label(target.plan.before), exc))
                continue
            if record is not None:
                fresh[target.plan.queue_id] = record
    for target in updated:
        if target.error is not None:
            continue
        record = fresh.get(target.plan.queue_id)
        try:
            if record is None:
                raise VerificationError('%s disappeared right after the update' % queue_model.label(target.plan.before))
            target.after = verify(target.plan, record)
        except AlohubError as exc:
            target.fail(AppliedError(queue_model.label(target.plan.before), exc))


# ---------------------------------------------------------------------------
# Reviewed plans
# ---------------------------------------------------------------------------

PLAN_KEYS = ('id', 'name', 'before', 'after')


def parse_plan(plan):
    """Plan items -> targets, validated before any request; a null ``after`` cannot be applied."""
    if not isinstance(plan, list):
        raise ValidationError('plan must be a list of plan items ({id, name, before, after}); got %s'
                              % type(plan).__name__, option='plan')
    targets, seen, unclearable = [], {}, []
    for index, item in enumerate(plan):
        where = 'plan[%d]' % index
        if not isinstance(item, dict):
            raise ValidationError('%s must be a dict {id, name, before, after}' % where, option='plan')
        unknown = sorted(str(key) for key in item if key not in PLAN_KEYS)
        if unknown:
            raise ValidationError('%s has unsupported keys %s; supported: %s' % (where, ', '.join(unknown),
                                                                                 ', '.join(PLAN_KEYS)), option='plan')
        if item.get('id') is None:
            raise ValidationError('%s needs the id of its queue' % where, option='plan')
        queue_id = queue_model.queue_id(item['id'], '%s.id' % where)
        if queue_id in seen:
            raise ValidationError('%s and %s both name queue %d' % (seen[queue_id], where, queue_id), option='plan')
        seen[queue_id] = where
        name = None if item.get('name') is None else queue_model.queue_name(item['name'], '%s.name' % where)
        before, after = item.get('before') or {}, item.get('after') or {}
        for part, values in (('before', before), ('after', after)):
            if not isinstance(values, dict):
                raise ValidationError('%s.%s must be a dict of settings' % (where, part), option='plan')
            unknown = sorted(str(key) for key in values if key not in queue_model.SETTINGS)
            if unknown:
                raise ValidationError('%s.%s has unsupported settings %s; settings: %s' % (
                    where, part, ', '.join(unknown), ', '.join(queue_model.SETTINGS)), option='plan')
        if set(before) != set(after):
            raise ValidationError('%s: before and after must name the same settings (before: %s; after: %s)' % (
                where, ', '.join(sorted(before)) or 'none', ', '.join(sorted(after)) or 'none'), option='plan')
        nulls = sorted(key for key, value in after.items() if value is None)
        if nulls:
            unclearable.append('%s (queue %d%s): %s' % (where, queue_id, ' (%s)' % name if name else '',
                                                        ', '.join('%s back to null (it is %r)' % (key, before.get(key))
                                                                  for key in nulls)))
            continue
        target = _Target(where, queue_id, name, queue_model.desired_settings(after, '%s.after' % where))
        target.expected = dict((key, _planned_before(where, key, before[key])) for key in before)
        targets.append(target)
    if unclearable:
        raise ValidationError('the plan sets settings back to null, which the API cannot do (it cannot clear a '
                              'setting), so nothing was sent: %s. Set those settings by hand in the AloHub UI, or '
                              'edit the plan to give them a value' % '; '.join(unclearable), option='plan')
    return targets


def _planned_before(where, key, value):
    """A plan's ``before`` value, in normalised form (null stays null)."""
    if value is None:
        return None
    return queue_model.desired_settings({key: value}, '%s.before' % where)[key]


class StaleError(AlohubError):
    """The tenant changed since the plan was made: nothing was sent."""


def resolve_plan(targets, listing):
    """Attach each plan item to its queue, or fail naming every queue that moved since the plan."""
    by_id = listing.by_id()
    stale = []
    for target in targets:
        current = by_id.get(target.queue_id)
        if current is None:
            stale.append('queue %d no longer exists' % target.queue_id)
            continue
        moved = ['%s is %r now, was %r when planned' % (key, current[key], value)
                 for key, value in sorted(target.expected.items()) if current[key] != value]
        if target.name is not None and current['name'] != target.name:
            moved.insert(0, 'name is %s now, was %s when planned' % (queue_model.quoted(current['name']),
                                                                     queue_model.quoted(target.name)))
        if moved:
            stale.append('%s: %s' % (queue_model.label(current), ', '.join(moved)))
            continue
        target.plan = Plan(current, target.desired)
        target.after = target.plan.after
    if stale:
        raise StaleError('the plan is stale, so nothing was sent: the tenant changed since the plan was made (%s). '
                         'Make a new plan and review it again' % '; '.join(stale), stale=stale)


# ---------------------------------------------------------------------------
# Offline and read-only flows
# ---------------------------------------------------------------------------

def render(config):
    """``config`` validated as merged would, and each entry's PUT body in wire form; no request."""
    return [dict(id=entry.queue_id, name=entry.name, body=queue_model.to_wire(entry.desired))
            for entry in queue_model.parse_entries(config)]


def gather(client):
    """Every queue of the tenant as config entries, sorted by id, and the tenant's totalRecord."""
    listing = client.list_all()
    queues = sorted(listing.queues, key=lambda queue: queue['id'])
    return [queue_model.to_config(queue) for queue in queues], listing.total
