"""Ctrl-C and SIGTERM only *ask* a run to stop; nothing is raised inside SDK code.

SIGINT and SIGTERM set a StopFlag and nothing else (the handler takes no lock,
so it cannot deadlock the code it interrupts).  The run's own waits see the flag;
a second signal abandons the flush.  The entry points install the handlers
before anything heavy is imported (a Ctrl-C during start-up is a clean exit 130,
not a traceback); standard library only here, for that reason.
"""
from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from types import FrameType

from ..world.clock import StopFlag

EXIT_STATUS = {signal.SIGINT: 130, signal.SIGTERM: 143}


def catch_signals(flag: StopFlag) -> StopFlag:
    """From now on, in this process, SIGINT and SIGTERM set ``flag`` (entry points only)."""
    def handler(signum: int, frame: FrameType | None) -> None:
        flag.request(signum)

    for sig in EXIT_STATUS:
        signal.signal(sig, handler)
    return flag


@contextlib.contextmanager
def stop_on_signals(flag: StopFlag) -> Iterator[StopFlag]:
    """For the length of a run (when not started from an entry point that already did)."""
    if threading.current_thread() is not threading.main_thread():
        yield flag  # only the main thread may set handlers (a test running a run in a thread)
        return
    saved = {sig: signal.getsignal(sig) for sig in EXIT_STATUS}
    catch_signals(flag)
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
