# -*- coding: utf-8 -*-
# Copyright: (c) 2026, AloHub collection maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
name: latest_backup
short_description: The newest backup an apply wrote in a directory
version_added: 2.0.0
author:
  - AloHub collection maintainers (@alohub)
description:
  - Returns the path of the newest backup (by the time its metadata records) that C(playbooks/apply.yml) wrote in the
    directory, that is the file that undoes the last apply. A rollback's own backup is never picked, so rolling back
    twice with C(-e backup_file=latest) does not re-apply the change.
  - C(playbooks/rollback.yml) uses it for C(-e backup_file=latest).
  - Fails, naming the directory, when it holds no backup of an apply.
options:
  _terms:
    description: The backup directory (one).
    required: true
    type: list
    elements: path
  api_url:
    description:
      - Only backups made for this API (the C(api_url) of the run, as its C(alohub_api_url) or E(ALOHUB_API_URL) gives
        it), so that a directory the environments of one inventory share gives each its own newest backup.
    type: str
  tenant_id:
    description: Only backups made for this tenant, when both the backup and the run know the tenant id.
    type: str
'''

EXAMPLES = r'''
- name: Which backup would a rollback apply?
  ansible.builtin.debug:
    msg: "{{ lookup('alohub.callcenter.latest_backup', 'alohub-backups') }}"
'''

RETURN = r'''
_raw:
  description: The backup's absolute path.
  type: list
  elements: path
'''

import os

from ansible.errors import AnsibleLookupError
from ansible.module_utils.common.text.converters import to_text
from ansible.plugins.lookup import LookupBase

from ansible_collections.alohub.callcenter.plugins.module_utils import backups
from ansible_collections.alohub.callcenter.plugins.module_utils.errors import AlohubError


class LookupModule(LookupBase):

    def run(self, terms, variables=None, **kwargs):
        self.set_options(var_options=variables, direct=kwargs)
        if len(terms) != 1:
            raise AnsibleLookupError('latest_backup takes one directory; got %d' % len(terms))
        try:
            return [backups.latest(os.path.expanduser(to_text(terms[0])), self.get_option('api_url'),
                                   self.get_option('tenant_id'))]
        except AlohubError as exc:
            raise AnsibleLookupError(exc.msg)
