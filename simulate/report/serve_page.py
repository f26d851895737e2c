"""What ``serve`` shows in the browser: the page on GET /, and each order's trace as JSON.

The page is the --html viewer (page/viewer.js, panels.js, viewer.css) with
page/serve.js and serve.css added: buttons for the seed's scenarios and the
three optimisation switches.  Each click places an order on the server and then
fetches ``GET /api/traces/{id}``, whose ``page`` is :meth:`Page.data` of
:func:`order_page`: the very data an --html page embeds, drawn by the same code.
Scripts and styles are inline; a Content-Security-Policy lets the page talk to
its own origin only (``connect-src 'self'``) and load nothing at all.
"""
from __future__ import annotations

from collections.abc import Sequence

from ..i18n import _
from ..world.log import LogLine
from ..world.profile import OPTIMIZATIONS
from ..world.scenarios import NO_CREDIT_USER, SOLD_OUT_ITEM
from ..world.scenarios import SCENARIOS as FAULTS
from .html import ASSETS, Page, render
from .html import CSP as PAGE_ONLY_CSP
from .records import SpanRecord

# The --html page's policy, plus requests to the page's own origin (connect-src 'self'). In the
# page's <meta>, and as a header with frame-ancestors (which only works in a header).
PAGE_CSP = f"{PAGE_ONLY_CSP}; connect-src 'self'; base-uri 'none'; form-action 'none'"
CSP = f"{PAGE_CSP}; frame-ancestors 'none'"

# The seed's scenarios as the buttons send them: the failures come from the world's state.
SCENARIOS = (
    {"name": "order", "label": "Place order", "body": {}, "fails": False},
    {"name": "inventory", "label": "Out of stock", "body": {"item_id": SOLD_OUT_ITEM}, "fails": True},
    {"name": "payment", "label": "Payment declined", "body": {"user_id": NO_CREDIT_USER},
     "fails": True},
)


def serve_page(jaeger: bool, served: int = 0) -> str:
    """The page on GET /: no trace yet, the buttons and switches as data for serve.js, and
    how many orders the server answered already (placed with curl, from another tab)."""
    data = Page("ordertrace serve").data()
    data["serve"] = {"scenarios": SCENARIOS, "optimizations": OPTIMIZATIONS, "jaeger": jaeger,
                     "faults": [{"name": name, "description": FAULTS[name].description}
                                for name in FAULTS if name not in ("none", "inventory", "payment")],
                     "served": served}
    return render(data, "ordertrace serve", csp=PAGE_CSP, scripts=(*ASSETS, "serve.js"),
                  styles=("viewer.css", "serve.css"))


def order_page(spans: Sequence[SpanRecord], linked: Sequence[Sequence[SpanRecord]],
               log: Sequence[LogLine], title: str, subtitle: str) -> Page:
    """One order as a trace page's data: its trace, the traces linked to it (the email
    worker's), and the log lines they wrote, each tied to its span: ``.data()`` for the
    serve page, ``.html()`` for a file (--html-dir)."""
    page = Page(title, subtitle)
    order = page.add_trace(spans, _("Order trace"))
    page.add_view(page.trace_title(order), [order])
    for other in linked:
        root = min(other, key=lambda s: s.start_ns)
        trace_id = page.add_trace(other, _("Linked trace: {span} ({service})").format(
            span=root.name, service=root.service))
        page.add_view(_("linked: {span}").format(span=root.name), [trace_id],
                      note=_("starts after the order answered"))
    page.add_log(sorted(log, key=lambda line: line.time_ns))
    return page
