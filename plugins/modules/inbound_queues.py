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
  - With O(state=overridden), O(config) is the tenant's complete desired state. The settings given are applied as with
    O(state=merged); in addition every queue of the tenant that O(config) does not list, every setting an entry leaves
    null or absent while the queue has a value, and every read-only key (O(config[].agent_selector), O(config[].number))
    that differs is drift the API cannot fix. Each is returned in RV(unmanageable). In check mode that is only reported;
    in a real run the manageable changes are applied, then the task fails while RV(unmanageable) is not empty.
  - With O(plan), applies exactly a reviewed plan (the RV(plan) of an earlier run, usually a check-mode run saved by the
    C(plan.yml) playbook). Before any update each item's C(before) is compared with the queue's current values;
    if any queue moved since the plan was made, nothing is sent and the task fails, naming every stale queue and setting.
    The race between that check and the updates remains, because the API has no conditional update (no ETag or If-Match);
    it lasts from the one list read to the last update, typically well under a second for a few queues.
  - With O(state=gathered), returns the current settings of every queue as O(config) entries, ready to be saved and applied later.
    It fails, rather than return part of the tenant, when the list cannot be read whole.
  - With O(state=rendered), works offline. It validates O(config) exactly as O(state=merged) does and returns each entry's
    update body in the API's wire form as RV(rendered). No request is made and O(api_key) is not needed,
    so a queues file can be checked in a pull request without a key.
  - A queue that fails (not found, ambiguous name, rejected update) does not stop the others; the task fails at the end,
    with one result per entry and a summary. Once the server accepted an update the task reports C(changed), whatever fails after.
  - Since 2.0.0 every result says what happened the same way, failed or not, in check mode or not. It holds C(check_mode),
    the C(target) it talked to, an overall C(status), a one-line C(msg), and per entry a C(status) from one documented
    set (RV(results[].status)), so that playbooks never decode error classes or probe for check mode.
  - With O(backup_dir), the plan that undoes the run (a backup) is written before the first update, and each update the
    server accepts is recorded in it as it is accepted, so a run that is cancelled or killed half-way can be rolled back
    exactly (since 2.0.0). SIGINT and SIGTERM stop the sending of new updates (those in flight finish and are recorded),
    and so does the end of the C(ansible-playbook) process that started the module (an AWX or ansible-runner cancel).
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
        and like the records M(alohub.callcenter.inbound_queue_info) returns, so those can be fed back unchanged
        (pass the result's C(queues) list, not the whole result).
      - A setting that is null or absent is left alone (the API cannot clear a setting).
      - Required with O(state=merged), O(state=overridden) and O(state=rendered) unless O(plan) is given; ignored with O(state=gathered).
      - Mutually exclusive with O(plan).
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
      strategy_name:
        description:
          - A synonym of O(config[].strategy), as gathered records carry it. Used when O(config[].strategy) is absent;
            when both are given they must agree, or the entry fails before anything is sent.
          - Before 2.0.0 it was read-only, accepted and ignored.
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
      agent_selector:
        description:
          - Read-only; accepted and ignored, except with O(state=overridden), where a value that differs from the queue's
            is reported in RV(unmanageable).
        type: raw
      number:
        description:
          - Read-only (the queue's phone number); accepted and ignored, except with O(state=overridden), as O(config[].agent_selector).
        type: raw
  plan:
    description:
      - A reviewed plan to apply exactly, a list of items C({id, name, before, after}) as RV(plan) returns them,
        where C(before) and C(after) hold the settings that change.
      - Every item is checked against the queue's current values first. A setting at its C(after) value is already
        applied and left alone, so a plan run twice sends nothing the second time (RV(already_applied)), and a plan
        whose run was interrupted completes the rest. A setting at neither value makes the plan stale, and nothing is sent.
      - A setting whose C(after) is null (a backup of a change that set a setting that was not set) cannot be restored,
        since the API cannot clear a setting. The other settings are applied, then the task fails naming those it could not.
      - V([]) is a no-op. Only with O(state=merged). Mutually exclusive with O(config).
    type: list
    elements: dict
    version_added: 2.0.0
  source:
    description:
      - The file O(config) or O(plan) was read from. Messages and RV(results[].entry) then name its entries as the file
        has them (C(queues.yml entry 3 (sales)), counted from 1) instead of C(config[2]).
    type: str
    version_added: 2.0.0
  source_meta:
    description:
      - The metadata of that file (its C(alohub_file_meta), or the C(alohub_plan_meta) of a plan or backup), as the
        collection's playbooks write it.
      - The task refuses, sending nothing, a file made for another API or tenant (told apart by C(tenant_id) when both
        sides know it, and by C(tenant_queue_ids), ids of some queues of the tenant the file was made for), a file of
        the wrong kind, and a plan whose C(digest) does not match its items and metadata (edited after it was made).
      - A queues file keyed by name (C(key_by=name)) is portable and is not bound to a tenant.
    type: dict
    version_added: 2.0.0
  overlay:
    description:
      - Entries merged over O(config) before anything else, matched by id (when the overlay entry has one) or by name,
        the overlay winning setting by setting (null leaves the base's value). An overlay entry that matches no entry of
        O(config), or several, fails the task before any request, naming it.
    type: list
    elements: dict
    version_added: 2.0.0
  overlay_source:
    description: The file O(overlay) was read from, for messages.
    type: str
    version_added: 2.0.0
  backup_dir:
    description:
      - Where to write the backup of a real run that updates something, one YAML file named after the tenant and the
        UTC time (mode 0600; the directory, when the module creates it, 0700). It is written, complete and synced,
        before the first update, records each accepted update as it arrives, and is rewritten at the end with what
        changed, or removed when nothing did. Its path is RV(backup_file).
      - A relative path is relative to the directory the module runs in; the role and playbooks pass an absolute one.
      - A backup_dir that is a symbolic link is refused.
    type: path
    version_added: 2.0.0
  include:
    description:
      - Only the queues with a name matching one of these shell-style patterns, such as C(sales*) or C(hn-?). They
        choose config entries by their C(name), and with O(state=overridden) or O(state=gathered) the tenant's queues.
        Entries without a name are left out when O(include) is given. Not with O(plan), which is applied whole.
      - For a promotion between environments (C(playbooks/promote.yml)), the queues to promote.
    type: list
    elements: str
    version_added: 2.0.0
  exclude:
    description:
      - Leave out the queues with a name matching one of these patterns, after O(include). They are listed in RV(excluded).
    type: list
    elements: str
    version_added: 2.0.0
  key_by:
    description:
      - With O(state=gathered), V(name) returns the entries without their ids, portable to another tenant that has
        the same queues under other ids. Two queues of the tenant with one name fail the task, naming them.
    type: str
    choices: [id, name]
    default: id
    version_added: 2.0.0
  state:
    description:
      - V(merged) applies O(config) (or O(plan)). V(overridden) applies O(config) as the tenant's complete state and reports
        what the API cannot make match. V(gathered) returns the current settings as RV(gathered) and changes nothing.
        V(rendered) validates O(config) and returns RV(rendered) without any request.
    type: str
    choices: [merged, overridden, gathered, rendered]
    default: merged
  parallel:
    description:
      - How many updates may be in flight at once (1 to 16). Requests are paced from the rate-limit headers either way.
    type: int
    default: 4
seealso:
  - module: alohub.callcenter.inbound_queue
  - module: alohub.callcenter.inbound_queue_info
  - name: The alohub.callcenter.inbound_queues role
    description: Applies a list of queues kept in git; the collection's playbooks plan, apply, roll back and check drift with it.
    link: https://github.com/alohub/ansible-collection-callcenter/blob/main/roles/inbound_queues/README.md
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

- name: Write them as YAML that is never templated when read back
  ansible.builtin.copy:
    content: "{{ {'alohub_inbound_queues': current.gathered} | alohub.callcenter.to_inert_yaml }}"
    dest: queues.yml
    mode: "0644"
  delegate_to: localhost

- name: Plan without changing anything (the plan lists every setting that would change)
  alohub.callcenter.inbound_queues:
    config: "{{ alohub_inbound_queues }}"
  check_mode: true
  delegate_to: localhost
  register: planned

- name: Apply exactly that plan later, or nothing if the tenant moved in between
  alohub.callcenter.inbound_queues:
    plan: "{{ planned.plan }}"
  delegate_to: localhost

- name: Check a queues file in a pull request, without a key or network
  alohub.callcenter.inbound_queues:
    state: rendered
    config: "{{ alohub_inbound_queues }}"
  delegate_to: localhost

- name: Report everything that differs from the file, including what the API cannot fix
  alohub.callcenter.inbound_queues:
    state: overridden
    config: "{{ alohub_inbound_queues }}"
  check_mode: true
  delegate_to: localhost
'''

RETURN = r'''
status:
  description:
    - What the run did as a whole, C(ok), C(would_change) (check mode), C(changed) or C(failed). A failed run returns the
      same keys as one that did not fail.
  returned: state is merged or overridden
  type: str
  sample: changed
  version_added: 2.0.0
msg:
  description: One line saying what the run did, and, when it failed, why (every failed entry, the first five).
  returned: state is merged or overridden
  type: str
  sample: "3 queue entries: 1 changed, 2 unchanged, 0 failed"
  version_added: 2.0.0
check_mode:
  description: Whether this was a dry run (nothing sent).
  returned: always
  type: bool
  sample: false
  version_added: 2.0.0
results:
  description:
    - One result per O(config) entry (or O(plan) item), in order; with O(state=overridden), then one per tenant queue
      that O(config) does not list (C(status=unmanaged)).
    - Empty when the run failed before the entries could be matched with the tenant (an unreadable list, a bad key).
  returned: state is merged or overridden
  type: list
  elements: dict
  contains:
    entry:
      description: The entry as the user wrote it, C(config[2]) or C(queues.yml entry 3 (sales)); null for an unmanaged queue.
      type: str
      sample: config[0]
      version_added: 2.0.0
    id:
      description: The queue's id (or the id asked for, when it was not found).
      type: int
      sample: 1001226
    name:
      description: The queue's name.
      type: str
      sample: test
    status:
      description:
        - What happened to the entry. V(ok) the queue already holds what it asks; V(would_change) check mode, an update
          would be sent; V(changed) the server accepted the update; V(not_sent) it was not sent (the run was stopped
          first, or the plan was refused as a whole); V(missing) the tenant has no such queue; V(ambiguous) the name
          matches several queues (RV(results[].matching_ids)); V(renamed) the queue named by id has another name now;
          V(stale) a plan item whose queue holds neither its C(before) nor its C(after) values; V(unrestorable) a backup
          item that would set a setting back to null; V(unmanageable) (overridden) settings or read-only keys differ in
          ways the API cannot fix; V(unmanaged) (overridden) a tenant queue that config does not list; V(invalid) the
          server refused the values (HTTP 400); V(failed) anything else went wrong for this queue.
      type: str
      sample: changed
      version_added: 2.0.0
    changed:
      description:
        - Whether the queue was (or, in check mode, would be) updated. True once the server accepted the update,
          even when reading it back then failed.
      type: bool
      sample: true
    changes:
      description: One item per setting that changed (or would), with its value before and after, normalised.
      type: list
      elements: dict
      sample: [{setting: strategy, before: 1, after: 2}]
    diff:
      description: The queue before and after, when it changed, for people (strings with control characters escaped); null otherwise.
      type: dict
      sample: {before: {id: 1001226, strategy: 1}, after: {id: 1001226, strategy: 2}}
    error:
      description: Why this entry failed (control characters escaped), or null.
      type: str
      sample: null
    error_info:
      description:
        - What failed, for programs, or null. C(kind) is the error's type; HTTP errors add C(status), C(error_code),
          C(method), C(url) and C(attempts); C(applied) is true when the server had accepted the update before the failure.
          Programs should branch on RV(results[].status).
      type: dict
      sample: {kind: ApiError, status: 400, error_code: INVALID_INPUT, method: PUT, attempts: 1}
    matching_ids:
      description: The ids of the queues an ambiguous name matches.
      type: list
      elements: int
      returned: when status is ambiguous
      sample: [1001203, 1001217]
      version_added: 2.0.0
    unrestorable:
      description: The settings a backup item would set back to null, which the API cannot do.
      type: list
      elements: str
      returned: when a plan item has such settings
      sample: [max_wait_sec]
      version_added: 2.0.0
summary:
  description: Counts over RV(results).
  returned: state is merged or overridden
  type: dict
  contains:
    total:
      description: Entries in O(config) (items in O(plan)).
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
    statuses:
      description: How many results have each RV(results[].status) (statuses with none are left out).
      type: dict
      sample: {ok: 1, changed: 1, missing: 1}
      version_added: 2.0.0
    unmanageable:
      description: Items of RV(unmanageable) (only with O(state=overridden)).
      type: int
      sample: 0
plan:
  description:
    - One item per queue that changes (in check mode, that would change), with only the changing settings before and after,
      normalised. Feed it back through O(plan) to apply exactly this.
  returned: state is merged or overridden
  type: list
  elements: dict
  sample:
    - {id: 1001226, name: test, before: {strategy: 1, max_wait_sec: 120}, after: {strategy: 2, max_wait_sec: 180}}
excluded:
  description:
    - The names of the O(config) entries that O(include) and O(exclude) left out; with O(state=gathered), the names of
      the tenant's queues they left out.
  returned: when include or exclude is given
  type: list
  elements: str
  sample: [test, training]
  version_added: 2.0.0
already_applied:
  description: True when every item of O(plan) already held its C(after) values, so nothing was sent.
  returned: when a non-empty plan is already applied
  type: bool
  sample: true
  version_added: 2.0.0
backup_file:
  description: The backup this run wrote (see O(backup_dir)), or null when it changed nothing or had no O(backup_dir).
  returned: state is merged or overridden
  type: str
  sample: /srv/queues/alohub-backups/tenant-20260310-20261203T101500.123456Z.yml
  version_added: 2.0.0
unmanageable:
  description:
    - With O(state=overridden), the drift the API cannot fix, one item each, with C(setting) null for a whole queue.
  returned: state is overridden
  type: list
  elements: dict
  sample:
    - {id: 1001300, name: created-in-ui, setting: null, reason: "the queue is not in config; queues cannot be created or deleted through the API"}
gathered:
  description:
    - The tenant's queues as O(config) entries (id, name and the four settings), sorted by id; without ids with O(key_by=name).
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
rendered:
  description:
    - One item per O(config) entry (after O(overlay)), C({entry, id, name, body}), where C(body) is the update body of the
      settings the entry gives, in wire form.
  returned: state is rendered
  type: list
  elements: dict
  sample:
    - {entry: "config[0]", id: 1001226, name: null, body: {strategy: 2, max_wait_sec: "180"}}
config:
  description: The effective entries, O(config) with O(overlay) merged over it.
  returned: state is rendered
  type: list
  elements: dict
  sample:
    - {name: sales, strategy: 1, max_wait_sec: 90}
  version_added: 2.0.0
target:
  description:
    - The API the task talked to (C(api_url) without user info, and C(tenant_id) or null), after the environment
      fallbacks, and, once the tenant's queues were read, C(tenant_queue_ids), the ids of its first five queues, which
      tell it apart from any other tenant (a queue id belongs to exactly one). The playbooks record it in every file
      they write and refuse to apply a file elsewhere.
  returned: unless state is rendered
  type: dict
  sample: {api_url: "https://xapi.alohub.vn", tenant_id: "20260310", tenant_queue_ids: [1001200, 1001201, 1001202, 1001203, 1001204]}
'''

from ansible_collections.alohub.callcenter.plugins.module_utils import reconcile, runner
from ansible_collections.alohub.callcenter.plugins.module_utils.entries import Selection
from ansible_collections.alohub.callcenter.plugins.module_utils.errors import ValidationError

MAX_PARALLEL = 16
ARGUMENT_SPEC = dict(
    # Entries are checked by the module (entries.Entry) rather than through suboptions:
    # a bad value then names its entry (Ansible's own message only says "found in 'config'").
    config=dict(type='list', elements='dict'),
    plan=dict(type='list', elements='dict'),
    state=dict(type='str', default='merged', choices=['merged', 'overridden', 'gathered', 'rendered']),
    parallel=dict(type='int', default=4),
    source=dict(type='str'),
    source_meta=dict(type='dict'),
    overlay=dict(type='list', elements='dict'),
    overlay_source=dict(type='str'),
    backup_dir=dict(type='path'),
    key_by=dict(type='str', default='id', choices=['id', 'name']),
    include=dict(type='list', elements='str'),
    exclude=dict(type='list', elements='str'),
)


def run(module, client):
    """The whole task for the state asked for; the result the module returns."""
    params = module.params
    state, config, plan = params['state'], params['config'], params['plan']
    if not 1 <= params['parallel'] <= MAX_PARALLEL:
        raise ValidationError('parallel must be between 1 and %d; got %d' % (MAX_PARALLEL, params['parallel']))
    if plan is not None and state != 'merged':
        raise ValidationError('plan is applied with state=merged (the default); got state=%s' % state)
    if params['overlay'] is not None and (plan is not None or state == 'gathered'):
        raise ValidationError('overlay is merged over config; it does not go with %s' % (
            'plan' if plan is not None else 'state=gathered'))
    selection = Selection(params['include'], params['exclude'])
    if plan is not None and selection:
        raise ValidationError('include and exclude choose among config entries or the tenant\'s queues; a plan is '
                              'applied as reviewed, whole')
    if state == 'rendered':
        if config is None:
            raise ValidationError('state=rendered needs config (the entries to check)')
        rendered, effective = reconcile.render(config, params['source'], params['overlay'], params['overlay_source'],
                                               selection)
        return dict(changed=False, check_mode=module.check_mode, rendered=rendered, config=effective)
    if state == 'gathered':
        if config:
            module.warn('config is ignored with state=gathered')
        gathered, total, target, excluded = reconcile.gather(client, params['key_by'], selection)
        result = dict(changed=False, check_mode=module.check_mode, gathered=gathered, total=total, target=target)
        if selection:
            result['excluded'] = excluded
        return result
    if plan is None and config is None:
        raise ValidationError('state=%s needs config (the queues and their settings), or plan (a reviewed plan to apply)'
                              % state)
    return reconcile.sync_many(
        client, state, config=config, plan=plan, check_mode=module.check_mode, parallel=params['parallel'],
        want_diff=module._diff, source=params['source'], source_meta=params['source_meta'], overlay=params['overlay'],
        overlay_source=params['overlay_source'], backup_dir=params['backup_dir'], selection=selection)


def registered_result_hint(msg, module):
    """A whole registered result given as config: say which of its lists to pass."""
    config = (getattr(module, 'params', None) or {}).get('config')
    if "argument 'config'" not in msg or not isinstance(config, dict):
        return None
    keys = sorted(str(key) for key in config)
    hint = '. config must be a list of queue entries, but it is a dict with the keys %s' % ', '.join(keys[:8])
    if 'queues' in config or 'gathered' in config:
        hint += ('. That looks like a registered result: pass its list, such as config: "{{ info.queues }}" for '
                 'inbound_queue_info or config: "{{ current.gathered }}" for inbound_queues state=gathered')
    return hint


def main():
    module = runner.alohub_module(ARGUMENT_SPEC, hint=registered_result_hint, mutually_exclusive=[('config', 'plan')],
                                  supports_check_mode=True)
    runner.execute(module, run, pool_size=module.params['parallel'], offline=module.params['state'] == 'rendered')


if __name__ == '__main__':
    main()
