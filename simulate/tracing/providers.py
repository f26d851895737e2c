"""One TracerProvider, LoggerProvider and MeterProvider per service name.

Each simulated service gets its own providers (so its spans, log records and metric
points carry its own ``service.name`` resource).  Every TracerProvider feeds the same
span processors and every LoggerProvider the same log record processors, flushed and
shut down once, by the pipeline; a MeterProvider has readers of its own, made for it
by ``metric_readers``.  ``service.instance.id`` tells one process's series from
another's (``--workers``, several pods), as cumulative metrics need.
"""
from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Sequence

from opentelemetry.metrics import Meter
from opentelemetry.sdk._logs import LoggerProvider, LogRecordProcessor
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import MetricReader
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.sampling import Sampler
from opentelemetry.semconv.attributes.deployment_attributes import DEPLOYMENT_ENVIRONMENT_NAME
from opentelemetry.semconv.attributes.service_attributes import (
    SERVICE_INSTANCE_ID,
    SERVICE_NAME,
    SERVICE_NAMESPACE,
    SERVICE_VERSION,
)
from opentelemetry.semconv.schemas import Schemas
from opentelemetry.trace import Tracer

from .. import __version__
from .self_observability import ENV_LOCK

NAMESPACE = "ordertrace"
# The semantic-conventions release whose names our spans use (the pinned package's).
SCHEMA_URL = Schemas.V1_44_0.value


class Telemetry:
    """Tracers for the simulated services, all feeding the same processors."""

    def __init__(self, processors: Sequence[SpanProcessor], *, environment: str = "demo",
                 version: str = __version__, sampler: Sampler | None = None,
                 log_processors: Sequence[LogRecordProcessor] = (),
                 metric_readers: Callable[[], list[MetricReader]] | None = None):
        self._processors = list(processors)
        self._log_processors = list(log_processors)
        self._metric_readers = metric_readers
        self._environment = environment
        self._version = version
        self._sampler = sampler
        self._instance = str(uuid.uuid4())
        self._providers: dict[str, TracerProvider] = {}
        self._logger_providers: dict[str, LoggerProvider] = {}
        self._meter_providers: dict[str, MeterProvider] = {}
        self._resources: dict[str, Resource] = {}
        self._lock = threading.Lock()
        self._shut = False

    @property
    def has_logs(self) -> bool:
        return bool(self._log_processors)

    @property
    def has_metrics(self) -> bool:
        return self._metric_readers is not None

    def resource(self, service: str) -> Resource:
        if service not in self._resources:
            ours = Resource({SERVICE_NAMESPACE: NAMESPACE, SERVICE_VERSION: self._version,
                             DEPLOYMENT_ENVIRONMENT_NAME: self._environment,
                             SERVICE_INSTANCE_ID: self._instance})
            # OTEL_RESOURCE_ATTRIBUTES may override version/environment and add keys,
            # but service.name is what makes five services out of one process: it stays ours.
            self._resources[service] = ours.merge(Resource.create({SERVICE_NAME: service}))
        return self._resources[service]

    def provider(self, service: str) -> TracerProvider:
        with self._lock:
            if service not in self._providers:
                # shutdown_on_exit=False: the processors are shared and shut down once, by us.
                with ENV_LOCK:  # see self_observability.py
                    provider = TracerProvider(resource=self.resource(service), sampler=self._sampler,
                                              shutdown_on_exit=False)
                for processor in self._processors:
                    provider.add_span_processor(processor)
                self._providers[service] = provider
            return self._providers[service]

    def tracer(self, service: str) -> Tracer:
        return self.provider(service).get_tracer(NAMESPACE, __version__, schema_url=SCHEMA_URL)

    def logger_provider(self, service: str) -> LoggerProvider:
        with self._lock:
            if service not in self._logger_providers:
                with ENV_LOCK:
                    provider = LoggerProvider(resource=self.resource(service), shutdown_on_exit=False)
                for processor in self._log_processors:
                    provider.add_log_record_processor(processor)
                self._logger_providers[service] = provider
            return self._logger_providers[service]

    def meter_provider(self, service: str) -> MeterProvider:
        """Made on first use, with readers of its own (wait for the exporters: call it off the
        order's path)."""
        with self._lock:
            if service not in self._meter_providers:
                readers = self._metric_readers() if self._metric_readers else []
                with ENV_LOCK:
                    self._meter_providers[service] = MeterProvider(
                        metric_readers=readers, resource=self.resource(service), shutdown_on_exit=False)
            return self._meter_providers[service]

    def meter(self, service: str) -> Meter:
        return self.meter_provider(service).get_meter(NAMESPACE, __version__, schema_url=SCHEMA_URL)

    def shutdown(self, timeout_millis: int = 3000) -> None:
        """Flush and stop the shared processors once; safe to call twice."""
        with self._lock:
            if self._shut:
                return
            self._shut = True
        for processor in self._processors:
            processor.force_flush(timeout_millis)
            processor.shutdown()
