# -*- coding: utf-8 -*-
# Copyright: (c) 2026, AloHub collection maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""The import rules of plugins/: each module_utils file imports only the layers below it (docs/development.md).

A request reads as a straight line, module -> runner -> reconcile -> client -> transport -> HTTP; nothing calls
back up. The table below is the rule; the test reads every file's imports (with ``ast``) and fails on any
import the table does not allow, on a file the table does not know, and on a cycle.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PLUGINS = Path(__file__).resolve().parents[4] / 'plugins'
PREFIX = 'ansible_collections.alohub.callcenter.plugins.'

# file -> the collection's module_utils it may import. The order is the layering, bottom first.
MODULE_UTILS = {
    'errors': set(),
    'text': set(),
    'pacing': set(),
    'interrupt': set(),
    'answers': {'errors', 'text'},
    'queue_model': {'errors', 'text'},
    'files': {'errors', 'text'},
    'transport': {'errors', 'text', 'answers', 'pacing'},
    'entries': {'errors', 'text', 'queue_model'},
    'reports': {'text', 'queue_model', 'files'},
    'backups': {'errors', 'text', 'files', 'entries'},
    'client': {'errors', 'text', 'queue_model'},
    'arguments': {'errors', 'transport'},
    'reconcile': {'errors', 'text', 'queue_model', 'entries', 'files', 'backups', 'interrupt'},
    'runner': {'errors', 'arguments', 'transport', 'client'},
}
# What the other plugins may import of module_utils (modules run through the runner; the others never talk HTTP).
PLUGINS_MAY_IMPORT = {
    'modules/inbound_queue': {'runner', 'reconcile'},
    'modules/inbound_queue_info': {'runner', 'queue_model', 'errors'},
    'modules/inbound_queues': {'runner', 'reconcile', 'entries', 'errors'},
    'modules/data_file': {'files', 'reports', 'entries', 'errors', 'text'},
    'filter/queues': {'files', 'reports', 'errors'},
    'lookup/data_file': {'files', 'errors', 'text'},
    'lookup/latest_backup': {'backups', 'errors'},
    'lookup/extra_vars': set(),
}


def imports(path):
    """The collection's modules that ``path`` imports: module_utils names, and other plugin paths."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding='utf-8'))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith(PREFIX):
            inner = node.module[len(PREFIX):]
            if inner == 'module_utils':
                found.update('module_utils.' + alias.name for alias in node.names)
            else:
                found.add(inner)
        elif isinstance(node, ast.Import):
            found.update(alias.name[len(PREFIX):] for alias in node.names if alias.name.startswith(PREFIX))
    return found


def utils(names):
    return set(name.split('.', 1)[1] for name in names if name.startswith('module_utils.'))


@pytest.mark.parametrize('name', sorted(MODULE_UTILS))
def test_a_module_utils_file_imports_only_the_layers_below_it(name):
    found = imports(PLUGINS / 'module_utils' / ('%s.py' % name))
    assert not found - set('module_utils.' + n for n in MODULE_UTILS[name]), (
        '%s imports %s, which the layering does not allow' % (name, sorted(found)))


def test_every_module_utils_file_is_in_the_table_and_the_table_has_no_cycle():
    present = set(p.stem for p in (PLUGINS / 'module_utils').glob('*.py') if p.stem != '__init__')
    assert present == set(MODULE_UTILS)
    order = list(MODULE_UTILS)
    for name, allowed in MODULE_UTILS.items():
        assert all(order.index(other) < order.index(name) for other in allowed), name


@pytest.mark.parametrize('plugin', sorted(PLUGINS_MAY_IMPORT))
def test_plugins_import_the_module_utils_they_need_and_no_transport(plugin):
    found = imports(PLUGINS / ('%s.py' % plugin))
    assert utils(found) <= PLUGINS_MAY_IMPORT[plugin], (plugin, sorted(found))


def test_every_plugin_is_in_the_table():
    present = set('%s/%s' % (p.parent.name, p.stem) for kind in ('modules', 'filter', 'lookup')
                  for p in (PLUGINS / kind).glob('*.py') if p.stem != '__init__')
    assert present == set(PLUGINS_MAY_IMPORT)


def test_nothing_above_the_client_reads_the_transport():
    for name in ('reconcile', 'runner', 'backups', 'reports'):
        text = (PLUGINS / 'module_utils' / ('%s.py' % name)).read_text(encoding='utf-8')
        assert '.transport.' not in text.replace('module_utils.transport', ''), name
    for path in (PLUGINS / 'modules').glob('*.py'):
        assert 'client.transport' not in path.read_text(encoding='utf-8'), path.name
