"""How long a step takes this time: the profile exactly, or log-normal jitter around it."""
from __future__ import annotations

import random
from typing import Protocol

from .profile import Step


class Latency(Protocol):
    """Turns a nominal duration into the one to wait this time."""

    exact: bool  # True: the schedule may anchor to the profile, not to when a child returned

    def sample(self, step: Step, ms: float) -> float: ...


class ExactLatency:
    """The profile, to the millisecond."""

    exact = True

    def sample(self, step: Step, ms: float) -> float:
        return ms


class JitterLatency:
    """Log-normal around the profile (median = nominal): mostly close, a long right tail."""

    exact = False

    def __init__(self, sigma: float, rng: random.Random):
        self._sigma, self._rng = sigma, rng

    def sample(self, step: Step, ms: float) -> float:
        return ms * self._rng.lognormvariate(0.0, self._sigma) if ms else 0.0
