# -*- coding: utf-8 -*-
# Copyright: (c) 2026, AloHub collection maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""The data_file lookup: files read as data, never as templates, whatever they hold."""

from __future__ import annotations

import pytest

from ansible.errors import AnsibleLookupError
from ansible.parsing.dataloader import DataLoader
import yaml

from ansible import constants as C
from ansible.template import Templar

from ansible_collections.alohub.callcenter.plugins.lookup import data_file

NAME = 'alohub.callcenter.data_file'
C.config.initialize_plugin_configuration_definitions('lookup', NAME, yaml.safe_load(data_file.DOCUMENTATION)['options'])

TEMPLATE = '{{ lookup("ansible.builtin.pipe", "touch pwned") }}'


def lookup(path, **options):
    """The lookup with its options defined by its DOCUMENTATION, as the plugin loader would."""
    plugin = data_file.LookupModule(loader=DataLoader())
    plugin._load_name = NAME
    return plugin.run([str(path)], variables={}, **options)[0]


def test_a_template_in_a_hand_written_file_stays_text_even_when_templated(tmp_path):
    path = tmp_path / 'queues.yml'
    path.write_text('alohub_inbound_queues:\n  - id: 5\n    name: "%s"\n    number: 0287000000\n' % TEMPLATE.replace('"', '\\"'))
    queues = lookup(path, key='alohub_inbound_queues', type='list')
    assert queues == [dict(id=5, name=TEMPLATE, number='0287000000')]
    try:
        from ansible.template import trust_as_template  # ansible-core 2.19+: only trusted strings are templates
    except ImportError:
        def trust_as_template(text):
            return text
    templar = Templar(loader=DataLoader(), variables=dict(q=queues))
    assert templar.template(trust_as_template('{{ q[0].name }}')) == TEMPLATE  # the value comes out as text: nothing ran
    assert templar.template(trust_as_template('{{ q[0].number }}')) == '0287000000'
    assert not (tmp_path / 'pwned').exists()


@pytest.mark.parametrize('content, options, message', [
    (None, {}, 'does not exist (or is not a file); a YAML data file was expected there'),
    ('a: [1', {}, 'line 2: is not readable YAML: did not find expected'),
    ('other: []', dict(key='alohub_inbound_queues', type='list', what='a queues file'),
     'must hold a list named alohub_inbound_queues (a queues file)'),
    ('alohub_inbound_queues: {id: 5}', dict(key='alohub_inbound_queues', type='list'),
     'must hold a list named alohub_inbound_queues; it holds a mapping'),
    ('alohub_inbound_queues: "x"', dict(key='alohub_inbound_queues', type='list'), 'it holds a string'),
    ('- 1', dict(type='dict'), 'must hold a mapping; it holds a list'),
])
def test_a_file_of_the_wrong_shape_fails_naming_it(tmp_path, content, options, message):
    path = tmp_path / 'f.yml'
    if content is not None:
        path.write_text(content)
    with pytest.raises(AnsibleLookupError) as info:
        lookup(path, **options)
    assert str(path) in str(info.value) and message in str(info.value)


@pytest.mark.parametrize('content, message', [
    ('alohub_inbound_queues:\n  - {id: 5, max_wait_sec: 017}\n', 'f.yml line 2: YAML reads it as the number 15, not as what '
     'is written; quote it ("017") if it is text, or write the number without leading zeros'),
    ('alohub_inbound_queues:\n  - {id: 5, moh_file_id: 0123}\n', 'YAML reads it as the number 83'),
    ('alohub_inbound_queues:\n  - {id: 5, max_wait_sec: 12:30}\n', 'YAML reads it as the number 750'),
    ('alohub_inbound_queues:\n  - {id: 5, max_wait_sec: 1_000}\n', 'YAML reads it as the number 1000'),
    ('alohub_inbound_queues:\n  - {id: 0x10}\n', 'YAML reads it as the number 16'),
    ('alohub_inbound_queues:\n  - {id: 5, moh_file_id: 2026-12-03}\n', 'YAML reads it as a date'),
    ('alohub_inbound_queues:\n  - {id: 5, max_wait_sec: 1:30.5}\n', 'YAML reads it as a number in base 60'),
    ('a: &x [1]\nb: *x\n', 'f.yml line 1: a YAML anchor (&x); queues files and plans do not use anchors or aliases'),
    ('a: &x 1\n', 'a YAML anchor (&x)'),
    ('a: !vault |\n  $ANSIBLE_VAULT;1.1;AES256\n  6162\n', 'the tag !vault is not supported here'),
    ('a: !!python/object:os.system x\n', 'is not supported here'),
    ('[' * 100000 + ']' * 100000, 'exceeded maximum nesting depth'),
])
def test_what_yaml_would_silently_change_or_blow_up_is_refused_naming_the_file_and_line(tmp_path, content, message):
    path = tmp_path / 'f.yml'
    path.write_text(content)
    with pytest.raises(AnsibleLookupError) as info:
        lookup(path)
    assert str(path) in str(info.value) and message in str(info.value)


