"""argparse's own words (``usage:``, ``options``, ``invalid choice: ...``) in the reader's
language.  argparse asks the ``gettext`` module for them at call time, from its own
catalog that Python does not ship in Chinese; ``speak_argparse`` points it at ours, and
the list below puts those messages in our catalog (tools/update-catalogs extracts them).
"""
from __future__ import annotations

import argparse

from ..i18n import N_, _

ARGPARSE_MESSAGES = (
    N_("usage: "), N_("positional arguments"), N_("options"),
    N_("show this help message and exit"), N_("argument %(argument_name)s: %(message)s"),
    N_("unrecognized arguments: %s"), N_("not allowed with argument %s"),
    N_("ignored explicit argument %r"), N_("the following arguments are required: %s"),
    N_("one of the arguments %s is required"), N_("expected one argument"),
    N_("expected at most one argument"), N_("expected at least one argument"),
    N_("expected %s argument"), N_("expected %s arguments"),
    N_("ambiguous option: %(option)s could match %(matches)s"),
    N_("unexpected option string: %s"), N_("invalid %(type)s value: %(value)r"),
    N_("invalid choice: %(value)r (choose from %(choices)s)"),
    N_("can't open '%(filename)s': %(error)s"),
)


def _ngettext(singular: str, plural: str, n: int) -> str:
    return _(singular) if n == 1 else _(plural)


def speak_argparse() -> None:
    """From now on argparse's messages come from our catalog, in the current language."""
    argparse._ = _  # type: ignore[attr-defined]  # argparse looks its `_` up at each call
    argparse.ngettext = _ngettext  # type: ignore[attr-defined]
