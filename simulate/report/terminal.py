"""The terminal as a run writes to it: a closed pipe or a narrow encoding never breaks a run.

``python main.py | head -1`` closes stdout after one line; cron and supervisors
start it with stdout closed (``>&-``, ``sys.stdout`` is None); a console set to
cp1252 cannot print the seed's emoji.  :class:`ResilientStream` wraps the real
stream: after a broken pipe, or with no stream at all, it swallows everything
(the run goes on and still exports), and what the encoding cannot print is
replaced, icons first by plain ASCII ones.  Rich is told the stream's encoding,
so it draws ASCII boxes too.  A stream that fails otherwise (a full disk,
``> /dev/full``) is not a reader that left: the output is lost, and
:attr:`ResilientStream.error` keeps why, for one line and exit status 3 at the end.
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
    def __init__(self, raw: IO[str] | None):
        self._raw = raw
        self.broken = raw is None  # the reader went away (| head), or there never was one (>&-)
        self.error: str | None = None  # the stream failed (a full disk): what was written is lost

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return getattr(self._raw, "encoding", None) or "utf-8"

    def isatty(self) -> bool:
        return self._raw is not None and not self.broken and self._raw.isatty()

    def fileno(self) -> int:
        if self._raw is None:
            raise io.UnsupportedOperation("no stream: the descriptor was closed")
        return self._raw.fileno()

    def write(self, text: str) -> int:
        if self.broken or self._raw is None:
            return len(text)
        try:
            try:
                self._raw.write(text)
            except UnicodeEncodeError:
                self._raw.write(plain(text, self.encoding))
        except (BrokenPipeError, ValueError):
            self._lose_reader()
        except OSError as exc:
            self._lose_reader(exc)
        return len(text)

    def flush(self) -> None:
        if self.broken or self._raw is None:
            return
        try:
            self._raw.flush()
        except (BrokenPipeError, ValueError):
            self._lose_reader()
        except OSError as exc:
            self._lose_reader(exc)

    def _lose_reader(self, error: OSError | None = None) -> None:
        self.broken = True
        if error is not None:
            self.error = error.strerror or type(error).__name__
        # Python flushes stdout once more at exit and would complain about the pipe (or the
        # full disk): point the descriptor at /dev/null so that last flush is quiet too.
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, self.fileno())
            os.close(devnull)
        except (OSError, ValueError):
            pass


def resilient(stream: IO[str] | None) -> ResilientStream:
    return stream if isinstance(stream, ResilientStream) else ResilientStream(stream)


def consoles(stdout: IO[str] | None = None,
             stderr: IO[str] | None = None) -> tuple[Console, Console]:
    """(out, err) consoles on resilient streams, plain text when not a terminal."""
    out = resilient(stdout if stdout is not None else sys.stdout)
    err = resilient(stderr if stderr is not None else sys.stderr)
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
