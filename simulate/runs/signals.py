"""Ctrl-C and SIGTERM only *ask* a run to stop; nothing is raised inside SDK code.

While a run is on, SIGINT and SIGTERM set the run's StopFlag and nothing else
(the handler takes no lock, so it cannot deadlock the code it interrupts).
The run's own waits see the flag; a second signal abandons the flush.  The
previous handlers (and stdout/stderr) are put back when the run ends.
"""
from __future__ import annotations

import contextlib
import signal
import sys
import threading
from collections.abc import Iterator
from types import FrameType

from ..report.terminal import resilient
from ..world.clock import StopFlag

EXIT_STATUS = {signal.SIGINT: 130, signal.SIGTERM: 143}


@contextlib.contextmanager
def stop_on_signals(flag: StopFlag) -> Iterator[StopFlag]:
    if threading.current_thread() is not threading.main_thread():
        yield flag  # only the main thread may set handlers (tests running a run in a thread)
        return

    def handler(signum: int, frame: FrameType | None) -> None:
        flag.request(signum)

    saved = {sig: signal.signal(sig, handler) for sig in EXIT_STATUS}
    try:
        yield flag
    finally:
        for sig, previous in saved.items():
            signal.signal(sig, previous)


def exit_status(flag: StopFlag) -> int | None:
    """130 after Ctrl-C, 143 after SIGTERM, None if not stopped."""
    if not flag.requested:
        return None
    return EXIT_STATUS.get(signal.Signals(flag.signal), 130) if flag.signal else 130


@contextlib.contextmanager
def guarded_std_streams() -> Iterator[None]:
    """stdout/stderr that survive a closed pipe and a narrow encoding, for the run's length
    (the SDK's console exporter and print() write to sys.stdout directly)."""
    saved = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = resilient(sys.stdout), resilient(sys.stderr)
    try:
        yield
    finally:
        sys.stdout, sys.stderr = saved
