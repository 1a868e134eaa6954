"""0001: the bench's tables - master data, returns, decisions, refunds, users, scans, events."""
from station.migrations.registry import migrations


@migrations(name="0001_initial")
def m0001_initial(db):
    db.executescript(SCHEMA_0001)


SCHEMA_0001 = """
CREATE TABLE suppliers (
    supplier_id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    country TEXT,
    accepts_rtv INTEGER NOT NULL DEFAULT 0,
    rtv_window_days INTEGER
);

CREATE TABLE products (
    sku TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    gtin TEXT,              -- as imported
    gtin14 TEXT,            -- normalised GTIN-14 (zero-padded), what scans are matched on
    supplier_id TEXT REFERENCES suppliers(supplier_id),
    unit_cost REAL,
    price REAL NOT NULL,
    refurbishable INTEGER NOT NULL DEFAULT 0,
    refurb_cost REAL NOT NULL DEFAULT 0,
    bin TEXT,
    has_serial INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX products_gtin14 ON products(gtin14);

CREATE TABLE customers (
    customer_id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    email TEXT,
    phone TEXT,
    country TEXT NOT NULL,
    fraud INTEGER NOT NULL DEFAULT 0   -- set when a quarantine outcome confirmed fraud
);
CREATE INDEX customers_email ON customers(email COLLATE NOCASE);
CREATE INDEX customers_phone ON customers(phone);
CREATE INDEX customers_name ON customers(name COLLATE NOCASE);

CREATE TABLE orders (
    order_no TEXT PRIMARY KEY,
    customer_id TEXT NOT NULL REFERENCES customers(customer_id),
    placed_at TEXT NOT NULL,
    channel TEXT,
    shipped_at TEXT,
    delivered_at TEXT,
    currency TEXT NOT NULL,
    status TEXT NOT NULL,
    priority INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX orders_customer ON orders(customer_id);
CREATE INDEX orders_shipped_at ON orders(shipped_at);

CREATE TABLE order_lines (
    order_no TEXT NOT NULL REFERENCES orders(order_no),
    line_no INTEGER NOT NULL,
    sku TEXT NOT NULL,
    qty INTEGER NOT NULL,
    unit_price REAL NOT NULL,
    serials TEXT,                              -- ';'-separated, as imported
    qty_allocated INTEGER NOT NULL DEFAULT 0,  -- units cross-docked into this (waiting) line
    PRIMARY KEY (order_no, line_no)
);
CREATE INDEX order_lines_sku ON order_lines(sku);

-- one row per shipped serial, so a product scan with a serial finds its order
CREATE TABLE order_serials (
    serial TEXT NOT NULL,
    order_no TEXT NOT NULL,
    line_no INTEGER NOT NULL,
    sku TEXT NOT NULL,
    PRIMARY KEY (order_no, line_no, serial),
    FOREIGN KEY (order_no, line_no) REFERENCES order_lines(order_no, line_no) ON DELETE CASCADE
);
CREATE INDEX order_serials_serial ON order_serials(serial);

CREATE TABLE cartons (
    carton_code TEXT PRIMARY KEY,
    order_no TEXT NOT NULL REFERENCES orders(order_no),
    tracking_no TEXT,
    carrier TEXT
);
CREATE INDEX cartons_order ON cartons(order_no);
CREATE INDEX cartons_tracking ON cartons(tracking_no);

CREATE TABLE rmas (
    rma_no TEXT PRIMARY KEY,
    order_no TEXT NOT NULL REFERENCES orders(order_no),
    created_at TEXT,
    reason TEXT,
    resolution TEXT NOT NULL DEFAULT 'refund',
    return_tracking_no TEXT
);
CREATE INDEX rmas_order ON rmas(order_no);
CREATE INDEX rmas_tracking ON rmas(return_tracking_no);

CREATE TABLE rma_lines (
    rma_no TEXT NOT NULL REFERENCES rmas(rma_no),
    sku TEXT NOT NULL,
    qty INTEGER NOT NULL,
    PRIMARY KEY (rma_no, sku)
);

CREATE TABLE stock (
    sku TEXT NOT NULL,
    bin TEXT NOT NULL,
    qty INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (sku, bin)
);

CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    role TEXT NOT NULL,
    badge TEXT NOT NULL UNIQUE,
    pin_hash TEXT NOT NULL,
    failed_pins INTEGER NOT NULL DEFAULT 0,
    locked_until TEXT,
    created_at TEXT NOT NULL
);

CREATE TABLE api_tokens (
    token_hash TEXT PRIMARY KEY,   -- sha256 of the token; the token itself is never stored
    user_id INTEGER NOT NULL REFERENCES users(id),
    created_at TEXT NOT NULL,
    revoked INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE returns (
    return_id INTEGER PRIMARY KEY,
    order_no TEXT NOT NULL REFERENCES orders(order_no),
    rma_no TEXT REFERENCES rmas(rma_no),
    code TEXT NOT NULL,            -- the code that opened it
    match TEXT NOT NULL,
    station TEXT,
    opened_by TEXT,
    status TEXT NOT NULL DEFAULT 'open',   -- open | closed
    opened_at TEXT NOT NULL,
    closed_at TEXT,
    return_shipping REAL
);
CREATE INDEX returns_order ON returns(order_no);
CREATE INDEX returns_opened_at ON returns(opened_at);
-- at most one open return per order: a second code for the same order answers it
CREATE UNIQUE INDEX returns_one_open_per_order ON returns(order_no) WHERE status = 'open';

CREATE TABLE return_items (
    item_id INTEGER PRIMARY KEY,
    return_id INTEGER NOT NULL REFERENCES returns(return_id),
    sku TEXT NOT NULL,             -- catalogue SKU, or the scanned code for an unknown product
    code TEXT,                     -- what was scanned, if anything
    qty INTEGER NOT NULL,
    grade TEXT NOT NULL,
    reason TEXT NOT NULL,
    serial TEXT,
    notes TEXT,
    flags TEXT NOT NULL DEFAULT '[]',          -- JSON list
    recommendation TEXT NOT NULL,              -- JSON, as shown to the operator
    added_by TEXT,
    added_at TEXT NOT NULL
);
CREATE INDEX return_items_return ON return_items(return_id);
CREATE INDEX return_items_sku ON return_items(sku);

CREATE TABLE decisions (
    item_id INTEGER PRIMARY KEY REFERENCES return_items(item_id),  -- an item is decided once
    disposition TEXT NOT NULL,
    target TEXT,
    recommended_disposition TEXT,
    recommended_target TEXT,
    override_reason TEXT,
    decided_by TEXT,
    station TEXT,
    decided_at TEXT NOT NULL
);
CREATE INDEX decisions_disposition ON decisions(disposition, decided_at);

CREATE TABLE allocations (
    allocation_id INTEGER PRIMARY KEY,
    order_no TEXT NOT NULL,
    line_no INTEGER NOT NULL,
    item_id INTEGER NOT NULL REFERENCES return_items(item_id),
    qty INTEGER NOT NULL,
    at TEXT NOT NULL,
    FOREIGN KEY (order_no, line_no) REFERENCES order_lines(order_no, line_no)
);
CREATE INDEX allocations_line ON allocations(order_no, line_no);

CREATE TABLE refunds (
    refund_id INTEGER PRIMARY KEY,
    return_id INTEGER NOT NULL UNIQUE REFERENCES returns(return_id),  -- computed once
    amount TEXT NOT NULL,          -- decimal string, cents
    currency TEXT NOT NULL,
    status TEXT NOT NULL,          -- ready | held | rejected | paid | exchange
    hold_reasons TEXT NOT NULL DEFAULT '[]',
    payment_ref TEXT,
    note TEXT,
    decided_by TEXT,
    computed_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX refunds_status ON refunds(status, computed_at);

CREATE TABLE scans (
    scan_id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    station TEXT,
    user TEXT,
    source TEXT,                   -- wedge | serial | camera | typed | api
    raw TEXT NOT NULL,
    kind TEXT,
    ok INTEGER NOT NULL,
    message TEXT
);

-- append-only: the feed integrations pull; seq is the cursor
CREATE TABLE events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    type TEXT NOT NULL,
    at TEXT NOT NULL,
    data TEXT NOT NULL
);
CREATE TRIGGER events_append_only_update BEFORE UPDATE ON events
BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;
CREATE TRIGGER events_append_only_delete BEFORE DELETE ON events
BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;

CREATE TABLE photos (
    photo_id INTEGER PRIMARY KEY,
    item_id INTEGER NOT NULL REFERENCES return_items(item_id),
    path TEXT NOT NULL,            -- relative to the PHOTO_DIR
    sha256 TEXT NOT NULL,
    content_type TEXT NOT NULL,
    taken_by TEXT,
    taken_at TEXT NOT NULL
);
CREATE INDEX photos_item ON photos(item_id);

-- policy values a supervisor edits; absent keys take the defaults in station/policy.py
CREATE TABLE policy (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL,
    updated_by TEXT,
    updated_at TEXT
);
"""
