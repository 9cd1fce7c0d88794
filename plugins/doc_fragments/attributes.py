# -*- coding: utf-8 -*-
# Copyright: (c) 2026, AloHub collection maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment:
    """Attributes the collection's modules share."""

    # Every module: the action group that module_defaults can name.
    DOCUMENTATION = r'''
attributes:
  action_group:
    support: full
    membership: [alohub.callcenter.alohub]
    description: Use C(group/alohub.callcenter.alohub) in C(module_defaults) to set the connection options once.
'''

    # Modules that change queues.
    CHANGES = r'''
attributes:
  check_mode:
    support: full
    description: Reports what would change and the predicted records; sends no update.
  diff_mode:
    support: full
    description: Shows each changed queue before and after, as normalised records headed with its id and name.
'''

    # Modules that only read.
    READS = r'''
attributes:
  check_mode:
    support: full
    description: Reads as in a normal run.
  diff_mode:
    support: none
    description: Nothing changes, so there is nothing to show.
'''
