# -*- coding: utf-8 -*-
# Copyright: (c) 2026, AloHub collection maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Desired vs current -> plan -> apply -> verify: the flows the modules run.

``sync_one`` is the whole cycle for one queue (inbound_queue), ``sync_many``
for many (inbound_queues: merged, overridden, or a reviewed plan), ``render``
the offline check of a config, ``gather`` the export. Each validates its input
before any request, reads through the client, and returns the module's result
(``changed``, ``check_mode``, ``target`` and what the module documents); a
failed bulk run raises ``BulkFailure`` carrying the same shape. Nothing is
handed back up to be finished by the caller.

Every per-entry result has a ``status`` from one set (``STATUSES``), so the
role, the playbooks and the filters read what happened instead of decoding it.

Once the server accepted a PUT the result says changed, whatever fails after.
A bulk run given a backup directory writes its backup before the first PUT
(``backups.Journal``) and stops sending at a signal or when the controller
goes away (``interrupt.Interrupt``).

Imports entries, queue_model, files, backups, interrupt, text and errors; it is handed the client.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from ansible_collections.alohub.callcenter.plugins.module_utils import backups, entries, files, queue_model
from ansible_collections.alohub.callcenter.plugins.module_utils.errors import (
    AlohubError,
    AmbiguousError,
    AppliedError,
    BulkFailure,
    NotFoundError,
    RenamedError,
    StaleError,
    TargetError,
    TransportError,
    ValidationError,
    VerificationError,
)
from ansible_collections.alohub.callcenter.plugins.module_utils.interrupt import Interrupt
from ansible_collections.alohub.callcenter.plugins.module_utils.text import quoted, visible

# What a per-entry result's status says happened (the documented set, in the order summaries list them).
STATUSES = (
    'ok',             # the queue already holds what the entry (or plan item) asks
    'would_change',   # check mode: an update would be sent
    'changed',        # the server accepted the update
    'not_sent',       # the update was not sent: the run stopped first, or the plan was refused as a whole
    'missing',        # the tenant has no such queue
    'ambiguous',      # the name matches several queues (matching_ids)
    'renamed',        # the queue named by id has another name now
    'stale',          # a plan item whose queue holds neither its before nor its after values
    'unrestorable',   # a backup item that would set a setting back to null, which the API cannot do
    'unmanageable',   # overridden: settings or read-only keys differ in ways the API cannot fix
    'unmanaged',      # overridden: a queue of the tenant that config does not list
    'invalid',        # the server refused the values (HTTP 400)
    'failed',         # anything else went wrong for this queue
)
ANCHORS = 5   # queue ids a file records of its tenant (an id belongs to exactly one tenant)


class Plan:
    """What one queue needs: the settings that differ (``changes``), and the record after."""

    def __init__(self, before, changes):
        self.before = before
        self.changes = changes
        self.after = queue_model.predict(before, changes)

    @classmethod
    def towards(cls, before, desired):
        return cls(before, queue_model.differences(before, desired))

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
        """The before/after diff, for people: every string escaped (a name must not act on the terminal)."""
        header = queue_model.label(self.before)
        return dict(before=_shown(self.before), after=_shown(self.after if after is None else after),
                    before_header=header, after_header=header)

    def keys(self):
        return [key for key in queue_model.SETTINGS if key in self.changes]   # the table's order, as people read it

    def item(self):
        """The plan item: ``{id, name, before, after}`` holding only the changing settings."""
        return dict(id=self.before['id'], name=self.before['name'],
                    before=dict((key, self.before[key]) for key in self.keys()),
                    after=dict((key, self.changes[key]) for key in self.keys()))

    def setting_changes(self):
        """One ``{setting, before, after}`` per changing setting, in the table's order."""
        return [dict(setting=key, before=self.before[key], after=self.changes[key]) for key in self.keys()]


def _shown(record):
    return dict((key, visible(value) if isinstance(value, str) else value) for key, value in record.items())


def target_of(client, listing=None):
    """The API and tenant a run talks to; with a listing, also the ids of its first queues (its identity)."""
    target = dict(client.target)
    if listing is not None:
        target['tenant_queue_ids'] = sorted(queue['id'] for queue in listing.queues)[:ANCHORS]
    return target


