"""The SDK's own figures about its export, read the way a collector would get them.

Since 1.45 the official OTLP exporters and batch processors record the
semantic-convention metrics ``otel.sdk.exporter.span.exported`` (with
``error.type``), ``otel.sdk.exporter.operation.duration`` (with the gRPC or HTTP
status code), ``otel.sdk.processor.span.processed`` and the queue's capacity, when
``OTEL_PYTHON_SDK_INTERNAL_METRICS_ENABLED`` is true at the moment they are built.
Each destination gives its exporter and processor a MeterProvider of its own with an
in-memory reader, so the figures stay in the process (nothing is exported unless the
user asks for it) and one destination's figures are not mixed with another's.
"""
from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterator
from typing import Any

from opentelemetry.sdk.environment_variables import OTEL_PYTHON_SDK_INTERNAL_METRICS_ENABLED
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.semconv.attributes.error_attributes import ERROR_TYPE

Attributes = tuple[tuple[str, Any], ...]
# The switch is an environment variable, read by every SDK component as it is built (a
# TracerProvider too: with it on, it would count every span).  Whoever builds an SDK
# component holds this lock, so that only the components meant to see it on see it on.
ENV_LOCK = threading.RLock()


class SelfObservability:
    def __init__(self) -> None:
        self.reader = InMemoryMetricReader()
        # shutdown_on_exit=False: nothing to flush, and no atexit hook per destination.
        self.meter_provider = MeterProvider(metric_readers=[self.reader], shutdown_on_exit=False)

    @staticmethod
    @contextlib.contextmanager
    def enabled() -> Iterator[None]:
        """Build the exporter and processor inside this: the SDK reads the switch when they
        are constructed.  Set for that moment only, and only if the user did not set it."""
        with ENV_LOCK:
            if OTEL_PYTHON_SDK_INTERNAL_METRICS_ENABLED in os.environ:
                yield
                return
            os.environ[OTEL_PYTHON_SDK_INTERNAL_METRICS_ENABLED] = "true"
            try:
                yield
            finally:
                os.environ.pop(OTEL_PYTHON_SDK_INTERNAL_METRICS_ENABLED, None)

    def points(self, name: str) -> dict[Attributes, Any]:
        """The named metric's current data points, keyed by their attributes."""
        data = self.reader.get_metrics_data()
        found: dict[Attributes, Any] = {}
        for resource_metrics in data.resource_metrics if data else ():
            for scope in resource_metrics.scope_metrics:
                for metric in scope.metrics:
                    if metric.name == name:
                        for point in metric.data.data_points:
                            found[tuple(sorted((point.attributes or {}).items()))] = point
        return found

    def sums(self, name: str) -> dict[Attributes, float]:
        """A counter's (or an up-down counter's) value per attribute set."""
        return {key: point.value for key, point in self.points(name).items()}

    def counts(self, name: str) -> dict[Attributes, int]:
        """A histogram's number of recordings per attribute set."""
        return {key: point.count for key, point in self.points(name).items()}

    def outcomes(self, name: str) -> dict[str, int]:
        """A counter as {"ok": n, <error.type>: n}: what a collector would chart."""
        found: dict[str, int] = {}
        for key, value in self.sums(name).items():
            outcome = str(dict(key).get(ERROR_TYPE, "ok"))
            found[outcome] = found.get(outcome, 0) + int(value)
        return found

    def shutdown(self) -> None:
        self.meter_provider.shutdown()
