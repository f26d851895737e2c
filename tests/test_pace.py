"""Real-time load keeps its pace, and says so when this machine cannot.

A dispatcher a few milliseconds late still starts the orders it passed; a run that
asks for far more than the machine can do is told that its latencies are inflated,
measured by how late the simulation's waits ended.
"""
from __future__ import annotations

import gc
import json

from opentelemetry.sdk.trace import ReadableSpan

from conftest import run_main
from simulate.cli import build_parser, config_from_args
from simulate.report.load_report import LATE_MS, LoadSummary, Outcomes, Pace, _pace_line
from simulate.runs import load
from simulate.runs.common import LOAD_GC_THRESHOLDS
from simulate.world.clock import RealClock


def real_time(*args: str) -> tuple[dict, str]:
    result = run_main("--json", "--no-export", *args, timeout=120)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout), result.stderr


def test_a_modest_open_loop_rate_starts_every_order_on_time():
    data, err = real_time("--rate", "100", "--duration", "2", "--speed", "1")
    assert data["orders"]["total"] == 200 and data["not_started"] == 0
    assert data["late_ms"] < LATE_MS
    assert data["latency_ms"]["POST /api/orders"]["p50"] < 260  # the seed's 250 ms
    assert "could not keep up" not in err


def test_a_rate_far_beyond_the_machine_is_reported_as_inflated_latency():
    # 8,000 orders a second of real time: no Python process keeps that pace.
    data, err = real_time("--rate", "40", "--duration", "5", "--speed", "200")
    assert data["late_ms"] > LATE_MS
    assert data["latency_ms"]["POST /api/orders"]["p50"] > 250 + LATE_MS
    assert "this machine could not keep up (its waits ended" in err


def test_the_real_clock_counts_how_late_its_waits_end():
    clock = RealClock(spin_ms=0)
    assert clock.mean_lateness_ms() == 0.0
    clock.sleep_until(clock.now_ns() - 80_000_000)  # its moment passed 80 ms ago
    clock.sleep_until(clock.now_ns() + 2_000_000)  # on time, give or take a wake-up
    assert 40.0 <= clock.mean_lateness_ms() < 80.0  # (80 + a little) / 2


def summary(pace: Pace) -> LoadSummary:
    return LoadSummary(interrupted=False, outcomes=Outcomes(ok=900), wall_s=3.0, spans_created=9_900,
                       exports=(), output=None, latencies={}, peak_rss_mb=40.0, pace=pace)


def test_the_pace_line_names_the_cause():
    assert _pace_line(summary(Pace(True, 300.0, 0.0, 0, late_ms=0.3))) is None
    assert _pace_line(summary(Pace(False, None, 0.0, 0, late_ms=90.0))) is None  # virtual time
    late = _pace_line(summary(Pace(True, 400.0, 0.0, 0, late_ms=61.25)))
    assert late and "300/s" in late and "ended 61.2 ms late" in late and "--rate" in late
    closed = _pace_line(summary(Pace(True, None, 0.0, 0, late_ms=12.0)))
    assert closed and "--concurrency" in closed
    dropped = _pace_line(summary(Pace(True, 400.0, 0.0, 25, late_ms=0.3)))
    assert dropped and "25 scheduled starts missed" in dropped and "late" not in dropped
    held = _pace_line(summary(Pace(True, 400.0, 2.0, 25, late_ms=30.0)))
    assert held and "export could not keep up" in held


def test_a_load_run_collects_garbage_less_often_and_restores_the_thresholds(capsys, monkeypatch):
    parser = build_parser()
    config = config_from_args(parser, parser.parse_args(
        ["--orders", "3", "--speed", "0", "--no-export", "--json"]))
    seen: list[tuple[int, int, int]] = []
    before = gc.get_threshold()
    original = load.SpanLatencies

    class WatchedLatencies(original):  # type: ignore[misc, valid-type]
        def on_end(self, span: ReadableSpan) -> None:
            seen.append(gc.get_threshold())
            super().on_end(span)

    monkeypatch.setattr(load, "SpanLatencies", WatchedLatencies)  # sees inside, changes nothing
    assert load.run_load(config) == 0
    assert seen and set(seen) == {LOAD_GC_THRESHOLDS} != {before}
    assert gc.get_threshold() == before  # nothing process-wide left behind
    assert json.loads(capsys.readouterr().out)["orders"]["total"] == 3


def test_a_late_dispatcher_catches_up_and_only_drops_what_is_far_behind():
    per_s = 400.0  # a slot every 2.5 ms
    assert load.next_slot(10, 10, per_s) == (11, 0)  # on time
    assert load.next_slot(10, 13, per_s) == (11, 0)  # 7.5 ms late (a GIL hand-off): no slot lost
    behind = int(load.CATCH_UP_S * per_s) + 1
    assert load.next_slot(10, 11 + behind, per_s) == (11 + behind, behind)  # held: dropped, counted
