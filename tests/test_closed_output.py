"""Output that is closed, full or odd (issue 20): the run goes on and exports; a lost
output is one line and exit 3, never a traceback."""
from __future__ import annotations

import subprocess
import sys

from conftest import ROOT, clean_env, run_main
from simulate.receiver import OtlpReceiver


def test_a_run_with_stdout_closed_goes_on_and_exports():
    with OtlpReceiver() as receiver:
        # >&-: fd 1 closed before Python starts, as cron and supervisors may leave it.
        result = subprocess.run(
            ["bash", "-c", f'exec "$0" main.py --endpoint {receiver.endpoint} >&-', sys.executable],
            cwd=ROOT, env=clean_env(), capture_output=False, stderr=subprocess.PIPE, text=True,
            timeout=60)
        assert result.returncode == 0, result.stderr
        assert "Traceback" not in result.stderr
        assert receiver.wait_for_spans(11)


def test_a_load_run_with_stdout_closed_exports_every_span():
    with OtlpReceiver() as receiver:
        result = subprocess.run(
            ["bash", "-c", f'exec "$0" main.py --orders 50 --speed 0 --endpoint {receiver.endpoint} >&-',
             sys.executable], cwd=ROOT, env=clean_env(), stderr=subprocess.PIPE, text=True, timeout=60)
        assert result.returncode == 0, result.stderr
        assert receiver.wait_for_spans(550)


def test_json_to_a_full_disk_is_one_line_exit_3_and_the_export_goes_on():
    with OtlpReceiver() as receiver, open("/dev/full", "w") as full:
        result = subprocess.run([sys.executable, "main.py", "--json", "--endpoint", receiver.endpoint],
                                cwd=ROOT, env=clean_env(), stdout=full, stderr=subprocess.PIPE,
                                text=True, timeout=60)
        assert result.returncode == 3, result.stderr
        [line] = result.stderr.splitlines()
        assert "could not write to stdout: No space left on device" in line
        assert receiver.wait_for_spans(11)


def test_html_to_a_full_disk_is_one_line_exit_3_and_the_export_goes_on():
    with OtlpReceiver() as receiver:
        result = run_main("--html", "/dev/full", "--endpoint", receiver.endpoint)
        assert result.returncode == 3, result.stderr
        assert "Traceback" not in result.stderr
        [line] = [x for x in result.stderr.splitlines() if x.strip()]
        assert line == "⚠ could not write the trace page /dev/full: No space left on device"
        assert receiver.wait_for_spans(11)
        assert "Trace ID" in result.stdout  # the run itself printed as usual


def test_a_load_runs_html_to_a_full_disk_is_exit_3(tmp_path):
    result = run_main("--orders", "20", "--speed", "0", "--no-export", "--html", "/dev/full")
    assert result.returncode == 3 and "Traceback" not in result.stderr
    assert "could not write the trace page /dev/full" in result.stderr


def test_show_html_to_a_full_disk_is_one_line_exit_3(tmp_path):
    source = tmp_path / "spans.jsonl"
    run_main("--no-export", "--output", str(source))
    result = run_main("show", str(source), "--html", "/dev/full")
    assert result.returncode == 3 and "Traceback" not in result.stderr
    [line] = result.stderr.splitlines()
    assert line == "⚠ could not write the trace page /dev/full: No space left on device"
