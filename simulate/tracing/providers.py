"""One TracerProvider per service name, all feeding the same span processors.

Each simulated service gets its own ``TracerProvider`` (so its spans carry its
own ``service.name`` resource) but every provider feeds the same processors,
which are flushed and shut down once, here.
"""
from __future__ import annotations

import threading
from collections.abc import Sequence

from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.sampling import Sampler
from opentelemetry.semconv.attributes.deployment_attributes import DEPLOYMENT_ENVIRONMENT_NAME
from opentelemetry.semconv.attributes.service_attributes import (
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
                 version: str = __version__, sampler: Sampler | None = None):
        self._processors = list(processors)
        self._environment = environment
        self._version = version
        self._sampler = sampler
        self._providers: dict[str, TracerProvider] = {}
        self._lock = threading.Lock()
        self._shut = False

    def resource(self, service: str) -> Resource:
        ours = Resource({SERVICE_NAMESPACE: NAMESPACE, SERVICE_VERSION: self._version,
                         DEPLOYMENT_ENVIRONMENT_NAME: self._environment})
        # OTEL_RESOURCE_ATTRIBUTES may override version/environment and add keys,
        # but service.name is what makes five services out of one process: it stays ours.
        return ours.merge(Resource.create({SERVICE_NAME: service}))

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

    def shutdown(self, timeout_millis: int = 3000) -> None:
        """Flush and stop the shared processors once; safe to call twice."""
        with self._lock:
            if self._shut:
                return
            self._shut = True
        for processor in self._processors:
            processor.force_flush(timeout_millis)
            processor.shutdown()
