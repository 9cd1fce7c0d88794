# -*- coding: utf-8 -*-
# Copyright: (c) 2026, AloHub collection maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
name: data_file
short_description: Read a YAML file (queues file, plan, backup) as data that is never templated
version_added: 2.0.0
author:
  - AloHub collection maintainers (@alohub)
description:
  - Reads a YAML (or JSON, or vault-encrypted) file and returns its content, or one key of it, as data.
  - Every string in it is marked unsafe, so no template in the file ever runs, whether or not the file tags its strings
    C(!unsafe). Queue names, music file names and every other value are kept exactly as written.
  - The collection's playbooks read queues files, plans and backups with it, because a queue name can be chosen by anyone
    who can rename a queue in the AloHub UI.
  - It reads within bounds no queues file or plan needs to pass, quickly and with a message naming the file and line
    (since 2.0.0). It refuses YAML anchors and aliases (an alias bomb of a few hundred bytes would take gigabytes),
    files over 64 MiB, more than 1,500,000 values and lists of more than 50,000 items (the most queues a tenant can have).
  - It refuses values YAML would silently turn into something else than was typed (since 2.0.0). A number with a leading
    zero is octal for YAML 1.1 (C(017) is 15, C(0123) is 83), C(12:30) is 750 (base 60), C(1_000) is 1000, and an
    unquoted date is a date. Each fails with "quote it".
options:
  _terms:
    description: The file to read (one); a relative path is relative to the directory ansible-playbook runs in.
    required: true
    type: list
    elements: path
  key:
    description:
      - Return only this top-level key of the file, and fail, naming the file and the key, when it is missing
        or is not of O(type).
    type: str
  type:
    description: What O(key) (or the whole file, without O(key)) must hold.
    type: str
    choices: [list, dict, any]
    default: any
  what:
    description: What the file is, for messages (for example C(a queues file, as playbooks/export.yml writes)).
    type: str
    default: a YAML data file
  kind:
    description:
      - The kinds of the collection's files the file may be (its metadata's C(kind), C(queues) for a queues file written
        before 2.0.0); any other fails, naming the kind it is. Empty accepts any file.
    type: list
    elements: str
    choices: [queues, plan, backup, drift]
    default: []
    version_added: 2.0.0
'''

EXAMPLES = r'''
- name: Read the queues of a queues file, never templating them
  ansible.builtin.set_fact:
    alohub_inbound_queues: "{{ lookup('alohub.callcenter.data_file', 'queues.yml', key='alohub_inbound_queues', type='list') }}"
'''

RETURN = r'''
_raw:
  description: The file's content (or the value of O(key)), with every string marked unsafe.
  type: list
  elements: raw
'''

import os

from ansible.errors import AnsibleLookupError
from ansible.module_utils.common.text.converters import to_text
from ansible.plugins.lookup import LookupBase
from ansible.utils.unsafe_proxy import wrap_var

from ansible_collections.alohub.callcenter.plugins.module_utils import files
from ansible_collections.alohub.callcenter.plugins.module_utils.errors import AlohubError
from ansible_collections.alohub.callcenter.plugins.module_utils.text import visible

_TYPES = dict(list=(list,), dict=(dict,), any=(object,))
_SHAPES = dict(list='a list', dict='a mapping', any='data')


class LookupModule(LookupBase):

    def run(self, terms, variables=None, **kwargs):
        self.set_options(var_options=variables, direct=kwargs)
        key, kind, what = self.get_option('key'), self.get_option('type'), self.get_option('what')
        kinds = self.get_option('kind') or []
        if len(terms) != 1:
            raise AnsibleLookupError('data_file reads one file; got %d' % len(terms))
        path = os.path.abspath(os.path.expanduser(to_text(terms[0])))
        shown = visible(path)
        if not os.path.isfile(path):
            raise AnsibleLookupError('%s does not exist (or is not a file); %s was expected there' % (shown, what))
        if os.path.getsize(path) > files.MAX_FILE_BYTES:
            raise AnsibleLookupError('%s is larger than %d MiB, more than %s needs' % (
                shown, files.MAX_FILE_BYTES // 1048576, what))
        try:
            raw, dummy = self._loader._get_file_contents(path)   # decrypts a vault-encrypted file
            data = files.load_yaml(to_text(raw, errors='surrogate_or_strict'), path)
        except AlohubError as exc:
            raise AnsibleLookupError('%s (%s was expected)' % (exc.msg, what))
        except Exception as exc:  # the loader's vault and I/O errors  # pylint: disable=broad-except
            raise AnsibleLookupError('%s is not readable (%s was expected): %s' % (shown, what, visible(to_text(exc))))
        found = files.kind_of(data)
        if kinds and found not in kinds:
            raise AnsibleLookupError('%s is %s, not %s (%s was expected)' % (
                shown, 'a %s file' % found if found else 'not a file of the collection', ' or '.join(
                    'a %s' % k for k in kinds), what))
        if key is not None:
            if not isinstance(data, dict) or key not in data:
                raise AnsibleLookupError('%s must hold %s named %s (%s)' % (shown, _SHAPES[kind], key, what))
            data = data[key]
        if not isinstance(data, _TYPES[kind]) or (kind == 'list' and isinstance(data, str)):
            raise AnsibleLookupError('%s must hold %s%s; it holds %s (%s)' % (
                shown, _SHAPES[kind], ' named %s' % key if key else '', _kind(data), what))
        return [wrap_var(data)]


def _kind(value):
    for kinds, name in (((dict,), 'a mapping'), ((list, tuple), 'a list'), ((str,), 'a string'), ((bool,), 'a boolean'),
                        ((int, float), 'a number'), ((type(None),), 'null')):
        if isinstance(value, kinds):
            return name
    return type(value).__name__
