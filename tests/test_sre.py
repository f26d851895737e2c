"""For an SRE loading a collector: a target in spans/s (--span-rate, and the spans/s a
--rate means, said before the run), a ramp (--ramp), and the live numbers as JSON lines
(--stats-interval).  Real runs as subprocesses; virtual time where the count is exact."""
from __future__ import annotations

import json

import pytest

from conftest import run_main
from simulate.receiver import OtlpReceiver


def summary(*args: str) -> tuple[dict, str]:
    result = run_main(*args, "--speed", "0", "--no-export", "--json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout), result.stderr


def test_a_rate_is_also_said_in_spans_per_second_before_the_run():
    data, err = summary("--orders", "200", "--rate", "100")
    assert "100.0 orders/s = 1,100 spans/s: an order makes 11.00 spans" in err
    # what the run then made agrees: 11 spans an order
    assert data["spans"]["created"] == 200 * 11


@pytest.mark.parametrize("mix,per_order", [("inventory=1", 5), ("payment=1", 7), ("payment=0.5", 9)])
def test_span_rate_becomes_the_orders_per_second_of_the_actual_mix(mix, per_order):
    data, err = summary("--orders", "400", "--span-rate", "1000", "--failure-rate", mix, "--seed", "1")
    assert data["target_orders_per_s"] == pytest.approx(1000 / per_order)
    assert f"= 1,000 spans/s: an order makes {per_order:.2f} spans" in err
    if mix != "payment=0.5":  # a fixed mix: the spans made are exactly what was promised
        assert data["spans"]["created"] == 400 * per_order


def test_span_rate_counts_the_spans_of_the_optimised_tree():
    _, err = summary("--orders", "10", "--span-rate", "1000", "--optimize", "cache")
    assert "an order makes 10.00 spans with this mix (10 when it succeeds" in err  # no db.query for the stock


def test_a_ramp_rises_linearly_to_the_rate():
    flat, _ = summary("--duration", "10", "--rate", "100")
    ramped, err = summary("--duration", "10", "--rate", "100", "--ramp", "10s")
    assert flat["orders"]["total"] == 1000
    assert ramped["orders"]["total"] == 500  # the area under a rate rising from 0 to 100/s
    assert "reached after a 10 s ramp" in err
    half, _ = summary("--duration", "10", "--rate", "100", "--ramp", "4s")
    assert half["orders"]["total"] == 1000 - 200


def test_a_closed_loop_ramp_lets_clients_join_one_by_one():
    flat, _ = summary("--duration", "2", "--concurrency", "8")
    ramped, _ = summary("--duration", "2", "--concurrency", "8", "--ramp", "2s")
    assert ramped["orders"]["total"] < flat["orders"]["total"]


def test_stats_lines_while_the_run_goes_then_the_summary_on_stderr():
    with OtlpReceiver() as receiver:
        result = run_main("--orders", "120", "--rate", "200", "--speed", "1", "--ramp", "0.2s",
                          "--stats-interval", "0.2", "--endpoint", receiver.endpoint)
        assert result.returncode == 0, result.stderr
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(records) >= 2 and records[-1]["final"] and not records[0]["final"]
    assert [r["elapsed_s"] for r in records] == sorted(r["elapsed_s"] for r in records)
    last = records[-1]
    assert last["orders"]["done"] == 120 and last["spans"] == 120 * 11
    [export] = [e for e in last["export"] if e["signal"] == "traces"]
    assert {e["signal"] for e in last["export"]} == {"traces", "logs", "metrics"}
    assert export["exported"] == export["handed"] == 120 * 11 and export["reason"] is None
    # HOOK: the collector's answers are there, null until the exporter measures them
    assert {"batches", "bytes", "retries", "latency_ms"} <= set(export)
    assert "Orders: 120 in" in result.stderr and "spans/s" in result.stderr


@pytest.mark.parametrize("args", [
    ("--ramp", "soon"), ("--ramp", "-3s"), ("--ramp", "nan"), ("--stats-interval", "0"),
    ("--span-rate", "nan"), ("--span-rate", "100", "--rate", "5"),
    ("--span-rate", "100", "--concurrency", "2"),
])
def test_bad_load_flags_exit_2_with_one_line(args):
    result = run_main("--orders", "10", *args)
    assert result.returncode == 2 and result.stdout == ""
    [line] = result.stderr.splitlines()
    assert line.startswith("main.py: error: argument --") and "Traceback" not in result.stderr


def test_the_load_flags_need_load_mode():
    result = run_main("--ramp", "30s")
    assert result.returncode == 2
    assert "argument --ramp: only in load mode" in result.stderr


def test_stats_lines_add_up_the_workers():
    result = run_main("--workers", "2", "--orders", "200", "--rate", "100", "--speed", "0",
                      "--stats-interval", "0.1", "--no-export", timeout=120)
    assert result.returncode == 0, result.stderr
    records = [json.loads(line) for line in result.stdout.splitlines()]
    final = records[-1]
    assert final["final"] and final["orders"]["done"] == 200 and final["spans"] == 200 * 11
    assert "100.0 orders/s = 1,100 spans/s" in result.stderr  # said once, for the whole fleet
