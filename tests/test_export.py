"""End to end: python main.py against a real OTLP/gRPC receiver, a missing one, a slow one."""
from __future__ import annotations

import time

import grpc
import pytest

from conftest import free_port, run_main
from simulate.receiver import OtlpReceiver

EXPECTED_PARENT = {
    "POST /api/orders": None, "create-order": "POST /api/orders",
    "validate-order": "create-order", "check-inventory": "create-order",
    "process-payment": "create-order", "authorize-payment": "process-payment",
    "save-order": "create-order", "send-notification": "create-order",
}


def test_all_ten_spans_arrive_in_one_trace_from_five_services(jaeger_ui):
    with OtlpReceiver() as receiver:
        result = run_main("--endpoint", receiver.endpoint, "--jaeger-url", jaeger_ui)
        assert result.returncode == 0, result.stderr
        assert receiver.wait_for_spans(11, timeout_s=10)
        received = receiver.spans()
    # 10 spans of the order's trace, plus the email worker's CONSUMER span in a trace of
    # its own that links back to send-notification.
    [consumer] = [s for s in received if s.span.name == "process order-notifications"]
    spans = [s for s in received if s is not consumer]
    assert len(spans) == 10
    assert len({s.span.trace_id for s in spans}) == 1
    [link] = consumer.span.links
    producer = next(s for s in spans if s.span.name == "send-notification")
    assert (link.trace_id, link.span_id) == (producer.span.trace_id, producer.span.span_id)
    assert consumer.span.trace_id != producer.span.trace_id
    assert {s.service for s in spans} == {"api-gateway", "order-service", "inventory-service",
                                          "payment-service", "notification-service"}
    by_id = {s.span.span_id: s for s in spans}
    for s in spans:
        parent = by_id.get(s.span.parent_span_id)
        if s.span.name == "db.query":
            assert parent.span.name in ("check-inventory", "save-order")
            assert parent.service == s.service
        else:
            assert (parent.span.name if parent else None) == EXPECTED_PARENT[s.span.name]
    trace_id = spans[0].span.trace_id.hex()
    assert f"Trace ID: {trace_id}" in result.stdout
    assert "Exported 11 spans" in result.stdout
    assert f"Jaeger: {jaeger_ui}/trace/{trace_id}" in result.stdout
    assert result.stderr == ""


def test_env_endpoint_is_used_when_no_flag_is_given():
    with OtlpReceiver() as receiver:
        result = run_main(env={"OTEL_EXPORTER_OTLP_ENDPOINT": receiver.endpoint})
        assert result.returncode == 0
        assert receiver.wait_for_spans(11, timeout_s=10)


def _assert_one_warning(result, log_tail: str, words: str = "Could not export") -> None:
    assert result.returncode == 3  # completed, but not every span was delivered
    assert "Traceback" not in result.stderr + result.stdout
    warnings = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(warnings) == 1 and words in warnings[0], result.stderr
    assert log_tail in result.stdout  # everything printed before is still there
    assert "Trace ID:" in result.stdout


def test_no_collector_prints_everything_then_one_warning_and_ends_quickly():
    port = free_port()
    started = time.monotonic()
    result = run_main("--endpoint", f"http://127.0.0.1:{port}")
    elapsed = time.monotonic() - started
    _assert_one_warning(result, "✅ [API Gateway] Order created: order-1234")
    assert f"127.0.0.1:{port}" in result.stderr and "--no-export" in result.stderr
    assert elapsed < 15  # bench/fidelity.py reports the real figure (well under 1 s of overhead)


@pytest.mark.parametrize("scenario,tail", [("inventory", "❌ [Inventory Service] Out of stock"),
                                           ("payment", "❌ [Payment Service] Payment declined")])
def test_failure_scenarios_also_survive_a_missing_collector(scenario, tail):
    result = run_main("--fail", scenario, "--endpoint", f"http://127.0.0.1:{free_port()}")
    _assert_one_warning(result, tail)


def test_a_slow_collector_is_cut_off_by_the_export_timeout():
    with OtlpReceiver(delay_s=8) as receiver:
        started = time.monotonic()
        result = run_main("--endpoint", receiver.endpoint,
                          env={"OTEL_EXPORTER_OTLP_TIMEOUT": "0.3"})  # seconds, as the SDK reads it
        elapsed = time.monotonic() - started
    # It did not answer in time: the spans are unconfirmed (it may have them), not "failed",
    # and nobody is asked whether a collector is listening.
    _assert_one_warning(result, "✅ [API Gateway] Order created: order-1234", "are unconfirmed")
    assert "DEADLINE_EXCEEDED" in result.stderr and "listening" not in result.stderr
    assert elapsed < 7  # bounded by the 300 ms timeout, not by the receiver's 8 s


def test_a_collector_answering_with_errors_gets_the_same_single_warning():
    with OtlpReceiver(fail_with=grpc.StatusCode.PERMISSION_DENIED) as receiver:
        result = run_main("--endpoint", receiver.endpoint)
    _assert_one_warning(result, "✅ [API Gateway] Order created: order-1234")
    assert "PERMISSION_DENIED" in result.stderr and "credentials" in result.stderr
    assert "listening" not in result.stderr


def test_no_export_needs_no_collector_and_warns_about_nothing():
    result = run_main("--no-export")
    assert result.returncode == 0 and result.stderr == ""
    assert "Trace ID:" in result.stdout


def test_sdk_disabled_records_no_spans_but_still_runs_the_order():
    with OtlpReceiver() as receiver:
        result = run_main("--endpoint", receiver.endpoint, env={"OTEL_SDK_DISABLED": "true"})
        time.sleep(0.5)
        assert receiver.span_count == 0
    assert result.returncode == 0 and result.stderr == ""
    assert "✅ [API Gateway] Order created: order-1234" in result.stdout
    assert "No trace recorded" in result.stdout


def test_ctrl_c_flushes_the_spans_recorded_so_far_and_exits_130():
    import signal
    import subprocess
    import sys

    from conftest import ROOT
    with OtlpReceiver() as receiver:
        # speed 0.05: the 250 ms order takes 5 s, so the interrupt lands mid-order.
        proc = subprocess.Popen(
            [sys.executable, str(ROOT / "main.py"), "--speed", "0.05", "--endpoint", receiver.endpoint],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT,
            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
        first = proc.stdout.readline()  # the order has started
        assert "Received order request" in first
        time.sleep(1.0)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
        assert proc.returncode == 130
        assert "interrupted" in err and "Traceback" not in err
        assert receiver.wait_for_spans(3, timeout_s=10)
        names = {s.span.name for s in receiver.spans()}
    # The root and the span in flight were ended (not lost) when the interrupt hit.
    assert {"POST /api/orders", "create-order"} <= names
    assert "send-notification" not in names
