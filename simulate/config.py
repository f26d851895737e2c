"""What a run is asked to do: RunConfig and LoadPlan, and the parsers for flag values.

The command line (cli.py) turns flags into these frozen objects; the runs read
nothing else.  Export settings and the sampler come from tracing/ (flags over
OTEL_* variables over defaults).
"""
from __future__ import annotations

import math
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


@dataclass(frozen=True)
class ServeConfig:
    """``main.py serve``: the API Gateway as a real HTTP server (runs/serve.py)."""

    export: ExportSettings
    sampler: Sampler
    host: str = "127.0.0.1"
    port: int = 8080
    html_dir: str | None = None  # --html-dir DIR: each order's trace page as DIR/<trace id>.html
    jaeger_url: str = DEFAULT_JAEGER_URL


# Sensible ranges: anything outside is a typo (or nan/inf), refused with one line.
LIMITS: dict[str, tuple[float, float]] = {
    "--speed": (0, 1000),  # 0 = no sleeping; 1000x faster is already a blur
    "--orders": (1, 1_000_000_000),
    "--duration": (0.001, 31_536_000),  # a year of simulated time
    "--rate": (0.001, 100_000),  # orders per simulated second
    "--concurrency": (1, 10_000),  # client threads
    "--jitter": (0, 3),  # sigma of a log-normal: 3 already means 20x swings
}


def check_range(flag: str, value: float) -> None:
    low, high = LIMITS[flag]
    if not math.isfinite(value) or not low <= value <= high:
        raise ConfigError(f"argument {flag}: expected a number from {low:g} to {high:g}, "
                          f"got {value:g}")


def parse_failure_rates(spec: str | None) -> dict[str, float]:
    """``inventory=0.05,payment=0.1`` -> {"inventory": 0.05, "payment": 0.1}."""
    rates: dict[str, float] = {}
    if spec is None:
        return rates
    for part in spec.split(","):
        if not part.strip():
            continue
        name, _, value = part.partition("=")
        name = name.strip().lower()
        if name not in FAILURES:
            raise ConfigError(f"argument --failure-rate: unknown failure {name!r} "
                              f"(choose from {', '.join(FAILURES)})")
        if name in rates:
            raise ConfigError(f"argument --failure-rate: {name} is given twice")
        rate = probability(value)
        if rate is None:
            raise ConfigError(f"argument --failure-rate: {name}={value!r} is not a probability 0..1")
        rates[name] = rate
    if not rates:
        raise ConfigError(f"argument --failure-rate: no failure in {spec!r} "
                          f"(e.g. inventory=0.05,payment=0.1)")
    if sum(rates.values()) > 1.0:
        raise ConfigError("argument --failure-rate: the probabilities add up to more than 1")
    return rates


def parse_optimizations(value: str | None) -> frozenset[str]:
    """``parallel,cache`` / ``all`` -> the set of switches."""
    if value is None:
        return frozenset()
    names = {v.strip().lower() for v in value.split(",") if v.strip()}
    unknown = names - set(OPTIMIZATIONS) - {"all"}
    if not unknown and "all" in names:
        return frozenset(OPTIMIZATIONS)
    if unknown or not names:
        raise ConfigError(f"argument --optimize: unknown optimisation "
                          f"{', '.join(sorted(unknown)) or value!r} "
                          f"(choose from {', '.join(OPTIMIZATIONS)}, all)")
    return frozenset(names)
