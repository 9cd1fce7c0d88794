# -*- coding: utf-8 -*-
# Copyright: (c) 2026, AloHub collection maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Knowing when to stop sending updates: a signal, or a controller that went away.

``ansible-playbook`` forwards SIGINT (Ctrl-C) and SIGTERM (a controller
cancelling the job) to the module's process group and exits at once. A module
that dies there may leave updates in flight unrecorded; one that ignores it
goes on changing the tenant. Inside ``Interrupt.trap()`` the first SIGINT,
SIGTERM or SIGHUP only sets a flag: the caller sends no new update, lets those
in flight finish and records them; a second signal of the same kind ends the
process as usual.

AWX and ansible-runner cancel a job with SIGKILL to ``ansible-playbook``'s
process group, which does not reach the worker process that runs the module
(Ansible puts each worker in a process group of its own): the module would go
on alone. On Linux, ``Interrupt`` also notices that the controller is gone
(the worker, the module's ancestor forked from ``ansible-playbook``, got a new
parent) and stops the same way.

Imports nothing of the collection.
"""

from __future__ import annotations

import os
import signal
import threading
from contextlib import contextmanager

SIGNALS = tuple(getattr(signal, name) for name in ('SIGINT', 'SIGTERM', 'SIGHUP') if hasattr(signal, name))
MAX_DEPTH = 12


def _stat(pid):
    """(parent pid, command line) of a process, from /proc; None where that cannot be read."""
    try:
        with open('/proc/%d/stat' % pid, 'rb') as handle:
            stat = handle.read().decode('utf-8', 'replace')
        with open('/proc/%d/cmdline' % pid, 'rb') as handle:
            cmdline = handle.read()
    except (OSError, ValueError):
        return None
    # The command name is in parentheses and may hold spaces or parentheses itself.
    fields = stat[stat.rfind(')') + 2:].split()
    try:
        return int(fields[1]), cmdline
    except (IndexError, ValueError):
        return None


def controller_links(start=None, stat=_stat):
    """The (pid, parent pid) links from this process up to Ansible's worker, or [] when there is no worker.

    The worker is the nearest ancestor forked from the controller: its command
    line is its parent's. While the controller lives, none of these links
    change; when it dies, the worker is re-parented.
    """
    links = []
    pid = os.getpid() if start is None else start
    for dummy in range(MAX_DEPTH):
        here = stat(pid)
        if here is None or here[0] <= 1:
            return []
        parent = stat(here[0])
        links.append((pid, here[0]))
        if parent is not None and parent[1] == here[1] and b'ansible' in here[1]:
            return links
        pid = here[0]
    return []


class Interrupt:
    """A stop flag set by a signal or by the controller's death; ``reason`` says which."""

    def __init__(self, links=None, stat=_stat):
        self._event = threading.Event()
        self.reason = None
        self._links = controller_links(stat=stat) if links is None else links
        self._stat = stat
        self._seen = set()

    def is_set(self):
        if not self._event.is_set() and self._links and self._controller_gone():
            self.set('the controller (ansible-playbook) is gone: the job was cancelled or killed')
        return self._event.is_set()

    def set(self, reason):
        if not self._event.is_set():
            self.reason = reason
            self._event.set()

    def _controller_gone(self):
        for pid, parent in self._links:
            here = self._stat(pid)
            if here is None or here[0] != parent:
                return True
        return False

    def _handle(self, signum, frame):
        if signum in self._seen:
            # A second one of the same kind: do what it would have done without us.
            signal.signal(signum, signal.SIG_DFL)
            os.kill(os.getpid(), signum)
            return
        self._seen.add(signum)
        self.set('%s received' % signal.Signals(signum).name)

    @contextmanager
    def trap(self):
        """Within: SIGINT, SIGTERM and SIGHUP set the flag instead of ending the process (main thread only)."""
        if threading.current_thread() is not threading.main_thread():
            yield self
            return
        previous = dict((signum, signal.getsignal(signum)) for signum in SIGNALS)
        for signum in SIGNALS:
            signal.signal(signum, self._handle)
        try:
            yield self
        finally:
            for signum, handler in previous.items():
                signal.signal(signum, handler if handler is not None else signal.SIG_DFL)
