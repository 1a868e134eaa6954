"""The demo data set: a few months of a cross-border returns bench, made up but plausible.

Everything but the history of closed returns goes through importer.import_rows, so the
demo obeys the same rules as a real import. Dates count back from the moment it loads;
everything else depends only on the seed. The first records are fixed (DEMO_EXAMPLES)
so the README and the tests can name them.

Here the loader and the closed returns it writes directly; the fixed tables are in tables.py,
the rows generated in builder.py, the parcel codes' check digits in codes.py.
"""
import json
import random
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal

from station import db as db_module
from station import money
from station.data import importer
from station.data.demo.builder import _Builder
from station.data.demo.tables import DEMO_USERS, SUPPLIERS, _PRODUCT_BY_SKU
from station.timeutil import now


def load_demo(db, seed=7, customers=2400, orders=22000):
    """Load the demo data set in one transaction; returns what was loaded."""
    data = _Builder(random.Random(seed), now().replace(microsecond=0))
    data.build(customers, orders)
    with db_module.write(db):
        counts = importer.import_rows(db, data.tables)
        counts["returns"] = _insert_history(db, data.history) + _insert_arrived(db, data.arrived)
    counts["countries"] = len({c["country"] for c in data.tables["customers"]})
    since = (now() - timedelta(days=90)).strftime("%Y-%m-%dT%H:%M:%SZ")
    counts["frequent_returners"] = db.execute(
        "SELECT count(*) FROM (SELECT o.customer_id FROM returns r JOIN orders o USING (order_no) "
        "WHERE r.opened_at >= ? AND r.status = 'closed' GROUP BY o.customer_id HAVING count(*) >= 3)", [since]).fetchone()[0]
    return counts


def _insert_history(db, history):
    """Closed returns of the frequent returners, as the bench would have recorded them."""
    done = {row[0] for row in db.execute("SELECT order_no FROM returns")}  # loading twice adds nothing
    suppliers = {s[0]: s for s in SUPPLIERS}
    latest = {}
    for h in history:
        latest[h["customer_id"]] = h["order_no"]
    operator, supervisor = DEMO_USERS[0]["name"], DEMO_USERS[1]["name"]
    count = 0
    for h in history:
        if h["order_no"] in done:
            continue
        product = _PRODUCT_BY_SKU[h["sku"]]
        return_id = db["returns"].insert(dict(
            order_no=h["order_no"], rma_no=h["rma_no"], code=h["code"], match="carton", station="bench-1",
            opened_by=operator, status="closed", opened_at=h["opened_at"], closed_at=h["closed_at"])).last_pk
        recommendation = _recommend(product, h["grade"], suppliers[product["supplier_id"]])
        item_id = db["return_items"].insert(dict(
            return_id=return_id, sku=h["sku"], code=product["gtin"], qty=1, grade=h["grade"], reason=h["reason"],
            serial=h["serial"], flags="[]", recommendation=json.dumps(recommendation), added_by=operator,
            added_at=h["opened_at"])).last_pk
        db["decisions"].insert(dict(
            item_id=item_id, disposition=recommendation["disposition"], target=recommendation["target"],
            recommended_disposition=recommendation["disposition"], recommended_target=recommendation["target"],
            decided_by=operator, station="bench-1", decided_at=h["opened_at"]))
        price = Decimal(h["unit_price"])
        amount = price if h["grade"] == "A" else price * (1 - Decimal("0.15"))  # customer side, restocking fee
        paid = h["order_no"] != latest[h["customer_id"]]  # the newest is still waiting for the payment run
        db["refunds"].insert(dict(
            return_id=return_id, amount=str(amount.quantize(Decimal("0.01"), ROUND_HALF_UP)), currency=h["currency"],
            status="paid" if paid else "ready", payment_ref=f"PAY-{return_id:06d}" if paid else None,
            decided_by=supervisor if paid else None, computed_at=h["closed_at"], updated_at=h["closed_at"]))
        count += 1
    return count


def _insert_arrived(db, arrived):
    """The RMAs whose parcel came back: a closed return each, an item per RMA line with its
    decision, and its refund (paid, the last week's still ready), as the bench would have left them."""
    done = {row[0] for row in db.execute("SELECT rma_no FROM returns WHERE rma_no IS NOT NULL")}
    suppliers = {s[0]: s for s in SUPPLIERS}
    operator, supervisor = DEMO_USERS[0]["name"], DEMO_USERS[1]["name"]
    recent = (now() - timedelta(days=7)).strftime("%Y-%m-%dT%H:%M:%SZ")
    count = 0
    for a in arrived:
        if a["rma_no"] in done:
            continue
        return_id = db["returns"].insert(dict(
            order_no=a["order_no"], rma_no=a["rma_no"], code=a["code"], match="carton", station="bench-1",
            opened_by=operator, status="closed", opened_at=a["opened_at"], closed_at=a["closed_at"])).last_pk
        total = Decimal("0")
        for line, grade in zip(a["lines"], a["grades"]):
            product = _PRODUCT_BY_SKU[line["sku"]]
            recommendation = _recommend(product, grade, suppliers[product["supplier_id"]])
            item_id = db["return_items"].insert(dict(
                return_id=return_id, sku=line["sku"], code=product["gtin"], qty=line["qty"], grade=grade,
                reason=a["reason"], serial=(line["serials"] or [None])[0] or None, flags="[]",
                recommendation=json.dumps(recommendation), added_by=operator, added_at=a["opened_at"])).last_pk
            db["decisions"].insert(dict(
                item_id=item_id, disposition=recommendation["disposition"], target=recommendation["target"],
                recommended_disposition=recommendation["disposition"], recommended_target=recommendation["target"],
                decided_by=operator, station="bench-1", decided_at=a["opened_at"]))
            price = Decimal(str(line["unit_price"])) * line["qty"]
            total += price if grade == "A" else price * (1 - Decimal("0.15"))
        paid = a["closed_at"] < recent
        amount = money.text(total, a["currency"])
        db["refunds"].insert(dict(
            return_id=return_id, amount=amount, currency=a["currency"], status="paid" if paid else "ready",
            payment_ref=f"PAY-{return_id:06d}" if paid else None, decided_by=supervisor if paid else None,
            computed_at=a["closed_at"], updated_at=a["closed_at"]))
        count += 1
    return count


def _recommend(product, grade, supplier):
    """The default policy's recommendation for a historical item, in the stored JSON shape."""
    price = Decimal(str(product["price"]))
    options = {"restock": price if grade == "A" else price * Decimal("0.80"),
               "scrap": price * Decimal("0.05")}
    if product["refurbishable"] and grade != "A":
        options["refurbish"] = price * Decimal("0.70") - Decimal(str(product["refurb_cost"]))
    if grade == "C":
        del options["restock"]
        if supplier[3]:
            options["rtv"] = Decimal(str(product["unit_cost"]))
    if grade == "B" and product["refurbishable"]:
        options = {k: v for k, v in options.items() if k != "restock"}
    best = max(options, key=lambda k: options[k])
    target = {"restock": product["bin"], "rtv": product["supplier_id"]}.get(best)
    return {"disposition": best, "target": target,
            "why": f"Grade {grade}: {best} recovers the most ({money.text(options[best], 'USD')} USD)",
            "options": [{"disposition": k, "value": money.text(v, "USD"), "currency": "USD"} for k, v in options.items()],
            "currency": "USD"}
