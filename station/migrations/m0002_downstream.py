"""0002: the queues after the decision - refurbish, RTV, quarantine review, webhooks."""
from station.migrations.registry import migrations


@migrations(name="0002_downstream")
def m0002_downstream(db):
    """Refurbish work orders, RTV batches, quarantine reviews, policy audit, webhooks."""
    db.executescript(SCHEMA_0002)


SCHEMA_0002 = """
CREATE TABLE work_orders (
    wo_id INTEGER PRIMARY KEY,
    item_id INTEGER NOT NULL UNIQUE REFERENCES return_items(item_id),
    tote TEXT NOT NULL UNIQUE,           -- the code on the tote label the technician scans
    status TEXT NOT NULL DEFAULT 'open', -- open | done
    actions TEXT NOT NULL DEFAULT '[]',  -- JSON: [{"action", "part"?, "cost"?, "at", "by"}]
    minutes INTEGER NOT NULL DEFAULT 0,
    outcome TEXT,                        -- restock | scrap
    outcome_grade TEXT,
    bin TEXT,
    parts_cost REAL NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    closed_at TEXT,
    closed_by TEXT
);
CREATE INDEX work_orders_status ON work_orders(status, created_at);

-- refurbished units are kept apart from new stock
CREATE TABLE refurb_stock (
    sku TEXT NOT NULL,
    bin TEXT NOT NULL,
    qty INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (sku, bin)
);

CREATE TABLE rtv_batches (
    batch_id INTEGER PRIMARY KEY,
    supplier_id TEXT NOT NULL REFERENCES suppliers(supplier_id),
    status TEXT NOT NULL DEFAULT 'open',  -- open | closed | settled
    opened_at TEXT NOT NULL,
    closed_at TEXT,
    closed_by TEXT,
    credit_expected TEXT,
    credit_received TEXT,
    settled_at TEXT
);
CREATE UNIQUE INDEX rtv_one_open_batch ON rtv_batches(supplier_id) WHERE status = 'open';

CREATE TABLE rtv_items (
    item_id INTEGER PRIMARY KEY REFERENCES return_items(item_id),
    batch_id INTEGER NOT NULL REFERENCES rtv_batches(batch_id),
    value TEXT NOT NULL,                  -- credit expected for this item (unit cost x qty)
    status TEXT NOT NULL DEFAULT 'in_batch',  -- in_batch | accepted | refused
    refused_reason TEXT,
    added_at TEXT NOT NULL
);
CREATE INDEX rtv_items_batch ON rtv_items(batch_id);

CREATE TABLE quarantine_reviews (
    item_id INTEGER PRIMARY KEY REFERENCES return_items(item_id),
    outcome TEXT NOT NULL,                -- restock | scrap | return_to_customer | fraud
    target TEXT,
    note TEXT NOT NULL,
    reviewed_by TEXT,
    reviewed_at TEXT NOT NULL
);

-- a follow-up decision for an item whose first one ended elsewhere (refused by the
-- supplier, released from quarantine, refurbished): the decisions table stays as decided
CREATE TABLE item_outcomes (
    outcome_id INTEGER PRIMARY KEY,
    item_id INTEGER NOT NULL REFERENCES return_items(item_id),
    stage TEXT NOT NULL,                  -- refurbish | rtv | quarantine
    outcome TEXT NOT NULL,
    target TEXT,
    note TEXT,
    by TEXT,
    at TEXT NOT NULL
);
CREATE INDEX item_outcomes_item ON item_outcomes(item_id);

CREATE TABLE policy_audit (
    audit_id INTEGER PRIMARY KEY,
    key TEXT NOT NULL,
    sku TEXT,
    old_value TEXT,
    new_value TEXT,
    changed_by TEXT,
    changed_at TEXT NOT NULL
);

CREATE TABLE sku_policy (
    sku TEXT NOT NULL,
    key TEXT NOT NULL,                    -- e.g. never_restock, allow_refurbished_crossdock
    value TEXT NOT NULL,
    PRIMARY KEY (sku, key)
);

CREATE TABLE webhooks (
    webhook_id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    url TEXT NOT NULL,
    secret TEXT NOT NULL,
    active INTEGER NOT NULL DEFAULT 1,
    delivered_seq INTEGER NOT NULL DEFAULT 0,   -- every event up to this one was accepted
    failures INTEGER NOT NULL DEFAULT 0,        -- consecutive failures
    last_error TEXT,
    last_attempt_at TEXT,
    next_attempt_at TEXT,
    created_at TEXT NOT NULL
);
"""
