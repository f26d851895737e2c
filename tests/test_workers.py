"""--workers N: processes that split the plan, one summary that adds up exactly."""
from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path

import pytest

from conftest import Running, run_main
from simulate.receiver import OtlpReceiver
from simulate.tracing.otlp_file import from_json_line


def load(*args: str, status: int = 0) -> dict:
    result = run_main("--speed", "0", "--json", *args, timeout=180)
    assert result.returncode == status, result.stderr
    return json.loads(result.stdout)


def test_two_workers_split_the_orders_and_every_span_reaches_the_receiver():
    with OtlpReceiver(keep=False) as receiver:
        data = load("--orders", "3001", "--workers", "2", "--endpoint", receiver.endpoint)
        assert receiver.wait_for_spans(3001 * 11)
    assert data["orders"]["total"] == data["orders"]["ok"] == 3001
    assert [w["orders"] for w in data["workers"]] == [1501, 1500]
    assert data["spans"]["created"] == data["spans"]["exported"] == 3001 * 11 == receiver.span_count
    assert all(w["peak_rss_mb"] > 0 and w["problem"] is None for w in data["workers"])
    # the histograms were merged, not averaged: every span counted once
    assert data["latency_ms"]["db.query (SELECT inventory)"]["count"] == 3001
    assert data["latency_ms"]["db.query (INSERT orders)"]["count"] == 3001


def test_a_seed_with_workers_reproduces_the_same_outcome_counts():
    args = ("--orders", "2000", "--workers", "2", "--no-export", "--seed", "5",
            "--failure-rate", "inventory=0.1,payment=0.2")
    first, second = load(*args), load(*args)
    assert first["orders"] == second["orders"]
    assert 100 < first["orders"]["out_of_stock"] < 300 and 300 < first["orders"]["declined"] < 500


def test_order_ids_are_disjoint_across_workers_and_machines(tmp_path):
    out = tmp_path / "spans.jsonl"
    load("--orders", "200", "--workers", "2", "--no-export", "--output", str(out))
    load("--orders", "100", "--no-export", "--output", str(tmp_path / "other.jsonl"),
         "--id-offset", "1")
    ids: list[str] = []
    for path in (tmp_path / "spans-0.jsonl", tmp_path / "spans-1.jsonl", tmp_path / "other.jsonl"):
        for line in path.read_text().splitlines():
            for rs in from_json_line(line).resource_spans:
                for ss in rs.scope_spans:
                    ids += [kv.value.string_value for span in ss.spans if span.name == "POST /api/orders"
                            for kv in span.attributes if kv.key == "order.id"]
    assert len(ids) == 300 == len(set(ids))


def test_rate_and_concurrency_are_totals():
    data = load("--duration", "10", "--rate", "40", "--workers", "2", "--no-export")
    assert data["orders"]["total"] == 400  # 20/s each for 10 simulated seconds
    with pytest.raises(AssertionError):
        load("--orders", "10", "--concurrency", "1", "--workers", "2")  # fewer clients than workers


@pytest.mark.parametrize("signum,status", [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_a_signal_to_the_parent_stops_every_worker_which_flushes(signum, status):
    with OtlpReceiver(keep=False) as receiver:
        run = Running("--orders", "10000000", "--workers", "2", "--speed", "1", "--rate", "80",
                      "--json", "--endpoint", receiver.endpoint)
        assert receiver.wait_for_spans(100, timeout_s=30)
        sent = time.monotonic()
        run.signal(signum)  # to the parent only, as `kill` or Kubernetes would
        assert run.finish(30) == status
        assert time.monotonic() - sent < 5
        data = json.loads(run.text())
        assert receiver.wait_for_spans(data["spans"]["created"], timeout_s=10)
    assert data["interrupted"] is True
    assert data["spans"]["created"] == data["spans"]["exported"] == receiver.span_count
    assert "Traceback" not in run.text("stderr")


def test_a_worker_that_dies_is_reported_and_the_run_does_not_hang():
    run = Running("--orders", "10000000", "--workers", "2", "--speed", "1", "--rate", "40",
                  "--json", "--no-export")
    time.sleep(4)  # both workers are up
    children = [int(pid) for pid in os.popen(f"pgrep -P {run.proc.pid}").read().split()]
    workers = [pid for pid in children  # not multiprocessing's resource tracker
               if "spawn_main" in Path(f"/proc/{pid}/cmdline").read_text()]
    assert len(workers) == 2
    os.kill(workers[-1], signal.SIGKILL)
    time.sleep(2)
    run.signal(signal.SIGINT)
    assert run.finish(30) == 130
    data = json.loads(run.text())
    problems = [w for w in data["workers"] if w["problem"]]
    assert len(problems) == 1 and "died (exit -9)" in problems[0]["problem"]
    assert problems[0]["orders"] > 0  # what it had accounted for is still there
    assert "⚠ worker" in run.text("stderr")


def test_a_sigkilled_worker_leaves_exported_within_what_the_receiver_got_and_unknown():
    with OtlpReceiver(keep=False) as receiver:
        run = Running("--orders", "16000", "--workers", "2", "--speed", "0", "--json",
                      "--endpoint", receiver.endpoint)
        assert receiver.wait_for_spans(2000, timeout_s=30)  # both are exporting
        children = [int(pid) for pid in os.popen(f"pgrep -P {run.proc.pid}").read().split()]
        workers = [pid for pid in children if "spawn_main" in Path(f"/proc/{pid}/cmdline").read_text()]
        os.kill(workers[-1], signal.SIGKILL)  # mid-run, mid-export
        assert run.finish(60) == 1  # a dead worker: the README's exit status
        data = json.loads(run.text())
        time.sleep(1.0)  # anything still on the wire lands
        received = receiver.span_count
    spans = data["spans"]
    [dead] = [w for w in data["workers"] if w["problem"]]
    assert "died (exit -9)" in dead["problem"] and dead["last_report"]["unknown"] > 0
    assert spans["unknown"] == dead["last_report"]["unknown"]
    assert spans["exported"] <= received <= spans["exported"] + spans["unconfirmed"] + spans["unknown"]
    assert "unknown since" in run.text("stderr")
