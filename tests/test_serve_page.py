"""The serve page in a real browser (headless Chromium, Selenium): a person clicks the
buttons of ``python main.py serve`` and watches each order's trace appear.

Every click sends its own traceparent; the page shows that the gateway's span
continues it.  The console stays clean (but for the browser's own note that the
server answered 402 / 409, which is the scenario) and every request goes to the
page's own origin.  A screenshot is left in out/serve.png.
"""
from __future__ import annotations

import re
import signal

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait
from test_page import SEED_TREE, details, ms, row, rows, tree

from conftest import ROOT, Running, free_port

OUT = ROOT / "out"


@pytest.fixture(scope="module")
def site():
    port = free_port()
    run = Running("serve", "--port", str(port), "--no-export")
    run.wait_for("listening")
    yield f"http://127.0.0.1:{port}"
    run.signal(signal.SIGINT)
    assert run.finish(30) == 130


@pytest.fixture(scope="module")
def page(browser, site):
    browser.get(site + "/")
    browser.get_log("browser")
    return browser


def recent(browser) -> list:
    return browser.find_elements(By.CSS_SELECTOR, ".recent li button")


def place(browser, scenario: str) -> str:
    """Click a scenario's button; wait for its trace on the page; return its trace id."""
    count = len(recent(browser))
    wait = WebDriverWait(browser, 10, poll_frequency=0.05)
    browser.find_element(By.CSS_SELECTOR, f"[data-scenario={scenario}]").click()
    wait.until(lambda b: len(recent(b)) == count + 1)
    trace_id = recent(browser)[0].get_attribute("data-trace")
    wait.until(lambda b: trace_id in b.find_element(By.CSS_SELECTOR, ".trace-head").text)
    return trace_id


def clean(browser, site: str, screenshot: str | None = None) -> None:
    """Nothing in the console but the browser's note of a 402/409 answer; requests only to
    the page's own origin."""
    for entry in browser.get_log("browser"):
        assert entry["source"] == "network" and re.search(r"status of (402|409)", entry["message"]), entry
    requested = browser.execute_script("return performance.getEntriesByType('resource').map(e => e.name)")
    assert requested and all(url.startswith(site + "/api/") for url in requested), requested
    if screenshot:
        OUT.mkdir(exist_ok=True)
        browser.execute_script("window.scrollTo(0, 0)")
        browser.save_screenshot(str(OUT / f"{screenshot}.png"))


def test_place_order_draws_the_seed_trace_that_starts_at_the_click(page, site):
    trace_id = place(page, "order")
    assert [name for name, _ in tree(page)] == [name for name, _ in SEED_TREE]
    for (name, got), (_, want) in zip(tree(page), SEED_TREE):
        assert got == pytest.approx(want, abs=5), name
    assert not page.find_elements(By.CSS_SELECTOR, ".span-row.error")
    outcome = page.find_element(By.ID, "outcome").text
    assert outcome.startswith("201 Created · order-") and "transaction txn-" in outcome
    # The click's traceparent: its trace id is the order's, its span id the root's parent.
    sent = page.find_element(By.CSS_SELECTOR, ".propagation .sent").text
    [sent_trace, sent_span] = re.fullmatch(r"traceparent: 00-(\w{32})-(\w{16})-01", sent).groups()
    assert sent_trace == trace_id
    assert "this click's span id" in page.find_element(By.CSS_SELECTOR, ".parent-check").text
    row(page, "POST /api/orders").click()
    assert re.search(rf"Parent\s*{sent_span}", details(page))  # the remote parent: the click
    log = page.find_element(By.CSS_SELECTOR, ".log").text
    assert "📥 [API Gateway] Received order request" in log and "✅ [API Gateway] Order created" in log
    assert "linked: process order-notifications" in page.find_element(By.CSS_SELECTOR, ".views").text
    clean(page, site, "serve-order")


def test_out_of_stock_shows_the_error_on_check_inventory(page, site):
    place(page, "inventory")
    assert page.find_element(By.ID, "outcome").text.startswith("409 Conflict")
    failed = row(page, "check-inventory")
    assert "error" in failed.get_attribute("class").split()
    failed.click()
    text = details(page)
    assert "OutOfStockError" in text and "ERROR: Out of stock: sku-0000 has 0" in text
    assert "exception.stacktrace" in text
    clean(page, site, "serve")


def test_payment_declined_then_a_switch_then_an_older_order_reopened(page, site):
    place(page, "payment")
    assert page.find_element(By.ID, "outcome").text.startswith("402 Payment Required")
    assert "error" in row(page, "process-payment").get_attribute("class").split()
    page.find_element(By.CSS_SELECTOR, ".switches input[value=parallel]").click()
    place(page, "order")
    assert "--optimize parallel" in page.find_element(By.ID, "outcome").text
    root = rows(page)[0].find_element(By.CSS_SELECTOR, ".dur").text
    assert ms(root) == pytest.approx(220, abs=10)  # Inventory beside Payment
    labels = [b.text for b in recent(page)]
    assert [label.split(" · ")[1] for label in labels[:4]] == ["201", "402", "409", "201"]  # newest first
    oldest = recent(page)[-1]
    oldest_trace = oldest.get_attribute("data-trace")
    oldest.click()
    assert oldest_trace in page.find_element(By.CSS_SELECTOR, ".trace-head").text
    assert len(rows(page)) == 10 and page.find_element(By.ID, "outcome").text.startswith("201 Created")
    clean(page, site)


def test_the_page_tells_of_orders_placed_elsewhere_and_speaks_chinese(browser):
    """After an order placed with curl, the page does not claim that none was placed; with
    --lang zh every word on it is Chinese (span names and the log stay as they are)."""
    import urllib.request

    port = free_port()
    run = Running("serve", "--port", str(port), "--no-export", "--lang", "zh")
    try:
        run.wait_for("127.0.0.1")
        site = f"http://127.0.0.1:{port}"
        browser.get(site + "/")
        assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "zh-CN"
        assert browser.find_element(By.ID, "outcome").text == "还没有下单：点击一个按钮。"
        labels = [b.text for b in browser.find_elements(By.CSS_SELECTOR, ".scenario")]
        assert labels == ["下单", "库存不足", "支付被拒"]
        request = urllib.request.Request(site + "/api/orders", data=b"{}", method="POST",
                                         headers={"content-type": "application/json"})
        with urllib.request.urlopen(request, timeout=10) as answer:
            assert answer.status == 201
        browser.get(site + "/")
        assert "服务器已经处理了 1 个订单" in browser.find_element(By.ID, "outcome").text
        place(browser, "payment")
        analysis = browser.find_element(By.CSS_SELECTOR, ".analysis-panel").text
        assert "性能分析" in analysis and "authorize-payment 返回 402：" in analysis
        assert "日志" in browser.find_element(By.CSS_SELECTOR, ".log-panel h2").text
        assert "📥 [API Gateway] Received order request" in browser.find_element(By.CSS_SELECTOR, ".log").text
    finally:
        run.signal(signal.SIGINT)
        assert run.finish(30) == 130
