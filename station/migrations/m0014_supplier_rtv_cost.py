"""0014: what a supplier charges per unit it takes back (suppliers.csv `rtv_cost`, base currency)."""
from station.migrations.registry import migrations


@migrations(name="0014_supplier_rtv_cost")
def m0014_supplier_rtv_cost(db):
    """suppliers.rtv_cost: decimal text in the base currency; empty is 0 (the recommendation's net RTV value)."""
    db.execute("ALTER TABLE suppliers ADD COLUMN rtv_cost TEXT")