def check_target(meta, target, present=None, what='this file'):
    """Refuse (TargetError, nothing sent) a file whose metadata names another API or tenant than ``target``.

    The tenant is told apart by ``tenant_id`` when both sides know it, and in
    any case by ``tenant_queue_ids``: queue ids of the tenant the file was made
    for, at least one of which this tenant must have (``present``: every id it
    has). A portable queues file
    (``key_by: name``) is meant for any tenant and is not checked.
    """
    if not meta or meta.get('key_by') == 'name':
        return
    theirs, ours = _describe(meta), _describe(target)
    refused = None
    if meta.get('api_url') and meta['api_url'] != target.get('api_url'):
        refused = 'another API'
    elif meta.get('tenant_id') and target.get('tenant_id') and str(meta['tenant_id']) != str(target['tenant_id']):
        refused = 'another tenant'
    elif present is not None and _ids(meta.get('tenant_queue_ids')):
        if not set(_ids(meta['tenant_queue_ids'])) & present:
            refused = 'another tenant'
    if refused:
        raise TargetError('%s was made for %s, %s, not for %s: nothing was sent. Use a file made against this tenant, '
                          'or point alohub_api_url / alohub_api_key / alohub_tenant_id at its tenant'
                          % (what, refused, theirs, ours), expected=dict((k, meta.get(k)) for k in (
                              'api_url', 'tenant_id', 'tenant_queue_ids')))


def _ids(values):
    return [value for value in values if isinstance(value, int) and not isinstance(value, bool)] if isinstance(values, list) else []


def _describe(side):
    ids = _ids(side.get('tenant_queue_ids'))
    tenant = 'tenant %s' % visible(str(side['tenant_id'])) if side.get('tenant_id') else 'the tenant of its key'
    return '%s at %s%s' % (tenant, visible(str(side.get('api_url'))),
                           ' (queues %s...)' % ', '.join(str(i) for i in ids[:3]) if ids else ' (no queues)')


# ---------------------------------------------------------------------------
# One queue (inbound_queue)
# ---------------------------------------------------------------------------

def find_by_name(queues, name):
    """The one normalised record named exactly ``name``; fails on none or several."""
    matches = [queue for queue in queues if queue['name'] == name]
    if len(matches) == 1:
        return matches[0]
    if not matches:
        raise NotFoundError('no inbound queue of this tenant is named %s' % quoted(name), name=name)
    ids = sorted(queue['id'] for queue in matches)
    raise AmbiguousError('%d inbound queues are named %s (ids %s); use id to pick one'
                         % (len(matches), quoted(name), ', '.join(str(i) for i in ids)), name=name, matching_ids=ids)


def sync_one(client, params, check_mode, want_diff=False):
    """Reconcile the queue ``params`` names (``id`` or ``name``) with the settings it gives; the module's result.

    Everything is validated before the first request; after an accepted PUT, a
    failure raises AppliedError (changed: true).
    """
    desired = queue_model.desired_settings(params)
    queue_id = None if params.get('id') is None else queue_model.queue_id(params['id'])
    name = None if params.get('name') is None else queue_model.queue_name(params['name'])
    if queue_id is None and name is None:
        raise ValidationError('one of id or name is required to name the queue')
    if not desired:
        raise ValidationError('at least one setting is required: %s' % ', '.join(queue_model.SETTINGS))
    before = find_by_name(client.list_all().queues, name) if name is not None else client.get(queue_id)
    plan = Plan.towards(before, desired)
    after = plan.after
    if plan.changed and not check_mode:
        client.update(plan.queue_id, plan.body)
        try:
            after = verify(plan, read_back(client, plan))
        except AlohubError as exc:
            raise AppliedError(queue_model.label(plan.before), exc)
    result = dict(changed=plan.changed, check_mode=check_mode, target=target_of(client), queue=after,
                  status=('would_change' if check_mode else 'changed') if plan.changed else 'ok',
                  changes=plan.setting_changes())
    if want_diff and plan.changed:
        result['diff'] = plan.diff(after)
    return result


def read_back(client, plan):
    """The queue's record right after its update (a queue gone by then fails verification)."""
    try:
        return client.get(plan.queue_id)
    except NotFoundError:
        raise VerificationError('%s disappeared right after the update' % queue_model.label(plan.before))


