"""python -m simulate: the same command line as python main.py."""
import sys

if __name__ == "__main__":  # not when a worker process (multiprocessing's spawn) imports it
    # As in main.py: signals only ask the run to stop, from start-up on.
    from .runs.signals import catch_signals
    from .world.clock import StopFlag

    _STOP = catch_signals(StopFlag())

    from .cli import main

    sys.exit(main(stop=_STOP))
