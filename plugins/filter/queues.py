# -*- coding: utf-8 -*-
# Copyright: (c) 2026, AloHub collection maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Filters the collection's role and playbooks format with: files that stay data, lines people read, reports CI reads.

Everything they are given may come from the API or from a queues file, so it is
data: strings are written tagged ``!unsafe`` (never templated when read back),
and every string they return is marked unsafe, so a later template cannot run
what a queue name says.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Mapping
from xml.etree import ElementTree

import yaml

from ansible.errors import AnsibleFilterError
from ansible.utils.unsafe_proxy import wrap_var

from ansible_collections.alohub.callcenter.plugins.module_utils.queue_model import STRATEGIES


class _Inert(str):
    """A string to write as ``!unsafe "..."``."""


class _InertDumper(yaml.SafeDumper):
    """Block style, lists indented under their key (as to_nice_yaml writes them), no anchors."""

    def ignore_aliases(self, data):
        return True

    def increase_indent(self, flow=False, indentless=False):
        return super().increase_indent(flow, False)


_STR = 'tag:yaml.org,2002:str'


def _represent_inert(dumper, value):
    # ansible-core 2.19+ reads a tagged scalar by its plain form: !unsafe "0" comes back as the number 0,
    # !unsafe "" and !unsafe "null" as null. A string that a YAML 1.1 reader would take for another
    # type (a number, a boolean, null, a date) cannot hold a template either, so it is written as a
    # plain quoted string instead, which every reader keeps a string.
    text = str(value)
    keep = not text or dumper.resolve(yaml.ScalarNode, text, (True, False)) != _STR
    return dumper.represent_scalar(_STR if keep else '!unsafe', text, style='"')


def _represent_key(dumper, value):
    # Mapping keys are the collection's own field names, left plain; any other key is quoted.
    plain = re.match(r'^[A-Za-z_][A-Za-z0-9_]*$', value) and dumper.resolve(yaml.ScalarNode, value, (True, False)) == _STR
    return dumper.represent_scalar(_STR, value, style=None if plain else '"')


_InertDumper.add_representer(_Inert, _represent_inert)
_InertDumper.add_representer(str, _represent_key)


def _comment(text):
    """``text`` safe inside a YAML comment line: no line break, no character a YAML reader refuses."""
    return ''.join(c if c.isprintable() else '\\u%04x' % ord(c) for c in text)


def _exact(text):
    """A plain ``str`` of a string subclass (Ansible's unsafe and tagged strings): str() keeps the subclass on 2.16."""
    return str.__str__(text)


def _plain(value, where='the data'):
    """``value`` as plain Python data, every string (but mapping keys) an _Inert."""
    if isinstance(value, Mapping):
        return dict((_exact(key) if isinstance(key, str) else str(key), _plain(item, where)) for key, item in value.items())
    if isinstance(value, (list, tuple)):
        return [_plain(item, where) for item in value]
    if isinstance(value, str):
        return _Inert(_exact(value))
    if value is None or isinstance(value, bool):
        return None if value is None else bool(value)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    raise AnsibleFilterError('to_inert_yaml: %s holds a %s, which is not data' % (where, type(value).__name__))


def to_inert_yaml(data, header=None):
    """YAML of ``data`` where every string is ``!unsafe "..."``: it reads back as the same string, never templated.

    Quoting every string also keeps ``"0287000000"`` a string for YAML 1.2
    readers, which would read it unquoted as the number 287000000.
    """
    lines = ['---']
    if header:
        for line in ([header] if isinstance(header, str) else header):
            # Every line break YAML knows ends a comment: a queue name holding one stays inside its own.
            lines.extend('# ' + _comment(part) if part else '#' for part in (str(line).splitlines() or ['']))
    text = yaml.dump(_plain(data), Dumper=_InertDumper, sort_keys=False, default_flow_style=False,
                     allow_unicode=True, width=10 ** 9, indent=2)
    return wrap_var('\n'.join(lines) + '\n' + text)


def _shown(setting, value):
    if value is None:
        return 'null'
    if isinstance(value, bool):
        return 'true' if value else 'false'
    if setting == 'strategy' and value in STRATEGIES:
        return '%s (%s)' % (value, STRATEGIES[value])
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    return json.dumps(value) if isinstance(value, (dict, list)) else str(value)


