"""--lang zh: every message around the seed's emoji log has a Chinese translation, the
shipped catalog is the compiled .po, and a Chinese run prints no untranslated prose."""
from __future__ import annotations

import ast
import gettext
import json
import re
from pathlib import Path

import pytest

from conftest import ROOT, free_port, run_main

PO = ROOT / "simulate/locale/zh_CN/LC_MESSAGES/ordertrace.po"
MO = PO.with_suffix(".mo")


def read_po(path: Path) -> dict[str, str]:
    """msgid -> msgstr, from the catalog's source."""
    entries: dict[str, str] = {}
    text = path.read_text(encoding="utf-8")
    for block in re.split(r"\n\s*\n", text):
        fields: dict[str, str] = {}
        current = None
        for line in block.splitlines():
            if line.startswith(("msgid ", "msgstr ")):
                current, _, rest = line.partition(" ")
                fields[current] = ast.literal_eval(rest)
            elif line.startswith('"') and current:
                fields[current] += ast.literal_eval(line)
        if fields.get("msgid"):
            entries[fields["msgid"]] = fields.get("msgstr", "")
    return entries


def marked_messages() -> set[str]:
    """Every literal passed to _() or N_() in the package."""
    found = set()
    for path in (ROOT / "simulate").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) \
                    and node.func.id in ("_", "N_") and node.args \
                    and isinstance(node.args[0], ast.Constant):
                found.add(node.args[0].value)
    return found


def test_every_message_has_a_chinese_translation():
    catalog = read_po(PO)
    missing = sorted(m for m in marked_messages() if not catalog.get(m))
    assert missing == [], f"run tools/update-catalogs and translate: {missing}"


def test_translations_keep_every_placeholder():
    for msgid, msgstr in read_po(PO).items():
        assert set(re.findall(r"\{(\w+)\}", msgid)) == set(re.findall(r"\{(\w+)\}", msgstr)), msgid


def test_the_shipped_mo_is_the_compiled_po():
    with MO.open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    catalog = read_po(PO)
    assert all(compiled.gettext(msgid) == msgstr for msgid, msgstr in catalog.items() if msgstr)


# What may stay English in a Chinese run: the seed's emoji log, and data from the trace
# (span, service and attribute names, status descriptions the services wrote).
DATA = re.compile(r"Payment declined: gateway answered 402, code 51 \(insufficient funds\)|"
                  r"Out of stock: sku-1001 has 0, 1 requested|Payment Gateway declined: 51 "
                  r"insufficient funds|"
                  r"neither uses the other's result|process order-notifications|POST /api/orders|"
                  r"--optimize [a-z,]+")
LOG_LINE = re.compile(r"^\s*\S+ \[(API Gateway|Order Service|Inventory Service|Payment Service|"
                      r"Payment Gateway|Database|Notification Service)\] ")
ENGLISH_PROSE = re.compile(r"\b[A-Za-z]{2,}(?:[ ,'][A-Za-z]{2,}){3,}\b")


def untranslated(text: str) -> list[str]:
    lines = [DATA.sub("", line) for line in text.splitlines() if not LOG_LINE.match(line)]
    return [line for line in lines if ENGLISH_PROSE.search(line)]


@pytest.mark.parametrize("args", [
    ("--no-export", "--speed", "0", "--fail", "payment"),
    ("--no-export", "--speed", "0", "--fail", "inventory", "--optimize", "parallel"),
    ("--no-export", "--speed", "0", "--optimize", "all", "--compare"),
    ("--speed", "0", "--no-view", "--endpoint", "http://127.0.0.1:{port}"),
    ("--orders", "300", "--speed", "0", "--failure-rate", "payment=0.2", "--no-export"),
    ("--orders", "300", "--speed", "0", "--endpoint", "http://127.0.0.1:{port}"),
    ("--speed", "nan",), ("--orders", "5", "--failure-rate", "cpu=1"),
])
def test_a_chinese_run_prints_no_untranslated_prose(args):
    args = tuple(a.format(port=free_port()) for a in args)
    result = run_main("--lang", "zh", *args)
    assert result.returncode in (0, 2, 3), result.stderr
    assert untranslated(result.stdout + result.stderr) == []
    assert re.search(r"[\u4e00-\u9fff]", result.stdout + result.stderr)  # it did speak Chinese


def test_the_checker_would_catch_an_untranslated_sentence():
    assert untranslated("性能分析\nthe trace shows the failure at x") != []


def test_lang_wins_over_the_environment_and_an_unknown_language_is_english():
    zh = run_main("--no-export", "--speed", "0", env={"LANG": "zh_CN.UTF-8"})
    assert "性能分析" in zh.stdout and "总延迟" in zh.stdout
    en = run_main("--no-export", "--speed", "0", "--lang", "en", env={"LANG": "zh_CN.UTF-8"})
    assert "Performance analysis" in en.stdout
    unknown = run_main("--no-export", "--speed", "0", "--lang", "xx")
    assert unknown.returncode == 0 and "Performance analysis" in unknown.stdout
    # The seed's log is the seed's, in every language.
    assert zh.stdout.splitlines()[0] == "📥 [API Gateway] Received order request"


