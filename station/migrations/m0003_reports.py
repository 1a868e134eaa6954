"""0003: report aggregates kept by triggers."""
from station.migrations.registry import migrations


# --- 0003: report aggregates -------------------------------------------------------------
# Supervisor reports must answer in milliseconds over millions of rows, and their totals must
# equal a straight count. So the counts are kept by triggers in the same transaction as the
# change they count (never stale, never sampled). The rules - which lines are "shipped", which
# items are "returns" of their SKU - live once, in the report_* views; every trigger and the
# rebuild read them. Cohort tables hold each count at three levels of the order's shipped
# day: the year 'YYYY', the month 'YYYY-MM' and the day 'YYYY-MM-DD' ('' at year level for a
# shipped order with no date), so any date range is the sum of a few dozen rows per key.
# Like every applied migration, the text below is frozen: change reports with a new migration.

_PAUSED = "(SELECT paused FROM report_state) = 0"
# the key of a fact `f` in dimension `d`
_KEY = ("CASE d.dim WHEN 'sku' THEN f.sku WHEN 'supplier' THEN f.supplier_id WHEN 'country' THEN f.country "
        "WHEN 'channel' THEN f.channel ELSE '' END")
_LAG_CAP = 120  # days; later returns are counted at 120
_LAG = (f"max(0, min({_LAG_CAP}, CAST(julianday(substr(f.opened_at, 1, 10)) - julianday(substr(f.shipped_at, 1, 10)) "
        "AS INTEGER)))")
_BAND = ("CASE WHEN NEW.seconds <= 300 THEN 0 WHEN NEW.seconds <= 900 THEN 1 WHEN NEW.seconds <= 3600 THEN 2 "
         "WHEN NEW.seconds <= 14400 THEN 3 WHEN NEW.seconds <= 86400 THEN 4 WHEN NEW.seconds <= 259200 THEN 5 ELSE 6 END")


def _policy(key, default):
    return f"coalesce((SELECT CAST(json_extract(value, '$') AS REAL) FROM policy WHERE key = '{key}'), {default})"


def _levels(table, columns, values, at, conflict, sets, where="1"):
    """Upserts of one delta at year, month and day level of the timestamp `at`."""
    out = []
    for length in (4, 7, 10):
        period = f"coalesce(substr({at}, 1, 4), '')" if length == 4 else f"substr({at}, 1, {length})"
        cond = where if length == 4 else f"{where} AND {at} IS NOT NULL"
        out.append(
            f"INSERT INTO {table} ({columns}) SELECT {values.format(period=period)} WHERE {cond} "
            f"ON CONFLICT ({conflict}) DO UPDATE SET {sets};"
        )
    return "\n".join(out)


def _shipped(sign, where, dims="1"):
    return (f"INSERT INTO report_cohort_delta (dim, key, at, shipped, returned) SELECT d.dim, {_KEY}, f.shipped_at, "
            f"{sign}f.qty, 0 FROM report_shipped_lines f, report_dims d WHERE {where} AND {dims};")


def _returned(sign, where, dims="1", lags=True):
    sql = (f"INSERT INTO report_cohort_delta (dim, key, at, shipped, returned) SELECT d.dim, {_KEY}, f.shipped_at, 0, "
           f"{sign}f.qty FROM report_returned_units f, report_dims d WHERE {where} AND {dims};\n"
           f"INSERT INTO report_reasons_delta (dim, key, at, reason, units) SELECT d.dim, {_KEY}, f.shipped_at, "
           f"f.reason, {sign}f.qty FROM report_returned_units f, report_dims d "
           f"WHERE {where} AND {dims} AND d.dim IN ('all', 'sku', 'supplier');")
    if lags:
        sql += (f"\nINSERT INTO report_lags (ship_month, lag, units) SELECT substr(f.shipped_at, 1, 7), {_LAG}, "
                f"{sign}f.qty FROM report_returned_units f WHERE {where} AND f.shipped_at IS NOT NULL "
                "ON CONFLICT (ship_month, lag) DO UPDATE SET units = units + excluded.units;")
    return sql


def _activity(sign, view, where):
    return (f"INSERT INTO report_activity_delta (hour, station, operator, parcels, items, units, decisions, overrides) "
            f"SELECT hour, station, operator, {sign}parcels, {sign}items, {sign}units, {sign}decisions, {sign}overrides "
            f"FROM {view} WHERE {where};")


def _value(sign, where):
    return (f"INSERT INTO report_value_delta (at, disposition, sku, items, units, original, recovered, cost) "
            f"SELECT decided_at, disposition, sku, {sign}1, {sign}qty, {sign}original_cents, {sign}recovered_cents, "
            f"{sign}cost_cents FROM report_decision_values WHERE {where};")


def _changed(*columns):
    return "(" + " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in columns) + ")"


def _trigger(name, timing, when, body):
    cond = f"{_PAUSED} AND {when}" if when else _PAUSED
    return f"CREATE TRIGGER {name} {timing} WHEN {cond}\nBEGIN\n{body}\nEND"


