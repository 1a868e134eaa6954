"""0013: carrier claims - the state of the claim for each item damaged in transit."""
from station.migrations.registry import migrations

SCHEMA = [
    # An item whose verified reason is damaged_in_transit and whose decision is recorded is in a
    # carrier claim; it has a row here once a supervisor files, settles or rejects it (no row: open).
    """CREATE TABLE carrier_claims (
        item_id INTEGER PRIMARY KEY REFERENCES return_items(item_id),
        status TEXT NOT NULL,              -- open | claimed | settled | rejected
        carrier TEXT,                      -- as the claim was filed or closed (the carton's carrier)
        claim_ref TEXT,                    -- the carrier's claim reference
        claimed_at TEXT,
        claimed_by TEXT,
        value TEXT,                        -- declared value (unit price x qty) when first recorded
        currency TEXT,                     -- the order's currency: value and settled_amount are in it
        settled_amount TEXT,               -- decimal string: what the carrier paid
        settled_at TEXT,                   -- when (and settled_by: who) it was settled or rejected
        settled_by TEXT,
        note TEXT,                         -- why rejected, or a note on the settlement
        updated_at TEXT NOT NULL
    )""",
    # the value report sums the money settled in a date range
    "CREATE INDEX carrier_claims_settled ON carrier_claims(status, settled_at)",
    # the claims list starts from the items returned damaged in transit
    "CREATE INDEX return_items_reason ON return_items(reason)",
]


@migrations(name="0013_carrier_claims")
def m0013_carrier_claims(db):
    """The carrier_claims table (an item without a row is an open claim)."""
    for statement in SCHEMA:
        db.execute(statement)
