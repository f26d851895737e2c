// The serve page, part 3 (after viewer.js and panels.js): buttons that place orders on
// this server and draw each order's trace with the same viewer as an --html page.
// Every click sends a W3C traceparent of its own (random ids from crypto.getRandomValues),
// as HotROD's front end does: the trace starts at the click, the gateway's SERVER span
// continues it, and the page checks that the span's parent is the click's span id.
// Requests go to this page's own origin only (the Content-Security-Policy allows no other).

const SERVE = DATA.serve;
const MAX_RECENT = 20;
const recent = [];  // the last orders placed, newest first
let current = null;

function randomHex(bytes) {
  const buf = new Uint8Array(bytes);
  do crypto.getRandomValues(buf); while (buf.every((b) => b === 0));  // all-zero ids are invalid
  return Array.from(buf, (b) => b.toString(16).padStart(2, "0")).join("");
}

function newTraceparent() {
  const traceId = randomHex(16), spanId = randomHex(8);
  return { traceId, spanId, header: "00-" + traceId + "-" + spanId + "-01" };
}

function switchedOn() {
  return Array.from(document.querySelectorAll(".switches input:checked")).map((i) => i.value);
}

// The fault the next order's world has ("none": the healthy world); the trace never says which.
function faultChosen() {
  const select = document.getElementById("fault");
  return select ? select.value : "none";
}

function orderUrl(optimize, fault) {
  const query = [optimize.length ? "optimize=" + optimize.join(",") : "",
                 fault !== "none" ? "fault=" + encodeURIComponent(fault) : ""].filter(Boolean);
  return "/api/orders" + (query.length ? "?" + query.join("&") : "");
}

async function place(scenario) {
  const sent = newTraceparent();
  const optimize = switchedOn();
  const fault = faultChosen();
  const entry = { scenario, sent, optimize, fault, status: 0, statusText: "", body: null, ms: 0,
                  traceId: null, reply: null };
  renderOutcome({ pending: T("Placing an order ({scenario})…", { scenario: T(scenario.label) }) });
  const started = performance.now();
  try {
    const response = await fetch(orderUrl(optimize, fault), {
      method: "POST", headers: { "content-type": "application/json", traceparent: sent.header },
      body: JSON.stringify(scenario.body) });
    entry.ms = performance.now() - started;
    entry.status = response.status;
    entry.statusText = response.statusText;
    entry.body = await response.json();
    const parts = (response.headers.get("traceresponse") || "").split("-");
    entry.traceId = parts.length === 4 ? parts[1] : null;
  } catch (error) {
    renderOutcome({ failed: T("The server did not answer: {error}", { error: error.message }) });
    return;
  }
  recent.unshift(entry);
  recent.length = Math.min(recent.length, MAX_RECENT);
  await openOrder(entry);
}

// The trace as the server recorded it (kept as text: each opening indexes a fresh copy).
async function openOrder(entry) {
  if (entry.reply === null && entry.traceId) {
    try {
      const response = await fetch("/api/traces/" + entry.traceId);
      entry.reply = response.ok ? await response.text() : "";
    } catch (error) {
      entry.reply = "";
    }
  }
  current = entry;
  const reply = entry.reply ? JSON.parse(entry.reply) : null;
  renderOutcome(entry, reply);
  renderRecent();
  const app = document.getElementById("app");
  app.hidden = !reply;
  if (!reply) return;
  DATA = reply.page;
  state.view = 0;
  state.open.clear();
  state.collapsed.clear();
  state.focus = null;
  indexTraces();
  draw();
}

function orderRoot(reply, traceId) {
  const trace = reply.page.traces.find((t) => t.id === traceId);
  if (!trace) return null;
  const ids = new Set(trace.spans.map((s) => s.id));
  return trace.spans.find((s) => !s.parent || !ids.has(s.parent)) || null;
}

function summary(entry) {
  const b = entry.body || {};
  const what = b.transaction_id ? T("transaction {id}", { id: b.transaction_id }) : b.error ? b.error + ": " + (b.message || "") : "";
  return [entry.status + " " + entry.statusText, b.order_id, what, Math.round(entry.ms) + " ms",
          entry.optimize.length ? "--optimize " + entry.optimize.join(",") : "",
          entry.fault !== "none" ? "--fail " + entry.fault : ""].filter(Boolean).join(" · ");
}

