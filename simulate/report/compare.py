"""--compare: the baseline and the optimised system side by side, measured vs predicted."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rich.table import Table

from .analysis import Analysis


def compare_table(baseline: Analysis, optimised: Analysis, switches: Sequence[str]) -> Table:
    """Root latency, critical path and per-service time of two analysed runs.

    The prediction is what the baseline's analysis promised for the chosen
    switches, added up; savings interact (a cache saves nothing on the response
    once the read runs beside a slower call), which the measurement shows.
    """
    predicted = baseline.saving_ms(switches)
    measured = baseline.total_ms - optimised.total_ms
    table = Table(title=f"Baseline vs --optimize {','.join(switches)}", title_justify="left",
                  caption="Predicted = the baseline analysis' savings added up. They interact: "
                          "once Inventory runs beside the slower Payment call, a cached stock "
                          "read no longer shortens the response.", caption_justify="left")
    table.add_column("")
    table.add_column("baseline", justify="right")
    table.add_column("optimised", justify="right")
    table.add_column("saving", justify="right")
    table.add_row("root latency (ms)", f"{baseline.total_ms:.1f}", f"{optimised.total_ms:.1f}",
                  f"{measured:.1f}")
    table.add_row("predicted saving (ms)", "", "", f"{predicted:.1f}")
    table.add_row("critical path (spans)", str(len(baseline.critical_path)),
                  str(len(optimised.critical_path)), "")
    services = list(baseline.services_ms) + [s for s in optimised.services_ms
                                             if s not in baseline.services_ms]
    for service in services:
        before = baseline.services_ms.get(service, 0.0)
        after = optimised.services_ms.get(service, 0.0)
        table.add_row(f"{service} (ms)", f"{before:.1f}", f"{after:.1f}", f"{before - after:.1f}")
    return table


def comparison(baseline: Analysis, optimised: Analysis, switches: Sequence[str]) -> dict[str, Any]:
    """The same, as data for --json."""
    return {"optimize": list(switches), "baseline": baseline.to_dict(),
            "optimised": optimised.to_dict(),
            "saving_ms": round(baseline.total_ms - optimised.total_ms, 3),
            "predicted_saving_ms": round(baseline.saving_ms(switches), 3)}
