"""Text measured and wrapped in terminal cells, as a terminal shows it.

A CJK character takes two cells and Chinese has no spaces to break at, so ``len()``
and rich's word wrap both go wrong on ``--lang zh``: rows cut (``notification-servi…``),
a bullet alone on a line, a line that starts with ``：``.  Here a line may break at a
space or beside a wide character, never inside a Latin word (a span name, a trace id,
a flag stays whole), never before closing punctuation nor after opening punctuation
(the Chinese line-breaking rules, 禁则).
"""
from __future__ import annotations

from rich.cells import cell_len
from rich.text import Text

__all__ = ["cell_len", "pad", "wrap_spans", "wrap", "wrap_text"]

NO_LINE_START = set("，。、：；！？）」』》】〉”’…%,.:;!?)]}")
NO_LINE_END = set("（「『《【〈“‘([{")
UNITS = {"ms", "s", "MB", "µs"}  # "30 ms" stays on one line


def pad(text: str, width: int) -> str:
    """``text`` followed by spaces up to ``width`` cells."""
    return text + " " * max(0, width - cell_len(text))


def _wide(char: str) -> bool:
    return cell_len(char) == 2


def _atoms(text: str) -> list[tuple[int, int, bool]]:
    """(start, end, space before) of each unbreakable piece: a Latin word or one wide char."""
    atoms: list[tuple[int, int, bool]] = []
    i, n, space = 0, len(text), False
    while i < n:
        if text[i] == " ":
            space, i = True, i + 1
            continue
        j = i + 1
        if not _wide(text[i]):
            while j < n and text[j] != " " and not _wide(text[j]):
                j += 1
        atoms.append((i, j, space))
        space, i = False, j
    return atoms


def _units(text: str) -> list[tuple[int, int]]:
    """Atoms glued where no break may fall: (start, end) of each."""
    units: list[tuple[int, int]] = []
    for start, end, space in _atoms(text):
        if units:
            before, first = text[units[-1][1] - 1], text[start]
            unit = before.isdigit() and text[start:end].rstrip(",.;:)，。；：）") in UNITS
            breakable = (space and not unit) or (
                (_wide(before) or _wide(first)) and first not in NO_LINE_START
                and before not in NO_LINE_END)
            if not breakable:
                units[-1] = (units[-1][0], end)
                continue
        units.append((start, end))
    return units


def wrap_spans(text: str, width: int) -> list[tuple[int, int]]:
    """(start, end) in ``text`` of each line, greedily filled to ``width`` cells.  A piece
    wider than ``width`` (a long path) gets a line of its own, whole."""
    lines: list[tuple[int, int]] = []
    used = 0
    for start, end in _units(text):
        size = cell_len(text[start:end])
        gap = start - lines[-1][1] if lines else 0  # the blanks between, as written
        if lines and used + gap + size <= width:
            lines[-1] = (lines[-1][0], end)
            used += gap + size
        else:
            lines.append((start, end))
            used = size
    return lines or [(0, 0)]


def wrap(text: str, width: int, indent: str = "") -> list[str]:
    """``text`` as lines of at most ``width`` cells; lines after the first start with
    ``indent`` (which counts towards the width)."""
    return [line.plain for line in wrap_text(Text(text), width, indent)]


def wrap_text(text: Text, width: int, indent: str = "") -> list[Text]:
    """Styled text wrapped like :func:`wrap`, styles kept.  The first line keeps the text's
    own leading spaces; the others start with ``indent``."""
    plain = text.plain
    lead = len(plain) - len(plain.lstrip(" "))
    rest = text[lead:]
    (start, end), *_more = wrap_spans(rest.plain, max(1, width - lead))
    lines = [text[:lead] + rest[start:end]]
    remainder = rest[end:]
    remainder = remainder[len(remainder.plain) - len(remainder.plain.lstrip(" ")):]
    if remainder.plain:  # the lines after the first have their own width: wrap them again
        body = max(1, width - cell_len(indent))
        lines += [Text(indent) + remainder[s:e] for s, e in wrap_spans(remainder.plain, body)]
    return lines