def verify(plan, fresh):
    """Fail when the server accepted the update but a setting did not take."""
    missed = queue_model.differences(fresh, plan.changes)
    if missed:
        detail = ', '.join('%s is %s, wanted %s' % (option, queue_model.setting_value(option, fresh.get(option)),
                                                    queue_model.setting_value(option, wanted))
                           for option, wanted in sorted(missed.items()))
        raise VerificationError('reading %s back shows the server did not apply it: %s'
                                % (queue_model.label(plan.before), detail),
                                queue_id=plan.queue_id, missed=sorted(missed))
    return fresh


# ---------------------------------------------------------------------------
# Many queues (inbound_queues)
# ---------------------------------------------------------------------------

class _Target:
    """One queue of a bulk run: where it came from (an entry or a plan item), its plan, what happened."""

    def __init__(self, where, queue_id=None, name=None, desired=None, item=None):
        self.where = where
        self.queue_id = queue_id
        self.name = name
        self.desired = desired or {}
        self.item = item            # the PlanItem, for a plan
        self.plan = None
        self.error = None
        self.after = None
        self.applied = False        # the server accepted a PUT for this queue
        self.status = None          # set when nothing else decides it (not_sent, unmanaged, unmanageable...)
        self.record = None          # the queue's current record, once resolved
        self.unrestorable = []
        self.unmanageable = False   # overridden: differs in ways the API cannot fix
        self.entry = None           # the Entry, for a config entry

    def fail(self, exc):
        self.error = exc

    def message(self):
        if self.error is None:
            return None
        text = self.error.msg
        return text if text.startswith(self.where) else '%s: %s' % (self.where, text)

    def outcome(self, check_mode):
        if self.error is not None:
            return self.error.result_status
        if self.status is not None and not self.applied:
            return self.status
        if self.plan is not None and self.plan.changed:
            return 'would_change' if check_mode else 'changed' if self.applied else 'not_sent'
        if self.unrestorable:
            return 'unrestorable'
        if self.unmanageable:
            return 'unmanageable'
        return 'ok'

    def result(self, check_mode):
        plan = self.plan
        record = self.record or {}
        status = self.outcome(check_mode)
        # Changed when the server took the update (even if reading it back then failed), or, in check mode,
        # when it would have been sent.
        changed = self.applied or status == 'would_change'
        info = self.error.info() if self.error is not None else None
        result = dict(
            entry=self.where,
            id=record.get('id', self.queue_id),
            name=record.get('name', self.name),
            status=status,
            changed=changed,
            changes=plan.setting_changes() if changed else [],
            diff=plan.diff(self.after) if changed else None,
            error=self.message(),
            error_info=info,
        )
        if self.error is not None and self.error.details.get('matching_ids'):
            result['matching_ids'] = self.error.details['matching_ids']
        if self.unrestorable:
            result['unrestorable'] = list(self.unrestorable)
        return result


def sync_many(client, state='merged', config=None, plan=None, check_mode=False, parallel=4, want_diff=False,
              source=None, source_meta=None, overlay=None, overlay_source=None, backup_dir=None, interrupt=None,
              now=files.utc_now, selection=None):
    """The bulk cycle: validate, list once, resolve (or check the plan), back up, apply, verify, summarise.

    ``state`` is merged or overridden; with ``plan`` (a list of plan items) the
    reviewed changes are applied exactly, or nothing is sent when any is stale.
    ``source`` names the file config or plan came from (messages name its
    entries), ``source_meta`` is that file's metadata (its API and tenant must
    be this run's; a plan's digest must match its items). ``selection``
    (``entries.Selection``) keeps only the entries, and with overridden the
    tenant queues, whose names it takes. Returns the module's result; raises
    BulkFailure carrying that same result when anything failed.
    """
    run = _Run(client, state, check_mode, want_diff, plan is not None)
    run.selection = selection or entries.Selection()
    try:
        if plan is not None:
            run.targets = _plan_targets(plan, source, source_meta)
        else:
            run.targets, run.excluded, dummy = _entry_targets(config, source, overlay, overlay_source, run.selection)
        _check_kind(source_meta, plan is not None)
        if not run.targets and state == 'merged':
            run.resolved = True     # nothing asked: no request at all
            return run.outcome()
        run.listing = client.list_all()
        check_target(source_meta, target_of(client, run.listing), set(run.listing.by_id()),
                     'this %s' % ('plan' if plan is not None else 'queues file'))
        try:
            if plan is not None:
                resolve_plan(run.targets, run.listing)
            else:
                resolve(run.targets, run.listing.queues)
                if state == 'overridden':
                    run.unmanageable = find_unmanageable(run.entries, run.targets, [
                        queue for queue in run.listing.queues if run.selection.takes(queue['name'])])
        except StaleError:
            run.resolved = True     # each item says whether it is stale
            raise
        run.resolved = True
        if not check_mode:
            run.apply(parallel, backup_dir, source_meta, interrupt, now)
    except AlohubError as exc:
        run.failure = exc
    return run.outcome()


