"""The languages the screens speak, and each user's own (kept with their badge).

A code here is a Babel locale identifier: `en` and `zh_Hans` (Simplified Chinese). The JSON API,
the command line, CSV files and printed ZPL labels stay in English whatever the user's language:
integrations read them.
"""
from flask_babel import gettext as _

from station import db as db_module
from station.errors import bad

# code -> the language's own name, as the sign-in screen offers it
LANGUAGES = {"en": "English", "zh_Hans": "简体中文"}
DEFAULT = "en"
# what an HTML page's lang attribute says for each (BCP 47)
HTML_TAGS = {"en": "en", "zh_Hans": "zh-Hans"}
# other spellings a person or a file may use for the same language
ALIASES = {"zh": "zh_Hans", "zh_cn": "zh_Hans", "zh-cn": "zh_Hans", "zh-hans": "zh_Hans", "zh_hans": "zh_Hans",
           "cn": "zh_Hans", "chinese": "zh_Hans", "english": "en", "en_us": "en", "en-us": "en", "en_gb": "en",
           "en-gb": "en"}


def N_(text):
    """Marks a constant screen string for the catalog (pybabel finds `N_`) without translating
    it where it is defined: the screen translates it where it shows it, `_(label)` (gettext)."""
    return text


def normalize(code):
    """The language code for `code` (any case, `zh-CN`, `zh_Hans` ...), or None if not one we speak."""
    text = str(code or "").strip()
    if text in LANGUAGES:
        return text
    return ALIASES.get(text.lower())


def checked(code, field="language"):
    """`code` as a language the station speaks, or a 400 naming the field and the choices."""
    language = normalize(code)
    if language is None:
        raise bad(field, _("must be one of %(choices)s", choices=", ".join(LANGUAGES)))
    return language


def set_user_language(db, user_id, code):
    """Keep `code` as the user's language: the screens speak it at their next sign-in too."""
    language = checked(code)
    with db_module.write(db):
        db.execute("UPDATE users SET language = ? WHERE id = ?", [language, user_id])
    return language
