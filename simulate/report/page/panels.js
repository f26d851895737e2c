// The trace page, part 2: what sits beside the trace (the log, the performance
// analysis, the compare table), a load run's summary with its latency charts, the
// list of traces on the page, and draw(), which rebuilds the page from `state`.

const SVG_NS = "http://www.w3.org/2000/svg";

function svg(tag, attrs, text) {
  const node = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  if (text !== undefined) node.textContent = text;
  return node;
}
const own = (obj, k) => Object.prototype.hasOwnProperty.call(obj, k);
const num = (n) => Number(n).toLocaleString("en-US");
const ms = (n, digits) => n.toFixed(digits) + " ms";
const serviceTitle = (s) => s.split("-").map((w) => w.charAt(0).toUpperCase() + w.slice(1)).join(" ");

function panel(title, cls, ...content) {
  return el("section", { class: "panel " + cls }, el("h2", { text: title }), content);
}

function logPanel() {
  if (!DATA.log.length) return null;
  const items = [];
  let group = null;
  for (const line of DATA.log) {
    if (line.group !== group) {
      group = line.group;
      if (group) items.push(el("li", { class: "group", text: group }));
    }
    const target = line.trace && line.span ? findSpan(line.trace, line.span) : null;
    const cls = "line" + (line.icon === "❌" ? " err" : "") + (line.detail ? " detail" : "");
    items.push(el("li", {}, target
      ? el("button", { class: cls, title: T("open the span {span}", { span: target.name }), "data-span": target.id,
                       onclick: () => openSpan(target) }, line.text)
      : el("span", { class: cls, text: line.text })));
  }
  return panel(T("Log"), "log-panel",
    el("p", { class: "hint", text: T("Each line opens the span that wrote it. Dimmed lines are work the " +
                                     "seed's log does not show (the email worker).") }),
    el("ol", { class: "log" }, items));
}

function analysisPanel(trace, named) {
  const a = trace.analysis;
  if (!a) return null;
  const rows = [];
  const add = (term, cls, ...value) => rows.push(el("div", { class: cls }, el("dt", { text: term }), el("dd", {}, value)));
  add(T("Total latency"), null, ms(a.total_ms, 1));
  const slow = a.slowest_step;
  add(T("Slowest step"), null, serviceTitle(slow.service) + " (" + slow.name + ", " + ms(slow.duration_ms, 1) + ")");
  const most = a.most_self_time;
  add(T("Most own work"), null, T("{span} ({service}): {ms} ms outside its children",
                                  { span: most.name, service: most.service, ms: most.self_ms.toFixed(1) }));
  const services = Object.entries(a.services_ms);
  const top = Math.max(0.001, ...services.map(([, ms]) => ms));
  add(T("Own work per service"), null, el("ul", { class: "meters" }, services.map(([svc, ms]) => el("li", {},
    el("span", { class: "meter-name", text: svc }),
    el("span", { class: "meter" }, el("span", { style: "width:" + (ms / top) * 100 + "%;background:" + (COLOURS.get(svc) || "#888") })),
    el("span", { class: "meter-num", text: ms.toFixed(0) + " ms" })))));
  add(T("Critical path"), null, a.critical_path.join(" → "));
  if (a.failure) {
    const f = a.failure;
    add(T("Failure"), "bad", T("the trace shows the failure at {span} ({service}): {message}",
                               { span: f.span, service: f.service, message: f.message }) +
        (f.answers && f.answers.length ? T("; ") + f.answers.map(([span, code, message]) => code
          ? T("{span} answered {code}: {message}", { span, code, message })
          : T("{span} failed: {message}", { span, message })).join(T("; ")) : ""));
  }
  add(T("Suggestions"), null, a.suggestions.length
    ? el("ul", {}, a.suggestions.map((g) => el("li", { text: g.said || T("{kind}: {reason}: saves ~{ms} ms (--optimize {optimize})",
        { kind: g.kind, reason: g.reason, ms: g.saving_ms.toFixed(0), optimize: g.optimize }) })))
    : T("none"));
  return panel(T("Performance analysis") + (named ? T(": ") + trace.title : ""), "analysis-panel",
    el("dl", { class: "analysis" }, rows));
}

