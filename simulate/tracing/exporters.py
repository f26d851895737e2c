"""The SDK exporter that the settings describe, and a description of it safe to print."""
from __future__ import annotations

from opentelemetry.sdk.trace.export import ConsoleSpanExporter, SpanExporter

from .settings import ExportSettings


def _retryable_grpc_codes(retry_unavailable: bool) -> frozenset:
    """The status codes the OTLP specification calls retryable; UNAVAILABLE only if asked.

    Written out here rather than taken from the exporter's private constant.
    """
    import grpc

    codes = {grpc.StatusCode.CANCELLED, grpc.StatusCode.DEADLINE_EXCEEDED,
             grpc.StatusCode.RESOURCE_EXHAUSTED, grpc.StatusCode.ABORTED,
             grpc.StatusCode.OUT_OF_RANGE, grpc.StatusCode.DATA_LOSS}
    if retry_unavailable:
        codes.add(grpc.StatusCode.UNAVAILABLE)
    return frozenset(codes)


def build_exporter(settings: ExportSettings) -> tuple[SpanExporter, str] | None:
    """The SDK exporter for the settings and a printable description, or None."""
    if settings.exporter == "none":
        return None
    if settings.exporter == "console":
        return ConsoleSpanExporter(), "the console"
    if settings.protocol == "http/protobuf":
        from opentelemetry.exporter.otlp.proto.http import Compression as HttpCompression
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter as HttpSpanExporter

        return HttpSpanExporter(
            endpoint=settings.endpoint, headers=settings.headers, timeout=settings.timeout_ms / 1000,
            certificate_file=settings.certificate,
            compression=HttpCompression(settings.compression)), f"{settings.target} (OTLP/HTTP)"
    import grpc  # imported here: a run without OTLP/gRPC export never loads gRPC
    from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter

    credentials = None
    if settings.certificate and settings.insecure is not True:
        with open(settings.certificate, "rb") as pem:
            credentials = grpc.ssl_channel_credentials(root_certificates=pem.read())
    exporter = OTLPSpanExporter(
        endpoint=settings.endpoint, insecure=settings.insecure, credentials=credentials,
        headers=settings.headers or None, timeout=settings.timeout_ms / 1000.0,
        compression=grpc.Compression.Gzip if settings.compression == "gzip" else None,
        retryable_error_codes=_retryable_grpc_codes(settings.retry_unavailable))
    return exporter, f"{settings.target} (OTLP/gRPC)"
