"""Logs and metrics on the reading side: OTLP/JSON dicts into LogEntry / MetricPoint /
MetricSeries, and ``show`` of trace, log and metric files (terminal and page data)."""
from __future__ import annotations

import json
import re

import pytest
from google.protobuf import json_format

from conftest import run_flow, run_main
from otlp_signals import LOG_LINES, json_line, logs_request, metrics_request
from simulate.report.otlp_input import read_signals
from simulate.report.signals import (
    HistogramData,
    MetricPoint,
    parse_logs,
    parse_metrics,
    series,
    signal_of,
)
from simulate.tracing.otlp_file import to_json_line


@pytest.fixture(scope="module")
def order():
    return run_flow(consume=True).spans


def _span(spans, name):
    return next(s for s in spans if s.name == name)


def test_log_records_parse_from_either_id_encoding_onto_their_spans(order):
    request = logs_request(order)
    hex_doc = json.loads(json_line(request))
    base64_doc = json_format.MessageToDict(request)  # what a live run hands over
    assert signal_of(hex_doc) == "logs" and parse_logs(hex_doc) == parse_logs(base64_doc)
    entries = parse_logs(hex_doc)
    assert [(e.severity, e.body) for e in entries] == [(sev, body) for _, sev, body in LOG_LINES]
    for entry, (name, _, _) in zip(entries, LOG_LINES):
        span = _span(order, name)
        assert (entry.trace_id, entry.span_id) == (span.context.trace_id, span.context.span_id)
        assert entry.service == span.resource.attributes["service.name"]
        assert entry.time_ns == span.start_time + 1_000_000
        assert entry.attributes == {"order.id": "order-1234"}
    assert "trace" not in hex_doc  # parsing left the caller's dict as it was
    assert hex_doc["resourceLogs"][0]["scopeLogs"][0]["logRecords"][0]["traceId"] == \
        f"{entries[0].trace_id:032x}"


def test_metric_points_parse_with_their_exemplar(order):
    doc = json.loads(json_line(metrics_request(order)))
    assert signal_of(doc) == "metrics"
    points = {p.name: p for p in parse_metrics(doc)}
    duration = points["http.server.request.duration"]
    root = _span(order, "POST /api/orders")
    assert (duration.kind, duration.unit, duration.service) == ("histogram", "s", "api-gateway")
    assert duration.attributes == {"http.request.method": "POST", "http.route": "/api/orders"}
    assert duration.histogram.count == 1 and duration.histogram.sum == pytest.approx(0.25, abs=0.01)
    assert len(duration.histogram.counts) == len(duration.histogram.bounds) + 1
    [exemplar] = duration.exemplars
    assert (exemplar.trace_id, exemplar.span_id) == (root.context.trace_id, root.context.span_id)
    assert (points["orders"].kind, points["orders"].value) == ("sum", 1.0)


def _point(start: int, time: int, counts: tuple[int, ...], value: float | None = None) -> MetricPoint:
    histogram = None if value is not None else HistogramData(sum(counts), float(sum(counts)), (1.0,), counts)
    return MetricPoint("m", "s", "sum" if value is not None else "histogram", "svc", {}, start, time,
                       value=value, histogram=histogram)


def test_series_keep_a_cumulative_streams_latest_point_and_add_up_deltas():
    cumulative = [_point(0, 10, (1, 0)), _point(0, 20, (2, 1))]  # the second includes the first
    [merged] = series(cumulative)
    assert merged.histogram.counts == (2, 1) and merged.histogram.count == 3
    deltas = [_point(0, 10, (1, 0)), _point(10, 20, (2, 1))]
    [added] = series(deltas)
    assert added.histogram.counts == (3, 1)
    two_processes = [_point(0, 9, (), value=2.0), _point(5, 9, (), value=3.0), _point(5, 20, (), value=4.0)]
    assert series(two_processes)[0].value == 6.0


