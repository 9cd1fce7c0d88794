# -*- coding: utf-8 -*-
# Copyright: (c) 2026, AloHub collection maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Write-ahead backups and stopping: what the server accepted is on disk before the next thing happens."""

from __future__ import annotations

import datetime
import os
import signal

import pytest

from ansible_collections.alohub.callcenter.plugins.module_utils import backups, files, interrupt, reconcile
from ansible_collections.alohub.callcenter.plugins.module_utils.client import QueueClient
from ansible_collections.alohub.callcenter.plugins.module_utils.entries import plan_digest
from ansible_collections.alohub.callcenter.plugins.module_utils.errors import (
    ApiError, BulkFailure, FileError, TransportError,
)

NOW = datetime.datetime(2026, 12, 3, 10, 0, 0, 123456, tzinfo=datetime.timezone.utc)
TARGET = dict(api_url='https://gw.example.test/api', tenant_id=None, tenant_queue_ids=[1, 2, 3])
ITEMS = [dict(id=1, name='a', before=dict(strategy=2), after=dict(strategy=1)),
         dict(id=2, name='b', before=dict(max_wait_sec=90), after=dict(max_wait_sec=None))]


def load(path):
    with open(path, encoding='utf-8') as handle:
        return files.load_yaml(handle.read(), path)


def test_a_journal_is_a_complete_backup_before_anything_is_accepted(tmp_path):
    meta = dict(kind='backup', operation='apply', created='2026-12-03T10:00:00Z', **TARGET)
    journal = backups.Journal(str(tmp_path / 'b'), TARGET, meta, ITEMS, NOW)
    assert journal.path == str(tmp_path / 'b' / 'tenant-of-queue-1-20261203T100000.123456Z.yml')
    assert oct(os.stat(journal.path).st_mode & 0o777) == '0o600' and oct(os.stat(tmp_path / 'b').st_mode & 0o777) == '0o700'
    data = load(journal.path)
    assert data['alohub_plan'] == ITEMS and data[backups.ACCEPTED_KEY] is None
    assert data['alohub_plan_meta']['digest'] == plan_digest(ITEMS, meta)
    assert list(data)[0] == 'alohub_plan_meta'   # what the file is comes first
    journal.accepted_update(2)
    assert load(journal.path)[backups.ACCEPTED_KEY] == [2]   # on disk, valid YAML, after every line
    journal.accepted_update(1)
    assert load(journal.path)[backups.ACCEPTED_KEY] == [2, 1]
    assert journal.finish() == journal.path
    final = load(journal.path)
    assert final['alohub_plan'] == ITEMS and final[backups.ACCEPTED_KEY] == [2, 1]


def test_a_finished_journal_keeps_what_took_or_may_have_and_goes_when_nothing_did(tmp_path):
    meta = dict(kind='backup', operation='apply', **TARGET)
    journal = backups.Journal(str(tmp_path), TARGET, meta, ITEMS, NOW)
    journal.uncertain_update(2)
    path = journal.finish('SIGTERM received: 0 update(s) accepted, 1 not sent')
    data = load(path)
    assert [item['id'] for item in data['alohub_plan']] == [2] and data[backups.ACCEPTED_KEY] is None
    assert data[backups.STOPPED_KEY] == 'SIGTERM received: 0 update(s) accepted, 1 not sent'
    assert data['alohub_plan_meta']['digest'] == plan_digest(data['alohub_plan'], data['alohub_plan_meta'])
    nothing = backups.Journal(str(tmp_path / 'n'), TARGET, meta, ITEMS, NOW)
    assert nothing.finish() is None and os.listdir(str(tmp_path / 'n')) == []


def test_tenant_labels():
    assert backups.tenant_label(dict(tenant_id='20260310')) == 'tenant-20260310'
    assert backups.tenant_label(dict(tenant_id='../x y')) == 'tenant-.._x_y'
    assert backups.tenant_label(dict(tenant_queue_ids=[5, 9])) == 'tenant-of-queue-5'
    assert backups.tenant_label({}) == 'tenant-empty'


