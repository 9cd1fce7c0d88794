# -*- coding: utf-8 -*-
# Copyright: (c) 2026, AloHub collection maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Filters the collection's role and playbooks format with: files that stay data, lines people read, reports CI reads.

Each is a thin wrapper of module_utils (``files`` for YAML, ``reports`` for lines
and reports): formatting only, from what the modules returned. Everything they
are given may come from the API or from a file, so it is data: strings are
written inert, shown with control characters escaped, and every string they
return is marked unsafe, so a later template cannot run what a queue name says.
"""

from __future__ import annotations

import difflib
import os

from ansible.errors import AnsibleFilterError
from ansible.utils.unsafe_proxy import wrap_var

from ansible_collections.alohub.callcenter.plugins.module_utils import files, reports
from ansible_collections.alohub.callcenter.plugins.module_utils.errors import AlohubError


def _plain(value):
    """Ansible's own containers and string types as plain Python data."""
    if isinstance(value, dict):
        return dict((_plain(key), _plain(item)) for key, item in value.items())
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    if isinstance(value, str):
        return str.__str__(value)   # str() keeps Ansible's unsafe and tagged string subclasses on 2.16
    return value


def abspath(path):
    """``path`` made absolute against the directory ansible-playbook runs in, ``~`` expanded, links NOT resolved.

    Modules on the controller run in the playbook's directory, so a relative path must be made absolute before it
    reaches them; ``ansible.builtin.realpath`` would also follow a symbolic link planted where the file goes, which
    is exactly what the collection's writers refuse to do.
    """
    return wrap_var(os.path.abspath(os.path.expanduser(str.__str__(str(path)))))


def to_inert_yaml(data, header=None):
    """YAML of ``data`` where every string reads back as the same string and is never templated."""
    lines = [] if header is None else [header] if isinstance(header, str) else list(header)
    try:
        return wrap_var(files.dump_yaml(_plain(data), [str.__str__(str(line)) for line in lines]))
    except AlohubError as exc:
        raise AnsibleFilterError('to_inert_yaml: %s' % exc.msg)


def plan_lines(plan, verb=None):
    """One line per queue and setting of a plan: ``queue 1001226 (test): strategy 1 (normal) -> 2 (vip)``."""
    if not isinstance(plan, list):
        raise AnsibleFilterError('plan_lines expects a plan (a list of {id, name, before, after}); got %s'
                                 % type(plan).__name__)
    return wrap_var(reports.plan_lines(_plain(plan), verb))


def result_lines(result, what='queue entries'):
    """What an inbound_queues run did (or would do, in check mode), one line per queue and setting."""
    return wrap_var(reports.result_lines(_plain(result), what))


def drift_report(result, queues_file=None, strict=False, error=None):
    """The drift report (clean, drift or error, and one item per queue) of an inbound_queues check-mode run."""
    return wrap_var(reports.drift_report(_plain(result), _plain(queues_file), bool(strict), _plain(error)))


def drift_lines(report):
    """The drift report for people: a verdict, then one line per queue that drifted or failed."""
    return wrap_var(reports.drift_lines(_plain(report)))


def drift_junit(report, suite='alohub.callcenter drift'):
    """JUnit XML of a drift report: one testcase per queue, a <failure> per drifting or failing one."""
    return wrap_var(reports.drift_junit(_plain(report), suite))


def promotion_lines(result, source, target):
    """A promotion from one environment to another, for people: a verdict and a table of every queue by name."""
    return wrap_var(reports.promotion_lines(_plain(result), str(source), str(target)))


def _kinds_by_key(*tables):
    """{top-level key: the kinds of file that hold it, "backup or plan"} of kind -> key tables."""
    kinds = {}
    for table in tables:
        for kind, key in table.items():
            kinds.setdefault(key, []).append(kind)
    return dict((key, ' or '.join(sorted(names))) for key, names in kinds.items())


# The top-level keys of the collection's files, and the kind of file each is of.
FILE_KEYS = _kinds_by_key(files.DATA_KEYS, files.META_KEYS)


def unknown_vars(names, known, cutoff=0.85, every=False):
    """The names in ``names`` that look like a misspelling of one in ``known``: ``["fail_on_drfit (did you mean fail_on_drift?)"]``.

    ``every``: every name not in ``known``, with the hint where one is close.
    """
    known = [str(name) for name in known]
    found = []
    for name in sorted(set(str(n) for n in names) - set(known)):
        close = difflib.get_close_matches(name, known, n=1, cutoff=cutoff)
        if every and name in FILE_KEYS:
            # What a file holds, given as a variable: the file is the input (it says what it is and for whom).
            found.append('%s (that is what a %s file holds: name the file instead)' % (name, FILE_KEYS[name]))
        elif close:
            found.append('%s (did you mean %s?)' % (name, close[0]))
        elif every:
            found.append(name)
    return wrap_var(found)


class FilterModule:

    def filters(self):
        return dict(
            abspath=abspath,
            to_inert_yaml=to_inert_yaml,
            plan_lines=plan_lines,
            result_lines=result_lines,
            drift_report=drift_report,
            drift_lines=drift_lines,
            drift_junit=drift_junit,
            promotion_lines=promotion_lines,
            unknown_vars=unknown_vars,
        )
