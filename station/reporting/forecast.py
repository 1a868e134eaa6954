"""Purchasing: the returns expected per SKU in the next days, so buyers order net of them.

Expected returns of a SKU in the next H days =
    sum over its units shipped in the last LAG_CAP days (age a days) of
        rate(SKU) x (F(a + H) - F(a))
where F(k) is the share of returned units that came back within k days of shipment (from
report_lags, over ship months old enough to be complete), and rate(SKU) is its return rate
over the RATE_DAYS days of shipments ending MATURE_DAYS ago, blended with the overall rate
when it shipped few units then: (returned + BLEND x overall) / (shipped + BLEND).

Those are returns of units already shipped. Units sold during the next H days come back too:
`expected_with_new_sales` adds, at the SKU's pace of the last PACE_DAYS days (units a day),
    pace x rate(SKU) x (F(0) + F(1) + ... + F(H - 1))
(a unit shipped j days from now is back within the H days when its lag is at most H - j).
"""
import json
from datetime import timedelta

from station.db import rows
from station.inputs import whole_number
from station.languages import N_
from station import timeutil
from station.reporting.periods import decompose

LAG_CAP = 120      # as report_lags: later returns are counted at 120 days
MATURE_DAYS = 60   # shipments this old have had their return window
RATE_DAYS = 180
BLEND = 20
PACE_DAYS = 30


def days_arg(value):
    return whole_number(value, "days", 1, 90, default=30, unit=" of days")


def arrival_curve(db, as_of):
    """F as a list: F[k] = share of returned units back within k days of shipment (k = 0..LAG_CAP)."""
    cut = (as_of - timedelta(days=LAG_CAP)).strftime("%Y-%m")
    found = rows(db, "SELECT ship_month, lag, units FROM report_lags WHERE units != 0")
    mature = [r for r in found if r["ship_month"] < cut]
    basis = mature or found
    counts = [0] * (LAG_CAP + 1)
    for r in basis:
        counts[r["lag"]] += r["units"]
    total = sum(counts)
    curve, running = [], 0
    for n in counts:
        running += n
        curve.append(running / total if total else 0.0)
    # in English (the API's "basis"); the purchasing page shows it in its language
    return curve, (N_("complete ship months") if mature else N_("all returns so far") if found else N_("no returns yet"))


