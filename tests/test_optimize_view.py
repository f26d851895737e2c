"""The optimisation switches change what the simulation does; the view draws what happened."""
from __future__ import annotations

import io
import json
import re

import pytest
from opentelemetry.trace import StatusCode
from rich.console import Console

from conftest import run_flow, run_main
from simulate.report.records import from_readable
from simulate.report.view import render
from simulate.world.clock import RealClock
from simulate.world.profile import profile_for


def optimised(scenario="none", *switches, clock=None):
    opts = frozenset(switches)
    return run_flow(scenario, clock=clock, profile=profile_for(opts), optimizations=opts)


def root_ms(run) -> float:
    root = run.by_name("POST /api/orders")
    return (root.end_time - root.start_time) / 1e6


def check_tree_valid(run):
    ids = {s.context.span_id for s in run.spans}
    assert len({s.context.trace_id for s in run.spans}) == 1
    roots = [s for s in run.spans if s.parent is None or s.parent.span_id not in ids]
    assert [r.name for r in roots] == ["POST /api/orders"]


@pytest.mark.parametrize("switches,expected_root", [
    ((), 250), (("parallel",), 220), (("cache",), 235), (("async",), 240),
    (("parallel", "cache", "async"), 210)])
def test_each_switch_gives_the_root_latency_it_promises(switches, expected_root):
    run = optimised("none", *switches)
    check_tree_valid(run)
    assert root_ms(run) == pytest.approx(expected_root, abs=0.001)


def test_parallel_overlaps_inventory_and_payment_and_keeps_both_under_create_order():
    run = optimised("none", "parallel")
    inv, pay = run.by_name("check-inventory"), run.by_name("process-payment")
    assert inv.start_time == pay.start_time and inv.end_time < pay.end_time
    assert run.parent_of(inv).name == run.parent_of(pay).name == "create-order"


def test_parallel_in_real_time_really_runs_concurrently():
    run = optimised("none", "parallel", clock=RealClock())
    inv, pay = run.by_name("check-inventory"), run.by_name("process-payment")
    assert inv.start_time < pay.end_time and pay.start_time < inv.end_time  # they overlap
    assert root_ms(run) < 245  # serial would be 250; the benchmark-free check stays generous


def test_parallel_failure_lets_the_other_branch_finish_and_the_trace_shows_it():
    run = optimised("inventory", "parallel")
    assert run.by_name("check-inventory").status.status_code == StatusCode.ERROR
    payment = run.by_name("process-payment")
    assert payment.status.status_code == StatusCode.UNSET  # it outlived the failure: card charged
    assert payment.end_time > run.by_name("check-inventory").end_time
    assert run.by_name("create-order").attributes["error.type"] == "OutOfStockError"
    assert run.outcome.status == 409


def test_cache_serves_stock_from_memory_with_no_db_query_yet_still_sees_zero_stock():
    run = optimised("none", "cache")
    check = run.by_name("check-inventory")
    assert check.attributes["inventory.cache.hit"] is True
    assert [s.resource.attributes["service.name"] for s in run.spans if s.name == "db.query"] == [
        "order-service"]
    failed = optimised("inventory", "cache")
    assert failed.outcome.status == 409


def test_async_notification_ends_after_its_parent_and_the_response():
    run = optimised("none", "async")
    note, create = run.by_name("send-notification"), run.by_name("create-order")
    assert run.parent_of(note) is create
    assert note.end_time > create.end_time
    assert note.end_time > run.by_name("POST /api/orders").end_time


