"""Time for the simulation: real, scaled or virtual.

All waits and all span timestamps go through a Clock, so the same service code
runs in real time (``RealClock()``), compressed time (``RealClock(speed=10)``:
sleeps are 10x shorter but timestamps still show the profile's durations) or
with no sleeping at all (``VirtualClock``: time only moves when the simulation
says so, which makes tests exact and load generation as fast as the CPU allows).

A clock also decides how concurrent work runs in its notion of time: threads for
real clocks, and for the virtual clock branches that each start at the same
instant and join at the latest end.

A run is stopped through a :class:`StopFlag`: a signal handler only sets it, and
the real clock's waits (never SDK code) raise :class:`RunInterrupted` once the
flag's grace period is over, so spans in flight still end and are exported.
"""
from __future__ import annotations

import contextvars
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from typing import Any


class RunInterrupted(BaseException):
    """Raised by a clock's wait once the run was asked to stop and its grace ran out.

    A BaseException, like KeyboardInterrupt, so no ``except Exception`` on the way
    (a service boundary turning errors into replies) mistakes it for a failure.
    """


class StopFlag:
    """A request to stop the run: set from a signal handler, read by everyone else.

    ``request`` only counts and notes the time (safe in a signal handler: no lock).
    Work in flight may go on for ``grace_s`` after the first request; a second
    request means "now, and abandon the flush".
    """

    def __init__(self, grace_s: float = 0.0):
        self.grace_s = grace_s
        self.requests = 0
        self.signal: int | None = None
        self._at = 0.0

    def request(self, signum: int | None = None) -> None:
        if self.requests == 0:
            self._at = time.monotonic()
            self.signal = signum
        self.requests += 1

    @property
    def requested(self) -> bool:
        return self.requests > 0

    @property
    def urgent(self) -> bool:
        """Twice asked: stop everything now."""
        return self.requests > 1

    def cut_now(self) -> bool:
        """Should work in flight be interrupted now?"""
        return self.requests > 0 and (self.urgent or time.monotonic() - self._at >= self.grace_s)


_WAIT_SLICE_S = 0.05  # how soon a wait notices a stop request


class Outcome:
    """The result of one concurrent branch: a value or the exception it raised."""

    __slots__ = ("value", "error")

    def __init__(self, value: Any = None, error: BaseException | None = None):
        self.value, self.error = value, error

    def get(self) -> Any:
        if self.error is not None:
            raise self.error
        return self.value


def _capture(fn: Callable[[], Any]) -> Outcome:
    try:
        return Outcome(value=fn())
    except (Exception, RunInterrupted) as exc:  # noqa: BLE001 - handed to the caller through Outcome
        return Outcome(error=exc)


class Clock(ABC):
    """Monotonic simulated time expressed as Unix-epoch nanoseconds."""

    @abstractmethod
    def now_ns(self) -> int: ...

    @abstractmethod
    def sleep_until(self, t_ns: int) -> None:
        """Block (or advance) until simulated time reaches t_ns; no-op if already past."""

    def sleep_ms(self, ms: float) -> None:
        self.sleep_until(self.now_ns() + int(ms * 1e6))

    @abstractmethod
    def run_concurrently(self, branches: Sequence[Callable[[], Any]]) -> list[Outcome]:
        """Run branches as if concurrently, all starting now; return when all ended."""

    @abstractmethod
    def run_detached(self, fn: Callable[[], Any]) -> None:
        """Start fn now without waiting for it (fire-and-forget work)."""

    def mean_lateness_ms(self) -> float:
        """How late, on average, a wait ended (simulated ms): 0 for a clock that is never late."""
        return 0.0

    @abstractmethod
    def drain(self, timeout_s: float = 10.0) -> None:
        """Wait until every detached task has finished."""

    @abstractmethod
    def lock(self) -> AbstractContextManager[Any]:
        """A mutual-exclusion lock whose waits pass in this clock's time (``with clock.lock():``)."""


