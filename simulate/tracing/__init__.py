"""The OpenTelemetry plumbing, knowing nothing of the simulated services.

providers (one TracerProvider per service name, shared processors), settings
(flags > OTEL_* environment > defaults), exporters, the export pipeline and its
accounting, sampling, the backpressure processor, the OTLP/JSON file sink and
bounded latency histograms.
"""
