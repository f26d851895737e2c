"""What a run is asked to do: RunConfig and LoadPlan, and the parsers for flag values.

The command line (cli.py) turns flags into these frozen objects; the runs read
nothing else.  Export settings and the sampler come from tracing/ (flags over
OTEL_* variables over defaults).
"""
from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from opentelemetry.sdk.trace.sampling import Sampler

from .i18n import _
from .tracing.sampling import probability
from .tracing.settings import ExportSettings
from .world.profile import OPTIMIZATIONS
from .world.scenarios import FAILURES
from .world.schedule import OpenLoop

OFF_LOGS = ExportSettings(exporters=(), signal="logs")
OFF_METRICS = ExportSettings(exporters=(), signal="metrics")
EXCEPTION_SIGNALS = ("span", "logs", "both")
# OTEL_SEMCONV_EXCEPTION_SIGNAL_OPT_IN, as the semantic conventions define it -> ours
_EXCEPTION_OPT_IN = {"logs": "logs", "logs/dup": "both"}


def exception_signal(flag: str | None, env: Mapping[str, str] | None = None) -> str:
    """--exception-events, else OTEL_SEMCONV_EXCEPTION_SIGNAL_OPT_IN (``logs``: logs only,
    ``logs/dup``: both), else both (the conventions' default is the span event alone; ours
    shows the change, so both)."""
    if flag:
        return flag
    raw = (os.environ if env is None else env).get("OTEL_SEMCONV_EXCEPTION_SIGNAL_OPT_IN", "").strip()
    if raw and raw not in _EXCEPTION_OPT_IN:
        raise ConfigError(_("OTEL_SEMCONV_EXCEPTION_SIGNAL_OPT_IN={value}: expected logs or "
                            "logs/dup").format(value=repr(raw)))
    return _EXCEPTION_OPT_IN.get(raw, "both")

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
    workers: int = 1  # processes, each a whole simulation; rate and concurrency are totals
    id_offset: int = 0  # this machine's index: order ids stay disjoint across machines
    worker_index: int = 0  # which worker this plan is (set by the parent for each worker)
    span_rate: float | None = None  # --span-rate: the run turns it into ``rate`` before it starts
    ramp_s: float = 0.0  # --ramp: seconds to rise to the full rate (clients join over it)
    stats_interval_s: float | None = None  # --stats-interval: a JSON line every S seconds

    @property
    def schedule(self) -> OpenLoop | None:
        """When each order starts, for an open loop (--rate)."""
        return OpenLoop(self.rate, self.ramp_s) if self.rate else None

    @property
    def planned_orders(self) -> int | None:
        """How many orders the run will place, when that is known in advance."""
        schedule = self.schedule
        by_rate = (math.ceil(schedule.count(self.duration_s) - 1e-9)
                   if self.duration_s is not None and schedule else None)
        known = [n for n in (self.orders, by_rate) if n is not None]
        return min(known) if known else None

    @property
    def first_order_number(self) -> int:
        """order-1234 for a plain run; a block of a billion ids per worker per machine."""
        return 1234 + (self.id_offset * 1000 + self.worker_index) * 1_000_000_000


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
    lang: str = "en"  # the language the run speaks (i18n)
    client_spans: bool = False  # --client-spans: the caller's CLIENT span around each call
    logs: ExportSettings = OFF_LOGS  # where log records go (OTEL_LOGS_EXPORTER...)
    metrics: ExportSettings = OFF_METRICS  # where metric points go (OTEL_METRICS_EXPORTER...)
    exception_signal: str = "both"  # --exception-events: span, logs or both


@dataclass(frozen=True)
class ServeConfig:
    """``main.py serve``: the API Gateway as a real HTTP server (runs/serve.py)."""

    export: ExportSettings
    sampler: Sampler
    host: str = "127.0.0.1"
    port: int = 8080
    html_dir: str | None = None  # --html-dir DIR: each order's trace page as DIR/<trace id>.html
    jaeger_url: str = DEFAULT_JAEGER_URL
    client_spans: bool = False  # --client-spans: the caller's CLIENT span around each call
    logs: ExportSettings = OFF_LOGS
    metrics: ExportSettings = OFF_METRICS
    exception_signal: str = "both"
    # A thread per connection: at most this many; past it, the connection waiting longest for
    # its request is closed for the new one (slow clients cannot starve a real order).
    max_connections: int = 256
    # A request (or the next one on a kept-alive connection) must be in within this.
    request_timeout_s: float = 10.0


