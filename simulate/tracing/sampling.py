"""The sampler from OTEL_TRACES_SAMPLER[_ARG], always parent-based.

Five services each have a TracerProvider, so each makes a sampling decision.
Wrapping whatever is configured in ParentBased means only the root (the API
Gateway) decides and everyone downstream follows the sampled flag in
``traceparent``: a trace is kept or dropped whole, never in part.
"""
from __future__ import annotations

import os
from collections.abc import Mapping

from opentelemetry.sdk.trace.sampling import ALWAYS_OFF, ALWAYS_ON, ParentBased, Sampler, TraceIdRatioBased

from ..i18n import _
from .settings import SettingsError

_ROOTS = {"always_on": ALWAYS_ON, "always_off": ALWAYS_OFF}
SAMPLERS = ("always_on", "always_off", "traceidratio", "parentbased_always_on",
            "parentbased_always_off", "parentbased_traceidratio")


def probability(raw: str) -> float | None:
    """``raw`` as a number from 0 to 1, or None if it is not one."""
    try:
        value = float(raw)
    except ValueError:
        return None
    return value if 0.0 <= value <= 1.0 else None


def resolve_sampler(env: Mapping[str, str] | None = None) -> Sampler:
    env = os.environ if env is None else env
    name = env.get("OTEL_TRACES_SAMPLER", "parentbased_always_on").strip().lower()
    if name not in SAMPLERS:
        raise SettingsError(_("OTEL_TRACES_SAMPLER={value}: choose one of {choices}").format(
            value=repr(name), choices=", ".join(SAMPLERS)))
    base = name.removeprefix("parentbased_")
    if base == "traceidratio":
        raw = env.get("OTEL_TRACES_SAMPLER_ARG", "1.0").strip()
        ratio = probability(raw)
        if ratio is None:
            raise SettingsError(_("OTEL_TRACES_SAMPLER_ARG={value}: expected a ratio from 0 to "
                                  "1").format(value=repr(raw)))
        return ParentBased(TraceIdRatioBased(ratio))
    return ParentBased(_ROOTS[base])
