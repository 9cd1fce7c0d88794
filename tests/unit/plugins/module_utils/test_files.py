# -*- coding: utf-8 -*-
# Copyright: (c) 2026, AloHub collection maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""files.py on a real file system: what the collection writes never follows a link, clobbers or loosens."""

from __future__ import annotations

import os
import stat

import pytest

from ansible_collections.alohub.callcenter.plugins.module_utils import files
from ansible_collections.alohub.callcenter.plugins.module_utils.errors import FileError, ValidationError
from ansible_collections.alohub.callcenter.plugins.module_utils.files import write

QUEUES = files.dump_yaml(dict(alohub_file_meta=dict(kind='queues'), alohub_inbound_queues=[dict(id=1, strategy=2)]))
PLAN = files.dump_yaml(dict(alohub_plan_meta=dict(kind='plan'), alohub_plan=[]))
BACKUP = files.dump_yaml(dict(alohub_plan_meta=dict(kind='backup', operation='apply'), alohub_plan=[]))


def mode(path):
    return stat.S_IMODE(os.lstat(path).st_mode)


def test_a_new_file_is_written_whole_and_follows_the_umask(tmp_path):
    path = tmp_path / 'queues.yml'
    old = os.umask(0o022)
    try:
        assert write(str(path), QUEUES, 'queues') is True
    finally:
        os.umask(old)
    assert path.read_text() == QUEUES and mode(path) == 0o644
    assert [p.name for p in tmp_path.iterdir()] == ['queues.yml']   # no temporary file left behind


@pytest.mark.parametrize('umask, text, kind, expected', [
    (0o077, QUEUES, 'queues', 0o600),   # a new file follows the umask: private under 077
    (0o022, QUEUES, 'queues', 0o644),   # an export is meant to be shared (committed to git)
    (0, PLAN, 'plan', 0o600),           # a plan is private whatever the umask
])
def test_a_new_file_follows_the_umask_but_a_plan_is_always_private(tmp_path, umask, text, kind, expected):
    old = os.umask(umask)
    try:
        write(str(tmp_path / 'file.yml'), text, kind)
    finally:
        os.umask(old)
    assert mode(tmp_path / 'file.yml') == expected


def test_an_existing_file_keeps_its_mode(tmp_path):
    path = tmp_path / 'queues.yml'
    path.write_text(QUEUES)
    path.chmod(0o600)
    assert write(str(path), QUEUES.replace('strategy: 2', 'strategy: 3'), 'queues') is True
    assert mode(path) == 0o600 and 'strategy: 3' in path.read_text()


def test_the_same_content_is_not_rewritten(tmp_path):
    path = tmp_path / 'queues.yml'
    write(str(path), QUEUES, 'queues')
    os.utime(path, (1, 1))
    assert write(str(path), QUEUES, 'queues') is False and path.stat().st_mtime == 1


def test_check_mode_says_what_would_change_and_writes_nothing(tmp_path):
    path = tmp_path / 'sub' / 'queues.yml'
    assert write(str(path), QUEUES, 'queues', check_mode=True) is True
    assert not (tmp_path / 'sub').exists()


def test_a_planted_symlink_is_refused_and_its_target_untouched(tmp_path):
    secret = tmp_path / 'secret'
    secret.write_text('root only')
    secret.chmod(0o600)
    link = tmp_path / 'drift.xml'
    link.symlink_to(secret)
    with pytest.raises(FileError) as info:
        write(str(link), '<x/>', 'junit')
    assert info.value.msg.startswith('%s is a symbolic link; the collection does not write through links' % link)
    assert secret.read_text() == 'root only' and mode(secret) == 0o600 and link.is_symlink()
    dangling = tmp_path / 'plan.yml'
    dangling.symlink_to(tmp_path / 'nowhere')
    with pytest.raises(FileError, match='is a symbolic link'):
        write(str(dangling), PLAN, 'plan')
    assert not (tmp_path / 'nowhere').exists()


@pytest.mark.parametrize('existing, kind, force, message', [
    (BACKUP, 'drift', False, 'is a backup, not a drift; a backup is never overwritten (it is what undoes an apply)'),
    (BACKUP, 'queues', True, 'is a backup, not a queues; a backup is never overwritten'),
    (PLAN, 'queues', True, 'is a plan, not a queues; a plan is never overwritten (it is what was reviewed)'),
    (QUEUES, 'drift', False, 'exists and is a queues, not a drift; nothing was written. Give another path, or -e force=true'),
    ('my notes\n', 'queues', False, 'exists and is not a file the collection wrote, not a queues'),
    ('\x00\xff binary', 'plan', False, 'exists and is not a file the collection wrote, not a plan'),
])
def test_a_file_of_another_kind_is_never_clobbered(tmp_path, existing, kind, force, message):
    path = tmp_path / 'f.yml'
    path.write_text(existing)
    path.chmod(0o600)
    with pytest.raises(FileError) as info:
        write(str(path), QUEUES, kind, force=force)
    assert message in info.value.msg
    assert path.read_text() == existing and mode(path) == 0o600


def test_force_replaces_a_file_that_is_not_the_collections(tmp_path):
    path = tmp_path / 'f.yml'
    path.write_text('my notes\n')
    assert write(str(path), QUEUES, 'queues', force=True) is True and path.read_text() == QUEUES


