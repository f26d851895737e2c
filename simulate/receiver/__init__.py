"""A minimal OTLP receiver: the collector's trace, logs and metrics services, in-process.

Used by the tests and benchmarks as a real export target (OTLP/gRPC and OTLP/HTTP,
every signal), and handy on a bare machine: ``python -m simulate.receiver`` listens
on 127.0.0.1:4317 (gRPC) and 4318 (HTTP) and draws each trace it receives as a tree,
each log record under its span (``--flat``: a line per span, record and point).  It
can also misbehave on purpose (answer slowly, or with an error code) to show what an
exporter does then.
"""
from __future__ import annotations

from .core import SIGNALS, OtlpReceiver, ReceivedSpan, Request, item_count
from .printing import TreePrinter, print_flat

__all__ = ["SIGNALS", "OtlpReceiver", "ReceivedSpan", "Request", "TreePrinter", "item_count",
           "print_flat"]
