"""Reading OTLP/JSON for `show`: every accepted shape, and one error line (FILE:LINE,
exit 2) for anything else."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from google.protobuf import json_format

from conftest import run_flow, run_main
from simulate.report.otlp_input import InputError, read_spans
from simulate.tracing.otlp_file import from_json_line, to_json_line


@pytest.fixture(scope="module")
def order():
    return run_flow(consume=True).spans


def _count(text: str) -> int:
    return len(read_spans(text))


def test_every_accepted_shape_reads_the_same_spans(order):
    line = to_json_line(order)  # ours: hex ids, one request per line
    request = json.loads(line)
    base64_ids = json.dumps(json_format.MessageToDict(from_json_line(line)))  # protobuf's mapping
    one_resource_per_line = "\n".join(json.dumps(rs) for rs in request["resourceSpans"])
    pretty = json.dumps(request, indent=2)
    assert {_count(text) for text in (line, line + "\n\n" + line, base64_ids, one_resource_per_line,
                                      pretty)} == {len(order)}  # a span sent twice counts once
    names = {r.name for r in read_spans(base64_ids)}
    assert "process order-notifications" in names


@pytest.mark.parametrize("text,line,message", [
    ("", 1, "empty file"),
    ("   \n\n", 1, "empty file"),
    ('{"resourceSpans": []}\n{"resourceSpans": [\n', 2, "not JSON"),
    ('{\n  "resourceSpans": [\n    {"scopeSpans": [}\n  ]\n}\n', 3, "not JSON"),
    ('{"hello": "world"}', 1, "not OTLP data"),
    ('[1, 2]', 1, "not OTLP data"),
    ('{"resourceSpans": [{"scopeSpans": [{"spans": [{"traceId": "zz!", "spanId": "00f067aa0ba902b7",'
     ' "name": "x"}]}]}]}', 1, "neither hex nor base64"),
    ('{"resourceSpans": [{"scopeSpans": [{"spans": [{"name": "no ids"}]}]}]}', 1, "no traceId"),
    ('{"resourceSpans": [{"scopeSpans": [{"spans": [{"name": "x", "startTimeUnixNano": "soon"}]}]}]}', 1,
     "invalid OTLP/JSON"),
    ('{"resourceSpans": []}', 1, "no spans"),
])
def test_bad_input_names_the_line(text, line, message):
    with pytest.raises(InputError) as caught:
        read_spans(text)
    assert caught.value.line == line and message in caught.value.message


@pytest.mark.parametrize("content", [b"", b'{"resourceSpans": []}\n{oops}\n', b"\xff\xfe"])
def test_show_prints_one_error_line_and_exits_2(tmp_path, content):
    path = tmp_path / "spans.jsonl"
    path.write_bytes(content)
    result = run_main("show", str(path), "--html", str(tmp_path / "page.html"))
    assert result.returncode == 2 and "Traceback" not in result.stderr
    [line] = result.stderr.splitlines()
    assert re.fullmatch(rf"main\.py: error: {re.escape(str(path))}:\d+: .+", line), line
    assert not (tmp_path / "page.html").exists()  # nothing written for bad input


def test_show_of_a_missing_file_is_an_error():
    result = run_main("show", "/nonexistent/spans.jsonl")
    assert result.returncode == 2 and "cannot read" in result.stderr
    assert "Traceback" not in result.stderr


def test_show_without_html_writes_a_temporary_page_and_opens_it(tmp_path, order):
    path = tmp_path / "spans.jsonl"
    path.write_text(to_json_line(order) + "\n")
    # BROWSER=true: webbrowser runs `true URL`, so the test opens nothing
    result = run_main("show", str(path), env={"BROWSER": "true", "TMPDIR": str(tmp_path)})
    assert result.returncode == 0, result.stderr
    [page] = map(Path, re.findall(r"🌐 Trace page: (\S+\.html)", result.stdout))
    assert page.parent == tmp_path
    assert '<script type="application/json"' in page.read_text(encoding="utf-8")
