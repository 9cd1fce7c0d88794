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
    ('a: [1', {}, 'is not readable YAML (a YAML data file was expected)'),
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
