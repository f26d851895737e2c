"""``python main.py faults``: the fault catalogue, in the reader's language.

The catalogue is the world's (world/scenarios.py); this prints each entry: the
service at fault, what the world does, what a trace shows, the lesson, and the
command that shows it.  The README's tour has a row per entry, with the same
command (tests/test_faults.py checks both).
"""
from __future__ import annotations

from ..i18n import _
from ..report.terminal import consoles, say
from ..world.scenarios import FAILURES, SCENARIOS


def try_command(name: str) -> str:
    """The command that shows fault ``name``: one order, or a short load for a fault that
    only shows when orders overlap (no sleeping: a timeout or a backlog takes seconds)."""
    if SCENARIOS[name].needs_load:
        return f"python main.py --orders 96 --concurrency 24 --speed 0 --failure-rate {name}=1"
    return f"python main.py --fail {name} --speed 0"


def print_faults() -> int:
    out, _err = consoles()
    say(out, _("The fault catalogue: each fault changes what the simulated world does, never what "
               "a span says. --fail and --failure-rate take any name; python main.py drill hides "
               "one for you to find."))
    for name in FAILURES:
        fault = SCENARIOS[name]
        out.print()
        say(out, f"{name}  ({fault.service}" + (", " + _("only under load") if fault.needs_load
                                                 else "") + ")", style="bold")
        for line in (_("the world: {text}").format(text=_(fault.description)),
                     _("the trace: {text}").format(text=_(fault.looks)),
                     _("lesson: {text}").format(text=_(fault.lesson)),
                     _("try: {command}").format(command=try_command(name))):
            say(out, "  " + line)
    return 0