def test_an_alias_bomb_is_refused_at_once(tmp_path):
    lines = ['a0: &a0 ["x", "x", "x", "x", "x", "x", "x", "x", "x"]']
    lines += ['a%d: &a%d [%s]' % (n, n, ', '.join(['*a%d' % (n - 1)] * 9)) for n in range(1, 9)]
    path = tmp_path / 'bomb.yml'
    path.write_text('\n'.join(lines) + '\n')
    assert path.stat().st_size < 600
    with pytest.raises(AnsibleLookupError, match='a YAML anchor'):
        lookup(path)


def test_a_name_with_an_ampersand_is_no_anchor(tmp_path):
    path = tmp_path / 'q.yml'
    path.write_text('alohub_inbound_queues:\n  - {id: 5, name: "Sales & Support", moh_file_id: "a&b.wav"}\n')
    assert lookup(path, key='alohub_inbound_queues')[0]['name'] == 'Sales & Support'


def test_more_items_than_a_tenant_can_have_are_refused(tmp_path):
    path = tmp_path / 'big.yml'
    path.write_text('alohub_plan: [%s]\n' % ','.join(['{}'] * 50001))
    with pytest.raises(AnsibleLookupError, match='holds a list of 50001 items; the most a queues file or plan needs is 50000'):
        lookup(path)


def test_too_many_values_are_refused_before_parsing(tmp_path):
    path = tmp_path / 'flat.yml'
    path.write_text('[%s]\n' % ','.join(['0'] * 1500001))
    with pytest.raises(AnsibleLookupError, match='holds more than 1500000 values'):
        lookup(path)


@pytest.mark.parametrize('content, kinds, message', [
    ('alohub_plan_meta: {kind: plan}\nalohub_plan: []\n', ['backup'], 'is a plan file, not a backup'),
    ('alohub_inbound_queues: []\n', ['plan'], 'is a queues file, not a plan'),
    ('x: 1\n', ['queues'], 'is not a file of the collection, not a queues'),
])
def test_a_file_of_another_kind_is_refused(tmp_path, content, kinds, message):
    path = tmp_path / 'f.yml'
    path.write_text(content)
    with pytest.raises(AnsibleLookupError) as info:
        lookup(path, kind=kinds)
    assert message in str(info.value)


def test_what_the_collection_writes_reads_back_the_same(tmp_path):
    from ansible_collections.alohub.callcenter.plugins.module_utils import files
    names = ['x\x1b[2J\x1b[3J\x1b[HPLAY RECAP', 'a\u202eb', 'lone \ud800 surrogate', '0123', 'true', '', 'null',
             '{{ 6 * 7 }}', 'Chăm sóc khách hàng', 'tab\tand\nnewline', '\x85\u2028\u2029\ufeff', 'a: b', '- x']
    data = dict(alohub_inbound_queues=[dict(id=n + 1, name=name) for n, name in enumerate(names)])
    text = files.dump_yaml(data, ['header with \x1b[2J and\nnewline'])
    assert all(c.isprintable() or c == '\n' for c in text)   # nothing in the file acts on a terminal or a review
    path = tmp_path / 'q.yml'
    path.write_bytes(text.encode('utf-8'))
    assert lookup(path) == data
