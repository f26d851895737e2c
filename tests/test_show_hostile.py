"""``show`` on hostile files (issue 20): each renders or is refused in one line, and never
leaves an empty page behind; every span is drawn or counted with why."""
from __future__ import annotations

import time

import pytest
from hostile_files import cycle, deep_json, deep_trace, duplicates, long_strings, many_traces
from selenium.webdriver.common.by import By

from conftest import run_main


def show(tmp_path, content: str, *more: str):
    source = tmp_path / "spans.json"
    source.write_text(content)
    page = tmp_path / "page.html"
    return run_main("show", str(source), "--html", str(page), *more), page


def one_line_refusal(result, page, *words: str) -> None:
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    [line] = result.stderr.splitlines()
    assert line.startswith("main.py: error: ") and all(w in line for w in words), line
    assert not page.exists()  # no empty page file left behind


def test_json_nested_100k_deep_is_refused_in_one_line(tmp_path):
    result, page = show(tmp_path, deep_json(100_000))
    one_line_refusal(result, page, "nested too deep")


def test_dev_zero_is_refused_at_the_size_limit(tmp_path):
    page = tmp_path / "page.html"
    started = time.monotonic()
    result = run_main("show", "/dev/zero", "--html", str(page), "--max-mb", "2")
    one_line_refusal(result, page, "larger than 2 MB")
    assert time.monotonic() - started < 20


def test_a_file_over_the_limit_is_refused_and_one_under_it_drawn(tmp_path):
    content = deep_trace(3)
    result, page = show(tmp_path, content, "--max-mb", str(len(content) / 2 / 2**20))
    one_line_refusal(result, page, "larger than")
    result, page = show(tmp_path, content, "--max-mb", "1")
    assert result.returncode == 0 and page.exists()


def drawn(browser, page):
    browser.get(page.resolve().as_uri())
    return browser.find_elements(By.CSS_SELECTOR, ".span-row")


def test_a_trace_1500_spans_deep_is_drawn_whole(browser, tmp_path):
    result, page = show(tmp_path, deep_trace(1500))
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    rows = drawn(browser, page)
    assert len(rows) == 1500
    assert rows[-1].get_attribute("aria-level") == "1500"
    assert "1500" in browser.find_element(By.CSS_SELECTOR, ".trace-head").text  # depth and spans


def test_a_parent_id_cycle_is_broken_and_every_span_drawn(browser, tmp_path):
    result, page = show(tmp_path, cycle())
    assert result.returncode == 0, result.stderr
    names = [r.find_element(By.CSS_SELECTOR, ".name").text for r in drawn(browser, page)]
    assert sorted(names) == ["cyc-a", "cyc-b", "cyc-c", "op-0", "op-1"]
    assert len(browser.find_elements(By.CSS_SELECTOR, ".span-row .cycle")) == 1
    assert "cycle" in browser.find_element(By.CSS_SELECTOR, ".problem").text


def test_duplicate_span_ids_are_counted_with_why(browser, tmp_path):
    result, page = show(tmp_path, duplicates())
    assert result.returncode == 0, result.stderr
    names = [r.find_element(By.CSS_SELECTOR, ".name").text for r in drawn(browser, page)]
    assert names == ["op-0", "twice"]
    problems = " ".join(p.text for p in browser.find_elements(By.CSS_SELECTOR, ".problem"))
    assert "1 span(s) appear again, identical" in problems
    assert "1 span(s) not drawn: their span id is already another span's" in problems


def test_megabyte_strings_are_cut_with_their_length_and_the_page_stays_light(browser, tmp_path):
    result, page = show(tmp_path, long_strings(1 << 20))
    assert result.returncode == 0, result.stderr
    assert page.stat().st_size < 200_000  # the 1 MB values are not on the page
    started = time.monotonic()
    [row] = drawn(browser, page)
    row.click()
    details = browser.find_element(By.CSS_SELECTOR, ".details").text
    assert time.monotonic() - started < 10
    assert "1,048,576 characters in all" in details


@pytest.mark.parametrize("encoding", ["cp1252", "ascii"])
def test_show_on_a_console_without_emoji(tmp_path, encoding):
    source = tmp_path / "spans.json"
    source.write_text(deep_trace(3))
    result = run_main("show", str(source), "--html", str(tmp_path / "p.html"),
                      env={"PYTHONIOENCODING": encoding})
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert "Trace page:" in result.stdout and "🌐" not in result.stdout


def test_a_file_of_many_traces_draws_the_first_thousand_and_counts_the_rest(tmp_path):
    result, page = show(tmp_path, many_traces(1_200))
    assert result.returncode == 0, result.stderr
    html = page.read_text(encoding="utf-8")
    assert "the first 1,000 traces are drawn, 200 more are not" in html
    assert html.count("\"title\":\"op-") == 2 * 1_000  # each trace drawn: its data and its view