def _plan_targets(plan, source, meta):
    # The digest first: a plan edited after it was made is refused as such, whatever else the edit broke.
    if meta and meta.get(entries.DIGEST_KEY) is not None:
        if meta[entries.DIGEST_KEY] != entries.plan_digest(plan, meta):
            raise ValidationError('%s was edited after it was made (its digest does not match its items and '
                                  'metadata), so nothing was sent: make a new plan and review it again'
                                  % ('the plan %s' % visible(source) if source else 'the plan'), option='plan')
    items = entries.parse_plan(plan, entries.Source('plan', source, 'item'))
    return [_Target(item.where, item.queue_id, item.name, item=item) for item in items]


def _merged(config, source, overlay, overlay_source):
    """``config`` with its overlay merged, and the Source naming its entries."""
    base = entries.Source('config', source)
    if overlay is not None:
        config = entries.merge_overlay(config, overlay, base, entries.Source('overlay', overlay_source))
    return config, base


def _entry_targets(config, source, overlay, overlay_source, selection):
    """The targets of the config entries (the overlay merged, the selection applied), the names left out, and the
    effective entries."""
    config, base = _merged(config, source, overlay, overlay_source)
    parsed = entries.parse_entries(config, base)
    taken, excluded = selection.split(config)
    kept = set(id(raw) for raw in taken or [])
    targets = []
    for entry, raw in zip(parsed, config or []):
        if id(raw) in kept:
            target = _Target(entry.where, entry.queue_id, entry.name, entry.desired)
            target.entry = entry
            targets.append(target)
    return targets, excluded, taken


def _check_kind(meta, with_plan):
    kind = (meta or {}).get('kind')
    if kind is None:
        return
    allowed = ('plan', 'backup') if with_plan else ('queues',)
    if kind not in allowed:
        raise ValidationError('the file given as %s is a %s file, not %s' % (
            'plan' if with_plan else 'config', visible(str(kind)), ' or '.join('a %s' % k for k in allowed)))


