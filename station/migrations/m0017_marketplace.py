"""0017: marketplace files: channel return reasons (mapped, audited, unmapped seen once), saved
column mappings, and RMAs that remember the platform's own reason and where the unit went."""
from station.migrations.registry import migrations


@migrations(name="0017_marketplace")
def m0017_marketplace(db):
    """rmas.channel_reason: the platform's code as the file gave it (CR-UNWANTED_ITEM);
    rmas.source: NULL for a parcel expected at the bench, `fba` for a customer return that went
    back to Amazon's fulfilment centre (counted, never expected here), `removal` for a box of an
    FBA removal order (no customer refund).

    channel_reasons: a platform's reason code mapped to a station reason, with the side it puts
    the fault on; the defaults come from station/data/marketplace/reason_codes.py and a supervisor
    edits them (each change in channel_reason_audit). unmapped_reasons: a code an import met with
    no mapping, kept once per channel and code until a supervisor maps or dismisses it.

    import_mappings: a user's saved mapping for an ERP's export (which column holds what).
    """
    db.execute("ALTER TABLE rmas ADD COLUMN channel_reason TEXT")
    db.execute("ALTER TABLE rmas ADD COLUMN source TEXT")
    db.execute("""CREATE TABLE channel_reasons (
        channel TEXT NOT NULL,
        code TEXT NOT NULL,
        reason TEXT NOT NULL,
        updated_by TEXT,
        updated_at TEXT,
        PRIMARY KEY (channel, code)
    )""")
    from station.data.marketplace.reason_codes import DEFAULTS
    db.conn.executemany("INSERT INTO channel_reasons (channel, code, reason, updated_by, updated_at) "
                        "VALUES (?, ?, ?, 'defaults', NULL)",
                        [(channel, code, reason) for channel, codes in DEFAULTS.items() for code, reason in codes.items()])
    db.execute("""CREATE TABLE channel_reason_audit (
        audit_id INTEGER PRIMARY KEY,
        channel TEXT NOT NULL,
        code TEXT NOT NULL,
        old_reason TEXT,
        new_reason TEXT,
        changed_by TEXT,
        changed_at TEXT NOT NULL
    )""")
    db.execute("""CREATE TABLE unmapped_reasons (
        channel TEXT NOT NULL,
        code TEXT NOT NULL,
        first_seen_at TEXT NOT NULL,
        first_seen_in TEXT,
        rmas INTEGER NOT NULL DEFAULT 0,
        dismissed_by TEXT,
        dismissed_at TEXT,
        PRIMARY KEY (channel, code)
    )""")
    db.execute("""CREATE TABLE import_mappings (
        name TEXT PRIMARY KEY,
        target TEXT NOT NULL,
        columns TEXT NOT NULL,
        options TEXT NOT NULL DEFAULT '{}',
        updated_by TEXT,
        updated_at TEXT NOT NULL
    )""")
