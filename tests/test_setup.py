"""A newcomer's set-up: the README's two commands, and what the test command does on a
machine without Chromium (skips, one line each) and in CI (.ci/run: a missing browser fails)."""
from __future__ import annotations

import re
import subprocess
import sys

from conftest import ROOT, clean_env

READMES = [ROOT / "README.md", ROOT / "README.zh-CN.md"]
BROWSER_TEST = "tests/test_page.py::test_the_seed_tree_with_its_durations"


def setup_commands(readme) -> list[str]:
    """The indented commands that create the virtual environment."""
    return [line.strip() for line in readme.read_text(encoding="utf-8").splitlines()
            if line.startswith("    python3 -m venv")]


def test_the_set_up_activates_the_environment_every_later_example_runs_in():
    for readme in READMES:
        install, tests = setup_commands(readme)
        for command in (install, tests):
            steps = [step.strip() for step in command.split("&&")]
            assert steps[:2] == ["python3 -m venv .venv", ". .venv/bin/activate"], readme.name
            # after activation, plain `python`/`pip` are the environment's
            assert all(re.match(r"(pip|python) ", step) for step in steps[2:]), command
        assert install.split("&&")[-1].strip().startswith("python main.py")
        assert tests.endswith("python -m pytest -q")
        # and a new terminal is told to activate it again
        assert ". .venv/bin/activate" in readme.read_text(encoding="utf-8").split(install)[1][:400]


def test_ci_requires_the_browser_and_runs_the_readme_test_command():
    ci = (ROOT / ".ci/run").read_text(encoding="utf-8")
    require = ci.index("export ORDERTRACE_REQUIRE_BROWSER=1")
    assert require < ci.index(".venv/bin/python -m pytest -q")
    assert "apt-get install" in ci and "chromium-driver" in ci


def pytest_without_chromium(tmp_path, **env: str) -> subprocess.CompletedProcess:
    """One browser test, run as the README says, with a PATH that holds no Chromium."""
    environment = clean_env({"PATH": str(tmp_path), **env})
    if "ORDERTRACE_REQUIRE_BROWSER" not in env:  # .ci/run exports it: a newcomer has none
        environment.pop("ORDERTRACE_REQUIRE_BROWSER", None)
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-rs", "-p", "no:cacheprovider",
                           BROWSER_TEST], cwd=ROOT, capture_output=True, text=True, timeout=120,
                          env=environment)


def test_without_chromium_the_browser_tests_skip_with_one_line(tmp_path):
    result = pytest_without_chromium(tmp_path)
    assert result.returncode == 0, result.stdout
    assert "1 skipped" in result.stdout
    reasons = [line for line in result.stdout.splitlines() if line.startswith("SKIPPED")]
    assert len(reasons) == 1 and "no chromium and chromedriver on PATH" in reasons[0]
    assert "Traceback" not in result.stdout and "selenium" not in result.stdout.lower()


def test_ci_turns_a_missing_browser_into_a_failure(tmp_path):
    result = pytest_without_chromium(tmp_path, ORDERTRACE_REQUIRE_BROWSER="1")
    assert result.returncode == 1, result.stdout
    assert "ORDERTRACE_REQUIRE_BROWSER=1 but no chromium" in result.stdout
    assert "skipped" not in result.stdout