def expected_returns(db, days=30, at=None, limit=None):
    """Rows per SKU shipped lately: units shipped, the rate used, the returns expected in `days` days."""
    as_of = (at or timeutil.now()).date()
    curve, basis = arrival_curve(db, as_of)

    def F(k):
        return 1.0 if k >= LAG_CAP else curve[k]

    weights = [[(as_of - timedelta(days=a)).isoformat(), F(a + days) - F(a)] for a in range(LAG_CAP)]
    hist_end = as_of - timedelta(days=MATURE_DAYS)
    hist_start = hist_end - timedelta(days=RATE_DAYS - 1)
    hist_periods = decompose(hist_start, hist_end)
    found = rows(
        db,
        # one range scan of the day rows (month and year rows sort between them: length() drops them)
        "WITH w(period, weight) AS MATERIALIZED (SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]') "
        "  FROM json_each(:w)), "
        "recent AS (SELECT c.key, sum(c.shipped) AS units, sum(c.shipped * w.weight) AS weighted, "
        "  sum(CASE WHEN c.period >= :pace_from THEN c.shipped ELSE 0 END) AS pace_units FROM report_cohort c "
        "  JOIN w ON w.period = c.period WHERE c.dim = 'sku' AND c.period BETWEEN :first AND :last "
        "  AND length(c.period) = 10 GROUP BY c.key HAVING sum(c.shipped) > 0), "
        "hist AS (SELECT key, sum(shipped) AS shipped, sum(returned) AS returned FROM report_cohort "
        "  WHERE dim = 'sku' AND period IN (SELECT value FROM json_each(:h)) GROUP BY key) "
        "SELECT recent.key AS sku, p.name, p.supplier_id, recent.units, recent.weighted, recent.pace_units, "
        "coalesce(hist.shipped, 0) AS hist_shipped, coalesce(hist.returned, 0) AS hist_returned "
        "FROM recent LEFT JOIN hist ON hist.key = recent.key LEFT JOIN products p ON p.sku = recent.key",
        {"w": json.dumps(weights), "h": json.dumps(hist_periods), "first": weights[-1][0], "last": weights[0][0],
         "pace_from": (as_of - timedelta(days=PACE_DAYS - 1)).isoformat()},
    )
    overall = db.execute(
        "SELECT coalesce(sum(shipped), 0), coalesce(sum(returned), 0) FROM report_cohort WHERE dim = 'all' "
        "AND period IN (SELECT value FROM json_each(?))",
        [json.dumps(hist_periods)],
    ).fetchone()
    shipped, returned = overall
    overall_rate = returned / shipped if shipped else 0.0
    new_sales = sum(F(m) for m in range(days))
    result = []
    for r in found:
        rate = (r["hist_returned"] + BLEND * overall_rate) / (r["hist_shipped"] + BLEND)
        shipped = r["weighted"] * rate
        result.append({"sku": r["sku"], "name": r["name"], "supplier_id": r["supplier_id"],
                       "units_shipped_recent": r["units"], "return_rate": round(rate, 4),
                       "expected_returns": round(shipped, 1),
                       "expected_with_new_sales": round(shipped + r["pace_units"] / PACE_DAYS * rate * new_sales, 1)})
    # the strongest signal there is: units the customers said they are sending back (open RMAs of
    # orders whose parcel has not reached the bench), shown apart from the rate-based figures
    announced = {r["sku"]: r for r in on_open_rmas(db)}
    for row in result:
        row["on_open_rmas"] = announced.pop(row["sku"], {}).get("units", 0)
    for sku, r in announced.items():  # announced back but not shipped lately
        result.append({"sku": sku, "name": r["name"], "supplier_id": r["supplier_id"], "units_shipped_recent": 0,
                       "return_rate": None, "expected_returns": 0.0, "expected_with_new_sales": 0.0,
                       "on_open_rmas": r["units"]})
    result.sort(key=lambda r: (-(r["expected_returns"] + r["on_open_rmas"]), r["sku"]))
    total = round(sum(r["expected_returns"] for r in result), 1)
    total_rmas = sum(r["on_open_rmas"] for r in result)
    total_with_sales = round(sum(r["expected_with_new_sales"] for r in result), 1)
    if limit:
        result = result[:limit]
    return {"rows": result, "days": days, "as_of": as_of.isoformat(), "total_expected": total,
            "total_with_new_sales": total_with_sales, "total_on_open_rmas": total_rmas,
            "overall_rate": round(overall_rate, 4), "basis": basis,
            "rate_window": [hist_start.isoformat(), hist_end.isoformat()]}


def on_open_rmas(db):
    """Units per SKU on RMAs whose parcel has not reached the bench (no return opened for the RMA's
    order since the RMA was created), of orders not cancelled; not an FBA return (it went back to
    Amazon) nor a removal box (stock coming home, not a customer's return)."""
    return rows(
        db,
        "SELECT l.sku, p.name, p.supplier_id, sum(l.qty) AS units FROM rma_lines l JOIN rmas m ON m.rma_no = l.rma_no "
        "JOIN orders o ON o.order_no = m.order_no LEFT JOIN products p ON p.sku = l.sku "
        "WHERE o.status NOT IN ('cancelled', 'removal') AND m.source IS NULL AND NOT EXISTS (SELECT 1 FROM returns r WHERE r.order_no = m.order_no "
        "  AND (r.rma_no = m.rma_no OR r.opened_at >= coalesce(m.created_at, ''))) "
        "GROUP BY l.sku ORDER BY l.sku",
    )
