"""The screens' language: Flask-Babel with gettext catalogs in translations/.

Which language a page speaks, first match wins:
1. the JSON API always English (integrations read its messages; codes never change);
2. `?lang=` on the URL (a floor display's TV, a link): for that page only;
3. the signed-in user's language, kept with their badge (station/languages.py);
4. the language tapped on the sign-in screen (kept in the session, saved as the user's at sign-in);
5. at the PIN step, the language of the badge just scanned;
6. the browser's Accept-Language, among the languages the station speaks; else English.

Catalogs: translations/<lang>/LC_MESSAGES/*.po are the sources (edited by people, kept in git);
the compiled messages.mo beside them is made at start-up when missing or older than a source
(it is not kept in git, so a catalog and its compiled form never disagree).
"""
import os
import tempfile
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import g, has_request_context, request, session
from flask_babel import Babel

from station import languages
from station.web.security import current_user

ROOT = Path(__file__).resolve().parent.parent.parent
TRANSLATIONS = ROOT / "translations"


def init_app(app):
    directory = compile_catalogs(TRANSLATIONS)
    Babel(app, locale_selector=select_language, default_translation_directories=str(directory))
    app.jinja_env.globals["html_lang"] = html_lang
    app.jinja_env.globals["language"] = select_language
    app.jinja_env.globals["LANGUAGES"] = languages.LANGUAGES


def select_language():
    """The Babel locale code of this request (see the module's docstring); English outside a
    request (the worker, the command line)."""
    if not has_request_context():
        return languages.DEFAULT
    if "language" not in g:
        g.language = _choose()
    return g.language


def html_lang():
    return languages.HTML_TAGS.get(select_language(), "en")


def _choose():
    if request.path.startswith("/api/"):
        return languages.DEFAULT
    asked = languages.normalize(request.args.get("lang"))
    if asked:
        return asked
    user = current_user()
    if user and user.get("language") in languages.LANGUAGES:
        return user["language"]
    for key in ("language", "badge_language"):  # tapped on the sign-in screen; the scanned badge's
        chosen = languages.normalize(session.get(key))
        if chosen:
            return chosen
    best = request.accept_languages.best_match(["en", "zh", "zh-CN", "zh-Hans", "zh-SG"])
    return languages.normalize(best) or languages.DEFAULT


def compile_catalogs(source):
    """Compile each language's .po files into one messages.mo; the directory Babel should read.

    Written beside the sources when the checkout is writable, else into a temporary directory;
    always through a temporary file and a rename, so a second process starting at the same time
    never reads half a catalog."""
    try:
        _compile_into(source, source)
        return source
    except OSError:
        target = Path(tempfile.gettempdir()) / f"returns-station-translations-{os.getuid()}"
        _compile_into(source, target)
        return target


def _compile_into(source, target):
    for lang_dir in sorted(p for p in Path(source).iterdir() if p.is_dir()):
        sources = sorted((lang_dir / "LC_MESSAGES").glob("*.po"))
        if not sources:
            continue
        mo = Path(target) / lang_dir.name / "LC_MESSAGES" / "messages.mo"
        if mo.exists() and mo.stat().st_mtime >= max(p.stat().st_mtime for p in sources):
            continue
        catalog = merged_catalog(sources, lang_dir.name)
        mo.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=mo.parent, suffix=".mo.tmp")
        try:
            with os.fdopen(fd, "wb") as out:
                write_mo(out, catalog)
            os.replace(tmp, mo)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise


def merged_catalog(sources, locale):
    """One catalog from several .po files of a language; a message translated in more than one
    keeps its first translation. Fuzzy and untranslated messages are left out (English shows)."""
    merged = Catalog(locale=locale)
    for path in sources:
        with open(path, "rb") as handle:
            catalog = read_po(handle, locale=locale)
        for message in catalog:
            if not message.id or message.fuzzy or not _translated(message):
                continue
            if merged.get(message.id, context=message.context) is None:
                merged.add(message.id, message.string, context=message.context)
    return merged


def _translated(message):
    if isinstance(message.string, (tuple, list)):
        return all(message.string)
    return bool(message.string)