function comparePanel(view) {
  const c = DATA.compare;
  if (!c || view.traces.length < 2) return null;
  const b = c.baseline, o = c.optimised;
  const rows = [[T("root latency (ms)"), b.total_ms.toFixed(1), o.total_ms.toFixed(1), c.saving_ms.toFixed(1)],
                [T("predicted saving (ms)"), "", "", c.predicted_saving_ms.toFixed(1)],
                [T("critical path (spans)"), String(b.critical_path.length), String(o.critical_path.length), ""]];
  const names = Object.keys(b.services_ms).concat(Object.keys(o.services_ms).filter((s) => !own(b.services_ms, s)));
  for (const s of names) {
    const before = own(b.services_ms, s) ? b.services_ms[s] : 0;
    const after = own(o.services_ms, s) ? o.services_ms[s] : 0;
    rows.push([s + " (ms)", before.toFixed(1), after.toFixed(1), (before - after).toFixed(1)]);
  }
  return panel(T("Baseline vs --optimize {switches}", { switches: c.optimize.join(",") }), "compare-panel",
    el("table", { class: "compare" },
      el("thead", {}, el("tr", {}, ["", T("baseline"), T("optimised"), T("saving")].map((h) => el("th", { scope: "col", text: h })))),
      el("tbody", {}, rows.map((r) => el("tr", {}, r.map((v, i) => el(i ? "td" : "th", i ? { text: v } : { scope: "row", text: v })))))),
    el("p", { class: "hint", text: T("Predicted = the baseline analysis' savings added up. They interact: once Inventory " +
                                     "runs beside the slower Payment call, a cached stock read no longer shortens the response.") }));
}

// ---------------------------------------------------------------- load runs
function histogram(name, buckets, stats) {
  const W = 320, H = 120, L = 6, R = 6, TOP = 14, B = 18;
  const lo = Math.log(buckets[0][0]), hi = Math.log(buckets[buckets.length - 1][1]);
  const x = (v) => L + ((Math.log(Math.max(v, 1e-6)) - lo) / Math.max(hi - lo, 1e-9)) * (W - L - R);
  const most = Math.max(...buckets.map((b) => b[2]));
  const label = T("{name}: {count} spans, p50 {p50} ms, p95 {p95} ms, p99 {p99} ms, max {max} ms",
    { name, count: num(stats.count), p50: stats.p50.toFixed(1), p95: stats.p95.toFixed(1),
      p99: stats.p99.toFixed(1), max: stats.max.toFixed(1) });
  const root = svg("svg", { viewBox: "0 0 " + W + " " + H, role: "img", "aria-label": label, class: "hist" });
  root.append(svg("title", {}, label));
  for (const [a, b, n] of buckets) {
    const h = Math.max((n / most) * (H - TOP - B), 0.5);
    root.append(svg("rect", { x: x(a), y: H - B - h, width: Math.max(x(b) - x(a), 0.8), height: h, class: "hbar" }));
  }
  for (const q of ["p50", "p95", "p99"]) {
    const xq = x(stats[q]);
    root.append(svg("line", { x1: xq, x2: xq, y1: TOP - 2, y2: H - B, class: "q q-" + q }));
    root.append(svg("text", { x: xq, y: TOP - 4, class: "qlabel", "text-anchor": "middle" }, q));
  }
  root.append(svg("line", { x1: L, x2: W - R, y1: H - B, y2: H - B, class: "base" }));
  root.append(svg("text", { x: L, y: H - 4, class: "tick" }, buckets[0][0].toFixed(1) + " ms"));
  root.append(svg("text", { x: W - R, y: H - 4, class: "tick", "text-anchor": "end" }, stats.max.toFixed(1) + " ms"));
  return el("figure", { class: "chart" }, root,
    el("figcaption", {}, el("strong", { text: name }), " " + T("{count} spans, log-scale time axis",
                                                              { count: num(stats.count) })));
}

