"""Retries, as the services that call an unreliable dependency write them.

One loop for every caller: try, and on an error worth retrying wait a backoff
that doubles, then try again, at most ``tries`` times.  Each try is a call of
its own, so each leaves its own span in the trace: that is how a trace shows
what retries cost.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def with_retries(attempt: Callable[[int, float], T], retry_on: type[Exception], tries: int,
                 backoff_ms: float) -> T:
    """``attempt(n, pause_ms)`` for n = 0, 1, ...: the n-th try, after a pause of ``pause_ms``
    (0 for the first); an error other than ``retry_on``, or the last try's, propagates."""
    for n in range(tries):
        try:
            return attempt(n, backoff_ms * 2 ** (n - 1) if n else 0.0)
        except retry_on:
            if n == tries - 1:
                raise
    raise ValueError("tries must be at least 1")
