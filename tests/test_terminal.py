"""The terminal cannot break a run: a console that cannot print emoji, a reader that
leaves (| head), a sampled-out trace, and links printed only where they lead."""
from __future__ import annotations

import re
import subprocess
import sys

from conftest import ROOT, clean_env, free_port, run_main
from simulate.receiver import OtlpReceiver


def test_a_console_that_cannot_print_emoji_gets_plain_icons():
    result = subprocess.run([sys.executable, "main.py", "--no-export", "--speed", "0", "--fail",
                             "inventory"], cwd=ROOT, capture_output=True, timeout=60,
                            env=clean_env({"PYTHONIOENCODING": "cp1252"}))
    out, err = result.stdout.decode("cp1252"), result.stderr.decode("cp1252")
    assert result.returncode == 0, err
    assert ">> [API Gateway] Received order request" in out
    assert "X [Inventory Service] Out of stock" in out
    assert "409 Conflict" in out  # the order failed as the scenario says, not as a console error
    assert "RemoteServiceError" not in out + err and "Traceback" not in err


def test_a_reader_that_leaves_costs_neither_the_run_nor_its_export():
    with OtlpReceiver() as receiver:
        proc = subprocess.Popen([sys.executable, "main.py", "--speed", "0", "--endpoint",
                                 receiver.endpoint], cwd=ROOT, env=clean_env(),
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        assert "Received order request" in proc.stdout.readline()
        proc.stdout.close()  # `| head -1`
        err = proc.stderr.read()
        assert proc.wait(60) == 0, err
        assert receiver.wait_for_spans(11)
    assert err == ""  # not even Python's "Exception ignored ... BrokenPipeError"


def test_a_sampled_out_trace_prints_no_trace_id_and_no_link():
    with OtlpReceiver() as receiver:
        result = run_main("--speed", "0", "--endpoint", receiver.endpoint,
                          env={"OTEL_TRACES_SAMPLER": "always_off"})
    assert result.returncode == 0
    assert "sampler dropped this order's trace" in result.stdout
    assert not re.search(r"[0-9a-f]{32}", result.stdout)  # no id that exists nowhere
    assert "Jaeger" not in result.stdout


def test_jaeger_links_only_when_the_trace_reached_a_collector(jaeger_ui):
    console = run_main("--speed", "0", "--fail", "payment", "--exporter", "console",
                       "--jaeger-url", jaeger_ui)
    dead = run_main("--speed", "0", "--fail", "payment", "--endpoint", f"http://127.0.0.1:{free_port()}",
                    "--jaeger-url", jaeger_ui)
    for result in (console, dead):
        assert "🔗 Jaeger" not in result.stdout and "In Jaeger" not in result.stdout
    with OtlpReceiver() as receiver:
        alive = run_main("--speed", "0", "--fail", "payment", "--endpoint", receiver.endpoint,
                         "--jaeger-url", jaeger_ui)
    assert f"In Jaeger: open {jaeger_ui}/trace/" in alive.stdout
    assert f"🔗 Jaeger: {jaeger_ui}/trace/" in alive.stdout
