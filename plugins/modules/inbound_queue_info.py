#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, AloHub collection maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
module: inbound_queue_info
short_description: List the inbound call queues of an AloHub tenant
version_added: 1.0.0
description:
  - Without options, returns every inbound queue of the tenant, reading the list page by page until the
    C(totalRecord) the API reports. The server may serve fewer queues per page than asked; that is handled,
    and queues seen twice (pages can shift while they are read) are returned once.
  - With O(id), returns that one queue; with O(name), only the queues with exactly that name.
  - Never changes anything; an unknown O(id) or O(name) returns an empty list rather than failing.
  - Complete or failed. Without O(id), the module fails, rather than return part of the list, when it cannot read
    as many distinct queues as the API's C(totalRecord) says (after reading the list a second time, in case it changed
    while it was read), and when a record is not of the documented shape (an id that is not a positive integer,
    a name that is not a string, and so on); the message names the record and the field.
author:
  - AloHub collection maintainers (@alohub)
extends_documentation_fragment:
  - alohub.callcenter.connection
  - alohub.callcenter.attributes
  - alohub.callcenter.attributes.reads
options:
  id:
    description:
      - Return only the queue with this id (one request). Mutually exclusive with O(name).
    type: int
  name:
    description:
      - Return only the queues with exactly this name. Mutually exclusive with O(id).
    type: str
seealso:
  - module: alohub.callcenter.inbound_queue
  - module: alohub.callcenter.inbound_queues
'''

EXAMPLES = r'''
- name: Read every inbound queue of the tenant
  alohub.callcenter.inbound_queue_info:
  delegate_to: localhost
  register: aq

- name: Show the queues that have no hold music
  ansible.builtin.debug:
    msg: "{{ aq.queues | selectattr('moh_file_id', 'none') | map(attribute='name') | list }}"

- name: Read one queue
  alohub.callcenter.inbound_queue_info:
    id: 1001226
  delegate_to: localhost
  register: one

- name: Find the queues named support
  alohub.callcenter.inbound_queue_info:
    name: support
  delegate_to: localhost
  register: support
'''

RETURN = r'''
queues:
  description:
    - The queues, as normalised records (the same shape O(alohub.callcenter.inbound_queues#module:config) takes).
    - Empty when O(id) or O(name) matches nothing.
  returned: success
  type: list
  elements: dict
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
      sample: 1
    strategy_name:
      description: Strategy name (V(normal), V(vip), V(blacklist), V(divert), V(locked)), or null.
      type: str
      sample: normal
    moh_file_id:
      description: Hold music file name (C(musicinQueue)).
      type: str
      sample: waiting.wav
    max_wait_sec:
      description: Maximum wait in seconds (C(timeWait), a string on the wire).
      type: int
      sample: 120
    announce_position:
      description: Whether the position is announced (C(nguongRanhRoi)), or null when unset.
      type: bool
      sample: null
    agent_selector:
      description: Agent selection algorithm, as the API returns it (read-only).
      type: raw
      sample: null
    number:
      description: Phone number of the queue (read-only).
      type: str
      sample: null
total:
  description:
    - The number of queues the tenant has (C(totalRecord)) whenever the list was read; null for an O(id) lookup.
  returned: success
  type: int
  sample: 42
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

from ansible_collections.alohub.callcenter.plugins.module_utils import queue_model, runner
from ansible_collections.alohub.callcenter.plugins.module_utils.errors import NotFoundError

ARGUMENT_SPEC = dict(
    id=dict(type='int'),
    name=dict(type='str'),
)


def run(module, client):
    """Read one queue by id, the queues named exactly ``name``, or every queue."""
    queue_id, name = module.params['id'], module.params['name']
    result = dict(changed=False, check_mode=module.check_mode, target=client.target)
    if queue_id is not None:
        try:
            record = client.get(queue_model.queue_id(queue_id))
        except NotFoundError:
            record = None   # info modules report absence, they do not fail on it
        return dict(result, queues=[record] if record else [], total=None)
    if name is not None:
        name = queue_model.queue_name(name)
    listing = client.list_all()
    queues = listing.queues if name is None else [queue for queue in listing.queues if queue['name'] == name]
    return dict(result, queues=queues, total=listing.total)


def main():
    module = runner.alohub_module(ARGUMENT_SPEC, mutually_exclusive=[('id', 'name')], supports_check_mode=True)
    runner.execute(module, run)


if __name__ == '__main__':
    main()