function loadSection() {
  const load = DATA.load;
  if (!load) return null;
  const s = load.summary, o = s.orders, sp = s.spans;
  const outcomes = T("{ok} ok, {out_of_stock} out of stock, {declined} declined",
    { ok: num(o.ok), out_of_stock: num(o.out_of_stock), declined: num(o.declined) }) +
    (o.errors ? T(", ") + T("{n} errors", { n: num(o.errors) }) : "") +
    (o.interrupted ? T(", ") + T("{n} interrupted", { n: num(o.interrupted) }) : "");
  const outcome = T("Orders: {total} in {seconds} s ({rate}/s): {outcomes}", { total: num(o.total),
    seconds: s.wall_s.toFixed(2), rate: num(Math.round(s.orders_per_s)), outcomes });
  // Every span counted once, where it happened (the summary's own fields; none is derived).
  const spans = s.export_destination === null
    ? T("Spans: {created} created, export off", { created: num(sp.created) })
    : T("Spans: {created} created = {exported} exported + {failed} failed + {unconfirmed} unconfirmed + " +
        "{abandoned} abandoned, to {destination}", { created: num(sp.created), exported: num(sp.exported),
        failed: num(sp.failed), unconfirmed: num(sp.unconfirmed), abandoned: num(sp.abandoned),
        destination: s.export_destination });
  const names = Object.keys(s.latency_ms);
  const rows = names.map((n) => { const r = s.latency_ms[n];
    return el("tr", {}, el("th", { scope: "row", text: n }),
      [num(r.count), r.p50.toFixed(1), r.p95.toFixed(1), r.p99.toFixed(1), r.max.toFixed(1)].map((v) => el("td", { text: v }))); });
  return el("section", { class: "load" }, el("h2", { text: T("Load run") }),
    el("p", { class: "outcomes", text: outcome }), el("p", { class: "spans", text: spans }),
    el("table", { class: "latency" }, el("caption", { text: T("Latency per span (ms)") }),
      el("thead", {}, el("tr", {}, [T("span"), T("count"), "p50", "p95", "p99", "max"].map((h) => el("th", { scope: "col", text: h })))),
      el("tbody", {}, rows)),
    el("div", { class: "charts" }, names.filter((n) => own(load.histograms, n) && load.histograms[n].length)
      .map((n) => histogram(n, load.histograms[n], s.latency_ms[n]))));
}

// ---------------------------------------------------------------- OTLP metrics
const attrText = (pairs) => pairs.map(([k, v]) => k + "=" + fmtValue(v)).join(", ");

// An explicit-bucket histogram as the SDK exported it: one bar per bucket, in order.
function metricChart(m) {
  const W = 320, H = 120, L = 6, R = 6, T = 8, B = 18;
  const counts = m.hist.counts, bounds = m.hist.bounds;
  const most = Math.max(1, ...counts);
  const step = (W - L - R) / Math.max(1, counts.length);
  const mean = m.hist.count ? m.hist.sum / m.hist.count : 0;
  const where = m.service + (m.attrs.length ? " {" + attrText(m.attrs) + "}" : "");
  const label = m.name + " (" + m.unit + ") " + where + ": " + num(m.hist.count) + " measurements, mean " +
    mean.toPrecision(3) + " " + m.unit;
  const root = svg("svg", { viewBox: "0 0 " + W + " " + H, role: "img", "aria-label": label, class: "hist" });
  root.append(svg("title", {}, label));
  counts.forEach((n, i) => {
    const h = n ? Math.max((n / most) * (H - T - B), 0.5) : 0;
    const range = (i ? bounds[i - 1] : "-∞") + " to " + (i < bounds.length ? bounds[i] : "+∞") + " " + m.unit;
    const bar = svg("rect", { x: L + i * step, y: H - B - h, width: Math.max(step - 1, 0.8), height: h, class: "hbar" });
    bar.append(svg("title", {}, range + ": " + num(n)));
    root.append(bar);
  });
  root.append(svg("line", { x1: L, x2: W - R, y1: H - B, y2: H - B, class: "base" }));
  if (bounds.length) {
    root.append(svg("text", { x: L, y: H - 4, class: "tick" }, String(bounds[0])));
    root.append(svg("text", { x: W - R, y: H - 4, class: "tick", "text-anchor": "end" }, bounds[bounds.length - 1] + " " + m.unit));
  }
  const exemplars = m.exemplars.length ? el("ul", { class: "exemplars" }, m.exemplars.map((e) =>
    el("li", {}, fmtValue(e.value) + " " + m.unit + ": ", jumpButton(e.trace, e.span, "→")))) : null;
  return el("figure", { class: "chart metric", "data-metric": m.name },
    root, el("figcaption", {}, el("strong", { text: m.name }), " " + where + ": " + num(m.hist.count) +
      " measurements, mean " + mean.toPrecision(3) + " " + m.unit), exemplars);
}

