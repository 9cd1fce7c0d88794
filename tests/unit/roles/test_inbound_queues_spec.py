# -*- coding: utf-8 -*-
# Copyright: (c) 2026, AloHub collection maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""The inbound_queues role's variables: one list in vars/main.yml, documented in meta/argument_specs.yml."""

from __future__ import annotations

from pathlib import Path

import yaml

from ansible_collections.alohub.callcenter.plugins.module_utils.arguments import CONNECTION_OPTIONS

ROLE = Path(__file__).resolve().parents[3] / 'roles' / 'inbound_queues'


def load(name):
    return yaml.safe_load((ROLE / name).read_text(encoding='utf-8'))


def test_the_variables_list_is_the_argument_spec():
    spec = load('meta/argument_specs.yml')['argument_specs']['main']['options']
    assert sorted(load('vars/main.yml')['inbound_queues_variables']) == sorted(spec)


def test_the_connection_mapping_covers_every_connection_option():
    mapping = load('vars/main.yml')['inbound_queues_connection']
    assert sorted(mapping) == sorted(CONNECTION_OPTIONS)
    for option, template in mapping.items():
        assert template == '{{ alohub_%s | default(omit) }}' % option


def test_every_default_is_a_documented_variable():
    spec = load('meta/argument_specs.yml')['argument_specs']['main']['options']
    defaults = load('defaults/main.yml')
    assert set(defaults) <= set(spec)
    for name, value in defaults.items():
        assert spec[name].get('default') == value, name