def write_backup(directory, name, operation, created, **where):
    meta = dict(kind='backup', operation=operation, created=created, **where)
    files.write(os.path.join(directory, name), files.dump_yaml(dict(alohub_plan_meta=meta, alohub_plan=[])), 'backup')


def test_latest_is_the_newest_backup_of_an_apply_never_a_rollbacks_own(tmp_path):
    write_backup(str(tmp_path), 'a.yml', 'apply', '2026-12-01T10:00:00Z')
    write_backup(str(tmp_path), 'b.yml', 'apply', '2026-12-02T10:00:00Z')
    write_backup(str(tmp_path), 'c.yml', 'rollback', '2026-12-03T10:00:00Z')
    (tmp_path / 'plan.yml').write_text(files.dump_yaml(dict(alohub_plan_meta=dict(kind='plan', created='2027'), alohub_plan=[])))
    (tmp_path / 'z.yml').symlink_to(tmp_path / 'a.yml')
    assert backups.latest(str(tmp_path)) == str(tmp_path / 'b.yml')


def test_latest_in_a_directory_shared_by_environments_is_the_newest_of_the_api_and_tenant_asked(tmp_path):
    directory = str(tmp_path)
    write_backup(directory, 'dev.yml', 'apply', '2026-12-02T09:00:00Z', api_url='https://dev.example/xapi', tenant_id='11')
    write_backup(directory, 'prod-a.yml', 'apply', '2026-12-01T09:00:00Z', api_url='https://prod.example/xapi', tenant_id='10')
    write_backup(directory, 'prod-b.yml', 'apply', '2026-12-01T10:00:00Z', api_url='https://prod.example/xapi', tenant_id='12')
    write_backup(directory, 'old.yml', 'apply', '2026-11-01T10:00:00Z')   # 1.x: where it was made is not known
    assert backups.latest(directory) == str(tmp_path / 'dev.yml')
    # The run's URL as given (credentials and a trailing slash are not part of what a backup records).
    assert backups.latest(directory, 'https://user:pw@prod.example/xapi/') == str(tmp_path / 'prod-b.yml')
    assert backups.latest(directory, 'https://prod.example/xapi', '10') == str(tmp_path / 'prod-a.yml')
    assert backups.latest(directory, 'https://prod.example/xapi', 10) == str(tmp_path / 'prod-a.yml')
    # A backup that does not say where it was made is not left out: rollback checks its tenant before sending.
    assert backups.latest(directory, 'https://staging.example/xapi') == str(tmp_path / 'old.yml')
    os.remove(str(tmp_path / 'old.yml'))
    with pytest.raises(FileError, match=r'holds no backup of an apply made for https://staging.example/xapi \(tenant 7\)'):
        backups.latest(directory, 'https://staging.example/xapi', '7')


def test_latest_without_a_backup_of_an_apply_says_so(tmp_path):
    with pytest.raises(FileError, match='is not a directory, so it holds no backup'):
        backups.latest(str(tmp_path / 'none'))
    write_backup(str(tmp_path), 'c.yml', 'rollback', '2026-12-03T10:00:00Z')
    with pytest.raises(FileError, match="holds no backup of an apply \\(rollbacks' own backups are not picked\\)"):
        backups.latest(str(tmp_path))


# ---------------------------------------------------------------------------
# sync_many with a backup directory
# ---------------------------------------------------------------------------

@pytest.fixture
def tenant(record):
    return [record(n, 'q%d' % n, strategy=1, timeWait='120') for n in range(1, 6)]


def many(api, backup_dir, **kwargs):
    try:
        return reconcile.sync_many(QueueClient(api), backup_dir=str(backup_dir), **kwargs), None
    except BulkFailure as failure:
        return failure.fail_kwargs(), failure


