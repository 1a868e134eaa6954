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
# customers a name may match: a surname at 1,000,000 orders is about 500; two letters typed on the way to a
# name (li) match thousands, and the first CANDIDATES of them are ranked until the next letter narrows it
CANDIDATES = 1000
FUZZY_CANDIDATES = 200  # customers sharing the most trigrams with a mistyped name, scored by rapidfuzz
FUZZY_MIN = 75  # rapidfuzz ratio (0-100) of every typed word to a word of the name: wangfnag/wangfang is 88
TRIGRAM = 3  # the index finds substrings of three characters or more; shorter ones are scanned for

# an RMA is open until a closed return answers it: the parcel is on its way or on the bench
# (returns are read by order: no index has their rma_no)
_OPEN_RMA = ("(SELECT m.rma_no FROM rmas m WHERE m.order_no = o.order_no AND NOT EXISTS (SELECT 1 FROM returns r "
             "WHERE r.order_no = o.order_no AND r.rma_no = m.rma_no AND r.status = 'closed') "
             "ORDER BY m.created_at DESC, m.rma_no DESC LIMIT 1)")
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


def _closeness(word, forms, keys):
    """How near a typed word (in its forms) is to its best word of a name key (0-100), also to as much of
    it as was typed. A word too short for a typo (li, 王) counts only where it starts a word."""
    if len(word) < TRIGRAM or CJK.search(word):
        return 100 if _name_matches(" ".join(keys), [forms]) else 0
    return max(max(fuzz.ratio(form, k), fuzz.ratio(form, k[:len(form) + 1])) for form in forms for k in keys)


def _swaps(word):
    """The word and every spelling with two neighbouring letters swapped back (fnag -> fang): a short word
    mistyped that way shares no trigram with the right one."""
    return {word} | {word[:i] + word[i + 1] + word[i] + word[i + 2:] for i in range(len(word) - 1)}


def _fuzzy_customers(db, typed_words, exclude):
    """Customers whose name is the typed one with a typo or two, with how near (0-100): the trigram index
    proposes, rapidfuzz decides.

    Proposed: names sharing a trigram with each long typed word (in one of its forms, or with two
    letters swapped back) and holding each short word (li) as typed, best first by what they share
    (bm25). When no such name is near enough (a letter left out: bjrn), names sharing a trigram with
    any of the words (measured at 1,000,000 orders: 4 ms for each word, 28 ms for any word).
    """
    forms = {w: query_forms(w) for w in typed_words}
    long = [w for w in typed_words if min(map(len, forms[w])) >= TRIGRAM and not CJK.search(w)]  # ali is ~l
    if not long:
        return {}
    groups = [sorted({f[i:i + TRIGRAM] for v in _swaps(w) for f in query_forms(v) for i in range(len(f) - TRIGRAM + 1)})
              for w in long]
    short = [forms[w] for w in typed_words if w not in long]
    likes = "".join(" AND (" + " OR ".join(["s.names LIKE ? ESCAPE '\\'"] * len(alts)) + ")" for alts in short)
    each = " AND ".join("names : (" + " OR ".join(map(_phrase, grams)) + ")" for grams in groups)
    anyone = "names : (" + " OR ".join(map(_phrase, sorted({g for grams in groups for g in grams}))) + ")"
    for match in (each, anyone):
        found = rows(db, "SELECT s.customer_id, s.names FROM customer_search_fts f JOIN customer_search s ON s.id = "
                         f"f.rowid WHERE customer_search_fts MATCH ?{likes} ORDER BY f.rank LIMIT ?",
                     [match] + [f"%{_escape(a)}%" for alts in short for a in alts] + [FUZZY_CANDIDATES])
        scored = {}
        for c in found:
            if c["customer_id"] not in exclude:
                keys = c["names"].split()
                worst = min(_closeness(w, forms[w], keys) for w in typed_words)
                if worst >= FUZZY_MIN:
                    scored[c["customer_id"]] = worst
        if scored:
            return scored
    return {}


def _ranked(db, where, params, limit, sku=None):
    """Returnable orders matching `where` (named parameters): an open RMA first, then the newest.

    Two narrow reads, then the fields of at most 2 × limit orders: the `limit` newest, and the
    `limit` newest with an open RMA. Computing the open RMA and the fields for every matching
    order before sorting cost 25 ms for a surname's 5,000 orders at 1,000,000 orders.
    """
    base = f"FROM orders o WHERE o.status IN ('shipped', 'delivered') AND {where}"
    if sku:  # a product scanned with no parcel open, narrowed by a name: only orders holding it
        base += " AND o.order_no IN (SELECT order_no FROM order_lines WHERE sku = :sku)"
    params = {**params, "limit": limit, "sku": sku}
    newest = rows(db, f"SELECT o.order_no {base} ORDER BY o.placed_at DESC LIMIT :limit", params)
    with_rma = rows(db, f"SELECT o.order_no {base} AND EXISTS (SELECT 1 FROM rmas m WHERE m.order_no = o.order_no "
                        "AND NOT EXISTS (SELECT 1 FROM returns r WHERE r.order_no = o.order_no AND r.rma_no = m.rma_no "
                        "AND r.status = 'closed')) "
                        "ORDER BY o.placed_at DESC LIMIT :limit", params)
    picked = list(dict.fromkeys(r["order_no"] for r in with_rma + newest))
    found = rows(db, f"SELECT {_FIELDS} FROM orders o JOIN customers c ON c.customer_id = o.customer_id "
                     "WHERE o.order_no IN (SELECT value FROM json_each(?))", [json.dumps(picked)])
    return _rank(found)[:limit]


def _of_customers(db, customer_ids, limit, sku=None):
    if not customer_ids:
        return []
    return _ranked(db, "o.customer_id IN (SELECT value FROM json_each(:ids))", {"ids": json.dumps(customer_ids)}, limit,
                   sku)


def _rank(found):
    """An open RMA first, then the newest (two stable sorts)."""
    newest = sorted(found, key=lambda r: r["placed_at"] or "", reverse=True)
    return sorted(newest, key=lambda r: r["open_rma"] is None)


def search_orders(db, q, limit=LIMIT, sku=None):
    """Returnable orders matching the text, best first (at most `limit`), each with its expected lines;
    with `sku`, only orders holding that product (a product scanned with no parcel open)."""
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
                           "WHERE rma_no IN (SELECT value FROM json_each(:c)))", {"c": cases}, limit, sku):
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
    for row in _of_customers(db, list(dict.fromkeys(customers)), limit, sku):
        exact.setdefault(row["order_no"], row)
    found = _rank(exact.values())[:limit]
    # a typo (wangfnag, garcai daniel): below every exact match, only when those leave room
    if len(found) < limit and any(len(w) >= TRIGRAM + 1 for w in typed_words):
        fuzzy = _fuzzy_customers(db, typed_words, set(customers))
        seen = {r["order_no"] for r in found}
        # the nearest names first (the newest 20 orders of two hundred near names would hide the right one)
        nearest = sorted(fuzzy, key=lambda c: -fuzzy[c])[:limit]
        near = sorted(_rank(_of_customers(db, nearest, limit * 5, sku)), key=lambda r: -fuzzy[r["customer_id"]])
        found += [r for r in near if r["order_no"] not in seen][:limit - len(found)]
    for row in found:
        row["rma_no"] = row["open_rma"] or latest_rma(db, row["order_no"])
        row["lines"] = expected_lines(db, row["order_no"], row["rma_no"])
        row["fuzzy"] = row["customer_id"] not in customers and row["order_no"] not in exact
    return found

