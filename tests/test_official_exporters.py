"""The official OTLP exporters underneath, and every standard variable as the SDK honours
it: checked at real receivers (gRPC and HTTP) started here, never a mock."""
from __future__ import annotations

import json
import subprocess
import time

import pytest

from conftest import Running, free_port, run_main
from simulate.receiver import OtlpReceiver

TRACES_ONLY = {"OTEL_LOGS_EXPORTER": "none", "OTEL_METRICS_EXPORTER": "none"}  # receivers of traces


def _spans_per_request(receiver: OtlpReceiver) -> list[int]:
    return [sum(len(ss.spans) for rs in r.resource_spans for ss in rs.scope_spans)
            for r in receiver.requests]


def test_otel_bsp_max_export_batch_size_is_honoured():
    with OtlpReceiver() as receiver:
        result = run_main("--no-view", "--speed", "0", "--endpoint", receiver.endpoint,
                          env={"OTEL_BSP_MAX_EXPORT_BATCH_SIZE": "3"})
        assert result.returncode == 0, result.stderr
        assert receiver.wait_for_spans(11)
    assert sorted(_spans_per_request(receiver)) == [2, 3, 3, 3]


def test_otel_bsp_schedule_delay_is_honoured():
    # 20 orders/s in real time for 3 s: ~220 spans/s, never a full batch of 512.  With the
    # SDK's 5 s delay they leave at the end, in one or two requests; with 200 ms, one
    # request every 200 ms while the run goes.
    counts = {}
    for delay in ("200", None):
        with OtlpReceiver() as receiver:
            env = {"OTEL_BSP_SCHEDULE_DELAY": delay} if delay else {}
            result = run_main("--duration", "3", "--rate", "20", "--speed", "1",
                              "--endpoint", receiver.endpoint, env=env, timeout=60)
            assert result.returncode == 0, result.stderr
            counts[delay] = len(receiver.requests)
    assert counts["200"] >= 8 and counts[None] <= 2, counts


def test_the_traces_endpoint_variable_wins_over_the_generic_one():
    with OtlpReceiver() as generic, OtlpReceiver() as traces:
        result = run_main("--no-view", "--speed", "0", env={
            "OTEL_EXPORTER_OTLP_ENDPOINT": generic.endpoint,
            "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": traces.endpoint})
        assert result.returncode == 0, result.stderr
        assert traces.wait_for_spans(11)
    assert generic.span_count == 0
    assert f"127.0.0.1:{traces.port} (OTLP/gRPC)" in result.stdout  # and that is what is shown


def test_gzip_compression_reaches_an_http_receiver_compressed():
    with OtlpReceiver() as receiver:
        result = run_main("--no-view", "--speed", "0", env={
            **TRACES_ONLY, "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf",
            "OTEL_EXPORTER_OTLP_ENDPOINT": receiver.http_endpoint,
            "OTEL_EXPORTER_OTLP_COMPRESSION": "gzip"})
        assert result.returncode == 0, result.stderr
        assert receiver.wait_for_spans(11)
    assert set(receiver.calls) == {("http", "traces")}  # /v1/traces appended to the base
    assert {m.get("content-encoding") for m in receiver.metadata} == {"gzip"}


@pytest.fixture(scope="module")
def certificate(tmp_path_factory):
    folder = tmp_path_factory.mktemp("tls")
    key, cert = folder / "key.pem", folder / "cert.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-keyout", str(key), "-out", str(cert), "-subj", "/CN=localhost",
                    "-addext", "subjectAltName=DNS:localhost"], check=True, capture_output=True)
    return key, cert


def test_tls_with_the_certificate_variable_over_http(certificate):
    key, cert = certificate
    with OtlpReceiver(host="localhost", tls=(key.read_bytes(), cert.read_bytes())) as receiver:
        assert receiver.http_endpoint.startswith("https://localhost:")
        result = run_main("--no-view", "--speed", "0", "--protocol", "http/protobuf",
                          "--endpoint", receiver.http_endpoint,
                          env={**TRACES_ONLY, "OTEL_EXPORTER_OTLP_CERTIFICATE": str(cert)})
        assert result.returncode == 0, result.stderr
        assert receiver.wait_for_spans(11)
        # Without the certificate the handshake fails, and the line says TLS.
        untrusted = run_main("--no-view", "--speed", "0", "--protocol", "http/protobuf",
                             "--endpoint", receiver.http_endpoint, env=TRACES_ONLY)
    assert untrusted.returncode == 3 and "TLS" in untrusted.stderr


def test_plaintext_to_a_tls_port_is_named_so(certificate):
    key, cert = certificate
    with OtlpReceiver(host="localhost", tls=(key.read_bytes(), cert.read_bytes())) as receiver:
        result = run_main("--no-view", "--speed", "0", "--endpoint", f"http://localhost:{receiver.port}")
    assert result.returncode == 3
    [line] = result.stderr.splitlines()
    assert "expects TLS (https://)" in line and "OTEL_EXPORTER_OTLP_CERTIFICATE" in line


def test_an_unknown_host_is_named_so():
    result = run_main("--no-view", "--speed", "0", "--endpoint", "http://no-such-host.invalid:4317")
    assert result.returncode == 3
    [line] = result.stderr.splitlines()
    assert "cannot resolve the host name" in line and "Check the host" in line


def test_the_sdk_self_observability_agrees_with_our_count():
    with OtlpReceiver(keep=False) as receiver:
        result = run_main("--orders", "300", "--speed", "0", "--json", "--endpoint", receiver.endpoint)
        assert result.returncode == 0, result.stderr
        data = json.loads(result.stdout)
        assert receiver.wait_for_spans(data["spans"]["created"])
    sdk = data["sdk_self_observability"]
    assert sdk["otel.sdk.exporter.span.exported"] == {"ok": data["spans"]["exported"]}
    assert sdk["otel.sdk.processor.span.processed"] == {"ok": data["spans"]["created"]}
    assert data["spans"]["exported"] == receiver.span_count == 3300


HOSTILE = "\x1b[31m\x1b]0;pwned\x07" + "\x9b" + "A" * 60_000


def test_hostile_propagation_headers_on_serve_reach_stderr_escaped_and_bounded():
    import http.client

    port = free_port()
    run = Running("serve", "--port", str(port), "--no-export")
    try:
        run.wait_for("127.0.0.1", name="stdout")
        for header in ("traceparent", "tracestate", "baggage"):
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=15)
            conn.putrequest("POST", "/api/orders")
            conn.putheader(header, "k=" + HOSTILE if header != "traceparent" else HOSTILE)
            conn.putheader("Content-Length", "2")
            conn.endheaders(b"{}")
            conn.getresponse().read()
            conn.close()
        time.sleep(0.5)
    finally:
        run.signal(2)
        run.finish(30)
    stderr = run.text("stderr")
    assert "\x1b" not in stderr and "\x9b" not in stderr and "\x07" not in stderr
    assert max((len(line) for line in stderr.splitlines()), default=0) <= 300
