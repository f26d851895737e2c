"""Every output example in README.md and README.zh-CN.md is what the program prints.

A ```text block that starts with ``$ python main.py ...`` is run (in virtual time,
``--speed 0``, whose timestamps are exactly a real-time run's; with a free local
port as the collector nobody listens on) and compared line by line.  Normalised on
both sides: trace ids, host:port, wall-clock seconds, rates and RSS.  A line
``...`` in a block stands for any number of lines.

    python tests/test_readme.py --update   rewrites blocks without "..." from real runs
"""
from __future__ import annotations

import http.client
import json
import re
import shlex
import signal
import socket
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_i18n import PO, read_po, untranslated

from conftest import ROOT, Running, free_port, run_main

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


PROGRESS = re.compile(r"^(orders|订单) [\d,]+(/[\d,]+)? \| ")  # a pipe's status line every 5 s


def nobody_listens(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) != 0


def run(command: str) -> list[str]:
    args = shlex.split(command)[2:]
    if "--speed" not in args:
        args += ["--speed", "0"]  # the same timestamps as real time, exactly
    env = {"COLUMNS": "80"}
    if not nobody_listens(4317):  # the default endpoint, as the reader runs it, unless taken
        env["OTEL_EXPORTER_OTLP_ENDPOINT"] = f"http://127.0.0.1:{free_port()}"
    result = run_main(*args, env=env, timeout=120)
    # a slow machine adds status lines to a long run: they are not part of the example
    return [line for line in (result.stdout + result.stderr).splitlines() if not PROGRESS.match(line)]


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


CURL = re.compile(r"```text\n\$ (curl -si [^\n]*)\n(.*?)```", re.S)
SERVE_LINE = re.compile(r"`(\d{3} order-\d+ trace [0-9a-f]{32} \d+ ms)`")
HEALTHZ = re.compile(r"`GET /healthz` \| [^`|]*200 `(\{[^`]*\})`[^|]*503 `(\{[^`]*\})`")


def curl_si(answer) -> list[str]:
    """The answer as ``curl -si`` prints it: status line, headers, a blank line, the body."""
    return [f"HTTP/1.1 {answer.status} {answer.reason}",
            *(f"{k}: {v}" for k, v in answer.getheaders()), "", answer.read().decode()]


def same_answer(line: str) -> str:
    """What differs from run to run: the date, the gateway's span id."""
    line = re.sub(r"^Date: .*", "Date: <date>", line)
    return re.sub(r"(traceresponse: 00-[0-9a-f]{32}-)[0-9a-f]{16}", r"\1<span id>", line)


@pytest.fixture
def server():
    port = free_port()
    run = Running("serve", "--port", str(port), "--no-export", env={"COLUMNS": "200"})
    run.wait_for("listening")
    yield port, run
    run.signal(signal.SIGINT)
    assert run.finish(30) == 130


@pytest.mark.parametrize("readme", READMES, ids=lambda r: r.name)
def test_the_serve_examples_are_what_the_server_answers_and_prints(readme, server):
    port, running = server
    text = readme.read_text(encoding="utf-8")
    [(command, block)] = CURL.findall(text)
    assert "order-1235" in block  # the second order, after the `-d '{}'` one above it
    args = shlex.split(command)
    # as curl sends it: HTTP/1.1 keep-alive, -d's form content type
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    connection.request("POST", "/api/orders", body=b"{}", headers={"content-type": "application/json"})
    connection.getresponse().read()
    connection.request("POST", "/api/orders", body=args[args.index("-d") + 1].encode(), headers={
        "traceparent": args[args.index("-H") + 1].split(": ", 1)[1],
        "content-type": "application/x-www-form-urlencoded"})
    got = [same_answer(line) for line in curl_si(connection.getresponse())]
    assert [same_answer(line) for line in block.rstrip("\n").splitlines()] == got
    # the server's line for that order, as the README quotes it (its milliseconds vary)
    [quoted] = SERVE_LINE.findall(text)
    running.wait_for("409 order-1235 trace")
    printed = next(line for line in running.text().splitlines() if line.startswith("409 order-1235"))
    assert re.sub(r"\d+ ms$", "N ms", printed) == re.sub(r"\d+ ms$", "N ms", quoted)
    # /healthz's body
    ready, _stopping = HEALTHZ.search(text).groups()
    connection.request("GET", "/healthz")
    body = json.loads(connection.getresponse().read())
    # the email workers' counts depend on what was placed and consumed so far: the keys match
    assert set(body.pop("notifications")) == set(json.loads(ready).pop("notifications"))
    expected = json.loads(ready)
    expected.pop("notifications")
    assert body == expected
    connection.close()


def tour_quotes(readme: Path) -> list[tuple[str, str]]:
    """(command, quoted words) of each tour row that quotes what the program prints."""
    section = re.search(r"<!-- tour -->(.*?)<!-- /tour -->", readme.read_text(encoding="utf-8"), re.S)
    found = []
    for row in section.group(1).splitlines()[3:]:
        cells = [c.strip() for c in row.strip("|").split("|")]
        command = re.search(r"`(python main\.py[^`]*)`", cells[1]).group(1)
        found += [(command, q) for q in re.findall(r"[“\"]([^”\"]+)[”\"]", cells[2])]
    return found


@pytest.mark.parametrize("readme", READMES, ids=lambda r: r.name)
def test_the_tours_quotes_are_what_the_program_prints(readme):
    chinese = readme.name != "README.md"
    quotes = tour_quotes(readme)
    assert quotes
    for command, quote in quotes:
        args = [*shlex.split(command)[2:], "--no-export", "--speed", "0", *(["--lang", "zh"] * chinese)]
        printed = " ".join(run_main(*args, timeout=120).stdout.split())
        assert " ".join(quote.split()) in printed, (readme.name, command, quote)


def test_the_chinese_failure_table_quotes_chinese_messages():
    """What `--lang zh` prints is Chinese: the table quotes it so, and each quote's words
    are the catalog's (the wire's own reasons, UNAVAILABLE..., stay as sent)."""
    text = (ROOT / "README.zh-CN.md").read_text(encoding="utf-8")
    section = text[text.index("## 出问题时"):].split("\n## ")[0]
    rows = [line for line in section.splitlines() if line.startswith("|")][2:]
    # the middle column: what lies between the first cell and the exit status
    printed = [row.strip().strip("|").rsplit("|", 1)[0].split("|", 1)[1] for row in rows]
    quotes = [q for cell in printed for q in re.findall(r"`([^`]+)`", cell)]
    assert len(rows) >= 10 and quotes
    catalog = " ".join(read_po(PO).values())
    wire = re.compile(r"UNAVAILABLE: connection refused|DEADLINE_EXCEEDED: no answer within \d+ m?s|"
                      r"UNAVAILABLE: cannot resolve the host name|"
                      r"UNAVAILABLE: the server expects TLS \(https://\)|TLS failed|"
                      r"No space left on device|PERMISSION_DENIED|UNIMPLEMENTED|HTTP \d+")
    for quote in quotes:
        if not re.search(r"[\u4e00-\u9fff]", quote):
            assert not re.search(r"[a-z]{3,} [a-z]{3,}", wire.sub("", quote)), quote  # no English prose
            continue
        assert untranslated(wire.sub("", quote)) == [], quote
        for words in re.findall(r"[\u4e00-\u9fff][\u4e00-\u9fff，。：；、（）“”]*", quote):
            assert words.strip("（）：。，") in catalog, (quote, words)


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
