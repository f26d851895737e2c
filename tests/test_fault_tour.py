"""Every fault of the catalogue has its row in the README's tour, in English and Chinese,
with the command ``main.py faults`` prints for it; the command runs and shows that fault."""
from __future__ import annotations

import json
import shlex

import pytest
from test_tour import READMES, commands

from conftest import run_main
from simulate.runs.faults import try_command
from simulate.world.scenarios import FAILURES, SCENARIOS


@pytest.mark.parametrize("readme", READMES, ids=lambda p: p.name)
def test_every_fault_has_its_tour_row(readme):
    listed = commands(readme)
    for name in FAILURES:
        shows = [c for c in listed if f"--fail {name}" in c or f"--failure-rate {name}=" in c]
        assert shows, f"{readme.name}: no tour row for {name}"
        if name not in ("inventory", "payment"):  # the seed's two keep their rows as they were
            assert try_command(name) in listed, (readme.name, name)


@pytest.mark.parametrize("name", FAILURES)
def test_the_rows_command_runs_and_shows_the_fault(name):
    args = shlex.split(try_command(name))[2:]
    if SCENARIOS[name].needs_load:
        result = run_main(*args, "--no-export", "--json")
        assert result.returncode == 0, result.stderr
        p50 = {name: row["p50"] for name, row in json.loads(result.stdout)["latency_ms"].items()}
        assert p50["save-order"] > 2 * 25  # the wait before the query, under load
        assert p50["db.query (INSERT orders)"] == pytest.approx(15, rel=0.02)
        return
    result = run_main(*args, "--no-export", "--json")
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout)["diagnosis"]
    assert (found["fault"], found["service"]) == (name, SCENARIOS[name].service)


def test_faults_lists_every_entry_with_its_command_in_both_languages():
    for lang in ("en", "zh"):
        result = run_main("faults", "--lang", lang)
        assert result.returncode == 0, result.stderr
        for name in FAILURES:
            assert f"{name}  ({SCENARIOS[name].service}" in result.stdout
            assert try_command(name) in result.stdout
    assert "模拟世界：" in result.stdout and "要点：" in result.stdout
