# -*- coding: utf-8 -*-
# Copyright: (c) 2026, AloHub collection maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""ansible-rulebook event source alohub.callcenter.queue_changes: the tenant's inbound queues, polled.

ansible-rulebook loads this file with ``runpy.run_path`` and awaits ``main(queue, args)``. The API
has no webhook, so the source polls the queue list (one request per 100 queues) and puts one event
per queue that changed (``mode: changes``) or that differs from a queues file (``mode: drift``).
docs/eda.md describes the events, the rate-limit budget and the back-off.

Everything this file uses of the collection's plugins/module_utils sits in the section "The seam to
module_utils" below, so that a change there is a change of those few functions only.
"""

from __future__ import annotations

DOCUMENTATION = r'''
---
name: queue_changes
short_description: Events when the inbound queues of an AloHub tenant change or drift from a queues file
version_added: 2.0.0
author:
  - AloHub collection maintainers (@alohub)
description:
  - An ansible-rulebook event source that polls the inbound queue list of an AloHub tenant, since the API has no
    webhook. Each poll reads the whole list (one request per 100 queues) through the collection's own client, with its
    retries, its rate-limit pacing and its checks of every record.
  - With O(mode=changes), one event per queue whose settings changed since the previous poll (C(changed)), per queue
    created (C(created)) and per queue removed (C(removed)). The first poll only records the baseline.
  - With O(mode=drift), the tenant is compared with O(queues_file) as C(playbooks/drift.yml) compares it (the bulk module
    in check mode), and one C(drift) event is sent per queue when its drift appears (or changes), and one
    C(drift_cleared) event when it is gone; nothing is sent at polls where nothing moved. Drift found at the first poll
    is reported.
  - Every event has C(alohub_event), C(queue) (C(id), C(name)), C(changes) (a list of C(setting), C(before), C(after)),
    C(message), C(mode), C(target) (C(api_url), C(tenant_id)), C(poll) and C(time). The API key is never in an event.
  - A poll that fails (the API down, rate limited, or a list that cannot be read completely) is an C(error) event and a
    log line, and the source keeps polling with a growing back-off. An incomplete list is never compared, so it never
    causes C(removed) events. Only bad arguments stop the source, when it starts.
  - Queue names and every other value in events are data. A rulebook must not pass them to anything that templates
    (such as O(queues_file) paths or C(extra_vars) of a playbook that uses them in a template); the shipped rulebooks
    pass none.
  - Needs ansible-core and C(requests) in the Python that runs ansible-rulebook (a decision environment,
    C(extensions/eda/decision-environment.yml)).
extends_documentation_fragment:
  - alohub.callcenter.connection
options:
  interval:
    description:
      - Seconds from the end of one poll to the start of the next (at least 1). Longer when the rate-limit budget
        (O(rate_limit_share)) or the back-off after a failed poll asks for it.
      - The default costs 60 requests an hour for a tenant of up to 100 queues, 300 for 500 queues.
    type: float
    default: 60
  mode:
    description:
      - V(changes) reports what changed between two polls; V(drift) reports the differences from O(queues_file).
    type: str
    choices: [changes, drift]
    default: changes
  queues_file:
    description:
      - With O(mode=drift) (and only then, where it is required), the queues file to compare with, as
        C(playbooks/export.yml) writes it (C(alohub_inbound_queues), a list of entries). Read as data, never templated,
        as the playbooks read it (YAML anchors and aliases, vault-encrypted content and files over 64 MiB are refused).
        Read again when it changes on disk.
    type: path
  strict:
    description:
      - With O(mode=drift), compare as C(playbooks/drift.yml -e strict=true) does (the bulk module's C(overridden)
        state in check mode), so that queues of the tenant the file does not list, and settings the file leaves null
        while the tenant has them, are drift too.
    type: bool
    default: false
  rate_limit_share:
    description:
      - The largest share of the tenant's rate limit this source may use, between 0 (exclusive) and 1. The limit and
        its window are read from the rate-limit headers of the source's own requests; when the next poll would take
        the source over its share of the current window, the interval is stretched to the next window. When the
        headers show the window almost spent by other jobs, the source also waits for the next window.
      - Without rate-limit headers only O(interval) applies.
    type: float
    default: 0.1
  max_backoff:
    description:
      - The longest wait, in seconds, between two polls after polls failed. The wait doubles from twice the
        O(interval) at each failed poll, with jitter, up to this (and never less than a C(Retry-After) the API sent).
    type: float
    default: 600
notes:
  - The key, like for the modules, comes from O(api_key) or E(ALOHUB_API_KEY). An empty argument counts as not given,
    so the environment variable applies (rulebooks can write C("{{ alohub_api_key | default('') }}")).
seealso:
  - name: Event-Driven Ansible with alohub.callcenter
    description: Events, rulebooks, the request cost and the decision environment (docs/eda.md).
    link: https://github.com/alohub/ansible-collection-callcenter/blob/main/docs/eda.md
'''

EXAMPLES = r'''
- name: Run the drift playbook when a queue drifts from its queues file
  hosts: localhost
  sources:
    - alohub.callcenter.queue_changes:
        mode: drift
        queues_file: queues/acme.yml
        interval: 60
  rules:
    - name: Drift
      condition: event.alohub_event == "drift"
      throttle:
        once_within: 1 minute
        group_by_attributes:
          - event.meta.source.name
          - event.poll
      action:
        run_playbook:
          name: alohub.callcenter.drift
          extra_vars:
            queues_file: queues/acme.yml

- name: Print every change made to a queue, in the AloHub UI or elsewhere
  hosts: localhost
  sources:
    - alohub.callcenter.queue_changes:
        tenant_id: "20260310"
        interval: 120
        rate_limit_share: 0.05
  rules:
    - name: A queue changed
      condition: event.alohub_event in ["changed", "created", "removed"]
      action:
        print_event:
          pretty: true
'''

import asyncio
import datetime
import difflib
import json
import logging
import math
import os
import random
import sys
import time

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator


def _collections_root(path):
    """The directory that holds ansible_collections/alohub/callcenter, when this file lies inside it; else None.

    ansible-rulebook runs this file by path and does not make installed collections importable
    (a decision environment keeps them in /usr/share/ansible/collections, which is not on sys.path).
    """
    parts = os.path.abspath(path).split(os.sep)
    if len(parts) > 8 and parts[-8:-4] == ['ansible_collections', 'alohub', 'callcenter', 'extensions']:
        return os.sep.join(parts[:-8]) or os.sep
    return None


try:
    from ansible_collections.alohub.callcenter.plugins.module_utils import arguments
except ImportError:
    _ROOT = _collections_root(__file__)
    if _ROOT is None:
        raise
    sys.path.append(_ROOT)  # appended: never shadows what the Python already finds
    from ansible_collections.alohub.callcenter.plugins.module_utils import arguments

from ansible_collections.alohub.callcenter.plugins.module_utils import client as alohub_client
from ansible_collections.alohub.callcenter.plugins.module_utils import files, reconcile, reports, text
from ansible_collections.alohub.callcenter.plugins.module_utils import transport
from ansible_collections.alohub.callcenter.plugins.module_utils.errors import AlohubError, Redactor, ValidationError


SOURCE = 'alohub.callcenter.queue_changes'
logger = logging.getLogger(SOURCE)

EVENTS = ('changed', 'created', 'removed', 'drift', 'drift_cleared', 'error')
MIN_INTERVAL = 1.0
# Waits for the next rate-limit window end this long after it: RateLimit-Reset is whole seconds, and
# the gateway's clock is not ours.
RESET_MARGIN = 1.0
QUEUES_KEY = 'alohub_inbound_queues'
# Keys of a normalised record that are not compared in changes mode: the identity, and the name
# the strategy code already says.
NOT_COMPARED = ('id', 'strategy_name')


# ---------------------------------------------------------------------------
# The seam to module_utils: every use of plugins/module_utils is in these functions.
# ---------------------------------------------------------------------------

def connection_options():
    """option -> (argument spec entry, environment variable or None): the modules' ONE table."""
    return arguments.CONNECTION_OPTIONS


