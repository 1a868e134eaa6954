"""Value: what decided items recover by disposition against their value as new, and write-offs.

From report_value (migration 0003_reports), in cents, by the day the item was decided.
Original value is the catalogue price x quantity; recovered is the value the station showed
for the chosen option when it was decided; cost is unit cost x quantity.

Carrier claims (station/downstream/claims.py) recover money too: what carriers paid on claims
settled in the range (by the day settled) is a row of its own, `carrier_claim`. Claims are paid
in the order's currency; the row is in the base currency, each currency at its exchange rate
(fx_rates), and `claims` lists them per currency as paid. A currency without a rate stays out of
the row and the total (its `in_base` is None): it is never added as if it were the base.
"""
from decimal import ROUND_HALF_UP, Decimal

from station import money, policy
from station.data import fx
from station.db import rows
from station.downstream import claims as carrier_claims
from station.policy import DISPOSITIONS
from station.reporting.periods import cover, parse_range

CLAIM_ROW = "carrier_claim"


def _money(cents):
    return f"{cents / 100:.2f}"


def recovery(db, from_=None, to=None):
    """Per disposition: items, units, original value, recovered value and the share recovered."""
    start, end = parse_range(from_, to)
    periods = cover(db, "report_value", start, end)
    found = {r["disposition"]: r for r in rows(
        db,
        "SELECT disposition, sum(items) AS items, sum(units) AS units, sum(original) AS original, "
        "sum(recovered) AS recovered FROM report_value WHERE dim = 'all' AND period IN (SELECT value FROM json_each(?)) "
        "GROUP BY 1",
        [periods],
    )}
    result = []
    total = {"items": 0, "units": 0, "original": 0, "recovered": 0}
    for disposition in DISPOSITIONS:
        r = found.get(disposition)
        if not r or not r["items"]:
            continue
        for k in total:
            total[k] += r[k]
        result.append(_row(disposition, r))
    claimed, claim_row = claim_recoveries(db, start, end)
    if claim_row:
        # the claimed items were counted under their disposition when decided: the carrier's money
        # adds to what was recovered, not to the items or their value as new
        result.append({**_row(CLAIM_ROW, claim_row), "currency": claim_row["currency"]})
        total["recovered"] += claim_row["recovered"]
    return {"rows": result, "total": _row("all", total), "claims": claimed}


def _cents(amount):
    return int((Decimal(amount) * 100).quantize(Decimal("1"), ROUND_HALF_UP))


def claim_recoveries(db, start=None, end=None):
    """Carrier money settled from `start` to `end` (days): per currency as paid, and the base-currency
    row (cents) of those with an exchange rate (None when there is none)."""
    base = str(policy.load(db)["base_currency"]).upper()
    per_currency, row = [], None
    for entry in carrier_claims.settled_in(db, start, end):
        currency = (entry["currency"] or "").upper()
        rate = fx.rate(db, currency, base)
        settled_base = fx.to_base(entry["settled"], rate)
        value_base = fx.to_base(entry["value"], rate)
        per_currency.append({
            "currency": currency, "items": entry["items"], "units": entry["units"],
            "declared_value": money.text(entry["value"], currency),
            "settled_value": money.text(entry["settled"], currency),
            "rate": None if rate is None else format(rate, "f"),
            "in_base": None if settled_base is None else f"{_cents(settled_base) / 100:.2f}",
        })
        if rate is None:
            continue
        row = row or {"items": 0, "units": 0, "original": 0, "recovered": 0, "currency": base}
        row["items"] += entry["items"]
        row["units"] += entry["units"]
        row["original"] += _cents(value_base)
        row["recovered"] += _cents(settled_base)
    return per_currency, row


def _row(disposition, r):
    return {"disposition": disposition, "items": r["items"], "units": r["units"],
            "original_value": _money(r["original"]), "recovered_value": _money(r["recovered"]),
            "lost_value": _money(r["original"] - r["recovered"]),
            "recovery_rate": round(r["recovered"] / r["original"], 4) if r["original"] else 0.0}


def write_offs(db, from_=None, to=None, limit=None):
    """Scrapped units per SKU: cost written off after what liquidation brings back, most first."""
    start, end = parse_range(from_, to)
    periods = cover(db, "report_value", start, end)
    found = rows(
        db,
        "SELECT v.key AS sku, p.name, p.supplier_id, sum(v.items) AS items, sum(v.units) AS units, "
        "sum(v.cost) AS cost, sum(v.recovered) AS recovered, sum(v.original) AS original "
        "FROM report_value v LEFT JOIN products p ON p.sku = v.key WHERE v.dim = 'sku' AND v.disposition = 'scrap' "
        "AND v.period IN (SELECT value FROM json_each(?)) GROUP BY v.key HAVING sum(v.items) != 0 "
        "ORDER BY sum(v.cost) - sum(v.recovered) DESC, v.key",
        [periods],
    )
    total = {"units": 0, "cost": 0, "recovered": 0}
    result = []
    for r in found:
        for k in total:
            total[k] += r[k]
        result.append({"sku": r["sku"], "name": r["name"], "supplier_id": r["supplier_id"], "units": r["units"],
                       "cost_value": _money(r["cost"]), "liquidation_value": _money(r["recovered"]),
                       "written_off": _money(r["cost"] - r["recovered"])})
    if limit:
        result = result[:limit]
    return {"rows": result, "total": {"units": total["units"], "cost_value": _money(total["cost"]),
                                      "liquidation_value": _money(total["recovered"]),
                                      "written_off": _money(total["cost"] - total["recovered"])}}