class RealClock(Clock):
    """Wall-clock time, optionally compressed by ``speed`` (2 = twice as fast).

    Timestamps are computed from the monotonic clock anchored once to the epoch,
    so spans never jump with NTP adjustments, and scaled back up by ``speed`` so
    a compressed run still shows the profile's durations.
    """

    def __init__(self, speed: float = 1.0, spin_ms: float = 0.4, stop: StopFlag | None = None):
        if speed <= 0:
            raise ValueError("speed must be > 0 (use VirtualClock for no sleeping)")
        self.speed = speed
        self.stop = stop or StopFlag()
        # time.sleep wakes up late by ~0.1-0.3 ms; the last spin_ms of a wait are
        # spent yielding in a loop instead, which keeps spans within ~0.05 ms.
        # Load runs with many threads set it to 0 to save CPU.
        self._spin_ns = int(spin_ms * 1e6)
        self._anchor_epoch_ns = time.time_ns()
        self._anchor_mono_ns = time.monotonic_ns()
        self._detached: list[threading.Thread] = []
        self._lock = threading.Lock()
        # Waits, and how late they ended in total: a machine that cannot keep up (CPU, GIL,
        # locks) makes the simulation late, and its spans longer than the system's.
        self._waits, self._late_ns = 0, 0

    def now_ns(self) -> int:
        elapsed = time.monotonic_ns() - self._anchor_mono_ns
        return self._anchor_epoch_ns + int(elapsed * self.speed)

    def sleep_until(self, t_ns: int) -> None:
        while True:
            if self.stop.cut_now():
                raise RunInterrupted()
            remaining_ns = (t_ns - self.now_ns()) / self.speed  # real nanoseconds left
            if remaining_ns <= 0:
                # Late wake-ups, and work that overran its slot (a thread that waited for the
                # GIL or a lock) and so finds its next instant already past.
                with self._lock:
                    self._waits += 1
                    self._late_ns -= int(remaining_ns * self.speed)
                return
            if remaining_ns > self._spin_ns:
                # In slices, so that a stop request is noticed within one.
                time.sleep(min(_WAIT_SLICE_S, (remaining_ns - self._spin_ns) / 1e9))
            else:
                time.sleep(0)  # yield the GIL while spinning

    def mean_lateness_ms(self) -> float:
        with self._lock:
            return self._late_ns / self._waits / 1e6 if self._waits else 0.0

    def _thread(self, fn: Callable[[], Any], sink: list[Outcome] | None, index: int) -> threading.Thread:
        ctx = contextvars.copy_context()  # the branch keeps the caller's current span

        def target() -> None:
            outcome = ctx.run(_capture, fn)
            if sink is not None:
                sink[index] = outcome

        return threading.Thread(target=target, name=f"ordertrace-branch-{index}", daemon=True)

    def run_concurrently(self, branches: Sequence[Callable[[], Any]]) -> list[Outcome]:
        # The last branch runs on the calling thread: a single call costs no
        # thread, and Ctrl-C reaches the work instead of a join().
        *others, last = branches
        results: list[Outcome] = [Outcome() for _ in branches]
        threads = [self._thread(fn, results, i) for i, fn in enumerate(others)]
        for t in threads:
            t.start()
        results[-1] = _capture(last)
        for t in threads:
            t.join()  # each branch's own waits notice a stop: this ends soon
        return results

    def run_detached(self, fn: Callable[[], Any]) -> None:
        thread = self._thread(fn, None, 0)
        with self._lock:
            self._detached = [t for t in self._detached if t.is_alive()] + [thread]
        thread.start()

    def drain(self, timeout_s: float = 10.0) -> None:
        deadline = time.monotonic() + timeout_s
        with self._lock:
            pending = list(self._detached)
        for t in pending:
            while t.is_alive() and time.monotonic() < deadline:
                t.join(_WAIT_SLICE_S)

    def lock(self) -> AbstractContextManager[Any]:
        return _RealLock(self.stop)


class _ThreadCursor(threading.local):
    """A virtual clock's now, per thread: each thread starts at the clock's start."""

    def __init__(self, start_ns: int):
        self.now_ns = start_ns  # runs once in every thread that reads it


class VirtualClock(Clock):
    """Time that only moves when the simulation waits: no sleeping at all.

    Each thread has its own cursor (one order in flight per thread), starting at
    ``start_ns``; ``set_now`` places a thread's cursor, e.g. at an order's
    scheduled arrival time in a load run.
    """

    def __init__(self, start_ns: int | None = None):
        self._start_ns = time.time_ns() if start_ns is None else start_ns
        self._local = _ThreadCursor(self._start_ns)

    def now_ns(self) -> int:
        return self._local.now_ns

    def set_now(self, t_ns: int) -> None:
        self._local.now_ns = t_ns

    def sleep_until(self, t_ns: int) -> None:
        local = self._local
        if t_ns > local.now_ns:
            local.now_ns = t_ns

    def run_concurrently(self, branches: Sequence[Callable[[], Any]]) -> list[Outcome]:
        start = self.now_ns()
        outcomes, ends = [], [start]
        for fn in branches:
            self.set_now(start)
            outcomes.append(_capture(fn))
            ends.append(self.now_ns())
        self.set_now(max(ends))
        return outcomes

    def run_detached(self, fn: Callable[[], Any]) -> None:
        start = self.now_ns()
        _capture(fn)  # it runs "in the background": the caller's time does not move
        self.set_now(start)

    def drain(self, timeout_s: float = 10.0) -> None:
        return None

    def lock(self) -> AbstractContextManager[Any]:
        return _TimelineLock(self)


class _RealLock:
    """A real lock: threads queue on it; a wait notices a stop request within a slice."""

    def __init__(self, stop: StopFlag):
        self._lock, self._stop = threading.Lock(), stop

    def __enter__(self) -> None:
        while not self._lock.acquire(timeout=_WAIT_SLICE_S):
            if self._stop.cut_now():
                raise RunInterrupted()

    def __exit__(self, *exc: object) -> None:
        self._lock.release()


class _TimelineLock:
    """A lock in virtual time: whoever comes next waits until the last holder let go.

    A virtual run places its orders one after another, each at its own instant, so the
    lock remembers when it was released instead of blocking a thread; orders are served
    in the order they were placed.
    """

    def __init__(self, clock: VirtualClock):
        self._clock, self._free_at = clock, 0
        self._guard = threading.Lock()

    def __enter__(self) -> None:
        with self._guard:
            free_at = self._free_at
        self._clock.sleep_until(free_at)

    def __exit__(self, *exc: object) -> None:
        with self._guard:
            self._free_at = max(self._free_at, self._clock.now_ns())
