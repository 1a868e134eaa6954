"""Return reasons per channel: a platform's code mapped to a station reason, edited by a supervisor
(audited), and the codes an import met with no mapping, shown to the supervisor once.

An RMA keeps the platform's own code (rmas.channel_reason) beside the station reason it maps to
(rmas.reason). An unmapped code is not a failed import: the RMA comes in without a station reason
(the bench asks for one, as for an RMA without a reason) and the code waits on the screen; mapping
it later fills in the reason of every RMA still waiting for it.
"""
from flask_babel import gettext as _

from station.data.marketplace.reason_codes import DEFAULTS, normalise
from station.db import one, rows, write
from station.errors import bad, not_found
from station.policy import CUSTOMER_SIDE, REASON_LABELS, REASONS, SELLER_FAULT
from station.timeutil import now_iso
from station.languages import N_

DEFAULTS_BY = "defaults"


def side(reason):
    if reason in SELLER_FAULT:
        return "seller"
    if reason in CUSTOMER_SIDE:
        return "customer"
    return "neither"


def seed(db):
    """The published defaults, for codes nobody has mapped yet (a later release may add codes)."""
    stamp = now_iso()
    with write(db):
        db.conn.executemany(
            "INSERT OR IGNORE INTO channel_reasons (channel, code, reason, updated_by, updated_at) VALUES (?, ?, ?, ?, ?)",
            [(channel, code, reason, DEFAULTS_BY, stamp) for channel, codes in DEFAULTS.items()
             for code, reason in codes.items()])


def table(db):
    """{(channel, code): reason} for every mapped code."""
    return {(r["channel"], r["code"]): r["reason"] for r in rows(db, "SELECT channel, code, reason FROM channel_reasons")}


def resolve(mapped, channel, code):
    """The station reason for a platform's code, or None when it has no mapping.

    A station reason code is itself (a hand-made export may already use `defective`); Amazon's
    seller-fulfilled codes are the FBA ones with a `CR-` prefix, so `CR-DEFECTIVE` finds `DEFECTIVE`.
    """
    key = normalise(code)
    if key.lower() in REASONS:
        return key.lower()
    for candidate in (key, key.removeprefix("CR-")):
        reason = mapped.get((channel, candidate))
        if reason:
            return reason
    return None


def note_unmapped(db, channel, code, where):
    """Inside the import's transaction: one row per channel and code, counting the RMAs that wait."""
    db.execute(
        "INSERT INTO unmapped_reasons (channel, code, first_seen_at, first_seen_in, rmas) VALUES (?, ?, ?, ?, 0) "
        "ON CONFLICT (channel, code) DO NOTHING", [channel, normalise(code), now_iso(), where])


def refresh_unmapped_counts(db):
    db.execute(
        "UPDATE unmapped_reasons SET rmas = (SELECT count(*) FROM rmas m JOIN orders o ON o.order_no = m.order_no "
        "WHERE m.reason IS NULL AND coalesce(o.channel, '') = unmapped_reasons.channel "
        "AND upper(m.channel_reason) = unmapped_reasons.code)")


def listing(db, channel=None):
    """Every mapping, with its side and label, channel by channel."""
    where, params = ("WHERE channel = ?", [channel]) if channel else ("", [])
    result = rows(db, f"SELECT channel, code, reason, updated_by, updated_at FROM channel_reasons {where} "
                      "ORDER BY channel, code", params)
    for row in result:
        row["side"] = side(row["reason"])
        row["label"] = REASON_LABELS.get(row["reason"], row["reason"])
    return result


def waiting(db):
    """The codes an import met with no mapping, not yet mapped or dismissed (shown once each)."""
    return rows(db, "SELECT channel, code, first_seen_at, first_seen_in, rmas FROM unmapped_reasons "
                    "WHERE dismissed_at IS NULL ORDER BY first_seen_at, channel, code")


def set_reason(db, channel, code, reason, user):
    """Map (or re-map) a channel's code; audited; RMAs waiting for that code get the reason."""
    channel, key = (channel or "").strip().lower(), normalise(code or "")
    if not channel or len(channel) > 40:
        raise bad("channel", _("Name the channel (amazon, ebay, shopify or your own)"))
    if not key or len(key) > 80:
        raise bad("code", _("Give the platform's reason code"))
    if reason not in REASONS:
        raise bad("reason", _("Must be one of: %(choices)s", choices=", ".join(REASONS)))
    stamp = now_iso()
    with write(db):
        old = one(db, "SELECT reason FROM channel_reasons WHERE channel = ? AND code = ?", [channel, key])
        old_reason = old["reason"] if old else None
        if old_reason == reason:
            return {"channel": channel, "code": key, "reason": reason, "changed": False}
        db.execute("INSERT INTO channel_reasons (channel, code, reason, updated_by, updated_at) VALUES (?, ?, ?, ?, ?) "
                   "ON CONFLICT (channel, code) DO UPDATE SET reason = excluded.reason, "
                   "updated_by = excluded.updated_by, updated_at = excluded.updated_at",
                   [channel, key, reason, user, stamp])
        db.execute("INSERT INTO channel_reason_audit (channel, code, old_reason, new_reason, changed_by, changed_at) "
                   "VALUES (?, ?, ?, ?, ?, ?)", [channel, key, old_reason, reason, user, stamp])
        filled = db.execute(
            "UPDATE rmas SET reason = ? WHERE reason IS NULL AND channel_reason IS NOT NULL "
            "AND upper(channel_reason) IN (?, ?) AND order_no IN (SELECT order_no FROM orders WHERE coalesce(channel, '') = ?)",
            [reason, key, "CR-" + key, channel]).rowcount
        db.execute("UPDATE unmapped_reasons SET dismissed_by = ?, dismissed_at = ? WHERE channel = ? AND code = ? "
                   "AND dismissed_at IS NULL", [user, stamp, channel, key])
    return {"channel": channel, "code": key, "reason": reason, "changed": True, "rmas_filled": filled}


def dismiss(db, channel, code, user):
    """The supervisor has seen an unmapped code and leaves it unmapped (its RMAs ask at the bench)."""
    with write(db):
        done = db.execute("UPDATE unmapped_reasons SET dismissed_by = ?, dismissed_at = ? WHERE channel = ? AND code = ? "
                          "AND dismissed_at IS NULL", [user, now_iso(), channel, normalise(code)]).rowcount
    if not done:
        raise not_found(N_("Unmapped reason code"), f"{code!r} of {channel!r}")


def audit(db, limit=100):
    return rows(db, "SELECT * FROM channel_reason_audit ORDER BY audit_id DESC LIMIT ?", [limit])
