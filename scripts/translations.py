"""The screens' catalogs: which strings a language still lacks, and room to translate them.

    python3 scripts/translations.py check              every language: the strings it lacks, exit 1 if any
    python3 scripts/translations.py lint               template text and string literals outside a translation
    python3 scripts/translations.py add-missing FILE [PREFIX ...]
                                                       append the strings the file's language lacks to FILE
                                                       (translations/<lang>/LC_MESSAGES/<area>.po) with an
                                                       empty msgstr, each with the place it comes from; with
                                                       PREFIXes only strings found in files under them

Sources are read as babel.cfg says (the station's Python and the templates); a catalog is every
.po file of translations/<lang>/LC_MESSAGES together (station/web/i18n.py compiles them into one).
"""
import re
import sys
from html.parser import HTMLParser
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the station's own modules, when run as `python3 scripts/translations.py`
TRANSLATIONS = ROOT / "translations"
METHODS = [("station/**.py", "python"), ("templates/**.html", "jinja2")]
PLACEHOLDER = re.compile(r"%\((\w+)\)[sdif]")


def extracted():
    """{msgid: [(file, line)]} of every marked string of the sources (msgid a tuple for plurals)."""
    found = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(str(ROOT), method_map=METHODS):
        key = message if isinstance(message, str) else tuple(message[:2])
        if isinstance(key, tuple) and not all(key):
            continue
        if key:
            found.setdefault(key, []).append((filename, lineno))
    return found


def catalog(lang):
    """{msgid: msgstr} of a language as the station compiles it (station/web/i18n.py's
    merged_catalog: every .po file, first translation wins, fuzzy and untranslated left out)."""
    from station.web.i18n import merged_catalog

    merged = {}
    for message in merged_catalog(sorted((TRANSLATIONS / lang / "LC_MESSAGES").glob("*.po")), lang):
        if message.id:
            value = message.string
            merged.setdefault(message.id, tuple(value) if isinstance(value, (tuple, list)) else value)
    return merged


def languages():
    return sorted(p.name for p in TRANSLATIONS.iterdir() if (p / "LC_MESSAGES").is_dir())


def missing(lang, sources=None):
    sources = sources if sources is not None else extracted()
    have = catalog(lang)
    return {key: where for key, where in sources.items() if key not in have}


def conflicts(lang):
    """[(msgid, file, text, other file, other text)]: a message two areas' catalogs translate
    differently (the compiled catalog keeps the first, so one screen would read another's word)."""
    seen, out = {}, []
    for path in sorted((TRANSLATIONS / lang / "LC_MESSAGES").glob("*.po")):
        with open(path, "rb") as handle:
            for message in read_po(handle, locale=lang):
                if not message.id or not message.string or message.fuzzy:
                    continue
                key = (message.id, message.context)
                if key in seen and seen[key][1] != message.string:
                    out.append((message.id, seen[key][0], seen[key][1], path.name, message.string))
                seen.setdefault(key, (path.name, message.string))
    return out


def placeholder_mismatches(lang, sources=None):
    """Translations whose %(name)s placeholders are not those of the English text."""
    sources = sources if sources is not None else extracted()
    out = []
    for key, value in catalog(lang).items():
        if key not in sources:
            continue
        english = key if isinstance(key, tuple) else (key,)
        strings = value if isinstance(value, tuple) else (value,)
        want = set(PLACEHOLDER.findall(" ".join(english)))
        for text in strings:
            if set(PLACEHOLDER.findall(text)) != want:
                out.append((key, text))
    return out


def add_missing(path, prefixes=()):
    path = Path(path)
    lang = path.parent.parent.name
    lacking = missing(lang)
    if prefixes:
        lacking = {key: where for key, where in lacking.items()
                   if any(name.startswith(tuple(prefixes)) for name, _line in where)}
    if path.exists():
        with open(path, "rb") as handle:
            po = read_po(handle, locale=lang)
    else:
        po = Catalog(locale=lang, project="Returns Station")
    for key, where in lacking.items():
        if po.get(key) is None:
            po.add(key, ("", "") if isinstance(key, tuple) else "", locations=where[:3])
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as handle:
        write_po(handle, po, width=100, omit_header=False)
    return len(lacking)


# Latin-letter words a Chinese screen may show as they are: codes, units, file formats, the
# marketplaces' own names. Anything else in Latin letters on a translated screen is English left.
ALLOWED_WORDS = {
    "RMA", "RMAs", "SKU", "SKUs", "GTIN", "EAN", "UPC", "SSCC", "GS1", "LPN", "FBA", "CSV", "TSV", "JSON", "XLSX", "ZPL",
    "PDF", "PNG", "JPEG", "QR", "USB", "TV", "API", "URL", "HTTP", "HTTPS", "ID", "PIN", "OK", "ISO", "IANA", "UTC",
    "HMAC", "SHA", "ERP", "WMS", "RTV", "px", "mm", "kg", "g", "dpi", "cm", "in", "ms", "s", "min", "h", "AM", "PM",
    "TXT", "MB", "KB", "GB", "Webhook", "Webhooks", "Amazon", "eBay", "AliExpress", "DHgate", "Shopify", "Zebra", "CUPS", "USPS", "UPS", "DHL", "FedEx",
    "Returns", "Station",  # the product's name in the page title beside its translation
}
WORD = re.compile(r"[A-Za-z][A-Za-z']+")
# Jinja constructs: comments, tags and expressions
JINJA = re.compile(r"\{#.*?#\}|\{%.*?%\}|\{\{.*?\}\}", re.S)
EXPRESSION = re.compile(r"\{\{(.*?)\}\}|\{%(.*?)%\}", re.S)
LITERAL = re.compile(r"""(?<![\w.])(_|gettext|ngettext|N_)?\(?\s*(['"])((?:(?!\2).)*)\2""")
TEXT_ATTRIBUTES = {"title", "placeholder", "aria-label", "alt"}


