"""What a run is asked to do: RunConfig and LoadPlan, and the parsers for flag values.

The command line (cli.py) turns flags into these frozen objects; the runs read
nothing else.  Export settings and the sampler come from tracing/ (flags over
OTEL_* variables over defaults).
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from opentelemetry.sdk.trace.sampling import Sampler

from .tracing.sampling import probability
from .tracing.settings import ExportSettings
from .world.profile import OPTIMIZATIONS
from .world.scenarios import FAILURES

DEFAULT_JAEGER_URL = "http://localhost:16686"


class ConfigError(ValueError):
    """A bad flag value: the CLI prints it as one line and exits 2."""


@dataclass(frozen=True)
class LoadPlan:
    orders: int | None = None
    duration_s: float | None = None
    rate: float | None = None
    concurrency: int = 1
    failure_rates: Mapping[str, float] = field(default_factory=dict)  # scenario -> probability
    jitter: float = 0.0  # sigma of the lognormal around each nominal duration
    seed: int | None = None
    speed: float = 0.0


@dataclass(frozen=True)
class RunConfig:
    export: ExportSettings
    sampler: Sampler
    scenario: str = "none"
    speed: float = 1.0
    view: bool = True
    json: bool = False
    optimizations: frozenset[str] = frozenset()
    compare: bool = False
    output: str | None = None  # --output FILE: OTLP/JSON lines
    html: str | None = None  # --html FILE: the trace page
    open_page: bool = False  # --open: show the page in the browser (a temporary file without --html)
    log_format: str = "emoji"
    jaeger_url: str = DEFAULT_JAEGER_URL
    load: LoadPlan | None = None  # None: a single run


def parse_failure_rates(spec: str | None) -> dict[str, float]:
    """``inventory=0.05,payment=0.1`` -> {"inventory": 0.05, "payment": 0.1}."""
    rates: dict[str, float] = {}
    for part in (spec or "").split(","):
        if not part.strip():
            continue
        name, _, value = part.partition("=")
        name = name.strip().lower()
        if name not in FAILURES:
            raise ConfigError(f"argument --failure-rate: unknown failure {name!r} "
                              f"(choose from {', '.join(FAILURES)})")
        rate = probability(value)
        if rate is None:
            raise ConfigError(f"argument --failure-rate: {name}={value!r} is not a probability 0..1")
        rates[name] = rate
    if sum(rates.values()) > 1.0:
        raise ConfigError("argument --failure-rate: the probabilities add up to more than 1")
    return rates


def parse_optimizations(value: str | None) -> frozenset[str]:
    """``parallel,cache`` / ``all`` -> the set of switches."""
    if not value:
        return frozenset()
    names = {v.strip().lower() for v in value.split(",") if v.strip()}
    if "all" in names:
        return frozenset(OPTIMIZATIONS)
    unknown = names - set(OPTIMIZATIONS)
    if unknown or not names:
        raise ConfigError(f"argument --optimize: unknown optimisation "
                          f"{', '.join(sorted(unknown)) or value!r} "
                          f"(choose from {', '.join(OPTIMIZATIONS)}, all)")
    return frozenset(names)
