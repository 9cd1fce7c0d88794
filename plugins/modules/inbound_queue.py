#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, AloHub collection maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
module: inbound_queue
short_description: Configure one AloHub inbound call queue
version_added: 1.0.0
description:
  - Sets the strategy, hold music, maximum wait and position announcement of one inbound call queue of an AloHub tenant.
  - Idempotent. The module reads the queue, compares only the settings given (after normalising both sides,
    so C(max_wait_sec=180) equals the API's C("180")), and sends a partial update with only the settings that differ.
    When nothing differs it sends no update and reports no change.
  - After an update it reads the queue again and fails if the server did not apply it.
  - Queues cannot be created or deleted through the AloHub API; this module only updates existing queues.
author:
  - AloHub collection maintainers (@alohub)
extends_documentation_fragment:
  - alohub.callcenter.connection
  - alohub.callcenter.attributes
  - alohub.callcenter.attributes.changes
options:
  id:
    description:
      - The queue's id (C(callinId)). Exactly one of O(id) and O(name) is required.
    type: int
  name:
    description:
      - The queue's exact name. It must match exactly one queue of the tenant; none or several fail the task (listing the matching ids).
      - Finding a queue by name reads the whole queue list; O(id) needs a single request.
    type: str
  strategy:
    description:
      - How calls are handled. A name (V(normal), V(vip), V(blacklist), V(divert), V(locked))
        or its code (V(1), V(2), V(3), V(4), V(99)), also as a quoted string.
    type: raw
  moh_file_id:
    description:
      - Hold music (music on hold) file name, for example V(waiting.wav). A string; quote a name made of digits.
      - Checked by the module rather than converted by Ansible, so that a list or a boolean given by mistake fails
        instead of being sent as its text (V(['a.wav']), V(True)).
    type: raw
  max_wait_sec:
    description:
      - Maximum time a caller waits in the queue, in seconds (0 or more).
    type: int
  announce_position:
    description:
      - Whether callers hear their position in the queue.
    type: bool
notes:
  - At least one of O(strategy), O(moh_file_id), O(max_wait_sec) and O(announce_position) is required.
  - Settings that are not given are left as they are; the API cannot clear a setting.
seealso:
  - module: alohub.callcenter.inbound_queue_info
  - module: alohub.callcenter.inbound_queues
'''

EXAMPLES = r'''
- name: Route queue 1001226 as VIP with a three-minute maximum wait
  alohub.callcenter.inbound_queue:
    id: 1001226
    strategy: vip
    max_wait_sec: 180
  delegate_to: localhost

- name: Turn on position announcements for the queue named "support-hn"
  alohub.callcenter.inbound_queue:
    name: support-hn
    announce_position: true
    moh_file_id: waiting.wav
  delegate_to: localhost

- name: Set the connection once for a whole play
  hosts: localhost
  gather_facts: false
  module_defaults:
    group/alohub.callcenter.alohub:
      api_url: https://xapi.alohub.vn
      api_key: "{{ vault_alohub_api_key }}"
      auth_header: x-api-key
      tenant_id: "20260310"
  tasks:
    - name: Temporarily lock a queue
      alohub.callcenter.inbound_queue:
        id: 1001226
        strategy: locked
'''

RETURN = r'''
queue:
  description:
    - The queue after the task, as a normalised record. In check mode, the record as it would be.
  returned: success
  type: dict
  contains:
    id:
      description: Queue id (C(callinId)).
      type: int
      sample: 1001226
    name:
      description: Queue name (C(callinName)).
      type: str
      sample: test
    strategy:
      description: Strategy code (1 normal, 2 VIP, 3 blacklist, 4 divert, 99 temporarily locked), or null when unset.
      type: int
      sample: 2
    strategy_name:
      description: Strategy name (V(normal), V(vip), V(blacklist), V(divert), V(locked)), or null.
      type: str
      sample: vip
    moh_file_id:
      description: Hold music file name (C(musicinQueue)).
      type: str
      sample: waiting.wav
    max_wait_sec:
      description: Maximum wait in seconds (C(timeWait), a string on the wire).
      type: int
      sample: 180
    announce_position:
      description: Whether the position is announced (C(nguongRanhRoi)), or null when unset.
      type: bool
      sample: true
    agent_selector:
      description: Agent selection algorithm, as the API returns it (read-only).
      type: raw
      sample: null
    number:
      description: Phone number of the queue (read-only).
      type: str
      sample: "02873001234"
diff:
  description: The queue before and after, as normalised records. Shown with C(--diff).
  returned: changed and diff mode
  type: dict
  sample:
    before: {id: 1001226, name: test, strategy: 1, strategy_name: normal, max_wait_sec: 120}
    after: {id: 1001226, name: test, strategy: 2, strategy_name: vip, max_wait_sec: 180}
status:
  description: V(ok) (the queue already holds what was asked), V(would_change) (check mode) or V(changed).
  returned: success
  type: str
  sample: changed
  version_added: 2.0.0
changes:
  description: One item per setting that changed (or would), with its value before and after, normalised.
  returned: success
  type: list
  elements: dict
  sample: [{setting: max_wait_sec, before: 120, after: 180}]
  version_added: 2.0.0
check_mode:
  description: Whether this was a dry run.
  returned: always
  type: bool
  sample: false
  version_added: 2.0.0
target:
  description: The API the task talked to (C(api_url) without user info) and the C(tenant_id) sent, or null.
  returned: unless the connection options were invalid
  type: dict
  sample: {api_url: "https://xapi.alohub.vn", tenant_id: null}
  version_added: 2.0.0
'''

from ansible_collections.alohub.callcenter.plugins.module_utils import reconcile, runner

ARGUMENT_SPEC = dict(
    id=dict(type='int'),
    name=dict(type='str'),
    strategy=dict(type='raw'),
    moh_file_id=dict(type='raw'),
    max_wait_sec=dict(type='int'),
    announce_position=dict(type='bool'),
)


def run(module, client):
    """Reconcile the one queue; the result the module returns."""
    return reconcile.sync_one(client, module.params, module.check_mode, module._diff)


def main():
    # "id or name" and "at least one setting" are checked by reconcile.sync_one, after Ansible's own
    # checks: a misspelt option is then reported as such, not as a missing setting.
    module = runner.alohub_module(ARGUMENT_SPEC, mutually_exclusive=[('id', 'name')], supports_check_mode=True)
    runner.execute(module, run)


if __name__ == '__main__':
    main()