_COHORT = _changed("status", "shipped_at", "channel", "customer_id")
_IN_COHORT = "(OLD.status IN ('shipped', 'delivered') OR NEW.status IN ('shipped', 'delivered'))"
_ITEM_COLUMNS = "return_id, sku, qty, grade, reason, flags, recommendation, added_at, added_by"
_LINE = lambda row: f"f.order_no = {row}.order_no AND f.line_no = {row}.line_no"  # noqa: E731

SCHEMA_0003_REPORTS = [
    "CREATE TABLE report_state (id INTEGER PRIMARY KEY CHECK (id = 1), paused INTEGER NOT NULL DEFAULT 0)",
    "INSERT INTO report_state (id, paused) VALUES (1, 0)",
    "CREATE TABLE report_dims (dim TEXT PRIMARY KEY)",
    "INSERT INTO report_dims (dim) VALUES ('all'), ('sku'), ('supplier'), ('country'), ('channel')",
    # units shipped and returned per shipment cohort; key '' for dim 'all' (and for no supplier / channel)
    """CREATE TABLE report_cohort (
        dim TEXT NOT NULL, period TEXT NOT NULL, key TEXT NOT NULL,
        shipped INTEGER NOT NULL DEFAULT 0, returned INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (dim, period, key)) WITHOUT ROWID""",
    # returned units by reason, dims all / sku / supplier
    """CREATE TABLE report_reasons (
        dim TEXT NOT NULL, period TEXT NOT NULL, key TEXT NOT NULL, reason TEXT NOT NULL,
        units INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (dim, period, key, reason)) WITHOUT ROWID""",
    # returned units by ship month and days from shipment to the parcel's first scan (capped)
    """CREATE TABLE report_lags (
        ship_month TEXT NOT NULL, lag INTEGER NOT NULL, units INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (ship_month, lag)) WITHOUT ROWID""",
    # bench work per UTC hour ('YYYY-MM-DDTHH'), the parcel's station and the person who did it
    """CREATE TABLE report_activity (
        hour TEXT NOT NULL, station TEXT NOT NULL, operator TEXT NOT NULL,
        parcels INTEGER NOT NULL DEFAULT 0, items INTEGER NOT NULL DEFAULT 0, units INTEGER NOT NULL DEFAULT 0,
        decisions INTEGER NOT NULL DEFAULT 0, overrides INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (hour, station, operator)) WITHOUT ROWID""",
    # parcel timings by the day of the first scan: count and total seconds per band of BANDS
    """CREATE TABLE report_durations (
        metric TEXT NOT NULL, day TEXT NOT NULL, station TEXT NOT NULL, operator TEXT NOT NULL, band INTEGER NOT NULL,
        returns INTEGER NOT NULL DEFAULT 0, seconds REAL NOT NULL DEFAULT 0,
        PRIMARY KEY (metric, day, station, operator, band)) WITHOUT ROWID""",
    # decided items by decision period: values in cents; dim 'all' (key '') and 'sku' for scrap (write-offs)
    """CREATE TABLE report_value (
        dim TEXT NOT NULL, period TEXT NOT NULL, disposition TEXT NOT NULL, key TEXT NOT NULL,
        items INTEGER NOT NULL DEFAULT 0, units INTEGER NOT NULL DEFAULT 0, original INTEGER NOT NULL DEFAULT 0,
        recovered INTEGER NOT NULL DEFAULT 0, cost INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (dim, period, disposition, key)) WITHOUT ROWID""",
    # per customer: orders (not cancelled) and returns received at the bench, as customers.history counts them
    """CREATE TABLE report_customers (
        customer_id TEXT PRIMARY KEY, orders INTEGER NOT NULL DEFAULT 0, returns INTEGER NOT NULL DEFAULT 0)
        WITHOUT ROWID""",
    "CREATE INDEX report_customers_returns ON report_customers(returns, orders)",
    """CREATE TABLE report_customer_days (
        day TEXT NOT NULL, customer_id TEXT NOT NULL, returns INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (day, customer_id)) WITHOUT ROWID""",
    "CREATE INDEX report_allocations_at ON allocations(at)",
    "CREATE INDEX report_returns_closed_at ON returns(closed_at)",
    # --- the rules, once -----------------------------------------------------------------
    # shipped: lines of orders that shipped (awaiting-stock, ready-to-ship and cancelled did not)
    """CREATE VIEW report_shipped_lines AS
        SELECT ol.order_no, ol.line_no, ol.sku, ol.qty, o.shipped_at, o.customer_id,
               coalesce(p.supplier_id, '') AS supplier_id, c.country, coalesce(o.channel, '') AS channel
        FROM order_lines ol JOIN orders o ON o.order_no = ol.order_no
        JOIN customers c ON c.customer_id = o.customer_id LEFT JOIN products p ON p.sku = ol.sku
        WHERE o.status IN ('shipped', 'delivered')""",
    # returned: items of those orders, except ones that are not that SKU coming back
    """CREATE VIEW report_returned_units AS
        SELECT i.item_id, i.return_id, r.order_no, o.customer_id, i.sku, i.qty, i.reason, o.shipped_at, r.opened_at,
               coalesce(p.supplier_id, '') AS supplier_id, c.country, coalesce(o.channel, '') AS channel
        FROM return_items i JOIN returns r ON r.return_id = i.return_id JOIN orders o ON o.order_no = r.order_no
        JOIN customers c ON c.customer_id = o.customer_id LEFT JOIN products p ON p.sku = i.sku
        WHERE o.status IN ('shipped', 'delivered')
          AND i.flags NOT LIKE '%item_mismatch%' AND i.flags NOT LIKE '%unknown_product%'""",
    """CREATE VIEW report_parcel_facts AS
        SELECT r.return_id, substr(r.opened_at, 1, 13) AS hour, coalesce(r.station, '') AS station,
               coalesce(r.opened_by, '') AS operator, 1 AS parcels, 0 AS items, 0 AS units, 0 AS decisions, 0 AS overrides
        FROM returns r""",
    """CREATE VIEW report_item_facts AS
        SELECT i.item_id, i.return_id, substr(i.added_at, 1, 13) AS hour, coalesce(r.station, '') AS station,
               coalesce(i.added_by, '') AS operator, 0 AS parcels, 1 AS items, i.qty AS units, 0 AS decisions, 0 AS overrides
        FROM return_items i JOIN returns r ON r.return_id = i.return_id""",
    # an override: the decision differs from the recommendation in disposition or target
    """CREATE VIEW report_decision_facts AS
        SELECT d.item_id, i.return_id, substr(d.decided_at, 1, 13) AS hour, coalesce(r.station, '') AS station,
               coalesce(d.decided_by, '') AS operator, 0 AS parcels, 0 AS items, 0 AS units, 1 AS decisions,
               CASE WHEN d.recommended_disposition IS NOT NULL AND (d.disposition IS NOT d.recommended_disposition
                    OR d.target IS NOT d.recommended_target) THEN 1 ELSE 0 END AS overrides
        FROM decisions d JOIN return_items i ON i.item_id = d.item_id JOIN returns r ON r.return_id = i.return_id""",
    # value of a decided item: the recovery the station showed for the chosen option; an option it
    # did not weigh (an override) is valued by the design's formula with today's policy values
    f"""CREATE VIEW report_decision_values AS
        SELECT d.item_id, d.decided_at, d.disposition, i.sku, i.qty,
               CAST(round(coalesce(p.price, 0) * i.qty * 100) AS INTEGER) AS original_cents,
               CAST(round(coalesce(p.unit_cost, 0) * i.qty * 100) AS INTEGER) AS cost_cents,
               CAST(round(100 * coalesce(
                 (SELECT CAST(json_extract(o.value, '$.value') AS REAL) FROM json_each(i.recommendation, '$.options') o
                   WHERE json_extract(o.value, '$.disposition') = d.disposition),
                 CASE d.disposition
                   WHEN 'quarantine' THEN 0
                   WHEN 'rtv' THEN coalesce(p.unit_cost, 0) * i.qty
                   WHEN 'scrap' THEN coalesce(p.price, 0) * {_policy('liquidation_rate', 0.05)} * i.qty
                   WHEN 'refurbish' THEN (coalesce(p.price, 0) * {_policy('refurbished_factor', 0.70)}
                                          - coalesce(p.refurb_cost, 0)) * i.qty
                   ELSE coalesce(p.price, 0) * i.qty * (CASE WHEN i.grade = 'A' THEN 1
                                                        ELSE {_policy('open_box_factor', 0.80)} END)
                 END)) AS INTEGER) AS recovered_cents
        FROM decisions d JOIN return_items i ON i.item_id = d.item_id LEFT JOIN products p ON p.sku = i.sku""",
    # --- delta views: a row inserted here is added at every level ------------------------
    "CREATE VIEW report_cohort_delta (dim, key, at, shipped, returned) AS SELECT NULL, NULL, NULL, NULL, NULL WHERE 0",
    "CREATE TRIGGER report_cohort_delta_apply INSTEAD OF INSERT ON report_cohort_delta BEGIN\n"
    + _levels("report_cohort", "dim, period, key, shipped, returned", "NEW.dim, {period}, NEW.key, NEW.shipped, NEW.returned",
              "NEW.at", "dim, period, key", "shipped = shipped + excluded.shipped, returned = returned + excluded.returned")
    + "\nEND",
    "CREATE VIEW report_reasons_delta (dim, key, at, reason, units) AS SELECT NULL, NULL, NULL, NULL, NULL WHERE 0",
    "CREATE TRIGGER report_reasons_delta_apply INSTEAD OF INSERT ON report_reasons_delta BEGIN\n"
    + _levels("report_reasons", "dim, period, key, reason, units", "NEW.dim, {period}, NEW.key, NEW.reason, NEW.units",
              "NEW.at", "dim, period, key, reason", "units = units + excluded.units")
    + "\nEND",
    "CREATE VIEW report_value_delta (at, disposition, sku, items, units, original, recovered, cost) AS "
    "SELECT NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL WHERE 0",
    "CREATE TRIGGER report_value_delta_apply INSTEAD OF INSERT ON report_value_delta BEGIN\n"
    + _levels("report_value", "dim, period, disposition, key, items, units, original, recovered, cost",
              "'all', {period}, NEW.disposition, '', NEW.items, NEW.units, NEW.original, NEW.recovered, NEW.cost",
              "NEW.at", "dim, period, disposition, key",
              "items = items + excluded.items, units = units + excluded.units, original = original + excluded.original, "
              "recovered = recovered + excluded.recovered, cost = cost + excluded.cost")
    + "\n"
    + _levels("report_value", "dim, period, disposition, key, items, units, original, recovered, cost",
              "'sku', {period}, NEW.disposition, NEW.sku, NEW.items, NEW.units, NEW.original, NEW.recovered, NEW.cost",
              "NEW.at", "dim, period, disposition, key",
              "items = items + excluded.items, units = units + excluded.units, original = original + excluded.original, "
              "recovered = recovered + excluded.recovered, cost = cost + excluded.cost", where="NEW.disposition = 'scrap'")
    + "\nEND",
    "CREATE VIEW report_activity_delta (hour, station, operator, parcels, items, units, decisions, overrides) AS "
    "SELECT NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL WHERE 0",
    """CREATE TRIGGER report_activity_delta_apply INSTEAD OF INSERT ON report_activity_delta BEGIN
    INSERT INTO report_activity (hour, station, operator, parcels, items, units, decisions, overrides)
    VALUES (NEW.hour, NEW.station, NEW.operator, NEW.parcels, NEW.items, NEW.units, NEW.decisions, NEW.overrides)
    ON CONFLICT (hour, station, operator) DO UPDATE SET parcels = parcels + excluded.parcels,
      items = items + excluded.items, units = units + excluded.units, decisions = decisions + excluded.decisions,
      overrides = overrides + excluded.overrides;
    END""",
    "CREATE VIEW report_duration_delta (metric, at, station, operator, seconds) AS "
    "SELECT NULL, NULL, NULL, NULL, NULL WHERE 0",
    f"""CREATE TRIGGER report_duration_delta_apply INSTEAD OF INSERT ON report_duration_delta
    WHEN NEW.seconds IS NOT NULL BEGIN
    INSERT INTO report_durations (metric, day, station, operator, band, returns, seconds)
    VALUES (NEW.metric, substr(NEW.at, 1, 10), coalesce(NEW.station, ''), coalesce(NEW.operator, ''), {_BAND}, 1, NEW.seconds)
    ON CONFLICT (metric, day, station, operator, band) DO UPDATE SET returns = returns + 1, seconds = seconds + excluded.seconds;
    END""",
    "CREATE VIEW report_customer_delta (customer_id, at, orders, returns) AS SELECT NULL, NULL, NULL, NULL WHERE 0",
    """CREATE TRIGGER report_customer_delta_apply INSTEAD OF INSERT ON report_customer_delta BEGIN
    INSERT INTO report_customers (customer_id, orders, returns) VALUES (NEW.customer_id, NEW.orders, NEW.returns)
    ON CONFLICT (customer_id) DO UPDATE SET orders = orders + excluded.orders, returns = returns + excluded.returns;
    INSERT INTO report_customer_days (day, customer_id, returns)
    SELECT substr(NEW.at, 1, 10), NEW.customer_id, NEW.returns WHERE NEW.returns != 0 AND NEW.at IS NOT NULL
    ON CONFLICT (day, customer_id) DO UPDATE SET returns = returns + excluded.returns;
    END""",
    # --- triggers on the station's tables: subtract before a change, add after it ---------
    _trigger("report_ol_ai", "AFTER INSERT ON order_lines", None, _shipped("+", _LINE("NEW"))),
    _trigger("report_ol_bd", "BEFORE DELETE ON order_lines", None, _shipped("-", _LINE("OLD"))),
    _trigger("report_ol_bu", "BEFORE UPDATE OF order_no, line_no, sku, qty ON order_lines",
             _changed("order_no", "line_no", "sku", "qty"), _shipped("-", _LINE("OLD"))),
    _trigger("report_ol_au", "AFTER UPDATE OF order_no, line_no, sku, qty ON order_lines",
             _changed("order_no", "line_no", "sku", "qty"), _shipped("+", _LINE("NEW"))),
    _trigger("report_orders_ai", "AFTER INSERT ON orders", None,
             _shipped("+", "f.order_no = NEW.order_no") + "\n" + _returned("+", "f.order_no = NEW.order_no")
             + "\nINSERT INTO report_customer_delta (customer_id, at, orders, returns) "
               "SELECT NEW.customer_id, NULL, 1, 0 WHERE NEW.status IS NOT 'cancelled';"),
    _trigger("report_orders_bd", "BEFORE DELETE ON orders", None,
             _shipped("-", "f.order_no = OLD.order_no") + "\n" + _returned("-", "f.order_no = OLD.order_no")
             + "\nINSERT INTO report_customer_delta (customer_id, at, orders, returns) "
               "SELECT OLD.customer_id, NULL, -1, 0 WHERE OLD.status IS NOT 'cancelled';"
             + "\nINSERT INTO report_customer_delta (customer_id, at, orders, returns) "
               "SELECT OLD.customer_id, r.opened_at, 0, -1 FROM returns r WHERE r.order_no = OLD.order_no;"),
    _trigger("report_orders_bu", "BEFORE UPDATE OF status, shipped_at, channel, customer_id ON orders",
             f"{_IN_COHORT} AND {_COHORT}",
             _shipped("-", "f.order_no = OLD.order_no") + "\n" + _returned("-", "f.order_no = OLD.order_no")),
    _trigger("report_orders_au", "AFTER UPDATE OF status, shipped_at, channel, customer_id ON orders",
             f"{_IN_COHORT} AND {_COHORT}",
             _shipped("+", "f.order_no = NEW.order_no") + "\n" + _returned("+", "f.order_no = NEW.order_no")),
    _trigger("report_orders_customer_bu", "BEFORE UPDATE OF status, customer_id ON orders",
             "((OLD.status = 'cancelled') IS NOT (NEW.status = 'cancelled') OR OLD.customer_id IS NOT NEW.customer_id)",
             "INSERT INTO report_customer_delta (customer_id, at, orders, returns) "
             "SELECT OLD.customer_id, NULL, -1, 0 WHERE OLD.status IS NOT 'cancelled';\n"
             "INSERT INTO report_customer_delta (customer_id, at, orders, returns) "
             "SELECT OLD.customer_id, r.opened_at, 0, -1 FROM returns r "
             "WHERE r.order_no = OLD.order_no AND OLD.customer_id IS NOT NEW.customer_id;"),
    _trigger("report_orders_customer_au", "AFTER UPDATE OF status, customer_id ON orders",
             "((OLD.status = 'cancelled') IS NOT (NEW.status = 'cancelled') OR OLD.customer_id IS NOT NEW.customer_id)",
             "INSERT INTO report_customer_delta (customer_id, at, orders, returns) "
             "SELECT NEW.customer_id, NULL, 1, 0 WHERE NEW.status IS NOT 'cancelled';\n"
             "INSERT INTO report_customer_delta (customer_id, at, orders, returns) "
             "SELECT NEW.customer_id, r.opened_at, 0, 1 FROM returns r "
             "WHERE r.order_no = NEW.order_no AND OLD.customer_id IS NOT NEW.customer_id;"),
    _trigger("report_customers_bu", "BEFORE UPDATE OF country ON customers", _changed("country"),
             _shipped("-", "f.customer_id = OLD.customer_id", "d.dim = 'country'") + "\n"
             + _returned("-", "f.customer_id = OLD.customer_id", "d.dim = 'country'", lags=False)),
    _trigger("report_customers_au", "AFTER UPDATE OF country ON customers", _changed("country"),
             _shipped("+", "f.customer_id = NEW.customer_id", "d.dim = 'country'") + "\n"
             + _returned("+", "f.customer_id = NEW.customer_id", "d.dim = 'country'", lags=False)),
    # a product's supplier: before the product row existed its units had no supplier ('')
    _trigger("report_products_ai", "AFTER INSERT ON products", "coalesce(NEW.supplier_id, '') != ''",
             "INSERT INTO report_cohort_delta (dim, key, at, shipped, returned) SELECT 'supplier', '', f.shipped_at, "
             "-f.qty, 0 FROM report_shipped_lines f WHERE f.sku = NEW.sku;\n"
             "INSERT INTO report_cohort_delta (dim, key, at, shipped, returned) SELECT 'supplier', '', f.shipped_at, "
             "0, -f.qty FROM report_returned_units f WHERE f.sku = NEW.sku;\n"
             "INSERT INTO report_reasons_delta (dim, key, at, reason, units) SELECT 'supplier', '', f.shipped_at, "
             "f.reason, -f.qty FROM report_returned_units f WHERE f.sku = NEW.sku;\n"
             + _shipped("+", "f.sku = NEW.sku", "d.dim = 'supplier'") + "\n"
             + _returned("+", "f.sku = NEW.sku", "d.dim = 'supplier'", lags=False)),
    _trigger("report_products_bd", "BEFORE DELETE ON products", "coalesce(OLD.supplier_id, '') != ''",
             _shipped("-", "f.sku = OLD.sku", "d.dim = 'supplier'") + "\n"
             + _returned("-", "f.sku = OLD.sku", "d.dim = 'supplier'", lags=False) + "\n"
             "INSERT INTO report_cohort_delta (dim, key, at, shipped, returned) SELECT 'supplier', '', f.shipped_at, "
             "f.qty, 0 FROM report_shipped_lines f WHERE f.sku = OLD.sku;\n"
             "INSERT INTO report_cohort_delta (dim, key, at, shipped, returned) SELECT 'supplier', '', f.shipped_at, "
             "0, f.qty FROM report_returned_units f WHERE f.sku = OLD.sku;\n"
             "INSERT INTO report_reasons_delta (dim, key, at, reason, units) SELECT 'supplier', '', f.shipped_at, "
             "f.reason, f.qty FROM report_returned_units f WHERE f.sku = OLD.sku;"),
    _trigger("report_products_bu", "BEFORE UPDATE OF sku, supplier_id ON products", _changed("sku", "supplier_id"),
             _shipped("-", "f.sku = OLD.sku", "d.dim = 'supplier'") + "\n"
             + _returned("-", "f.sku = OLD.sku", "d.dim = 'supplier'", lags=False)),
    _trigger("report_products_au", "AFTER UPDATE OF sku, supplier_id ON products", _changed("sku", "supplier_id"),
             _shipped("+", "f.sku = NEW.sku", "d.dim = 'supplier'") + "\n"
             + _returned("+", "f.sku = NEW.sku", "d.dim = 'supplier'", lags=False)),
    _trigger("report_returns_ai", "AFTER INSERT ON returns", None,
             _activity("+", "report_parcel_facts", "return_id = NEW.return_id") + "\n"
             "INSERT INTO report_customer_delta (customer_id, at, orders, returns) "
             "SELECT o.customer_id, NEW.opened_at, 0, 1 FROM orders o WHERE o.order_no = NEW.order_no;"),
    _trigger("report_returns_bd", "BEFORE DELETE ON returns", None,
             _activity("-", "report_parcel_facts", "return_id = OLD.return_id") + "\n"
             "INSERT INTO report_customer_delta (customer_id, at, orders, returns) "
             "SELECT o.customer_id, OLD.opened_at, 0, -1 FROM orders o WHERE o.order_no = OLD.order_no;"),
    _trigger("report_returns_bu", "BEFORE UPDATE OF order_no, opened_at, station, opened_by ON returns",
             _changed("order_no", "opened_at", "station", "opened_by"),
             _activity("-", "report_parcel_facts", "return_id = OLD.return_id") + "\n"
             + _activity("-", "report_item_facts", "return_id = OLD.return_id") + "\n"
             + _activity("-", "report_decision_facts", "return_id = OLD.return_id") + "\n"
             + _returned("-", "f.return_id = OLD.return_id") + "\n"
             "INSERT INTO report_customer_delta (customer_id, at, orders, returns) "
             "SELECT o.customer_id, OLD.opened_at, 0, -1 FROM orders o WHERE o.order_no = OLD.order_no;"),
    _trigger("report_returns_au", "AFTER UPDATE OF order_no, opened_at, station, opened_by ON returns",
             _changed("order_no", "opened_at", "station", "opened_by"),
             _activity("+", "report_parcel_facts", "return_id = NEW.return_id") + "\n"
             + _activity("+", "report_item_facts", "return_id = NEW.return_id") + "\n"
             + _activity("+", "report_decision_facts", "return_id = NEW.return_id") + "\n"
             + _returned("+", "f.return_id = NEW.return_id") + "\n"
             "INSERT INTO report_customer_delta (customer_id, at, orders, returns) "
             "SELECT o.customer_id, NEW.opened_at, 0, 1 FROM orders o WHERE o.order_no = NEW.order_no;"),
    # dock to decision: the parcel's first scan to its last decision, counted when it closes
    _trigger("report_returns_closed", "AFTER UPDATE OF status ON returns",
             "OLD.status IS NOT 'closed' AND NEW.status = 'closed'",
             "INSERT INTO report_duration_delta (metric, at, station, operator, seconds) "
             "SELECT 'dock_to_decision', NEW.opened_at, NEW.station, NEW.opened_by, "
             "round((julianday(max(d.decided_at)) - julianday(NEW.opened_at)) * 86400) "
             "FROM return_items i JOIN decisions d ON d.item_id = i.item_id WHERE i.return_id = NEW.return_id;"),
    _trigger("report_items_ai", "AFTER INSERT ON return_items", None,
             _returned("+", "f.item_id = NEW.item_id") + "\n"
             + _activity("+", "report_item_facts", "item_id = NEW.item_id")),
    _trigger("report_items_bd", "BEFORE DELETE ON return_items", None,
             _returned("-", "f.item_id = OLD.item_id") + "\n"
             + _activity("-", "report_item_facts", "item_id = OLD.item_id")),
    _trigger("report_items_bu", f"BEFORE UPDATE OF {_ITEM_COLUMNS} ON return_items", _changed(*_ITEM_COLUMNS.split(", ")),
             _returned("-", "f.item_id = OLD.item_id") + "\n"
             + _activity("-", "report_item_facts", "item_id = OLD.item_id") + "\n"
             + _activity("-", "report_decision_facts", "item_id = OLD.item_id") + "\n"
             + _value("-", "item_id = OLD.item_id")),
    _trigger("report_items_au", f"AFTER UPDATE OF {_ITEM_COLUMNS} ON return_items", _changed(*_ITEM_COLUMNS.split(", ")),
             _returned("+", "f.item_id = NEW.item_id") + "\n"
             + _activity("+", "report_item_facts", "item_id = NEW.item_id") + "\n"
             + _activity("+", "report_decision_facts", "item_id = NEW.item_id") + "\n"
             + _value("+", "item_id = NEW.item_id")),
    _trigger("report_decisions_ai", "AFTER INSERT ON decisions", None,
             _activity("+", "report_decision_facts", "item_id = NEW.item_id") + "\n" + _value("+", "item_id = NEW.item_id")),
    _trigger("report_decisions_bd", "BEFORE DELETE ON decisions", None,
             _activity("-", "report_decision_facts", "item_id = OLD.item_id") + "\n" + _value("-", "item_id = OLD.item_id")),
    _trigger("report_decisions_bu",
             "BEFORE UPDATE OF disposition, target, recommended_disposition, recommended_target, decided_at, decided_by "
             "ON decisions",
             _changed("disposition", "target", "recommended_disposition", "recommended_target", "decided_at", "decided_by"),
             _activity("-", "report_decision_facts", "item_id = OLD.item_id") + "\n" + _value("-", "item_id = OLD.item_id")),
    _trigger("report_decisions_au",
             "AFTER UPDATE OF disposition, target, recommended_disposition, recommended_target, decided_at, decided_by "
             "ON decisions",
             _changed("disposition", "target", "recommended_disposition", "recommended_target", "decided_at", "decided_by"),
             _activity("+", "report_decision_facts", "item_id = NEW.item_id") + "\n" + _value("+", "item_id = NEW.item_id")),
    # scan to refund ready: the first scan to the moment the refund is ready (computed so, or approved)
    _trigger("report_refunds_ai", "AFTER INSERT ON refunds", "NEW.status = 'ready'",
             "INSERT INTO report_duration_delta (metric, at, station, operator, seconds) "
             "SELECT 'scan_to_refund_ready', r.opened_at, r.station, r.opened_by, "
             "round((julianday(NEW.computed_at) - julianday(r.opened_at)) * 86400) FROM returns r "
             "WHERE r.return_id = NEW.return_id;"),
    _trigger("report_refunds_au", "AFTER UPDATE OF status ON refunds",
             "NEW.status = 'ready' AND OLD.status NOT IN ('ready', 'paid')",
             "INSERT INTO report_duration_delta (metric, at, station, operator, seconds) "
             "SELECT 'scan_to_refund_ready', r.opened_at, r.station, r.opened_by, "
             "round((julianday(NEW.updated_at) - julianday(r.opened_at)) * 86400) FROM returns r "
             "WHERE r.return_id = NEW.return_id;"),
]

