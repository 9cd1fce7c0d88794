# -*- coding: utf-8 -*-
# Copyright: (c) 2026, AloHub collection maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""transport.RateLimitState: generic rate-limit headers and pacing."""

from __future__ import annotations

import threading

import pytest
from requests.structures import CaseInsensitiveDict

from ansible_collections.alohub.callcenter.plugins.module_utils.transport import RateLimitState


NOW = 500.0
WALL = 1_800_000_000.0


def answered(state, headers, now=NOW, wall_now=WALL):
    """One request through the state: acquire a slot, then release it with ``headers``."""
    delay = state.acquire(now, max_wait=60)
    state.release(CaseInsensitiveDict(headers) if headers is not None else None, now, wall_now=wall_now)
    return delay


def test_smallest_remaining_of_all_ratelimit_headers_wins():
    state = RateLimitState()
    answered(state, {
        'X-RateLimit-Limit-Tenant': '100', 'X-RateLimit-Remaining-Tenant': '57',
        'X-RateLimit-Limit-Route': '20', 'X-RateLimit-Remaining-Route': '6',
        'RateLimit-Remaining': '9', 'RateLimit-Reset': '4',
    })
    assert state.remaining == 6
    assert state.limit == 20
    assert state.snapshot(NOW) == {'remaining': 6, 'limit': 20, 'reset_in': 4.0}


def test_kong_window_suffixed_headers_are_read():
    state = RateLimitState()
    answered(state, {'X-RateLimit-Limit-10': '10', 'X-RateLimit-Remaining-10': '3', 'ratelimit-reset': '7'})
    assert (state.remaining, state.limit) == (3, 10)
    assert state.snapshot(NOW)['reset_in'] == 7.0


def test_reset_as_epoch_seconds_is_turned_into_a_delta():
    state = RateLimitState()
    answered(state, {'RateLimit-Remaining': '5', 'RateLimit-Reset': str(int(WALL) + 8)})
    assert state.snapshot(NOW)['reset_in'] == 8.0


def test_reset_epoch_in_the_past_means_now():
    state = RateLimitState()
    answered(state, {'RateLimit-Remaining': '5', 'RateLimit-Reset': str(int(WALL) - 30)})
    assert state.snapshot(NOW)['reset_in'] == 0.0


def test_unreadable_values_are_skipped():
    state = RateLimitState()
    answered(state, {'X-RateLimit-Remaining-Tenant': 'lots', 'X-RateLimit-Remaining-Route': ' 4 ', 'RateLimit-Reset': 'soon'})
    assert state.remaining == 4
    assert state.snapshot(NOW)['reset_in'] is None


@pytest.mark.parametrize('value', ['inf', '-inf', 'nan', '1e400'])
def test_non_finite_values_are_skipped_not_fatal(value):
    state = RateLimitState()
    answered(state, {'X-RateLimit-Remaining-Tenant': value, 'X-RateLimit-Remaining-Route': '4', 'RateLimit-Reset': value})
    assert state.remaining == 4
    assert state.snapshot(NOW)['reset_in'] is None


def test_answers_without_ratelimit_headers_change_nothing():
    state = RateLimitState()
    answered(state, {'RateLimit-Remaining': '5', 'RateLimit-Reset': '3'})
    answered(state, {'Content-Type': 'application/json', 'Retry-After': '3'})
    # The second acquire spent one from the known budget; the header-less answer left the rest alone.
    assert state.remaining == 4
    answered(state, None)  # an attempt that got no answer at all
    assert state.remaining == 3
    assert state.in_flight == 0


def test_no_wait_when_plenty_remain():
    state = RateLimitState()
    answered(state, {'RateLimit-Remaining': '8', 'RateLimit-Reset': '5'})
    assert state.acquire(NOW + 1, max_wait=60) == 0.0
    assert state.remaining == 7


@pytest.mark.parametrize('remaining', ['0', '1'])
def test_waits_for_the_window_when_remaining_is_at_the_reserve(remaining):
    state = RateLimitState()
    answered(state, {'RateLimit-Remaining': remaining, 'RateLimit-Reset': '5'})
    assert state.acquire(NOW + 1, max_wait=60) == pytest.approx(4.0)
    # The next window's budget is unknown until an answer says it.
    assert state.remaining is None
    # Others asking meanwhile wait for the same window end, not for a new one.
    assert state.acquire(NOW + 3, max_wait=60) == pytest.approx(2.0)
    # Once the window has passed nobody waits.
    assert state.acquire(NOW + 5.5, max_wait=60) == 0.0


def test_two_remaining_is_not_paced():
    state = RateLimitState()
    answered(state, {'RateLimit-Remaining': '2', 'RateLimit-Reset': '5'})
    assert state.acquire(NOW, max_wait=60) == 0.0
    assert state.remaining == 1


def test_waits_longer_than_max_wait_are_not_paced():
    state = RateLimitState()
    answered(state, {'RateLimit-Remaining': '0', 'RateLimit-Reset': '90'})
    assert state.acquire(NOW, max_wait=60) == 0.0
    assert state.acquire(NOW, max_wait=90) == pytest.approx(90.0)


def test_no_pacing_without_a_reset():
    state = RateLimitState()
    answered(state, {'RateLimit-Remaining': '0'})
    assert state.acquire(NOW, max_wait=60) == 0.0


def test_no_pacing_after_the_window_ended():
    state = RateLimitState()
    answered(state, {'RateLimit-Remaining': '0', 'RateLimit-Reset': '2'})
    assert state.acquire(NOW + 2.5, max_wait=60) == 0.0


def test_requests_in_flight_are_subtracted_from_what_the_server_said():
    state = RateLimitState()
    for dummy in range(3):
        state.acquire(NOW, max_wait=60)
    assert state.in_flight == 3
    # The first answer says 5 left, but the two still in flight were sent after it was counted.
    state.release(CaseInsensitiveDict({'RateLimit-Remaining': '5', 'RateLimit-Reset': '9'}), NOW)
    assert state.in_flight == 2
    assert state.remaining == 3


def test_in_flight_never_goes_negative():
    state = RateLimitState()
    state.release(None, NOW)
    assert state.in_flight == 0


def test_reserve_is_configurable():
    state = RateLimitState(reserve=3)
    answered(state, {'RateLimit-Remaining': '3', 'RateLimit-Reset': '2'})
    assert state.acquire(NOW, max_wait=60) == pytest.approx(2.0)


def test_parallel_acquires_spend_the_budget_once_each():
    state = RateLimitState()
    answered(state, {'RateLimit-Remaining': '100', 'RateLimit-Reset': '9'})
    barrier = threading.Barrier(8)

    def worker():
        barrier.wait()
        for dummy in range(10):
            state.acquire(NOW, max_wait=60)

    threads = [threading.Thread(target=worker) for dummy in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert state.in_flight == 80
    assert state.remaining == 20
