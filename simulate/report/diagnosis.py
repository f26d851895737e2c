"""After a failed order: the diagnosis a learner should reach, in the seed's words.

The seed's troubleshooting section says "追踪显示在 check-inventory span 失败" and
"追踪显示在 process-payment span 失败，可以看到 Payment Gateway 的响应".  This turns the
analysis' failure location into those sentences, plus what to click in Jaeger.
"""
from __future__ import annotations

from .analysis import Analysis


def diagnosis(report: Analysis, jaeger_trace_url: str | None = None) -> list[str]:
    """The diagnosis lines; the Jaeger hints only with ``jaeger_trace_url``, i.e. when the
    trace really reached a collector."""
    failure = report.failure
    if not failure:
        return []
    span = failure.span
    lines = [f"🩺 Diagnosis: the trace shows the failure at {span} ({failure.service}): "
             f"{failure.message}"]
    if failure.detail:
        lines.append(f"   You can see the downstream response: {failure.detail}")
    path = [s.name for s in report.spans if s.error]
    if jaeger_trace_url is None:
        lines.append(f"   The red spans are {', '.join(path)}; {span} holds the status message, "
                     f"error.type and the exception event: add --html trace.html to click through "
                     f"them in your browser (or send the trace to a collector and use Jaeger).")
        return lines
    lines.append(f"   In Jaeger: open {jaeger_trace_url}; the red spans are {', '.join(path)}. "
                 f"Click {span}: its tags show error=true, error.type and the status message; its "
                 f"Logs hold the exception event with the stack trace.")
    if failure.detail:
        lines.append("   Then click the failing span under it to read the gateway's "
                     "http.response.status_code and payment.gateway.response_code.")
    return lines