# Recompute every aggregate from the station's tables through the same views (after a bulk
# load with report_state.paused = 1, or to check the triggers). Day rows first, then months
# and years summed from them.
_ROLL_UP = [
    "INSERT INTO {t} ({cols}) SELECT {keys7}, {sums} FROM {t} WHERE length(period) = 10 GROUP BY {groups}",
    "INSERT INTO {t} ({cols}) SELECT {keys4}, {sums} FROM {t} WHERE length(period) = 7 GROUP BY {groups}",
]


def _roll_up(table, keys, sums):
    """Month rows from day rows, year rows from month rows; `keys` lists the key columns, period among them."""
    cols = ", ".join(keys + sums)
    out = []
    for template, length in zip(_ROLL_UP, (7, 4)):
        key_sql = ", ".join(f"substr(period, 1, {length})" if k == "period" else k for k in keys)
        out.append(template.format(t=table, cols=cols, keys7=key_sql, keys4=key_sql,
                                   sums=", ".join(f"sum({s})" for s in sums),
                                   groups=", ".join(str(i + 1) for i in range(len(keys)))))
    return out


REBUILD_0003_REPORTS = [
    "DELETE FROM report_cohort", "DELETE FROM report_reasons", "DELETE FROM report_lags",
    "DELETE FROM report_activity", "DELETE FROM report_durations", "DELETE FROM report_value",
    "DELETE FROM report_customers", "DELETE FROM report_customer_days",
    "DROP TABLE IF EXISTS temp.report_facts",
    """CREATE TEMP TABLE report_facts AS
        SELECT day, sku, supplier_id, country, channel, sum(shipped) AS shipped, sum(returned) AS returned FROM (
          SELECT substr(shipped_at, 1, 10) AS day, sku, supplier_id, country, channel, qty AS shipped, 0 AS returned
          FROM report_shipped_lines
          UNION ALL
          SELECT substr(shipped_at, 1, 10), sku, supplier_id, country, channel, 0, qty FROM report_returned_units)
        GROUP BY 1, 2, 3, 4, 5""",
    f"""INSERT INTO report_cohort (dim, period, key, shipped, returned)
        SELECT d.dim, f.day, {_KEY}, sum(f.shipped), sum(f.returned) FROM temp.report_facts f, report_dims d
        WHERE f.day IS NOT NULL GROUP BY 1, 2, 3""",
    *_roll_up("report_cohort", ["dim", "period", "key"], ["shipped", "returned"]),
    f"""INSERT INTO report_cohort (dim, period, key, shipped, returned)
        SELECT d.dim, '', {_KEY}, sum(f.shipped), sum(f.returned) FROM temp.report_facts f, report_dims d
        WHERE f.day IS NULL GROUP BY 1, 2, 3""",
    "DROP TABLE temp.report_facts",
    f"""INSERT INTO report_reasons (dim, period, key, reason, units)
        SELECT d.dim, coalesce(substr(f.shipped_at, 1, 10), ''), {_KEY}, f.reason, sum(f.qty)
        FROM report_returned_units f, report_dims d WHERE d.dim IN ('all', 'sku', 'supplier') GROUP BY 1, 2, 3, 4""",
    *_roll_up("report_reasons", ["dim", "period", "key", "reason"], ["units"]),
    # rows with no shipped date were written at '' already: the roll-ups only read day and month rows
    f"""INSERT INTO report_lags (ship_month, lag, units)
        SELECT substr(f.shipped_at, 1, 7), {_LAG}, sum(f.qty) FROM report_returned_units f
        WHERE f.shipped_at IS NOT NULL GROUP BY 1, 2""",
    """INSERT INTO report_activity (hour, station, operator, parcels, items, units, decisions, overrides)
        SELECT hour, station, operator, sum(parcels), sum(items), sum(units), sum(decisions), sum(overrides) FROM (
          SELECT hour, station, operator, parcels, items, units, decisions, overrides FROM report_parcel_facts
          UNION ALL SELECT hour, station, operator, parcels, items, units, decisions, overrides FROM report_item_facts
          UNION ALL SELECT hour, station, operator, parcels, items, units, decisions, overrides FROM report_decision_facts)
        GROUP BY 1, 2, 3""",
    """INSERT INTO report_duration_delta (metric, at, station, operator, seconds)
        SELECT 'dock_to_decision', r.opened_at, r.station, r.opened_by,
               round((julianday(max(d.decided_at)) - julianday(r.opened_at)) * 86400)
        FROM returns r JOIN return_items i ON i.return_id = r.return_id JOIN decisions d ON d.item_id = i.item_id
        WHERE r.status = 'closed' GROUP BY r.return_id""",
    # a refund was ready when a supervisor approved it, else when it was computed ready
    """INSERT INTO report_duration_delta (metric, at, station, operator, seconds)
        SELECT 'scan_to_refund_ready', r.opened_at, r.station, r.opened_by,
               round((julianday(coalesce(a.at, f.computed_at)) - julianday(r.opened_at)) * 86400)
        FROM refunds f JOIN returns r ON r.return_id = f.return_id
        LEFT JOIN (SELECT CAST(json_extract(data, '$.refund_id') AS INTEGER) AS refund_id, min(at) AS at FROM events
                   WHERE type = 'refund.approved' GROUP BY 1) a ON a.refund_id = f.refund_id
        WHERE f.status IN ('ready', 'paid')""",
    """INSERT INTO report_value (dim, period, disposition, key, items, units, original, recovered, cost)
        SELECT 'all', substr(decided_at, 1, 10), disposition, '', count(*), sum(qty), sum(original_cents),
               sum(recovered_cents), sum(cost_cents) FROM report_decision_values GROUP BY 2, 3
        UNION ALL
        SELECT 'sku', substr(decided_at, 1, 10), disposition, sku, count(*), sum(qty), sum(original_cents),
               sum(recovered_cents), sum(cost_cents) FROM report_decision_values WHERE disposition = 'scrap'
        GROUP BY 2, 3, 4""",
    *_roll_up("report_value", ["dim", "period", "disposition", "key"], ["items", "units", "original", "recovered", "cost"]),
    """INSERT INTO report_customers (customer_id, orders, returns)
        SELECT customer_id, sum(orders), sum(returns) FROM (
          SELECT customer_id, 1 AS orders, 0 AS returns FROM orders WHERE status IS NOT 'cancelled'
          UNION ALL SELECT o.customer_id, 0, 1 FROM returns r JOIN orders o ON o.order_no = r.order_no)
        GROUP BY 1""",
    """INSERT INTO report_customer_days (day, customer_id, returns)
        SELECT substr(r.opened_at, 1, 10), o.customer_id, count(*) FROM returns r JOIN orders o ON o.order_no = r.order_no
        GROUP BY 1, 2""",
]


@migrations(name="0003_reports")
def m0003_reports(db):
    """Report aggregates kept by triggers, filled from what the station already holds."""
    for statement in SCHEMA_0003_REPORTS + REBUILD_0003_REPORTS:
        db.execute(statement)
