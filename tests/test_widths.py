"""The terminal view, the analysis and every wrapped line, measured in terminal cells (a CJK
character takes two): at 60, 80 and 120 columns, in a pipe, in English and in Chinese, no
line is wider than the terminal, none ends in blanks, and nothing is cut."""
from __future__ import annotations

import re

import pytest
from rich.cells import cell_len
from test_i18n import LOG_LINE

from conftest import run_main

SPANS = {"POST /api/orders", "create-order", "validate-order", "check-inventory", "db.query",
         "process-payment", "authorize-payment", "save-order", "send-notification"}
SERVICES = {"api-gateway", "order-service", "inventory-service", "payment-service",
            "notification-service"}
RUNS = {
    "payment": ("--fail", "payment"),
    "inventory": ("--fail", "inventory", "--optimize", "parallel"),
    "async": ("--optimize", "async"),
}


def run(width: int, lang: str, scenario: str) -> list[str]:
    result = run_main("--lang", lang, "--no-export", "--speed", "0", *RUNS[scenario],
                      env={"COLUMNS": str(width)})
    assert result.returncode == 0, result.stderr
    return (result.stdout + result.stderr).splitlines()


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("width", [60, 80, 120])
@pytest.mark.parametrize("scenario", list(RUNS))
def test_no_line_is_wider_than_the_terminal_and_nothing_is_cut(width, lang, scenario):
    lines = run(width, lang, scenario)
    for line in lines:
        if LOG_LINE.match(line):
            continue  # the seed's log line, as it is: a terminal folds a long one itself
        assert cell_len(line) <= width, f"{cell_len(line)} cells: {line!r}"
        assert line == line.rstrip(), f"trailing blanks: {line!r}"
        assert "…" not in line, f"cut: {line!r}"
    text = "\n".join(lines)
    # every span of the tree whole, with its duration; the failed ones keep their red ✗
    tree = [re.search(r"([\w./ -]+?) \((\d+)ms\)( ✗)?", line) for line in lines]
    names = {m.group(1).split("─ ")[-1].strip() for m in tree if m}
    assert SPANS - {"save-order", "send-notification"} <= names, names
    failed = {m.group(1).split("─ ")[-1].strip() for m in tree if m and m.group(3)}
    if scenario == "payment":
        assert failed == {"create-order", "process-payment", "authorize-payment"}
    if scenario == "inventory":
        assert {"create-order", "check-inventory"} <= failed
    for service in SERVICES - ({"notification-service"} if scenario != "async" else set()):
        assert re.search(rf"(^|\s){service}(\s|$)", text), service
    # suggestions: a bullet never stands alone, a line never starts with closing punctuation
    for line in lines:
        assert line.strip() != "•"
        assert not re.match(r"\s*[，。、：；）]", line), line


@pytest.mark.parametrize("width", [60, 80])
def test_the_linked_trace_line_fits_in_a_pipe_with_its_trace_id_whole(width):
    lines = run(width, "en", "async")
    at = lines.index("Linked traces (follow the link in Jaeger)")
    linked = "\n".join(lines[at + 1:at + 4])
    assert re.search(r"\btrace [0-9a-f]{32}\b|\n\s+[0-9a-f]{32},", linked), linked
    assert all(cell_len(line) <= width for line in lines[at:at + 4])


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("width", [60, 80, 120])
def test_on_a_terminal_the_failed_spans_are_red_with_their_mark(width, lang):
    """A real colour terminal of each width: every failed span's row is red, name, duration
    and ✗ whole, and no line is wider than the terminal."""
    import io

    from rich.console import Console

    from conftest import run_flow
    from simulate import i18n
    from simulate.report.records import from_readable
    from simulate.report.view import render

    spans = from_readable(run_flow("payment").spans)
    stream = io.StringIO()
    console = Console(file=stream, width=width, force_terminal=True, color_system="standard")
    i18n.use(lang)
    try:
        render(spans, console)
    finally:
        i18n.use("en")
    def plain(line: str) -> str:
        return re.sub(r"\x1b\[[0-9;]*m", "", line)

    lines = stream.getvalue().splitlines()
    for name in ("create-order", "process-payment", "authorize-payment"):
        [row] = [line for line in lines if f"─ {name} (" in plain(line)]
        assert re.search(rf"\x1b\[31m{name} \(\d+ms\) ✗", row), row  # red, whole, marked
    assert all(cell_len(plain(line)) <= width for line in lines)


def test_wrapping_follows_the_chinese_line_breaking_rules():
    from simulate.report.cells import wrap

    text = "• 并行执行 Inventory 和 Payment 检查：check-inventory（inventory-service）和 " \
           "process-payment（payment-service）依次执行：约节省 30 ms（--optimize parallel）"
    for width in (24, 30, 44, 60):  # the longest unbreakable piece, "（inventory-service）", fits
        lines = wrap(text, width, "  ")
        assert all(cell_len(line) <= width for line in lines), (width, lines)
        assert all(not re.match(r"\s*[，。、：；）]", line) for line in lines)  # no line opens with these
        assert all(not line.rstrip().endswith("（") for line in lines)  # nor ends with this
        joined = "".join(line.strip() for line in lines)
        for word in ("check-inventory", "inventory-service", "process-payment", "--optimize"):
            assert word in joined  # a Latin word is never cut
        assert not any(line.rstrip().endswith(" 30") for line in lines)  # "30 ms" stays together
    assert wrap("a " + "x" * 50, 20) == ["a", "x" * 50]  # too long for any line: whole, alone
