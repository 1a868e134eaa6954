"""0006: the print queue - labels for network and CUPS printers, kept until the printer takes them."""
from station.migrations.registry import migrations


# --- 0006: print queue ----------------------------------------------------------------------
# A label for a bench's ZPL or CUPS printer is a row here before any byte goes out, so a
# printer that is off, out of paper or unplugged loses nothing: the worker
# (hardware/print_queue.py) retries with backoff and marks the row sent once the printer
# took it. next_attempt_at is epoch seconds (REAL), compared as a number.

@migrations(name="0006_print_queue")
def m0006_print_queue(db):
    """print_jobs: one label (or test print) per row, queued -> sending -> sent, or cancelled."""
    for statement in [
        """
CREATE TABLE print_jobs (
    job_id INTEGER PRIMARY KEY,
    bench TEXT NOT NULL,
    printer TEXT NOT NULL,              -- zpl://host:port or cups://queue
    item_id INTEGER,                    -- the decided item the label is for; NULL for a test print
    description TEXT NOT NULL,          -- what the devices page shows, e.g. 'RESTOCK RI-12 (4x6)'
    payload TEXT NOT NULL,              -- the ZPL sent as-is
    status TEXT NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'sending', 'sent', 'cancelled')),
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at REAL NOT NULL,      -- epoch seconds
    last_error TEXT,
    created_at TEXT NOT NULL,
    created_by TEXT,
    sent_at TEXT
)""",
        "CREATE INDEX print_jobs_printer ON print_jobs(printer, status, job_id)",
        "CREATE INDEX print_jobs_item ON print_jobs(item_id)",
    ]:
        db.execute(statement)
