"""The trace page in a real browser (headless Chromium from Debian, driven by Selenium):
what a person sees and clicks, opened from file:// exactly as a user opens it.

Every page is made by the command a user types; every test checks that the console
stayed clean and that no request left the page, and saves a screenshot under out/.
"""
from __future__ import annotations

import json
import re

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from conftest import ROOT, run_flow, run_main, viewport
from otlp_signals import LOG_LINES, json_line, logs_request, metrics_request
from simulate.tracing.otlp_file import to_json_line

OUT = ROOT / "out"
SEED_TREE = [("POST /api/orders", 250), ("create-order", 230), ("validate-order", 20),
             ("check-inventory", 30), ("db.query", 15), ("process-payment", 50),
             ("authorize-payment", 30), ("save-order", 25), ("db.query", 15),
             ("send-notification", 10)]


SCENARIOS = {
    "order": ("--speed", "0"),
    "payment": ("--fail", "payment", "--speed", "0"),
    "compare": ("--optimize", "all", "--compare", "--speed", "0"),
    "load": ("--orders", "2000", "--speed", "0", "--jitter", "--failure-rate", "payment=0.1",
             "--seed", "1"),
}


@pytest.fixture(scope="module")
def page(tmp_path_factory):
    """``page(scenario, *more flags)``: the page of ``python main.py FLAGS --html FILE``,
    made once per scenario; returns its path and the run's output."""
    folder = tmp_path_factory.mktemp("pages")
    made: dict[str, tuple] = {}

    def make(name: str, *more: str):
        key = " ".join((name, *more))
        if key not in made:
            path = folder / f"{name}-{len(made)}.html"
            result = run_main(*SCENARIOS[name], *more, "--no-export", "--html", str(path))
            assert result.returncode == 0, result.stderr
            assert f"🌐 Trace page: {path}" in result.stdout
            made[key] = (path, result)
        return made[key]
    return make


def show(browser, made):
    """Open a page (a path, or what the ``page`` fixture made) as a user does: from file://."""
    path = made[0] if isinstance(made, tuple) else made
    browser.get(path.resolve().as_uri())
    browser.get_log("browser")  # what is left from the page before


def is_open(element) -> bool:
    return "open" in element.get_attribute("class").split()


def rows(browser):
    return browser.find_elements(By.CSS_SELECTOR, ".span-row")


def row(browser, name: str, nth: int = 0):
    return [r for r in rows(browser) if r.find_element(By.CSS_SELECTOR, ".name").text == name][nth]


def ms(text: str) -> float:
    value, unit = re.fullmatch(r"([\d.]+) (ms|s|µs)", text).groups()
    return float(value) * {"ms": 1, "s": 1000, "µs": 0.001}[unit]


def tree(browser) -> list[tuple[str, float]]:
    return [(r.find_element(By.CSS_SELECTOR, ".name").text,
             ms(r.find_element(By.CSS_SELECTOR, ".dur").text)) for r in rows(browser)]


def details(browser) -> str:
    return browser.find_element(By.CSS_SELECTOR, ".details").text


def clean(browser, screenshot: str | None = None) -> None:
    """No error or warning in the console, no request of any kind; then the screenshot
    (of the top of the page) for the README."""
    assert [e for e in browser.get_log("browser") if e["level"] != "INFO"] == []
    assert browser.execute_script(
        "return performance.getEntriesByType('resource').map(e => e.name)") == []
    if screenshot:
        OUT.mkdir(exist_ok=True)
        browser.execute_script("window.scrollTo(0, 0)")
        browser.save_screenshot(str(OUT / f"{screenshot}.png"))


def test_the_seed_tree_with_its_durations(browser, page):
    path, result = page("order")
    show(browser, path)
    seen = tree(browser)
    assert [name for name, _ in seen] == [name for name, _ in SEED_TREE]
    for (name, got), (_, want) in zip(seen, SEED_TREE):
        assert got == pytest.approx(want, abs=2), name
    assert not browser.find_elements(By.CSS_SELECTOR, ".span-row.error")
    trace_id = re.search(r"Trace ID: (\w+)", result.stdout).group(1)
    assert trace_id in browser.find_element(By.CSS_SELECTOR, ".trace-head").text
    assert "Performance analysis" in browser.find_element(By.CSS_SELECTOR, ".side").text
    clean(browser, "order")


