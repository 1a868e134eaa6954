"""Value: what decided items recover by disposition against their value as new, and write-offs.

From report_value (migration 0003_reports), in cents, by the day the item was decided.
Original value is the catalogue price x quantity; recovered is the value the station showed
for the chosen option when it was decided; cost is unit cost x quantity.
"""
from station.db import rows
from station.policy import DISPOSITIONS
from station.reporting.periods import cover, parse_range


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
    return {"rows": result, "total": _row("all", total)}


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
