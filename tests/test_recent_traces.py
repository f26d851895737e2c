"""RecentTraces: the last traces kept whole, with their links and log lines, bounded."""
from __future__ import annotations

import threading

from simulate.tracing.providers import Telemetry
from simulate.tracing.recent import RecentTraces
from simulate.world.clock import VirtualClock
from simulate.world.profile import profile_for
from simulate.world.scenarios import SCENARIOS
from simulate.world.services.base import Runtime
from simulate.world.system import build_system, place_order


class Notes:
    """Each log line kept with its trace, as serve's log sink does."""

    def __init__(self, store: RecentTraces):
        self.store = store

    def write(self, line) -> None:
        self.store.note(line.span_context.trace_id, line)


def world(store: RecentTraces, optimizations: frozenset[str] = frozenset()):
    runtime = Runtime(telemetry=Telemetry([store]), clock=VirtualClock(), log=Notes(store),
                      profile=profile_for(optimizations), optimizations=optimizations)
    return build_system(runtime, SCENARIOS["none"])


def test_an_order_is_kept_with_its_consumer_trace_and_its_log():
    store = RecentTraces()
    system = world(store)
    outcome = place_order(system)
    trace_id = int(outcome.trace_id, 16)
    assert not store.wait_settled(trace_id, expect_linked=True, timeout_s=0.01)  # no consumer yet
    system.email_worker.poll()
    assert store.wait_settled(trace_id, expect_linked=True, timeout_s=0.01)
    spans, notes, linked = store.get(trace_id)
    assert len(spans) == 10 and {s.context.trace_id for s in spans} == {trace_id}
    [consumer] = linked
    assert [s.name for s in consumer] == ["process order-notifications"]
    texts = [line.text for line in notes]
    assert texts[0] == "📥 [API Gateway] Received order request"
    assert any(line.detail for line in notes)  # the email worker's line comes with its trace


def test_a_reader_waits_for_work_that_ends_after_the_answer():
    store = RecentTraces()
    system = world(store)
    outcome = place_order(system)
    trace_id = int(outcome.trace_id, 16)
    done = threading.Event()
    waiter = threading.Thread(target=lambda: store.wait_settled(trace_id, True, 5.0) and done.set())
    waiter.start()
    assert not done.wait(0.1)
    system.email_worker.poll()
    waiter.join(5)
    assert done.is_set()
    assert store.wait_settled(trace_id + 1, True, 0.0)  # unknown: nothing to wait for


def test_only_the_last_traces_are_kept():
    store = RecentTraces(max_traces=4)
    system = world(store)
    ids = [int(place_order(system).trace_id, 16) for _ in range(5)]
    assert len(store) == 4
    assert store.get(ids[0]) == ([], [], [])
    assert len(store.get(ids[-1])[0]) == 10
