"""0011: a refund line per item, payments under their reference, exchange rates, return labels."""
import json
from decimal import ROUND_HALF_UP, Decimal

from station.migrations.registry import migrations

SCHEMA = [
    # one line per returned item: its own amount and status; the refund's figures are their sums
    """CREATE TABLE refund_lines (
        item_id INTEGER PRIMARY KEY REFERENCES return_items(item_id),
        refund_id INTEGER NOT NULL REFERENCES refunds(refund_id),
        amount TEXT NOT NULL,              -- decimal string in the refund's currency (held: proposed)
        status TEXT NOT NULL,              -- ready | held | rejected | paid | exchange
        why TEXT NOT NULL,
        holds TEXT NOT NULL DEFAULT '[]',  -- JSON: what holds it (grade_x, out_of_window, earlier_fraud, ...)
        payment_id INTEGER REFERENCES refund_payments(payment_id),
        note TEXT,
        decided_by TEXT,
        updated_at TEXT NOT NULL
    )""",
    "CREATE INDEX refund_lines_refund ON refund_lines(refund_id, status)",
    # a payment confirms the ready lines under the payment system's own reference, once
    """CREATE TABLE refund_payments (
        payment_id INTEGER PRIMARY KEY,
        refund_id INTEGER NOT NULL REFERENCES refunds(refund_id),
        payment_ref TEXT NOT NULL,
        amount TEXT NOT NULL,
        paid_at TEXT NOT NULL,
        paid_by TEXT,
        UNIQUE (refund_id, payment_ref)
    )""",
    "ALTER TABLE refunds ADD COLUMN adjustments TEXT NOT NULL DEFAULT '[]'",  # JSON: shipping, label
    # units of the base currency for one unit of `currency` (fx_rates.csv, the admin screen)
    """CREATE TABLE fx_rates (
        currency TEXT PRIMARY KEY,
        rate TEXT NOT NULL,
        as_of TEXT,
        updated_by TEXT,
        updated_at TEXT NOT NULL
    )""",
    # rmas.csv: the return label (cost in the order's currency, who paid it) and the variant asked for
    "ALTER TABLE rmas ADD COLUMN label_cost TEXT",
    "ALTER TABLE rmas ADD COLUMN label_paid_by TEXT",
    "ALTER TABLE rmas ADD COLUMN exchange_sku TEXT",
    # the amount a quarantine review set for its item's line (restock, scrap), to settle it at close
    "ALTER TABLE quarantine_reviews ADD COLUMN refund_amount TEXT",
]


def _cents(value):
    return Decimal(str(value)).quantize(Decimal("0.01"), ROUND_HALF_UP)


def _split(total, weights):
    """`total` over the weights in proportion, in cents, the remainder on the last (sums exactly)."""
    weight_sum = sum(weights)
    parts = []
    for weight in weights[:-1]:
        parts.append(_cents(total * weight / weight_sum) if weight_sum else Decimal("0.00"))
    parts.append(total - sum(parts, Decimal("0")))
    return parts


def _lines_of(db, refund):
    """A recorded refund as lines, changing no amount, status or payment recorded.

    Held lines kept their amounts and reasons (hold_reasons); the rest of the recorded amount
    goes to the other items in proportion to what their order lines cost. A held refund was
    held whole: every line of it stays held (a supervisor releases it as before).
    """
    items = db.execute(
        "SELECT i.item_id, i.sku, i.qty, (SELECT ol.unit_price FROM order_lines ol JOIN returns r ON r.order_no = ol.order_no "
        "WHERE r.return_id = i.return_id AND ol.sku = i.sku ORDER BY ol.line_no LIMIT 1) FROM return_items i "
        "WHERE i.return_id = ? ORDER BY i.item_id", [refund["return_id"]]).fetchall()
    if not items:
        return []
    recorded = {line.get("item_id"): line for line in json.loads(refund["hold_reasons"] or "[]")
                if isinstance(line.get("item_id"), int)}
    total = Decimal(refund["amount"])
    weights = {i[0]: Decimal(str(i[3] or 0)) * i[2] for i in items}
    held_total = sum((_cents(line["amount"]) for line in recorded.values()), Decimal("0"))
    rest = [i[0] for i in items if i[0] not in recorded]
    if refund["status"] == "held" and recorded and rest and held_total <= total:
        # the held lines as computed; what is left of the amount over the other items
        amounts = {i: _cents(recorded[i]["amount"]) for i in recorded}
        amounts.update(zip(rest, _split(total - held_total, [weights[i] for i in rest])))
    else:  # (approved at another amount, or all held): the recorded amount over every item
        amounts = dict(zip(weights, _split(total, list(weights.values()))))
    lines = []
    for item_id, sku, _qty, _price in items:
        amount = amounts[item_id]
        why = (recorded.get(item_id) or {}).get("why") or "recorded before refunds had a line per item"
        status = refund["status"]
        if refund["status"] == "held" and item_id not in recorded:
            why += "; the refund was held whole"
        lines.append((item_id, refund["refund_id"], str(amount), status, why))
    return lines


def move_refunds_into_lines(db):
    """Every refund without lines (recorded before 0011) becomes lines that sum to its amount, with
    its status, and a paid refund its payment under its reference."""
    cursor = db.conn.execute("SELECT refund_id, return_id, amount, status, hold_reasons, payment_ref, updated_at FROM refunds "
                             "WHERE refund_id NOT IN (SELECT refund_id FROM refund_lines)")
    names = [c[0] for c in cursor.description]
    for row in cursor.fetchall():
        refund = dict(zip(names, row))
        payment_id = None
        if refund["status"] == "paid":
            payment_id = db.execute(
                "INSERT INTO refund_payments (refund_id, payment_ref, amount, paid_at) VALUES (?, ?, ?, ?)",
                [refund["refund_id"], refund["payment_ref"] or "(recorded)", refund["amount"], refund["updated_at"]],
            ).lastrowid
        for item_id, refund_id, amount, status, why in _lines_of(db, refund):
            db.execute("INSERT INTO refund_lines (item_id, refund_id, amount, status, why, payment_id, updated_at) "
                       "VALUES (?, ?, ?, ?, ?, ?, ?)",
                       [item_id, refund_id, amount, status, why, payment_id, refund["updated_at"]])


@migrations(name="0011_refund_lines")
def m0011_refund_lines(db):
    """Refund lines and payments; every recorded refund becomes lines that sum to its amount."""
    for statement in SCHEMA:
        db.execute(statement)
    move_refunds_into_lines(db)
