"""--compare: the baseline and the optimised system side by side, measured vs predicted."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rich.table import Table

from ..i18n import _
from .analysis import Analysis


def _ms(value: float) -> str:
    """One decimal, and never "-0.0"."""
    text = f"{value:.1f}"
    return "0.0" if text == "-0.0" else text


def compare_note(baseline: Analysis, optimised: Analysis, switches: Sequence[str]) -> str | None:
    """Why measured and predicted differ, when they do (printed under the table).

    The prediction is what the baseline's analysis promised for the chosen
    switches, added up; savings interact (a cache saves nothing on the response
    once the read runs beside a slower call), which the measurement shows.
    """
    predicted = baseline.saving_ms(switches)
    measured = baseline.total_ms - optimised.total_ms
    if abs(predicted - measured) < 0.5:
        return None
    if predicted > measured:
        return _("Predicted = the baseline analysis' savings added up. They interact: once "
                 "Inventory runs beside the slower Payment call, a cached stock read no longer "
                 "shortens the response.")
    return _("Predicted = the baseline analysis' savings added up; the measured saving differs "
             "by the run's own timing.")


def compare_title(switches: Sequence[str]) -> str:
    return _("Baseline vs --optimize {switches}").format(switches=",".join(switches))


def compare_table(baseline: Analysis, optimised: Analysis, switches: Sequence[str]) -> Table:
    """Root latency, critical path and per-service time of two analysed runs."""
    predicted = baseline.saving_ms(switches)
    measured = baseline.total_ms - optimised.total_ms
    table = Table()  # its title is printed as a line of its own (a table's title is padded)
    table.add_column("")
    table.add_column(_("baseline"), justify="right")
    table.add_column(_("optimised"), justify="right")
    table.add_column(_("saving"), justify="right")
    table.add_row(_("root latency (ms)"), _ms(baseline.total_ms), _ms(optimised.total_ms),
                  _ms(measured))
    table.add_row(_("predicted saving (ms)"), "", "", _ms(predicted))
    table.add_row(_("critical path (spans)"), str(len(baseline.critical_path)),
                  str(len(optimised.critical_path)), "")
    services = list(baseline.services_ms) + [s for s in optimised.services_ms
                                             if s not in baseline.services_ms]
    for service in services:
        before = baseline.services_ms.get(service, 0.0)
        after = optimised.services_ms.get(service, 0.0)
        table.add_row(f"{service} (ms)", _ms(before), _ms(after), _ms(before - after))
    return table


def comparison(baseline: Analysis, optimised: Analysis, switches: Sequence[str]) -> dict[str, Any]:
    """The same, as data for --json."""
    return {"optimize": list(switches), "baseline": baseline.to_dict(),
            "optimised": optimised.to_dict(),
            "saving_ms": round(baseline.total_ms - optimised.total_ms, 3),
            "predicted_saving_ms": round(baseline.saving_ms(switches), 3)}