class _Run:
    """The state of one bulk run, and how it ends."""

    def __init__(self, client, state, check_mode, want_diff, with_plan):
        self.client = client
        self.state = state
        self.check_mode = check_mode
        self.want_diff = want_diff
        self.with_plan = with_plan
        self.targets = []
        self.listing = None
        self.unmanageable = []
        self.failure = None
        self.backup_file = None
        self.stopped = None
        self.resolved = False       # the entries were matched with the tenant (else no per-entry result is known)
        self.selection = None
        self.excluded = []          # the names of the entries the selection left out

    @property
    def entries(self):
        return [target.entry for target in self.targets]

    def apply(self, parallel, backup_dir, meta, interrupt, now):
        todo = [t for t in self.targets if t.plan is not None and t.plan.changed and t.error is None]
        if not todo:
            return
        journal = None
        if backup_dir:
            journal = backups.Journal(backup_dir, target_of(self.client, self.listing), _backup_meta(
                self.client, self.listing, meta, now), [backups.inverse(t.plan.item()) for t in todo], now())
        interrupt = interrupt or Interrupt()
        try:
            with interrupt.trap():
                updated = apply_many(self.client, todo, parallel, journal, interrupt)
                if interrupt.is_set():
                    self.stopped = interrupt.reason
                verify_many(self.client, updated, self.listing.pages)
        finally:
            if journal is not None:
                self.backup_file = journal.finish(self._stop_note())

    def _stop_note(self):
        if not self.stopped:
            return None
        sent = sum(1 for t in self.targets if t.applied)
        return '%s: %d update(s) accepted, %d not sent' % (self.stopped, sent, sum(
            1 for t in self.targets if t.status == 'not_sent'))

    def outcome(self):
        results = [target.result(self.check_mode) for target in self.targets] if self.resolved else []
        if self.resolved and self.state == 'overridden' and not self.with_plan and self.listing is not None:
            for item in self.unmanageable:
                if item['setting'] is None:
                    results.append(dict(entry=None, id=item['id'], name=item['name'], status='unmanaged',
                                        changed=False, changes=[], diff=None, error=None, error_info=None))
        counts = dict((status, 0) for status in STATUSES)
        for result in results:
            counts[result['status']] += 1
        entries_only = [r for r in results if r['status'] != 'unmanaged']
        failed = sum(1 for r in entries_only if r['error'])
        changed = sum(1 for r in entries_only if r['changed'])
        unchanged = sum(1 for r in entries_only if not r['changed'] and not r['error'])
        summary = dict(total=len(entries_only), changed=changed, unchanged=unchanged, failed=failed,
                       statuses=dict((k, v) for k, v in counts.items() if v))
        target = target_of(self.client, self.listing)
        result = dict(
            changed=changed > 0, check_mode=self.check_mode, target=target, results=results, summary=summary,
            plan=[t.plan.item() for t in self.targets if t.plan is not None and t.plan.changed
                  and (self.check_mode or t.applied)],
            backup_file=self.backup_file)
        if self.state == 'overridden' and not self.with_plan:
            summary['unmanageable'] = len(self.unmanageable)
            result['unmanageable'] = self.unmanageable
        if self.selection:
            result['excluded'] = list(self.excluded)
        if self.with_plan and self.targets and self.failure is None and all(r['status'] == 'ok' for r in results):
            result['already_applied'] = True
        diffs = [r['diff'] for r in results if r['diff']]
        if self.want_diff and diffs:
            result['diff'] = diffs
        problems = self._problems(results)
        result['status'] = 'failed' if problems else 'would_change' if self.check_mode and changed else \
            'changed' if changed else 'ok'
        result['msg'] = self._message(summary, problems, result)
        if problems:
            raise BulkFailure(result['msg'], result)
        return result

    def _problems(self, results):
        problems = []
        if self.failure is not None:
            problems.append(self.failure.msg)
        problems += [r['error'] for r in results if r['error'] and not (
            isinstance(self.failure, StaleError) and r['status'] == 'stale')]
        if not self.check_mode:
            problems += ['%s: %s' % (queue_model.label(item), item['reason']) for item in self.unmanageable]
            for result in results:
                if result.get('unrestorable'):
                    problems.append('%s: cannot restore %s: the API cannot clear a setting; clear %s in the AloHub UI' % (
                        queue_model.label(result), ', '.join('%s back to null' % s for s in result['unrestorable']),
                        'it' if len(result['unrestorable']) == 1 else 'them'))
            if self.stopped:
                problems.append(self._stopped_message())
        return problems

    def _stopped_message(self):
        sent = [t for t in self.targets if t.applied]
        skipped = [t for t in self.targets if t.status == 'not_sent']
        return ('stopped (%s): %d update(s) were accepted, %d not sent%s; rerun the same command to complete it, '
                'or roll back what was accepted with rollback.yml -e backup_file=%s' % (
                    self.stopped, len(sent), len(skipped),
                    '; the backup %s undoes them' % visible(self.backup_file) if self.backup_file else '',
                    visible(self.backup_file) if self.backup_file else 'latest'))

    def _message(self, summary, problems, result):
        what = 'plan items' if self.with_plan else 'queue entries'
        verb = 'would change' if self.check_mode else 'changed'
        line = '%d %s: %d %s, %d unchanged, %d failed' % (summary['total'], what, summary['changed'], verb,
                                                          summary['unchanged'], summary['failed'])
        if 'unmanageable' in summary:
            line += ', %d unmanageable' % summary['unmanageable']
        if result.get('already_applied'):
            line = 'the plan is already applied: every queue holds its "after" values, so nothing was sent (%s)' % line
        if not problems:
            return line
        shown = '; '.join(problems[:5]) + ('; ...' if len(problems) > 5 else '')
        if self.failure is not None:
            return '%s (%s)' % (shown, line) if summary['total'] else shown
        return '%s: %s' % (line, shown)


