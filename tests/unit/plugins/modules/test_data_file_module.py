# -*- coding: utf-8 -*-
# Copyright: (c) 2026, AloHub collection maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""The data_file module through its main(): what each kind of file holds, and what it refuses to replace."""

from __future__ import annotations

import os

from ansible_collections.alohub.callcenter.plugins.module_utils import files
from ansible_collections.alohub.callcenter.plugins.module_utils.entries import plan_digest

ITEMS = [dict(id=1001202, name='billing\x1b[2J', before=dict(max_wait_sec=None, strategy=1),
              after=dict(max_wait_sec=90, strategy=2))]
PLAN_META = dict(kind='plan', api_url='http://sim', tenant_id=None, tenant_queue_ids=[1001200], created='2026-12-03T10:00:00Z')


def queues(ids, **meta):
    return dict(alohub_file_meta=dict(dict(kind='queues', api_url='http://sim', tenant_queue_ids=ids[:2]), **meta),
                alohub_inbound_queues=[dict(id=i, strategy=1) for i in ids])


def read(path):
    with open(path, encoding='utf-8') as handle:
        return handle.read()


def test_a_plan_gets_its_header_from_its_items_and_a_digest(run_main, tmp_path):
    path = str(tmp_path / 'plan.yml')
    run = run_main('data_file', dict(path=path, kind='plan', header=['Plan of X'],
                                     data=dict(alohub_plan=ITEMS, alohub_plan_meta=PLAN_META)))
    assert run.changed and not run.failed and run.result['path'] == path
    text = read(path)
    lines = text.splitlines()
    assert lines[:3] == ['---', '# Plan of X', '#']
    assert lines[3] == ('# queue 1001202 (billing\\x1b[2J): strategy 1 (normal) -> 2 (vip)')
    assert lines[4] == ('# queue 1001202 (billing\\x1b[2J): max_wait_sec null -> 90 (cannot be undone through the API: '
                        'it cannot clear a setting)')
    data = files.load_yaml(text)
    meta = data['alohub_plan_meta']
    assert meta['irreversible'] == ['queue 1001202 (billing\\x1b[2J) max_wait_sec']
    assert meta['digest'] == run.result['digest'] == plan_digest(data['alohub_plan'], meta)
    assert data['alohub_plan'] == ITEMS and oct(os.stat(path).st_mode & 0o777) == '0o600'
    again = run_main('data_file', dict(path=path, kind='plan', header=['Plan of X'],
                                       data=dict(alohub_plan=ITEMS, alohub_plan_meta=PLAN_META)))
    assert not again.changed


def test_a_queues_file_of_another_tenant_is_not_replaced_unless_forced(run_main, tmp_path):
    path = str(tmp_path / 'queues.yml')
    assert run_main('data_file', dict(path=path, kind='queues', data=queues([1001200, 1001201]))).changed
    other = run_main('data_file', dict(path=path, kind='queues', data=queues([2002000, 2002001])))
    assert other.failed and other.msg == (
        '%s is a queues file of another tenant (its queues 1001200, 1001201... are not this tenant\'s, whose queues are '
        '2002000, 2002001...); nothing was written. Give another path, or -e force=true to replace it' % path)
    assert '1001200' in read(path)
    assert run_main('data_file', dict(path=path, kind='queues', data=queues([2002000, 2002001]), force=True)).changed
    # The same tenant, one queue fewer: replaced without force.
    assert run_main('data_file', dict(path=path, kind='queues', data=queues([2002001]))).changed


def test_a_queues_file_written_before_2_0_is_checked_by_its_ids(run_main, tmp_path):
    path = tmp_path / 'queues.yml'
    path.write_text('---\nalohub_inbound_queues:\n  - {id: 1001200, strategy: 1}\n')
    run = run_main('data_file', dict(path=str(path), kind='queues', data=queues([2002000])))
    assert run.failed and 'is a queues file of another tenant' in run.msg
    assert run_main('data_file', dict(path=str(path), kind='queues', data=queues([1001200, 1001201]))).changed


def test_tenant_ids_that_differ_tell_tenants_apart(run_main, tmp_path):
    path = str(tmp_path / 'queues.yml')
    run_main('data_file', dict(path=path, kind='queues', data=queues([1], tenant_id='20260310')))
    run = run_main('data_file', dict(path=path, kind='queues', data=queues([1], tenant_id='20260311')))
    assert run.failed and 'is a queues file of tenant 20260310, not of tenant 20260311' in run.msg


