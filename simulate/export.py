"""Where spans go: exporter settings from flags and OTEL_* variables, and the pipeline.

Precedence: command-line flag > OTEL_* environment variable > default.
``OTEL_EXPORTER_OTLP_[TRACES_]TIMEOUT`` is read in **milliseconds**, as the
OpenTelemetry specification says (the Python SDK alone reads it in seconds);
ordertrace then passes seconds to the SDK exporter explicitly.  The default is
1000 ms rather than the spec's 10 s so that a missing collector never stalls a
demo run.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Mapping
from urllib.parse import urlparse

from opentelemetry.sdk.trace import SpanProcessor
from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter, SpanExporter

from .telemetry import AccountingExporter, EndedSpanCounter, ExportReport

EXPORTERS = ("otlp", "console", "none")
DEFAULT_ENDPOINT = "http://localhost:4317"
DEFAULT_TIMEOUT_MS = 1000


class SettingsError(ValueError):
    """Bad configuration: the CLI turns it into a one-line error and exit code 2."""


@dataclass(frozen=True)
class ExportSettings:
    exporter: str = "otlp"
    endpoint: str = DEFAULT_ENDPOINT
    timeout_ms: float = DEFAULT_TIMEOUT_MS
    insecure: bool | None = None
    # Retry a refused connection? Off for a single run: no collector should cost
    # nothing; a load run turns it on to ride out a collector restart.
    retry_unavailable: bool = False

    @property
    def target(self) -> str:
        """host:port, safe to print (credentials live in headers, never shown)."""
        return urlparse(self.endpoint).netloc


def normalise_endpoint(endpoint: str) -> str:
    """Accept ``http(s)://host:port`` or bare ``host:port``; reject anything else."""
    value = endpoint.strip()
    if "://" not in value:
        value = "http://" + value
    parsed = urlparse(value)
    try:
        port = parsed.port
    except ValueError:
        port = -1
    if parsed.scheme not in ("http", "https") or not parsed.hostname or port == -1:
        raise SettingsError(f"invalid OTLP endpoint {endpoint!r}: expected http(s)://host:port")
    if parsed.path not in ("", "/"):
        raise SettingsError(f"invalid OTLP gRPC endpoint {endpoint!r}: a gRPC endpoint has no path")
    return f"{parsed.scheme}://{parsed.netloc}"


def _timeout_ms(env: Mapping[str, str]) -> float:
    for key in ("OTEL_EXPORTER_OTLP_TRACES_TIMEOUT", "OTEL_EXPORTER_OTLP_TIMEOUT"):
        raw = env.get(key)
        if raw:
            try:
                value = float(raw)
            except ValueError:
                raise SettingsError(f"{key}={raw!r}: expected a number of milliseconds") from None
            if value <= 0:
                raise SettingsError(f"{key}={raw!r}: must be > 0 (milliseconds)")
            return value
    return DEFAULT_TIMEOUT_MS


def resolve(exporter: str | None = None, endpoint: str | None = None,
            env: Mapping[str, str] | None = None) -> ExportSettings:
    """Merge flags over environment over defaults; raise SettingsError on bad values."""
    env = os.environ if env is None else env
    chosen = exporter or env.get("OTEL_TRACES_EXPORTER", "otlp").split(",")[0].strip().lower() or "otlp"
    if chosen not in EXPORTERS:
        raise SettingsError(f"unknown traces exporter {chosen!r}: choose one of {', '.join(EXPORTERS)}")
    raw_endpoint = (endpoint or env.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
                    or env.get("OTEL_EXPORTER_OTLP_ENDPOINT") or DEFAULT_ENDPOINT)
    insecure_raw = env.get("OTEL_EXPORTER_OTLP_TRACES_INSECURE", env.get("OTEL_EXPORTER_OTLP_INSECURE"))
    insecure = None if insecure_raw is None else insecure_raw.strip().lower() == "true"
    return ExportSettings(chosen, normalise_endpoint(raw_endpoint), _timeout_ms(env), insecure)


def build_exporter(settings: ExportSettings) -> tuple[SpanExporter, str] | None:
    """The SDK exporter for the settings and a printable description, or None."""
    if settings.exporter == "none":
        return None
    if settings.exporter == "console":
        return ConsoleSpanExporter(), "the console"
    import grpc  # imported here: a run without OTLP export never loads gRPC
    from opentelemetry.exporter.otlp.proto.grpc.exporter import _RETRYABLE_ERROR_CODES
    from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter

    retryable = set(_RETRYABLE_ERROR_CODES)
    if not settings.retry_unavailable:
        retryable.discard(grpc.StatusCode.UNAVAILABLE)
    exporter = OTLPSpanExporter(endpoint=settings.endpoint, insecure=settings.insecure,
                                timeout=settings.timeout_ms / 1000.0,
                                retryable_error_codes=frozenset(retryable))
    return exporter, f"{settings.target} (OTLP/gRPC)"


class ExportPipeline:
    """The one export path all services share: counter + batch processor + accounting exporter."""

    def __init__(self, settings: ExportSettings, extra_processors: tuple[SpanProcessor, ...] = ()):
        self.settings = settings
        self.counter = EndedSpanCounter()
        built = build_exporter(settings)
        self.exporter: AccountingExporter | None = None
        processors: list[SpanProcessor] = [self.counter, *extra_processors]
        if built is not None:
            inner, description = built
            self.exporter = AccountingExporter(inner, description)
            processors.append(BatchSpanProcessor(self.exporter, schedule_delay_millis=500))
        self.processors = tuple(processors)

    def report(self) -> ExportReport | None:
        if self.exporter is None:
            return None
        return ExportReport(self.exporter.description, self.counter.ended, self.exporter.exported,
                            self.exporter.failed, self.exporter.error)

    def shutdown_budget_ms(self) -> int:
        # One export attempt plus a little: the exporter's own deadline bounds each batch.
        return int(self.settings.timeout_ms + 500)