def test_payment_failure_in_red_with_error_type_status_and_exception(browser, page):
    show(browser, page("payment"))
    failed = row(browser, "process-payment")
    assert "error" in failed.get_attribute("class").split()
    red, green, blue = map(int, re.findall(r"\d+", failed.find_element(
        By.CSS_SELECTOR, ".name").value_of_css_property("color"))[:3])
    assert red > 150 and green < 80 and blue < 80
    failed.click()
    text = details(browser)
    assert "error.type" in text and "PaymentDeclinedError" in text
    assert "ERROR: Payment declined: gateway answered 402" in text
    assert "exception" in text and "exception.stacktrace" in text
    assert "Traceback" in browser.find_element(By.CSS_SELECTOR, ".details pre").text
    clean(browser, "payment")
    row(browser, "authorize-payment").click()  # the Payment Gateway's response
    gateway = browser.find_elements(By.CSS_SELECTOR, ".details")[1].text
    assert re.search(r"http.response.status_code\s+402", gateway)
    assert re.search(r"payment.gateway.response_code\s+51", gateway)
    clean(browser)


def test_the_link_opens_the_consumer_trace_and_back(browser, page):
    show(browser, page("order"))
    row(browser, "send-notification").click()
    browser.find_element(By.CSS_SELECTOR, ".details .jump").click()
    assert [name for name, _ in tree(browser)] == ["process order-notifications"]
    consumer = row(browser, "process order-notifications")
    assert is_open(consumer)
    assert browser.switch_to.active_element == consumer
    assert "messaging.consumer.group.name" in details(browser)
    browser.find_element(By.CSS_SELECTOR, ".details .jump").click()  # the link, back
    assert len(rows(browser)) == 10
    assert is_open(row(browser, "send-notification"))
    clean(browser, "linked")


def test_log_lines_open_the_span_that_wrote_them(browser, page):
    show(browser, page("payment"))
    lines = browser.find_elements(By.CSS_SELECTOR, ".log .line")
    assert lines[0].text == "📥 [API Gateway] Received order request"
    [declined] = [line for line in lines if line.text == "❌ [Payment Service] Payment declined"]
    declined.click()
    assert is_open(row(browser, "process-payment"))
    clean(browser, "log")


def test_keyboard_tab_to_a_span_and_enter_opens_it(browser, page):
    show(browser, page("payment"))
    body = browser.find_element(By.TAG_NAME, "body")
    body.send_keys(Keys.TAB)
    for _ in range(10):
        if "span-row" in (browser.switch_to.active_element.get_attribute("class") or ""):
            break
        browser.switch_to.active_element.send_keys(Keys.TAB)
    for _ in range(5):  # POST, create-order, validate, check-inventory, db.query, process-payment
        browser.switch_to.active_element.send_keys(Keys.ARROW_DOWN)
    browser.switch_to.active_element.send_keys(Keys.ENTER)
    assert browser.switch_to.active_element == row(browser, "process-payment")
    assert "PaymentDeclinedError" in details(browser)
    browser.switch_to.active_element.send_keys(Keys.ARROW_LEFT)  # fold: its child hides
    assert "authorize-payment" not in [name for name, _ in tree(browser)]
    clean(browser, "keyboard")


def test_compare_draws_both_traces_on_one_time_axis_with_the_table(browser, page):
    show(browser, page("compare"))
    blocks = browser.find_elements(By.CSS_SELECTOR, ".trace")
    assert len(blocks) == 2
    ends = [b.find_elements(By.CSS_SELECTOR, ".axis .tick")[-1].text for b in blocks]
    assert ends[0] == ends[1] and ms(ends[0]) == pytest.approx(250, abs=2)
    roots = [ms(b.find_element(By.CSS_SELECTOR, ".span-row .dur").text) for b in blocks]
    assert roots[0] == pytest.approx(250, abs=2) and roots[1] == pytest.approx(210, abs=2)
    table = browser.find_element(By.CSS_SELECTOR, "table.compare").text
    assert "root latency (ms)" in table and "predicted saving (ms)" in table
    clean(browser, "compare")


