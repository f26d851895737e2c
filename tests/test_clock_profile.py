"""Clocks and the latency profile."""
from __future__ import annotations

import time
from dataclasses import replace

import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.trace import SpanKind

from conftest import run_flow
from simulate.world.clock import RealClock, VirtualClock
from simulate.world.profile import SEED_PROFILE, Profile, Step
from simulate.world.services.base import Operation, ProfileMismatchError, Runtime


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


def _swapped(profile: Profile, parent: str, a: str, b: str) -> Profile:
    """The profile with two children of ``parent`` listed the other way round."""
    step = profile[parent]
    children = list(step.children)
    i, j = children.index(a), children.index(b)
    children[i], children[j] = children[j], children[i]
    return Profile(profile.root, {**profile.steps, parent: replace(step, children=tuple(children))})


def test_code_and_profile_are_matched_by_name_and_a_mismatch_is_caught():
    # The Order Service calls check-inventory then process-payment; a profile that says
    # otherwise used to shift every timing silently (root 235 ms instead of 250).
    run = run_flow(profile=_swapped(SEED_PROFILE, "create-order", "check-inventory",
                                    "process-payment"))
    create = run.by_name("create-order")
    assert create.attributes["error.type"] == "ProfileMismatchError"
    [event] = [e for e in create.events if e.name == "exception"]
    assert "check-inventory" in event.attributes["exception.message"]
    assert "process-payment" in event.attributes["exception.message"]
    assert run.outcome.status == 500
    assert "check-inventory" not in {s.name for s in run.spans}  # nothing ran off-schedule


def test_operation_refuses_a_child_the_profile_does_not_expect():
    tracer = TracerProvider().get_tracer("test")
    runtime = Runtime(telemetry=type("T", (), {"tracer": lambda self, s: tracer})(),
                      clock=VirtualClock(), log=None, profile=SEED_PROFILE)
    span = tracer.start_span("save-order")
    op = Operation(SEED_PROFILE["save-order"], span, runtime, 0)
    with pytest.raises(ProfileMismatchError, match="orders.db.query"):
        op.call("inventory.db.query", lambda: None)
    op.call("orders.db.query", lambda: None)  # the right name runs
    with pytest.raises(ProfileMismatchError, match="no more children"):
        op.call("orders.db.query", lambda: None)