def test_target_fills_the_metadata_in_order_and_keeps_a_null_tenant(run_main, tmp_path):
    """The target comes whole (a templated nested null is an empty string on 2.16): its keys follow kind and format,
    replace what the data says of them, and a null tenant_id stays null."""
    path = str(tmp_path / 'queues.yml')
    data = dict(alohub_file_meta=dict(kind='queues', format=1, api_url='', tenant_id='', exported='now'),
                alohub_inbound_queues=[dict(id=1001200, strategy=1)])
    target = dict(api_url='http://sim', tenant_id=None, tenant_queue_ids=[1001200])
    assert run_main('data_file', dict(path=path, kind='queues', data=data, target=target)).changed
    meta = files.load_yaml(read(path))['alohub_file_meta']
    assert list(meta) == ['kind', 'format', 'api_url', 'tenant_id', 'tenant_queue_ids', 'exported']
    assert meta['api_url'] == 'http://sim' and meta['tenant_id'] is None and meta['tenant_queue_ids'] == [1001200]
    # The same tenant under another id list is still this tenant's file; another tenant's is refused.
    other = dict(target, tenant_queue_ids=[2002000])
    data['alohub_inbound_queues'] = [dict(id=2002000, strategy=1)]
    run = run_main('data_file', dict(path=path, kind='queues', data=data, target=other))
    assert run.failed and 'is a queues file of another tenant' in run.msg
    # A JUnit report has no metadata to fill.
    junit, xml = str(tmp_path / 'drift.xml'), '%s\n<testsuites/>\n' % files.JUNIT_MARK
    assert run_main('data_file', dict(path=junit, kind='junit', content=xml, target=target)).changed
    assert read(junit) == xml


def test_a_document_must_say_what_it_is(run_main, tmp_path):
    run = run_main('data_file', dict(path=str(tmp_path / 'q.yml'), kind='queues', data=dict(alohub_inbound_queues=[])))
    assert run.failed and run.msg == 'data must hold alohub_file_meta with kind: queues, so the file says what it is'
    run = run_main('data_file', dict(path=str(tmp_path / 'x.xml'), kind='junit', content='<testsuites/>'))
    assert run.failed and 'kind=junit needs content, the JUnit XML' in run.msg
    assert not (tmp_path / 'q.yml').exists() and not (tmp_path / 'x.xml').exists()


def test_a_link_is_refused_and_check_mode_writes_nothing(run_main, tmp_path):
    target = tmp_path / 'secret'
    target.write_text('x')
    (tmp_path / 'report.yml').symlink_to(target)
    run = run_main('data_file', dict(path=str(tmp_path / 'report.yml'), kind='drift',
                                     data=dict(alohub_file_meta=dict(kind='drift'), status='clean')))
    assert run.failed and 'is a symbolic link' in run.msg and read(str(target)) == 'x'
    run = run_main('data_file', dict(path=str(tmp_path / 'new.yml'), kind='drift',
                                     data=dict(alohub_file_meta=dict(kind='drift'), status='clean')), check_mode=True)
    assert run.changed and not (tmp_path / 'new.yml').exists()


def test_an_error_of_the_file_system_is_a_message(run_main, tmp_path, monkeypatch):
    def denied(path, data, mode):
        raise PermissionError(13, 'Permission denied')

    monkeypatch.setattr(files, 'atomic_write', denied)
    run = run_main('data_file', dict(path=str(tmp_path / 'q.yml'), kind='queues', data=queues([1])))
    assert run.failed and run.msg == '%s could not be written: [Errno 13] Permission denied' % (tmp_path / 'q.yml')


def test_a_junit_report_and_queues_files_of_another_api(run_main, tmp_path):
    path = str(tmp_path / 'drift.xml')
    xml = '<?xml version="1.0" encoding="UTF-8"?>\n%s\n<testsuites/>\n' % files.JUNIT_MARK
    assert run_main('data_file', dict(path=path, kind='junit', content=xml)).changed and read(path) == xml
    assert not run_main('data_file', dict(path=path, kind='junit', content=xml)).changed
    queues_path = str(tmp_path / 'q.yml')
    run_main('data_file', dict(path=queues_path, kind='queues', data=queues([1])))
    other = queues([1])
    other['alohub_file_meta']['api_url'] = 'https://xapi-dev.alohub.vn'
    run = run_main('data_file', dict(path=queues_path, kind='queues', data=other))
    assert run.failed and 'is a queues file of another API (http://sim)' in run.msg


def test_a_document_needs_its_data(run_main, tmp_path):
    run = run_main('data_file', dict(path=str(tmp_path / 'q.yml'), kind='queues'))
    assert run.failed and run.msg == 'kind=queues needs data, the document to write'
    run = run_main('data_file', dict(path=str(tmp_path / 'q.yml'), kind='plan',
                                     data=dict(alohub_plan_meta=dict(kind='plan'), alohub_plan='x')))
    assert run.failed and run.msg == 'data must hold alohub_plan, a list'
    assert not run_main('data_file', dict(path=str(tmp_path / 'q.yml'), kind='queues', data=queues([1]))).failed
    # An existing queues file that is not a mapping of entries still compares by the ids it has: none.
    (tmp_path / 'odd.yml').write_text('alohub_inbound_queues: [5]\n')
    assert run_main('data_file', dict(path=str(tmp_path / 'odd.yml'), kind='queues', data=queues([1]))).changed