class _Text(HTMLParser):
    """Visible text of a page (or a template with its Jinja taken out): text nodes and the
    attributes a person reads; nothing inside script, style or an element marked translate="no"."""

    VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.out, self.stack = [], []

    def _skipping(self):
        return any(skip for _tag, skip in self.stack)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        skip = tag in ("script", "style", "template") or attrs.get("translate") == "no"
        if not skip and not self._skipping():
            for name in TEXT_ATTRIBUTES & attrs.keys():
                self.out.append((self.getpos()[0], attrs[name] or ""))
            if tag == "input" and attrs.get("type") in ("submit", "button"):
                self.out.append((self.getpos()[0], attrs.get("value") or ""))
        if tag not in self.VOID:
            self.stack.append((tag, skip))

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in self.VOID and self.stack and self.stack[-1][0] == tag:
            self.stack.pop()

    def handle_endtag(self, tag):
        for index in range(len(self.stack) - 1, -1, -1):
            if self.stack[index][0] == tag:
                del self.stack[index:]
                break

    def handle_data(self, data):
        if not self._skipping() and data.strip():
            self.out.append((self.getpos()[0], data))


def visible_text(html):
    """[(line, text)] a person reads on the page."""
    parser = _Text()
    parser.feed(html)
    parser.close()
    return parser.out


def english_words(text, allowed=frozenset()):
    """Latin-letter words of `text` that are neither allowed nor part of a code (a word with a
    digit or joined to one by - _ / . is a code: SO-1001, bench-1)."""
    found = []
    for token in re.split(r"[\s,;:()\[\]«»“”\"!?·…|→←—–]+", text):
        if not token or re.search(r"\d", token) or token[0] in "#." or "@" in token or "_" in token or "/" in token:
            continue
        for word in WORD.findall(token):
            if word not in ALLOWED_WORDS and word not in allowed and word.strip("'") not in ALLOWED_WORDS:
                found.append(word)
    return found


def lint_templates():
    """[(file, line, text)]: template text outside a translation, and English string literals in
    Jinja expressions outside _() / ngettext()."""
    problems = []
    for path in sorted((ROOT / "templates").rglob("*.html")):
        source = path.read_text(encoding="utf-8")
        name = path.relative_to(ROOT).as_posix()
        # Jinja taken out (kept as a placeholder of the same line count)
        bare = JINJA.sub(lambda m: "\n" * m.group(0).count("\n") + " ", source)
        for line, text in visible_text(bare):
            if english_words(text):
                problems.append((name, line, text.strip()))
        for match in EXPRESSION.finditer(source):
            body = match.group(1) or match.group(2) or ""
            for literal in LITERAL.finditer(body):
                if literal.group(1) or re.search(r"ngettext\(\s*(['\"]).*?\1\s*,\s*$", body[:literal.start()], re.S):
                    continue
                text = literal.group(3)
                if re.search(r"[A-Za-z]{3,}", text) and (" " in text.strip() or re.match(r"[A-Z][a-z]", text)) \
                        and not re.match(r"^[\w.-]+$", text) or re.match(r"^[A-Z][a-z]+$", text):
                    line = source.count("\n", 0, match.start()) + 1
                    problems.append((name, line, f"literal {text!r}"))
    return problems


def main(argv):
    if argv[:1] == ["check"]:
        sources = extracted()
        bad = 0
        for lang in languages():
            for key, where in missing(lang, sources).items():
                bad += 1
                print(f"{lang}: {where[0][0]}:{where[0][1]}: {key!r}")
            for key, first, text, second, other in conflicts(lang):
                bad += 1
                print(f"{lang}: {key!r} is {text!r} in {first} but {other!r} in {second}")
            for key, text in placeholder_mismatches(lang, sources):
                bad += 1
                print(f"{lang}: placeholders differ: {key!r} -> {text!r}")
        print(f"{bad} problem(s)")
        return 1 if bad else 0
    if argv[:1] == ["lint"]:
        problems = lint_templates()
        for name, line, text in problems:
            print(f"{name}:{line}: {text}")
        print(f"{len(problems)} problem(s)")
        return 1 if problems else 0
    if len(argv) >= 2 and argv[0] == "add-missing":
        print(f"{add_missing(argv[1], argv[2:])} string(s) lacking")
        return 0
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
