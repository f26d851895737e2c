"""The official OTLP exporters underneath, and every standard variable as the SDK honours
it: checked at real receivers (gRPC and HTTP) started here, never a mock."""
from __future__ import annotations

import gzip
import json
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from conftest import Running, free_port, run_main
from simulate.receiver import OtlpReceiver

TRACES_ONLY = {"OTEL_LOGS_EXPORTER": "none", "OTEL_METRICS_EXPORTER": "none"}  # receivers of traces


class HttpReceiver:
    """OTLP/HTTP traces on 127.0.0.1: every request's path, headers and spans kept."""

    def __init__(self, status: int = 200, tls: tuple[str, str] | None = None):
        received = self.received = []

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                encoding = self.headers.get("Content-Encoding")
                raw = gzip.decompress(body) if encoding == "gzip" else body
                request = ExportTraceServiceRequest()
                request.ParseFromString(raw)
                received.append((self.path, dict(self.headers), request))
                self.send_response(status)
                self.send_header("Content-Type", "application/x-protobuf")
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        if tls:
            import ssl

            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(tls[0], tls[1])
            self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        self.port = self.server.server_port
        self.scheme = "https" if tls else "http"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def span_count(self) -> int:
        return sum(len(ss.spans) for _, _, r in self.received for rs in r.resource_spans
                   for ss in rs.scope_spans)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


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
    with HttpReceiver() as receiver:
        result = run_main("--no-view", "--speed", "0", env={
            **TRACES_ONLY, "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf",
            "OTEL_EXPORTER_OTLP_ENDPOINT": f"http://127.0.0.1:{receiver.port}",
            "OTEL_EXPORTER_OTLP_COMPRESSION": "gzip"})
    assert result.returncode == 0, result.stderr
    assert receiver.span_count == 11
    assert {path for path, _, _ in receiver.received} == {"/v1/traces"}  # appended to the base
    assert {h.get("Content-Encoding") for _, h, _ in receiver.received} == {"gzip"}


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
    with HttpReceiver(tls=(str(cert), str(key))) as receiver:
        result = run_main("--no-view", "--speed", "0", "--protocol", "http/protobuf",
                          "--endpoint", f"https://localhost:{receiver.port}",
                          env={**TRACES_ONLY, "OTEL_EXPORTER_OTLP_CERTIFICATE": str(cert)})
        assert result.returncode == 0, result.stderr
        assert receiver.span_count == 11
        # Without the certificate the handshake fails, and the line says TLS.
        untrusted = run_main("--no-view", "--speed", "0", "--protocol", "http/protobuf",
                             "--endpoint", f"https://localhost:{receiver.port}", env=TRACES_ONLY)
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
