# -*- coding: utf-8 -*-
# Copyright: (c) 2026, AloHub collection maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
name: data_file
short_description: Read a YAML file (queues file, plan, backup) as data that is never templated
version_added: 1.1.0
author:
  - AloHub collection maintainers (@alohub)
description:
  - Reads a YAML (or JSON, or vault-encrypted) file and returns its content, or one key of it, as data.
  - Every string in it is marked unsafe, so no template in the file ever runs, whether or not the file tags its strings
    C(!unsafe). Queue names, music file names and every other value are kept exactly as written.
  - The collection's playbooks read queues files, plans and backups with it, because a queue name can be chosen by anyone
    who can rename a queue in the AloHub UI.
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

_TYPES = dict(list=(list,), dict=(dict,), any=(object,))
_SHAPES = dict(list='a list', dict='a mapping', any='data')


class LookupModule(LookupBase):

    def run(self, terms, variables=None, **kwargs):
        self.set_options(var_options=variables, direct=kwargs)
        key, kind, what = self.get_option('key'), self.get_option('type'), self.get_option('what')
        if len(terms) != 1:
            raise AnsibleLookupError('data_file reads one file; got %d' % len(terms))
        path = os.path.abspath(os.path.expanduser(to_text(terms[0])))
        if not os.path.isfile(path):
            raise AnsibleLookupError('%s does not exist (or is not a file); %s was expected there' % (path, what))
        try:
            data = self._loader.load_from_file(path, cache='none')
        except Exception as exc:  # the loader's YAML and vault errors  # pylint: disable=broad-except
            raise AnsibleLookupError('%s is not readable YAML (%s was expected): %s' % (path, what, to_text(exc)))
        if key is not None:
            if not isinstance(data, dict) or key not in data:
                raise AnsibleLookupError('%s must hold %s named %s (%s)' % (path, _SHAPES[kind], key, what))
            data = data[key]
        if not isinstance(data, _TYPES[kind]) or (kind == 'list' and isinstance(data, str)):
            raise AnsibleLookupError('%s must hold %s%s; it holds %s (%s)' % (
                path, _SHAPES[kind], ' named %s' % key if key else '', _kind(data), what))
        return [wrap_var(_untagged(data))]


def _kind(value):
    for kinds, name in (((dict,), 'a mapping'), ((list, tuple), 'a list'), ((str,), 'a string'), ((bool,), 'a boolean'),
                        ((int, float), 'a number'), ((type(None),), 'null')):
        if isinstance(value, kinds):
            return name
    return type(value).__name__


def _untagged(value):
    """Plain copies (dict, list, str...), so nothing of the loader's own string types, tags or trust survives."""
    if isinstance(value, dict):
        return dict((_untagged(k), _untagged(v)) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return [_untagged(item) for item in value]
    if isinstance(value, str):
        return str.__str__(value)  # str() keeps Ansible's own string subclasses
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    return value
