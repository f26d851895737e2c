"""The README's guided tour cannot rot: every command runs, every code reference exists,
and the English and Chinese READMEs list the same commands."""
from __future__ import annotations

import importlib
import re
import shlex
import time
from pathlib import Path

import pytest

from conftest import ROOT, free_port, run_main

READMES = [ROOT / "README.md", ROOT / "README.zh-CN.md"]
TOUR = re.compile(r"<!-- tour -->(.*?)<!-- /tour -->", re.S)


def tour_rows(readme: Path) -> list[list[str]]:
    match = TOUR.search(readme.read_text(encoding="utf-8"))
    assert match, f"{readme.name} has no <!-- tour --> section"
    rows = [line for line in match.group(1).splitlines() if line.startswith("|")]
    cells = [[c.strip() for c in row.strip("|").split("|")] for row in rows[2:]]  # skip header
    assert cells, f"{readme.name}: empty tour"
    return cells


def commands(readme: Path) -> list[str]:
    found = []
    for row in tour_rows(readme):
        found += re.findall(r"`(python main\.py[^`]*)`", " ".join(row))
    return found


def code_refs(readme: Path) -> list[str]:
    refs = []
    for row in tour_rows(readme):
        refs += re.findall(r"`((?:simulate|main)[\w/]*\.py:[\w.]+)`", row[-1])
    return refs


def test_every_tour_row_names_a_command_and_code():
    for readme in READMES:
        for row in tour_rows(readme):
            assert re.search(r"`python main\.py", " ".join(row)), (readme.name, row)
            assert re.search(r"`simulate/[\w/]+\.py:\w", row[-1]), (readme.name, row)


def test_english_and_chinese_tours_list_the_same_commands_and_code():
    english, chinese = READMES
    assert commands(english) == commands(chinese)
    assert code_refs(english) == code_refs(chinese)


@pytest.mark.parametrize("ref", sorted(set(code_refs(READMES[0]))))
def test_every_code_reference_exists(ref):
    path, qualname = ref.split(":")
    assert (ROOT / path).is_file(), path
    module = importlib.import_module(path.removesuffix(".py").replace("/", "."))
    target = module
    for part in qualname.split("."):
        target = getattr(target, part)  # AttributeError = the tour names something gone


@pytest.mark.parametrize("command", sorted(set(commands(READMES[0]) + commands(READMES[1]))))
def test_every_tour_command_runs_without_a_collector(command):
    args = shlex.split(command)[2:]  # drop "python main.py"
    started = time.monotonic()
    # Nothing listens on this port: a command that exports still must succeed.
    result = run_main(*args, env={"OTEL_EXPORTER_OTLP_ENDPOINT": f"http://127.0.0.1:{free_port()}"},
                      timeout=120)
    exports = "--no-export" not in args and "--exporter" not in args
    assert result.returncode == (3 if exports else 0), result.stderr  # 3: not every span delivered
    assert "Traceback" not in result.stderr
    assert time.monotonic() - started < 60