def test_a_queues_file_of_another_owner_needs_force(tmp_path):
    path = tmp_path / 'queues.yml'
    path.write_text(QUEUES)
    with pytest.raises(FileError) as info:
        write(str(path), QUEUES + '#', 'queues', same_owner=lambda old: 'is a queues file of another tenant')
    assert info.value.msg.startswith('%s is a queues file of another tenant; nothing was written' % path)
    assert write(str(path), QUEUES + '#', 'queues', same_owner=lambda old: 'is another', force=True) is True


def test_not_a_regular_file_is_refused(tmp_path):
    (tmp_path / 'dir.yml').mkdir()
    with pytest.raises(FileError, match='exists and is not a regular file'):
        write(str(tmp_path / 'dir.yml'), QUEUES, 'queues')


def test_directories_the_collection_creates_are_0700_and_an_existing_one_keeps_its_mode(tmp_path):
    shared = tmp_path / 'shared'
    shared.mkdir()
    shared.chmod(0o1777)
    write(str(shared / 'a' / 'b' / 'plan.yml'), PLAN, 'plan')
    assert mode(shared) == 0o1777
    assert mode(shared / 'a') == 0o700 and mode(shared / 'a' / 'b') == 0o700


def test_a_file_in_the_way_of_a_directory_is_named(tmp_path):
    (tmp_path / 'a').write_text('x')
    with pytest.raises(FileError, match='cannot be written: a part of its path is a file, not a directory'):
        write(str(tmp_path / 'a' / 'plan.yml'), PLAN, 'plan')
    with pytest.raises(FileError, match='is in the way: it is not a directory'):
        files.make_dirs(str(tmp_path / 'a' / 'b'))


def test_a_failed_write_leaves_the_old_file_and_no_temporary_file(tmp_path, monkeypatch):
    path = tmp_path / 'queues.yml'
    path.write_text(QUEUES)

    def no_space(*args):
        raise OSError(28, 'No space left on device')

    monkeypatch.setattr(os, 'fsync', no_space)
    with pytest.raises(OSError):
        write(str(path), QUEUES + '# more\n', 'queues')
    assert path.read_text() == QUEUES and [p.name for p in tmp_path.iterdir()] == ['queues.yml']


@pytest.mark.parametrize('data, kind', [
    (dict(alohub_file_meta=dict(kind='queues'), alohub_inbound_queues=[]), 'queues'),
    (dict(alohub_inbound_queues=[]), 'queues'),           # written before 2.0
    (dict(alohub_plan_meta=dict(kind='backup'), alohub_plan=[]), 'backup'),
    (dict(alohub_plan=[]), 'plan'),
    (dict(alohub_file_meta=dict(kind='drift'), status='clean'), 'drift'),
    (dict(alohub_file_meta=dict(kind='nonsense')), None),
    ([1], None),
])
def test_kind_of(data, kind):
    assert files.kind_of(data) == kind


def test_comment_lines_cannot_break_out_of_the_comment():
    assert files.comment('a\nb\r\x1b[2J\u2028c') == ['# a', '# b', '# \\x1b[2J', '# c']


def test_what_is_not_data_is_refused_and_numbers_and_scalars_are_written():
    with pytest.raises(ValidationError, match='holds a number that is not finite'):
        files.dump_yaml(dict(a=float('nan')))
    with pytest.raises(ValidationError, match='holds a set, which is not data'):
        files.dump_yaml(dict(a={1}))
    assert files.dump_yaml(dict(a=1.5, b=[], c={}, d=[[1, 2], {'x y': None}])) == (
        '---\na: 1.5\nb: []\nc: {}\nd:\n  - - 1\n    - 2\n  - "x y": null\n')
    assert files.dump_yaml('text') == '---\n!unsafe "text"\n' and files.dump_yaml(None) == '---\nnull\n'
    assert files.load_yaml(files.dump_yaml(dict(a=1.5, b=[], c={}, d=[[1, 2], {'x y': None}]))) == dict(
        a=1.5, b=[], c={}, d=[[1, 2], {'x y': None}])


@pytest.mark.parametrize('text, message', [
    ('a: !unsafe [1]\n', 'line 1: !unsafe is for strings only'),
    ('a: "\x00"\n', 'is not readable YAML'),
    ('a: 1\n' + 'b: ' + 'x' * (files.MAX_FILE_BYTES + 1), 'is larger than 64 MiB'),
])
def test_load_yaml_refusals(text, message):
    with pytest.raises(FileError, match=message):
        files.load_yaml(text, 'f.yml')


def test_a_file_that_is_not_text_or_not_ours_is_of_no_kind(tmp_path):
    (tmp_path / 'bin').write_bytes(b'\xff\xfe\x00')
    assert files.existing(str(tmp_path / 'bin')) == (None, None)
    (tmp_path / 'list.yml').write_text('- 1\n')
    assert files.existing_kind(str(tmp_path / 'list.yml')) == (None, {})
    assert files.meta_of([1]) == {}


def test_syncing_a_directory_that_cannot_be_opened_or_synced_is_no_error(tmp_path, monkeypatch):
    files.sync_directory(str(tmp_path / 'nowhere'))

    def refuse(fd):
        raise OSError(22, 'not supported')

    monkeypatch.setattr(os, 'fsync', refuse)
    files.sync_directory(str(tmp_path))
