"""The SDK's own log lines, made fit for an operator's terminal.

OpenTelemetry's Python packages log through the standard ``logging`` module: an
exporter's retries and failures, a propagator's complaint about a header, an attribute
of the wrong type.  Left alone, Python's last-resort handler prints each one raw: a
client's 60 KB ``baggage`` header full of escape sequences reaches the terminal as is,
and a failing collector repeats the same line for every batch.  One handler takes them
all instead: at most one line per cause (logger and message template), control
characters escaped and length bounded (safe_text), URL credentials, query strings and
the values of the configured OTLP headers masked.  The exporters' own lines are not
shown: the closing export line states the same cause, once, in the reader's language.
"""
from __future__ import annotations

import contextlib
import logging
import os
import re
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from urllib.parse import unquote

from ..safe_text import printable
from .settings import redact

ROOT = "opentelemetry"
SHOWN_BY_OUR_SUMMARY = ("opentelemetry.exporter",)
MAX_LINES = 20  # distinct causes shown in one run; after that, silence
_URL = re.compile(r"\b[a-zA-Z][a-zA-Z0-9+.-]*://\S+")


def configured_secrets(env: Mapping[str, str]) -> list[str]:
    """The values of every OTLP headers variable: often credentials."""
    found = []
    for key, raw in env.items():
        if key.startswith("OTEL_EXPORTER_OTLP") and key.endswith("HEADERS"):
            for entry in raw.split(","):
                value = unquote(entry.partition("=")[2]).strip()
                if len(value) >= 3:
                    found.append(value)
    return found


def mask(text: str, secrets: list[str]) -> str:
    for secret in secrets:
        text = text.replace(secret, "***")
    # Each URL in the line as the endpoint itself is shown: credentials (up to the last @) and
    # query and fragment values masked (settings.redact).
    return _URL.sub(lambda found: redact(found.group()), text)


class SdkLogLines(logging.Handler):
    def __init__(self, write: Callable[[str], object], secrets: list[str]):
        super().__init__(logging.WARNING)
        self._write, self._secrets = write, secrets
        self._seen: set[tuple[str, str]] = set()

    def emit(self, record: logging.LogRecord) -> None:
        if record.name.startswith(SHOWN_BY_OUR_SUMMARY):
            return
        cause = (record.name, str(record.msg)[:200])
        if cause in self._seen or len(self._seen) >= MAX_LINES:
            return
        self._seen.add(cause)
        try:
            text = record.getMessage()
        except Exception:  # noqa: BLE001 - a malformed record still gets its one line
            text = str(record.msg)
        line = printable(mask(text, self._secrets), 240)
        with contextlib.suppress(OSError, ValueError):  # stderr closed: nothing to break
            self._write(f"⚠ OpenTelemetry ({record.name}): {line}\n")


class _Held(logging.Handler):
    """Keeps the SDK's lines (a few) from the imports on, until a run routes the rest."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        if len(self.records) < MAX_LINES:
            self.records.append(record)


_HELD = _Held()


def hold() -> None:
    """From now until ``routed``, the SDK's log lines are kept, not printed."""
    logger = logging.getLogger(ROOT)
    if _HELD not in logger.handlers:
        logger.addHandler(_HELD)
        logger.propagate = False


@contextmanager
def routed(write: Callable[[str], object], env: Mapping[str, str] | None = None) -> Iterator[SdkLogLines]:
    """For the length of a run, the SDK's log lines go through one SdkLogLines handler."""
    logger = logging.getLogger(ROOT)
    handler = SdkLogLines(write, configured_secrets(os.environ if env is None else env))
    saved = logger.propagate, logger.level
    # What the SDK said while it was imported (a malformed OTEL_RESOURCE_ATTRIBUTES) is not
    # repeated: the configuration check that follows says it in one line, with exit 2.
    _HELD.records = []
    logger.removeHandler(_HELD)
    logger.addHandler(handler)
    logger.propagate = False
    if logger.level == logging.NOTSET or logger.level > logging.WARNING:
        logger.setLevel(logging.WARNING)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)
        logger.propagate, level = saved
        logger.setLevel(level)
