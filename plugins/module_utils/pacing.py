# -*- coding: utf-8 -*-
# Copyright: (c) 2026, AloHub collection maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Pacing: what the rate-limit headers said, kept across the requests of one run.

The transport asks for a slot before every attempt and records the headers of
every answer; when the window is nearly spent, the slot comes with a wait until
the window resets, so a busy run waits instead of collecting 429s.

Imports nothing of the collection.
"""

from __future__ import annotations

import math
import threading
import time


RATE_LIMIT_RESERVE = 1      # requests left in a window that pacing keeps unused


def _header_ints(headers, fragment):
    values = []
    for name, value in headers.items():
        if fragment in name.lower():
            try:
                number = float(str(value).strip())
            except ValueError:
                continue
            if math.isfinite(number):   # "inf" and "nan" are not a count
                values.append(int(number))
    return values


class RateLimitState:
    """What the rate-limit headers said, kept across the requests of one run.

    Header names vary by gateway (``X-RateLimit-Remaining-Tenant``,
    ``X-RateLimit-Remaining-10``, ``RateLimit-Remaining``...), so every
    header whose name contains ``ratelimit-remaining`` counts and the smallest
    wins. ``RateLimit-Reset`` (seconds, or an epoch time) says when the window
    ends. Thread-safe: parallel updates share one state.
    """

    def __init__(self, reserve=RATE_LIMIT_RESERVE):
        self.reserve_count = reserve
        self.remaining = None
        self.limit = None
        self.reset_at = None
        self.blocked_until = 0.0
        self.in_flight = 0
        self._lock = threading.Lock()

    def acquire(self, now, max_wait):
        """Take a slot for one request; return how long to wait first."""
        with self._lock:
            self.in_flight += 1
            delay = 0.0
            if now < self.blocked_until:
                delay = self.blocked_until - now
            elif self.remaining is not None and self.reset_at is not None and now < self.reset_at:
                if self.remaining <= self.reserve_count and self.reset_at - now <= max_wait:
                    self.blocked_until = self.reset_at
                    delay = self.reset_at - now
                    # The next window's budget is unknown until an answer says it.
                    self.remaining = None
                    self.reset_at = None
            if self.remaining is not None:
                self.remaining -= 1
            return delay

    def release(self, headers, now, wall_now=None):
        """Record the headers of an answer (or none, for a failed attempt)."""
        with self._lock:
            self.in_flight = max(0, self.in_flight - 1)
            if headers is None:
                return
            remaining = _header_ints(headers, 'ratelimit-remaining')
            if not remaining:
                return
            limits = _header_ints(headers, 'ratelimit-limit')
            self.limit = min(limits) if limits else None
            # Requests still in flight were sent after the server counted this one.
            self.remaining = min(remaining) - self.in_flight
            resets = _header_ints(headers, 'ratelimit-reset')
            if resets:
                reset = min(resets)
                if reset > 1000000000:  # an epoch timestamp, not a delta
                    reset = reset - (wall_now if wall_now is not None else time.time())
                self.reset_at = now + max(0, reset)
            else:
                self.reset_at = None

    def snapshot(self, now):
        with self._lock:
            return dict(
                remaining=self.remaining, limit=self.limit,
                reset_in=None if self.reset_at is None else max(0.0, round(self.reset_at - now, 3)))