def redactor(key):
    """What masks the key (and its encoded forms) in events and log lines; a key too short to mask is refused anyway."""
    return Redactor(key if isinstance(key, str) and len(key) >= arguments.MIN_KEY_LENGTH else None)


def check_connection(params):
    """The connection settings checked as the modules check them, and the warnings about them.

    Raises ValidationError (nothing is sent before).
    """
    settings = arguments.connection_settings(params)
    if not transport.HAS_REQUESTS:
        raise ValidationError('the Python library requests is not installed in the Python that runs ansible-rulebook '
                              '(%s); install it (pip install requests) or use the decision environment of '
                              'extensions/eda/decision-environment.yml' % sys.executable)
    warnings = [arguments.insecure_transport_warning(settings), transport.proxy_warning(settings)]
    if not settings['validate_certs']:
        transport.silence_insecure_request_warnings()
    target = dict(api_url=text.shown_url(settings['api_url']), tenant_id=settings.get('tenant_id'))
    return settings, [w for w in warnings if w], target


def open_client(settings, sleep=time.sleep):
    """A client for one poll, on a transport of its own (session, retry budget and counters per poll)."""
    return alohub_client.QueueClient(transport.Transport(settings, sleep=sleep, pool_size=1))


def close_client(queue_client):
    """What the poll cost (requests, retries, 429s) and what the rate-limit headers said last; closes the session."""
    the_transport = queue_client.transport
    usage = dict(requests=the_transport.stats['requests'], retries=the_transport.stats['retries'],
                 rate_limited=the_transport.stats['rate_limited'],
                 rate=the_transport.rate_limit.snapshot(the_transport.clock()),
                 warnings=list(queue_client.warnings) + the_transport.warnings())
    the_transport.session.close()
    return usage