def test_view_draws_the_seed_tree_from_the_spans():
    stream = io.StringIO()
    render(from_readable(run_flow().spans), Console(file=stream, width=80))
    text = stream.getvalue()
    assert "\x1b[" not in text  # not a terminal: plain text
    lines = text.splitlines()
    assert all(len(line) <= 80 for line in lines)
    header = next(i for i, line in enumerate(lines) if line.startswith("span "))
    rows = lines[header + 1:header + 11]
    tree = [re.match(r"^(.*?\(\d+ms\))", line).group(1) for line in rows]
    assert tree == [
        "POST /api/orders (250ms)", "└─ create-order (230ms)", "   ├─ validate-order (20ms)",
        "   ├─ check-inventory (30ms)", "   │  └─ db.query (15ms)", "   ├─ process-payment (50ms)",
        "   │  └─ authorize-payment (30ms)", "   ├─ save-order (25ms)", "   │  └─ db.query (15ms)",
        "   └─ send-notification (10ms)"]
    assert "Slowest step     Payment Service (process-payment, 50.0 ms)" in text
    assert "Total latency    250.0 ms" in text


def test_view_marks_the_failure_and_colours_it_on_a_terminal():
    stream = io.StringIO()
    render(from_readable(run_flow("inventory").spans),
           Console(file=stream, width=80, force_terminal=True, color_system="standard"))
    text = stream.getvalue()
    assert "\x1b[31m" in text  # red
    assert "check-inventory (30ms) ✗" in text
    assert "the trace shows the failure at check-inventory" in text


def test_json_output_schema():
    result = run_main("--no-export", "--json", "--speed", "0")
    assert result.returncode == 0
    report = json.loads(result.stdout)
    assert set(report) == {"trace_id", "total_ms", "spans", "services_ms", "slowest_step",
                           "most_self_time", "critical_path", "suggestions", "failure", "diagnosis"}
    assert report["diagnosis"] == {"fault": "none", "service": None, "evidence": [], "found": 0,
                                   "also": []}
    assert len(report["trace_id"]) == 32 and report["total_ms"] == 250
    assert {"name", "service", "kind", "depth", "duration_ms", "self_ms", "error"} == set(report["spans"][0])
    assert {"kind", "optimize", "spans", "saving_ms", "reason"} == set(report["suggestions"][0])


def test_compare_prints_both_runs_and_the_measured_saving():
    result = run_main("--no-export", "--speed", "0", "--optimize", "parallel", "--compare", "--json")
    assert result.returncode == 0
    data = json.loads(result.stdout)
    assert set(data) == {"optimize", "baseline", "optimised", "saving_ms", "predicted_saving_ms"}
    assert set(data["baseline"]) == set(data["optimised"]) >= {"total_ms", "suggestions", "failure"}
    assert data["saving_ms"] == pytest.approx(30) and data["predicted_saving_ms"] == pytest.approx(30)
    plain = run_main("--no-export", "--speed", "0", "--optimize", "all", "--compare")
    assert "Baseline vs --optimize async,cache,parallel" in plain.stdout
    assert "root latency (ms)" in plain.stdout


@pytest.mark.parametrize("args", [("--optimize", "turbo"), ("--compare",)])
def test_bad_optimisation_flags_exit_2(args):
    result = run_main(*args)
    assert result.returncode == 2 and "Traceback" not in result.stderr


def test_no_view_skips_the_view():
    result = run_main("--no-export", "--no-view", "--speed", "0")
    assert "Performance analysis" not in result.stdout
    assert "Performance analysis" in run_main("--no-export", "--speed", "0").stdout


@pytest.mark.parametrize("scenario,span,extra", [
    ("inventory", "check-inventory", "Out of stock"),
    ("payment", "process-payment", "authorize-payment answered 402"),
])
def test_a_failed_run_ends_with_the_seeds_diagnosis(scenario, span, extra):
    result = run_main("--no-export", "--speed", "0", "--no-view", "--fail", scenario)
    assert f"🩺 Diagnosis: the trace shows the failure at {span}" in result.stdout
    assert extra in result.stdout and f"{span} holds the status message" in result.stdout
    assert "Jaeger: open" not in result.stdout  # nothing was sent there: no link to nowhere
    assert "Diagnosis" not in run_main("--no-export", "--speed", "0", "--no-view").stdout
