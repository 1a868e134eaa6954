"""0005: covering indexes for the report pages."""
from station.migrations.registry import migrations


# --- 0005: report indexes -------------------------------------------------------------------
# Bench performance groups a range of hours by station or by operator; these covering indexes
# hand the rows over already grouped, instead of sorting ~100k hour rows per page. The
# frequent-returner list finds each customer's last return day without reading their orders.

@migrations(name="0005_report_indexes")
def m0005_report_indexes(db):
    """Covering indexes for the per-station and per-operator bench figures; customers' return days."""
    for statement in [
        "CREATE INDEX report_activity_station ON report_activity(station, hour, parcels, items, units, decisions, overrides)",
        "CREATE INDEX report_activity_operator ON report_activity(operator, hour, parcels, items, units, decisions, overrides)",
        "CREATE INDEX report_durations_station ON report_durations(station, metric, day, returns, seconds)",
        "CREATE INDEX report_durations_operator ON report_durations(operator, metric, day, returns, seconds)",
        # a customer's last return day, for the frequent-returner list
        "CREATE INDEX report_customer_days_customer ON report_customer_days(customer_id, day)",
    ]:
        db.execute(statement)
