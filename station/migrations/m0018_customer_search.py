"""0018: what each customer is found by, stored and indexed for the no-label search."""
from station.migrations.registry import migrations

STATEMENTS = [
    """CREATE TABLE customer_search (
    id INTEGER PRIMARY KEY,            -- stable rowid for the index (a VACUUM keeps it)
    customer_id TEXT NOT NULL UNIQUE,
    names TEXT NOT NULL,
    email TEXT,
    phone TEXT
)""",
    """CREATE VIRTUAL TABLE customer_search_fts USING fts5(
    names, email, phone, content='customer_search', content_rowid='id', tokenize='trigram'
)""",
    """CREATE TRIGGER customer_search_fts_ai AFTER INSERT ON customer_search BEGIN
    INSERT INTO customer_search_fts(rowid, names, email, phone) VALUES (new.id, new.names, new.email, new.phone);
END""",
    """CREATE TRIGGER customer_search_fts_ad AFTER DELETE ON customer_search BEGIN
    INSERT INTO customer_search_fts(customer_search_fts, rowid, names, email, phone)
    VALUES ('delete', old.id, old.names, old.email, old.phone);
END""",
    """CREATE TRIGGER customer_search_fts_au AFTER UPDATE ON customer_search BEGIN
    INSERT INTO customer_search_fts(customer_search_fts, rowid, names, email, phone)
    VALUES ('delete', old.id, old.names, old.email, old.phone);
    INSERT INTO customer_search_fts(rowid, names, email, phone) VALUES (new.id, new.names, new.email, new.phone);
END""",
    """CREATE TRIGGER customer_search_ai AFTER INSERT ON customers BEGIN
    INSERT INTO customer_search(customer_id, names, email, phone)
    VALUES (new.customer_id, name_key(new.name), fold(new.email), phone_key(new.phone, new.country));
END""",
    """-- an import's upsert rewrites every column: only a changed name, email or phone is re-indexed
CREATE TRIGGER customer_search_au AFTER UPDATE OF customer_id, name, email, phone, country ON customers
WHEN old.customer_id IS NOT new.customer_id OR old.name IS NOT new.name OR old.email IS NOT new.email
     OR old.phone IS NOT new.phone OR old.country IS NOT new.country BEGIN
    UPDATE customer_search SET customer_id = new.customer_id, names = name_key(new.name), email = fold(new.email),
        phone = phone_key(new.phone, new.country) WHERE customer_id = old.customer_id;
END""",
    """CREATE TRIGGER customer_search_ad AFTER DELETE ON customers BEGIN
    DELETE FROM customer_search WHERE customer_id = old.customer_id;
END""",
    # a customer's orders newest first without reading the orders (order_no too: orders has a rowid, which
    # is what an index holds): the search ranks the thousands of orders of a common surname from it alone
    """CREATE INDEX orders_customer_placed ON orders(customer_id, placed_at, status, order_no)""",
    """INSERT INTO customer_search(customer_id, names, email, phone)
    SELECT customer_id, name_key(name), fold(email), phone_key(phone, country) FROM customers ORDER BY rowid""",
]


@migrations(name="0018_customer_search")
def m0018_customer_search(db):
    """customer_search: per customer its name key (folded, in Latin letters, Arabic consonants: see
    station/intake/search_keys.py), folded email and phone (digits as stored, international and national), kept current by triggers on
    customers; customer_search_fts indexes them by trigrams (substrings, and typos by shared
    trigrams) without a second copy of the text (external content). orders_customer_placed: a
    customer's orders by date with their status, so ranking them reads no order row.

    The triggers call the SQLite functions name_key, fold and phone_key that station.db.connect
    registers: a program that writes customers through another connection needs them too.
    """
    for statement in STATEMENTS:  # one by one: executescript would commit in the middle of the migration
        db.execute(statement)