def _backup_meta(client, listing, meta, now):
    """The metadata of the backup a run writes: what it undoes, where, when."""
    operation = 'rollback' if (meta or {}).get('kind') == 'backup' else 'apply'
    backup = dict(kind='backup', format=backups.FORMAT, operation=operation, created=now().strftime('%Y-%m-%dT%H:%M:%SZ'))
    backup.update(target_of(client, listing))
    if meta:
        backup['undoes'] = dict((key, meta[key]) for key in ('kind', 'created', 'queues_file', 'digest', 'file')
                                if meta.get(key) is not None)
    return backup


def resolve(targets, queues):
    """Attach each entry to its current record, or record why it cannot be."""
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
                    raise RenamedError('%s is named %s now, not %s; names cannot be changed through the API: rename it '
                                       'back in the AloHub UI, or update the entry' % (
                                           queue_model.label(before), quoted(before['name']), quoted(target.name)))
            else:
                before = find_by_name(queues, target.name)
        except AlohubError as exc:
            target.fail(exc)
            continue
        if before['id'] in owner:
            raise ValidationError('%s and %s both resolve to %s; give each queue once'
                                  % (owner[before['id']], target.where, queue_model.label(before)))
        owner[before['id']] = target.where
        target.record = before
        target.plan = Plan.towards(before, target.desired)
        target.after = target.plan.after


def find_unmanageable(entry_list, targets, queues):
    """What overridden cannot fix in the entries: settings they leave null, read-only keys that differ."""
    found = []
    for entry, target in zip(entry_list, targets):
        if target.plan is None:
            continue
        current = target.plan.before
        for setting in queue_model.SETTINGS:
            if setting not in entry.desired and current[setting] is not None:
                found.append(_unmanageable(current, setting, '%s leaves %s unset while the queue has %s; the API cannot '
                                           'clear a setting: give the value in config, or clear it in the AloHub UI'
                                           % (entry.where, setting, queue_model.setting_value(setting, current[setting]))))
        for key, wanted in sorted(entry.read_only.items()):
            if wanted != current[key]:
                found.append(_unmanageable(current, key, '%s gives %s %s but the queue has %s; it is read-only '
                                           'through the API' % (entry.where, key, queue_model.setting_value(key, wanted),
                                                                queue_model.setting_value(key, current[key]))))
        if any(item['id'] == current['id'] for item in found):
            target.unmanageable = True
    listed = set(target.plan.queue_id for target in targets if target.plan is not None)
    for target in targets:   # a name that matches several queues does name them: they are not unmanaged
        listed.update((target.error.details.get('matching_ids') or []) if target.error is not None else [])
    for queue in sorted(queues, key=lambda q: q['id']):
        if queue['id'] not in listed and not any(t.plan is None and t.queue_id == queue['id'] for t in targets):
            found.append(_unmanageable(queue, None, 'the queue is not in config; queues cannot be created or deleted '
                                       'through the API: add it to config, or remove it in the AloHub UI'))
    return found


def _unmanageable(queue, setting, reason):
    return dict(id=queue['id'], name=queue['name'], setting=setting, reason=reason)


def apply_many(client, todo, parallel, journal=None, interrupt=None):
    """PUT the changed queues, ``parallel`` at a time; errors stay with their target.

    Before each PUT the interrupt is checked: once it is set no new PUT is sent
    (those in flight finish). Each accepted PUT is in the journal before the
    next is counted done.
    """
    def put(target):
        if interrupt is not None and interrupt.is_set():
            target.status = 'not_sent'
            return None
        try:
            client.update(target.plan.queue_id, target.plan.body)
        except AlohubError as exc:
            if journal is not None and isinstance(exc, TransportError):
                journal.uncertain_update(target.plan.queue_id)   # no answer: it may have taken
            target.fail(exc)
            return None
        target.applied = True
        if journal is not None:
            journal.accepted_update(target.plan.queue_id)
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
    fresh = {}
    if len(updated) > list_requests:
        try:
            fresh = client.list_all().by_id()
        except AlohubError as exc:
            for target in updated:
                target.fail(AppliedError(queue_model.label(target.plan.before), exc))
            return
    else:
        for target in updated:
            try:
                fresh[target.plan.queue_id] = read_back(client, target.plan)
            except AlohubError as exc:
                target.fail(AppliedError(queue_model.label(target.plan.before), exc))
    for target in updated:
        if target.error is not None:
            continue
        try:
            record = fresh.get(target.plan.queue_id)
            if record is None:
                raise VerificationError('%s disappeared right after the update' % queue_model.label(target.plan.before))
            target.after = verify(target.plan, record)
        except AlohubError as exc:
            target.fail(AppliedError(queue_model.label(target.plan.before), exc))


