"""The simulator's fixed-window rate limiter, in process, on an injected clock (no sleeping)."""

import pytest

from alohub_sim.ratelimit import RateLimiter

ROUTE = "GET /v1/queues/inbound"
OTHER = "PUT /v1/queues/inbound/{id}"


class Clock:
    def __init__(self, now):
        self.now = now

    def __call__(self):
        return self.now


@pytest.fixture
def clock():
    return Clock(1000.0)   # on a boundary of 10 s, 4 s, 2 s, 1 s and 0.5 s windows


def limiter(clock, tenant=0, route=0, window=10.0):
    return RateLimiter(tenant_limit=tenant, route_limit=route, window=window, clock=clock)


def test_windows_are_aligned_to_the_clock_and_reset_rounds_up(clock):
    rl = limiter(clock, route=2, window=10)
    clock.now = 1003.2
    first = rl.hit("T", ROUTE)
    assert (first.allowed, first.route_remaining, first.reset, first.window_end) == (True, 1, 7, 1010.0)
    clock.now = 1009.99
    assert rl.hit("T", ROUTE).reset == 1                      # never 0: at least one second
    third = rl.hit("T", ROUTE)
    assert (third.allowed, third.exceeded, third.route_remaining) == (False, "route", 0)
    clock.now = 1010.0                                         # the next window starts exactly here
    again = rl.hit("T", ROUTE)
    assert (again.allowed, again.route_remaining, again.reset, again.window_end) == (True, 1, 10, 1020.0)


def test_a_rejected_request_does_not_count(clock):
    rl = limiter(clock, tenant=3, route=1)
    assert rl.hit("T", ROUTE).allowed
    for dummy in range(5):
        assert rl.hit("T", ROUTE).exceeded == "route"
    decision = rl.hit("T", OTHER)                              # the tenant has used 1 of 3, not 6
    assert decision.allowed and decision.tenant_remaining == 1


def test_the_tenant_limit_spans_routes_and_tenants_are_apart(clock):
    rl = limiter(clock, tenant=2, route=10)
    assert rl.hit("T", ROUTE).allowed and rl.hit("T", OTHER).allowed
    assert rl.hit("T", ROUTE).exceeded == "tenant"
    assert rl.hit("U", ROUTE).tenant_remaining == 1


def test_headers_for_limited_and_unlimited_dimensions(clock):
    both = limiter(clock, tenant=5, route=3).hit("T", ROUTE).headers()
    assert both == [("X-RateLimit-Limit-Tenant", "5"), ("X-RateLimit-Remaining-Tenant", "4"),
                    ("X-RateLimit-Limit-Route", "3"), ("X-RateLimit-Remaining-Route", "2"), ("RateLimit-Reset", "10")]
    assert limiter(clock, tenant=0, route=0).hit("T", ROUTE).headers() == [("RateLimit-Reset", "10")]


def test_unlimited_never_refuses(clock):
    rl = limiter(clock)
    assert all(rl.hit("T", ROUTE).allowed for dummy in range(1000))


@pytest.mark.parametrize("window", [0.5, 2, 4])
def test_other_window_lengths(clock, window):
    rl = limiter(clock, route=1, window=window)
    assert rl.hit("T", ROUTE).allowed and not rl.hit("T", ROUTE).allowed
    clock.now += window - 0.001
    assert not rl.hit("T", ROUTE).allowed
    clock.now += 0.001
    assert rl.hit("T", ROUTE).allowed


def test_configure_and_clear_restart_the_counters(clock):
    rl = limiter(clock, route=1)
    assert rl.hit("T", ROUTE).allowed and not rl.hit("T", ROUTE).allowed
    rl.configure(0, 1, 10)
    assert rl.hit("T", ROUTE).allowed and not rl.hit("T", ROUTE).allowed
    rl.clear()
    assert rl.hit("T", ROUTE).allowed
