"""0010: policy snapshots - the policy each returned item was judged by."""
from station.migrations.registry import migrations


# --- 0010: policy snapshots -------------------------------------------------------------------
# A supervisor's policy change takes effect for new decisions only. The refund is computed when
# the parcel closes, possibly after a change: so each item keeps the policy in force when it was
# inspected (its restocking fee, the return window it was judged by). NULL (items recorded
# before 0010): the policy in force.

@migrations(name="0010_policy_snapshots")
def m0010_policy_snapshots(db):
    """return_items.policy: the policy values as JSON when the item was inspected."""
    db.execute("ALTER TABLE return_items ADD COLUMN policy TEXT")
