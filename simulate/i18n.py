"""The program's words in the reader's language: gettext catalogs, English as the source.

``--lang`` wins over ``LC_ALL`` / ``LC_MESSAGES`` / ``LANG``; a language without a
catalog falls back to English without a word.  The seed's emoji log and what
goes into spans, JSON and files stay English: they are data, not prose.
Catalogs: ``simulate/locale/<lang>/LC_MESSAGES/ordertrace.po`` (edited) and its
compiled ``.mo`` (shipped; ``tests/test_i18n.py`` checks it is fresh).
"""
from __future__ import annotations

import argparse
import gettext
import os
from collections.abc import Mapping
from pathlib import Path

DOMAIN = "ordertrace"
LOCALE_DIR = Path(__file__).resolve().parent / "locale"
CATALOGS = {"zh": "zh_CN"}  # language code -> catalog folder

_active: gettext.NullTranslations = gettext.NullTranslations()
_language = "en"
TAGS = {"en": "en", "zh": "zh-CN"}  # language code -> BCP 47 tag, for <html lang>


def language_from(flag: str | None, env: Mapping[str, str] | None = None) -> str:
    """``zh``, ``en``...: the flag, else the first of LC_ALL, LC_MESSAGES, LANG that is set."""
    env = os.environ if env is None else env
    raw = flag or next((env[k] for k in ("LC_ALL", "LC_MESSAGES", "LANG") if env.get(k)), "en")
    return raw.split(".")[0].split("_")[0].split("-")[0].lower() or "en"


def use(language: str) -> str:
    """Speak ``language`` from now on (English if there is no catalog for it)."""
    global _active, _language
    folder = CATALOGS.get(language)
    _active = (gettext.translation(DOMAIN, LOCALE_DIR, languages=[folder], fallback=True)
               if folder else gettext.NullTranslations())
    _language = language if folder else "en"
    return _language


def current_tag() -> str:
    """The language spoken now as a BCP 47 tag (``zh-CN``), for a page's ``<html lang>``."""
    return TAGS.get(_language, _language)


def _(message: str) -> str:
    """The message in the current language (the English source if untranslated)."""
    return _active.gettext(message)


def N_(message: str) -> str:  # noqa: N802 - gettext's name for it
    """Marks a message for the catalog where it is defined; it is translated where shown."""
    return message


# argparse's own words (``usage:``, ``options``, ``invalid choice: ...``): argparse asks the
# gettext module for them at call time, from its own catalog, which Python does not ship in
# Chinese; ``speak_argparse`` points it at ours.  Listed here so that tools/update-catalogs
# extracts them.
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
