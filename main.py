"""ordertrace: simulate an order through five microservices and trace it with OpenTelemetry.

Usage: python main.py [--fail inventory|payment] [--no-export] ...  (see --help)
"""
import os
import sys

# Before anything heavy is imported: from here on Ctrl-C and SIGTERM only ask the run
# to stop (it flushes what it recorded), even during start-up.
from simulate.runs.signals import catch_signals
from simulate.world.clock import StopFlag

STOP = catch_signals(StopFlag())

# Started with a standard descriptor closed (``>&-``, as cron and supervisors may): the
# first file or socket opened would take its number, and a stray write to "stdout" would
# land in it.  Hold each one with /dev/null; sys.stdout stays None and output is dropped.
for _fd in (0, 1, 2):
    try:
        os.fstat(_fd)
    except OSError:
        os.open(os.devnull, os.O_RDWR)

# Importing the SDK may already log (a malformed OTEL_RESOURCE_ATTRIBUTES): held, so that only
# the configuration check's one line reaches the terminal (tracing/sdk_logs.py).
from simulate.tracing import sdk_logs  # noqa: E402

sdk_logs.hold()

from simulate.cli import main  # noqa: E402 - after the handlers, on purpose

if __name__ == "__main__":
    sys.exit(main(stop=STOP))
