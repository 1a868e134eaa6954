"""0007: weights - a product's expected weight and the weight the bench scale measured."""
from station.migrations.registry import migrations


# --- 0007: weights --------------------------------------------------------------------------
# products.weight_g comes from products.csv (optional column); return_items.measured_weight_g is
# what the bench scale read when the item was recorded (NULL without a scale or a steady
# reading). Both in grams; an empty box or a swapped item shows as the two disagreeing.

@migrations(name="0007_weights")
def m0007_weights(db):
    """products.weight_g (expected, per unit) and return_items.measured_weight_g (at the bench)."""
    db.execute("ALTER TABLE products ADD COLUMN weight_g REAL")
    db.execute("ALTER TABLE return_items ADD COLUMN measured_weight_g REAL")
