"""python -m simulate: the same command line as python main.py."""
import sys

# As in main.py: signals only ask the run to stop, from start-up on.
from .runs.signals import catch_signals
from .world.clock import StopFlag

_STOP = catch_signals(StopFlag())

from .cli import main  # noqa: E402 - after the handlers, on purpose

sys.exit(main(stop=_STOP))
