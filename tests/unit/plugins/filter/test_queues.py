# -*- coding: utf-8 -*-
# Copyright: (c) 2026, AloHub collection maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""The filters the role and playbooks print and write with, in process."""

from __future__ import annotations

from xml.etree import ElementTree

import junitparser
import pytest
import yaml

from ansible.errors import AnsibleFilterError
from ansible.parsing.dataloader import DataLoader

from ansible_collections.alohub.callcenter.plugins.filter import queues
from ansible_collections.alohub.callcenter.plugins.filter.queues import (
    drift_junit, drift_lines, drift_report, invert_plan, plan_lines, result_lines, to_inert_yaml, unknown_vars,
)

TEMPLATE = '{{ lookup("ansible.builtin.pipe", "touch pwned") }}'
PLAN = [dict(id=1001226, name='test', before=dict(strategy=1, max_wait_sec=120), after=dict(strategy=2, max_wait_sec=180)),
        dict(id=1001227, name=TEMPLATE, before=dict(moh_file_id=None), after=dict(moh_file_id='a.wav'))]


def test_to_inert_yaml_tags_every_string_and_keeps_the_rest():
    text = to_inert_yaml(dict(alohub_inbound_queues=[dict(id=1, name=TEMPLATE, number='0287000000', strategy=None,
                                                          announce_position=True, zero='0', empty='')]),
                         ['first line', 'a name\nwith: a break'])
    assert text.startswith('---\n# first line\n# a name\n# with: a break\nalohub_inbound_queues:\n  - id: 1\n')
    assert '    name: !unsafe "{{ lookup(\\"ansible.builtin.pipe\\", \\"touch pwned\\") }}"\n' in text
    assert '    number: !unsafe "0287000000"\n' in text
    assert '    zero: "0"\n' in text and '    empty: ""\n' in text
    assert '    strategy: null\n' in text and '    announce_position: true\n' in text


def test_to_inert_yaml_reads_back_the_same_for_a_yaml_1_2_reader_too():
    data = dict(alohub_inbound_queues=[dict(id=1, number='0287000000', moh_file_id='0123', name='true')])
    # A plain str, which libyaml wants (on ansible-core 2.16, str(), encode() and decode() all keep the unsafe type).
    text = ''.join(to_inert_yaml(data))
    assert DataLoader().load(text) == data

    class UnsafeIsString(yaml.SafeLoader):
        """A reader that knows nothing of Ansible: the local tag !unsafe is just a string."""

    UnsafeIsString.add_constructor('!unsafe', lambda loader, node: loader.construct_scalar(node))
    assert yaml.load(text, Loader=UnsafeIsString) == data  # every string quoted: no reader turns one into a number


def test_to_inert_yaml_refuses_what_is_not_data():
    with pytest.raises(AnsibleFilterError, match='holds a set, which is not data'):
        to_inert_yaml(dict(a={1, 2}))


def test_plan_lines_one_per_queue_and_setting():
    assert plan_lines(PLAN, 'would change') == [
        'would change: queue 1001226 (test): strategy 1 (normal) -> 2 (vip)',
        'would change: queue 1001226 (test): max_wait_sec 120 -> 180',
        'would change: queue 1001227 (%s): moh_file_id null -> "a.wav"' % TEMPLATE,
    ]
    with pytest.raises(AnsibleFilterError, match='plan_lines expects a plan'):
        plan_lines({'plan': PLAN})


def test_the_strings_filters_return_are_unsafe():
    from ansible.utils.unsafe_proxy import AnsibleUnsafe
    try:
        from ansible.template import is_trusted_as_template
    except ImportError:  # ansible-core before 2.19
        is_trusted_as_template = None
    for line in plan_lines(PLAN) + [to_inert_yaml(dict(a=TEMPLATE))]:
        assert (not is_trusted_as_template(line)) if is_trusted_as_template else isinstance(line, AnsibleUnsafe)


def test_result_lines():
    result = dict(summary=dict(total=3, changed=1, unchanged=1, failed=1, unmanageable=1), plan=PLAN[:1],
                  unmanageable=[dict(id=9, name='ui', setting=None, reason='the queue is not in config')],
                  results=[dict(error=None), dict(error='config[2]: queue 42 was not found')])
    assert result_lines(result, 'changed') == [
        '3 queue entries: 1 changed, 1 unchanged, 1 failed, 1 unmanageable',
        'changed: queue 1001226 (test): strategy 1 (normal) -> 2 (vip)',
        'changed: queue 1001226 (test): max_wait_sec 120 -> 180',
        'cannot fix: queue 9 (ui): the queue is not in config',
        'failed: config[2]: queue 42 was not found',
    ]
    assert result_lines({}, 'would change', 'plan items', True) == [
        '0 plan items: 0 would change, 0 unchanged, 0 failed (check mode: nothing was sent)']


def test_invert_plan_swaps_before_and_after():
    assert invert_plan(PLAN)[1] == dict(id=1001227, name=TEMPLATE, before=dict(moh_file_id='a.wav'),
                                        after=dict(moh_file_id=None))
    assert invert_plan(invert_plan(PLAN)) == PLAN and invert_plan(None) == []


def drift_result():
    return dict(
        summary=dict(total=4, changed=1, unchanged=1, failed=2, unmanageable=2),
        results=[
            dict(id=1, name='a', changed=True, changes=[dict(setting='strategy', before=1, after=2)], error=None),
            dict(id=2, name='b', changed=False, changes=[], error=None),
            dict(id=3, name='gone', changed=False, error='config[2]: queue 3 was not found',
                 error_info=dict(kind='NotFoundError', status=404)),
            dict(id=4, name='c', changed=False, error='GET ... failed: HTTP 503', error_info=dict(kind='ApiError', status=503)),
        ],
        unmanageable=[dict(id=2, name='b', setting='moh_file_id', reason='config[1] leaves moh_file_id unset'),
                      dict(id=9, name='ui', setting=None, reason='the queue is not in config')])


