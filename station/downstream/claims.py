"""Carrier claims: items damaged in transit are the carrier's fault; a supervisor claims and settles them.

An item joins a claim when its verified reason is `damaged_in_transit` and its decision is
recorded (whatever the disposition: the carrier pays for the damage, the item still goes where it
was decided). Its claim is `open` until a supervisor records it `claimed` (the carrier's claim
reference), `settled` (the amount the carrier paid, in the order's currency) or `rejected` (a
note why). Settled and rejected claims are done: they leave the claims list.

What a claim shows: the carrier and tracking number of the order's outbound carton (the carton
the parcel was opened with when it was one, else the order's first; "unknown carrier" without a
carton or carrier), the RMA's return tracking number, the photos, and the declared value: the
order line's unit price x the item's quantity, in the order's currency (fixed on the claim when
it is first filed, settled or rejected).
"""
from datetime import timedelta
from decimal import Decimal

from flask_babel import gettext as _

from station import money
from station.db import rows, write
from station.errors import bad, conflict, not_found
from station.events import emit
from station.inputs import db_id
from station.timeutil import now_iso
from station.languages import N_

TRANSIT = "damaged_in_transit"
UNKNOWN_CARRIER = N_("unknown carrier")  # kept in English (CSV, API); the screens translate it
STATUSES = ("open", "claimed", "settled", "rejected")
UNSETTLED = ("open", "claimed")
REF_LIMIT, NOTE_LIMIT = 100, 1000
CSV_COLUMNS = ["carrier", "item_id", "status", "claim_ref", "order_no", "tracking_no", "return_tracking_no", "sku", "name",
               "qty", "grade", "reason", "since", "value", "settled_amount", "currency", "photos"]

# the carton a claim names: the one the parcel was opened with (its code or tracking number), else
# the order's first carton
_CARTON = ("coalesce((SELECT c2.carton_code FROM cartons c2 WHERE c2.order_no = r.order_no "
           "AND (c2.carton_code = r.code OR c2.tracking_no = r.code) LIMIT 1), "
           "(SELECT c3.carton_code FROM cartons c3 WHERE c3.order_no = r.order_no ORDER BY c3.rowid LIMIT 1))")
_SELECT = (
    "SELECT i.item_id, d.decided_at AS since, d.disposition, i.return_id, r.order_no, i.sku, p.name, i.qty, i.grade, "
    "i.reason, i.serial, i.notes, o.currency AS order_currency, c.carrier AS carton_carrier, c.tracking_no, "
    "m.return_tracking_no, (SELECT ol.unit_price FROM order_lines ol WHERE ol.order_no = r.order_no AND ol.sku = i.sku "
    "ORDER BY ol.line_no LIMIT 1) AS unit_price, coalesce(k.status, 'open') AS status, k.carrier AS claim_carrier, "
    "k.claim_ref, k.claimed_at, k.claimed_by, k.value AS claim_value, k.currency AS claim_currency, k.settled_amount, "
    "k.settled_at, k.settled_by, k.note "
    "FROM return_items i JOIN decisions d ON d.item_id = i.item_id JOIN returns r ON r.return_id = i.return_id "
    "JOIN orders o ON o.order_no = r.order_no LEFT JOIN rmas m ON m.rma_no = r.rma_no "
    f"LEFT JOIN cartons c ON c.carton_code = {_CARTON} LEFT JOIN products p ON p.sku = i.sku "
    "LEFT JOIN carrier_claims k ON k.item_id = i.item_id "
    f"WHERE i.reason = '{TRANSIT}'"
)


def _shape(db, found):
    """Rows as claims: carrier, value and currency settled, photo ids attached."""
    photos = {}
    ids = [row["item_id"] for row in found]
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        for item_id, photo_id in db.execute(
                f"SELECT item_id, photo_id FROM photos WHERE item_id IN ({', '.join('?' * len(chunk))}) "
                "ORDER BY item_id, photo_id", chunk).fetchall():
            photos.setdefault(item_id, []).append(photo_id)
    claims = []
    for row in found:
        currency = row.pop("claim_currency") or row["order_currency"]
        value = row.pop("claim_value")
        if value is None and row["unit_price"] is not None:
            value = money.text(Decimal(str(row["unit_price"])) * row["qty"], currency)
        carrier = row.pop("claim_carrier") or row["carton_carrier"] or UNKNOWN_CARRIER
        for name in ("carton_carrier", "unit_price", "order_currency"):
            del row[name]
        claim = {"item_id": row.pop("item_id"), "since": row.pop("since"), "carrier": carrier,
                 "tracking_no": row.pop("tracking_no"), "return_tracking_no": row.pop("return_tracking_no"),
                 "order_no": row.pop("order_no"), "sku": row.pop("sku"), "qty": row.pop("qty"), "value": value,
                 "currency": currency, "status": row.pop("status")}
        claim["photos"] = photos.get(claim["item_id"], [])
        claim.update(row)
        claims.append(claim)
    return claims