# Sensible ranges: anything outside is a typo (or nan/inf), refused with one line.
LIMITS: dict[str, tuple[float, float]] = {
    "--speed": (0, 1000),  # 0 = no sleeping; 1000x faster is already a blur
    "--orders": (1, 1_000_000_000),
    "--duration": (0.001, 31_536_000),  # a year of simulated time
    "--rate": (0.001, 100_000),  # orders per simulated second
    "--concurrency": (1, 10_000),  # client threads
    "--jitter": (0, 3),  # sigma of a log-normal: 3 already means 20x swings
    "--workers": (1, 256),
    "--id-offset": (0, 1_000_000),
    "--max-connections": (1, 10_000),
    "--request-timeout": (0.1, 3600),
    "--span-rate": (0.01, 10_000_000),  # spans per simulated second
    "--ramp": (0, 86_400),  # seconds
    "--stats-interval": (0.1, 3_600),  # seconds
}

UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600}


def parse_seconds(flag: str, value: str | None) -> float | None:
    """``30s``, ``2m``, ``500ms``, ``1h`` or plain seconds (``45``)."""
    if value is None:
        return None
    text = value.strip().lower()
    unit = next((u for u in sorted(UNITS, key=len, reverse=True) if text.endswith(u)), "")
    try:
        seconds = float(text[:len(text) - len(unit)]) * UNITS.get(unit, 1)
    except ValueError:
        raise ConfigError(_("argument {flag}: expected a duration such as 30s, 2m or 45, got "
                            "{value}").format(flag=flag, value=repr(value))) from None
    check_range(flag, seconds)
    return seconds


def check_range(flag: str, value: float) -> None:
    low, high = LIMITS[flag]
    if not math.isfinite(value) or not low <= value <= high:
        raise ConfigError(_("argument {flag}: expected a number from {low} to {high}, got "
                            "{value}").format(flag=flag, low=number(low), high=number(high),
                                              value=number(value)))


def number(value: float) -> str:
    """1000000000 -> 1,000,000,000 and 0.001 -> 0.001: never 1e+09 in a message."""
    if not math.isfinite(value):
        return str(value)
    if value == int(value) and abs(value) < 1e18:
        return f"{int(value):,}"
    return f"{value:,.6f}".rstrip("0")


def check_resource_attributes(env: Mapping[str, str] | None = None) -> None:
    """OTEL_RESOURCE_ATTRIBUTES as the spec writes it, ``key=value,...``: a bad entry is one
    line and exit 2 here, not a warning per entry from the SDK and a run without it."""
    raw = (os.environ if env is None else env).get("OTEL_RESOURCE_ATTRIBUTES", "")
    if not raw.strip():
        return
    for number, entry in enumerate(raw.split(","), 1):
        key, sep, _value = entry.partition("=")
        if not sep or not key.strip():
            raise ConfigError(_("OTEL_RESOURCE_ATTRIBUTES: entry {number} ({entry}) is not key=value "
                                "(an empty entry is a stray comma)").format(
                number=number, entry=repr(entry)))


def available_cores() -> int:
    """What --workers auto means: the cores this process may use, a container's CPU limit
    included (cgroup v2 cpu.max), not the machine's."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    try:
        quota, period = open("/sys/fs/cgroup/cpu.max").read().split()[:2]  # noqa: SIM115
        if quota != "max":
            cores = min(cores, max(1, math.ceil(int(quota) / int(period))))
    except (OSError, ValueError):
        pass
    return max(1, cores)


def parse_workers(value: str | None) -> int:
    """``--workers N`` or ``auto``."""
    if value is None:
        return 1
    if value.strip().lower() == "auto":
        return available_cores()
    try:
        workers = int(value)
    except ValueError:
        raise ConfigError(_("argument --workers: expected a number or auto, got {value}").format(
            value=repr(value))) from None
    check_range("--workers", workers)
    return workers


def parse_failure_rates(spec: str | None) -> dict[str, float]:
    """``inventory=0.05,payment=0.1`` -> {"inventory": 0.05, "payment": 0.1}."""
    rates: dict[str, float] = {}
    if spec is None:
        return rates
    for part in spec.split(","):
        if not part.strip():
            continue
        name, _sep, value = part.partition("=")
        name = name.strip().lower()
        if name not in FAILURES:
            raise ConfigError(_("argument --failure-rate: unknown failure {name} (choose from "
                                "{choices})").format(name=repr(name), choices=_(", ").join(FAILURES)))
        if name in rates:
            raise ConfigError(_("argument --failure-rate: {name} is given twice").format(name=name))
        rate = probability(value)
        if rate is None:
            raise ConfigError(_("argument --failure-rate: {name}={value} is not a probability "
                                "0..1").format(name=name, value=repr(value)))
        rates[name] = rate
    if not rates:
        raise ConfigError(_("argument --failure-rate: no failure in {spec} (e.g. "
                            "inventory=0.05,payment=0.1)").format(spec=repr(spec)))
    if sum(rates.values()) > 1.0:
        raise ConfigError(_("argument --failure-rate: the probabilities add up to more than 1"))
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
        raise ConfigError(_("argument --optimize: unknown optimisation {name} (choose from "
                            "{choices}, all)").format(name=_(", ").join(sorted(unknown)) or repr(value),
                                                      choices=_(", ").join(OPTIMIZATIONS)))
    return frozenset(names)
