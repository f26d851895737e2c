"""Bad input, flags and environment alike: one line, exit 2, no traceback, nothing truncated."""
from __future__ import annotations

import pytest

from conftest import run_main

LOAD = ("--orders", "10")


@pytest.mark.parametrize("args", [
    ("--speed", "nan"), ("--speed", "inf"), ("--speed", "1e308"), ("--speed", "-1"),
    (*LOAD, "--rate", "nan"), (*LOAD, "--rate", "inf"), (*LOAD, "--rate", "1e-300"),
    (*LOAD, "--jitter", "nan"), (*LOAD, "--jitter", "inf"), ("--duration", "nan"),
    ("--duration", "-5"), (*LOAD, "--concurrency", "100000000"), ("--orders", "0"),
    ("--output", ""), ("--output", "  "), ("--endpoint", ""), ("--endpoint", "http://127.0.0.1:0"),
    ("--endpoint", "http://a host:4317"), ("--endpoint", "http://[::1"),
    ("--endpoint", "http://127.0.0.1:99999"), ("--endpoint", "ftp://127.0.0.1:4317"),
    (*LOAD, "--failure-rate", ",,,"), (*LOAD, "--failure-rate", "payment=0.1,payment=0.2"),
    (*LOAD, "--failure-rate", "payment=nan"), ("--optimize", "all,bogus"), ("--optimize", ""),
    (*LOAD, "--log-format", "json"), (*LOAD, "--no-view"), (*LOAD, "--fail", "payment"),
    (*LOAD, "--compare", "--optimize", "all"),
])
def test_bad_flags_exit_2_with_one_line(args):
    result = run_main(*args)
    assert result.returncode == 2, result.stdout
    [line] = result.stderr.splitlines()
    assert line.startswith("main.py: error: ") and "Traceback" not in result.stderr
    assert result.stdout == ""


@pytest.mark.parametrize("env", [
    {"OTEL_EXPORTER_OTLP_TIMEOUT": value} for value in ("nan", "inf", "1e308", "0", "-5", "soon")
] + [
    {"OTEL_EXPORTER_OTLP_TRACES_TIMEOUT": "nan"}, {"OTEL_TRACES_EXPORTER": "zipkin"},
    {"OTEL_TRACES_EXPORTER": "none,otlp"}, {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://[::1"},
    {"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "localhost:0"}, {"OTEL_TRACES_SAMPLER_ARG": "nan",
                                                            "OTEL_TRACES_SAMPLER": "traceidratio"},
])
def test_bad_environment_exits_2_with_one_line(env):
    result = run_main(env=env)
    assert result.returncode == 2
    [line] = result.stderr.splitlines()
    assert line.startswith("main.py: error: ") and "Traceback" not in result.stderr
    assert any(name in line for name in env) or "endpoint" in line


def test_the_ipv6_error_says_what_and_where():
    result = run_main("--endpoint", "http://[::1")
    assert "invalid OTLP endpoint 'http://[::1' (from --endpoint): Invalid IPv6 URL" in result.stderr


def test_an_ipv6_loopback_endpoint_works():
    from simulate.receiver import OtlpReceiver

    with OtlpReceiver(host="::1") as receiver:
        result = run_main("--no-view", "--speed", "0", "--endpoint", f"http://[::1]:{receiver.port}")
        assert result.returncode == 0, result.stderr
        assert receiver.wait_for_spans(11)
