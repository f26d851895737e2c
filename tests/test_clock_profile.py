"""Clocks and the latency profile."""
from __future__ import annotations

import time

import pytest

from simulate.clock import RealClock, VirtualClock
from simulate.profile import SEED_PROFILE, Profile, Step
from opentelemetry.trace import SpanKind


def test_virtual_clock_moves_only_when_told_and_never_sleeps():
    clock = VirtualClock(start_ns=1_000)
    started = time.monotonic()
    clock.sleep_ms(10_000)
    assert clock.now_ns() == 1_000 + 10_000 * 1_000_000
    assert time.monotonic() - started < 1
    clock.sleep_until(5)  # the past: no-op
    assert clock.now_ns() == 1_000 + 10_000 * 1_000_000


def test_virtual_branches_start_together_and_join_at_the_latest_end():
    clock = VirtualClock(start_ns=0)
    starts = []

    def branch(ms):
        def run():
            starts.append(clock.now_ns())
            clock.sleep_ms(ms)
            return ms
        return run

    outcomes = clock.run_concurrently([branch(30), branch(50)])
    assert [o.get() for o in outcomes] == [30, 50]
    assert starts == [0, 0] and clock.now_ns() == 50_000_000


def test_virtual_detached_work_does_not_move_the_caller():
    clock = VirtualClock(start_ns=0)
    clock.run_detached(lambda: clock.sleep_ms(10))
    assert clock.now_ns() == 0


def test_real_clock_at_speed_compresses_sleep_but_not_timestamps():
    clock = RealClock(speed=20)
    start_ns, started = clock.now_ns(), time.monotonic()
    clock.sleep_ms(200)
    assert clock.now_ns() - start_ns >= 200_000_000
    assert time.monotonic() - started < 0.2 * 0.9  # far less than the 200 ms simulated


def test_real_clock_branches_run_concurrently():
    clock = RealClock()
    start = clock.now_ns()
    clock.run_concurrently([lambda: clock.sleep_ms(100), lambda: clock.sleep_ms(100)])
    assert (clock.now_ns() - start) / 1e6 < 190  # not 200: they overlapped


def test_seed_profile_adds_up():
    p = SEED_PROFILE
    p.validate()
    for key, step in p.steps.items():
        if step.children:
            own = step.lead_ms + step.tail_ms + p.gap_ms(key) * (len(step.children) - 1)
            assert own + sum(p[c].duration_ms for c in step.children) == pytest.approx(step.duration_ms)
    assert [s.span_name for _, s in p.walk()] == [
        "POST /api/orders", "create-order", "validate-order", "check-inventory", "db.query",
        "process-payment", "authorize-payment", "save-order", "db.query", "send-notification"]


def test_a_profile_whose_parts_do_not_add_up_is_rejected():
    bad = Profile("a", {"a": Step("a", "a", "s", SpanKind.SERVER, 10, 5, 5, ("b",)),
                        "b": Step("b", "b", "s", SpanKind.INTERNAL, 5)})
    with pytest.raises(ValueError):
        bad.validate()
