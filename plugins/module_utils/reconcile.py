# -*- coding: utf-8 -*-
# Copyright: (c) 2026, AloHub collection maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Desired vs current -> plan -> apply -> verify. Shared by the modules.

Everything here works on normalised records (see queue_model); only
``apply`` talks to the client.
"""

from __future__ import annotations

from ansible_collections.alohub.callcenter.plugins.module_utils import queue_model
from ansible_collections.alohub.callcenter.plugins.module_utils.errors import NotFoundError, VerificationError


class Plan:
    """What one queue needs: the settings that differ, and the record after."""

    def __init__(self, before, desired):
        self.before = before
        self.desired = desired
        self.changes = queue_model.differences(before, desired)
        self.after = queue_model.predict(before, self.changes)

    @property
    def queue_id(self):
        return self.before['id']

    @property
    def changed(self):
        return bool(self.changes)

    @property
    def body(self):
        """The PUT body: only the differing settings, in wire form."""
        return queue_model.to_wire(self.changes)

    def diff(self, after=None):
        header = queue_model.label(self.before)
        return dict(before=self.before, after=self.after if after is None else after,
                    before_header=header, after_header=header)


def find_by_name(records, name):
    """The one normalised record named exactly ``name``; fails on none or several."""
    matches = [record for record in records if record.get('name') == name]
    if len(matches) == 1:
        return matches[0]
    if not matches:
        raise NotFoundError('no inbound queue of this tenant is named %r' % name, name=name)
    ids = sorted(record['id'] for record in matches)
    raise NotFoundError('%d inbound queues are named %r (ids %s); use id to pick one'
                        % (len(matches), name, ', '.join(str(i) for i in ids)), name=name, matching_ids=ids)


def apply(client, plan, check_mode):
    """PUT the plan's changes unless nothing differs or this is a dry run."""
    if plan.changed and not check_mode:
        client.update(plan.queue_id, plan.body)


def verify(plan, fresh):
    """Fail when the server accepted the update but a setting did not take."""
    missed = queue_model.differences(fresh, plan.changes)
    if missed:
        detail = ', '.join('%s is %r, wanted %r' % (option, fresh.get(option), value)
                           for option, value in sorted(missed.items()))
        raise VerificationError('%s was updated but the server did not apply it: %s'
                                % (queue_model.label(plan.before), detail),
                                queue_id=plan.queue_id, missed=sorted(missed))
    return fresh


def sync_one(client, before, desired, check_mode):
    """Reconcile one queue read with GET; returns (plan, record after the task)."""
    plan = Plan(before, desired)
    if not plan.changed or check_mode:
        return plan, plan.after
    apply(client, plan, check_mode)
    record = client.get(plan.queue_id)
    if record is None:
        raise VerificationError('%s disappeared right after the update' % queue_model.label(plan.before),
                                queue_id=plan.queue_id)
    return plan, verify(plan, queue_model.normalise(record))