def test_the_backup_is_on_disk_before_the_first_put_and_records_each_accepted_one(fake_api, tenant, tmp_path):
    seen = []

    class Watching(fake_api):
        def request(self, method, path, params=None, body=None):
            if method == 'PUT':
                backup, = list((tmp_path / 'b').iterdir())
                data = load(str(backup))
                seen.append(([item['id'] for item in data['alohub_plan']], data[backups.ACCEPTED_KEY]))
            return super().request(method, path, params, body)

    api = Watching(tenant)
    result, failure = many(api, tmp_path / 'b', config=[dict(id=n, strategy=2) for n in (1, 2, 3)], parallel=1)
    assert failure is None
    assert seen == [([1, 2, 3], None), ([1, 2, 3], [1]), ([1, 2, 3], [1, 2])]
    data = load(result['backup_file'])
    assert data[backups.ACCEPTED_KEY] == [1, 2, 3]
    assert data['alohub_plan'] == [dict(id=n, name='q%d' % n, before=dict(strategy=2), after=dict(strategy=1))
                                   for n in (1, 2, 3)]
    meta = data['alohub_plan_meta']
    assert (meta['kind'], meta['operation'], meta['tenant_queue_ids']) == ('backup', 'apply', [1, 2, 3, 4, 5])


def test_a_put_refused_is_left_out_of_the_backup_and_a_put_unanswered_stays_in(fake_api, tenant, tmp_path):
    api = fake_api(tenant, errors={('PUT', 2): ApiError('PUT', 'u', 400, 'INVALID_INPUT', 'no'),
                                   ('PUT', 3): TransportError('PUT', 'u', 'connection closed without an answer')})
    result, failure = many(api, tmp_path, config=[dict(id=n, strategy=2) for n in (1, 2, 3)], parallel=1)
    data = load(result['backup_file'])
    assert [item['id'] for item in data['alohub_plan']] == [1, 3] and data[backups.ACCEPTED_KEY] == [1]


def test_no_backup_is_left_when_nothing_changed(fake_api, tenant, tmp_path):
    api = fake_api(tenant, errors={('PUT', 1): ApiError('PUT', 'u', 400, 'INVALID_INPUT', 'no')})
    result, failure = many(api, tmp_path / 'b', config=[dict(id=1, strategy=2)])
    assert result['backup_file'] is None and list((tmp_path / 'b').iterdir()) == []
    result, failure = many(fake_api(tenant), tmp_path / 'c', config=[dict(id=1, strategy=1)])
    assert result['backup_file'] is None and not (tmp_path / 'c').exists()   # no PUT at all: not even a directory


def test_rolling_back_a_backup_is_a_rollback_and_backs_itself_up(fake_api, tenant, tmp_path):
    api = fake_api(tenant)
    applied, dummy = many(api, tmp_path, config=[dict(id=1, strategy=3)])
    data = load(applied['backup_file'])
    back, failure = many(api, tmp_path, plan=data['alohub_plan'], source_meta=data['alohub_plan_meta'])
    assert failure is None and api.find(1)['strategy'] == 1
    assert load(back['backup_file'])['alohub_plan_meta']['operation'] == 'rollback'
    assert backups.latest(str(tmp_path)) == applied['backup_file']
    again, failure = many(api, tmp_path, plan=data['alohub_plan'], source_meta=data['alohub_plan_meta'])
    assert failure is None and again['already_applied'] and again['backup_file'] is None


class Flag:
    """An interrupt that is set once ``after`` PUTs were sent."""

    def __init__(self, api, after):
        self.api, self.after, self.reason = api, after, None

    def is_set(self):
        if len(self.api.puts()) >= self.after:
            self.reason = 'SIGTERM received'
        return self.reason is not None

    def trap(self):
        return interrupt.Interrupt(links=[]).trap()


