"""The receiver's state: every request of every signal, whichever transport brought it.

gRPC (the collector's TraceService, LogsService and MetricsService) and OTLP/HTTP
(``http_side``) both hand a parsed request to :meth:`OtlpReceiver.accept`, after the
same misbehaviour (a delay, an error), so a test sees one store and one set of
counters whatever the exporter spoke.
"""
from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent import futures
from dataclasses import dataclass
from typing import Any

import grpc
from google.protobuf.message import Message
from opentelemetry.proto.collector.logs.v1 import logs_service_pb2, logs_service_pb2_grpc
from opentelemetry.proto.collector.metrics.v1 import metrics_service_pb2, metrics_service_pb2_grpc
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2, trace_service_pb2_grpc
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.trace.v1.trace_pb2 import Span

from ..report.records import attributes_of
from ..report.signals import LogEntry, MetricPoint, logs_from_otlp, metrics_from_otlp
from .http_side import HttpSide

Request = ExportTraceServiceRequest
SIGNALS = ("traces", "logs", "metrics")


@dataclass(frozen=True)
class ReceivedSpan:
    resource: dict[str, Any]
    span: Span

    @property
    def service(self) -> str:
        return str(self.resource.get("service.name", ""))

    @property
    def attributes(self) -> dict[str, Any]:
        return attributes_of(self.span.attributes)


def item_count(signal: str, request: Any) -> int:
    """Spans, log records or metric data points in one export request."""
    if signal == "traces":
        return sum(len(ss.spans) for rs in request.resource_spans for ss in rs.scope_spans)
    if signal == "logs":
        return sum(len(sl.log_records) for rl in request.resource_logs for sl in rl.scope_logs)
    return sum(len(getattr(m, m.WhichOneof("data")).data_points)
               for rm in request.resource_metrics for sm in rm.scope_metrics
               for m in sm.metrics if m.WhichOneof("data"))


def _servicer(base: type, signal: str, response: type[Message], receiver: OtlpReceiver) -> Any:
    """A gRPC servicer whose Export hands the request to the receiver."""
    def export(self: Any, request: Message, context: grpc.ServicerContext) -> Message:
        metadata = {key: value for key, value in context.invocation_metadata()}
        error = receiver.misbehave(metadata, "grpc", signal)
        if error is not None:
            context.abort(error, "receiver configured to fail")
        receiver.accept(signal, request)
        return response()
    return type(f"_{signal.title()}Service", (base,), {"Export": export})()


def _bracketed(host: str) -> str:
    return f"[{host}]" if ":" in host else host


