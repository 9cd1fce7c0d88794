# -*- coding: utf-8 -*-
# Copyright: (c) 2026, AloHub collection maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""The filters the role and playbooks print and write with, in process."""

from __future__ import annotations

import os
from xml.etree import ElementTree

import junitparser
import pytest
import yaml

from ansible.errors import AnsibleFilterError
from ansible.parsing.dataloader import DataLoader

from ansible_collections.alohub.callcenter.plugins.filter import queues
from ansible_collections.alohub.callcenter.plugins.filter.queues import (
    abspath, drift_junit, drift_lines, drift_report, plan_lines, promotion_lines, result_lines, to_inert_yaml, unknown_vars,
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
        'would change: queue 1001227 (%s): moh_file_id null -> "a.wav" (cannot be undone through the API: it cannot '
        'clear a setting)' % TEMPLATE,
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


def test_plan_lines_name_what_cannot_be_undone():
    assert plan_lines([dict(id=5, name='x', before=dict(max_wait_sec=None), after=dict(max_wait_sec=90))]) == [
        'queue 5 (x): max_wait_sec null -> 90 (cannot be undone through the API: it cannot clear a setting)']


def test_lines_show_control_characters_escaped():
    name = 'x\x1b[2J\x1b[3J\x1b[HPLAY RECAP: nothing\u202e\nfake: line'
    line, = plan_lines([dict(id=5, name=name, before=dict(strategy=1), after=dict(strategy=2))])
    assert line == 'queue 5 (x\\x1b[2J\\x1b[3J\\x1b[HPLAY RECAP: nothing\\u202e\\x0afake: line): strategy 1 (normal) -> 2 (vip)'
    assert all(c.isprintable() for c in line)


def test_result_lines():
    result = dict(summary=dict(total=3, changed=1, unchanged=1, failed=1, unmanageable=1), plan=PLAN[:1], check_mode=False,
                  unmanageable=[dict(id=9, name='ui', setting=None, reason='the queue is not in config')],
                  results=[dict(status='ok', error=None), dict(status='missing', error='config[2]: queue 42 was not found')],
                  backup_file='/b/tenant-1.yml')
    assert result_lines(result) == [
        '3 queue entries: 1 changed, 1 unchanged, 1 failed, 1 unmanageable',
        'changed: queue 1001226 (test): strategy 1 (normal) -> 2 (vip)',
        'changed: queue 1001226 (test): max_wait_sec 120 -> 180',
        'cannot fix: queue 9 (ui): the queue is not in config',
        'missing: config[2]: queue 42 was not found',
        'backup of what changed: /b/tenant-1.yml',
    ]
    assert result_lines(dict(check_mode=True), 'plan items') == [
        '0 plan items: 0 would change, 0 unchanged, 0 failed (check mode: nothing was sent)']
    assert result_lines(dict(status='failed', msg='GET x failed: HTTP 401', results=[])) == [
        '0 queue entries: 0 changed, 0 unchanged, 0 failed', 'failed: GET x failed: HTTP 401']
    assert result_lines(dict(already_applied=True, summary=dict(total=1, unchanged=1)), 'plan items')[1].startswith(
        'already applied: every queue of the plan holds its "after" values')


def drift_result():
    return dict(
        status='failed',
        summary=dict(total=6, changed=1, unchanged=1, failed=4, unmanageable=2),
        results=[
            dict(id=1, name='a', entry='q.yml entry 1 (a)', status='would_change', changed=True,
                 changes=[dict(setting='strategy', before=1, after=2)], error=None),
            dict(id=2, name='b', entry='q.yml entry 2 (b)', status='unmanageable', changed=False, changes=[], error=None),
            dict(id=3, name='gone', entry='q.yml entry 3 (gone)', status='missing', changed=False,
                 error='q.yml entry 3 (gone): queue 3 was not found'),
            dict(id=4, name='c', entry='q.yml entry 4 (c)', status='failed', changed=False, error='GET ... failed: HTTP 503'),
            dict(id=None, name='support', entry='q.yml entry 5 (support)', status='ambiguous', changed=False,
                 matching_ids=[7, 8], error='q.yml entry 5 (support): 2 inbound queues are named "support"'),
            dict(id=6, name='old', entry='q.yml entry 6 (id 6)', status='renamed', changed=False,
                 error='q.yml entry 6 (id 6): queue 6 (new) is named "new" now, not "old"'),
            dict(id=9, name='ui', entry=None, status='unmanaged', changed=False, changes=[], error=None),
        ],
        unmanageable=[dict(id=2, name='b', setting='moh_file_id', reason='q.yml entry 2 (b) leaves moh_file_id unset'),
                      dict(id=9, name='ui', setting=None, reason='the queue is not in config')])


def test_promotion_lines_a_verdict_then_every_queue_by_name():
    result = drift_result()
    result['excluded'] = ['test', 'zz\x1b[2J']
    # A queue that changes and still differs where the API cannot clear a setting says both.
    result['unmanageable'].append(dict(id=1, name='a', setting='moh_file_id', reason='dev entry 1 (a) leaves moh_file_id unset'))
    lines = promotion_lines(result, 'dev', 'prod')
    assert lines[0] == ('NOT PROMOTABLE: 1 queue(s) of dev would change in prod; 4 cannot be resolved by name in prod '
                        '(gone, c, support, old): leave them out with -e \'{"exclude": ["gone", "c", "support", "old"]}\', '
                        'or make the names match; 2 will still differ where the API cannot clear a setting (below)')
    assert lines[1:] == [
        'name     target id   where, and what happens',
        'a        1           will change: strategy 1 (normal) -> 2 (vip); but cannot be made the same: dev entry 1 (a) '
        'leaves moh_file_id unset',
        'b        2           cannot be made the same: q.yml entry 2 (b) leaves moh_file_id unset',
        'c        4           failed: GET ... failed: HTTP 503',
        'gone     3           only in dev',
        'old      6           renamed: q.yml entry 6 (id 6): queue 6 (new) is named "new" now, not "old"',
        'support  -           several in prod (ids 7, 8)',
        'ui       9           only in prod',
        'left out (include/exclude): 2 queue(s) of dev: test, zz\\x1b[2J',
    ]
    clean = dict(status='ok', results=[r for r in result['results'] if r['status'] in ('would_change', 'unmanaged')],
                 unmanageable=[u for u in result['unmanageable'] if u['id'] == 9])   # the unmanaged queue: not counted
    assert promotion_lines(clean, 'queues/base.yml', 'prod')[0] == (
        'PROMOTION: 1 queue(s) of queues/base.yml would change in prod; 0 cannot be resolved by name in prod')
    assert promotion_lines(dict(status='failed', msg='GET x failed: HTTP 401\x07', results=[]), 'dev', 'prod') == [
        'ERROR: the promotion could not be planned: GET x failed: HTTP 401\\x07']


def test_drift_report_reads_each_status_and_tells_drift_from_a_failed_check():
    report = drift_report(drift_result(), 'q.yml', True)
    assert (report['status'], report['entries'], report['drifted'], report['failed'], report['unmanageable']) == (
        'error', 6, 6, 1, 2)
    assert report['drifted_ids'] == [1, 2, 3, 6, 7, 8, 9] and report['failed_ids'] == [4]
    assert [q['status'] for q in report['queues']] == ['drift', 'drift', 'missing', 'failed', 'ambiguous', 'renamed',
                                                       'unmanaged']
    assert report['queues'][4]['matching_ids'] == [7, 8] and report['queues'][4]['id'] is None
    clean = drift_report(dict(summary=dict(total=1), results=[dict(id=1, name='a', status='ok', changed=False)]), 'q.yml')
    assert clean['status'] == 'clean' and clean['drifted'] == 0
    drifted = drift_report(dict(results=drift_result()['results'][:3]))
    assert drifted['status'] == 'drift'
    broken = drift_report(dict(status='failed', msg='GET ... failed: HTTP 401 UNAUTHORIZED', results=[]))
    assert broken['status'] == 'error' and broken['error'].endswith('401 UNAUTHORIZED') and broken['queues'] == []
    unreadable = drift_report({}, '/w/q.yml', error="Task failed: The lookup plugin 'x' failed: /w/q.yml does not exist")
    assert unreadable['status'] == 'error' and unreadable['error'] == '/w/q.yml does not exist'
    relative = drift_report({}, 'q.yml', error="Task failed: x: %s/q.yml does not exist" % os.getcwd())
    assert relative['error'] == '%s/q.yml does not exist' % os.getcwd() and relative['queues_file'] == 'q.yml'


def test_drift_lines():
    lines = drift_lines(drift_report(drift_result(), 'q.yml', True))
    assert lines[0] == 'DRIFT: 6 queue(s) drifted from q.yml (6 entries, strict), 1 failed; live value -> value in the file'
    assert 'queue 1 (a): strategy 1 (normal) -> 2 (vip)' in lines
    assert 'queue 3 (gone): missing: q.yml entry 3 (gone): queue 3 was not found' in lines
    assert 'q.yml entry 5 (support): ambiguous: q.yml entry 5 (support): 2 inbound queues are named "support"' in lines
    assert 'queue 9 (ui): the queue is not in config' in lines
    assert drift_lines(drift_report({}, 'q.yml', error='boom')) == ['ERROR: the drift check failed, so drift is unknown: boom']


def test_drift_junit_is_read_by_a_junit_parser(tmp_path):
    path = tmp_path / 'drift.xml'
    path.write_text(drift_junit(drift_report(drift_result(), 'q.yml', True)), encoding='utf-8')
    xml = junitparser.JUnitXml.fromfile(str(path))
    suite, = list(xml)
    assert (suite.name, suite.tests, suite.failures, suite.errors) == ('alohub.callcenter drift', 7, 7, 0)
    cases = dict((case.name, case) for case in suite)
    assert set(cases) == {'queue 1 (a)', 'queue 2 (b)', 'queue 3 (gone)', 'queue 4 (c)', 'q.yml entry 5 (support)',
                          'queue 6 (old)', 'queue 9 (ui)'}
    failure, = cases['queue 1 (a)'].result
    assert isinstance(failure, junitparser.Failure) and failure.type == 'drift' and 'strategy 1 (normal) -> 2 (vip)' in failure.text
    assert dict((name, case.result[0].type) for name, case in cases.items()) == {
        'queue 1 (a)': 'drift', 'queue 2 (b)': 'drift', 'queue 3 (gone)': 'missing', 'queue 4 (c)': 'failed',
        'q.yml entry 5 (support)': 'ambiguous', 'queue 6 (old)': 'renamed', 'queue 9 (ui)': 'unmanaged'}
    assert cases['queue 9 (ui)'].result[0].message == 'the tenant has this queue; the file does not list it (unmanaged)'
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
    report = drift_report(dict(results=[dict(id=1, name='</testcase><x a="', status='would_change', changed=True,
                                             changes=[dict(setting='moh_file_id', before=']]>', after='&amp;')])]))
    root = ElementTree.fromstring(drift_junit(report).split('\n', 2)[2])
    assert root.find('testsuite/testcase').get('name') == 'queue 1 (</testcase><x a=")'


@pytest.mark.parametrize('name', ['a\x1bb', 'a\x00b', 'a\ud800b', 'a\ufffeb', 'a\x0cb', 'a\u202eb', 'a\x85b'])
def test_control_characters_in_a_name_stay_valid_xml_shown_as_escapes(tmp_path, name):
    report = drift_report(dict(results=[dict(id=1, name=name, status='would_change', changed=True,
                                             changes=[dict(setting='moh_file_id', before=name, after='b.wav')])]))
    path = tmp_path / 'drift.xml'
    path.write_bytes(drift_junit(report).encode('utf-8'))
    case, = list(list(junitparser.JUnitXml.fromfile(str(path)))[0])
    assert case.name.startswith('queue 1 (a\\') and case.name.isprintable()
    ElementTree.parse(str(path))


@pytest.mark.parametrize('names, expected', [
    (['fail_on_drfit', 'queues_file', 'inventory_dir'], ['fail_on_drfit (did you mean fail_on_drift?)']),
    (['alohub_api_ky'], ['alohub_api_ky (did you mean alohub_api_key?)']),
    (['backup_retention', 'strict_mode', 'plan'], []),
])
def test_unknown_vars_catches_misspellings_only(names, expected):
    known = ['queues_file', 'fail_on_drift', 'strict', 'alohub_api_key', 'alohub_api_url', 'backup_dir']
    assert unknown_vars(names, known) == expected


def test_unknown_vars_every_says_what_a_files_key_is():
    assert unknown_vars(['alohub_inbound_queues', 'alohub_plan_meta', 'plan'], ['alohub_inbound_queues_parallel', 'plan_file'],
                        0.6, True) == [
        'alohub_inbound_queues (that is what a queues file holds: name the file instead)',
        'alohub_plan_meta (that is what a backup or plan file holds: name the file instead)',
        'plan (did you mean plan_file?)']
    assert unknown_vars(['alohub_plan'], []) == []


def test_unknown_vars_every_lists_the_others_too():
    assert unknown_vars(['plan', 'reviewed_plan'], ['plan_file', 'queues_file'], 0.6, True) == [
        'plan (did you mean plan_file?)', 'reviewed_plan']


def test_abspath_does_not_resolve_links(tmp_path, monkeypatch):
    (tmp_path / 'real').mkdir()
    (tmp_path / 'link').symlink_to(tmp_path / 'real')
    monkeypatch.chdir(tmp_path)
    assert abspath('link') == str(tmp_path / 'link') and abspath('~') != '~'


def test_every_filter_is_registered_and_documented():
    import os
    registered = queues.FilterModule().filters()
    here = os.path.dirname(queues.__file__)
    documented = sorted(name[:-4] for name in os.listdir(here) if name.endswith('.yml'))
    assert sorted(registered) == documented
    for name in documented:
        with open(os.path.join(here, name + '.yml'), encoding='utf-8') as handle:
            assert yaml.safe_load(handle)['DOCUMENTATION']['name'] == name