@pytest.mark.parametrize('parallel', [1, 3])
def test_a_stopped_run_sends_no_new_put_records_what_was_accepted_and_says_so(fake_api, tenant, tmp_path, parallel):
    api = fake_api(tenant)
    result, failure = many(api, tmp_path, config=[dict(id=n, strategy=2) for n in range(1, 6)], parallel=parallel,
                           interrupt=Flag(api, 2))
    sent = len(api.puts())
    assert 2 <= sent <= 2 + parallel - 1
    assert sorted(r['status'] for r in result['results']) == sorted(['changed'] * sent + ['not_sent'] * (5 - sent))
    assert result['status'] == 'failed' and result['changed'] is True
    assert ('stopped (SIGTERM received): %d update(s) were accepted, %d not sent; the backup %s undoes them; rerun the '
            'same command to complete it' % (sent, 5 - sent, result['backup_file'])) in failure.msg
    data = load(result['backup_file'])
    assert len(data['alohub_plan']) == sent and data[backups.STOPPED_KEY].startswith('SIGTERM received: %d' % sent)
    # The rerun completes it.
    rest, failure = many(api, tmp_path, config=[dict(id=n, strategy=2) for n in range(1, 6)])
    assert failure is None and rest['summary']['changed'] == 5 - sent


def test_the_first_signal_in_the_trap_only_sets_the_flag():
    flag = interrupt.Interrupt(links=[])
    with flag.trap():
        os.kill(os.getpid(), signal.SIGTERM)
        assert flag.is_set() and flag.reason == 'SIGTERM received'
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL or signal.getsignal(signal.SIGTERM) != flag._handle


def test_a_controller_that_is_gone_sets_the_flag():
    tree = {10: (9, b'python AnsiballZ_inbound_queues.py'), 9: (8, b'/bin/sh -c python'), 8: (7, b'ansible-playbook x'),
            7: (1, b'ansible-playbook x')}
    links = interrupt.controller_links(start=10, stat=tree.get)
    assert links == [(10, 9), (9, 8), (8, 7)]
    flag = interrupt.Interrupt(links=links, stat=tree.get)
    assert not flag.is_set()
    tree[8] = (1, b'ansible-playbook x')   # the controller died: its worker was re-parented
    assert flag.is_set() and flag.reason.startswith('the controller (ansible-playbook) is gone')


def test_without_an_ansible_controller_above_nothing_is_watched():
    tree = {10: (9, b'python -m pytest'), 9: (1, b'bash')}
    assert interrupt.controller_links(start=10, stat=tree.get) == []
    assert interrupt.controller_links(start=10, stat=lambda pid: None) == []


def test_a_backup_dir_that_is_a_link_is_refused(tmp_path):
    (tmp_path / 'real').mkdir()
    (tmp_path / 'link').symlink_to(tmp_path / 'real')
    with pytest.raises(FileError, match='backup_dir .* is a symbolic link'):
        backups.Journal(str(tmp_path / 'link'), TARGET, dict(kind='backup'), ITEMS, NOW)
    assert list((tmp_path / 'real').iterdir()) == []


def test_the_trap_works_in_the_main_thread_only_and_a_second_signal_ends_the_process(monkeypatch):
    import threading
    flag = interrupt.Interrupt(links=[])
    seen = []

    def worker():
        with flag.trap():
            seen.append(signal.getsignal(signal.SIGTERM))

    thread = threading.Thread(target=worker)
    thread.start()
    thread.join()
    assert seen == [signal.getsignal(signal.SIGTERM)]   # not replaced outside the main thread
    killed = []
    monkeypatch.setattr(os, 'kill', lambda pid, signum: killed.append((pid, signum)))
    with flag.trap():
        flag._handle(signal.SIGINT, None)
        assert flag.reason == 'SIGINT received' and killed == []
        flag._handle(signal.SIGINT, None)
        assert killed == [(os.getpid(), signal.SIGINT)] and signal.getsignal(signal.SIGINT) is signal.SIG_DFL


def test_the_process_table_is_read_from_proc():
    parent, cmdline = interrupt._stat(os.getpid())
    assert parent == os.getppid() and cmdline
    assert interrupt._stat(2 ** 30) is None
    assert interrupt.Interrupt().is_set() is False   # pytest is not under an ansible-playbook worker


def test_a_controller_whose_worker_vanished_is_gone_too():
    tree = {10: (9, b'python x'), 9: (8, b'ansible-playbook x'), 8: (7, b'ansible-playbook x')}
    flag = interrupt.Interrupt(links=[(10, 9), (9, 8)], stat=tree.get)
    del tree[9]
    assert flag.is_set()
