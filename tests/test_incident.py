"""The incident diagnosis, tested on spans that went through a real OTLP receiver and back
through ``show FILE --json``: per fault of the catalogue, and on healthy runs (no false alarm,
with --jitter too).  The run's own --json carries the same diagnosis (same code)."""
from __future__ import annotations

import json

import pytest
from google.protobuf import json_format

from conftest import run_flow, run_main
from simulate.receiver import OtlpReceiver
from simulate.report.incident import SIGNATURES, diagnose
from simulate.report.records import from_readable
from simulate.world.scenarios import FAILURES, SCENARIOS

# A single order for each fault, or a short load for the one that needs orders to overlap.
LOAD = ("--orders", "96", "--concurrency", "24")


def _through_receiver(tmp_path, *args: str, spans: int) -> tuple[dict | None, dict]:
    """Run ``main.py ARGS`` exporting to a real receiver; write what it received as the
    collector's file exporter would (protobuf JSON, base64 ids); ``show FILE --json`` it.
    Returns (the run's own --json diagnosis or None, show's document)."""
    with OtlpReceiver() as receiver:
        run = run_main(*args, "--speed", "0", "--endpoint", receiver.endpoint, timeout=120)
        assert run.returncode == 0, run.stderr
        assert receiver.wait_for_spans(spans)
        requests = list(receiver.requests)
    path = tmp_path / "received.jsonl"
    path.write_text("\n".join(json_format.MessageToJson(r, indent=None) for r in requests) + "\n")
    shown = run_main("show", str(path), "--json")
    assert shown.returncode == 0, shown.stderr
    assert "Traceback" not in shown.stderr
    own = json.loads(run.stdout)["diagnosis"] if "--json" in args and "--orders" not in args else None
    return own, json.loads(shown.stdout)


@pytest.mark.parametrize("fault", FAILURES)
def test_each_fault_is_diagnosed_from_the_received_spans(tmp_path, fault):
    scenario = SCENARIOS[fault]
    if scenario.needs_load:
        own, shown = _through_receiver(tmp_path, *LOAD, "--failure-rate", f"{fault}=1",
                                       spans=96 * 11)
    else:
        own, shown = _through_receiver(tmp_path, "--fail", fault, "--json", spans=5)
        assert own is not None and (own["fault"], own["service"]) == (fault, scenario.service)
    found = shown["diagnosis"]
    assert (found["fault"], found["service"]) == (fault, scenario.service)
    assert found["evidence"] and found["found"] >= 1
    worst = found["evidence"][0]
    assert len(worst["span_id"]) == 16 and len(worst["trace_id"]) == 32
    assert worst["service"] == scenario.service
    if own is not None:  # the live run and show FILE agree, span for span
        assert own["evidence"][0]["span_id"] == worst["span_id"]


@pytest.mark.parametrize("args", [
    (), ("--optimize", "all"),
    ("--orders", "400", "--concurrency", "8", "--jitter", "--seed", "3"),
    ("--orders", "400", "--concurrency", "8", "--jitter", "0.5", "--seed", "4", "--optimize", "all"),
], ids=["one-order", "one-order-optimised", "load-jitter", "load-jitter-0.5-optimised"])
def test_no_false_alarm_on_healthy_runs(tmp_path, args):
    orders = int(args[1]) if args[:1] == ("--orders",) else 1
    _own, shown = _through_receiver(tmp_path, *args, *(() if orders > 1 else ("--json",)),
                                    spans=orders * 10)
    assert shown["diagnosis"] == {"fault": "none", "service": None, "evidence": [], "found": 0,
                                  "also": []}


def test_every_catalogue_fault_has_a_signature():
    assert sorted(name for name, _ in SIGNATURES) == sorted(FAILURES)


def test_the_evidence_compares_with_the_profile_and_names_spans():
    found = diagnose(from_readable(run_flow("slow-query").spans))
    [evidence] = found.evidence
    assert evidence.span.name == "db.query" and evidence.typical_ms == 15
    assert evidence.ms > 10 * evidence.typical_ms
    assert "took" in evidence.to_dict()["what"] and found.answer == "inventory-service:slow-query"