def read_tenant(queue_client):
    """Every queue of the tenant as normalised records; raises (never returns part of the list)."""
    return queue_client.list_all().queues


def check_entries(entries):
    """Validate queues-file entries offline, as the bulk module does before any request; raises ValidationError."""
    reconcile.render(entries)


def compare_with_file(queue_client, entries, strict):
    """The tenant against queues-file entries, with the comparison and the words of playbooks/drift.yml.

    The bulk module in check mode (merged, or overridden when ``strict``), then the same drift report
    drift.yml builds from its per-entry statuses. One row per queue: ``{key, id, name, status, changes,
    unmanageable, message}``, ``status`` a word of that report (ok, drift, missing, ambiguous, renamed,
    unmanaged, failed). Raises when the check as a whole fails (the list cannot be read, two entries
    resolve to one queue).
    """
    try:
        result = reconcile.sync_many(queue_client, 'overridden' if strict else 'merged', config=entries, check_mode=True)
    except AlohubError as failure:
        result = failure.details  # a BulkFailure carries the same result, with the failing entries' errors
        if not result.get('results'):
            raise
    rows = []
    for queue in reports.drift_report(result, strict=strict)['queues']:
        key = 'id %s' % queue['id'] if queue['id'] is not None else 'name %s' % json.dumps(queue['name'])
        rows.append(dict(key=key, id=queue['id'], name=queue['name'], status=queue['status'],
                         changes=list(queue['changes']), unmanageable=list(queue['unmanageable']),
                         message=queue['error']))
    return rows


def load_queues_text(text, path):
    """A queues file's data, read as the collection's playbooks read it (bounded; no anchors; strings stay strings)."""
    return files.load_yaml(text, path)


# ---------------------------------------------------------------------------
# Arguments
# ---------------------------------------------------------------------------

class ArgumentError(ValueError):
    """A bad argument of the source: it stops at start, with this message."""


