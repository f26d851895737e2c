"""What both kinds of run need: the --output file, opened only once every flag was checked."""
from __future__ import annotations

import sys
from typing import IO


class OutputError(Exception):
    """The --output file cannot be opened: bad input, exit 2."""


def open_output(path: str | None) -> IO[str] | None:
    if path is None:
        return None
    try:
        return open(path, "w", encoding="utf-8")
    except OSError as exc:
        raise OutputError(f"argument --output: cannot write {path!r}: {exc.strerror}") from None


def input_error(message: str) -> int:
    """Bad input found inside a run: one line in argparse's style, exit status 2."""
    print(f"main.py: error: {message}", file=sys.stderr)
    return 2
