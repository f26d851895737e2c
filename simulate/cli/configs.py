"""Parsed flags -> checked, frozen configs (RunConfig, ServeConfig); the first bad one exits 2."""
from __future__ import annotations

import argparse
import os
from dataclasses import dataclass

from opentelemetry.sdk.trace.sampling import Sampler

from ..config import (
    DEFAULT_JAEGER_URL,
    ConfigError,
    LoadPlan,
    RunConfig,
    ServeConfig,
    check_range,
    check_resource_attributes,
    exception_signal,
    parse_failure_rates,
    parse_optimizations,
    parse_seconds,
    parse_workers,
)
from ..i18n import _
from ..tracing.sampling import resolve_sampler
from ..tracing.settings import ExportSettings, resolve_signals


@dataclass(frozen=True)
class Export:
    """What every command's export flags come to (serve, drill; a run reads them itself)."""

    traces: ExportSettings
    logs: ExportSettings
    metrics: ExportSettings
    exception_signal: str
    sampler: Sampler
    jaeger_url: str


def _load_plan(parser: argparse.ArgumentParser, args: argparse.Namespace) -> LoadPlan | None:
    """The LoadPlan for load-mode flags, or None for a single run (errors exit 2)."""
    load_only = {"--rate": args.rate, "--span-rate": args.span_rate, "--ramp": args.ramp,
                 "--stats-interval": args.stats_interval, "--concurrency": args.concurrency,
                 "--failure-rate": args.failure_rate, "--jitter": args.jitter, "--seed": args.seed,
                 "--workers": args.workers, "--id-offset": args.id_offset}
    if args.orders is None and args.duration is None:
        used = [flag for flag, value in load_only.items() if value is not None]
        if used:
            parser.error(_("argument {flag}: only in load mode (add --orders N or --duration "
                           "S)").format(flag=used[0]))
        return None
    for flag, value in (("--orders", args.orders), ("--duration", args.duration),
                        ("--rate", args.rate), ("--span-rate", args.span_rate),
                        ("--concurrency", args.concurrency),
                        ("--jitter", args.jitter)):
        if value is not None:
            check_range(flag, value)
    if args.rate is not None and args.concurrency is not None:
        parser.error(_("argument --rate: not allowed with --concurrency (open loop or closed loop)"))
    if args.span_rate is not None and (args.rate is not None or args.concurrency is not None):
        parser.error(_("argument --span-rate: not allowed with --rate or --concurrency (one "
                       "target)"))
    single_only = (("--fail", args.fail, _("argument --fail: not in load mode (use --failure-rate)")),
                   ("--compare", args.compare, _("argument --compare: not in load mode")),
                   ("--log-format", args.log_format != "emoji",
                    _("argument --log-format: not in load mode (a load run prints no log)")),
                   ("--no-view", args.no_view,
                    _("argument --no-view: not in load mode (a load run draws no trace view)")))
    for _flag, used, message in single_only:
        if used:
            parser.error(message)
    workers = parse_workers(args.workers)
    if args.concurrency is not None and args.concurrency < workers:
        parser.error(_("argument --concurrency: {clients} clients cannot be split between {workers} "
                       "workers").format(clients=args.concurrency, workers=workers))
    if args.orders is not None and args.orders < workers:
        parser.error(_("argument --orders: {orders} orders cannot be split between {workers} "
                       "workers").format(orders=args.orders, workers=workers))
    id_offset = args.id_offset
    if id_offset is None:
        index = os.environ.get("JOB_COMPLETION_INDEX", "").strip()  # a Kubernetes indexed Job
        if index and not index.isdigit():
            parser.error(_("JOB_COMPLETION_INDEX={value}: expected a number").format(value=repr(index)))
        id_offset = int(index) if index else 0
    check_range("--id-offset", id_offset)
    return LoadPlan(orders=args.orders, duration_s=args.duration, rate=args.rate,
                    concurrency=args.concurrency or workers,
                    failure_rates=parse_failure_rates(args.failure_rate),
                    jitter=args.jitter or 0.0, seed=args.seed, speed=args.speed, workers=workers,
                    id_offset=id_offset, span_rate=args.span_rate,
                    ramp_s=parse_seconds("--ramp", args.ramp) or 0.0,
                    stats_interval_s=parse_seconds("--stats-interval", args.stats_interval))