SOURCE_OPTIONS = dict(
    interval=dict(type='float', default=60.0),
    mode=dict(type='str', default='changes', choices=['changes', 'drift']),
    queues_file=dict(type='path'),
    strict=dict(type='bool', default=False),
    rate_limit_share=dict(type='float', default=0.1),
    max_backoff=dict(type='float', default=600.0),
)
# Keys ansible-rulebook itself may add to a source's arguments.
ENGINE_ARGS = ('eda_feedback_queue',)


def parse_args(args, environ=None):
    """The source's options from its arguments, with the ALOHUB_* fallbacks; raises ArgumentError.

    Returns ``(options, settings, warnings, target)``.
    """
    environ = os.environ if environ is None else environ
    if args is None:
        args = {}
    if not isinstance(args, dict):
        raise ArgumentError('%s: the arguments must be a mapping of options; got %s' % (SOURCE, type(args).__name__))
    connection = connection_options()
    known = sorted(list(connection) + list(SOURCE_OPTIONS))
    unknown = sorted(str(name) for name in args if name not in known and name not in ENGINE_ARGS)
    if unknown:
        hints = []
        for name in unknown:
            close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
            if close:
                hints.append('%s -> %s' % (name, close[0]))
        raise ArgumentError('%s: unknown argument%s %s%s. The source takes: %s' % (
            SOURCE, '' if len(unknown) == 1 else 's', ', '.join(unknown),
            ' (did you mean: %s?)' % ', '.join(hints) if hints else '', ', '.join(known)))
    spec, params, from_env = {}, {}, {}
    for name, (entry, env) in connection.items():
        spec[name] = dict(entry)
        value = args.get(name)
        if (value is None or value == '') and env and environ.get(env):
            value = from_env[name] = environ[env]  # an empty variable counts as unset, as for the modules
        if value is not None and value != '':
            params[name] = value
    spec.update(SOURCE_OPTIONS)
    for name in SOURCE_OPTIONS:
        if args.get(name) is not None and args.get(name) != '':
            params[name] = args[name]
    redact = redactor(params.get('api_key'))
    result = ArgumentSpecValidator(spec).validate(params)
    if result.error_messages:
        messages = [_with_env(message, from_env, connection) for message in result.error_messages]
        raise ArgumentError('%s: %s' % (SOURCE, redact('; '.join(messages))))
    values = result.validated_parameters
    options = dict((name, values[name]) for name in SOURCE_OPTIONS)
    _check_options(options)
    try:
        settings, warnings, target = check_connection(dict((name, values.get(name)) for name in connection))
    except ValidationError as exc:
        raise ArgumentError('%s: %s' % (SOURCE, redact(_with_env(exc.msg, from_env, connection, exc.details.get('option')))))
    return options, settings, warnings, target


def _with_env(message, from_env, connection, option=None):
    """``message`` naming the ALOHUB_* variable a bad value came from."""
    names = [option] if option else [name for name in sorted(from_env)
                                     if "'%s'" % name in message or 'value of %s ' % name in message]
    for name in names:
        if name in from_env:
            return '%s (%s came from the %s environment variable)' % (message, name, connection[name][1])
    return message


def _check_options(options):
    if not math.isfinite(options['interval']) or options['interval'] < MIN_INTERVAL:
        raise ArgumentError('%s: interval must be at least %g second (seconds between polls); got %r'
                            % (SOURCE, MIN_INTERVAL, options['interval']))
    share = options['rate_limit_share']
    if not math.isfinite(share) or not 0 < share <= 1:
        raise ArgumentError('%s: rate_limit_share must be more than 0 and at most 1 (0.1 is 10 %% of the tenant\'s rate '
                            'limit); got %r' % (SOURCE, share))
    if not math.isfinite(options['max_backoff']) or options['max_backoff'] < MIN_INTERVAL:
        raise ArgumentError('%s: max_backoff must be at least %g second; got %r' % (SOURCE, MIN_INTERVAL, options['max_backoff']))
    if options['mode'] == 'drift':
        if not options['queues_file']:
            raise ArgumentError('%s: mode drift needs queues_file, the queues file to compare the tenant with '
                                '(as playbooks/export.yml writes it)' % SOURCE)
    else:
        for name in ('queues_file', 'strict'):
            if options[name] and options[name] != SOURCE_OPTIONS[name].get('default'):
                raise ArgumentError('%s: %s is only used with mode: drift (mode is %s)' % (SOURCE, name, options['mode']))