def test_the_seeds_words_in_chinese():
    result = run_main("--lang", "zh", "--no-export", "--speed", "0", "--fail", "inventory")
    assert "追踪显示在 check-inventory span 失败" in result.stdout
    normal = run_main("--lang", "zh", "--no-export", "--speed", "0")
    normal.stdout = re.sub(r"\s+", " ", normal.stdout)  # the analysis wraps at 80 columns
    for words in ("性能分析", "总延迟", "最慢环节", "优化建议", "并行执行 Inventory 和 Payment 检查",
                  "使用缓存减少数据库查询"):
        assert words in normal.stdout, words
    async_ = run_main("--lang", "zh", "--no-export", "--speed", "0", "--optimize", "parallel")
    assert "异步发送通知" in re.sub(r"\s+", " ", async_.stdout)


def chinese(text: str) -> bool:
    return bool(re.search(r"[\u4e00-\u9fff]", text))


@pytest.mark.parametrize("command", [(), ("serve",), ("show",)])
def test_help_is_chinese_with_lang_zh_or_a_chinese_lang(command):
    by_flag = run_main(*command, "--lang", "zh", "--help", env={"COLUMNS": "80"})
    by_env = run_main(*command, "--help", env={"COLUMNS": "80", "LANG": "zh_CN.UTF-8"})
    assert by_flag.returncode == by_env.returncode == 0
    assert by_flag.stdout == by_env.stdout
    assert by_flag.stdout.startswith("用法：main.py") and "显示本帮助并退出" in by_flag.stdout
    assert untranslated(by_flag.stdout) == [], untranslated(by_flag.stdout)
    english = run_main(*command, "--help", env={"COLUMNS": "80"}).stdout
    assert english.startswith("usage: main.py") and not chinese(english)


@pytest.mark.parametrize("args,words", [
    (("--fail", "x"), "参数 --fail：无效的选项：'x'"),
    (("--orders", "ten"), "参数 --orders：无效的 int 值：'ten'"),
    (("--no-such-flag",), "无法识别的参数：--no-such-flag"),
    (("--orders", "1000000000000"), "应为 1 到 1,000,000,000 之间的数，实际为 1,000,000,000,000"),
    (("serve", "--port"), "参数 --port：需要一个值"),
    (("show",), "缺少必需的参数：FILE"),
])
def test_argparses_own_messages_in_chinese_one_line_exit_2(args, words):
    result = run_main(*args, env={"LANG": "zh_CN.UTF-8"})
    assert result.returncode == 2 and result.stdout == ""
    [line] = result.stderr.splitlines()
    assert words in line and line.endswith("（见 --help）"), line
    assert untranslated(line) == []


def test_ranges_are_written_out_in_both_languages():
    result = run_main("--orders", "0")
    assert "expected a number from 1 to 1,000,000,000, got 0" in result.stderr
    assert "e+" not in result.stderr


def test_the_chinese_page_says_its_language_and_its_words(tmp_path):
    page = tmp_path / "trace.html"
    result = run_main("--lang", "zh", "--no-export", "--speed", "0", "--fail", "payment",
                      "--html", str(page))
    assert result.returncode == 0
    text = page.read_text(encoding="utf-8")
    assert '<html lang="zh-CN">' in text and "请启用 JavaScript" in text
    words = json.loads(re.search(r'id="trace-data">(.*?)</script>', text).group(1))["words"]
    assert words["Performance analysis"] == "性能分析" and words["Log"] == "日志"
    english = tmp_path / "en.html"
    run_main("--no-export", "--speed", "0", "--html", str(english))
    assert '<html lang="en">' in english.read_text(encoding="utf-8")


def test_every_word_the_pages_say_is_in_the_catalog_and_translated():
    from simulate.report.page_words import LABELS, PAGE_WORDS

    said = set()
    string = r'"(?:[^"\\\n]|\\.)*"'
    for script in (ROOT / "simulate/report/page").glob("*.js"):
        for call in re.finditer(rf"\bT\(\s*({string}(?:\s*\+\s*{string})*)", script.read_text()):
            said.add("".join(ast.literal_eval(s) for s in re.findall(string, call.group(1))))
    assert said == set(PAGE_WORDS)
    catalog = read_po(PO)
    assert [w for w in (*PAGE_WORDS, *LABELS) if not catalog.get(w)] == []


def test_show_speaks_chinese_about_a_bad_file(tmp_path):
    bad = tmp_path / "spans.jsonl"
    bad.write_text("hello\n", encoding="utf-8")
    result = run_main("show", str(bad), "--lang", "zh")
    assert result.returncode == 2
    assert result.stderr.strip() == f"main.py: 错误：{bad}:1: 不是 JSON：Expecting value（见 --help）"
