"""Text from outside (headers, files, a collector's messages, the SDK's own log lines)
made safe for a terminal: control bytes escaped, length bounded.

Every layer may need it (tracing reports a collector's words, report prints a file's
span names, runs prints a client's header), so it lives beside ``i18n``, below them all.
A terminal acts on ESC, CSI (U+009B) and the other C0/C1 controls, and a right-to-left
override can make a line read as something else: all are shown as ``\\xNN`` / ``\\uNNNN``.
"""
from __future__ import annotations

import re

# C0 controls (tab and newline included: one message, one line), DEL, C1 controls, and the
# bidirectional overrides and isolates (U+202A-U+202E, U+2066-U+2069).
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
DEFAULT_LIMIT = 300


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: object, limit: int = DEFAULT_LIMIT) -> str:
    """``text`` on one line, control characters escaped, at most ``limit`` characters
    (cut with ``…`` and the original length stated)."""
    raw = str(text)
    shown = _UNSAFE.sub(_escape, raw[: limit * 4 + 16])
    if len(shown) <= limit:
        return shown
    suffix = f"… ({len(raw):,} chars)"
    return shown[: max(0, limit - len(suffix))] + suffix