def plan_lines(plan, verb=None):
    """One line per queue and setting of a plan: ``queue 1001226 (test): strategy 1 (normal) -> 2 (vip)``."""
    if not isinstance(plan, list):
        raise AnsibleFilterError('plan_lines expects a plan (a list of {id, name, before, after}); got %s'
                                 % type(plan).__name__)
    lines = []
    prefix = '%s: ' % verb if verb else ''
    for item in plan:
        before, after = item.get('before') or {}, item.get('after') or {}
        for setting in after:
            lines.append('%squeue %s (%s): %s %s -> %s' % (prefix, item.get('id'), item.get('name'), setting,
                                                           _shown(setting, before.get(setting)),
                                                           _shown(setting, after[setting])))
    return wrap_var(lines)


def result_lines(result, verb='changed', what='queue entries', check_mode=False):
    """What an inbound_queues run did, for people: counts, then one line per queue and setting that changed
    (or would), per setting or queue the API cannot fix, and per failed entry."""
    result = result or {}
    counts = dict(dict(total=0, changed=0, unchanged=0, failed=0), **(result.get('summary') or {}))
    line = '%d %s: %d %s, %d unchanged, %d failed' % (counts['total'], what, counts['changed'], verb,
                                                      counts['unchanged'], counts['failed'])
    if 'unmanageable' in counts:
        line += ', %d unmanageable' % counts['unmanageable']
    if check_mode:
        line += ' (check mode: nothing was sent)'
    lines = [line] + list(plan_lines(result.get('plan') or [], verb))
    for item in result.get('unmanageable') or []:
        lines.append('cannot fix: queue %s (%s)%s: %s' % (item.get('id'), item.get('name'),
                                                          ' %s' % item['setting'] if item.get('setting') else '',
                                                          item.get('reason')))
    for entry in result.get('results') or []:
        if entry.get('error'):
            lines.append('failed: %s' % entry['error'])
    return wrap_var(lines)


def invert_plan(plan):
    """The plan that undoes ``plan``: each item's before and after swapped (a backup)."""
    return wrap_var([dict(id=item.get('id'), name=item.get('name'), before=dict(item.get('after') or {}),
                          after=dict(item.get('before') or {})) for item in plan or []])


# What an entry that could not be checked says about the tenant: not found or renamed is drift of the
# tenant (the file names a queue it no longer has); anything else means the check failed.
_DRIFT_KINDS = dict(NotFoundError='missing', ValidationError='mismatch')


def drift_report(result, queues_file=None, strict=False, error=None):
    """The drift report of an inbound_queues check-mode run (its result, or its failure).

    ``status`` is ``clean``, ``drift`` (the tenant differs from the file) or
    ``error`` (the check itself failed: bad key, unreachable API, invalid file),
    so that CI can tell drift from breakage. Each queue's status is ``ok``,
    ``drift`` (settings differ), ``missing`` (the tenant has no such queue),
    ``mismatch`` (its name changed), ``unmanaged`` (strict: the file does not list
    it) or ``failed``.
    """
    result = result or {}
    queues = []
    for entry in result.get('results') or []:
        if entry.get('error'):
            status = _DRIFT_KINDS.get((entry.get('error_info') or {}).get('kind'), 'failed')
        else:
            status = 'drift' if entry.get('changed') else 'ok'
        queues.append(dict(id=entry.get('id'), name=entry.get('name'), status=status,
                           changes=list(entry.get('changes') or []), error=entry.get('error'), unmanageable=[]))
    by_id = dict((queue['id'], queue) for queue in queues if queue['id'] is not None)
    for item in result.get('unmanageable') or []:
        queue = by_id.get(item.get('id'))
        if queue is None:
            queue = dict(id=item.get('id'), name=item.get('name'), status='unmanaged', changes=[], error=None,
                         unmanageable=[])
            queues.append(queue)
            by_id[queue['id']] = queue
        elif queue['status'] == 'ok':
            queue['status'] = 'drift'
        queue['unmanageable'].append(dict(setting=item.get('setting'), reason=item.get('reason')))
    drifted = [q['id'] for q in queues if q['status'] in ('drift', 'missing', 'mismatch', 'unmanaged')]
    failed = [q['id'] for q in queues if q['status'] == 'failed']
    if error is None and not result.get('results') and result.get('msg'):
        error = result['msg']
    summary = result.get('summary') or {}
    report = dict(
        queues_file=queues_file,
        strict=bool(strict),
        status='error' if error is not None or failed else 'drift' if drifted else 'clean',
        error=error,
        entries=summary.get('total', len(result.get('results') or [])),
        drifted=len(drifted),
        failed=len(failed),
        unmanageable=len(result.get('unmanageable') or []),
        drifted_ids=drifted,
        failed_ids=failed,
        queues=queues,
    )
    return wrap_var(report)