class OtlpReceiver:
    """Start with ``OtlpReceiver().start()``; ``endpoint`` (gRPC) and ``http_endpoint``
    (OTLP/HTTP, the base URL: exporters append /v1/traces, /v1/logs, /v1/metrics) are
    what to point an exporter at."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, *, delay_s: float = 0.0,
                 fail_with: grpc.StatusCode | None = None, keep: bool = True, workers: int = 4,
                 tls: tuple[bytes, bytes] | None = None, http_port: int | None = 0):
        """``tls``: (private key PEM, certificate chain PEM) to serve over TLS, on both sides.
        ``http_port``: the OTLP/HTTP side's port (0: a free one; None: no HTTP side).
        ``delay_s`` and ``fail_with`` apply to every signal on both transports (an HTTP
        caller gets the status code that the gRPC code maps to)."""
        self.delay_s, self.fail_with, self.keep = delay_s, fail_with, keep
        self.requests: list[Request] = []  # trace requests, as received
        self.log_requests: list[logs_service_pb2.ExportLogsServiceRequest] = []
        self.metric_requests: list[metrics_service_pb2.ExportMetricsServiceRequest] = []
        self.metadata: list[dict[str, str]] = []  # the headers of every call, as received
        self.calls: list[tuple[str, str]] = []  # (transport, signal) of every call, as received
        self.counts = dict.fromkeys(SIGNALS, 0)  # items accepted per signal
        self._cond = threading.Condition()
        self._server = grpc.server(futures.ThreadPoolExecutor(max_workers=workers),
                                   options=[("grpc.max_receive_message_length", 64 * 1024 * 1024)])
        trace_service_pb2_grpc.add_TraceServiceServicer_to_server(_servicer(
            trace_service_pb2_grpc.TraceServiceServicer, "traces",
            trace_service_pb2.ExportTraceServiceResponse, self), self._server)
        logs_service_pb2_grpc.add_LogsServiceServicer_to_server(_servicer(
            logs_service_pb2_grpc.LogsServiceServicer, "logs",
            logs_service_pb2.ExportLogsServiceResponse, self), self._server)
        metrics_service_pb2_grpc.add_MetricsServiceServicer_to_server(_servicer(
            metrics_service_pb2_grpc.MetricsServiceServicer, "metrics",
            metrics_service_pb2.ExportMetricsServiceResponse, self), self._server)
        if tls:
            credentials = grpc.ssl_server_credentials([tls])
            self.port = self._server.add_secure_port(f"{_bracketed(host)}:{port}", credentials)
        else:
            self.port = self._server.add_insecure_port(f"{_bracketed(host)}:{port}")
        self.scheme = "https" if tls else "http"
        if self.port == 0:
            raise OSError(f"cannot listen on {host}:{port}")
        self.host = host
        self.http = None if http_port is None else HttpSide(self, host, http_port, tls)
        # called after a request is stored: on_request with each trace request (as before
        # logs and metrics came), on_receive with (signal, request) for every signal
        self.on_request: Callable[[Request], None] | None = None
        self.on_receive: Callable[[str, Any], None] | None = None

    @property
    def endpoint(self) -> str:
        return f"{self.scheme}://{_bracketed(self.host)}:{self.port}"

    @property
    def http_endpoint(self) -> str:
        if self.http is None:
            raise RuntimeError("this receiver has no OTLP/HTTP side (http_port=None)")
        return f"{self.scheme}://{_bracketed(self.host)}:{self.http.port}"

    def start(self) -> OtlpReceiver:
        self._server.start()
        if self.http:
            self.http.start()
        return self

    def stop(self) -> None:
        self._server.stop(grace=None)
        if self.http:
            self.http.stop()

    def __enter__(self) -> OtlpReceiver:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def misbehave(self, metadata: dict[str, str], transport: str,
                  signal: str) -> grpc.StatusCode | None:
        """Record the call, wait ``delay_s``, and say which error to answer with, if any."""
        with self._cond:
            self.metadata.append(metadata)
            self.calls.append((transport, signal))
        if self.delay_s:
            time.sleep(self.delay_s)
        return self.fail_with

    def accept(self, signal: str, request: Any) -> None:
        with self._cond:
            self.counts[signal] += item_count(signal, request)
            if self.keep:
                self._kept(signal).append(request)
            self._cond.notify_all()
        if self.on_request and signal == "traces":
            self.on_request(request)
        if self.on_receive:
            self.on_receive(signal, request)

    def _kept(self, signal: str) -> list[Any]:
        kept: dict[str, list[Any]] = {"traces": self.requests, "logs": self.log_requests,
                                      "metrics": self.metric_requests}
        return kept[signal]

    @property
    def span_count(self) -> int:
        return self.counts["traces"]

    def wait_for(self, signal: str, n: int, timeout_s: float = 10.0) -> bool:
        """True once ``n`` spans, log records or metric points have arrived."""
        with self._cond:
            return self._cond.wait_for(lambda: self.counts[signal] >= n, timeout_s)

    def wait_for_spans(self, n: int, timeout_s: float = 10.0) -> bool:
        return self.wait_for("traces", n, timeout_s)

    def spans(self) -> list[ReceivedSpan]:
        with self._cond:
            requests = list(self.requests)
        return [ReceivedSpan(attributes_of(rs.resource.attributes), span)
                for request in requests for rs in request.resource_spans
                for ss in rs.scope_spans for span in ss.spans]

    def logs(self) -> list[LogEntry]:
        """Every log record kept, with its resource (``LogEntry.resource``, ``.service``)."""
        with self._cond:
            requests = list(self.log_requests)
        return [entry for request in requests for entry in logs_from_otlp(request)]

    def metric_points(self) -> list[MetricPoint]:
        """Every metric data point kept, with its metric's name, unit and resource."""
        with self._cond:
            requests = list(self.metric_requests)
        return [point for request in requests for point in metrics_from_otlp(request)]
