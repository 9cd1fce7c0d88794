# -*- coding: utf-8 -*-
# Copyright: (c) 2026, AloHub collection maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Backups: the plan that undoes an apply, written before its first update.

A backup is a plan (``alohub_plan``: each item's ``before`` is what the apply
sets, its ``after`` what the queue held) with its metadata first
(``alohub_plan_meta``: kind ``backup``, the operation, the API and tenant, the
time, the digest). It is on disk, complete and synced, before the first
update is sent: whatever the server accepts can be rolled back even if the
process dies the next instant. As the answers arrive, the ids the server
accepted are appended, one line each, to ``alohub_backup_accepted`` (the
file stays valid YAML after every line). Rolling back applies the backup as a
plan: an item whose queue still holds its ``after`` (the update never took)
is already rolled back, so a backup of an interrupted apply undoes exactly
what the server accepted.

When the apply ends, the backup is rewritten with the updates that took (or
may have: a PUT whose answer was lost), or removed when none did.

Imports files, entries, text and errors.
"""

from __future__ import annotations

import os
import re
import threading

from ansible_collections.alohub.callcenter.plugins.module_utils import files
from ansible_collections.alohub.callcenter.plugins.module_utils.entries import DIGEST_KEY, plan_digest
from ansible_collections.alohub.callcenter.plugins.module_utils.errors import FileError
from ansible_collections.alohub.callcenter.plugins.module_utils.text import shown_url, visible

ACCEPTED_KEY = 'alohub_backup_accepted'
STOPPED_KEY = 'alohub_backup_stopped'
FORMAT = 1
HEADER = ('Backup of an alohub.callcenter %s: the plan that undoes it.',
          'Roll back with: ansible-playbook alohub.callcenter.rollback -e backup_file=THIS_FILE',
          '(or -e backup_file=latest for the newest backup of an apply in its directory).',
          'alohub_backup_accepted lists the queues whose update the server accepted; an item whose queue still holds',
          'its "after" value was never changed, and rolling back leaves it alone.')


def tenant_label(target):
    """How a backup file is named after its tenant: ``tenant-20260310`` or ``tenant-of-queue-1001200``."""
    if target.get('tenant_id'):
        return 'tenant-%s' % re.sub(r'[^A-Za-z0-9._-]', '_', str(target['tenant_id']))[:64]
    ids = target.get('tenant_queue_ids') or []
    return 'tenant-of-queue-%d' % ids[0] if ids else 'tenant-empty'


def inverse(item):
    """The backup item of one applied plan item (before and after swapped)."""
    return dict(id=item['id'], name=item['name'], before=dict(item['after']), after=dict(item['before']))


def document(items, meta):
    """The backup's text: header, metadata (with its digest) first, the items, then the accepted list (empty)."""
    meta = dict(meta)
    meta[DIGEST_KEY] = plan_digest(items, meta)
    header = [line % meta.get('operation', 'apply') if '%s' in line else line for line in HEADER]
    text = files.dump_yaml({'alohub_plan_meta': meta, 'alohub_plan': items}, header)
    return text + '%s:\n' % ACCEPTED_KEY


class Journal:
    """A backup on disk, told as the answers arrive which updates the server accepted."""

    def __init__(self, directory, target, meta, items, now):
        if os.path.islink(directory):
            raise FileError('backup_dir %s is a symbolic link; the collection does not write through links (another '
                            'user may have planted it): give the real directory' % visible(directory))
        files.make_dirs(directory)
        stamp = now.strftime('%Y%m%dT%H%M%S.%fZ')
        self.path = os.path.join(os.path.abspath(directory), '%s-%s.yml' % (tenant_label(target), stamp))
        self.meta = meta
        self.items = dict((item['id'], item) for item in items)
        self.accepted = []
        self.uncertain = []
        self._lock = threading.Lock()
        files.check_target(self.path, 'backup')
        files.atomic_write(self.path, document(items, meta).encode('utf-8'), 0o600)
        self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND)

    def accepted_update(self, queue_id):
        """The server accepted the update of ``queue_id``: on disk before this returns."""
        with self._lock:
            self.accepted.append(queue_id)
            os.write(self._fd, ('- %d\n' % queue_id).encode('ascii'))
            os.fsync(self._fd)

    def uncertain_update(self, queue_id):
        """The update of ``queue_id`` was sent but its answer lost: it may have taken, so the backup keeps it."""
        with self._lock:
            self.uncertain.append(queue_id)

    def finish(self, stopped=None):
        """Rewrite the backup with the updates that took (or may have), or remove it when none did.

        Returns the backup's path, or None when it was removed.
        """
        os.close(self._fd)
        kept = [self.items[queue_id] for queue_id in self.items if queue_id in self.accepted or queue_id in self.uncertain]
        if not kept:
            os.unlink(self.path)
            files.sync_directory(os.path.dirname(self.path))
            return None
        text = document(kept, self.meta)
        text += ''.join('- %d\n' % queue_id for queue_id in self.accepted)
        if stopped:
            text += files.dump_yaml({STOPPED_KEY: stopped})[4:]
        files.atomic_write(self.path, text.encode('utf-8'), 0o600)
        return self.path


def latest(directory, api_url=None, tenant_id=None):
    """The newest backup an apply wrote in ``directory`` (never a rollback's own): its path, or a FileError.

    ``api_url`` and ``tenant_id``, when given, leave out backups made for another API or tenant (a directory shared by
    the environments of one inventory holds the backups of each).
    """
    directory = os.path.abspath(directory)
    api_url = shown_url(api_url) if api_url else None
    if not os.path.isdir(directory):
        raise FileError('backup_file=latest: %s is not a directory, so it holds no backup' % visible(directory))
    found = []
    for name in sorted(os.listdir(directory)):
        path = os.path.join(directory, name)
        if not name.endswith(('.yml', '.yaml')) or os.path.islink(path) or not os.path.isfile(path):
            continue
        kind, meta = files.existing_kind(path)
        if kind != 'backup' or meta.get('operation') != 'apply':
            continue
        if api_url and meta.get('api_url') and meta['api_url'] != api_url:
            continue
        if tenant_id and meta.get('tenant_id') and str(meta['tenant_id']) != str(tenant_id):
            continue
        found.append((str(meta.get('created') or ''), name, path))
    if not found:
        made_for = ''
        if api_url:
            made_for = ' made for %s' % visible(api_url)
            if tenant_id:
                made_for += ' (tenant %s)' % visible(str(tenant_id))
        raise FileError('backup_file=latest: %s holds no backup of an apply%s (rollbacks\' own backups are not '
                        'picked); give the backup with -e backup_file=PATH' % (visible(directory), made_for))
    return max(found)[2]