def config_from_args(parser: argparse.ArgumentParser, args: argparse.Namespace) -> RunConfig:
    """Every flag checked and turned into a RunConfig; the first bad one exits 2."""
    try:
        check_range("--speed", args.speed)
        if args.output is not None and not args.output.strip():
            raise ConfigError(_("argument --output: an empty file name"))
        optimizations = parse_optimizations(args.optimize)
        settings, logs, metrics = resolve_signals(args.exporter, args.endpoint, protocol=args.protocol,
                                                  off=args.no_export)
        exceptions = exception_signal(args.exception_events)
        sampler = resolve_sampler()
        check_resource_attributes()
        if args.compare and not optimizations:
            raise ConfigError(_("--compare needs --optimize (what to compare the baseline with)"))
        plan = _load_plan(parser, args)
    except ValueError as exc:  # ConfigError and SettingsError
        parser.error(str(exc))
    jaeger_url = args.jaeger_url or os.environ.get("ORDERTRACE_JAEGER_URL") or DEFAULT_JAEGER_URL
    return RunConfig(export=settings, sampler=sampler, scenario=args.fail or "none",
                     speed=args.speed, view=not args.no_view, json=args.json,
                     optimizations=optimizations, compare=args.compare, output=args.output,
                     log_format=args.log_format, jaeger_url=jaeger_url.rstrip("/"), load=plan,
                     html=args.html, open_page=args.open, client_spans=args.client_spans,
                     logs=logs, metrics=metrics, exception_signal=exceptions)



def serve_config(parser: argparse.ArgumentParser, args: argparse.Namespace) -> ServeConfig:
    """The serve flags checked (export settings and sampler as for a run); bad ones exit 2."""
    if not 0 <= args.port <= 65535:
        parser.error(_("argument --port: expected 0 to 65535, got {port}").format(port=args.port))
    if not args.host.strip():
        parser.error(_("argument --host: an empty address"))
    try:
        check_range("--max-connections", args.max_connections)
        check_range("--request-timeout", args.request_timeout)
    except ValueError as exc:
        parser.error(str(exc))
    export = _export(parser, args)
    return ServeConfig(export=export.traces, sampler=export.sampler, host=args.host.strip(),
                       port=args.port, html_dir=args.html_dir, jaeger_url=export.jaeger_url,
                       client_spans=args.client_spans, logs=export.logs, metrics=export.metrics,
                       exception_signal=export.exception_signal,
                       max_connections=args.max_connections, request_timeout_s=args.request_timeout)


def _export(parser: argparse.ArgumentParser,
            args: argparse.Namespace) -> Export:
    """The export flags of a command that is not a run (serve, drill): settings, sampler and
    the Jaeger UI base, as for a run; bad ones exit 2."""
    try:
        settings, logs, metrics = resolve_signals(args.exporter, args.endpoint, protocol=args.protocol,
                                                  off=args.no_export)
        exceptions = exception_signal(args.exception_events)
        sampler = resolve_sampler()
        check_resource_attributes()
    except ValueError as exc:
        parser.error(str(exc))
    jaeger_url = args.jaeger_url or os.environ.get("ORDERTRACE_JAEGER_URL") or DEFAULT_JAEGER_URL
    return Export(settings, logs, metrics, exceptions, sampler, jaeger_url.rstrip("/"))


def drill_config(parser: argparse.ArgumentParser, args: argparse.Namespace,
                 interactive: bool) -> tuple[RunConfig, str | None]:
    """The drill's export config and its checked ``--answer``; bad input exits 2 before any
    order runs (so does a drill that could neither ask nor be answered)."""
    from ..runs.drill import parse_answer  # the answer's format is the drill's

    if args.answer is not None and args.reveal:
        parser.error(_("argument --reveal: not allowed with --answer"))
    if args.answer is None and not args.reveal and not interactive:
        parser.error(_("no terminal to ask on: give --answer SERVICE:FAULT (or none), or --reveal"))
    if args.seed is not None and not 0 <= args.seed <= 2**63:
        parser.error(_("argument --seed: expected a number from 0, got {seed}").format(seed=args.seed))
    try:
        answer = None if args.answer is None else parse_answer(args.answer)
    except ValueError as exc:
        parser.error(str(exc))
    export = _export(parser, args)
    return RunConfig(export=export.traces, sampler=export.sampler, speed=0.0,
                     jaeger_url=export.jaeger_url, html=args.html, open_page=args.open,
                     client_spans=args.client_spans, logs=export.logs, metrics=export.metrics,
                     exception_signal=export.exception_signal), answer