def test_load_run_summary_histograms_and_sample_traces(browser, page):
    path, _ = page("load")
    assert path.stat().st_size < 400_000
    show(browser, path)
    summary = browser.find_element(By.CSS_SELECTOR, ".load").text
    assert "Orders: 2,000 in" in summary and "declined" in summary and "Spans: " in summary
    assert "NaN" not in summary and "undefined" not in summary
    assert len(browser.find_elements(By.CSS_SELECTOR, "svg.hist rect")) > 100
    # one chart per operation: 9 span names, db.query once per query (SELECT, INSERT)
    assert len(browser.find_elements(By.CSS_SELECTOR, ".load .charts svg.hist")) == 11
    # and the metrics the services recorded, as the SDK exported them, each with exemplars
    metrics = browser.find_elements(By.CSS_SELECTOR, ".metrics figure.metric")
    assert "http.server.request.duration" in {m.get_attribute("data-metric") for m in metrics}
    buttons = {b.text.split(":")[0]: b for b in browser.find_elements(By.CSS_SELECTOR, ".views .view")}
    assert {"slowest", "typical"} <= {r for label in buttons for r in label.split(", ")}
    [declined] = [b for label, b in buttons.items() if "first 402" in label]
    declined.click()
    assert "error" in row(browser, "process-payment").get_attribute("class").split()
    clean(browser, "load")


def test_show_draws_a_file_with_the_same_tree_as_the_run(browser, page, tmp_path):
    spans = tmp_path / "spans.jsonl"
    show(browser, page("order", "--output", str(spans)))
    from_run = tree(browser)
    result = run_main("show", str(spans), "--html", str(tmp_path / "show.html"), "--no-open")
    assert result.returncode == 0 and "🌐 Trace page:" in result.stdout
    show(browser, tmp_path / "show.html")
    assert tree(browser) == from_run
    # two traces in the file (the order and the email worker's): a list to choose from
    views = browser.find_elements(By.CSS_SELECTOR, ".views .view")
    assert [v.find_element(By.CSS_SELECTOR, ".view-title").text.rsplit(" ", 2)[0] for v in views] == [
        "POST /api/orders (api-gateway)", "process order-notifications (notification-service)"]
    views[1].click()
    assert [name for name, _ in tree(browser)] == ["process order-notifications"]
    clean(browser, "show")


def test_span_data_is_text_never_markup(browser, tmp_path):
    hostile = "<script>window.pwned=1</script>"
    attribute = '<img src=x onerror="window.pwned=2">'
    span = {"traceId": "0af7651916cd43dd8448eb211c80319c", "spanId": "b7ad6b7169203331",
            "name": hostile, "kind": 2, "startTimeUnixNano": "1700000000000000000",
            "endTimeUnixNano": "1700000000050000000",
            "attributes": [{"key": "note", "value": {"stringValue": attribute}}],
            "status": {"code": 2, "message": "</script><!-- <script>window.pwned=3</script>"}}
    request = {"resourceSpans": [{"resource": {"attributes": [
        {"key": "service.name", "value": {"stringValue": "<b>svc</b>"}}]},
        "scopeSpans": [{"scope": {"name": "x"}, "spans": [span]}]}]}
    source = tmp_path / "hostile.jsonl"
    source.write_text(json.dumps(request) + "\n")
    result = run_main("show", str(source), "--html", str(tmp_path / "hostile.html"))
    assert result.returncode == 0, result.stderr
    show(browser, tmp_path / "hostile.html")
    [only] = rows(browser)
    assert only.find_element(By.CSS_SELECTOR, ".name").text == hostile
    only.click()
    text = details(browser)
    assert attribute in text and "<b>svc</b>" in text and "</script><!--" in text
    assert browser.execute_script("return window.pwned === undefined")
    assert not browser.find_elements(By.CSS_SELECTOR, "img, b, .details script")
    clean(browser, "hostile")


