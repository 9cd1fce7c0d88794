# -*- coding: utf-8 -*-
# Copyright: (c) 2026, AloHub collection maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""What people and CI read of a run: plan lines, result lines, the drift report and its JUnit XML.

Everything here formats what the modules returned (their ``status`` per
entry, their ``plan``, their ``unmanageable`` list); nothing recomputes a
difference or decides what happened. Every string from the API or a file is
shown with control characters escaped (``text.visible``), and the JUnit XML
holds only characters XML allows.

Imports queue_model, text and files.
"""

from __future__ import annotations

import json
import os
import re
from xml.etree import ElementTree

from ansible_collections.alohub.callcenter.plugins.module_utils import queue_model
from ansible_collections.alohub.callcenter.plugins.module_utils.files import JUNIT_MARK
from ansible_collections.alohub.callcenter.plugins.module_utils.text import visible

IRREVERSIBLE = 'cannot be undone through the API: it cannot clear a setting'

# How each per-entry status of inbound_queues reads in a drift report.
DRIFT_STATUS = dict(ok='ok', would_change='drift', changed='drift', unmanageable='drift', missing='missing',
                    ambiguous='ambiguous', renamed='renamed', unmanaged='unmanaged')
DRIFTED = ('drift', 'missing', 'ambiguous', 'renamed', 'unmanaged')


def _label(item):
    return queue_model.label(dict(id=item.get('id'), name=item.get('name')))


def plan_lines(plan, verb=None):
    """One line per queue and setting of a plan: ``queue 1001226 (test): strategy 1 (normal) -> 2 (vip)``.

    A setting that was null before cannot be set back to null: its line says so.
    """
    lines = []
    prefix = '%s: ' % verb if verb else ''
    for item in plan or []:
        before, after = item.get('before') or {}, item.get('after') or {}
        for setting in [key for key in queue_model.SETTINGS if key in after] + sorted(
                key for key in after if key not in queue_model.SETTINGS):
            line = '%s%s: %s %s -> %s' % (prefix, _label(item), visible(str(setting)),
                                          queue_model.setting_value(setting, before.get(setting)),
                                          queue_model.setting_value(setting, after[setting]))
            if before.get(setting) is None and after[setting] is not None:
                line += ' (%s)' % IRREVERSIBLE
            lines.append(line)
    return lines


def irreversible(plan):
    """``queue 1001202 (billing) max_wait_sec`` for every setting of a plan that goes from null to a value."""
    return ['%s %s' % (_label(item), key) for item in plan or [] for key in queue_model.SETTINGS
            if key in (item.get('after') or {}) and (item.get('before') or {}).get(key) is None
            and item['after'][key] is not None]


def result_lines(result, what='queue entries'):
    """What an inbound_queues run did, for people: counts, then one line per queue and setting that changed
    (or would), per setting or queue the API cannot fix, and per failed entry."""
    result = result or {}
    check_mode = bool(result.get('check_mode'))
    verb = 'would change' if check_mode else 'changed'
    counts = dict(dict(total=0, changed=0, unchanged=0, failed=0), **(result.get('summary') or {}))
    line = '%d %s: %d %s, %d unchanged, %d failed' % (counts['total'], what, counts['changed'], verb,
                                                      counts['unchanged'], counts['failed'])
    if 'unmanageable' in counts:
        line += ', %d unmanageable' % counts['unmanageable']
    if check_mode:
        line += ' (check mode: nothing was sent)'
    lines = [line]
    if result.get('already_applied'):
        lines.append('already applied: every queue of the plan holds its "after" values, so nothing was sent')
    lines += plan_lines(result.get('plan') or [], verb)
    for item in result.get('unmanageable') or []:
        lines.append('cannot fix: %s%s: %s' % (_label(item), ' %s' % item['setting'] if item.get('setting') else '',
                                               visible(str(item.get('reason')))))
    for entry in result.get('results') or []:
        if entry.get('error'):
            lines.append('%s: %s' % (entry.get('status', 'failed'), visible(entry['error'])))
        elif entry.get('unrestorable'):
            lines.append('cannot restore: %s %s: %s' % (_label(entry), ', '.join(entry['unrestorable']), IRREVERSIBLE))
    if result.get('status') == 'failed' and not result.get('results') and result.get('msg'):
        lines.append('failed: %s' % visible(result['msg']))
    if result.get('backup_file'):
        lines.append('backup of what changed: %s' % visible(result['backup_file']))
    return lines


# How each per-entry status of an overridden check-mode run reads in a promotion (source -> target).
PROMOTION = dict(ok='same settings', would_change='will change', unmanageable='cannot be made the same',
                 missing='only in %(source)s', unmanaged='only in %(target)s', ambiguous='several in %(target)s')
# What a promotion cannot leave to chance: a source queue that does not resolve to exactly one target queue.
UNRESOLVED = ('missing', 'ambiguous', 'renamed', 'invalid', 'failed', 'stale')


def promotion_lines(result, source, target):
    """A promotion, for people: a verdict, then a table of every queue by name, where it is and what happens to it."""
    result = result or {}
    source, target = visible(str(source)), visible(str(target))
    cannot_fix = [u for u in result.get('unmanageable') or [] if u.get('id') is not None]
    rows = []
    for entry in result.get('results') or []:
        status = entry.get('status')
        where = PROMOTION[status] % dict(source=source, target=target) if status in PROMOTION else '%s: %s' % (
            status, visible(str(entry.get('error'))))
        if status == 'ambiguous':
            where += ' (ids %s)' % ', '.join(str(i) for i in entry.get('matching_ids') or [])
        if status == 'would_change':
            where += ': %s' % ', '.join(
                '%s %s -> %s' % (c['setting'], queue_model.setting_value(c['setting'], c['before']),
                                 queue_model.setting_value(c['setting'], c['after'])) for c in entry.get('changes') or [])
        # What the API cannot make the same (a setting the source leaves unset while the target has it), whether or not
        # the queue also changes: after the apply, the two still differ there.
        reasons = [visible(str(u.get('reason'))) for u in cannot_fix if u.get('id') == entry.get('id')
                   and status != 'unmanaged']
        if reasons:
            where += ('; but cannot be made the same: ' if status == 'would_change' else ': ') + '; '.join(reasons)
        rows.append((visible(str(entry.get('name'))), entry.get('id'), where))
    unresolved = [r for r in result.get('results') or [] if r.get('status') in UNRESOLVED]
    changes = sum(1 for r in result.get('results') or [] if r.get('status') == 'would_change')
    if result.get('status') == 'failed' and not result.get('results'):
        return ['ERROR: the promotion could not be planned: %s' % visible(str(result.get('msg')))]
    names = [str(r.get('name')) for r in unresolved]
    resolved_ids = set(r.get('id') for r in result.get('results') or [] if r.get('status') not in ('unmanaged',))
    differing = len(set(u.get('id') for u in cannot_fix if u.get('id') in resolved_ids))
    lines = ['%s: %d queue(s) of %s would change in %s; %d cannot be resolved by name in %s%s%s' % (
        'NOT PROMOTABLE' if unresolved else 'PROMOTION', changes, source, target, len(unresolved), target,
        ' (%s): leave them out with -e \'{"exclude": %s}\', or make the names match' % (
            ', '.join(visible(name) for name in names), visible(json.dumps(names, ensure_ascii=False)))
        if unresolved else '',
        '; %d will still differ where the API cannot clear a setting (below)' % differing if differing else '')]
    width = max([len(name) for name, dummy, dummy2 in rows] + [4])
    lines.append('%-*s  %-10s  %s' % (width, 'name', 'target id', 'where, and what happens'))
    for name, queue_id, where in sorted(rows, key=lambda row: (row[0], str(row[1]))):
        lines.append('%-*s  %-10s  %s' % (width, name, queue_id if queue_id is not None else '-', where))
    excluded = sorted(set(visible(str(name)) for name in result.get('excluded') or []))
    if excluded:
        lines.append('left out (include/exclude): %d queue(s) of %s: %s' % (len(excluded), source, ', '.join(excluded)))
    return lines


def drift_report(result, queues_file=None, strict=False, error=None):
    """The drift report of an inbound_queues check-mode run, from the status of each of its results.

    ``status`` is ``clean``, ``drift`` (the tenant differs from the file) or
    ``error`` (the check itself failed: bad key, unreachable API, invalid file),
    so that CI can tell drift from breakage. Each queue's status is ``ok``,
    ``drift`` (settings differ), ``missing`` (the tenant has no such queue),
    ``ambiguous`` (its name matches several queues: ``matching_ids``),
    ``renamed`` (its name changed), ``unmanaged`` (strict: the file does not
    list it) or ``failed``.
    """
    result = result or {}
    reasons = {}
    for item in result.get('unmanageable') or []:
        reasons.setdefault(item.get('id'), []).append(dict(setting=item.get('setting'), reason=item.get('reason')))
    queues = []
    for entry in result.get('results') or []:
        status = DRIFT_STATUS.get(entry.get('status'), 'failed')
        queue = dict(id=entry.get('id'), name=entry.get('name'), entry=entry.get('entry'), status=status,
                     changes=list(entry.get('changes') or []), error=entry.get('error'),
                     unmanageable=reasons.get(entry.get('id'), []) if entry.get('status') in (
                         'unmanageable', 'unmanaged', 'would_change') else [])
        if entry.get('matching_ids'):
            queue['matching_ids'] = list(entry['matching_ids'])
        queues.append(queue)
    drifted = [q for q in queues if q['status'] in DRIFTED]
    failed = [q for q in queues if q['status'] == 'failed']
    if error is None and result.get('status') == 'failed' and not queues:
        error = result.get('msg') or 'the drift check failed'
    if error is not None and queues_file:
        shown = visible(os.path.abspath(os.path.expanduser(queues_file)))
        if shown in error:
            error = error[error.index(shown):]   # the file's own message, without Ansible's preamble
    summary = result.get('summary') or {}
    report = dict(
        queues_file=queues_file,
        strict=bool(strict),
        status='error' if error is not None or failed else 'drift' if drifted else 'clean',
        error=error,
        entries=summary.get('total', len(queues)),
        drifted=len(drifted),
        failed=len(failed),
        unmanageable=len(result.get('unmanageable') or []),
        drifted_ids=sorted(set(_ids(drifted))),
        failed_ids=sorted(set(q['id'] for q in failed if isinstance(q['id'], int))),
        queues=queues,
    )
    return report


def _ids(queues):
    for queue in queues:
        if isinstance(queue.get('id'), int):
            yield queue['id']
        yield from queue.get('matching_ids') or []


def _queue_label(queue):
    return queue.get('entry') or _label(queue) if queue.get('id') is None else _label(queue)


def drift_lines(report):
    """The drift report for people: a verdict, then one line per queue that drifted or failed."""
    entries = report.get('entries', 0)
    where = visible(report.get('queues_file') or 'the file')
    if report.get('status') == 'error' and report.get('error'):
        lines = ['ERROR: the drift check failed, so drift is unknown: %s' % visible(report['error'])]
    elif report.get('status') == 'clean':
        lines = ['No drift: the %d queue entries of %s match the tenant%s'
                 % (entries, where, ' (strict: and the tenant has no other queue or setting)' if report.get('strict') else '')]
    else:
        lines = ['%s: %d queue(s) drifted from %s (%d entries%s), %d failed; live value -> value in the file' % (
            'DRIFT' if report.get('drifted') else 'ERROR', report.get('drifted', 0), where, entries,
            ', strict' if report.get('strict') else '', report.get('failed', 0))]
    for queue in report.get('queues') or []:
        label = _queue_label(queue)
        for change in queue.get('changes') or []:
            setting = change.get('setting')
            lines.append('%s: %s %s -> %s' % (label, setting, queue_model.setting_value(setting, change.get('before')),
                                              queue_model.setting_value(setting, change.get('after'))))
        for item in queue.get('unmanageable') or []:
            lines.append('%s: %s' % (label, visible(str(item.get('reason')))))
        if queue.get('status') == 'unmanaged' and not queue.get('unmanageable'):
            lines.append('%s: unmanaged: the tenant has it, the file does not list it' % label)
        if queue.get('error'):
            lines.append('%s: %s: %s' % (label, queue.get('status'), visible(queue['error'])))
    return lines


# Characters XML 1.0 cannot hold at all (most C0 controls, lone surrogates, U+FFFE/U+FFFF): written as visible escapes.
_NOT_XML = re.compile('[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]')


def _xml_text(item):
    """Text XML can hold, and a terminal or a CI page shows safely: every control character escaped visibly."""
    return visible(_NOT_XML.sub(lambda m: '\\u%04x' % ord(m.group(0)), str(item)))


def drift_junit(report, suite='alohub.callcenter drift'):
    """JUnit XML of a drift report: one testcase per queue, a <failure> per drifting or failing one.

    A check that failed as a whole (no queue results) is one testcase with an <error>.
    """
    queues = report.get('queues') or []
    root = ElementTree.Element('testsuites')
    cases = []
    for queue in queues:
        case = ElementTree.Element('testcase', classname='alohub.callcenter.drift', name=_xml_text(_queue_label(queue)))
        lines = ['%s %s -> %s' % (c.get('setting'), queue_model.setting_value(c.get('setting'), c.get('before')),
                                  queue_model.setting_value(c.get('setting'), c.get('after')))
                 for c in queue.get('changes') or []]
        lines += ['%s: %s' % (u.get('setting') or 'queue', u.get('reason')) for u in queue.get('unmanageable') or []]
        status = queue.get('status')
        if status == 'failed' or (queue.get('error') and status not in DRIFTED):
            failure = ElementTree.SubElement(case, 'failure', type='failed', message=_xml_text(queue.get('error')))
            failure.text = _xml_text(queue.get('error'))
        elif status in DRIFTED:
            message = {'drift': '%d setting(s) drifted' % len(lines),
                       'unmanaged': 'the tenant has this queue; the file does not list it (unmanaged)',
                       'missing': 'the tenant has no such queue (missing)',
                       'ambiguous': 'the name matches several queues (ambiguous): ids %s' % ', '.join(
                           str(i) for i in queue.get('matching_ids') or []),
                       'renamed': 'the queue has another name now (renamed)'}[status]
            failure = ElementTree.SubElement(case, 'failure', type=status, message=_xml_text(message))
            failure.text = _xml_text('\n'.join(lines + ([queue['error']] if queue.get('error') else [])) or message)
        cases.append(case)
    errors = 0
    if report.get('error') and not queues:
        case = ElementTree.Element('testcase', classname='alohub.callcenter.drift', name='drift check')
        error = ElementTree.SubElement(case, 'error', type='check failed', message=_xml_text(report['error']))
        error.text = _xml_text(report['error'])
        cases.append(case)
        errors = 1
    failures = sum(1 for case in cases if case.find('failure') is not None)
    testsuite = ElementTree.SubElement(root, 'testsuite', name=suite, tests=str(len(cases)), failures=str(failures),
                                       errors=str(errors), skipped='0')
    testsuite.extend(cases)
    root.set('tests', str(len(cases)))
    root.set('failures', str(failures))
    root.set('errors', str(errors))
    ElementTree.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n%s\n%s\n' % (JUNIT_MARK, ElementTree.tostring(root, encoding='unicode'))
