"""Find a parcel with no label: by customer name (any order of its words, accents or not, any script
from its Latin spelling, with a typo), email, phone (national or international), order number or a
tracking number. Orders with an open RMA first, then the newest; each with what it should hold."""
import json

from rapidfuzz import fuzz

from station.db import rows
from station.intake.lookup import expected_lines, latest_rma
from station.intake.search_keys import (CJK, SKELETON_MARK, digits, fold, phone_forms, query_forms, skeleton_matches,
                                         words)

__all__ = ["search_orders", "searchable", "fold", "digits"]

LIMIT = 20
CANDIDATES = 5000  # customers a name may match; the ranking reads their orders through an index
FUZZY_CANDIDATES = 200  # customers sharing the most trigrams with a mistyped name, scored by rapidfuzz
FUZZY_MIN = 75  # rapidfuzz ratio (0-100) of every typed word to a word of the name: wangfnag/wangfang is 88
TRIGRAM = 3  # the index finds substrings of three characters or more; shorter ones are scanned for

# an RMA is open until a closed return answers it: the parcel is on its way or on the bench
_OPEN_RMA = ("(SELECT m.rma_no FROM rmas m WHERE m.order_no = o.order_no AND NOT EXISTS (SELECT 1 FROM returns r "
             "WHERE r.rma_no = m.rma_no AND r.status = 'closed') ORDER BY m.created_at DESC, m.rma_no DESC LIMIT 1)")
_FIELDS = ("o.order_no, o.placed_at, o.delivered_at, o.channel, o.status, c.customer_id, c.name AS customer_name, "
           f"c.email, c.phone, c.country, {_OPEN_RMA} AS open_rma")


def searchable(q):
    """Is this text worth a search: two characters, or one of a CJK script."""
    q = (q or "").strip()
    return 0 < len(q) <= 100 and (len(q) >= 2 or bool(CJK.search(q)))


def _phrase(text):
    return '"' + text.replace('"', '""') + '"'


def _escape(text):
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _customers(db, column, alternatives, limit):
    """Customers whose `column` holds, for every list of alternatives, one of them (as a substring).

    Lists whose alternatives all have three characters or more go to the trigram index; a
    shorter one (王, li) is a LIKE over what the index narrowed, or over every customer.
    """
    indexed = [alts for alts in alternatives if min(map(len, alts)) >= TRIGRAM]
    scanned = [alts for alts in alternatives if min(map(len, alts)) < TRIGRAM]
    likes = " AND ".join("(" + " OR ".join([f"s.{column} LIKE ? ESCAPE '\\'"] * len(alts)) + ")" for alts in scanned)
    params = [f"%{_escape(a)}%" for alts in scanned for a in alts]
    if indexed:
        match = " AND ".join(f"{column} : (" + " OR ".join(map(_phrase, alts)) + ")" for alts in indexed)
        sql = ("SELECT s.customer_id, s.names, s.email, s.phone FROM customer_search_fts f "
               "JOIN customer_search s ON s.id = f.rowid WHERE customer_search_fts MATCH ?" + (f" AND {likes}" if likes else ""))
        params = [match] + params
    else:
        sql = f"SELECT s.customer_id, s.names, s.email, s.phone FROM customer_search s WHERE {likes}"
    return rows(db, sql + " LIMIT ?", params + [limit])


def _name_matches(names, typed):
    """Every typed word starts a word of the name key in one of its forms (CJK: anywhere in a word)."""
    keys = names.split()
    return all(any(_form_matches(form, names, keys) for form in forms) for forms in typed)


def _form_matches(form, names, keys):
    if CJK.search(form):
        return form in names
    if form.startswith(SKELETON_MARK):
        return any(skeleton_matches(form, k) for k in keys)
    return any(k.startswith(form) for k in keys)


def _name_customers(db, typed_words):
    typed = [query_forms(word) for word in typed_words]
    found = _customers(db, "names", typed, CANDIDATES)
    return [c["customer_id"] for c in found if _name_matches(c["names"], typed)]


def _closeness(word, keys):
    """How near a typed word is to its best word of a name key (0-100), also to as much of it as was typed.

    A word too short for a typo (li, 王) counts only where it starts a word, as in an exact match.
    """
    if len(word) < TRIGRAM or CJK.search(word):
        return 100 if _name_matches(" ".join(keys), [query_forms(word)]) else 0
    forms = query_forms(word)  # the word, and for an Arabic name its consonants (alotiabi is ~ltb)
    return max(max(fuzz.ratio(form, k), fuzz.ratio(form, k[:len(form) + 1])) for form in forms for k in keys)


def _swaps(word):
    """The word and every spelling with two neighbouring letters swapped back (fnag -> fang): a short word
    mistyped that way shares no trigram with the right one."""
    return {word} | {word[:i] + word[i + 1] + word[i] + word[i + 2:] for i in range(len(word) - 1)}


