"""The trace page's and the serve page's own words, for the catalog.

The pages are drawn by JavaScript (page/*.js), which says each of these through
``T("...")``; the page embeds their translations in the current language
(``page_words()``), and tests/test_i18n.py checks that every ``T()`` in the scripts is
listed here.  Span names, attribute keys and the log are data: never translated.
"""
from __future__ import annotations

from ..i18n import N_, _

NOSCRIPT = N_("This page draws the trace with JavaScript (inline, nothing is downloaded): please "
              "enable it.")

# the serve page's buttons (serve_page.SCENARIOS labels), said through T(label)
LABELS = (N_("Place order"), N_("Out of stock"), N_("Payment declined"))

PAGE_WORDS = (
    N_("parent {id} is in a cycle: drawn as a root"),
    N_("cycle broken"),
    N_("{id} (in a parent-id cycle: drawn as a root)"),
    N_("Log records ({n})"),
    N_("open the span {span}"),
    N_("Log"),
    N_("Each line opens the span that wrote it. Dimmed lines are work the seed's log does not show"
       " (the email worker)."),
    N_("Total latency"),
    N_("Slowest step"),
    N_("Most own work"),
    N_("{span} ({service}): {ms} ms outside its children"),
    N_("Own work per service"),
    N_("Critical path"),
    N_("Failure"),
    N_("the trace shows the failure at {span} ({service}): {message}"),
    N_("; "),
    N_("{span} answered {code}: {message}"),
    N_("{span} failed: {message}"),
    N_("Suggestions"),
    N_("{kind}: {reason}: saves ~{ms} ms (--optimize {optimize})"),
    N_("none"),
    N_("Performance analysis"),
    N_(": "),
    N_("root latency (ms)"),
    N_("predicted saving (ms)"),
    N_("critical path (spans)"),
    N_("Baseline vs --optimize {switches}"),
    N_("baseline"),
    N_("optimised"),
    N_("saving"),
    N_("Predicted = the baseline analysis' savings added up. They interact: once Inventory runs "
       "beside the slower Payment call, a cached stock read no longer shortens the response."),
    N_("{name}: {count} spans, p50 {p50} ms, p95 {p95} ms, p99 {p99} ms, max {max} ms"),
    N_("{count} spans, log-scale time axis"),
    N_("{ok} ok, {out_of_stock} out of stock, {declined} declined"),
    N_(", "),
    N_("{n} errors"),
    N_("{n} interrupted"),
    N_("Orders: {total} in {seconds} s ({rate}/s): {outcomes}"),
    N_("Spans: {created} created, export off"),
    N_("Spans: {created} created = {exported} exported + {failed} failed + {unconfirmed} "
       "unconfirmed + {abandoned} abandoned, to {destination}"),
    N_("Load run"),
    N_("Latency per span (ms)"),
    N_("span"),
    N_("count"),
    N_("Traces on this page"),
    N_("Sample traces"),
    N_("Traces on this page ({n})"),
    N_("No trace recorded (OTEL_SDK_DISABLED=true, or the trace was not sampled)."),
    N_("Placing an order ({scenario})…"),
    N_("The server did not answer: {error}"),
    N_("transaction {id}"),
    N_("This click sent"),
    N_(". "),
    N_("The server kept no trace of it (not sampled, or no longer kept)."),
    N_("The server answered without a trace."),
    N_("The gateway's SERVER span {span} ({id}) is in trace {trace} and its parent is {parent}: "),
    N_("this click's span id, the trace starts in the browser ✓"),
    N_("not this click's span ({span})"),
    N_("Open in Jaeger"),
    N_("open the trace of {order}"),
    N_("this order"),
    N_("Each click places a real order on this server (POST /api/orders): API Gateway → Order "
       "Service → Inventory, Payment, Notification. The failures come from the world's state: item"
       " {item} is sold out, card {card} has no limit."),
    N_("Place an order"),
    N_("Optimisations (next order)"),
    N_("No order placed from this page yet; the server has answered {n} orders (curl, other tabs):"
       " click a button to place one and see its trace."),
    N_("No order placed yet: click a button."),
    N_("Last orders"),
    N_("Last orders (newest first; click to reopen)"),
    N_("Events ({n})"),
    N_("Trace ID"),
    N_("Start"),
    N_("Duration"),
    N_("Services"),
    N_("Depth"),
    N_("Spans"),
    N_("Errors"),
    N_("Service & operation"),
    N_("expand {span}"),
    N_("collapse {span}"),
    N_(", on the critical path"),
    N_("error"),
    N_("Spans of trace {trace}"),
    N_("critical path"),
    N_("failed (status ERROR)"),
    N_("Tab to a span, Enter opens it, ←/→ fold, ↑/↓ move"),
    N_("trace {trace}, span {span}"),
    N_("{name} ({service}) in {where}"),
    N_("{what} (not on this page)"),
    N_("Operation"),
    N_("Service"),
    N_("Kind"),
    N_("Status"),
    N_("Span ID"),
    N_("Parent"),
    N_("none (root)"),
    N_("Scope"),
    N_("Details of {span}"),
    N_("Attributes"),
    N_("at +{t}"),
    N_("Links ({n})"),
    N_("Linked from ({n})"),
    N_("Resource"),
)


def page_words() -> dict[str, str]:
    """Each word the pages say, in the current language (only those that differ)."""
    return {word: _(word) for word in (*PAGE_WORDS, *LABELS) if _(word) != word}
