"""The command line: flags -> a config -> a single run, a load run, show or serve -> exit status.

argparse lives in this package and nowhere else: parsers.py (the flags and their help),
configs.py (flags -> RunConfig / ServeConfig).  Bad input: one line, exit 2.
"""
from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from dataclasses import replace

from .. import i18n
from ..runs.common import guarded_std_streams, stdout_status
from ..runs.signals import exit_status
from ..world.clock import StopFlag
from .configs import config_from_args, drill_config, serve_config
from .parsers import (
    build_drill_parser,
    build_faults_parser,
    build_parser,
    build_serve_parser,
    build_show_parser,
)

__all__ = ["main", "build_parser", "config_from_args"]


def _flag_value(argv: Sequence[str], flag: str) -> str | None:
    """A flag's value found before argparse runs (``--lang zh`` or ``--lang=zh``)."""
    for i, arg in enumerate(argv):
        if arg == flag and i + 1 < len(argv):
            return argv[i + 1]
        if arg.startswith(flag + "="):
            return arg.split("=", 1)[1]
    return None


def main(argv: Sequence[str] | None = None, stop: StopFlag | None = None) -> int:
    """``stop``: the flag the entry point's signal handlers set since start-up."""
    # Every command writes through streams that survive a closed, full or narrow stdout.
    with guarded_std_streams():
        return stdout_status(_main(argv, stop))


def _main(argv: Sequence[str] | None, stop: StopFlag | None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    # The language first: every message from here on, errors included, is in it.
    language = i18n.use(i18n.language_from(_flag_value(argv, "--lang")))
    if argv[:1] == ["show"]:
        show = build_show_parser().parse_args(argv[1:])
        from ..runs.show import run_show
        return run_show(show.files, show.html,
                        show.html is None if show.open is None else show.open, show.json, show.max_mb)
    if argv[:1] == ["faults"]:
        build_faults_parser().parse_args(argv[1:])
        from ..runs.faults import print_faults
        return print_faults()
    if argv[:1] == ["drill"]:
        drill_parser = build_drill_parser()
        drill_args = drill_parser.parse_args(argv[1:])
        config, answer = drill_config(drill_parser, drill_args, interactive=sys.stdin.isatty())
        os.environ.setdefault("GRPC_VERBOSITY", "NONE")
        from ..runs.drill import run_drill
        return run_drill(replace(config, lang=language), drill_args.level, drill_args.seed, answer,
                         drill_args.reveal, stop)
    if argv[:1] == ["serve"]:
        serve_parser = build_serve_parser()
        serve = serve_config(serve_parser, serve_parser.parse_args(argv[1:]))
        if stop is not None and stop.requested:
            return exit_status(stop) or 130
        os.environ.setdefault("GRPC_VERBOSITY", "NONE")
        from ..runs.serve import run_serve
        return run_serve(serve, stop)
    parser = build_parser()
    config = replace(config_from_args(parser, parser.parse_args(argv)), lang=language)
    if stop is not None and stop.requested:
        return exit_status(stop) or 130  # Ctrl-C while starting up: nothing ran yet
    # Before gRPC is imported: its C core would print its own errors, which the run
    # summarises once, at the end.  This process is the program: nothing to restore.
    os.environ.setdefault("GRPC_VERBOSITY", "NONE")
    # Imported late: --help and bad flags stay fast.
    if config.load is not None and config.load.workers > 1:
        from ..runs.workers import run_workers
        return run_workers(config, stop)
    if config.load is not None:
        from ..runs.load import run_load
        return run_load(config, stop)
    from ..runs.single import run_single
    return run_single(config, stop)
