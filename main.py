"""ordertrace: simulate an order through five microservices and trace it with OpenTelemetry.

Usage: python main.py [--fail inventory|payment] [--no-export] ...  (see --help)
"""
import sys

# Before anything heavy is imported: from here on Ctrl-C and SIGTERM only ask the run
# to stop (it flushes what it recorded), even during start-up.
from simulate.runs.signals import catch_signals
from simulate.world.clock import StopFlag

STOP = catch_signals(StopFlag())

from simulate.cli import main  # noqa: E402 - after the handlers, on purpose

if __name__ == "__main__":
    sys.exit(main(stop=STOP))
