# -*- coding: utf-8 -*-
# Copyright: (c) 2026, AloHub collection maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
name: extra_vars
short_description: The names of the variables given on the command line with -e
version_added: 2.0.0
author:
  - AloHub collection maintainers (@alohub)
description:
  - Returns the names of the extra variables of this run (C(-e name=value), C(-e @file.yml), or JSON given to C(-e)), as
    C(ansible-playbook) parsed them, without their values.
  - The collection's playbooks check them against the variables they take, so that a variable they do not take
    (C(-e plan=plan.yml) for C(plan_file)) fails the run instead of being ignored.
  - Empty when the run has no command line (a playbook run through Python's API).
options: {}
'''

EXAMPLES = r'''
- name: Fail on an -e variable this playbook does not take
  ansible.builtin.assert:
    that: query('alohub.callcenter.extra_vars') | difference(['queues_file', 'plan_file']) | length == 0
'''

RETURN = r'''
_raw:
  description: The names, sorted.
  type: list
  elements: str
'''

from ansible import context
from ansible.plugins.lookup import LookupBase
from ansible.utils.vars import load_extra_vars


class LookupModule(LookupBase):

    def run(self, terms, variables=None, **kwargs):
        self.set_options(var_options=variables, direct=kwargs)
        if not context.CLIARGS or not context.CLIARGS.get('extra_vars'):
            return []
        return sorted(str(name) for name in load_extra_vars(self._loader))
