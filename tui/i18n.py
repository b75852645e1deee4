"""The app's and the command line's messages in the reader's language, through gettext.

Catalogs are ``tui/locale/LANG/LC_MESSAGES/ticketflow.po`` (English is the source
language; Traditional Chinese, ``zh_TW``, is shipped). They are compiled in memory from the
``.po`` with Babel the first time a message is looked up, so a fresh clone needs no build
step and no compiled ``.mo`` is kept in git. The language is ``TICKETFLOW_LANG`` if set,
else the first of ``LC_ALL``, ``LC_MESSAGES``, ``LANG`` (``zh_TW.UTF-8``, ``zh_Hant``,
``zh_HK`` read as Traditional Chinese); anything else is English.

Mark a message with ``_("…")`` (``ngettext`` for plurals); ``make catalogs`` extracts the
marked messages into ``tui/locale/ticketflow.pot`` and merges them into each ``.po``.
"""

from __future__ import annotations

import gettext
import io
import os
from functools import cache
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

DOMAIN = "ticketflow"
LOCALES = Path(__file__).resolve().parent / "locale"
SHIPPED = ("en", "zh_TW")
"""The languages shipped: English (the messages themselves) and Traditional Chinese."""
TRADITIONAL = ("zh_tw", "zh_hant", "zh_hk", "zh_mo")


def language(environ: os._Environ[str] | dict[str, str] | None = None) -> str:
    """The language to speak: one of SHIPPED, from TICKETFLOW_LANG or the locale variables."""
    env = os.environ if environ is None else environ
    for name in ("TICKETFLOW_LANG", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = env.get(name, "").strip()
        if value:
            tag = value.split(".")[0].split("@")[0].replace("-", "_").lower()
            return "zh_TW" if tag.startswith(TRADITIONAL) else "en"
    return "en"


@cache
def catalog(lang: str) -> gettext.NullTranslations:
    """The compiled catalog of a language (English: the messages as written)."""
    source = LOCALES / lang / "LC_MESSAGES" / f"{DOMAIN}.po"
    if lang == "en" or not source.is_file():
        return gettext.NullTranslations()
    with source.open("rb") as file:
        messages = read_po(file, locale=lang, domain=DOMAIN)
    compiled = io.BytesIO()
    write_mo(compiled, messages)
    compiled.seek(0)
    return gettext.GNUTranslations(compiled)


def _(message: str) -> str:
    """``message`` in the reader's language (as written when the catalog lacks it)."""
    return catalog(language()).gettext(message)


def ngettext(singular: str, plural: str, count: int) -> str:
    """The singular or plural form for ``count``, in the reader's language."""
    return catalog(language()).ngettext(singular, plural, count)


def N_(message: str) -> str:
    """Mark a message for the catalogs without translating it yet (tables of messages)."""
    return message
