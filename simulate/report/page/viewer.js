// The trace page, part 1: the data, helpers, and the timeline with span details.
// Plain DOM: every string from span data goes through textContent (el() below),
// never innerHTML, so a span named <script> is shown as text.

// let: the serve page (serve.js) puts each order's trace in here and calls indexTraces().
let DATA = JSON.parse(document.getElementById("trace-data").textContent);
// The page's words in the reader's language (Python's catalog, embedded as DATA.words):
// T("Events ({n})", { n: 3 }) -> "事件（3）" with --lang zh; the English text otherwise.
const WORDS = DATA.words || {};
function T(text, values) {
  const said = Object.prototype.hasOwnProperty.call(WORDS, text) ? WORDS[text] : text;
  return said.replace(/\{(\w+)\}/g, (all, k) => (values && k in values ? String(values[k]) : all));
}
const PALETTE = ["#4e79a7", "#f28e2b", "#59a14f", "#b07aa1", "#76b7b2", "#edc948",
                 "#9c755f", "#ff9da7", "#bab0ac", "#86bcb6"];
const state = { view: 0, open: new Set(), collapsed: new Set(), focus: null };

function el(tag, props, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = value;
    else if (key === "style") node.setAttribute("style", value);
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

function fmtMs(us) {
  const ms = us / 1000;
  if (ms >= 1000) return (ms / 1000).toFixed(2) + " s";
  if (ms >= 10) return ms.toFixed(1) + " ms";
  if (ms >= 1) return ms.toFixed(2) + " ms";
  return Math.round(us) + " µs";
}

function fmtValue(value) {
  return typeof value === "string" ? value : JSON.stringify(value);
}

// Index: spans by id, children, depth, incoming links; one colour per service.
// A function, so that the serve page (serve.js) can index each order's trace as it comes.
const TRACES = new Map();
const COLOURS = new Map();
function findSpan(traceId, spanId) {
  const trace = TRACES.get(traceId);
  return trace ? trace.byId.get(spanId) || null : null;
}
function indexTraces() {
  TRACES.clear();
  for (const trace of DATA.traces) {
    trace.byId = new Map(trace.spans.map((s) => [s.id, s]));
    trace.children = new Map();
    trace.roots = [];
    trace.critical = new Set(trace.critical);
    trace.end = 0;
    for (const span of trace.spans) {
      span.trace = trace;
      span.incoming = [];
      span.records = [];
      trace.end = Math.max(trace.end, span.start + span.dur);
      if (!COLOURS.has(span.service)) COLOURS.set(span.service, PALETTE[COLOURS.size % PALETTE.length]);
      const parent = span.parent && span.parent !== span.id ? trace.byId.get(span.parent) : null;
      if (parent) {
        if (!trace.children.has(parent.id)) trace.children.set(parent.id, []);
        trace.children.get(parent.id).push(span);
      } else trace.roots.push(span);
    }
    TRACES.set(trace.id, trace);
  }
  // OTLP log records, each on the span that wrote it (records come sorted by time)
  for (const record of DATA.records || []) {
    const span = findSpan(record.trace, record.span);
    if (span) span.records.push(record);
  }
  for (const trace of DATA.traces) {
    for (const span of trace.spans) {
      for (const link of span.links) {
        const target = findSpan(link.trace, link.span);
        if (target) target.incoming.push(span);
      }
    }
  }
}
indexTraces();
// Iterative, never recursive: a file may hold a trace thousands of spans deep.
function walkTree(trace, visit) {
  const seen = new Set();
  const stack = trace.roots.slice().reverse().map((root) => [root, 0]);
  while (stack.length) {
    const [span, depth] = stack.pop();
    if (seen.has(span.id)) continue;  // a malformed file may hold a cycle
    seen.add(span.id);
    if (visit(span, depth) === false) continue;  // false: do not go below this span
    const kids = trace.children.get(span.id) || [];
    for (let i = kids.length - 1; i >= 0; i--) stack.push([kids[i], depth + 1]);
  }
}
function depthOf(trace) {
  let max = 0;
  walkTree(trace, (span, depth) => { max = Math.max(max, depth + 1); });
  return max;
}
const key = (span) => span.trace.id + ":" + span.id;

// ---------------------------------------------------------------- timeline
function traceHeader(trace) {
  const services = new Set(trace.spans.map((s) => s.service));
  const errors = trace.spans.filter((s) => s.status === "ERROR").length;
  const facts = [[T("Trace ID"), trace.id], [T("Start"), trace.start], [T("Duration"), fmtMs(trace.end)],
                 [T("Services"), services.size], [T("Depth"), depthOf(trace)],
                 [T("Spans"), trace.spans.length], [T("Errors"), errors]];
  return el("div", { class: "trace-head" },
    el("h2", { text: trace.title || trace.id }),
    (trace.problems || []).map((p) => el("p", { class: "problem", role: "note", text: "⚠ " + p })),
    el("dl", { class: "facts" }, facts.map(([k, v], i) => el("div", { class: i === 6 && errors ? "bad" : null },
      el("dt", { text: k }), el("dd", { text: String(v) })))));
}

function axis(total) {
  const ticks = [0, 0.25, 0.5, 0.75, 1].map((f) =>
    el("span", { class: "tick", style: "left:" + f * 100 + "%", text: fmtMs(total * f) }));
  return el("div", { class: "axis", "aria-hidden": "true" },
    el("div", { class: "label", text: T("Service & operation") }), el("div", { class: "lane" }, ticks));
}

function spanRow(span, depth, total) {
  const trace = span.trace;
  const kids = trace.children.get(span.id) || [];
  const collapsed = state.collapsed.has(key(span));
  const isOpen = state.open.has(key(span));
  const error = span.status === "ERROR";
  const critical = trace.critical.has(span.id);
  const left = (span.start / total) * 100;
  const width = Math.max((span.dur / total) * 100, 0.2);
  const colour = COLOURS.get(span.service);
  const toggle = kids.length
    ? el("button", { class: "toggle", tabindex: "-1", "aria-label": collapsed ? T("expand {span}", { span: span.name })
                                                                 : T("collapse {span}", { span: span.name }),
                     onclick: (e) => { e.stopPropagation(); toggleCollapse(span); } }, collapsed ? "▸" : "▾")
    : el("span", { class: "toggle" });
  const durText = fmtMs(span.dur);
  // The duration goes right of the bar, else left of it, else inside it (a bar across the lane).
  const place = left + width <= 78 ? "after" : left >= 18 ? "before" : "inside";
  const durStyle = place === "after" ? "left:" + (left + width + 0.5) + "%"
    : place === "before" ? "right:" + (100 - left + 0.5) + "%" : "right:" + (100 - left - width + 0.5) + "%";
  const row = el("div", {
    class: "span-row" + (error ? " error" : "") + (critical ? " critical" : "") + (isOpen ? " open" : ""),
    role: "treeitem", tabindex: "0", "aria-level": depth + 1, "aria-selected": isOpen ? "true" : "false",
    "aria-expanded": kids.length ? String(!collapsed) : null, "data-span": span.id, "data-trace": trace.id,
    title: span.name + " (" + span.service + "): " + durText + (critical ? T(", on the critical path") : ""),
    onclick: () => toggleOpen(span), onkeydown: (e) => rowKey(e, span) },
    el("div", { class: "label", style: "padding-left:" + (depth * 14 + 4) + "px" },
      toggle, el("span", { class: "dot", style: "background:" + colour }),
      error ? el("span", { class: "err-icon", "aria-label": T("error"), text: "!" }) : null,
      span.cycleParent ? el("span", { class: "cycle", title: T("parent {id} is in a cycle: drawn as a root", { id: span.cycleParent }),
                                      "aria-label": T("cycle broken"), text: "↺" }) : null,
      el("span", { class: "name", text: span.name }),
      el("span", { class: "kind kind-" + span.kind.toLowerCase(), text: span.kind.toLowerCase() }),
      el("span", { class: "svc", text: span.service }),
      span.records.length ? el("span", { class: "logs-badge", title: span.records.length + " log records",
                                         text: "≡ " + span.records.length }) : null),
    el("div", { class: "lane" },
      el("div", { class: "bar", style: "left:" + left + "%;width:" + width + "%;background:" + colour }),
      el("span", { class: "dur " + place, style: durStyle, text: durText })));
  return row;
}

function traceBlock(trace, total) {
  const tree = el("div", { class: "timeline", role: "tree", "aria-label": T("Spans of trace {trace}", { trace: trace.id }) });
  tree.append(axis(total));
  walkTree(trace, (span, depth) => {
    tree.append(spanRow(span, depth, total));
    if (state.open.has(key(span))) tree.append(details(span));
    return !state.collapsed.has(key(span));
  });
  const legend = el("p", { class: "legend" }, el("span", { class: "crit-mark" }), " " + T("critical path") + "   ",
    el("span", { class: "err-icon", text: "!" }), " " + T("failed (status ERROR)") + "   ",
    T("Tab to a span, Enter opens it, ←/→ fold, ↑/↓ move"));
  return el("section", { class: "trace", "data-trace": trace.id }, traceHeader(trace), tree, legend);
}

// ---------------------------------------------------------------- details
function table(pairs, caption) {
  if (!pairs.length) return el("p", { class: "none", text: T("none") });
  return el("table", { class: "kv" }, caption ? el("caption", { text: caption }) : null,
    el("tbody", {}, pairs.map(([k, v]) => el("tr", {},
      el("th", { scope: "row", text: k }),
      el("td", {}, k === "exception.stacktrace" ? el("pre", { text: fmtValue(v) }) : fmtValue(v))))));
}

function jumpButton(traceId, spanId, label) {
  const target = findSpan(traceId, spanId);
  const where = T("trace {trace}, span {span}", { trace: traceId, span: spanId });
  const text = target ? T("{name} ({service}) in {where}", { name: target.name, service: target.service, where })
    : where;
  if (!target) return el("span", { class: "missing", text: T("{what} (not on this page)", { what: text }) });
  return el("button", { class: "jump", "data-jump": traceId + ":" + spanId, onclick: () => openSpan(target) },
    label + " " + text);
}

function details(span) {
  const trace = span.trace;
  const parent = span.parent ? trace.byId.get(span.parent) : null;
  const status = span.status + (span.statusMessage ? ": " + span.statusMessage : "");
  const facts = [[T("Operation"), span.name], [T("Service"), span.service], [T("Kind"), span.kind],
                 [T("Start"), "+" + fmtMs(span.start)], [T("Duration"), fmtMs(span.dur)], [T("Status"), status],
                 [T("Span ID"), span.id],
                 [T("Parent"), span.cycleParent ? T("{id} (in a parent-id cycle: drawn as a root)", { id: span.cycleParent })
                   : parent ? parent.name + " (" + span.parent + ")" : span.parent || T("none (root)")],
                 [T("Scope"), span.scope || "?"]];
  return el("div", { class: "details" + (span.status === "ERROR" ? " error" : ""), role: "region",
                     "aria-label": T("Details of {span}", { span: span.name }) },
    el("dl", { class: "facts" }, facts.map(([k, v], i) =>
      el("div", { class: i === 5 && span.status === "ERROR" ? "bad" : null },
        el("dt", { text: k }), el("dd", { text: v })))),
    el("h4", { text: T("Attributes") }), table(span.attrs),
    el("h4", { text: T("Events ({n})", { n: span.events.length }) }),
    span.events.length ? span.events.map((e) => el("div", { class: "event" + (e.name === "exception" ? " error" : "") },
      el("p", { class: "event-name" }, el("strong", { text: e.name }), " " + T("at +{t}", { t: fmtMs(e.t) })), table(e.attrs)))
      : el("p", { class: "none", text: T("none") }),
    el("h4", { text: T("Links ({n})", { n: span.links.length }) }),
    span.links.length ? el("ul", {}, span.links.map((l) => el("li", {}, jumpButton(l.trace, l.span, "→"), table(l.attrs))))
      : el("p", { class: "none", text: T("none") }),
    el("h4", { text: T("Log records ({n})", { n: span.records.length }) }),
    span.records.length ? el("ol", { class: "records" }, span.records.map(logRecord))
      : el("p", { class: "none", text: T("none") }),
    span.incoming.length ? [el("h4", { text: T("Linked from ({n})", { n: span.incoming.length }) }),
      el("ul", {}, span.incoming.map((s) => el("li", {}, jumpButton(s.trace.id, s.id, "←"))))] : null,
    el("h4", { text: T("Resource") }), table(DATA.resources[span.res] || []));
}

function logRecord(record) {
  const sev = String(record.severity || "").toUpperCase();
  const bad = sev === "ERROR" || sev === "FATAL";
  return el("li", { class: "record" + (bad ? " error" : "") },
    el("p", { class: "record-line" }, el("strong", { class: "severity", text: record.severity || "?" }),
      " at +" + fmtMs(record.t) + (record.event ? " (event " + record.event + ")" : "") + ": ",
      el("span", { class: "body", text: fmtValue(record.body) })),
    record.attrs.length ? table(record.attrs) : null);
}

// ---------------------------------------------------------------- interaction
function toggleOpen(span) {
  const k = key(span);
  if (state.open.has(k)) state.open.delete(k); else state.open.add(k);
  state.focus = k;
  draw();
}
function toggleCollapse(span, collapse) {
  const k = key(span);
  const now = collapse === undefined ? !state.collapsed.has(k) : collapse;
  if (now) state.collapsed.add(k); else state.collapsed.delete(k);
  state.focus = k;
  draw();
}
function rowKey(event, span) {
  const rows = Array.from(document.querySelectorAll(".span-row"));
  const i = rows.indexOf(event.currentTarget);
  const moves = { ArrowDown: 1, ArrowUp: -1 };
  if (event.key === "Enter" || event.key === " ") toggleOpen(span);
  else if (event.key === "ArrowLeft") toggleCollapse(span, true);
  else if (event.key === "ArrowRight") toggleCollapse(span, false);
  else if (moves[event.key] && rows[i + moves[event.key]]) rows[i + moves[event.key]].focus();
  else return;
  event.preventDefault();
}
// Open a span wherever it is on the page: its view, its unfolded ancestors, scrolled to.
function openSpan(span) {
  const trace = span.trace;
  if (!DATA.views[state.view] || !DATA.views[state.view].traces.includes(trace.id)) {
    const index = DATA.views.findIndex((v) => v.traces.includes(trace.id));
    if (index >= 0) state.view = index;
  }
  let p = span.parent && trace.byId.get(span.parent);
  for (let n = 0; p && n < trace.spans.length; n++) {  // bounded: a malformed file may loop
    state.collapsed.delete(key(p));
    p = p.parent && trace.byId.get(p.parent);
  }
  state.open.add(key(span));
  state.focus = key(span);
  draw();
}
