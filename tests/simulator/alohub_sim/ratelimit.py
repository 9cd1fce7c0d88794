"""Fixed-window rate limits: one per tenant, one per tenant and route.

Windows are aligned to the clock (window ``n`` covers ``[n * w, (n + 1) * w)``),
like Kong's fixed-window limiter. A rejected request does not count.
"""

import math
import threading
import time


class Decision:
    """The outcome of one request against both limits."""

    def __init__(self, allowed, exceeded, tenant_limit, tenant_remaining, route_limit, route_remaining, reset, window_end):
        self.allowed = allowed
        self.exceeded = exceeded  # None, "tenant" or "route"
        self.tenant_limit = tenant_limit
        self.tenant_remaining = tenant_remaining
        self.route_limit = route_limit
        self.route_remaining = route_remaining
        self.reset = reset  # whole seconds until the window ends (ceil, >= 1)
        self.window_end = window_end  # epoch seconds

    def headers(self):
        """Rate-limit headers; an unlimited (0) dimension sends none of its two."""
        headers = []
        if self.tenant_limit:
            headers.append(("X-RateLimit-Limit-Tenant", str(self.tenant_limit)))
            headers.append(("X-RateLimit-Remaining-Tenant", str(self.tenant_remaining)))
        if self.route_limit:
            headers.append(("X-RateLimit-Limit-Route", str(self.route_limit)))
            headers.append(("X-RateLimit-Remaining-Route", str(self.route_remaining)))
        headers.append(("RateLimit-Reset", str(self.reset)))
        return headers


class RateLimiter:
    """Thread-safe counters for the tenant limit and the route limit."""

    def __init__(self, tenant_limit=1000, route_limit=1000, window=10.0, clock=time.time):
        self._lock = threading.Lock()
        self._clock = clock
        self._counts = {}
        self.tenant_limit = tenant_limit
        self.route_limit = route_limit
        self.window = window

    def configure(self, tenant_limit, route_limit, window):
        """New limits; counters start again from zero."""
        with self._lock:
            self.tenant_limit = int(tenant_limit)
            self.route_limit = int(route_limit)
            self.window = float(window)
            self._counts = {}

    def clear(self):
        with self._lock:
            self._counts = {}

    def _count(self, key, index):
        seen = self._counts.get(key)
        if seen is None or seen[0] != index:
            return 0
        return seen[1]

    def hit(self, tenant, route):
        """Count one request of ``tenant`` on ``route`` unless a limit is reached."""
        with self._lock:
            now = self._clock()
            index = math.floor(now / self.window)
            window_end = (index + 1) * self.window
            reset = max(1, math.ceil(window_end - now))
            tenant_key = ("tenant", tenant)
            route_key = ("route", tenant, route)
            tenant_used = self._count(tenant_key, index)
            route_used = self._count(route_key, index)
            exceeded = None
            if self.tenant_limit and tenant_used >= self.tenant_limit:
                exceeded = "tenant"
            elif self.route_limit and route_used >= self.route_limit:
                exceeded = "route"
            if exceeded is None:
                tenant_used += 1
                route_used += 1
                if len(self._counts) > 100000:
                    self._counts = {k: v for k, v in self._counts.items() if v[0] == index}
                self._counts[tenant_key] = (index, tenant_used)
                self._counts[route_key] = (index, route_used)
            return Decision(
                allowed=exceeded is None,
                exceeded=exceeded,
                tenant_limit=self.tenant_limit,
                tenant_remaining=max(0, self.tenant_limit - tenant_used),
                route_limit=self.route_limit,
                route_remaining=max(0, self.route_limit - route_used),
                reset=reset,
                window_end=window_end,
            )
