"""Load mode: counts, the failure mix, virtual timestamps, backpressure, Ctrl-C, bad input."""
from __future__ import annotations

import json
import signal
import subprocess
import sys
import time

import pytest

from conftest import ROOT, run_main
from simulate.receiver import OtlpReceiver
from simulate.tracing.otlp_file import from_json_line
from simulate.world.profile import SEED_PROFILE


def load(*args: str, env: dict | None = None, status: int = 0) -> dict:
    result = run_main("--speed", "0", "--json", *args, env=env, timeout=120)
    assert result.returncode == status, result.stderr
    return json.loads(result.stdout)


@pytest.mark.parametrize("mix,spans_per_order", [
    ("", 11),  # the seed's 10 + the email worker's consumer span
    ("inventory=1", 5),  # gateway, create-order, validate, check-inventory, db.query
    ("payment=1", 7),  # ... + process-payment, authorize-payment
])
def test_spans_per_order_by_scenario(mix, spans_per_order):
    data = load("--orders", "40", "--no-export", *(["--failure-rate", mix] if mix else []))
    assert set(data) == {"interrupted", "orders", "wall_s", "orders_per_s", "target_orders_per_s",
                         "held_s", "not_started", "late_ms", "spans_per_s", "latency_ms", "spans",
                         "export_destination", "export_error", "output", "peak_rss_mb",
                         "sdk_self_observability", "log_records", "metric_points"}
    assert set(data["spans"]) == {"created", "exported", "unconfirmed", "failed", "dropped",
                                  "abandoned"}
    assert data["orders"]["total"] == 40
    assert data["spans"]["created"] == 40 * spans_per_order


def test_failure_mix_matches_the_rates_and_a_seed_reproduces_it():
    args = ("--orders", "2000", "--no-export", "--failure-rate", "inventory=0.1,payment=0.2",
            "--seed", "7")
    first, second = load(*args), load(*args)
    assert first["orders"] == second["orders"]
    o = first["orders"]
    # binomial, n=2000: sigma ~13 (p=.1) and ~18 (p=.2); 5 sigma never flakes
    assert abs(o["out_of_stock"] - 200) < 70 and abs(o["declined"] - 400) < 90
    assert o["ok"] + o["out_of_stock"] + o["declined"] == 2000 and o["errors"] == 0


def test_speed_zero_timestamps_are_the_profile_and_arrivals_follow_the_rate(tmp_path):
    out = tmp_path / "spans.jsonl"
    load("--orders", "20", "--rate", "10", "--no-export", "--output", str(out))
    spans = [(span, {kv.key: kv.value for kv in rs.resource.attributes})
             for line in out.read_text().splitlines() for rs in from_json_line(line).resource_spans
             for ss in rs.scope_spans for span in ss.spans]
    nominal = {(s.span_name, s.service): s.duration_ms for s in SEED_PROFILE.steps.values()}
    for span, resource in spans:
        ms = (span.end_time_unix_nano - span.start_time_unix_nano) / 1e6
        assert ms == nominal[(span.name, resource["service.name"].string_value)]
    starts = sorted(s.start_time_unix_nano for s, _ in spans if s.name == "POST /api/orders")
    assert len(starts) == 20
    assert {b - a for a, b in zip(starts, starts[1:])} == {100_000_000}  # 10/s, evenly spaced


def test_jitter_spreads_latencies_with_a_long_tail():
    data = load("--orders", "400", "--no-export", "--jitter", "0.3", "--seed", "1")
    root = data["latency_ms"]["POST /api/orders"]
    assert root["p50"] < root["p99"] < root["max"]
    assert 200 < root["p50"] < 320 and root["max"] > 300


def test_backpressure_delivers_every_span_to_a_slow_receiver():
    with OtlpReceiver(delay_s=0.05, keep=False) as receiver:
        data = load("--orders", "1500", "--endpoint", receiver.endpoint)
        s = data["spans"]
        assert s["created"] == 1500 * 11
        assert s["exported"] == s["created"] and s["failed"] == s["unconfirmed"] == 0
        assert receiver.wait_for_spans(s["created"], timeout_s=10)
        assert receiver.span_count == s["created"]


def test_no_collector_is_counted_not_hidden_and_does_not_stall():
    started = time.monotonic()
    data = load("--orders", "300", "--endpoint", "http://127.0.0.1:9", status=3)
    s = data["spans"]
    assert s["created"] == 3300 == s["failed"] and s["exported"] == 0
    assert data["export_error"] == "UNAVAILABLE: connection refused"  # the look before any batch
    assert time.monotonic() - started < 60  # the circuit breaker stops retrying a dead endpoint


@pytest.mark.parametrize("speed", ["1", "0"])  # threads in real time; one thread in virtual time
def test_ctrl_c_stops_flushes_summarises_and_exits_130(speed):
    with OtlpReceiver(keep=False) as receiver:
        proc = subprocess.Popen(
            [sys.executable, str(ROOT / "main.py"), "--orders", "1000000", "--concurrency", "4",
             "--speed", speed, "--json", "--endpoint", receiver.endpoint],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT,
            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
        time.sleep(3)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
        assert proc.returncode == 130, err
        data = json.loads(out)
        assert data["interrupted"] is True and 0 < data["orders"]["total"] < 1000000
        s = data["spans"]
        assert s["created"] == s["exported"] > 0 and s["failed"] == s["abandoned"] == 0
        assert receiver.wait_for_spans(s["created"], timeout_s=10)
        assert "Traceback" not in err


@pytest.mark.parametrize("args,message", [
    (("--orders", "-5"), "--orders"),
    (("--duration", "0"), "--duration"),
    (("--orders", "10", "--rate", "5", "--concurrency", "2"), "not allowed with --concurrency"),
    (("--orders", "10", "--failure-rate", "cpu=0.1"), "unknown failure 'cpu'"),
    (("--orders", "10", "--failure-rate", "inventory=1.5"), "not a probability"),
    (("--orders", "10", "--failure-rate", "inventory=0.7,payment=0.7"), "more than 1"),
    (("--rate", "5",), "only in load mode"),
    (("--orders", "10", "--fail", "payment"), "--failure-rate"),
])
def test_bad_load_values_exit_2_with_one_line(args, message):
    result = run_main(*args)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert message in result.stderr.splitlines()[-1]