def drift_lines(report):
    """The drift report for people: a verdict, then one line per queue that drifted or failed."""
    entries = report.get('entries', 0)
    where = report.get('queues_file') or 'the file'
    if report.get('status') == 'error' and report.get('error'):
        lines = ['ERROR: the drift check failed, so drift is unknown: %s' % report['error']]
    elif report.get('status') == 'clean':
        lines = ['No drift: the %d queue entries of %s match the tenant%s'
                 % (entries, where, ' (strict: and the tenant has no other queue or setting)' if report.get('strict') else '')]
    else:
        lines = ['%s: %d queue(s) drifted from %s (%d entries%s), %d failed; live value -> value in the file' % (
            'DRIFT' if report.get('drifted') else 'ERROR', report.get('drifted', 0), where, entries,
            ', strict' if report.get('strict') else '', report.get('failed', 0))]
    for queue in report.get('queues') or []:
        label = 'queue %s (%s)' % (queue.get('id'), queue.get('name'))
        for change in queue.get('changes') or []:
            lines.append('%s: %s %s -> %s' % (label, change.get('setting'), _shown(change.get('setting'), change.get('before')),
                                              _shown(change.get('setting'), change.get('after'))))
        for item in queue.get('unmanageable') or []:
            lines.append('%s: %s' % (label, item.get('reason')))
        if queue.get('error'):
            lines.append('%s: %s: %s' % (label, queue.get('status'), queue['error']))
    return wrap_var(lines)


def drift_junit(report, suite='alohub.callcenter drift'):
    """JUnit XML of a drift report: one testcase per queue, a <failure> per drifting or failing one.

    A check that failed as a whole (no queue results) is one testcase with an <error>.
    """
    queues = report.get('queues') or []
    root = ElementTree.Element('testsuites')
    cases = []
    for queue in queues:
        case = ElementTree.Element('testcase', classname='alohub.callcenter.drift',
                                   name='queue %s (%s)' % (queue.get('id'), queue.get('name')))
        lines = ['%s %s -> %s' % (c.get('setting'), _shown(c.get('setting'), c.get('before')),
                                  _shown(c.get('setting'), c.get('after'))) for c in queue.get('changes') or []]
        lines += ['%s: %s' % (u.get('setting') or 'queue', u.get('reason')) for u in queue.get('unmanageable') or []]
        if queue.get('error'):
            failure = ElementTree.SubElement(case, 'failure', type=str(queue.get('status')), message=str(queue.get('error')))
            failure.text = str(queue.get('error'))
        elif queue.get('status') in ('drift', 'unmanaged'):
            failure = ElementTree.SubElement(case, 'failure', type='drift',
                                             message='%d setting(s) drifted' % len(lines))
            failure.text = '\n'.join(lines)
        cases.append(case)
    errors = 0
    if report.get('error') and not queues:
        case = ElementTree.Element('testcase', classname='alohub.callcenter.drift', name='drift check')
        error = ElementTree.SubElement(case, 'error', type='check failed', message=str(report['error']))
        error.text = str(report['error'])
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
    return wrap_var('<?xml version="1.0" encoding="UTF-8"?>\n' + ElementTree.tostring(root, encoding='unicode') + '\n')


def unknown_vars(names, known, cutoff=0.85):
    """The names in ``names`` that look like a misspelling of one in ``known``: ``["fail_on_drfit (did you mean fail_on_drift?)"]``."""
    known = [str(name) for name in known]
    found = []
    for name in sorted(set(str(n) for n in names) - set(known)):
        close = difflib.get_close_matches(name, known, n=1, cutoff=cutoff)
        if close:
            found.append('%s (did you mean %s?)' % (name, close[0]))
    return wrap_var(found)


class FilterModule:

    def filters(self):
        return dict(
            to_inert_yaml=to_inert_yaml,
            plan_lines=plan_lines,
            result_lines=result_lines,
            invert_plan=invert_plan,
            drift_report=drift_report,
            drift_lines=drift_lines,
            drift_junit=drift_junit,
            unknown_vars=unknown_vars,
        )