@pytest.fixture(scope="module")
def files(tmp_path_factory, order):
    folder = tmp_path_factory.mktemp("signals")
    traces, logs, metrics = folder / "traces.jsonl", folder / "logs.jsonl", folder / "metrics.jsonl"
    traces.write_text(to_json_line(order) + "\n")
    logs.write_text(json_line(logs_request(order)) + "\n", encoding="utf-8")
    metrics.write_text(json_line(metrics_request(order)) + "\n")
    return folder, traces, logs, metrics


def test_one_file_may_mix_the_three_signals(files, order):
    _, *paths = files
    found = read_signals("".join(p.read_text(encoding="utf-8") for p in paths))
    assert (len(found.spans), len(found.logs), len(found.metrics)) == (len(order), 3, 2)


def _page_data(path) -> dict:
    html = path.read_text(encoding="utf-8")
    raw = re.search(r'<script type="application/json" id="trace-data">(.*?)</script>', html, re.S).group(1)
    return json.loads(raw)


def test_show_prints_each_log_record_under_its_span_and_puts_all_on_the_page(files, order):
    folder, traces, logs, metrics = files
    page = folder / "page.html"
    result = run_main("show", str(traces), str(logs), str(metrics), "--html", str(page), "--no-open",
                      env={"COLUMNS": "140"})  # a terminal wide enough for the whole lines
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    payment = next(i for i, line in enumerate(lines) if "process-payment (50ms)" in line)
    assert "INFO 💳 [Payment Service] Processing payment..." in lines[payment + 1]  # before its child
    assert "INFO ✓ [Payment Service] Payment successful" in lines[payment + 2]
    assert "authorize-payment (30ms)" in lines[payment + 3]
    inventory = next(i for i, line in enumerate(lines) if "check-inventory (30ms)" in line)
    assert "WARN 📊 [Inventory Service] Checking stock..." in lines[inventory + 1]
    assert f"Read {len(order)} spans in 2 traces, 3 log records, 2 metric points." in result.stdout
    data = _page_data(page)
    spans = {s["id"]: s["name"] for t in data["traces"] for s in t["spans"]}
    assert [(spans[r["span"]], r["severity"], r["body"]) for r in data["records"]] == [
        (name, sev, body) for name, sev, body in sorted(
            LOG_LINES, key=lambda line: _span(order, line[0]).start_time)]
    [histogram] = [m for m in data["metrics"] if m["hist"]]
    assert histogram["name"] == "http.server.request.duration" and histogram["hist"]["count"] == 1
    assert spans[histogram["exemplars"][0]["span"]] == "POST /api/orders"


def test_show_of_logs_alone_draws_no_tree_and_names_what_it_read(files):
    folder, _, logs, _ = files
    result = run_main("show", str(logs), "--html", str(folder / "logs.html"), "--no-open")
    assert result.returncode == 0, result.stderr
    assert "Read 0 spans in 0 traces, 3 log records, 0 metric points." in result.stdout
    assert _page_data(folder / "logs.html")["records"] == []  # no span here to list them under


def test_a_hostile_log_body_reaches_the_terminal_escaped(tmp_path, order):
    request = logs_request(order)
    request.resource_logs[0].scope_logs[0].log_records[0].body.string_value = "\x1b[2J\x1b]0;pwned\x07 hi"
    (tmp_path / "t.jsonl").write_text(to_json_line(order) + "\n")
    (tmp_path / "l.jsonl").write_text(json_line(request) + "\n", encoding="utf-8")
    result = run_main("show", str(tmp_path / "t.jsonl"), str(tmp_path / "l.jsonl"),
                      "--html", str(tmp_path / "p.html"), "--no-open", env={"COLUMNS": "160"})
    assert result.returncode == 0, result.stderr
    assert "\x1b" not in result.stdout and "\x07" not in result.stdout
    assert "\\x1b[2J\\x1b]0;pwned\\x07 hi" in result.stdout
