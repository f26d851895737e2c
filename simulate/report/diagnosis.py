"""After a failed order: the diagnosis a learner should reach, in the seed's words.

The seed's troubleshooting section says "追踪显示在 check-inventory span 失败" and
"追踪显示在 process-payment span 失败，可以看到 Payment Gateway 的响应".  This turns the
analysis' failure location into those sentences, plus where to look next.
"""
from __future__ import annotations

from ..i18n import _
from .analysis import Analysis


def diagnosis(report: Analysis, jaeger_trace_url: str | None = None,
              page: str | None = None) -> list[str]:
    """The diagnosis lines; the Jaeger hints only with ``jaeger_trace_url``, i.e. when the
    trace really reached a Jaeger; ``page``: the trace page this run writes (--html)."""
    failure = report.failure
    if not failure:
        return []
    span = failure.span
    lines = ["🩺 " + _("Diagnosis: the trace shows the failure at {span} ({service}): "
                      "{message}").format(span=span, service=failure.service,
                                          message=failure.message)]
    if failure.detail:
        lines.append("   " + _("You can see the downstream response: {detail}").format(
            detail=failure.detail_text()))
    path = _(", ").join(s.name for s in report.spans if s.error)
    if jaeger_trace_url is None and page is not None:
        lines.append("   " + _("The red spans are {path}; {span} holds the status message, "
                              "error.type and the exception event: click through them on the "
                              "trace page, {page}.").format(path=path, span=span, page=page))
        return lines
    if jaeger_trace_url is None:
        lines.append("   " + _("The red spans are {path}; {span} holds the status message, "
                              "error.type and the exception event: add --html trace.html to click "
                              "through them in your browser (or send the trace to a collector and "
                              "use Jaeger).").format(path=path, span=span))
        return lines
    lines.append("   " + _("In Jaeger: open {url}; the red spans are {path}. Click {span}: its "
                          "tags show error=true, error.type and the status message; its Logs hold "
                          "the exception event with the stack trace.").format(
        url=jaeger_trace_url, path=path, span=span))
    if failure.detail:
        lines.append("   " + _("Then click the failing span under it to read the gateway's "
                              "http.response.status_code and payment.gateway.response_code."))
    return lines
