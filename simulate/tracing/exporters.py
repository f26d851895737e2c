"""The official exporters, built the standard way.

Every ``OTEL_EXPORTER_OTLP_[TRACES_]*`` variable is read by the exporter itself, as in
any Python service.  Arguments are given only where one of our flags overrides the
environment: ``--endpoint`` (or an endpoint URL whose ``user:password@`` we turned into
a header), and the timeout when no variable sets one (settings.py says why).

One gap filled through the public API: the HTTP exporter sets the certificate of
``OTEL_EXPORTER_OTLP_[TRACES_]CERTIFICATE`` on its requests session, but requests lets
``REQUESTS_CA_BUNDLE`` / ``CURL_CA_BUNDLE`` from the environment override a session's
``verify`` (psf/requests #3829 and #4726; Debian and most CI images set them), so the configured
certificate is ignored and TLS fails.  When a certificate is configured we hand the
exporter a session that does not read those variables (``trust_env = False``).
"""
from __future__ import annotations

import importlib
import sys
from typing import Any

from opentelemetry.metrics import MeterProvider
from opentelemetry.sdk.trace.export import ConsoleSpanExporter

from .self_observability import SelfObservability
from .settings import ExportSettings

PROTOCOL_NAMES = {"grpc": "OTLP/gRPC", "http/protobuf": "OTLP/HTTP"}


def description(name: str, settings: ExportSettings) -> str:
    """Where the items go, safe to print: no headers, no credentials."""
    if name == "console":
        return "the console"
    if name.startswith("file:"):
        return f"{name[len('file:'):]} (OTLP/JSON lines)"
    return f"{settings.target} ({PROTOCOL_NAMES[settings.protocol]})"


def overrides(settings: ExportSettings) -> dict[str, Any]:
    """The exporter arguments our flags set; everything else comes from the environment."""
    kwargs: dict[str, Any] = {}
    if settings.protocol == "http/protobuf" and settings.certificate:
        import requests

        session = requests.Session()
        session.trust_env = False  # see the module docstring
        kwargs["session"] = session
    if settings.endpoint_override is not None:
        kwargs["endpoint"] = settings.endpoint_override
    if settings.timeout_override is not None:
        kwargs["timeout"] = settings.timeout_override
    if settings.headers_override is not None:
        kwargs["headers"] = settings.headers_override
    return kwargs


# The official exporters, by signal and protocol: (module, class).
_OTLP = {
    ("traces", "grpc"): ("opentelemetry.exporter.otlp.proto.grpc.trace_exporter", "OTLPSpanExporter"),
    ("traces", "http/protobuf"): ("opentelemetry.exporter.otlp.proto.http.trace_exporter",
                                  "OTLPSpanExporter"),
    ("logs", "grpc"): ("opentelemetry.exporter.otlp.proto.grpc._log_exporter", "OTLPLogExporter"),
    ("logs", "http/protobuf"): ("opentelemetry.exporter.otlp.proto.http._log_exporter", "OTLPLogExporter"),
    ("metrics", "grpc"): ("opentelemetry.exporter.otlp.proto.grpc.metric_exporter", "OTLPMetricExporter"),
    ("metrics", "http/protobuf"): ("opentelemetry.exporter.otlp.proto.http.metric_exporter",
                                   "OTLPMetricExporter"),
}


def _console(signal: str) -> Any:
    # Given the stream explicitly: the SDK's default is the one at its import time, and a
    # run may have wrapped stdout since (a closed pipe must not break the run).
    if signal == "logs":
        from opentelemetry.sdk._logs.export import ConsoleLogRecordExporter

        return ConsoleLogRecordExporter(out=sys.stdout)
    if signal == "metrics":
        from opentelemetry.sdk.metrics.export import ConsoleMetricExporter

        return ConsoleMetricExporter(out=sys.stdout)
    return ConsoleSpanExporter(out=sys.stdout)


def build(name: str, settings: ExportSettings, meter_provider: MeterProvider) -> Any:
    """The exporter ``name`` (otlp or console) for ``settings.signal``.  Call from any thread:
    the (slow) import happens first, the construction (which reads the environment) under
    the self-observability switch."""
    if name == "console":
        return _console(settings.signal)
    if name.startswith("file:"):
        from .otlp_file import OtlpJsonLinesExporter

        return OtlpJsonLinesExporter(settings.signal, name[len("file:"):])
    # Imported here: gRPC costs ~0.1 s to load, and a run without it should not pay.
    module, cls = _OTLP[(settings.signal, settings.protocol)]
    exporter = getattr(importlib.import_module(module), cls)
    with SelfObservability.enabled():
        return exporter(**overrides(settings), meter_provider=meter_provider)