def test_drift_report_tells_drift_from_a_failed_check():
    report = drift_report(drift_result(), 'q.yml', True)
    assert (report['status'], report['entries'], report['drifted'], report['failed'], report['unmanageable']) == ('error', 4, 4, 1, 2)
    assert report['drifted_ids'] == [1, 2, 3, 9] and report['failed_ids'] == [4]
    assert [q['status'] for q in report['queues']] == ['drift', 'drift', 'missing', 'failed', 'unmanaged']
    clean = drift_report(dict(summary=dict(total=1), results=[dict(id=1, name='a', changed=False)]), 'q.yml')
    assert clean['status'] == 'clean' and clean['drifted'] == 0
    drifted = drift_report(dict(results=drift_result()['results'][:3]))
    assert drifted['status'] == 'drift'
    broken = drift_report(dict(failed=False, msg='GET ... failed: HTTP 401 UNAUTHORIZED'))
    assert broken['status'] == 'error' and broken['error'].endswith('401 UNAUTHORIZED') and broken['queues'] == []
    unreadable = drift_report({}, 'q.yml', error='q.yml does not exist')
    assert unreadable['status'] == 'error' and unreadable['error'] == 'q.yml does not exist'


def test_drift_lines():
    lines = drift_lines(drift_report(drift_result(), 'q.yml', True))
    assert lines[0] == 'DRIFT: 4 queue(s) drifted from q.yml (4 entries, strict), 1 failed; live value -> value in the file'
    assert 'queue 1 (a): strategy 1 (normal) -> 2 (vip)' in lines
    assert 'queue 3 (gone): missing: config[2]: queue 3 was not found' in lines
    assert drift_lines(drift_report({}, 'q.yml', error='boom')) == ['ERROR: the drift check failed, so drift is unknown: boom']


def test_drift_junit_is_read_by_a_junit_parser(tmp_path):
    path = tmp_path / 'drift.xml'
    path.write_text(drift_junit(drift_report(drift_result(), 'q.yml', True)), encoding='utf-8')
    xml = junitparser.JUnitXml.fromfile(str(path))
    suite, = list(xml)
    assert (suite.name, suite.tests, suite.failures, suite.errors) == ('alohub.callcenter drift', 5, 5, 0)
    cases = dict((case.name, case) for case in suite)
    assert set(cases) == {'queue 1 (a)', 'queue 2 (b)', 'queue 3 (gone)', 'queue 4 (c)', 'queue 9 (ui)'}
    failure, = cases['queue 1 (a)'].result
    assert isinstance(failure, junitparser.Failure) and failure.type == 'drift' and 'strategy 1 (normal) -> 2 (vip)' in failure.text
    assert cases['queue 3 (gone)'].result[0].type == 'missing'
    assert cases['queue 4 (c)'].result[0].type == 'failed'
    # The elements and attributes the JUnit schema requires.
    root = ElementTree.parse(str(path)).getroot()
    assert root.tag == 'testsuites'
    for testsuite in root.iter('testsuite'):
        assert {'name', 'tests', 'failures', 'errors'} <= set(testsuite.attrib)
    for testcase in root.iter('testcase'):
        assert {'name', 'classname'} <= set(testcase.attrib)


def test_a_check_that_failed_is_one_errored_testcase(tmp_path):
    path = tmp_path / 'drift.xml'
    path.write_text(drift_junit(drift_report({}, 'q.yml', error='HTTP 401')), encoding='utf-8')
    suite, = list(junitparser.JUnitXml.fromfile(str(path)))
    case, = list(suite)
    assert (suite.tests, suite.errors, case.name) == (1, 1, 'drift check')
    assert isinstance(case.result[0], junitparser.Error) and case.result[0].message == 'HTTP 401'


def test_a_queue_name_cannot_break_the_xml():
    report = drift_report(dict(results=[dict(id=1, name='</testcase><x a="', changed=True,
                                             changes=[dict(setting='moh_file_id', before=']]>', after='&amp;')])]))
    root = ElementTree.fromstring(drift_junit(report).split('\n', 1)[1])
    assert root.find('testsuite/testcase').get('name') == 'queue 1 (</testcase><x a=")'


@pytest.mark.parametrize('names, expected', [
    (['fail_on_drfit', 'queues_file', 'inventory_dir'], ['fail_on_drfit (did you mean fail_on_drift?)']),
    (['alohub_api_ky'], ['alohub_api_ky (did you mean alohub_api_key?)']),
    (['backup_retention', 'strict_mode', 'plan'], []),
])
def test_unknown_vars_catches_misspellings_only(names, expected):
    known = ['queues_file', 'fail_on_drift', 'strict', 'alohub_api_key', 'alohub_api_url', 'backup_dir']
    assert unknown_vars(names, known) == expected


def test_every_filter_is_registered_and_documented():
    import os
    registered = queues.FilterModule().filters()
    here = os.path.dirname(queues.__file__)
    documented = sorted(name[:-4] for name in os.listdir(here) if name.endswith('.yml'))
    assert sorted(registered) == documented
    for name in documented:
        with open(os.path.join(here, name + '.yml'), encoding='utf-8') as handle:
            assert yaml.safe_load(handle)['DOCUMENTATION']['name'] == name