function metricsSection() {
  const metrics = DATA.metrics || [];
  if (!metrics.length) return null;
  const values = metrics.filter((m) => !m.hist);
  const table = values.length ? el("table", { class: "metric-values" },
    el("caption", { text: "Counters and gauges" }),
    el("thead", {}, el("tr", {}, ["metric", "service", "attributes", "value"].map((h) => el("th", { scope: "col", text: h })))),
    el("tbody", {}, values.map((m) => el("tr", {}, el("th", { scope: "row", text: m.name + (m.unit ? " (" + m.unit + ")" : "") }),
      [m.service, attrText(m.attrs), m.value === null ? "?" : fmtValue(m.value)].map((v) => el("td", { text: v })))))) : null;
  return el("section", { class: "metrics" }, el("h2", { text: "Metrics" }),
    el("p", { class: "hint", text: "The OTLP metrics of the run, one chart per histogram stream " +
                                   "(metric, service, attributes); an exemplar opens the trace that fell into its bucket." }),
    el("div", { class: "charts" }, metrics.filter((m) => m.hist).map(metricChart)), table);
}

// ---------------------------------------------------------------- the page
function viewsNav() {
  if (DATA.views.length < 2) return null;
  return el("nav", { class: "views", "aria-label": T("Traces on this page") },
    el("h2", { text: DATA.load ? T("Sample traces") : T("Traces on this page ({n})", { n: DATA.views.length }) }),
    el("ol", {}, DATA.views.map((v, i) => el("li", {},
      el("button", { class: "view" + (i === state.view ? " current" : ""), "aria-current": i === state.view ? "true" : null,
                     "data-view": String(i), onclick: () => { state.view = i; state.focus = null; draw(); } },
        el("span", { class: "view-title", text: v.title }), v.note ? el("span", { class: "note", text: v.note }) : null)))));
}

function draw() {
  const y = window.scrollY;
  const view = DATA.views[state.view] || { title: "", traces: [], note: "" };
  const traces = view.traces.map((id) => TRACES.get(id)).filter(Boolean);
  const total = Math.max(1, ...traces.map((t) => t.end));  // one time axis for every trace shown
  const main = el("main", { class: "main" }, traces.length ? traces.map((t) => traceBlock(t, total))
    : el("p", { class: "none", text: T("No trace recorded (OTEL_SDK_DISABLED=true, or the trace was not sampled).") }));
  const side = el("aside", { class: "side" }, comparePanel(view),
    traces.map((t) => analysisPanel(t, traces.length > 1)), logPanel());
  const parts = [el("header", { class: "top" }, el("h1", { text: DATA.title }),
                   DATA.subtitle ? el("p", { class: "sub", text: DATA.subtitle }) : null),
                 loadSection(), metricsSection(), viewsNav(), el("div", { class: "layout" }, main, side)];
  document.getElementById("app").replaceChildren(...parts.filter(Boolean));
  window.scrollTo(0, y);
  const row = state.focus && Array.from(document.querySelectorAll(".span-row"))
    .find((r) => r.dataset.trace + ":" + r.dataset.span === state.focus);
  if (row) {
    row.focus({ preventScroll: true });
    row.scrollIntoView({ block: "nearest" });
  }
}

draw();
