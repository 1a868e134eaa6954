"""What a screen calls a code, and the rules' English sentences said in the screen's language.

Codes stay codes in the data, the API and the files (a disposition `restock`, a refund status
`held`, a role `supervisor`, an item flag `serial_mismatch`, a reason `size_fit`); a screen shows
each by its label, in its language: `{{ code|label("disposition") }}`.

Sentences: a recommendation's `why` and a refund line's are written in English by the rules and
kept so (the item's record, the refund's, the API). They are made of templates the rules mark
with N_ (SENTENCES in station/rules/recommend.py, station/rules/refund.py,
station/intake/closing.py); `{{ text|said }}` reads a stored sentence back into its template and
values, and says the template in the screen's language with its values said too (a sentence
inside it, a list of them, a code by its label) or kept as they are (a SKU, an amount). A
sentence no template matches (an older wording, another module's) shows as it was written. An
English screen shows every sentence exactly as it was written.
"""
import re

from flask_babel import get_locale, gettext

from station import policy
from station.languages import N_
from station.roles import ROLE_LABELS
from station.web.bench import bp

ITEM_FLAGS = {
    "unknown_product": N_("unknown product"),
    "item_mismatch": N_("item mismatch"),
    "qty_exceeds_order": N_("qty exceeds order"),
    "serial_mismatch": N_("serial mismatch"),
    "serial_missing": N_("serial missing"),
    "weight_mismatch": N_("weight mismatch"),
}

LABELS = {
    "disposition": {"crossdock": N_("crossdock"), "restock": N_("restock"), "refurbish": N_("refurbish"),
                    "rtv": N_("rtv"), "scrap": N_("scrap"), "quarantine": N_("quarantine")},
    "refund_status": {"ready": N_("ready"), "held": N_("held"), "rejected": N_("rejected"), "paid": N_("paid"),
                      "exchange": N_("exchange")},
    "return_status": {"open": N_("open"), "closed": N_("closed")},
    "resolution": {"refund": N_("refund"), "exchange": N_("exchange")},
    "role": ROLE_LABELS,
    "item_flag": ITEM_FLAGS,
    "reason": policy.REASON_LABELS,
    # the demo barcode sheet's words (station/data/demo/sheet.py writes them in English): by their English
    "demo": {"carton": N_("carton"), "RMA": N_("RMA"), "return tracking": N_("return tracking"),
             "a courier's own label (UPS): said, never recorded": N_("a courier's own label (UPS): said, never recorded"),
             "a code that is nothing here: red, nothing created": N_("a code that is nothing here: red, nothing created")},
}
# what an English screen showed for a code without a label (an item flag read "weight mismatch")
FALLBACK = {"item_flag": lambda code: code.replace("_", " ")}


@bp.app_template_filter("label")
def label(code, kind):
    """The screen's word for `code` of this kind (a key of LABELS); the code itself if it has none."""
    text = LABELS[kind].get(code)
    if text:
        return gettext(text)
    return FALLBACK[kind](code) if kind in FALLBACK and isinstance(code, str) else code


# -- sentences -----------------------------------------------------------------------------------

# a value read from a sentence, by the name of its placeholder:
STRICT = {  # ... must look like this
    "grade": r"[A-Z]", "value": r"-?[0-9]+(?:\.[0-9]+)?", "amount": r"-?[0-9]+(?:\.[0-9]+)?",
    "currency": r"[A-Z]{3}", "base": r"[A-Z]{3}",
}
CODES = {"choice": "disposition", "disposition": "disposition", "reason": "reason"}  # ... is a code: its label
NESTED = {"why", "hold"}  # ... is a sentence itself: said, and it must be one
LISTS = {"cause": ", ", "weighed": ", ", "flags": ", ", "losing": "; "}  # ... a list of sentences or flags
# how a list is joined in a language other than English (its own punctuation)
LIST_JOIN = {"zh": {"cause": "、", "flags": "、", "weighed": "，", "losing": "；"}}
# a code a disposition or a list must be one of (a disposition is strict: "restock", never a SKU)
STRICT_CODES = {"disposition"}

_templates = None


def _all_templates():
    """(phrases, [(template, parts)]) of every registered sentence, the most specific first."""
    global _templates
    if _templates is None:
        from station.intake import closing
        from station.rules import recommend, refund

        phrases, templates = set(), []
        for template in dict.fromkeys(recommend.SENTENCES + refund.SENTENCES + closing.SENTENCES):
            parts = re.split(r"%\((\w+)\)s", template)
            if len(parts) == 1:
                phrases.add(template)
            else:
                templates.append((template, parts))
        templates.sort(key=lambda t: -len("".join(t[1][0::2])))
        _templates = (phrases, templates)
    return _templates


def _readings(text, parts):
    """Every way `text` is the template `parts` ([literal, name, literal, ...]): {name: value}."""
    literals, names = parts[0::2], parts[1::2]
    if not text.startswith(literals[0]):
        return

    def walk(pos, i, values):
        if i == len(names):
            if pos == len(text):
                yield dict(values)
            return
        literal, last = literals[i + 1], i + 1 == len(names)
        if last:
            ends = [len(text) - len(literal)] if text.endswith(literal) and len(text) - len(literal) > pos else []
        else:
            ends, at = [], text.find(literal, pos + 1)
            while at != -1:
                ends.append(at)
                at = text.find(literal, at + 1)
        for end in ends:
            value = text[pos:end]
            strict = STRICT.get(names[i])
            if strict and not re.fullmatch(strict, value):
                continue
            if names[i] not in NESTED and names[i] not in LISTS and (". " in value or "; " in value):
                continue  # a value (a SKU, a bin) never holds the end of a sentence: the next sentence does
            values[names[i]] = value
            yield from walk(end + len(literal), i + 1, values)
            values.pop(names[i], None)

    yield from walk(len(literals[0]), 0, {})


def _say_value(name, value, language):
    """A value read from a sentence, in the screen's language; None when it must be a sentence,
    a list or a code and is not one."""
    if name in CODES:
        kind = CODES[name]
        if value in LABELS[kind]:
            return gettext(LABELS[kind][value])
        return None if kind in STRICT_CODES else value
    if name in NESTED:
        return _say(value, language)
    if name in LISTS:
        said = []
        for part in value.split(LISTS[name]):
            if part in ITEM_FLAGS:  # a flag's code (a refund's "mismatch: serial_mismatch")
                said.append(gettext(ITEM_FLAGS[part]))
                continue
            one = _say(part, language)
            if one is None:
                return None
            said.append(one)
        return LIST_JOIN.get(language, {}).get(name, LISTS[name]).join(said)
    phrases = _all_templates()[0]
    return gettext(value) if value in phrases else value  # data (a SKU, a bin), or "(no bin)"


def _say(text, language):
    """`text` in the screen's language, or None when no template (or flag) reads it."""
    phrases, templates = _all_templates()
    if text in phrases:
        return gettext(text)
    flag = next((code for code, words in ITEM_FLAGS.items() if words == text), None)
    if flag:
        return gettext(ITEM_FLAGS[flag])
    for template, parts in templates:
        for values in _readings(text, parts):
            said = {name: _say_value(name, value, language) for name, value in values.items()}
            if all(v is not None for v in said.values()):
                return gettext(template, **said)
    return None


@bp.app_template_filter("said")
def said(text):
    """A sentence the rules wrote in English, in the screen's language (as written when it is
    English, or when no template reads it)."""
    if not text or not isinstance(text, str):
        return text
    language = get_locale().language if get_locale() else "en"
    if language == "en":
        return text
    found = _say(text, language)
    return text if found is None else found
