"""--lang zh: every message around the seed's emoji log has a Chinese translation, the
shipped catalog is the compiled .po, and a Chinese run prints no untranslated prose."""
from __future__ import annotations

import ast
import gettext
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
                  r"insufficient funds|authorize-payment answered 402|"
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
