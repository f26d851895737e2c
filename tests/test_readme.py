"""Every output example in README.md and README.zh-CN.md is what the program prints.

A ```text block that starts with ``$ python main.py ...`` is run (in virtual time,
``--speed 0``, whose timestamps are exactly a real-time run's; with a free local
port as the collector nobody listens on) and compared line by line.  Normalised on
both sides: trace ids, host:port, wall-clock seconds, rates and RSS.  A line
``...`` in a block stands for any number of lines.

    python tests/test_readme.py --update   rewrites blocks without "..." from real runs
"""
from __future__ import annotations

import re
import shlex
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from conftest import ROOT, free_port, run_main

READMES = [ROOT / "README.md", ROOT / "README.zh-CN.md"]
BLOCK = re.compile(r"```text\n\$ (python main\.py[^\n]*)\n(.*?)```", re.S)
VARYING = [
    (re.compile(r"\b[0-9a-f]{32}\b"), "<trace id>"),
    (re.compile(r"\b(?:localhost|127\.0\.0\.1):\d+"), "<host:port>"),
    (re.compile(r"[\d,]+(?:\.\d+)? s\b"), "<seconds> s"),
    (re.compile(r"\d[\d,]*(?:\.\d+)? 秒"), "<seconds> 秒"),
    (re.compile(r"[\d,]+(?:\.\d+)?/(?:s|秒)"), "<rate>/s"),
    (re.compile(r"[\d,]+ (?:spans/s|span/秒)"), "<rate> spans/s"),
    (re.compile(r"[\d, ]+ MB\b"), "<n> MB"),
]


def examples() -> list[tuple[Path, str, str]]:
    found = []
    for readme in READMES:
        for match in BLOCK.finditer(readme.read_text(encoding="utf-8")):
            found.append((readme, match.group(1), match.group(2)))
    return found


def run(command: str) -> list[str]:
    args = shlex.split(command)[2:]
    if "--speed" not in args:
        args += ["--speed", "0"]  # the same timestamps as real time, exactly
    env = {"COLUMNS": "80", "OTEL_EXPORTER_OTLP_ENDPOINT": f"http://127.0.0.1:{free_port()}"}
    result = run_main(*args, env=env, timeout=120)
    return (result.stdout + result.stderr).splitlines()


def normal(line: str) -> str:
    for pattern, replacement in VARYING:
        line = pattern.sub(replacement, line)
    return line.rstrip()


def matches(expected: list[str], actual: list[str]) -> str | None:
    """None if ``actual`` fits ``expected`` (with "..." lines as gaps), else the first miss."""
    want = [normal(line) for line in expected]
    got = [normal(line) for line in actual]
    while got and not got[-1]:
        got.pop()
    while want and not want[-1]:
        want.pop()
    segments, current = [], []
    for line in want:
        if line.strip().startswith("..."):
            segments.append(current)
            current = []
        else:
            current.append(line)
    segments.append(current)
    position = 0
    for i, segment in enumerate(segments):
        if not segment:
            continue
        first, last = i == 0, i == len(segments) - 1
        candidates = [0] if first else range(position, len(got) - len(segment) + 1)
        if last and len(segments) > 1 or last and first:
            candidates = [len(got) - len(segment)] if not first or len(segments) == 1 else candidates
        for start in candidates:
            if start >= position and got[start:start + len(segment)] == segment:
                position = start + len(segment)
                break
        else:
            return f"not found in order: {segment[0]!r}..."
    if len(segments) == 1 and position != len(got):
        return f"more output than the block shows, from: {got[position] if position < len(got) else ''!r}"
    return None


@pytest.mark.parametrize("readme,command,block", examples(),
                         ids=[f"{r.name}:{c[15:60]}" for r, c, _ in examples()])
def test_the_example_is_what_the_program_prints(readme, command, block):
    problem = matches(block.splitlines(), run(command))
    assert problem is None, f"{readme.name}: `{command}`: {problem}"


def test_both_readmes_show_the_same_examples():
    english = [c for r, c, _ in examples() if r.name == "README.md"]
    chinese = [c.replace(" --lang zh", "") for r, c, _ in examples() if r.name == "README.zh-CN.md"]
    assert english == chinese and english
    assert all("--lang zh" in c for r, c, _ in examples() if r.name == "README.zh-CN.md")


def update() -> None:
    for readme in READMES:
        text = readme.read_text(encoding="utf-8")

        def rewrite(match: re.Match[str], readme: Path = readme) -> str:
            command, block = match.group(1), match.group(2)
            if any(line.strip().startswith("...") for line in block.splitlines()):
                print(f"{readme.name}: `{command}` has '...': edit by hand; the output is:")
                print("\n".join(run(command)))
                return match.group(0)
            output = "\n".join(line.rstrip() for line in run(command)).rstrip()
            return f"```text\n$ {command}\n{output}\n```"

        readme.write_text(BLOCK.sub(rewrite, text), encoding="utf-8")


if __name__ == "__main__" and "--update" in sys.argv:
    update()