def test_readable_in_a_narrow_window(browser, page):
    path, _ = page("payment")
    viewport(browser, 400, 800)
    try:
        show(browser, path)
        row(browser, "process-payment").click()
        overflow = browser.execute_script(
            "return document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 0
        assert all(r.find_element(By.CSS_SELECTOR, ".name").is_displayed() for r in rows(browser))
        clean(browser, "narrow")
    finally:
        viewport(browser, 1280, 800)


def test_a_one_order_page_is_small_and_self_contained(page):
    path, _ = page("order")
    html = path.read_text(encoding="utf-8")
    assert len(html.encode()) < 200_000
    assert not re.search(r"(?:src|href)=\"(?!data:)", html)  # nothing to fetch
    assert "Content-Security-Policy" in html and "default-src 'none'" in html


@pytest.mark.parametrize("args", [("--json", "--no-view"), ("--log-format", "json", "--no-view"),
                                  ("--orders", "20", "--json")])
def test_the_page_line_leaves_stdout_to_data(tmp_path, args):
    path = tmp_path / "page.html"
    result = run_main(*args, "--speed", "0", "--no-export", "--html", str(path))
    assert result.returncode == 0, result.stderr
    assert f"🌐 Trace page: {path}" in result.stderr and "Trace page" not in result.stdout
    for line in result.stdout.splitlines() if "--log-format" in args else [result.stdout]:
        json.loads(line)
    assert path.stat().st_size > 0


def test_open_without_html_writes_a_temporary_page(tmp_path):
    result = run_main("--speed", "0", "--no-export", "--no-view", "--open",
                      env={"BROWSER": "true", "TMPDIR": str(tmp_path)})  # `true URL` opens nothing
    assert result.returncode == 0, result.stderr
    [page] = tmp_path.glob("ordertrace-*.html")
    assert f"🌐 Trace page: {page}" in result.stdout


def test_show_lists_each_spans_log_records_and_draws_the_metric_histograms(browser, tmp_path):
    spans = run_flow().spans
    files = {"traces.jsonl": to_json_line(spans), "logs.jsonl": json_line(logs_request(spans)),
             "metrics.jsonl": json_line(metrics_request(spans))}
    for name, line in files.items():
        (tmp_path / name).write_text(line + "\n", encoding="utf-8")
    result = run_main("show", *(str(tmp_path / name) for name in files),
                      "--html", str(tmp_path / "signals.html"), "--no-open")
    assert result.returncode == 0, result.stderr
    show(browser, tmp_path / "signals.html")
    payment = row(browser, "process-payment")
    assert payment.find_element(By.CSS_SELECTOR, ".logs-badge").text == "≡ 2"
    assert not row(browser, "validate-order").find_elements(By.CSS_SELECTOR, ".logs-badge")
    payment.click()
    text = details(browser)
    assert "Log records (2)" in text
    for name, severity, body in LOG_LINES:
        assert (f"{severity} at +" in text and body in text) == (name == "process-payment")
    assert "order.id" in text
    [chart] = browser.find_elements(By.CSS_SELECTOR, ".metrics figure.metric")
    assert chart.get_attribute("data-metric") == "http.server.request.duration"
    assert "api-gateway" in chart.text and "1 measurements" in chart.text
    assert "orders" in browser.find_element(By.CSS_SELECTOR, "table.metric-values").text
    chart.find_element(By.CSS_SELECTOR, ".exemplars button.jump").click()  # a bucket leads to its trace
    assert is_open(row(browser, "POST /api/orders"))
    clean(browser, "signals")
def test_a_chinese_load_page_with_export_counts_every_span(browser, tmp_path):
    """Export on: the summary adds up the spans from the run's own counts (it used to read
    a field the data no longer has and say "NaN dropped"), in the reader's language."""
    from simulate.receiver import OtlpReceiver

    path = tmp_path / "load.html"
    with OtlpReceiver() as receiver:
        result = run_main("--lang", "zh", "--orders", "300", "--speed", "0", "--failure-rate",
                          "payment=0.2", "--seed", "2", "--endpoint", receiver.endpoint,
                          "--html", str(path))
        assert result.returncode == 0, result.stderr
    show(browser, path)
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "zh-CN"
    load = browser.find_element(By.CSS_SELECTOR, ".load").text
    assert "负载运行" in load and "NaN" not in load and "undefined" not in load
    created = re.search(r"共创建 ([\d,]+) 个 = 已导出 ([\d,]+) 个 \+ 失败 0 个 \+ 未确认 0 个 \+ 已放弃 0 个",
                        load)
    assert created and created.group(1) == created.group(2), load
    assert "样本追踪" in browser.find_element(By.CSS_SELECTOR, ".views").text
    clean(browser)
