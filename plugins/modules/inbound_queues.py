#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, AloHub collection maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
module: inbound_queues
short_description: Configure many AloHub inbound call queues in one task
version_added: 1.0.0
description:
  - A declarative bulk module in the style of Ansible's network resource modules.
  - With O(state=merged), applies the settings of every entry of O(config) and leaves other settings and other queues alone.
    It validates every entry before sending anything, reads the current state with the list endpoint
    (a few paged requests, not one per queue), sends a partial update only to the queues that differ, with only
    the settings that differ, then reads them back to verify.
  - A queue that fails (not found, ambiguous name, rejected update) does not stop the others; the task fails at the end,
    with one result per entry and a summary.
  - With O(state=gathered), returns the current settings of every queue as O(config) entries, ready to be saved and applied later.
author:
  - AloHub collection maintainers (@alohub)
extends_documentation_fragment:
  - alohub.callcenter.connection
  - alohub.callcenter.attributes
  - alohub.callcenter.attributes.changes
options:
  config:
    description:
      - The queues and their wanted settings. Each entry is shaped like the options of M(alohub.callcenter.inbound_queue),
        and like the records M(alohub.callcenter.inbound_queue_info) returns, so those can be fed back unchanged.
      - A setting that is null or absent is left alone (the API cannot clear a setting).
      - Required with O(state=merged); ignored with O(state=gathered).
    type: list
    elements: dict
    suboptions:
      id:
        description:
          - The queue's id (an integer). When given, it identifies the queue.
          - Checked by the module rather than by Ansible, so that a bad value names its entry (for example C(config[3].id)).
        type: raw
      name:
        description:
          - The queue's exact name. Identifies the queue when O(config[].id) is absent; it must then match exactly one queue.
          - Given beside O(config[].id), it must equal the queue's current name, or the entry fails (names cannot be changed).
        type: str
      strategy:
        description:
          - A name (V(normal), V(vip), V(blacklist), V(divert), V(locked)) or its code (V(1), V(2), V(3), V(4), V(99)), also quoted.
        type: raw
      moh_file_id:
        description:
          - Hold music file name (a string; quote a name made of digits).
          - Checked by the module rather than converted by Ansible, so that a list or a boolean given by mistake fails
            naming its entry instead of being sent as its text.
        type: raw
      max_wait_sec:
        description:
          - Maximum wait in seconds (an integer, 0 or more).
        type: raw
      announce_position:
        description:
          - Whether callers hear their position (a boolean).
        type: raw
      strategy_name:
        description:
          - Read-only; accepted and ignored so that gathered records can be fed back.
        type: raw
      agent_selector:
        description:
          - Read-only; accepted and ignored.
        type: raw
      number:
        description:
          - Read-only; accepted and ignored.
        type: raw
  state:
    description:
      - V(merged) applies O(config). V(gathered) returns the current settings as RV(gathered) and changes nothing.
    type: str
    choices: [merged, gathered]
    default: merged
  parallel:
    description:
      - How many updates may be in flight at once. Requests are paced from the rate-limit headers either way.
    type: int
    default: 4
seealso:
  - module: alohub.callcenter.inbound_queue
  - module: alohub.callcenter.inbound_queue_info
  - ref: alohub.callcenter.inbound_queues role <ansible_collections.alohub.callcenter.inbound_queues_role>
    description: Applies a list of queues kept in git.
'''

EXAMPLES = r'''
- name: Apply queue settings kept in the inventory
  alohub.callcenter.inbound_queues:
    config:
      - id: 1001226
        strategy: vip
        max_wait_sec: 180
      - name: support-hn
        announce_position: true
  delegate_to: localhost

- name: Save the tenant's queues to a file
  alohub.callcenter.inbound_queues:
    state: gathered
  delegate_to: localhost
  register: current

- name: Write them as YAML
  ansible.builtin.copy:
    content: "{{ {'alohub_inbound_queues': current.gathered} | to_nice_yaml(indent=2) }}"
    dest: queues.yml
    mode: "0644"
  delegate_to: localhost

- name: Show drift without changing anything
  alohub.callcenter.inbound_queues:
    config: "{{ alohub_inbound_queues }}"
  check_mode: true
  diff: true
  delegate_to: localhost
'''

RETURN = r'''
results:
  description: One result per O(config) entry, in order.
  returned: state is merged
  type: list
  elements: dict
  contains:
    id:
      description: The queue's id (or the id asked for, when it was not found).
      type: int
      sample: 1001226
    name:
      description: The queue's name.
      type: str
      sample: test
    changed:
      description: Whether the queue was (or, in check mode, would be) updated.
      type: bool
      sample: true
    diff:
      description: The queue before and after as normalised records, when it changed; null otherwise.
      type: dict
      sample: {before: {id: 1001226, strategy: 1}, after: {id: 1001226, strategy: 2}}
    error:
      description: Why this entry failed, or null.
      type: str
      sample: null
