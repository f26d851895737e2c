"""Orders/s and spans/s: what a load run's target means for the collector it loads.

An SRE thinks in spans per second, the simulation in orders; an order makes 11 spans
when it succeeds, fewer when it fails early, and --optimize changes the tree.  So the
spans an order makes are counted, not assumed: one order of each scenario runs on a
virtual clock with the run's switches, before the run.
"""
from __future__ import annotations

from dataclasses import replace

from opentelemetry.sdk.trace import ReadableSpan, SpanProcessor
from rich.console import Console

from ..config import RunConfig
from ..i18n import _
from ..report.terminal import say
from ..tracing.providers import Telemetry
from ..world.clock import VirtualClock
from ..world.profile import profile_for
from ..world.scenarios import SCENARIOS, default_order
from ..world.services.base import Runtime
from ..world.system import build_system, place_order


class _Count(SpanProcessor):
    def __init__(self) -> None:
        self.ended = 0

    def on_end(self, span: ReadableSpan) -> None:
        self.ended += 1


def spans_by_scenario(optimizations: frozenset[str]) -> dict[str, int]:
    """Spans one order makes, email worker's included, per scenario ("none", "inventory"...)."""
    made = {}
    for scenario in SCENARIOS:
        count = _Count()
        telemetry = Telemetry([count])
        runtime = Runtime(telemetry=telemetry, clock=VirtualClock(), log=None,
                          profile=profile_for(optimizations), optimizations=optimizations)
        system = build_system(runtime, SCENARIOS["none"])
        place_order(system, default_order(scenario))
        runtime.clock.drain()
        system.email_worker.poll()
        telemetry.shutdown()
        made[scenario] = count.ended
    return made


def with_target(config: RunConfig, err: Console) -> RunConfig:
    """--span-rate turned into --rate; either way, say what the target means in the other
    unit before the run starts (on stderr: stdout may carry data)."""
    plan = config.load
    if plan is None or not (plan.rate or plan.span_rate):
        return config
    made = spans_by_scenario(config.optimizations)
    ok_share = 1 - sum(plan.failure_rates.values())
    per_order = ok_share * made["none"] + sum(p * made[s] for s, p in plan.failure_rates.items())
    rate = plan.rate or (plan.span_rate or 0) / per_order
    say(err, "ℹ " + _("{orders} orders/s = {spans} spans/s: an order makes {per_order} spans with "
                      "this mix ({ok} when it succeeds, {stock} out of stock, {declined} "
                      "declined){ramp}").format(
        orders=f"{rate:,.1f}", spans=f"{rate * per_order:,.0f}", per_order=f"{per_order:.2f}",
        ok=made["none"], stock=made["inventory"], declined=made["payment"],
        ramp=_(", reached after a {seconds} s ramp").format(seconds=f"{plan.ramp_s:g}")
        if plan.ramp_s else ""), style="dim")
    return replace(config, load=replace(plan, rate=rate, span_rate=None))
