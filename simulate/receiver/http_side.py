"""The receiver's OTLP/HTTP side: POST /v1/traces, /v1/logs, /v1/metrics.

What the collector's ``otlp`` receiver answers on 4318, so the SDK's
``opentelemetry.exporter.otlp.proto.http`` exporters can be tested against it:
protobuf bodies (and OTLP/JSON ones, answered in JSON), a gzip ``Content-Encoding``
accepted, a failure the HTTP status the OTLP specification maps the gRPC code to,
with a ``google.rpc.Status`` body.
"""
from __future__ import annotations

import gzip
import json
import os
import socket
import ssl
import tempfile
import threading
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any

import grpc
from google.protobuf import json_format
from google.protobuf.message import DecodeError, Message
from google.rpc import status_pb2
from opentelemetry.proto.collector.logs.v1 import logs_service_pb2
from opentelemetry.proto.collector.metrics.v1 import metrics_service_pb2
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2

from ..report.otlp_json import to_message

if TYPE_CHECKING:
    from .core import OtlpReceiver

PATHS: dict[str, tuple[str, type[Message], type[Message]]] = {
    "/v1/traces": ("traces", trace_service_pb2.ExportTraceServiceRequest,
                   trace_service_pb2.ExportTraceServiceResponse),
    "/v1/logs": ("logs", logs_service_pb2.ExportLogsServiceRequest,
                 logs_service_pb2.ExportLogsServiceResponse),
    "/v1/metrics": ("metrics", metrics_service_pb2.ExportMetricsServiceRequest,
                    metrics_service_pb2.ExportMetricsServiceResponse),
}
PROTOBUF = "application/x-protobuf"
JSON = "application/json"
MAX_BODY = 64 * 1024 * 1024  # as the gRPC side's max_receive_message_length
# The OTLP/HTTP answer for each gRPC code (the retryable ones keep their meaning).
HTTP_STATUS = {
    grpc.StatusCode.UNAVAILABLE: 503, grpc.StatusCode.RESOURCE_EXHAUSTED: 429,
    grpc.StatusCode.UNAUTHENTICATED: 401, grpc.StatusCode.PERMISSION_DENIED: 403,
    grpc.StatusCode.UNIMPLEMENTED: 404, grpc.StatusCode.INVALID_ARGUMENT: 400,
    grpc.StatusCode.DEADLINE_EXCEEDED: 504,
}


class _Handler(BaseHTTPRequestHandler):
    receiver: OtlpReceiver  # set on the per-receiver subclass
    protocol_version = "HTTP/1.1"  # keep-alive, as exporters' sessions expect

    def do_POST(self) -> None:
        self._type = PROTOBUF  # how to answer: as the request came, protobuf until known
        route = PATHS.get(self.path.split("?")[0])
        length = int(self.headers.get("Content-Length") or -1)
        if route is None:
            return self._answer(404, "unknown path: OTLP/HTTP serves /v1/traces, /v1/logs, /v1/metrics")
        if not 0 <= length <= MAX_BODY:
            return self._answer(411 if length < 0 else 413, "a body of 0-64 MiB with Content-Length")
        body = self.rfile.read(length)
        if self.headers.get_content_type() not in (PROTOBUF, JSON):
            return self._answer(415, f"this receiver reads {PROTOBUF} and {JSON} bodies")
        self._type = self.headers.get_content_type()
        signal, request_type, response_type = route
        try:
            if self.headers.get("Content-Encoding", "").lower() == "gzip":
                body = gzip.decompress(body)
            request = (request_type.FromString(body) if self._type == PROTOBUF
                       else to_message(json.loads(body), request_type()))
        except (OSError, EOFError, zlib.error, DecodeError, ValueError) as exc:
            return self._answer(400, f"cannot read the body: {str(exc)[:200]}")
        metadata = {key.lower(): value for key, value in self.headers.items()}
        error = self.receiver.misbehave(metadata, "http", signal)
        if error is not None:
            return self._answer(HTTP_STATUS.get(error, 500), "receiver configured to fail")
        self.receiver.accept(signal, request)
        self._send(200, response_type())

    def _answer(self, status: int, message: str) -> None:
        self._send(status, status_pb2.Status(code=status, message=message))

    def _send(self, status: int, message: Message) -> None:
        """``message`` in the encoding the request came in."""
        body = message.SerializeToString() if self._type == PROTOBUF else \
            json_format.MessageToJson(message).encode()
        self.send_response(status)
        self.send_header("Content-Type", self._type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass  # the receiver prints what it received, not an access log


def _tls_context(tls: tuple[bytes, bytes]) -> ssl.SSLContext:
    """An SSL context from PEM bytes (``load_cert_chain`` reads files only)."""
    key, chain = tls
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    with tempfile.TemporaryDirectory() as folder:
        paths = [os.path.join(folder, name) for name in ("key.pem", "chain.pem")]
        for path, data in zip(paths, (key, chain)):
            with open(path, "wb") as handle:
                handle.write(data)
        context.load_cert_chain(paths[1], paths[0])
    return context


class HttpSide:
    def __init__(self, receiver: OtlpReceiver, host: str, port: int,
                 tls: tuple[bytes, bytes] | None):
        handler = type("Handler", (_Handler,), {"receiver": receiver})
        server_type = type("Server", (ThreadingHTTPServer,), {
            "address_family": socket.AF_INET6 if ":" in host else socket.AF_INET,
            "daemon_threads": True})
        self._server = server_type((host, port), handler)
        if tls:
            self._server.socket = _tls_context(tls).wrap_socket(self._server.socket, server_side=True)
        self.port: int = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, name="otlp-http",
                                        daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        if self._thread.is_alive():
            self._server.shutdown()
        self._server.server_close()
