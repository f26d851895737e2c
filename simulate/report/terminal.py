"""The terminal as a run writes to it: a closed pipe or a narrow encoding never breaks a run.

``python main.py | head -1`` closes stdout after one line; a console set to
cp1252 cannot print the seed's emoji.  :class:`ResilientStream` wraps the real
stream: after a broken pipe it swallows everything (the run goes on and still
exports), and what the encoding cannot print is replaced, icons first by plain
ASCII ones.  Rich is told the stream's encoding, so it draws ASCII boxes too.
"""
from __future__ import annotations

import io
import os
import sys
from typing import IO

from rich.console import Console
from rich.text import Text

from .cells import wrap_text

# The seed's icons and ours, for consoles that cannot print them.
PLAIN_ICONS = {"📥": ">>", "📦": "[]", "✓": "+", "📊": "[]", "💳": "$", "→": "->", "💾": "[]",
               "📧": "@", "✅": "OK", "❌": "X", "🔎": "?", "🩺": "!", "⚠": "!", "🔗": "->",
               "📤": "^", "✉": "@", "🌐": "->", "│": "|", "├─": "|-", "└─": "`-", "█": "#",
               "—": "-", "…": "..."}


def plain(text: str, encoding: str) -> str:
    """``text`` as the encoding can show it: icons made plain, anything else replaced."""
    for icon, ascii_icon in PLAIN_ICONS.items():
        if icon in text:
            try:
                icon.encode(encoding)
            except UnicodeEncodeError:
                text = text.replace(icon, ascii_icon)
    return text.encode(encoding, errors="replace").decode(encoding)


class ResilientStream(io.TextIOBase, IO[str]):
    def __init__(self, raw: IO[str]):
        self._raw = raw
        self.broken = False  # the reader went away (| head)

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return getattr(self._raw, "encoding", None) or "utf-8"

    def isatty(self) -> bool:
        return not self.broken and self._raw.isatty()

    def fileno(self) -> int:
        return self._raw.fileno()

    def write(self, text: str) -> int:
        if self.broken:
            return len(text)
        try:
            try:
                self._raw.write(text)
            except UnicodeEncodeError:
                self._raw.write(plain(text, self.encoding))
        except (BrokenPipeError, ValueError):
            self._lose_reader()
        return len(text)

    def flush(self) -> None:
        if self.broken:
            return
        try:
            self._raw.flush()
        except (BrokenPipeError, ValueError):
            self._lose_reader()

    def _lose_reader(self) -> None:
        self.broken = True
        # Python flushes stdout once more at exit and would complain about the pipe:
        # point the descriptor at /dev/null so that last flush is quiet too.
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, self._raw.fileno())
            os.close(devnull)
        except (OSError, ValueError):
            pass


def resilient(stream: IO[str]) -> ResilientStream:
    return stream if isinstance(stream, ResilientStream) else ResilientStream(stream)


def consoles(stdout: IO[str] | None = None,
             stderr: IO[str] | None = None) -> tuple[Console, Console]:
    """(out, err) consoles on resilient streams, plain text when not a terminal."""
    out = resilient(stdout or sys.stdout)
    err = resilient(stderr or sys.stderr)
    return (Console(file=out, highlight=False, emoji=False),
            Console(file=err, highlight=False, emoji=False))


def say(console: Console, text: str | Text, style: str = "", indent: str | None = None) -> None:
    """Prose, wrapped to the console's width in terminal cells (a CJK character is two), in a
    pipe too (80 columns, or $COLUMNS); a break falls between words or beside a CJK
    character, so a trace id, a path or a flag is never cut.  Lines after the first start
    with ``indent`` (default: the text's own leading blanks)."""
    styled = text if isinstance(text, Text) else Text(text)
    if style:
        styled.stylize(style)
    plain = styled.plain
    indent = plain[:len(plain) - len(plain.lstrip(" "))] if indent is None else indent
    for line in wrap_text(styled, console.width, indent):
        console.print(line, soft_wrap=True)
