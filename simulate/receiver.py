"""A minimal OTLP/gRPC trace receiver: the collector's TraceService, in-process.

Used by the tests and benchmarks as a real export target, and handy on a bare
machine: ``python -m simulate.receiver`` listens on 127.0.0.1:4317 and prints a
line per span it receives.  It can also misbehave on purpose (answer slowly, or
with an error code) to show what the exporter does then.
"""
from __future__ import annotations

import argparse
import threading
import time
from concurrent import futures
from dataclasses import dataclass

import grpc
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2, trace_service_pb2_grpc
from opentelemetry.proto.common.v1.common_pb2 import AnyValue
from opentelemetry.proto.trace.v1.trace_pb2 import Span


def any_value(value: AnyValue):
    """The Python value inside an OTLP AnyValue."""
    kind = value.WhichOneof("value")
    if kind == "array_value":
        return [any_value(v) for v in value.array_value.values]
    return getattr(value, kind) if kind else None


@dataclass(frozen=True)
class ReceivedSpan:
    resource: dict
    span: Span

    @property
    def service(self) -> str:
        return self.resource.get("service.name", "")

    @property
    def attributes(self) -> dict:
        return {kv.key: any_value(kv.value) for kv in self.span.attributes}


class _TraceService(trace_service_pb2_grpc.TraceServiceServicer):
    def __init__(self, receiver: "OtlpReceiver"):
        self._receiver = receiver

    def Export(self, request, context):  # noqa: N802 - gRPC method name
        r = self._receiver
        if r.delay_s:
            time.sleep(r.delay_s)
        if r.fail_with is not None:
            context.abort(r.fail_with, "receiver configured to fail")
        r._accept(request)
        return trace_service_pb2.ExportTraceServiceResponse()


class OtlpReceiver:
    """Start with ``OtlpReceiver().start()``; ``endpoint`` is what to point an exporter at."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, *, delay_s: float = 0.0,
                 fail_with: grpc.StatusCode | None = None, keep: bool = True, workers: int = 4,
                 tls: tuple[bytes, bytes] | None = None):
        """``tls``: (private key PEM, certificate chain PEM) to serve over TLS."""
        self.delay_s, self.fail_with, self.keep = delay_s, fail_with, keep
        self.requests: list = []
        self.span_count = 0
        self._cond = threading.Condition()
        self._server = grpc.server(futures.ThreadPoolExecutor(max_workers=workers),
                                   options=[("grpc.max_receive_message_length", 64 * 1024 * 1024)])
        trace_service_pb2_grpc.add_TraceServiceServicer_to_server(_TraceService(self), self._server)
        if tls:
            credentials = grpc.ssl_server_credentials([tls])
            self.port = self._server.add_secure_port(f"{host}:{port}", credentials)
        else:
            self.port = self._server.add_insecure_port(f"{host}:{port}")
        self.scheme = "https" if tls else "http"
        if self.port == 0:
            raise OSError(f"cannot listen on {host}:{port}")
        self.host = host
        self.on_request = None  # optional callback(request), e.g. to print spans

    @property
    def endpoint(self) -> str:
        return f"{self.scheme}://{self.host}:{self.port}"

    def start(self) -> "OtlpReceiver":
        self._server.start()
        return self

    def stop(self) -> None:
        self._server.stop(grace=None)

    def __enter__(self) -> "OtlpReceiver":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def _accept(self, request) -> None:
        count = sum(len(ss.spans) for rs in request.resource_spans for ss in rs.scope_spans)
        with self._cond:
            self.span_count += count
            if self.keep:
                self.requests.append(request)
            self._cond.notify_all()
        if self.on_request:
            self.on_request(request)

    def wait_for_spans(self, n: int, timeout_s: float = 10.0) -> bool:
        with self._cond:
            return self._cond.wait_for(lambda: self.span_count >= n, timeout_s)

    def spans(self) -> list[ReceivedSpan]:
        with self._cond:
            requests = list(self.requests)
        return [ReceivedSpan({kv.key: any_value(kv.value) for kv in rs.resource.attributes}, span)
                for request in requests for rs in request.resource_spans
                for ss in rs.scope_spans for span in ss.spans]


def _print_request(request) -> None:
    for rs in request.resource_spans:
        service = next((any_value(kv.value) for kv in rs.resource.attributes
                        if kv.key == "service.name"), "?")
        for ss in rs.scope_spans:
            for span in ss.spans:
                ms = (span.end_time_unix_nano - span.start_time_unix_nano) / 1e6
                print(f"{span.trace_id.hex()}  {service:<22} {span.name:<20} {ms:8.2f} ms", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description="Listen for OTLP/gRPC traces and print each span.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=4317)
    args = parser.parse_args()
    receiver = OtlpReceiver(args.host, args.port, keep=False)
    receiver.on_request = _print_request
    receiver.start()
    print(f"listening for OTLP/gRPC traces on {args.host}:{receiver.port} (Ctrl-C to stop)", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        receiver.stop()


if __name__ == "__main__":
    main()
