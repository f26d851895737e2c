"""A minimal OTLP/gRPC trace receiver: the collector's TraceService, in-process.

Used by the tests and benchmarks as a real export target, and handy on a bare
machine: ``python -m simulate.receiver`` listens on 127.0.0.1:4317 and draws
each trace it receives as a tree (``--flat``: a line per span).  It can also
misbehave on purpose (answer slowly, or with an error code) to show what the
exporter does then.
"""
from __future__ import annotations

import argparse
import sys
import threading
import time
from collections.abc import Callable
from concurrent import futures
from dataclasses import dataclass
from typing import Any

import grpc
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2, trace_service_pb2_grpc
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.trace.v1.trace_pb2 import Span
from rich.console import Console

from . import i18n
from .i18n import _, speak_argparse
from .report.records import SpanRecord, attributes_of, from_otlp
from .report.view import print_lines, trace_table

Request = ExportTraceServiceRequest


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


class _TraceService(trace_service_pb2_grpc.TraceServiceServicer):
    def __init__(self, receiver: OtlpReceiver):
        self._receiver = receiver

    def Export(self, request: Request,  # noqa: N802 - gRPC method name
               context: grpc.ServicerContext) -> trace_service_pb2.ExportTraceServiceResponse:
        r = self._receiver
        with r._cond:
            r.metadata.append({key: value for key, value in context.invocation_metadata()})
        if r.delay_s:
            time.sleep(r.delay_s)
        if r.fail_with is not None:
            context.abort(r.fail_with, "receiver configured to fail")
        r._accept(request)
        return trace_service_pb2.ExportTraceServiceResponse()


def _bracketed(host: str) -> str:
    return f"[{host}]" if ":" in host else host


class OtlpReceiver:
    """Start with ``OtlpReceiver().start()``; ``endpoint`` is what to point an exporter at."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, *, delay_s: float = 0.0,
                 fail_with: grpc.StatusCode | None = None, keep: bool = True, workers: int = 4,
                 tls: tuple[bytes, bytes] | None = None):
        """``tls``: (private key PEM, certificate chain PEM) to serve over TLS."""
        self.delay_s, self.fail_with, self.keep = delay_s, fail_with, keep
        self.requests: list[Request] = []
        self.metadata: list[dict[str, str]] = []  # the headers of every call, as received
        self.span_count = 0
        self._cond = threading.Condition()
        self._server = grpc.server(futures.ThreadPoolExecutor(max_workers=workers),
                                   options=[("grpc.max_receive_message_length", 64 * 1024 * 1024)])
        trace_service_pb2_grpc.add_TraceServiceServicer_to_server(_TraceService(self), self._server)
        if tls:
            credentials = grpc.ssl_server_credentials([tls])
            self.port = self._server.add_secure_port(f"{_bracketed(host)}:{port}", credentials)
        else:
            self.port = self._server.add_insecure_port(f"{_bracketed(host)}:{port}")
        self.scheme = "https" if tls else "http"
        if self.port == 0:
            raise OSError(f"cannot listen on {host}:{port}")
        self.host = host
        self.on_request: Callable[[Request], None] | None = None  # e.g. to print spans

    @property
    def endpoint(self) -> str:
        return f"{self.scheme}://{_bracketed(self.host)}:{self.port}"

    def start(self) -> OtlpReceiver:
        self._server.start()
        return self

    def stop(self) -> None:
        self._server.stop(grace=None)

    def __enter__(self) -> OtlpReceiver:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _accept(self, request: Request) -> None:
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
        return [ReceivedSpan(attributes_of(rs.resource.attributes), span)
                for request in requests for rs in request.resource_spans
                for ss in rs.scope_spans for span in ss.spans]


class TreePrinter:
    """Draws each trace once it has been quiet for ``quiet_s`` (its spans may come in
    several batches, and the email worker's linked trace a little later)."""

    def __init__(self, console: Console, quiet_s: float = 1.0):
        self._console, self._quiet_s = console, quiet_s
        self._pending: dict[int, tuple[float, list[SpanRecord]]] = {}
        self._lock = threading.Lock()

    def add(self, request: Request) -> None:
        now = time.monotonic()
        with self._lock:
            for record in from_otlp(request):
                _, spans = self._pending.get(record.trace_id, (now, []))
                self._pending[record.trace_id] = (now, [*spans, record])

    def flush(self, everything: bool = False) -> None:
        now = time.monotonic()
        with self._lock:
            ready = [tid for tid, (seen, _) in self._pending.items()
                     if everything or now - seen >= self._quiet_s]
            traces = [(tid, self._pending.pop(tid)[1]) for tid in ready]
        for trace_id, spans in traces:
            self._console.print(f"trace {trace_id:032x}", style="bold")
            print_lines(self._console, trace_table(spans, width=self._console.width))
            self._console.print()


def _print_flat(request: Request) -> None:
    for record in from_otlp(request):
        print(f"{record.trace_id:032x}  {record.service:<22} {record.name:<28} "
              f"{record.duration_ms:8.2f} ms", flush=True)


def main() -> None:
    flag = next((a.split("=", 1)[1] for a in sys.argv[1:] if a.startswith("--lang=")), None)
    if "--lang" in sys.argv[1:-1]:
        flag = sys.argv[sys.argv.index("--lang") + 1]
    i18n.use(i18n.language_from(flag))
    speak_argparse()
    parser = argparse.ArgumentParser(
        prog="python -m simulate.receiver",
        description=_("Listen for OTLP/gRPC traces and draw each one as a tree."))
    parser.add_argument("--host", default="127.0.0.1", help=_("address to listen on (default 127.0.0.1)"))
    parser.add_argument("--port", type=int, default=4317, help=_("port to listen on (default 4317)"))
    parser.add_argument("--flat", action="store_true", help=_("a line per span instead of trees"))
    parser.add_argument("--lang", metavar="LANG", help=_("zh: messages in Chinese (as for main.py)"))
    args = parser.parse_args()
    receiver = OtlpReceiver(args.host, args.port, keep=False)
    printer = TreePrinter(Console(highlight=False))
    receiver.on_request = _print_flat if args.flat else printer.add
    receiver.start()
    print(_("listening for OTLP/gRPC traces on {host}:{port} (Ctrl-C to stop)").format(
        host=args.host, port=receiver.port), flush=True)
    try:
        while True:
            time.sleep(0.25)
            printer.flush()
    except KeyboardInterrupt:
        receiver.stop()
        printer.flush(everything=True)


if __name__ == "__main__":
    main()
