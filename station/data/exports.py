"""CSV exports for integrations: decisions, stock changes and refunds over a date range."""
from flask_babel import gettext as _

from station import daterange
from station.errors import bad

KINDS = {
    "decisions": (
        "SELECT d.item_id, i.return_id, r.order_no, i.sku, i.qty, i.grade, i.reason, d.disposition, d.target, "
        "d.recommended_disposition, d.recommended_target, d.override_reason, d.decided_by, d.station, d.decided_at "
        "FROM decisions d JOIN return_items i ON i.item_id = d.item_id JOIN returns r ON r.return_id = i.return_id",
        "d.decided_at",
    ),
    "stock-changes": (
        "SELECT seq, at, json_extract(data, '$.sku') AS sku, json_extract(data, '$.bin') AS bin, "
        "json_extract(data, '$.delta') AS delta, json_extract(data, '$.item_id') AS item_id, "
        "coalesce(json_extract(data, '$.condition'), 'new') AS condition FROM events WHERE type = 'stock.changed'",
        "at",
    ),
    "refunds": (
        "SELECT f.refund_id, f.return_id, r.order_no, f.amount, f.currency, f.status, f.payment_ref, f.note, "
        "f.decided_by, f.computed_at, f.updated_at FROM refunds f JOIN returns r ON r.return_id = f.return_id",
        "f.computed_at",
    ),
}


def _query(kind, from_, to):
    if kind not in KINDS:
        raise bad("kind", _("must be one of %(choices)s", choices=", ".join(KINDS)))
    sql, column = KINDS[kind]
    try:
        where, params = daterange.where(column, from_, to)
    except OverflowError:  # 9999-12-31 has no next day to end the range at
        raise bad("to", _("must be a date before 9999-12-31")) from None
    joiner = " AND " if " WHERE " in sql else " WHERE "
    if where:
        sql += joiner + " AND ".join(where)
    return sql, column, params


def count(db, kind, from_=None, to=None):
    """How many rows export() would give (the admin screen shows it before the download)."""
    sql, _column, params = _query(kind, from_, to)
    return db.execute(f"SELECT count(*) FROM ({sql})", params).fetchone()[0]


def export(db, kind, from_=None, to=None):
    """(columns, rows) of one kind of record whose time falls in the inclusive day range."""
    sql, column, params = _query(kind, from_, to)
    cursor = db.execute(sql + f" ORDER BY {column}", params)
    columns = [c[0] for c in cursor.description]
    return columns, [dict(zip(columns, row)) for row in cursor.fetchall()]