summary:
  description: Counts over RV(results).
  returned: state is merged
  type: dict
  contains:
    total:
      description: Entries in O(config).
      type: int
      sample: 3
    changed:
      description: Queues updated (or that would be, in check mode).
      type: int
      sample: 1
    unchanged:
      description: Queues already as wanted.
      type: int
      sample: 1
    failed:
      description: Entries that failed.
      type: int
      sample: 1
gathered:
  description:
    - The tenant's queues as O(config) entries (id, name and the four settings), sorted by id.
  returned: state is gathered
  type: list
  elements: dict
  sample:
    - {id: 1001226, name: test, strategy: 1, moh_file_id: waiting.wav, max_wait_sec: 120, announce_position: null}
total:
  description: The number of queues the tenant has (C(totalRecord)).
  returned: state is gathered
  type: int
  sample: 42
'''

from ansible.module_utils.common.validation import check_type_bool, check_type_int

from ansible_collections.alohub.callcenter.plugins.module_utils import queue_model, reconcile, runner
from ansible_collections.alohub.callcenter.plugins.module_utils.errors import AlohubError

MAX_PARALLEL = 16

# The keys a config entry may have. The module checks entries itself rather
# than through argument-spec suboptions: that way a bad value names its entry
# (Ansible's own message only says "found in 'config'"), and a malformed
# config cannot stop Ansible (2.19, 2.20) from masking api_key in the result.
ENTRY_KEYS = ('id', 'name', 'strategy', 'moh_file_id', 'max_wait_sec', 'announce_position',
              'strategy_name', 'agent_selector', 'number')
ENTRY_TYPES = (('id', check_type_int, 'an integer'),
               ('max_wait_sec', check_type_int, 'an integer'),
               ('announce_position', check_type_bool, 'a boolean'))


def check_entries(config):
    """Check keys and convert types of every entry in place; a message naming the bad entry, or None."""
    for index, entry in enumerate(config or []):
        unknown = sorted(str(key) for key in entry if key not in ENTRY_KEYS)
        if unknown:
            return 'config[%d] has unsupported keys %s; supported: %s' % (index, ', '.join(unknown), ', '.join(ENTRY_KEYS))
        for option, convert, what in ENTRY_TYPES:
            value = entry.get(option)
            if value is None:
                continue
            try:
                entry[option] = convert(value)
            except (TypeError, ValueError) as exc:
                return 'config[%d].%s must be %s: %s' % (index, option, what, exc)
    return None


def main():
    module = runner.alohub_module(
        dict(
            config=dict(type='list', elements='dict'),
            state=dict(type='str', default='merged', choices=['merged', 'gathered']),
            parallel=dict(type='int', default=4),
        ),
        required_if=[('state', 'merged', ['config'])],
        supports_check_mode=True,
    )
    parallel = module.params['parallel']
    if not 1 <= parallel <= MAX_PARALLEL:
        module.fail_json(msg='parallel must be between 1 and %d; got %d' % (MAX_PARALLEL, parallel))
    problem = check_entries(module.params['config'])
    if problem:
        module.fail_json(msg=problem)

    def action(client):
        if module.params['state'] == 'gathered':
            return gathered(client)
        return merged(client)

    def gathered(client):
        if module.params['config']:
            module.warn('config is ignored with state=gathered')
        records, total = client.list_all()
        queues = sorted((queue_model.normalise(r) for r in records), key=lambda q: q['id'])
        return dict(changed=False, gathered=[queue_model.to_config(q) for q in queues], total=total)

    def merged(client):
        entries = reconcile.parse_entries(module.params['config'])
        records, dummy = client.list_all()
        reconcile.resolve(entries, [queue_model.normalise(r) for r in records])
        updated = reconcile.apply_many(client, entries, module.check_mode, parallel)
        reconcile.verify_many(client, updated, client.last_list_pages)
        results, summary = reconcile.summarise(entries)
        result = dict(changed=summary['changed'] > 0, results=results, summary=summary)
        diffs = [r['diff'] for r in results if r['diff']]
        if module._diff and diffs:
            result['diff'] = diffs
        if summary['failed']:
            errors = [r['error'] for r in results if r['error']]
            raise BulkFailure(summary, errors, result)
        return result

    runner.run(module, action, pool_size=parallel)


class BulkFailure(AlohubError):
    """Some entries failed; the others were processed. Carries the full result."""

    def __init__(self, summary, errors, result):
        shown = '; '.join(errors[:5]) + ('; ...' if len(errors) > 5 else '')
        super().__init__('%d of %d queue entries failed (%d changed, %d unchanged): %s'
                         % (summary['failed'], summary['total'], summary['changed'], summary['unchanged'], shown),
                         **result)


if __name__ == '__main__':
    main()
