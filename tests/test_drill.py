"""``main.py drill``: the seed decides the fault, the answer decides the exit status (0 right,
1 wrong, 2 bad input), and the evidence shown is what the diagnosis found in the spans."""
from __future__ import annotations

import io
import re
from collections import Counter

import pytest
from rich.console import Console

from conftest import run_main
from simulate.config import RunConfig
from simulate.report.incident import diagnose
from simulate.runs.drill import _exercise, ask, parse_answer, pick
from simulate.tracing.sampling import resolve_sampler
from simulate.tracing.settings import resolve
from simulate.world.clock import StopFlag
from simulate.world.scenarios import FAILURES, SCENARIOS

QUIET = Console(file=io.StringIO())


def test_the_same_seed_is_the_same_drill_and_every_fault_can_come_up():
    assert pick(7, 2) == pick(7, 2)
    seen = {level: Counter(pick(seed, level).fault for seed in range(300)) for level in (1, 2, 3)}
    assert set(seen[3]) == {*FAILURES, "none"}
    assert set(seen[1]) == set(seen[2]) == {n for n in FAILURES if not SCENARIOS[n].needs_load} | {"none"}
    assert pick(5, 1).jitter == 0 and pick(5, 2).jitter > 0 and pick(5, 3).concurrency > 1


@pytest.mark.parametrize("level", [1, 2, 3])
def test_the_diagnosis_finds_the_hidden_fault_at_every_level(level):
    config = RunConfig(export=resolve("none", None), sampler=resolve_sampler(), speed=0)
    for seed in range(12):
        drill = pick(seed, level)
        spans = _exercise(drill, config, StopFlag(), QUIET, QUIET, None)
        assert diagnose(spans).answer == drill.answer, (level, seed, drill)


def _reveal(seed: int, level: int = 1) -> str:
    result = run_main("drill", "--seed", str(seed), "--level", str(level), "--reveal", "--no-export")
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_reveal_then_answer_right_and_wrong():
    seed = next(s for s in range(50) if pick(s, 1).fault == "slow-query")
    assert _reveal(seed) == "inventory-service:slow-query"
    right = run_main("drill", "--seed", str(seed), "--answer", "inventory-service:slow-query",
                     "--no-export")
    assert right.returncode == 0, right.stderr
    assert "Right: inventory-service:slow-query" in right.stdout
    assert re.search(r"db\.query \(SELECT inventory\) took \d+ ms; it typically takes 15 ms "
                     r"\[[0-9a-f]{16}\]", right.stdout)
    wrong = run_main("drill", "--seed", str(seed), "--answer", "order-service:db-lock", "--no-export")
    assert wrong.returncode == 1
    assert "it was inventory-service:slow-query" in wrong.stdout
    assert "Click db.query" in wrong.stdout  # what a good investigation would have clicked


def test_a_drill_with_nothing_wrong_reveals_none_and_in_chinese_too(tmp_path):
    seed = next(s for s in range(50) if pick(s, 1).fault == "none")
    assert _reveal(seed) == "none"
    page = tmp_path / "drill.html"
    result = run_main("drill", "--seed", str(seed), "--answer", "none", "--no-export", "--lang", "zh",
                      "--html", str(page))
    assert result.returncode == 0, result.stderr
    assert "答对了" in result.stdout and page.read_text(encoding="utf-8").count('"order 1"') == 1


@pytest.mark.parametrize("args,message", [
    (("--answer", "inventory:slow-query"), "argument --answer: expected SERVICE:FAULT"),
    (("--answer", "inventory-service:slowness"), "argument --answer"),
    (("--answer", "none", "--reveal"), "not allowed with --answer"),
    (("--level", "4", "--reveal"), "argument --level"),
    ((), "no terminal to ask on"),
])
def test_bad_input_is_one_line_and_exit_2(args, message):
    result = run_main("drill", "--seed", "1", "--no-export", *args)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    [line] = result.stderr.splitlines()
    assert message in line


def test_the_numbered_choice_on_a_terminal():
    answers = iter(["4", str(FAILURES.index("gateway-timeout") + 1)])
    assert ask(lambda _prompt: next(answers), QUIET) == "payment-service:gateway-timeout"
    assert ask(lambda _prompt: "0", QUIET) == "none"
    with pytest.raises(ValueError, match="expected a number from 0 to 5"):
        ask(lambda _prompt: "nine", QUIET)


def test_parse_answer_accepts_what_reveal_prints():
    for name in FAILURES:
        assert parse_answer(SCENARIOS[name].answer.upper()) == SCENARIOS[name].answer
    assert parse_answer(" None ") == "none"
