"""0012: stock by condition - new, open-box, refurbished and used units counted apart."""
from station.migrations.registry import migrations

CONDITIONS = ("new", "open_box", "refurbished", "used")


@migrations(name="0012_stock_conditions")
def m0012_stock_conditions(db):
    """stock gains `condition` in its key; today's stock is `new` (it was counted as new), the
    refurbished units kept apart in refurb_stock join it as `refurbished`."""
    db.execute("""CREATE TABLE stock_by_condition (
        sku TEXT NOT NULL,
        bin TEXT NOT NULL,
        condition TEXT NOT NULL DEFAULT 'new' CHECK (condition IN ('new', 'open_box', 'refurbished', 'used')),
        qty INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (sku, bin, condition)
    )""")
    db.execute("INSERT INTO stock_by_condition (sku, bin, condition, qty) SELECT sku, bin, 'new', qty FROM stock")
    db.execute("INSERT INTO stock_by_condition (sku, bin, condition, qty) SELECT sku, bin, 'refurbished', qty FROM refurb_stock "
               "WHERE true ON CONFLICT (sku, bin, condition) DO UPDATE SET qty = qty + excluded.qty")
    db.execute("DROP TABLE stock")
    db.execute("DROP TABLE refurb_stock")
    db.execute("ALTER TABLE stock_by_condition RENAME TO stock")
    db.execute("CREATE INDEX stock_condition ON stock(sku, condition)")
    # a restock decision records the condition the unit was shelved in (its label says so)
    db.execute("ALTER TABLE decisions ADD COLUMN condition TEXT")
    db.execute("UPDATE decisions SET condition = 'new' WHERE disposition = 'restock'")
