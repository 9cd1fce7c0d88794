# -*- coding: utf-8 -*-
# Copyright: (c) 2026, AloHub collection maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""What the shipped rulebooks and the decision environment promise, read from the files.

* Event data never reaches anything that templates: no action argument of a rulebook refers to
  ``event`` (conditions do; they are the rules engine's, not Jinja).
* What a rulebook passes to a playbook or job template is what that playbook or survey takes (the
  playbooks fail on any other ``-e`` variable).
* The source arguments, rendered the way ansible-rulebook renders them (Jinja's native environment,
  undefined variables are errors) from only the required rulebook variables, are valid arguments.

tests/integration/test_eda_rulebook.py runs queue_drift.yml under the real ansible-rulebook.
"""

from __future__ import annotations

import json
import os
import re

import jinja2
import jinja2.nativetypes
import pytest
import yaml

from ansible_collections.alohub.callcenter.extensions.eda.plugins.event_source import queue_changes as qc

SOURCE = 'alohub.callcenter.queue_changes'
EDA = os.path.dirname(os.path.dirname(os.path.dirname(qc.__file__)))   # extensions/eda
REPO = os.path.dirname(os.path.dirname(EDA))
RULEBOOKS = sorted(os.path.join(EDA, 'rulebooks', name) for name in os.listdir(os.path.join(EDA, 'rulebooks')))


def load(path):
    with open(path, encoding='utf-8') as handle:
        return yaml.safe_load(handle)


def strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings(item)


def rules():
    for path in RULEBOOKS:
        for ruleset in load(path):
            for rule in ruleset['rules']:
                yield os.path.basename(path), rule


def render(value, variables):
    """As ansible-rulebook renders source and action arguments (ansible_rulebook.util.substitute_variables)."""
    env = jinja2.nativetypes.NativeEnvironment(undefined=jinja2.StrictUndefined)
    if isinstance(value, dict):
        return dict((key, render(item, variables)) for key, item in value.items())
    if isinstance(value, str) and '{{' in value:
        return env.from_string(value).render(variables)
    return value


def test_the_rulebooks_are_there():
    assert [os.path.basename(path) for path in RULEBOOKS] == ['queue_drift.yml', 'queue_drift_controller.yml']


@pytest.mark.parametrize('name, rule', list(rules()), ids=lambda x: x if isinstance(x, str) else x['name'])
def test_no_action_templates_event_data(name, rule):
    for text in strings(rule['action']):
        for expression in re.findall(r'{{(.*?)}}|{%(.*?)%}', text):
            assert not re.search(r'\bevents?\b', ''.join(expression)), '%s: %s: %s' % (name, rule['name'], text)


def test_what_run_playbook_passes_is_what_the_playbook_takes():
    for name, rule in rules():
        action = rule['action'].get('run_playbook')
        if action is None:
            continue
        playbook = action['name']
        assert playbook.startswith('alohub.callcenter.')
        plays = load(os.path.join(REPO, 'playbooks', playbook.split('.')[-1] + '.yml'))
        takes = set(plays[0]['vars']['alohub_playbook_spec'])
        assert set(action['extra_vars']) <= takes, (name, sorted(set(action['extra_vars']) - takes))
        assert rule['throttle']['group_by_attributes'] == ['event.meta.source.name', 'event.poll']


def test_what_run_job_template_passes_is_the_drift_survey():
    survey = json.loads(open(os.path.join(REPO, 'extensions', 'awx', 'surveys', 'drift.json'), encoding='utf-8').read())
    takes = set(item['variable'] for item in survey['spec'])
    found = 0
    for name, rule in rules():
        action = rule['action'].get('run_job_template')
        if action is None:
            continue
        found += 1
        assert render(action['name'], {}) == survey['name']
        assert set(action['job_args']['extra_vars']) <= takes, name
        for key, value in render(action['job_args']['extra_vars'], dict(queues_file='queues/acme.yml')).items():
            choices = [item.get('choices') for item in survey['spec'] if item['variable'] == key][0]
            assert choices is None or value in choices, (key, value)
    assert found == 1


@pytest.mark.parametrize('path', RULEBOOKS, ids=os.path.basename)
def test_source_arguments_from_the_required_variables_are_valid(path, tmp_path):
    queues = tmp_path / 'acme.yml'
    queues.write_text('alohub_inbound_queues: []\n')
    for ruleset in load(path):
        for source in ruleset['sources']:
            args = render(source[SOURCE], dict(queues_file=str(queues)))
            options, settings, dummy, dummy2 = qc.parse_args(args, environ=dict(ALOHUB_API_KEY='sk_test_0123456789'))
            assert options['interval'] == 60 and options['rate_limit_share'] == 0.1
            assert settings['api_url'] == 'https://xapi.alohub.vn' and settings['tenant_id'] is None


def test_the_decision_environment():
    de = load(os.path.join(EDA, 'decision-environment.yml'))
    assert de['version'] == 3
    deps = de['dependencies']
    python = [re.split(r'[<>=!~ ]', item)[0] for item in deps['python']]
    assert 'ansible-rulebook' in python and 'requests' in python
    assert deps['ansible_core'] and deps['ansible_runner']
    assert [item['name'] for item in deps['galaxy']['collections']] == ['alohub.callcenter']
    assert any(item.startswith('java-17-openjdk') for item in deps['system'])
    rulebook_pin = [item for item in deps['python'] if item.startswith('ansible-rulebook')][0]
    with open(os.path.join(REPO, 'tests', 'requirements-dev.txt'), encoding='utf-8') as handle:
        assert rulebook_pin in handle.read().split()   # the version the tests run is the one the DE asks for
