"""OTLP/JSON files an attacker or an unlucky operator could hand to ``show``."""
from __future__ import annotations

import json
from typing import Any

TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"


def span(n: int, parent: int | None, name: str = "", **extra: Any) -> dict[str, Any]:
    data: dict[str, Any] = {"traceId": TRACE, "spanId": f"{n + 1:016x}", "name": name or f"op-{n}",
                            "kind": 1, "startTimeUnixNano": str(1_000_000 + n * 1000),
                            "endTimeUnixNano": str(10_000_000_000 - n * 1000), **extra}
    if parent is not None:
        data["parentSpanId"] = f"{parent + 1:016x}"
    return data


def document(spans: list[dict[str, Any]]) -> str:
    return json.dumps({"resourceSpans": [{"resource": {"attributes": [
        {"key": "service.name", "value": {"stringValue": "svc"}}]},
        "scopeSpans": [{"scope": {"name": "t"}, "spans": spans}]}]}) + "\n"


def deep_trace(depth: int) -> str:
    """A chain: each span the child of the one before."""
    return document([span(n, n - 1 if n else None) for n in range(depth)])


def deep_json(levels: int) -> str:
    return "[" * levels + "]" * levels + "\n"


def cycle() -> str:
    """A root with a child, and three spans whose parents go round in a circle."""
    return document([span(0, None), span(1, 0), span(2, 4, "cyc-a"), span(3, 2, "cyc-b"),
                     span(4, 3, "cyc-c")])


def duplicates() -> str:
    """A root, a span exported twice, and a different span reusing a taken id."""
    twice = span(1, 0, "twice")
    clash = span(1, 0, "clash")
    return document([span(0, None), twice, dict(twice), clash])


def long_strings(chars: int) -> str:
    big = "x" * chars
    return document([span(0, None, big, attributes=[{"key": "big", "value": {"stringValue": big}}],
                          status={"code": 2, "message": big})])


def many_traces(count: int) -> str:
    """``count`` one-span traces, a line each."""
    lines = []
    for n in range(count):
        one = span(n, None)
        one["traceId"] = f"{n + 1:032x}"
        lines.append(document([one]))
    return "".join(lines)
