"""Standard OpenTelemetry configuration: OTEL_* variables, protocols, TLS, headers, sampling."""
from __future__ import annotations

import gzip
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from conftest import free_port, run_flow, run_main
from simulate.receiver import OtlpReceiver
from simulate.tracing.sampling import resolve_sampler
from simulate.tracing.settings import SettingsError, resolve
from simulate.world.services.base import Runtime  # noqa: F401 (runtime kwargs below)


def test_precedence_flag_over_signal_env_over_generic_env_over_default():
    env = {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://generic:4317",
           "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://traces:4317"}
    assert resolve(env={}).endpoint.url == "http://localhost:4317"
    assert resolve(env={"OTEL_EXPORTER_OTLP_ENDPOINT": "http://generic:4317"}).endpoint.url == \
        "http://generic:4317"
    assert resolve(env=env).endpoint.url == "http://traces:4317"
    assert resolve(endpoint="http://flag:4317", env=env).endpoint.url == "http://flag:4317"


def test_http_protobuf_endpoints_follow_the_spec_paths():
    assert resolve(protocol="http/protobuf", env={}).endpoint.url == "http://localhost:4318/v1/traces"
    generic = {"OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf",
               "OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318/base"}
    assert resolve(env=generic).endpoint.url == "http://collector:4318/base/v1/traces"
    specific = {"OTEL_EXPORTER_OTLP_TRACES_PROTOCOL": "http/protobuf",
                "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://collector:4318/custom"}
    assert resolve(env=specific).endpoint.url == "http://collector:4318/custom"  # used as is


def test_timeout_is_seconds_as_the_python_sdk_reads_it_and_left_to_the_exporter():
    generic = resolve(env={"OTEL_EXPORTER_OTLP_TIMEOUT": "2.5"})
    assert generic.timeout_s == 2.5 and generic.timeout_override is None  # the exporter reads it
    assert resolve(env={"OTEL_EXPORTER_OTLP_TIMEOUT": "2.5",
                        "OTEL_EXPORTER_OTLP_TRACES_TIMEOUT": "0.3"}).timeout_s == 0.3
    default = resolve(env={})
    assert default.timeout_s == default.timeout_override == 1.0  # ours: given to the exporter
    assert default.with_default_timeout(10).timeout_override == 10
    assert generic.with_default_timeout(10).timeout_s == 2.5  # a variable wins over our default


@pytest.mark.parametrize("value", ["2500", "abc", "0", "-1", "nan"])
def test_a_timeout_the_sdk_would_misread_is_one_line(value):
    result = run_main("--no-view", env={"OTEL_EXPORTER_OTLP_TIMEOUT": value})
    assert result.returncode == 2 and "Traceback" not in result.stderr
    [line] = result.stderr.strip().splitlines()
    assert "OTEL_EXPORTER_OTLP_TIMEOUT" in line and "seconds" in line


def test_headers_are_left_to_the_exporter_unless_the_url_carries_credentials():
    env = {"OTEL_EXPORTER_OTLP_HEADERS": "authorization=Bearer%20abc,x-tenant=acme",
           "OTEL_EXPORTER_OTLP_COMPRESSION": "gzip", "OTEL_EXPORTER_OTLP_INSECURE": "true"}
    plain = resolve(env=env)
    assert plain.headers_override is None and plain.endpoint_override is None and plain.insecure
    # user:password in the URL: the gRPC exporter knows no such thing, so it is given the
    # headers (the variable's, which win, plus Basic auth) and the URL without them.
    withcreds = resolve(endpoint="http://u:p@collector:4317", env=env)
    assert withcreds.headers_override == {"authorization": "Bearer abc", "x-tenant": "acme"}
    assert withcreds.endpoint_override == "http://collector:4317"
    assert "abc" not in repr(plain) + repr(withcreds)


@pytest.mark.parametrize("env", [{"OTEL_EXPORTER_OTLP_PROTOCOL": "http/json"},
                                 {"OTEL_EXPORTER_OTLP_COMPRESSION": "brotli"},
                                 {"OTEL_EXPORTER_OTLP_CERTIFICATE": "/nonexistent/ca.pem"}])
def test_bad_values_are_settings_errors(env):
    with pytest.raises(SettingsError):
        resolve(env=env)