def _fuzzy_customers(db, typed_words, exclude):
    """Customers whose name is the typed one with a typo or two, with how near (0-100): the trigram index
    proposes, rapidfuzz decides.

    A name is proposed when it shares trigrams with the typed words (in one of their forms, or with
    two letters swapped back) and holds each short word (li) as typed; the index ranks them by what
    they share (bm25), rapidfuzz scores the best FUZZY_CANDIDATES.
    """
    long = [w for w in typed_words if min(map(len, query_forms(w))) >= TRIGRAM and not CJK.search(w)]  # ali is ~l
    if not long:
        return []
    grams = sorted({f[i:i + TRIGRAM] for w in long for v in _swaps(w) for f in query_forms(v)
                    for i in range(len(f) - TRIGRAM + 1)})
    short = [query_forms(w) for w in typed_words if w not in long]
    match = "names : (" + " OR ".join(map(_phrase, grams)) + ")"
    likes = "".join(" AND (" + " OR ".join(["s.names LIKE ? ESCAPE '\\'"] * len(forms)) + ")" for forms in short)
    found = rows(db, "SELECT s.customer_id, s.names FROM customer_search_fts f JOIN customer_search s ON s.id = f.rowid "
                     f"WHERE customer_search_fts MATCH ?{likes} ORDER BY f.rank LIMIT ?",
                 [match] + [f"%{_escape(f)}%" for forms in short for f in forms] + [FUZZY_CANDIDATES])
    scored = []
    for c in found:
        if c["customer_id"] in exclude:
            continue
        keys = c["names"].split()
        worst = min(_closeness(w, keys) for w in typed_words)
        if worst >= FUZZY_MIN:
            scored.append((c["customer_id"], worst))
    return dict(scored)


def _ranked(db, where, params, limit):
    """Returnable orders matching `where` (named parameters): an open RMA first, then the newest."""
    return rows(db, f"SELECT {_FIELDS} FROM orders o JOIN customers c ON c.customer_id = o.customer_id "
                    f"WHERE o.status IN ('shipped', 'delivered') AND {where} "
                    "ORDER BY open_rma IS NULL, o.placed_at DESC LIMIT :limit", {**params, "limit": limit})


def _of_customers(db, customer_ids, limit):
    if not customer_ids:
        return []
    return _ranked(db, "o.customer_id IN (SELECT value FROM json_each(:ids))", {"ids": json.dumps(customer_ids)}, limit)


def _rank(found):
    """An open RMA first, then the newest (two stable sorts)."""
    newest = sorted(found, key=lambda r: r["placed_at"] or "", reverse=True)
    return sorted(newest, key=lambda r: r["open_rma"] is None)


def search_orders(db, q, limit=LIMIT):
    """Returnable orders matching the text, best first (at most `limit`), each with its expected lines."""
    q = (q or "").strip()
    if not searchable(q):
        return []
    exact = {}
    # order number or tracking number, as typed, in capitals or in small letters (each through its index:
    # COLLATE NOCASE would read every order)
    cases = json.dumps(list(dict.fromkeys([q, q.upper(), q.lower()])))
    for row in _ranked(db, "o.order_no IN (SELECT value FROM json_each(:c) UNION SELECT order_no FROM cartons WHERE "
                           "tracking_no IN (SELECT value FROM json_each(:c)) UNION SELECT order_no FROM cartons WHERE "
                           "carton_code IN (SELECT value FROM json_each(:c)) UNION SELECT order_no FROM rmas WHERE "
                           "return_tracking_no IN (SELECT value FROM json_each(:c)) UNION SELECT order_no FROM rmas "
                           "WHERE rma_no IN (SELECT value FROM json_each(:c)))", {"c": cases}, limit):
        exact.setdefault(row["order_no"], row)
    typed_words = words(fold(q))
    customers = _name_customers(db, typed_words) if typed_words else []
    # email, from its start
    email = fold(q)
    if len(email) >= TRIGRAM:
        customers += [c["customer_id"] for c in _customers(db, "email", [[email]], CANDIDATES)
                      if (c["email"] or "").startswith(email)]
    # phone: national (07908 378656, 8 916 …) or international (+44 7908 378656, 0044 …), any spacing
    forms = phone_forms(q)
    if forms and len(digits(q)) * 2 >= len("".join(q.split())):
        customers += [c["customer_id"] for c in _customers(db, "phone", [forms], CANDIDATES)]
    for row in _of_customers(db, list(dict.fromkeys(customers)), limit):
        exact.setdefault(row["order_no"], row)
    found = _rank(exact.values())[:limit]
    # a typo (wangfnag, garcai daniel): below every exact match, only when those leave room
    if len(found) < limit and any(len(w) >= TRIGRAM + 1 for w in typed_words):
        fuzzy = _fuzzy_customers(db, typed_words, set(customers))
        seen = {r["order_no"] for r in found}
        # the nearest names first (the newest 20 orders of two hundred near names would hide the right one)
        nearest = sorted(fuzzy, key=lambda c: -fuzzy[c])[:limit]
        near = sorted(_rank(_of_customers(db, nearest, limit * 5)), key=lambda r: -fuzzy[r["customer_id"]])
        found += [r for r in near if r["order_no"] not in seen][:limit - len(found)]
    for row in found:
        row["rma_no"] = row["open_rma"] or latest_rma(db, row["order_no"])
        row["lines"] = expected_lines(db, row["order_no"], row["rma_no"])
        row["fuzzy"] = row["customer_id"] not in customers and row["order_no"] not in exact
    return found