# ---------------------------------------------------------------------------
# Reviewed plans
# ---------------------------------------------------------------------------

def resolve_plan(targets, listing):
    """Attach each plan item to its queue, resuming where it stands; fail naming every queue that moved.

    Each setting of an item must be at its ``before`` value (still to do) or
    at its ``after`` value (already done: a retried or interrupted apply, or a
    rollback done twice); anything else makes the plan stale, and nothing is
    sent. A setting whose ``after`` is null cannot be set (the API cannot clear
    a setting): it is left out and reported as unrestorable.
    """
    by_id = listing.by_id()
    stale = []
    for target in targets:
        item = target.item
        current = by_id.get(target.queue_id)
        if current is None:
            target.fail(StaleError('queue %d no longer exists in this tenant' % target.queue_id))
            stale.append(target.error.msg)
            continue
        target.record = current
        moved, todo = [], {}
        if item.name is not None and current['name'] != item.name:
            moved.append('name is %s now, was %s when planned' % (quoted(current['name']), quoted(item.name)))
        for key in queue_model.SETTINGS:
            if key not in item.after:
                continue
            now, before, after = current[key], item.before[key], item.after[key]
            if now == after:
                continue
            if now != before:
                moved.append('%s is %s now, was %s when planned (and the plan sets %s)' % (
                    key, queue_model.setting_value(key, now), queue_model.setting_value(key, before),
                    queue_model.setting_value(key, after)))
            elif after is None:
                target.unrestorable.append(key)
            else:
                todo[key] = after
        if moved:
            target.fail(StaleError('%s: %s' % (queue_model.label(current), ', '.join(moved))))
            stale.append(target.error.msg)
            continue
        target.plan = Plan(current, todo)
        target.after = target.plan.after
    if stale:
        for target in targets:
            if target.error is None:
                target.status = 'not_sent'
        raise StaleError('the plan is stale, so nothing was sent: the tenant changed since the plan was made (%s). '
                         'Make a new plan and review it again' % '; '.join(stale), stale=stale)


# ---------------------------------------------------------------------------
# Offline and read-only flows
# ---------------------------------------------------------------------------

def render(config, source=None, overlay=None, overlay_source=None, selection=None):
    """``config`` (with its overlay, and the selection) validated as merged would, and each entry's PUT body in wire
    form, and the effective entries; no request."""
    targets, dummy, effective = _entry_targets(config, source, overlay, overlay_source, selection or entries.Selection())
    rendered = [dict(entry=t.where, id=t.queue_id, name=t.name, body=queue_model.to_wire(t.desired)) for t in targets]
    return rendered, effective


def gather(client, key_by='id', selection=None):
    """Every queue of the tenant (whose name the selection takes) as config entries, sorted by id, the tenant's
    totalRecord, the target, and the names the selection left out (each once, in id order).

    ``key_by='name'``: entries without ids, portable to another tenant; two queues with one name fail, naming them
    (unless the selection leaves that name out).
    """
    listing = client.list_all()
    queues, left = (selection or entries.Selection()).split(sorted(listing.queues, key=lambda queue: queue['id']))
    excluded = list(dict.fromkeys(left))    # each name once, in id order
    gathered = [queue_model.to_config(queue) for queue in queues]
    if key_by == 'name':
        named = {}
        for queue in queues:
            named.setdefault(queue['name'], []).append(queue['id'])
        shared = sorted((ids, name) for name, ids in named.items() if len(ids) > 1)
        if shared:
            raise ValidationError(
                'key_by=name: %d name(s) are shared by several queues of this tenant, so they cannot stand for one '
                'queue: %s; nothing was written. Rename them in the AloHub UI so that each name is unique, leave them out '
                '(exclude), or export this tenant keyed by id (key_by=id) and keep those queues in a file keyed by id' % (
                    len(shared), '; '.join('%s: queues %s' % (quoted(name), ', '.join(str(i) for i in ids))
                                           for ids, name in shared)), shared_names=[name for ids, name in shared])
        gathered = [dict((key, value) for key, value in entry.items() if key != 'id') for entry in gathered]
    return gathered, listing.total, target_of(client, listing), excluded
