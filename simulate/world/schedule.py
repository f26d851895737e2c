"""When an open-loop run starts each order: evenly spaced at --rate, or after a ramp
(--ramp) that rises linearly from 0 to --rate, so a collector is not hit at full rate
from the first second.  Pure arithmetic on simulated seconds, shared by the virtual
and the real-time schedulers (and by the count of planned orders)."""
from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class OpenLoop:
    rate: float  # orders per simulated second once ramped up
    ramp_s: float = 0.0  # seconds to rise from 0 to ``rate``

    @property
    def _ramp_orders(self) -> float:
        """Orders started during the ramp: the area under the rising rate."""
        return self.rate * self.ramp_s / 2

    def at(self, i: int) -> float:
        """The instant (seconds after the start) of the i-th order."""
        if i < self._ramp_orders:
            return math.sqrt(2 * self.ramp_s * i / self.rate)
        return self.ramp_s + (i - self._ramp_orders) / self.rate

    def count(self, t: float) -> float:
        """Orders due by ``t`` seconds (fractional): the inverse of :meth:`at`."""
        if t <= 0:
            return 0.0
        if t < self.ramp_s:
            return self.rate * t * t / (2 * self.ramp_s)
        return self._ramp_orders + self.rate * (t - self.ramp_s)

    def rate_at(self, t: float) -> float:
        """Orders per second asked for at ``t``."""
        return self.rate if t >= self.ramp_s else self.rate * max(0.0, t) / self.ramp_s