function propagation(entry, reply) {
  const sent = entry.sent;
  const items = [el("span", { text: T("This click sent") + " " }),
                 el("code", { class: "sent", text: "traceparent: " + sent.header }), T(". ")];
  const root = reply ? orderRoot(reply, entry.traceId) : null;
  if (!root) {
    items.push(el("span", { text: entry.traceId ? T("The server kept no trace of it (not sampled, or no longer kept).")
                                                : T("The server answered without a trace.") }));
    return items;
  }
  const same = entry.traceId === sent.traceId && root.parent === sent.spanId;
  items.push(el("span", { text: T("The gateway's SERVER span {span} ({id}) is in trace {trace} and its parent is " +
                                   "{parent}: ", { span: root.name, id: root.id, trace: entry.traceId,
                                                   parent: root.parent || T("none") }) }),
             el("span", { class: same ? "ok parent-check" : "bad parent-check",
                          text: same ? T("this click's span id, the trace starts in the browser ✓")
                                     : T("not this click's span ({span})", { span: sent.spanId }) }));
  if (reply.jaeger) {
    items.push(" ", el("a", { href: reply.jaeger, target: "_blank", rel: "noopener noreferrer", class: "jaeger",
                              text: T("Open in Jaeger") }));
  }
  return items;
}

function renderOutcome(entry, reply) {
  const outcome = document.getElementById("outcome");
  const line = document.getElementById("propagation");
  if (entry.pending || entry.failed) {
    outcome.className = "outcome " + (entry.pending ? "pending" : "bad");
    outcome.textContent = entry.pending || entry.failed;
    line.replaceChildren();
    return;
  }
  outcome.className = "outcome" + (entry.status >= 400 ? " bad" : "");
  outcome.textContent = summary(entry);
  line.replaceChildren(...propagation(entry, reply));
}

function renderRecent() {
  const list = document.querySelector(".recent ol");
  list.replaceChildren(...recent.map((entry) => el("li", {},
    el("button", { class: (entry === current ? "current " : "") + (entry.status >= 400 ? "bad" : ""),
                   "aria-current": entry === current ? "true" : null, "data-trace": entry.traceId || "",
                   title: T("open the trace of {order}", { order: (entry.body || {}).order_id || T("this order") }),
                   onclick: () => openOrder(entry) },
      [(entry.body || {}).order_id || "?", String(entry.status), T(entry.scenario.label),
       entry.optimize.join(","), entry.fault !== "none" ? entry.fault : ""].filter(Boolean).join(" · ")))));
  document.querySelector(".recent").hidden = !recent.length;
}

function controls() {
  // Above the viewer's #app, which stays hidden until the first order's trace is in.
  const app = document.getElementById("app");
  app.hidden = true;
  const header = el("header", { class: "serve-top", id: "serve" });
  app.before(header);
  header.replaceChildren(
    el("h1", { text: "ordertrace serve" }),
    el("p", { class: "sub", text: T("Each click places a real order on this server (POST /api/orders): API Gateway → " +
                                     "Order Service → Inventory, Payment, Notification. The failures come from the " +
                                     "world's state: item {item} is sold out, card {card} has no limit.",
                                     { item: SERVE.scenarios[1].body.item_id, card: SERVE.scenarios[2].body.user_id }) }),
    el("div", { class: "controls" },
      el("div", { class: "scenarios", role: "group", "aria-label": T("Place an order") },
        SERVE.scenarios.map((s) => el("button", { class: "scenario" + (s.fails ? " fails" : ""), "data-scenario": s.name,
                                                  onclick: () => place(s) }, T(s.label)))),
      el("fieldset", { class: "switches" }, el("legend", { text: T("Optimisations (next order)") }),
        SERVE.optimizations.map((name) => el("label", {},
          el("input", { type: "checkbox", name: "optimize", value: name }), " " + name))),
      el("label", { class: "fault" }, "Fault in the world (next order) ",
        el("select", { id: "fault", name: "fault" },
          el("option", { value: "none", text: "none" }),
          SERVE.faults.map((f) => el("option", { value: f.name, title: f.description, text: f.name }))))),
    el("p", { id: "outcome", class: "outcome pending", role: "status", "aria-live": "polite",
              text: SERVE.served ? T("No order placed from this page yet; the server has answered {n} orders " +
                                     "(curl, other tabs): click a button to place one and see its trace.",
                                     { n: SERVE.served.toLocaleString("en-US") })
                                 : T("No order placed yet: click a button.") }),
    el("p", { id: "propagation", class: "propagation" }),
    el("nav", { class: "recent", "aria-label": T("Last orders"), hidden: true },
      el("h2", { text: T("Last orders (newest first; click to reopen)") }), el("ol", {})));
}

controls();