# ---------------------------------------------------------------------------
# The queues file, as data
# ---------------------------------------------------------------------------

class QueuesFileError(Exception):
    """The queues file cannot be used; the message names the file and why."""


def read_queues_file(path):
    """The entries of a queues file (``alohub_inbound_queues``), read as data: strings stay strings, never templated."""
    try:
        with open(path, 'rb') as handle:
            raw = handle.read(files.MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise QueuesFileError('%s cannot be read: %s' % (path, exc.strerror or exc))
    if len(raw) > files.MAX_FILE_BYTES:
        raise QueuesFileError('%s is larger than %d MiB, more than a queues file holds' % (
            path, files.MAX_FILE_BYTES // (1024 * 1024)))
    if raw.lstrip().startswith(b'$ANSIBLE_VAULT'):
        raise QueuesFileError('%s is vault-encrypted; the event source reads queues files in plain text only' % path)
    try:
        data = load_queues_text(raw.decode('utf-8'), path)
    except UnicodeDecodeError as exc:
        raise QueuesFileError('%s is not text (UTF-8): %s' % (path, exc))
    except ValidationError as exc:
        raise QueuesFileError(exc.msg)
    if not isinstance(data, dict) or QUEUES_KEY not in data:
        raise QueuesFileError('%s must hold a mapping with %s (a queues file, as playbooks/export.yml writes)' % (path, QUEUES_KEY))
    entries = data[QUEUES_KEY]
    if entries is None:
        entries = []
    if not isinstance(entries, list):
        raise QueuesFileError('%s: %s must be a list of queue entries; it is %s' % (path, QUEUES_KEY, type(entries).__name__))
    return entries


class QueuesFile:
    """The queues file of drift mode: read again only when it changed on disk; validated before it is used."""

    def __init__(self, path):
        self.path = os.path.abspath(os.path.expanduser(path))
        self._stamp = None
        self._entries = None

    def entries(self):
        try:
            info = os.stat(self.path)
        except OSError as exc:
            raise QueuesFileError('%s cannot be read: %s' % (self.path, exc.strerror or exc))
        stamp = (info.st_mtime_ns, info.st_size, info.st_ino)
        if stamp != self._stamp:
            entries = read_queues_file(self.path)
            try:
                check_entries(entries)
            except ValidationError as exc:
                raise QueuesFileError('%s: %s' % (self.path, exc.msg))
            self._stamp, self._entries = stamp, entries
        return self._entries


# ---------------------------------------------------------------------------
# Pacing: the interval, the rate-limit budget, the back-off
# ---------------------------------------------------------------------------

class Pacer:
    """How long to wait before the next poll.

    After a good poll: ``interval``, stretched when the source's requests in the current rate-limit
    window plus another poll's would exceed ``share`` of the window's limit (then: the next window,
    or as many windows as a poll bigger than the allowance needs), and when the window is nearly
    spent by everyone (then: the next window). The limit and the window come from the headers of the
    source's own answers: ``limit``, ``remaining`` and ``reset_in`` of the transport's snapshot; the
    window's length is estimated as the longest ``reset_in`` seen.

    After a failed poll: twice the interval, doubling per failed poll, with jitter, at most
    ``max_backoff``, never less than the interval or the last Retry-After.
    """

    def __init__(self, interval, share, max_backoff, rng=random.random):
        self.interval = interval
        self.share = share
        self.max_backoff = max(max_backoff, interval)
        self.rng = rng
        self.window_end = None
        self.used = 0
        self.window = 0.0
        self.failures = 0

    def after_poll(self, cost, rate, now):
        """(seconds to wait, why when it is more than the interval) after a poll that made ``cost`` requests."""
        self.failures = 0
        self._count(cost, rate, now)
        delay, reason = self.interval, None
        limit, remaining, reset_in = rate.get('limit'), rate.get('remaining'), rate.get('reset_in')
        if limit is None or reset_in is None:
            return delay, reason
        allowance = max(1, int(self.share * limit))
        if self.used + cost > allowance:
            windows = max(1, math.ceil(cost / float(allowance)))
            wait = reset_in + RESET_MARGIN + (windows - 1) * max(self.window, 1.0)
            if wait > delay:
                delay, reason = wait, ('the source used %d of its %d requests (rate_limit_share %g of %d) in this rate-limit '
                                       'window' % (self.used, allowance, self.share, limit))
        if remaining is not None and remaining < cost and reset_in + RESET_MARGIN > delay:
            delay = reset_in + RESET_MARGIN
            reason = 'only %d request%s left in this rate-limit window for the whole tenant' % (remaining, '' if remaining == 1 else 's')
        return delay, reason

    def after_failure(self, cost, rate, now, retry_after=None):
        """Seconds to wait after a failed poll (the ``failures``-th in a row)."""
        self.failures += 1
        self._count(cost, rate, now)
        ceiling = min(self.max_backoff, self.interval * 2 ** min(self.failures, 30))
        delay = max(self.interval, ceiling / 2.0 + self.rng() * ceiling / 2.0)
        if retry_after:
            delay = max(delay, min(float(retry_after), 24 * 3600.0))
        return delay

    def _count(self, cost, rate, now):
        reset_in = rate.get('reset_in') if rate else None
        if reset_in is None:
            return
        window_end = now + reset_in
        if self.window_end is None or window_end > self.window_end + 1.0:  # a new window began
            self.used = 0
        self.window_end = window_end
        self.used += cost
        self.window = max(self.window, reset_in)


# ---------------------------------------------------------------------------
# The source
# ---------------------------------------------------------------------------

def _utc(epoch):
    return datetime.datetime.fromtimestamp(epoch, datetime.timezone.utc).strftime('%Y-%m-%dT%H:%M:%SZ')


def _shown(value):
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def _describe(changes):
    return ', '.join('%s %s -> %s' % (c['setting'], _shown(c['before']), _shown(c['after'])) for c in changes)


def record_changes(before, after):
    """``{setting, before, after}`` for every key of two normalised records that differs (but the id)."""
    keys = [key for key in after if key not in NOT_COMPARED]
    keys += [key for key in before if key not in NOT_COMPARED and key not in after]
    return [dict(setting=key, before=before.get(key), after=after.get(key)) for key in keys if before.get(key) != after.get(key)]


class QueueWatch:
    """The polling loop; ``main`` runs one. ``sleep``, ``clock``, ``wall`` and ``request_sleep`` are for tests."""

    def __init__(self, args, sleep=asyncio.sleep, clock=time.monotonic, wall=time.time, request_sleep=time.sleep,
                 rng=random.random, environ=None):
        self.options, self.settings, self.warnings, self.target = parse_args(args, environ)
        self.mode = self.options['mode']
        self.redact = redactor(self.settings['api_key'])
        self.sleep = sleep
        self.clock = clock
        self.wall = wall
        self.request_sleep = request_sleep
        self.pacer = Pacer(self.options['interval'], self.options['rate_limit_share'], self.options['max_backoff'], rng)
        self.queues_file = None
        if self.mode == 'drift':
            self.queues_file = QueuesFile(self.options['queues_file'])
            try:
                self.queues_file.entries()
            except QueuesFileError as exc:
                raise ArgumentError('%s: queues_file %s' % (SOURCE, exc))
        self.baseline = None        # changes: id -> record of the last complete read
        self.drifting = {}          # drift: key -> the drift event last sent for that queue
        self.failing = {}           # drift: key -> the error of an entry that could not be compared
        self.polls = 0
        self.stats = dict(polls=0, failed=0, requests=0, events=0)

    # -- the loop ------------------------------------------------------------------------------
    async def run(self, queue):
        for warning in self.warnings:
            logger.warning('%s', self.redact(warning))
        logger.info('polling %s (tenant %s) every %g s, mode %s%s', self.target['api_url'],
                    self.target['tenant_id'] or 'of the key', self.options['interval'], self.mode,
                    ', queues file %s' % self.queues_file.path if self.queues_file else '')
        while True:
            delay = await self.poll_once(queue)
            await self.sleep(delay)

    async def poll_once(self, queue):
        """One poll: its events go to ``queue``; returns the seconds to wait before the next."""
        self.polls += 1
        started = self.wall()
        loop = asyncio.get_running_loop()
        data, error, usage = await loop.run_in_executor(None, self._poll)
        for warning in usage['warnings']:
            logger.info('%s', self.redact(warning))
        self.stats['polls'] += 1
        self.stats['requests'] += usage['requests']
        now = self.clock()
        if error is None:
            events = self._changes(data, started) if self.mode == 'changes' else self._drift(data, started)
            delay, reason = self.pacer.after_poll(usage['requests'], usage['rate'], now)
            if reason:
                logger.info('next poll in %.1f s instead of %g s: %s', delay, self.options['interval'], reason)
        else:
            self.stats['failed'] += 1
            delay = self.pacer.after_failure(usage['requests'], usage['rate'], now,
                                             retry_after=getattr(error, 'details', {}).get('retry_after'))
            events = [self._error_event(error, started, delay)]
            logger.error('poll %d failed (%d in a row), next poll in %.1f s: %s', self.polls,
                         self.pacer.failures, delay, self.redact(events[0]['message']))
        for event in events:
            self.stats['events'] += 1
            await queue.put(self.redact.data(event))
        return delay

    def _poll(self):
        """In a worker thread: read the tenant (changes) or compare it with the file (drift). (data, error, usage)."""
        queue_client = open_client(self.settings, sleep=self.request_sleep)
        data = error = None
        try:
            if self.mode == 'changes':
                data = read_tenant(queue_client)
            else:
                data = compare_with_file(queue_client, self.queues_file.entries(), self.options['strict'])
        except (AlohubError, QueuesFileError) as exc:
            error = exc
        except Exception as exc:  # a poll never ends the source: it is an error event  # pylint: disable=broad-except
            logger.debug('unexpected failure', exc_info=True)
            error = exc
        finally:
            usage = close_client(queue_client)
        return data, error, usage

    # -- events --------------------------------------------------------------------------------
    def _event(self, kind, queue, changes, message, started, **extra):
        event = dict(alohub_event=kind, queue=dict(id=queue.get('id'), name=queue.get('name')), changes=changes,
                     message=message, mode=self.mode, target=dict(self.target), poll=self.polls, time=_utc(started))
        event.update(extra)
        return event

    def _changes(self, records, started):
        current = dict((record['id'], record) for record in records)
        if self.baseline is None:
            self.baseline = current
            logger.info('baseline of %d queues (no events for the first poll)', len(current))
            return []
        events = []
        for queue_id, record in current.items():
            before = self.baseline.get(queue_id)
            label = 'queue %s (%s)' % (queue_id, record['name'])
            if before is None:
                events.append(self._event('created', record, record_changes({}, record), '%s was created' % label,
                                          started, record=record))
                continue
            changes = record_changes(before, record)
            if changes:
                events.append(self._event('changed', record, changes, '%s changed: %s' % (label, _describe(changes)),
                                          started, record=record))
        for queue_id, before in self.baseline.items():
            if queue_id not in current:
                events.append(self._event('removed', before, record_changes(before, {}),
                                          'queue %s (%s) was removed' % (queue_id, before['name']), started, record=before))
        self.baseline = current
        return events

    def _drift(self, rows, started):
        events = []
        seen = set()
        for row in rows:
            key = row['key']
            seen.add(key)
            previous = self.drifting.get(key)
            if row['status'] == 'failed':
                # An entry that cannot be compared: an error event when it starts failing (or fails differently).
                if self.failing.get(key) != row['message']:
                    self.failing[key] = row['message']
                    events.append(self._event('error', row, [], 'queue %s (%s): %s' % (row['id'], row['name'], row['message']),
                                              started, error=dict(kind='entry'), queues_file=self.queues_file.path))
                continue
            self.failing.pop(key, None)
            if row['status'] == 'ok':
                if previous is not None:
                    del self.drifting[key]
                    events.append(self._cleared(row, previous, 'it matches the queues file again', started))
                continue
            signature = _shown([row['status'], row['changes'], row['unmanageable']])
            if previous is not None and previous['signature'] == signature:
                continue
            event = self._event('drift', row, row['changes'], self._drift_message(row), started, status=row['status'],
                                unmanageable=row['unmanageable'], queues_file=self.queues_file.path)
            self.drifting[key] = dict(event=event, signature=signature)
            events.append(event)
        for key in [key for key in self.failing if key not in seen]:
            del self.failing[key]
        for key in [key for key in self.drifting if key not in seen]:
            previous = self.drifting.pop(key)
            events.append(self._cleared(previous['event']['queue'], previous,
                                        'the queues file no longer lists it', started))
        return events

    def _cleared(self, queue, previous, why, started):
        return self._event('drift_cleared', queue, [], 'queue %s (%s) no longer drifts: %s' % (queue['id'], queue['name'], why),
                           started, status='ok', queues_file=self.queues_file.path,
                           previous=dict(status=previous['event']['status'], changes=previous['event']['changes']))

    @staticmethod
    def _drift_message(row):
        label = 'queue %s (%s)' % (row['id'], row['name'])
        parts = []
        if row['changes']:
            parts.append('live -> file: %s' % _describe(row['changes']))
        parts.extend(item['reason'] for item in row['unmanageable'] if item.get('reason'))
        if row['message']:
            parts.append(row['message'])
        return '%s: %s%s' % (label, row['status'], ': ' + '; '.join(parts) if parts else '')

    def _error_event(self, error, started, delay):
        if isinstance(error, AlohubError):
            message, info = error.msg, error.info()
        elif isinstance(error, QueuesFileError):
            message, info = 'queues_file %s' % error, dict(kind='QueuesFileError')
        else:
            message, info = 'unexpected %s: %s' % (type(error).__name__, error), dict(kind=type(error).__name__)
        return self._event('error', {}, [], message, started, error=info, failures=self.pacer.failures,
                           next_poll_in=round(delay, 1))


async def main(queue: asyncio.Queue, args: dict) -> None:
    """Poll the tenant and put events on ``queue`` until cancelled; bad arguments raise at once."""
    watch = QueueWatch(args)
    await watch.run(queue)


if __name__ == '__main__':
    # A manual run prints the events; the connection comes from the ALOHUB_* environment variables:
    #   ALOHUB_API_URL=http://127.0.0.1:8080 ALOHUB_API_KEY=sk_test_acme \
    #     python extensions/eda/plugins/event_source/queue_changes.py [interval [queues_file]]

    class MockQueue(asyncio.Queue):
        """Prints the events instead of handing them to a rulebook."""

        async def put(self, item):
            print(json.dumps(item, indent=2, ensure_ascii=False))  # noqa: T201

    logging.basicConfig(level=logging.INFO)
    manual = dict(interval=float(sys.argv[1]) if len(sys.argv) > 1 else 5.0)
    if len(sys.argv) > 2:
        manual.update(mode='drift', queues_file=sys.argv[2])
    try:
        asyncio.run(main(MockQueue(), manual))
    except KeyboardInterrupt:
        pass
