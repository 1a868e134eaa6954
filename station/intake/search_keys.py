"""What a customer is found by: names folded and spelled in Latin letters, the email, the phone's digits.

Computed once per customer (migration 0018's triggers call these through SQLite functions
registered in `station.db.connect`) and stored with a trigram index, so a search over a million
orders never transliterates a name while the operator waits.
"""
import functools
import re
import unicodedata

import phonenumbers
from anyascii import anyascii

# Han, kana and Hangul: one character is a family name (王, 李, 佐藤's 佐), and names carry no
# space between family and given name, so a part of the name is found anywhere in it
CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]")
# Arabic and Hebrew write few vowels: عمر is "mr" in Latin letters, so "omar" is compared by its
# consonants (see skeleton)
ABJAD = re.compile(r"[\u0590-\u05ff\u0600-\u06ff\u0750-\u077f\ufb1d-\ufdff\ufe70-\ufeff]")
_FOLDS = str.maketrans({"ß": "ss", "ø": "o", "đ": "d", "ł": "l", "æ": "ae", "œ": "oe", "ı": "i", "þ": "th"})
_SPLIT = re.compile(r"[^\w]+|_")
_KANA_MARKS = "\u3099\u309a"
SKELETON_MARK = "~"  # starts a consonant skeleton in the stored key, so "mr" typed is not "~mr"


def fold(text):
    """Text as a search compares it: lower case, without accents (Björn = bjorn, Łukasz = lukasz)."""
    if text is None:
        return None
    text = unicodedata.normalize("NFKD", str(text).casefold().translate(_FOLDS))
    # NFC puts back what is no accent: Hangul syllables (김, not its jamo) and kana's voicing (が)
    return unicodedata.normalize("NFC", "".join(c for c in text if not unicodedata.combining(c) or c in _KANA_MARKS))


def digits(text):
    """The digits of a phone number, whatever its spacing and signs."""
    return re.sub(r"\D", "", text) if text else None


# national trunk prefixes (0 in most countries, 8 in Russia, 06 in Hungary, 1 in the US): a number typed
# nationally is its national significant number behind one of them
@functools.cache
def trunk_prefixes():
    """Every region's national prefix (read once, when first needed: it loads all the metadata)."""
    return sorted({m.national_prefix for m in map(phonenumbers.PhoneMetadata.metadata_for_region,
                                                  phonenumbers.SUPPORTED_REGIONS) if m and m.national_prefix})


def phone_key(phone, country):
    """A phone's digits as stored, in international form and national significant number, space-separated.

    Read for the customer's country: 07908 378656 of a GB customer is also 447908378656 and
    7908378656, so the number is found whichever way it was stored and whichever way it is typed.
    """
    raw = digits(phone)
    if not raw:
        return None
    found = [raw]
    try:
        number = phonenumbers.parse(phone, (country or "").upper() or None)
    except phonenumbers.NumberParseException:
        number = None
    if number is not None and number.national_number:
        national = phonenumbers.national_significant_number(number)
        found += [f"{number.country_code}{national}", national]
    return " ".join(dict.fromkeys(found))


def phone_forms(text):
    """What a typed phone may be in a stored phone key: its digits, without 00 or a trunk prefix."""
    typed = digits(text) or ""
    forms = [typed, typed.lstrip("0")] + [typed[len(p):] for p in trunk_prefixes() if typed.startswith(p)]
    return [f for f in dict.fromkeys(forms) if len(f) >= 6]


def words(text):
    """The words of folded text (punctuation and spaces split them; apostrophes do not: Ol'ga is olga)."""
    return [w for w in _SPLIT.split((text or "").replace("'", "").replace("’", "").replace("`", "")) if w]


def latin(text):
    """Text in Latin letters, lower case: each CJK character its own syllable (王芳 -> wang fang)."""
    spaced = "".join(f" {c} " if CJK.match(c) else c for c in text or "")
    return fold(anyascii(spaced)).replace("'", "").replace("`", "")


def skeleton(word):
    """The consonants of a Latin spelling, doubled letters once: omar, umar -> mr; muhammad -> mhmd.

    w and y go too, being long vowels in Arabic (محمود -> mhmwd, typed mahmoud -> mhmd).
    """
    return re.sub(r"(.)\1+", r"\1", re.sub(r"[^a-z]|[aeiouwy]", "", word))


def _abjad_words(word):
    """An Arabic word and, when it carries the article al- (الزهراء), the word without it."""
    return [word, word[2:]] if word.startswith("ال") and len(word) > 3 else [word]


def name_key(name):
    """Every word a customer's name is found by, space-separated.

    The folded name (Björn -> bjorn, Анна -> анна, 王芳 -> 王芳), its Latin spelling
    (bjorn, anna, wang fang, and wangfang written together as it is in Chinese) and, for
    Arabic and Hebrew, consonant skeletons marked with SKELETON_MARK (~mr for عمر).
    """
    folded = fold(name) or ""
    found = words(folded)
    for word in words(unicodedata.normalize("NFKC", name or "")):
        spelled = words(latin(word))
        found += spelled
        # 王芳 is typed wangfang as often as wang fang, and 王小明's given name xiaoming
        found += ["".join(spelled[i:]) for i in range(len(spelled) - 1)]
    if ABJAD.search(folded):
        abjad = [word for word in words(folded) if ABJAD.search(word)]
        whole = [skeleton("".join(words(latin(word)))) for word in abjad]
        bare = [skeleton("".join(words(latin(word)))) for word in abjad for word in _abjad_words(word)[1:]]
        # two words' consonants together too: عبد الله is typed abdullah
        pairs = [a + b for a, b in zip(whole, whole[1:])]
        found += [SKELETON_MARK + s for s in whole + bare + pairs if s]
    return " ".join(dict.fromkeys(found))


def skeleton_matches(form, key):
    """A typed word's consonants against a name's: the same, or one more at the end (fatima ~ftm is
    فاطمة ~ftmh); the article al- starts any. Not any prefix: ella (~l) or weber (~br) is no Arabic name."""
    return key.startswith(form) and (len(key) - len(form) <= 1 or form == SKELETON_MARK + "l")


def query_forms(word):
    """What one typed word may match in a name key: itself, its Latin spelling and its skeleton."""
    forms = [word] + words(latin(word))[:1]
    bones = skeleton("".join(words(latin(word))))
    # "li" is no Arabic name's consonants; "al" and "el" are its article, written onto the next word
    if bones and word.isalpha() and (len(word) >= 3 or word in ("al", "el")):  # 1z999… is no name
        forms.append(SKELETON_MARK + bones)
    return list(dict.fromkeys(f for f in forms if f))
