"""Command-line behaviour: the three entry points, help, and bad input."""
from __future__ import annotations

import re
import time

import pytest
from rich.cells import cell_len

from conftest import run_main

SEED_ORDER = ["📥 [API Gateway] Received order request", "📦 [Order Service] Processing order...",
              "  ✓ [Order Service] Order validated", "📊 [Inventory Service] Checking stock..."]


@pytest.mark.parametrize("args,last", [
    ((), "✅ [API Gateway] Order created: order-1234"),
    (("--fail", "inventory"), "❌ [API Gateway] Order failed: 409 Conflict"),
    (("--fail", "payment"), "❌ [API Gateway] Order failed: 402 Payment Required"),
])
def test_entry_points_print_the_seed_log_and_a_trace_id(args, last):
    result = run_main(*args, "--no-export")
    assert result.returncode == 0
    lines = result.stdout.splitlines()
    assert lines[:4] == SEED_ORDER
    log_end = next(i for i, line in enumerate(lines) if line.startswith("🔎 Trace ID: "))
    assert lines[log_end - 1].startswith(last)
    assert "\x1b[" not in result.stdout  # plain text when piped


@pytest.mark.parametrize("args,message", [
    (("--fail", "cpu"), "invalid choice: 'cpu'"),
    (("--endpoint", "http://:99999"), "invalid OTLP endpoint"),
    (("--endpoint", "ftp://collector:4317"), "invalid OTLP endpoint"),
    (("--speed", "-1"), "--speed"),
    (("--exporter", "zipkin"), "invalid choice"),
])
def test_bad_flags_get_one_error_line_and_exit_2(args, message):
    result = run_main(*args)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert message in result.stderr.splitlines()[-1]


@pytest.mark.parametrize("env,message", [
    ({"OTEL_TRACES_EXPORTER": "zipkin"}, "unknown exporter"),
    ({"OTEL_EXPORTER_OTLP_TIMEOUT": "soon"}, "OTEL_EXPORTER_OTLP_TIMEOUT"),
    ({"OTEL_EXPORTER_OTLP_ENDPOINT": "localhost:notaport"}, "invalid OTLP endpoint"),
])
def test_bad_environment_gets_one_error_line_and_exit_2(env, message):
    result = run_main(env=env)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert message in result.stderr


def test_help_explains_every_flag():
    result = run_main("--help")
    assert result.returncode == 0
    for flag in ("--fail", "--exporter", "--no-export", "--endpoint", "--speed", "--version"):
        assert flag in result.stdout
    assert "OTEL_EXPORTER_OTLP" in result.stdout


def test_speed_zero_runs_without_sleeping():
    result = run_main("--speed", "0", "--no-export")
    assert result.returncode == 0 and "Order created: order-1234" in result.stdout


@pytest.mark.parametrize("args,env", [
    (("--orders", "10", "--rate", "5", "--concurrency", "2"), {}),
    (("--optimize", "turbo"), {}),
    ((), {"OTEL_EXPORTER_OTLP_TIMEOUT": "soon"}),
])
def test_bad_input_never_truncates_an_existing_output_file(tmp_path, args, env):
    out = tmp_path / "spans.jsonl"
    out.write_text("yesterday's spans\n")
    result = run_main("--output", str(out), *args, env=env)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert out.read_text() == "yesterday's spans\n"


def test_python_dash_m_simulate_is_the_same_program():
    import subprocess
    import sys

    from conftest import ROOT
    result = subprocess.run([sys.executable, "-m", "simulate", "--no-export", "--speed", "0",
                             "--no-view"], cwd=ROOT, capture_output=True, text=True, timeout=60,
                            env={"PATH": "/usr/bin:/bin", "PYTHONIOENCODING": "utf-8"})
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[:4] == SEED_ORDER


@pytest.mark.parametrize("command", [(), ("show",), ("serve",), ("drill",), ("faults",)])
def test_help_fits_80_columns_and_every_example_has_a_gap(command):
    result = run_main(*command, "--help", env={"COLUMNS": "80"})
    assert result.returncode == 0
    assert max(len(line) for line in result.stdout.splitlines()) <= 80
    examples = result.stdout.partition("examples:")[2].splitlines()
    for line, after in zip(examples, [*examples[1:], ""]):
        if line.startswith(("  python main.py", "  curl")):
            # an explanation after a gap of two spaces, or on the next line, indented
            assert "  " in line.strip() or after.startswith(" " * 30), line


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_progress_bar_keeps_its_count_and_export_state_and_ends_on_the_final_one(lang):
    import io

    from rich.console import Console

    from simulate import i18n
    from simulate.report.live import Outcomes, Snapshot, progress_display
    from simulate.tracing.accounting import ExportReport

    class Run:
        planned = 20_000
        done = 12_801

        def snapshot(self):
            failing = ExportReport("localhost:4317 (OTLP/gRPC)", self.done * 11, 0, 0,
                                   self.done * 11, 0, "UNAVAILABLE: connection refused", "")
            return Snapshot(Outcomes(ok=self.done), self.done * 11, 4096, (failing,))

    i18n.use(lang)
    try:
        run, stream = Run(), io.StringIO()
        console = Console(file=stream, width=80, force_terminal=True, color_system=None)
        with progress_display(run, console, enabled=True) as tick:
            time.sleep(0.15)  # ticks redraw at most 10 times a second
            tick()
            time.sleep(0.3)  # the display redraws on its own clock
            run.done = 20_000  # the last orders end between two ticks
    finally:
        i18n.use("en")
    text = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "\r", stream.getvalue())
    frames = [f.rstrip("\n") for f in text.split("\r") if "/" in f]
    assert all(cell_len(f) <= 80 for f in frames)
    assert any("12,801/20,000" in f for f in frames)
    assert "20,000/20,000" in frames[-1]  # the final count, not the last tick's
    failing = "export failing" if lang == "en" else "导出失败"
    assert all(failing in f for f in frames), frames  # the export state is never cut


def test_a_duration_and_a_rate_make_a_known_total():
    from simulate.config import LoadPlan

    assert LoadPlan(duration_s=20, rate=100).planned_orders == 2000
    assert LoadPlan(duration_s=20, rate=100, orders=500).planned_orders == 500
    assert LoadPlan(duration_s=20).planned_orders is None
