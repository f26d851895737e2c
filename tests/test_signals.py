"""Ctrl-C and SIGTERM against real subprocesses: a bounded exit, a summary, nothing lost."""
from __future__ import annotations

import json
import random
import signal
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from conftest import Running, free_port
from simulate.receiver import OtlpReceiver


def accounted(spans: dict) -> int:
    return spans["exported"] + spans["unconfirmed"] + spans["failed"] + spans["abandoned"]


@pytest.mark.parametrize("signum,status", [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_a_signal_mid_order_ends_the_spans_flushes_and_exits(signum, status):
    with OtlpReceiver() as receiver:
        # speed 0.05: the 250 ms order takes 5 s, so the signal lands mid-order.
        run = Running("--speed", "0.05", "--endpoint", receiver.endpoint)
        run.wait_for("Received order request")
        time.sleep(1.0)
        sent = time.monotonic()
        run.signal(signum)
        assert run.finish(30) == status
        assert time.monotonic() - sent < 5  # bench/faults.py reports the real figure
        err = run.text("stderr")
        assert "interrupted" in err and "Traceback" not in err
        assert receiver.wait_for_spans(3, timeout_s=10)
        names = {s.span.name for s in receiver.spans()}
    # The root and the spans in flight were ended (not lost), and nothing ran after the stop.
    assert {"POST /api/orders", "create-order"} <= names
    assert "send-notification" not in names


def test_a_second_ctrl_c_abandons_a_flush_at_once():
    # A collector that accepts the call and never answers in time.
    with OtlpReceiver(delay_s=30) as receiver:
        run = Running("--speed", "0", "--no-view", "--endpoint", receiver.endpoint,
                      env={"OTEL_EXPORTER_OTLP_TIMEOUT": "20"})
        run.wait_for("Trace ID")  # the order is over: the flush is on
        time.sleep(0.3)
        run.signal(signal.SIGINT)
        run.wait_for("Ctrl-C again to abandon", "stderr", timeout_s=10)
        sent = time.monotonic()
        run.signal(signal.SIGINT)
        assert run.finish(30) == 130
        assert time.monotonic() - sent < 3  # not the 20 s timeout
    err = run.text("stderr")
    assert "abandoned the flush: 11 spans not delivered" in err
    assert "11 of 11 spans" in err and "the flush was abandoned" in err
    assert "Traceback" not in err


@pytest.mark.parametrize("signum,status", [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_a_load_run_with_the_collector_down_stops_quickly_and_accounts_for_everything(signum, status):
    run = Running("--duration", "300", "--rate", "100", "--speed", "1", "--json",
                  "--endpoint", f"http://127.0.0.1:{free_port()}")
    time.sleep(2.5)
    sent = time.monotonic()
    run.signal(signum)
    assert run.finish(30) == status
    assert time.monotonic() - sent < 3
    data = json.loads(run.text())
    spans = data["spans"]
    assert spans["created"] > 0 and spans["exported"] == 0
    assert accounted(spans) == spans["created"]
    assert "Traceback" not in run.text("stderr")


def test_a_stop_at_speed_001_leaves_no_order_and_no_thread_behind():
    with OtlpReceiver() as receiver:
        # Each order takes 25 s at this speed: three clients, three orders in flight.
        run = Running("--duration", "100", "--concurrency", "3", "--speed", "0.01", "--json",
                      "--optimize", "parallel,async", "--endpoint", receiver.endpoint)
        time.sleep(4.0)  # start-up (slow on a busy machine), then the three orders are in flight
        sent = time.monotonic()
        run.signal(signal.SIGINT)
        assert run.finish(30) == 130
        assert time.monotonic() - sent < 5
        data = json.loads(run.text())
        assert data["orders"]["total"] == data["orders"]["interrupted"] == 3
        spans = data["spans"]
        assert spans["created"] == spans["exported"] > 0
        assert receiver.wait_for_spans(spans["created"], timeout_s=10)
        assert receiver.span_count == spans["created"]


MODES = [("--concurrency", "4", "--speed", "1"), ("--concurrency", "2", "--speed", "0"),
         ("--rate", "80", "--speed", "1"), ("--rate", "200", "--speed", "0")]


def _interrupted_run(case: int) -> tuple[int, dict, int, str]:
    rng = random.Random(case)
    with OtlpReceiver(keep=False) as receiver:
        run = Running("--orders", "1000000", *MODES[case % len(MODES)], "--json",
                      "--endpoint", receiver.endpoint)
        assert receiver.wait_for_spans(1, timeout_s=30)  # the run is on
        time.sleep(rng.random() * 1.2)  # then a random moment
        run.signal(signal.SIGINT)
        status = run.finish(60)
        data = json.loads(run.text()) if run.text().strip() else {}
        created = data.get("spans", {}).get("created", -1)
        receiver.wait_for_spans(created, timeout_s=5)
        return status, data, receiver.span_count, run.text("stderr")


def test_twenty_interrupts_at_random_moments_each_account_exactly_against_the_receiver():
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(_interrupted_run, range(20)))
    for case, (status, data, received, err) in enumerate(results):
        assert status == 130, (case, err)
        spans = data["spans"]
        assert accounted(spans) == spans["created"], (case, spans)
        # A healthy receiver and one Ctrl-C: every span delivered, and only those arrived.
        assert spans["exported"] == spans["created"] == received, (case, spans, received)
        assert "Traceback" not in err


def test_ctrl_c_during_start_up_is_a_quiet_exit_130():
    # -X importtime (as an environment variable) reports each module as it is imported: the
    # signal lands while main.py is still importing the command line, once its handlers are
    # in (they come first) and before any run could start.  Without them, Python's own
    # handler would raise KeyboardInterrupt: a traceback and exit 1.
    run = Running("--no-export", env={"PYTHONPROFILEIMPORTTIME": "1"})
    run.wait_for("simulate.cli.parsers", name="stderr")
    run.signal(signal.SIGINT)
    assert run.finish(30) == 130
    assert "Trace ID" not in run.text()  # nothing ran: the order never started
    assert "Traceback" not in run.text("stderr") and "KeyboardInterrupt" not in run.text("stderr")
