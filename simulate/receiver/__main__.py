"""``python -m simulate.receiver``: an OTLP receiver for a bare machine (see the package)."""
from __future__ import annotations

import argparse
import sys
import time

from rich.console import Console

from .. import i18n
from ..i18n import _, speak_argparse
from .core import OtlpReceiver
from .printing import TreePrinter, print_flat


def main() -> None:
    # --lang (or LANG=zh_CN.UTF-8): the help, the messages and the tree's headings in Chinese
    flag = next((a.split("=", 1)[1] for a in sys.argv[1:] if a.startswith("--lang=")), None)
    if "--lang" in sys.argv[1:-1]:
        flag = sys.argv[sys.argv.index("--lang") + 1]
    i18n.use(i18n.language_from(flag))
    speak_argparse()
    parser = argparse.ArgumentParser(
        prog="python -m simulate.receiver",
        description=_("Listen for OTLP traces, logs and metrics (gRPC and HTTP) and draw each trace "
                      "as a tree with its log records under their spans."))
    parser.add_argument("--host", default="127.0.0.1", help=_("address to listen on (default 127.0.0.1)"))
    parser.add_argument("--port", type=int, default=4317, help=_("OTLP/gRPC port (default 4317)"))
    parser.add_argument("--http-port", type=int, default=4318, help=_("OTLP/HTTP port (default 4318)"))
    parser.add_argument("--no-http", action="store_true", help=_("OTLP/gRPC only"))
    parser.add_argument("--flat", action="store_true",
                        help=_("a line per span, log record and metric point instead of trees"))
    parser.add_argument("--lang", metavar="LANG", help=_("zh: messages in Chinese (as for main.py)"))
    args = parser.parse_args()
    receiver = OtlpReceiver(args.host, args.port, keep=False,
                            http_port=None if args.no_http else args.http_port)
    printer = TreePrinter(Console(highlight=False))
    receiver.on_receive = print_flat if args.flat else printer.add
    receiver.start()
    where = f"OTLP/gRPC {args.host}:{receiver.port}" + (
        "" if receiver.http is None else f", OTLP/HTTP {args.host}:{receiver.http.port}")
    print(_("listening for OTLP traces, logs and metrics on {where} (Ctrl-C to stop)").format(where=where),
          flush=True)
    try:
        while True:
            time.sleep(0.25)
            printer.flush()
    except KeyboardInterrupt:
        receiver.stop()
        printer.flush(everything=True)


if __name__ == "__main__":
    main()
