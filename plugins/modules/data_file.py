#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, AloHub collection maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
module: data_file
short_description: Write a queues file, plan or drift report of the collection, safely
version_added: 2.0.0
description:
  - Writes the files the collection's playbooks produce (a queues file, a reviewed plan, a drift report and its JUnit XML)
    on the controller, so that what they write is a trust boundary like what they read.
  - The file is written to a temporary file in its directory, synced and renamed into place, so a reader or a crash never
    sees half of it. The final path component is never followed when it is a symbolic link (the task fails, naming it),
    and an existing file of another kind is never overwritten. A plan or a backup is never overwritten, not even with
    O(force). An existing file keeps its mode; a new plan is 0600, other new files follow the umask. Directories the
    module creates are 0700; an existing directory is never changed.
  - A queues file that belongs to another API or tenant is not replaced unless O(force=true).
  - Every string is written double-quoted (tagged C(!unsafe) where Ansible would otherwise template it) with control
    characters and bidirectional controls escaped, and reads back as the same string
    (with the P(alohub.callcenter.data_file#lookup) lookup).
  - A plan gets its header comments from its items (one line per setting, naming what cannot be undone through the API)
    and a C(digest) of its items and metadata in C(alohub_plan_meta); applying a plan whose digest does not match fails.
  - The file is rewritten only when its content changes, so a second identical run reports no change.
  - M(alohub.callcenter.inbound_queues) writes its backups itself, the same way.
author:
  - AloHub collection maintainers (@alohub)
attributes:
  check_mode:
    support: full
    description: Says whether the file would change; writes nothing.
  diff_mode:
    support: none
    description: The file's lines are not shown.
options:
  path:
    description: Where to write; a relative path is relative to the directory the module runs in.
    type: path
    required: true
  kind:
    description:
      - What the file is. V(queues) holds C(alohub_inbound_queues) and C(alohub_file_meta); V(plan) holds C(alohub_plan)
        and C(alohub_plan_meta); V(drift) holds a drift report and C(alohub_file_meta); V(junit) is the drift report as
        JUnit XML, given as O(content).
    type: str
    required: true
    choices: [queues, plan, drift, junit]
  data:
    description: The document to write as YAML (every kind but V(junit)), a mapping.
    type: dict
  content:
    description: The text to write, for O(kind=junit) (what the P(alohub.callcenter.drift_junit#filter) filter returns).
    type: str
  header:
    description: Comment lines at the top of a YAML file; control characters are escaped, and each line stays one line.
    type: list
    elements: str
    default: []
  force:
    description:
      - Replace a queues file of another API or tenant, or a file that is not one of the collection's. Never a plan or a
        backup.
    type: bool
    default: false
  target:
    description:
      - The API and tenant the file is for, as the C(target) of an M(alohub.callcenter.inbound_queues) result
        (C(api_url), C(tenant_id), C(tenant_queue_ids)). Written into the file's metadata after its C(kind) and
        C(format), in place of any given there; a null C(tenant_id) stays null.
    type: dict
    version_added: 2.0.0
seealso:
  - plugin: alohub.callcenter.data_file
    plugin_type: lookup
'''

EXAMPLES = r'''
- name: Write the tenant's queues to a file
  alohub.callcenter.data_file:
    path: queues.yml
    kind: queues
    data:
      alohub_file_meta: {kind: queues, format: 1}
      alohub_inbound_queues: "{{ current.gathered }}"
    target: "{{ current.target }}"
  delegate_to: localhost
'''

RETURN = r'''
path:
  description: The file's absolute path.
  returned: always
  type: str
  sample: /srv/queues/acme.yml
kind:
  description: What was written.
  returned: always
  type: str
  sample: plan
digest:
  description: The plan's digest, as recorded in its C(alohub_plan_meta).
  returned: when O(kind=plan)
  type: str
  sample: sha256:2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae
'''

import os

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.alohub.callcenter.plugins.module_utils import files, reports
from ansible_collections.alohub.callcenter.plugins.module_utils.entries import DIGEST_KEY, plan_digest
from ansible_collections.alohub.callcenter.plugins.module_utils.errors import AlohubError, ValidationError
from ansible_collections.alohub.callcenter.plugins.module_utils.text import visible

ARGUMENT_SPEC = dict(
    path=dict(type='path', required=True),
    kind=dict(type='str', required=True, choices=['queues', 'plan', 'drift', 'junit']),
    data=dict(type='dict'),
    content=dict(type='str'),
    header=dict(type='list', elements='str', default=[]),
    force=dict(type='bool', default=False),
    target=dict(type='dict'),
)
# What target gives the metadata: where and for whom the file is.
TARGET_KEYS = ('api_url', 'tenant_id', 'tenant_queue_ids')


def _ids(data):
    """The queue ids a queues file covers (its entries' ids, or the tenant's ids it records)."""
    ids = set(entry.get('id') for entry in data.get('alohub_inbound_queues') or [] if isinstance(entry, dict))
    ids.update((files.meta_of(data).get('tenant_queue_ids') or []))
    return set(i for i in ids if isinstance(i, int) and not isinstance(i, bool))


def another_tenant(new):
    """``same_owner`` for a queues file: why the file there belongs to another API or tenant than ``new``, or None."""
    theirs = files.meta_of(new)

    def check(old):
        ours = files.meta_of(old)
        if ours.get('api_url') and theirs.get('api_url') and ours['api_url'] != theirs['api_url']:
            return 'is a queues file of another API (%s)' % visible(str(ours['api_url']))
        if ours.get('tenant_id') and theirs.get('tenant_id') and str(ours['tenant_id']) != str(theirs['tenant_id']):
            return 'is a queues file of tenant %s, not of tenant %s' % (visible(str(ours['tenant_id'])),
                                                                        visible(str(theirs['tenant_id'])))
        old_ids, new_ids = _ids(old), _ids(new)
        if old_ids and new_ids and not old_ids & new_ids:
            return ('is a queues file of another tenant (its queues %s... are not this tenant\'s, whose queues are %s...)'
                    % (', '.join(str(i) for i in sorted(old_ids)[:3]), ', '.join(str(i) for i in sorted(new_ids)[:3])))
        return None
    return check


def with_target(kind, data, target):
    """``data`` with the target's keys in its metadata, after ``kind`` and ``format`` (a template cannot pass a null
    through a nested option on every ansible-core line: 2.16 renders it as an empty string, so the target comes whole)."""
    if not target or not isinstance(data, dict) or kind == 'junit':
        return data
    meta_key = files.META_KEYS[kind]
    meta = data.get(meta_key) if isinstance(data.get(meta_key), dict) else {}
    head = [(key, meta[key]) for key in ('kind', 'format') if key in meta]
    rest = [(key, value) for key, value in meta.items() if key not in ('kind', 'format') + TARGET_KEYS]
    data = dict(data)
    data[meta_key] = dict(head + [(key, target.get(key)) for key in TARGET_KEYS] + rest)
    return data


def render(kind, data, content, header):
    """The text of the file, and the plan's digest for a plan."""
    if kind == 'junit':
        if content is None or files.JUNIT_MARK not in content:
            raise ValidationError('kind=junit needs content, the JUnit XML the alohub.callcenter.drift_junit filter returns')
        return content, None
    if data is None:
        raise ValidationError('kind=%s needs data, the document to write' % kind)
    meta_key, data_key = files.META_KEYS[kind], files.DATA_KEYS[kind]
    meta = data.get(meta_key)
    if not isinstance(meta, dict) or meta.get('kind') != kind:
        raise ValidationError('data must hold %s with kind: %s, so the file says what it is' % (meta_key, kind))
    if kind in ('queues', 'plan') and not isinstance(data.get(data_key), list):
        raise ValidationError('data must hold %s, a list' % data_key)
    digest = None
    header = list(header)
    if kind == 'plan':
        meta = dict(meta)
        meta['irreversible'] = reports.irreversible(data[data_key])
        meta[DIGEST_KEY] = digest = plan_digest(data[data_key], meta)
        data = dict(data)
        data[meta_key] = meta
        header += [''] + (reports.plan_lines(data[data_key]) or ['no change'])
    # The metadata first: it says what the file is and whom it is for.
    ordered = dict([(meta_key, data[meta_key])] + [(key, value) for key, value in data.items() if key != meta_key])
    return files.dump_yaml(ordered, header), digest


def main():
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True,
                           mutually_exclusive=[('data', 'content')])
    params = module.params
    path = os.path.abspath(params['path'])
    try:
        data = with_target(params['kind'], params['data'], params['target'])
        text, digest = render(params['kind'], data, params['content'], params['header'])
        same_owner = another_tenant(data) if params['kind'] == 'queues' else None
        changed = files.write(path, text, params['kind'], same_owner, params['force'], module.check_mode)
    except AlohubError as exc:
        module.fail_json(msg=exc.msg, path=path)
    except OSError as exc:
        module.fail_json(msg='%s could not be written: %s' % (visible(path), visible(str(exc))), path=path)
    result = dict(changed=changed, path=path, kind=params['kind'])
    if digest:
        result['digest'] = digest
    module.exit_json(**result)


if __name__ == '__main__':
    main()
