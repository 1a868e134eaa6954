"""0004: report timings that do not depend on the order rows arrive in."""
from station.migrations.m0003_reports import REBUILD_0003_REPORTS, _BAND, _changed, _trigger
from station.migrations.registry import migrations


# --- 0004: report timings that do not depend on the order rows arrive in ------------------
# 0003 counted dock-to-decision when a return changed from open to closed, and a refund
# when it was inserted ready; a loader that writes a closed return, then its items and
# decisions, or a refund already paid, was missed. Now each closed return's dock time is
# kept in report_dock and recomputed whenever the return, its items or its decisions
# change, and a refund counts when it first becomes ready or paid.

def _dock_refresh(return_id):
    """Take a return's dock time out of the totals, recompute it, put it back."""
    return (
        "INSERT INTO report_timing_delta (metric, at, station, operator, seconds, n) "
        f"SELECT 'dock_to_decision', at, station, operator, seconds, -1 FROM report_dock WHERE return_id = {return_id};\n"
        f"DELETE FROM report_dock WHERE return_id = {return_id};\n"
        "INSERT INTO report_dock (return_id, at, station, operator, seconds) "
        f"SELECT return_id, opened_at, station, opened_by, seconds FROM report_dock_now WHERE return_id = {return_id} "
        "AND seconds IS NOT NULL;\n"
        "INSERT INTO report_timing_delta (metric, at, station, operator, seconds, n) "
        f"SELECT 'dock_to_decision', at, station, operator, seconds, 1 FROM report_dock WHERE return_id = {return_id};"
    )


SCHEMA_0004_REPORTS = [
    "DROP TRIGGER report_returns_closed",
    "DROP TRIGGER report_refunds_ai",
    "DROP TRIGGER report_refunds_au",
    "DROP TRIGGER report_duration_delta_apply",
    "DROP VIEW report_duration_delta",
    # the dock time each closed return contributes to report_durations now
    """CREATE TABLE report_dock (
        return_id INTEGER PRIMARY KEY, at TEXT NOT NULL, station TEXT, operator TEXT, seconds REAL NOT NULL)""",
    """CREATE VIEW report_dock_now AS
        SELECT r.return_id, r.opened_at, r.station, r.opened_by,
               round((julianday((SELECT max(d.decided_at) FROM return_items i JOIN decisions d ON d.item_id = i.item_id
                                 WHERE i.return_id = r.return_id)) - julianday(r.opened_at)) * 86400) AS seconds
        FROM returns r WHERE r.status = 'closed'""",
    "CREATE VIEW report_timing_delta (metric, at, station, operator, seconds, n) AS "
    "SELECT NULL, NULL, NULL, NULL, NULL, NULL WHERE 0",
    f"""CREATE TRIGGER report_timing_delta_apply INSTEAD OF INSERT ON report_timing_delta
    WHEN NEW.seconds IS NOT NULL BEGIN
    INSERT INTO report_durations (metric, day, station, operator, band, returns, seconds)
    VALUES (NEW.metric, substr(NEW.at, 1, 10), coalesce(NEW.station, ''), coalesce(NEW.operator, ''), {_BAND},
            NEW.n, NEW.n * NEW.seconds)
    ON CONFLICT (metric, day, station, operator, band) DO UPDATE SET returns = returns + excluded.returns,
      seconds = seconds + excluded.seconds;
    END""",
    _trigger("report_dock_returns_ai", "AFTER INSERT ON returns", "NEW.status = 'closed'", _dock_refresh("NEW.return_id")),
    _trigger("report_dock_returns_au", "AFTER UPDATE OF status, opened_at, station, opened_by ON returns",
             _changed("status", "opened_at", "station", "opened_by"), _dock_refresh("NEW.return_id")),
    _trigger("report_dock_returns_bd", "BEFORE DELETE ON returns", None,
             "INSERT INTO report_timing_delta (metric, at, station, operator, seconds, n) "
             "SELECT 'dock_to_decision', at, station, operator, seconds, -1 FROM report_dock WHERE return_id = OLD.return_id;\n"
             "DELETE FROM report_dock WHERE return_id = OLD.return_id;"),
    _trigger("report_dock_items_au", "AFTER UPDATE OF return_id ON return_items", _changed("return_id"),
             _dock_refresh("OLD.return_id") + "\n" + _dock_refresh("NEW.return_id")),
    _trigger("report_dock_items_ad", "AFTER DELETE ON return_items", None, _dock_refresh("OLD.return_id")),
    _trigger("report_dock_decisions_ai", "AFTER INSERT ON decisions", None,
             _dock_refresh("(SELECT return_id FROM return_items WHERE item_id = NEW.item_id)")),
    _trigger("report_dock_decisions_au", "AFTER UPDATE OF item_id, decided_at ON decisions", _changed("item_id", "decided_at"),
             _dock_refresh("(SELECT return_id FROM return_items WHERE item_id = OLD.item_id)") + "\n"
             + _dock_refresh("(SELECT return_id FROM return_items WHERE item_id = NEW.item_id)")),
    _trigger("report_dock_decisions_ad", "AFTER DELETE ON decisions", None,
             _dock_refresh("(SELECT return_id FROM return_items WHERE item_id = OLD.item_id)")),
    # a refund is ready once: computed ready (or loaded already paid), or approved later
    _trigger("report_refunds_ready_ai", "AFTER INSERT ON refunds", "NEW.status IN ('ready', 'paid')",
             "INSERT INTO report_timing_delta (metric, at, station, operator, seconds, n) "
             "SELECT 'scan_to_refund_ready', r.opened_at, r.station, r.opened_by, "
             "round((julianday(NEW.computed_at) - julianday(r.opened_at)) * 86400), 1 FROM returns r "
             "WHERE r.return_id = NEW.return_id;"),
    _trigger("report_refunds_ready_au", "AFTER UPDATE OF status ON refunds",
             "NEW.status IN ('ready', 'paid') AND OLD.status NOT IN ('ready', 'paid')",
             "INSERT INTO report_timing_delta (metric, at, station, operator, seconds, n) "
             "SELECT 'scan_to_refund_ready', r.opened_at, r.station, r.opened_by, "
             "round((julianday(NEW.updated_at) - julianday(r.opened_at)) * 86400), 1 FROM returns r "
             "WHERE r.return_id = NEW.return_id;"),
]

