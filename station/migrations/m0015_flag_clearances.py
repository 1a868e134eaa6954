"""0015: a supervisor clears a customer's flag with a note (audited)."""
from station.migrations.registry import migrations


@migrations(name="0015_flag_clearances")
def m0015_flag_clearances(db):
    """customer_flag_clearances: who cleared which flag of which customer, when and why. Earlier
    fraud is cleared for good; a frequent returner is judged only on what came after the clearance."""
    db.execute("""CREATE TABLE customer_flag_clearances (
        clearance_id INTEGER PRIMARY KEY,
        customer_id TEXT NOT NULL REFERENCES customers(customer_id),
        flag TEXT NOT NULL,
        note TEXT NOT NULL,
        cleared_by TEXT,
        cleared_at TEXT NOT NULL
    )""")
    db.execute("CREATE INDEX customer_flag_clearances_customer ON customer_flag_clearances(customer_id, flag, cleared_at)")
