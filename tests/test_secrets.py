"""No credential ever reaches any output: stdout, stderr, --output, --json, the JSON log,
the console exporter, or the span data a collector receives."""
from __future__ import annotations

import base64
import json

import pytest

from conftest import free_port, run_main
from simulate.receiver import OtlpReceiver

HEADER_SECRET = "SECRET-HDR-71c9"
USER, PASSWORD = "USERX-5e1", "SECRET-PW-a88f"
SECRETS = (HEADER_SECRET, USER, PASSWORD)


def assert_nowhere(*texts: str) -> None:
    for text in texts:
        for secret in SECRETS:
            assert secret not in text, f"{secret} printed: {text[:300]}"


def test_secrets_in_headers_and_url_are_sent_and_never_shown(tmp_path):
    out = tmp_path / "spans.jsonl"
    env = {"OTEL_EXPORTER_OTLP_HEADERS": f"x-api-key={HEADER_SECRET}"}
    with OtlpReceiver() as receiver:
        url = f"http://{USER}:{PASSWORD}@127.0.0.1:{receiver.port}"
        runs = [run_main("--speed", "0", "--endpoint", url, "--output", str(out), env=env),
                run_main("--speed", "0", "--endpoint", url, "--json", "--fail", "payment", env=env),
                run_main("--speed", "0", "--endpoint", url, "--log-format", "json", env=env),
                run_main("--speed", "0", "--endpoint", url, "--no-view", env={
                    **env, "OTEL_TRACES_EXPORTER": "console,otlp"}),
                run_main("--orders", "50", "--speed", "0", "--endpoint", url, env=env)]
        assert receiver.wait_for_spans(3 * 11 + 7 + 50 * 11)
        received = "".join(str(request) for request in receiver.requests)
        metadata = receiver.metadata
    for result in runs:
        assert result.returncode == 0, result.stderr
        assert_nowhere(result.stdout, result.stderr)
    assert_nowhere(out.read_text(), received)
    # They were sent, as headers: the key as given, the URL's user:password as Basic auth.
    basic = "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
    assert all(m.get("x-api-key") == HEADER_SECRET and m.get("authorization") == basic
               for m in metadata)


def test_credentials_in_the_url_are_never_printed_when_export_fails():
    url = f"http://{USER}:{PASSWORD}@127.0.0.1:{free_port()}"
    single = run_main("--speed", "0", "--endpoint", url)
    load = run_main("--orders", "200", "--speed", "0", "--json", "--endpoint", url)
    plain = run_main("--orders", "200", "--speed", "0", "--endpoint", url)
    for result in (single, load, plain):
        assert result.returncode == 3
        assert_nowhere(result.stdout, result.stderr)
    assert json.loads(load.stdout)["export_error"] == "UNAVAILABLE: connection refused"


@pytest.mark.parametrize("headers,named", [
    (f"Authorization: Bearer {HEADER_SECRET}", "'Authorization'"),
    (f"x-api-key={HEADER_SECRET}%0Aevil: yes", "'x-api-key'"),
    (f"{HEADER_SECRET}", "entry 1"),
])
def test_malformed_headers_get_one_line_naming_the_key_only(headers, named):
    result = run_main("--speed", "0", env={"OTEL_EXPORTER_OTLP_HEADERS": headers})
    assert result.returncode == 2
    [line] = result.stderr.splitlines()
    assert named in line and "OTEL_EXPORTER_OTLP_HEADERS" in line
    assert_nowhere(result.stdout, result.stderr)


@pytest.mark.parametrize("endpoint,scheme", [(f"http://{USER}:{PASSWORD}@[::1", "http"),
                                             (f"ftp://{USER}:{PASSWORD}@127.0.0.1:4317", "ftp"),
                                             (f"http://{USER}:{PASSWORD}@127.0.0.1:4317/a/path", "http")])
def test_an_invalid_endpoint_is_echoed_without_its_credentials(endpoint, scheme):
    result = run_main("--speed", "0", "--endpoint", endpoint)
    assert result.returncode == 2, result.stderr
    [line] = result.stderr.splitlines()
    assert f"invalid OTLP endpoint '{scheme}://***@" in line
    assert_nowhere(result.stdout, result.stderr)


QUERY_SECRET = "SECRET-QS-3d2"


@pytest.mark.parametrize("protocol", ["grpc", "http/protobuf"])
def test_a_query_string_in_the_endpoint_is_masked_in_every_line(protocol):
    # A bad one (gRPC takes no path) and a dead one: the error line and the export line.
    url = f"http://{USER}:{PASSWORD}@127.0.0.1:{free_port()}/v1/traces?token={QUERY_SECRET}&x=1"
    result = run_main("--speed", "0", env={"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": url,
                                           "OTEL_EXPORTER_OTLP_PROTOCOL": protocol})
    assert result.returncode == (2 if protocol == "grpc" else 3), result.stderr
    for text in (result.stdout, result.stderr):
        assert QUERY_SECRET not in text
        assert_nowhere(text)
    if protocol == "grpc":
        assert "/v1/traces?token=***&x=***'" in result.stderr


def test_credentials_in_the_jaeger_url_are_masked_in_the_link(jaeger_ui):
    ui = jaeger_ui.removeprefix("http://")  # a link is printed only where a UI answers
    with OtlpReceiver() as receiver:
        result = run_main("--speed", "0", "--endpoint", receiver.endpoint,
                          env={"ORDERTRACE_JAEGER_URL": f"http://{USER}:{PASSWORD}@{ui}"})
        failed = run_main("--speed", "0", "--fail", "payment", "--endpoint", receiver.endpoint,
                          "--jaeger-url", f"http://{USER}:{PASSWORD}@{ui}/?k={QUERY_SECRET}")
    assert result.returncode == 0 and failed.returncode == 0, result.stderr + failed.stderr
    assert f"Jaeger: http://***@{ui}/trace/" in result.stdout
    assert f"http://***@{ui}/?k=***/trace/" in failed.stdout
    for text in (result.stdout, result.stderr, failed.stdout, failed.stderr):
        assert QUERY_SECRET not in text
        assert_nowhere(text)
