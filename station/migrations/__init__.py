"""Schema, only through numbered migrations. Never edit an applied one: add the next module.

Each `mNNNN_name.py` registers itself on `registry.migrations` when imported; they are imported
here in number order, which is the order sqlite-utils applies them in.
"""
from station.migrations import m0001_initial, m0002_downstream, m0003_reports, m0004_report_timings, m0005_report_indexes  # noqa: F401
from station.migrations import m0006_print_queue  # noqa: F401
from station.migrations import m0007_weights  # noqa: F401
from station.migrations import m0009_admin  # noqa: F401,E402  (0008 was never used)
from station.migrations import m0010_policy_snapshots  # noqa: F401,E402
from station.migrations import m0011_refund_lines  # noqa: F401,E402
from station.migrations.m0004_report_timings import REBUILD_REPORTS
from station.migrations.registry import migrations

__all__ = ["migrations", "apply", "REBUILD_REPORTS"]


def apply(db):
    migrations.apply(db)