# 0003's rebuild with the timings counted the 0004 way
_TIMINGS_0003 = ("INSERT INTO report_duration_delta",)
REBUILD_0004_REPORTS = [s for s in REBUILD_0003_REPORTS if not s.lstrip().startswith(_TIMINGS_0003)] + [
    "DELETE FROM report_dock",
    "INSERT INTO report_dock (return_id, at, station, operator, seconds) "
    "SELECT return_id, opened_at, station, opened_by, seconds FROM report_dock_now WHERE seconds IS NOT NULL",
    "INSERT INTO report_timing_delta (metric, at, station, operator, seconds, n) "
    "SELECT 'dock_to_decision', at, station, operator, seconds, 1 FROM report_dock",
    # ready when a supervisor approved it (refund.approved), else when it was computed
    """INSERT INTO report_timing_delta (metric, at, station, operator, seconds, n)
        SELECT 'scan_to_refund_ready', r.opened_at, r.station, r.opened_by,
               round((julianday(coalesce(a.at, f.computed_at)) - julianday(r.opened_at)) * 86400), 1
        FROM refunds f JOIN returns r ON r.return_id = f.return_id
        LEFT JOIN (SELECT CAST(json_extract(data, '$.refund_id') AS INTEGER) AS refund_id, min(at) AS at FROM events
                   WHERE type = 'refund.approved' GROUP BY 1) a ON a.refund_id = f.refund_id
        WHERE f.status IN ('ready', 'paid')""",
]
# what station.reporting.aggregates.rebuild runs: always the latest migration's rebuild
REBUILD_REPORTS = REBUILD_0004_REPORTS


@migrations(name="0004_report_timings")
def m0004_report_timings(db):
    """Dock and refund-ready timings kept whatever order rows are written in; recounted once."""
    for statement in SCHEMA_0004_REPORTS + REBUILD_0004_REPORTS:
        db.execute(statement)