def listing(db, statuses=UNSETTLED, carrier=None, limit=None):
    """Claims of these statuses, oldest decision first (of one carrier when named)."""
    marks = ", ".join("?" * len(statuses))
    sql = f"{_SELECT} AND coalesce(k.status, 'open') IN ({marks}) ORDER BY d.decided_at, i.item_id"
    params = list(statuses)
    if limit is not None and carrier is None:
        sql += " LIMIT ?"
        params.append(limit)
    claims = _shape(db, rows(db, sql, params))
    if carrier is not None:
        claims = [c for c in claims if c["carrier"] == carrier][:limit]
    return claims


def queue(db, limit=1000):
    """GET /api/queues/claims: the transit-damaged items whose claim is not settled, oldest first."""
    return {"items": listing(db, UNSETTLED, limit=limit)}


def recent(db, limit=20):
    """Claims settled or rejected, latest first."""
    found = rows(db, f"{_SELECT} AND k.status IN ('settled', 'rejected') ORDER BY k.updated_at DESC, i.item_id DESC LIMIT ?",
                 [limit])
    return _shape(db, found)


def get_claim(db, item_id):
    """One item's claim (any status), or 404 when the item is not a decided transit-damaged item."""
    item_id = db_id(item_id, "carrier claim for item")
    found = rows(db, f"{_SELECT} AND i.item_id = ?", [item_id])
    if not found:
        raise not_found(N_("carrier claim for item"), item_id)
    return _shape(db, found)[0]


def totals(claims):
    """The declared value per currency, as [{"currency", "value", "items"}] (currencies in order)."""
    sums = {}
    for claim in claims:
        entry = sums.setdefault(claim["currency"], {"currency": claim["currency"], "value": Decimal("0"), "items": 0,
                                                    "unvalued": 0})
        entry["items"] += 1
        if claim["value"] is None:
            entry["unvalued"] += 1
        else:
            entry["value"] += Decimal(claim["value"])
    return [{**entry, "value": money.text(entry["value"], currency)} for currency, entry in sorted(sums.items())]


def by_carrier(claims):
    """Claims grouped by carrier (named carriers A-Z, the unknown one last), each with its totals."""
    groups = {}
    for claim in claims:
        groups.setdefault(claim["carrier"], []).append(claim)
    order = sorted(groups, key=lambda name: (name == UNKNOWN_CARRIER, name.casefold(), name))
    return [{"carrier": name, "items": groups[name], "count": len(groups[name]), "totals": totals(groups[name]),
             "open": [c["item_id"] for c in groups[name] if c["status"] == "open"]} for name in order]


# --- changes: each one transaction and one event per item -------------------------------------

def _text(data, field, limit, required=True, what=N_("text")):
    value = data.get(field)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise bad(field, _("give the %(what)s", what=_(what)))
        return None
    if not isinstance(value, str):
        raise bad(field, _("must be text"))
    value = value.strip()
    if len(value) > limit:
        raise bad(field, _("must be at most %(limit)s characters", limit=limit))
    if any(ord(ch) < 32 or 0x7F <= ord(ch) < 0xA0 for ch in value):
        raise bad(field, _("must not hold control characters"))
    return value


def _body(data):
    if not isinstance(data, dict):
        raise bad("body", _("must be a JSON object"))
    return data


def _pending(db, item_id, action):
    """The claim, read inside the writing transaction; 409 when it is no longer open to `action`."""
    claim = get_claim(db, item_id)
    if claim["status"] == "settled":
        raise conflict("claim_settled", _("The claim for item %(item)s is settled already (%(amount)s %(currency)s): "
                                          "nothing changed", item=claim["item_id"], amount=claim["settled_amount"],
                                          currency=claim["currency"]))
    if claim["status"] == "rejected":
        raise conflict("claim_rejected", _("The claim for item %(item)s was rejected: nothing changed",
                                           item=claim["item_id"]))
    if action == "file" and claim["status"] == "claimed":
        raise conflict("claim_filed", _("The claim for item %(item)s is filed already under %(ref)s: nothing changed",
                                        item=claim["item_id"], ref=claim["claim_ref"]))
    return claim