@pytest.mark.parametrize("env", [{"OTEL_TRACES_SAMPLER": "sometimes"},
                                 {"OTEL_TRACES_SAMPLER": "traceidratio", "OTEL_TRACES_SAMPLER_ARG": "2"},
                                 {"OTEL_EXPORTER_OTLP_PROTOCOL": "http/json"}])
def test_bad_environment_exits_2_with_one_line(env):
    result = run_main("--no-view", env=env)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    [line] = result.stderr.strip().splitlines()  # one line, not argparse's usage block
    assert line.startswith("main.py: error: ") and line.endswith("(see --help)")


def test_headers_are_never_printed_even_in_the_warning():
    result = run_main("--no-view", "--endpoint", f"http://127.0.0.1:{free_port()}",
                      env={"OTEL_EXPORTER_OTLP_HEADERS": "authorization=Bearer SECRET-TOKEN-42"})
    assert result.returncode == 3 and "Could not export" in result.stderr
    assert "SECRET-TOKEN-42" not in result.stdout + result.stderr


def test_credentials_in_the_endpoint_url_are_never_printed():
    result = run_main("--no-view", "--endpoint", f"http://admin:hunter2@127.0.0.1:{free_port()}")
    assert result.returncode == 3 and "Could not export" in result.stderr
    assert "hunter2" not in result.stdout + result.stderr


def test_sampling_keeps_or_drops_whole_traces_across_all_five_services():
    sampler = resolve_sampler({"OTEL_TRACES_SAMPLER": "traceidratio", "OTEL_TRACES_SAMPLER_ARG": "0.5"})
    counts = [len(run_flow(sampler=sampler).spans) for _ in range(30)]
    assert set(counts) == {0, 10}  # never a partial trace
    assert 0 < counts.count(10) < 30  # and the ratio really samples


def test_gzip_compressed_export_arrives():
    with OtlpReceiver() as receiver:
        result = run_main("--no-view", "--endpoint", receiver.endpoint,
                          env={"OTEL_EXPORTER_OTLP_COMPRESSION": "gzip"})
        assert result.returncode == 0 and result.stderr == ""
        assert receiver.wait_for_spans(11, timeout_s=10)


def test_https_endpoint_uses_tls_with_the_configured_certificate(tmp_path):
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-keyout", str(key), "-out", str(cert), "-subj", "/CN=localhost",
                    "-addext", "subjectAltName=DNS:localhost"], check=True, capture_output=True)
    with OtlpReceiver(host="localhost", tls=(key.read_bytes(), cert.read_bytes())) as receiver:
        assert receiver.endpoint.startswith("https://")
        result = run_main("--no-view", "--endpoint", receiver.endpoint,
                          env={"OTEL_EXPORTER_OTLP_CERTIFICATE": str(cert)})
        assert result.returncode == 0, result.stderr
        assert receiver.wait_for_spans(11, timeout_s=10)
        # the same endpoint in plaintext is refused: it really was TLS
        plain = run_main("--no-view", "--endpoint", receiver.endpoint.replace("https", "http"))
        assert "Could not export" in plain.stderr


class _OtlpHttpHandler(BaseHTTPRequestHandler):
    received: list = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        if self.headers.get("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
        request = ExportTraceServiceRequest()
        request.ParseFromString(body)
        type(self).received.append((self.path, self.headers.get("Content-Type"), request))
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.end_headers()

    def log_message(self, *args):
        pass


def test_http_protobuf_export_reaches_a_real_otlp_http_receiver():
    _OtlpHttpHandler.received = []
    server = HTTPServer(("127.0.0.1", 0), _OtlpHttpHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        result = run_main("--no-view", "--protocol", "http/protobuf",
                          "--endpoint", f"http://127.0.0.1:{server.server_port}",
                          env={"OTEL_LOGS_EXPORTER": "none", "OTEL_METRICS_EXPORTER": "none"})
    finally:
        server.shutdown()
    assert result.returncode == 0 and result.stderr == ""
    assert "(OTLP/HTTP)" in result.stdout
    paths = {path for path, _, _ in _OtlpHttpHandler.received}
    assert paths == {"/v1/traces"}
    assert {ctype for _, ctype, _ in _OtlpHttpHandler.received} == {"application/x-protobuf"}
    names = [span.name for _, _, r in _OtlpHttpHandler.received for rs in r.resource_spans
             for ss in rs.scope_spans for span in ss.spans]
    assert len(names) == 11 and "POST /api/orders" in names
