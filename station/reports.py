"""Supervisor reports. Return rates are cohorts by the order's shipped_at (DESIGN.md)."""
import csv
import io
from datetime import date, timedelta

from .db import rows
from .errors import bad

GROUPS = {
    # key expression on the shipped side (ol/o/c/p) and on the returned side (i/o/c/p)
    "sku": ("ol.sku", "i.sku"),
    "supplier": ("p.supplier_id", "p.supplier_id"),
    "country": ("c.country", "c.country"),
    "channel": ("o.channel", "o.channel"),
    "reason": (None, "i.reason"),
}
SHIPPED = "o.status IN ('shipped', 'delivered')"
# items that are not returns of the SKU they were recorded as
NOT_A_RETURN = "i.flags NOT LIKE '%item_mismatch%' AND i.flags NOT LIKE '%unknown_product%'"


def _day(value, field):
    if value in (None, ""):
        return None
    try:
        return date.fromisoformat(str(value)[:10]) if len(str(value)) >= 10 else date.fromisoformat(value)
    except ValueError:
        raise bad(field, "must be a date YYYY-MM-DD") from None


def _range(from_, to):
    start, end = _day(from_, "from"), _day(to, "to")
    if start and end and end < start:
        raise bad("to", "is before from")
    where, params = [], []
    if start:
        where.append("o.shipped_at >= ?")
        params.append(start.isoformat())
    if end:
        where.append("o.shipped_at < ?")
        params.append((end + timedelta(days=1)).isoformat())
    return where, params


def return_rates(db, group_by="sku", from_=None, to=None):
    """{"rows": [{key, units_shipped, units_returned, rate}]}, highest rate first."""
    if group_by not in GROUPS:
        raise bad("group_by", "must be one of " + ", ".join(GROUPS))
    where, params = _range(from_, to)
    cohort = " AND ".join([SHIPPED] + where)
    ship_key, ret_key = GROUPS[group_by]
    joins = "JOIN orders o ON o.order_no = {t}.order_no JOIN customers c ON c.customer_id = o.customer_id " \
            "LEFT JOIN products p ON p.sku = {s}"
    returned = {
        r["key"]: r["n"] for r in rows(
            db,
            f"SELECT {ret_key} AS key, sum(i.qty) AS n FROM return_items i JOIN returns r ON r.return_id = i.return_id "
            + joins.format(t="r", s="i.sku") + f" WHERE {cohort} AND {NOT_A_RETURN} GROUP BY 1",
            params,
        )
    }
    if ship_key is None:
        total = rows(db, "SELECT coalesce(sum(ol.qty), 0) AS n FROM order_lines ol " + joins.format(t="ol", s="ol.sku")
                     + f" WHERE {cohort}", params)[0]["n"]
        shipped = {key: total for key in returned}
    else:
        shipped = {
            r["key"]: r["n"] for r in rows(
                db,
                f"SELECT {ship_key} AS key, sum(ol.qty) AS n FROM order_lines ol " + joins.format(t="ol", s="ol.sku")
                + f" WHERE {cohort} GROUP BY 1",
                params,
            )
        }
    result = []
    for key in set(shipped) | set(returned):
        units_shipped, units_returned = shipped.get(key, 0), returned.get(key, 0)
        rate = round(units_returned / units_shipped, 4) if units_shipped else 0.0
        result.append({"key": key, "units_shipped": units_shipped, "units_returned": units_returned, "rate": rate})
    result.sort(key=lambda r: (-r["rate"], -r["units_returned"], str(r["key"])))
    return {"rows": result}


def to_csv(table_rows, columns):
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    writer.writerows(table_rows)
    return out.getvalue()