def _store(db, claim, **fields):
    """Insert or update the item's row; the carrier, value and currency are fixed at the first write."""
    at = now_iso()
    db.execute(
        "INSERT INTO carrier_claims (item_id, status, carrier, value, currency, updated_at) VALUES (?, 'open', ?, ?, ?, ?) "
        "ON CONFLICT(item_id) DO NOTHING",
        [claim["item_id"], None if claim["carrier"] == UNKNOWN_CARRIER else claim["carrier"], claim["value"],
         claim["currency"], at])
    names = ", ".join(f"{name} = ?" for name in fields)
    db.execute(f"UPDATE carrier_claims SET {names}, updated_at = ? WHERE item_id = ?",
               [*fields.values(), at, claim["item_id"]])


def file_claim(db, item_id, data, user=None):
    """The claim is filed with the carrier under its reference (`claim_ref`)."""
    return file_claims(db, [item_id], data, user)[0]


def file_claims(db, item_ids, data, user=None, carrier=None):
    """File several open claims under one carrier reference, all or none (a carrier group on the screen)."""
    data = _body(data)
    ref = _text(data, "claim_ref", REF_LIMIT, what=N_("carrier's claim reference"))
    if not item_ids:
        raise bad("item_ids", _("name the items to claim"))
    with write(db):
        done = []
        for item_id in item_ids:
            claim = _pending(db, item_id, "file")
            if carrier is not None and claim["carrier"] != carrier:
                raise conflict("carrier_changed", _("Item %(item)s is claimed from %(carrier)s, not %(other)s: "
                                                    "nothing changed", item=claim["item_id"], carrier=claim["carrier"],
                                                    other=carrier))
            _store(db, claim, status="claimed", claim_ref=ref, claimed_at=now_iso(), claimed_by=user)
            emit(db, "claim.filed", item_id=claim["item_id"], carrier=claim["carrier"], claim_ref=ref,
                 amount=claim["value"], currency=claim["currency"])
            done.append(claim["item_id"])
    return [get_claim(db, item_id) for item_id in done]


def settle(db, item_id, data, user=None):
    """The carrier paid `amount` (in the order's currency, strict: `12,50` or `-1` is a 400); once."""
    data = _body(data)
    note = _text(data, "note", NOTE_LIMIT, required=False)
    with write(db):
        claim = _pending(db, item_id, "settle")
        amount = money.parse(data.get("amount"), "amount", claim["currency"])
        if amount == 0:
            raise bad("amount", _("must be more than 0 (a claim the carrier pays nothing on is rejected, with a note)"))
        paid = money.text(amount, claim["currency"])
        _store(db, claim, status="settled", settled_amount=paid, settled_at=now_iso(), settled_by=user,
               note=note if note is not None else claim["note"])
        emit(db, "claim.settled", item_id=claim["item_id"], carrier=claim["carrier"], claim_ref=claim["claim_ref"],
             amount=paid, currency=claim["currency"], value=claim["value"])
    return get_claim(db, claim["item_id"])


def reject(db, item_id, data, user=None):
    """The carrier will not pay (or the claim is not pursued): a note says why."""
    data = _body(data)
    note = _text(data, "note", NOTE_LIMIT, what=N_("reason the claim was rejected"))
    with write(db):
        claim = _pending(db, item_id, "reject")
        _store(db, claim, status="rejected", note=note, settled_at=now_iso(), settled_by=user)
        emit(db, "claim.rejected", item_id=claim["item_id"], carrier=claim["carrier"], claim_ref=claim["claim_ref"],
             amount=claim["value"], currency=claim["currency"], note=note)
    return get_claim(db, claim["item_id"])


def settled_in(db, start=None, end=None):
    """Carrier money settled from `start` to `end` (days, inclusive; None open), per currency:
    [{"currency", "items", "units", "value", "settled"}] with Decimal sums."""
    where, params = ["k.status = 'settled'"], []
    if start is not None:
        where.append("k.settled_at >= ?")
        params.append(start.isoformat())
    if end is not None:
        where.append("k.settled_at < ?")
        params.append((end + timedelta(days=1)).isoformat())
    found = db.execute(
        "SELECT k.currency, k.value, k.settled_amount, i.qty FROM carrier_claims k JOIN return_items i ON i.item_id = k.item_id "
        f"WHERE {' AND '.join(where)} ORDER BY k.currency", params).fetchall()
    sums = {}
    for currency, value, settled, qty in found:
        entry = sums.setdefault(currency, {"currency": currency, "items": 0, "units": 0, "value": Decimal("0"),
                                           "settled": Decimal("0")})
        entry["items"] += 1
        entry["units"] += qty
        entry["value"] += Decimal(value or "0")
        entry["settled"] += Decimal(settled)
    return list(sums.values())
