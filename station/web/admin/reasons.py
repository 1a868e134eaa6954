"""Reason codes: the platforms' return reason codes mapped to the station's reasons, by channel.

A supervisor maps the codes an import met with no mapping (their RMAs wait without a station reason
and get it when the code is mapped), changes or adds a mapping, or dismisses a code (its RMAs ask
for a reason at the bench). Every rule and the audit are station/data/marketplace/reasons.py's.
"""
from flask import request, url_for
from flask_babel import gettext as _, ngettext

from station.data.marketplace import reasons as channel_reasons
from station.db import get_db, rows
from station.errors import ServiceError
from station.languages import N_
from station.policy import REASON_LABELS, REASONS
from station.roles import ADMINS, SUPERVISORS
from station.web.admin import answer, bp, render, user_name
from station.web.pages import msg
from station.web.security import current_user, roles_required

WIDGETS = ("waiting", "mappings", "form")  # the widget a post came from answers it; the rest follow out of band
FIELDS = ("channel", "code", "reason")
MAX_FIELD = 100

# Admin screens opened from the admin pages rather than the bar (which keeps one row on a 1024-px
# bench): layout.html lists those the badge's role opens, Reason codes with the count waiting.
MORE_SCREENS = [("admin.currencies", N_("Currencies"), ADMINS), ("admin.imports", N_("Imports"), ADMINS),
                ("admin.reasons", N_("Reason codes"), SUPERVISORS)]
# the side a reason puts the fault on (channel_reasons.side), as the screen says it: alone (in a
# reason's list) and as a phrase (beside a mapping)
SIDES = {"seller": N_("seller"), "customer": N_("customer"), "neither": N_("neither")}
SIDE_PHRASES = {"seller": N_("seller side"), "customer": N_("customer side"), "neither": N_("neither side")}


def side_name(reason):
    side = channel_reasons.side(reason)
    return _(SIDES[side])


def side_phrase(side):
    return _(SIDE_PHRASES[side]) if side in SIDE_PHRASES else side


def reason_labels():
    """Every station reason's label in the screen's language."""
    return {code: _(label) for code, label in REASON_LABELS.items()}


@bp.context_processor
def more_screens():
    def admin_links():
        """[(url, label, current)] of MORE_SCREENS for this badge."""
        user = current_user()
        return [(url_for(endpoint), _(label), request.endpoint == endpoint) for endpoint, label, roles in MORE_SCREENS
                if user and user["role"] in roles]

    return {"admin_links": admin_links, "reasons_waiting": lambda: len(channel_reasons.waiting(get_db()))}


def dismissed(db, limit=100):
    """Codes a supervisor dismissed unmapped (a code mapped from the list is in the mappings' audit)."""
    return rows(db, "SELECT u.channel, u.code, u.dismissed_by, u.dismissed_at FROM unmapped_reasons u "
                    "WHERE u.dismissed_at IS NOT NULL AND NOT EXISTS (SELECT 1 FROM channel_reason_audit a "
                    "WHERE a.channel = u.channel AND a.code = u.code AND a.changed_at = u.dismissed_at) "
                    "ORDER BY u.dismissed_at DESC LIMIT ?", [limit])


def history(db):
    """The audit trail, newest first: every mapping set or changed, and every code dismissed."""
    changes = [{"when": a["changed_at"], "who": a["changed_by"], "channel": a["channel"], "code": a["code"],
                "old": a["old_reason"], "new": a["new_reason"]} for a in channel_reasons.audit(db)]
    changes += [{"when": d["dismissed_at"], "who": d["dismissed_by"], "channel": d["channel"], "code": d["code"],
                 "dismissed": True} for d in dismissed(db)]
    return sorted(changes, key=lambda c: c["when"] or "", reverse=True)[:100]


def _context(db, **extra):
    shown = request.values.get("shown", "").strip().lower()[:40] or None
    listing = channel_reasons.listing(db)
    context = {"waiting": channel_reasons.waiting(db), "channels": sorted({m["channel"] for m in listing}),
               "mappings": [m for m in listing if shown in (None, m["channel"])], "shown": shown,
               "history": history(db), "reasons": REASONS, "labels": reason_labels(), "side": side_name,
               "side_phrase": side_phrase, "defaults_by": channel_reasons.DEFAULTS_BY,
               "form": {"channel": "", "code": "", "reason": ""}, "errors": {}, "row": None, "message": None,
               "main": None}
    context.update(extra)
    return context


@bp.get("/reasons")
@roles_required(*SUPERVISORS)
def reasons():
    """The codes waiting for a mapping, every mapping by channel, the add form and the audit trail."""
    return render("admin/reasons.html", **_context(get_db()))


@bp.post("/reasons")
@roles_required(*SUPERVISORS)
def reason_set():
    """Map, re-map or add one channel's code (audited); the RMAs waiting for it get the reason."""
    db = get_db()
    form = {key: request.form.get(key, "").strip()[:MAX_FIELD] for key in FIELDS}
    widget = request.form.get("widget") if request.form.get("widget") in WIDGETS else "form"
    try:
        done = channel_reasons.set_reason(db, form["channel"], form["code"], form["reason"], user_name())
    except ServiceError as exc:
        field = exc.extra.get("field") if exc.extra.get("field") in FIELDS else "reason"
        extra = {"form": form} if widget == "form" else {"row": (form["channel"].lower(), form["code"])}
        return answer("admin/reasons.html", "admin/_reason_answer.html", exc.status, **_context(
            db, main=widget, errors={field: exc.message.split(": ", 1)[-1]}, **extra))
    label = _(REASON_LABELS[done["reason"]])
    if not done["changed"]:
        text = _("%(channel)s %(code)s already maps to %(reason)s: nothing changed", channel=done["channel"],
                 code=done["code"], reason=label)
    else:
        filled = done.get("rmas_filled") or 0
        text = _("%(channel)s %(code)s → %(reason)s (%(side)s)", channel=done["channel"], code=done["code"],
                 reason=label, side=side_phrase(channel_reasons.side(done["reason"])))
        if filled:
            text += ngettext("; %(num)d RMA waiting for it got the reason",
                             "; %(num)d RMAs waiting for it got the reason", filled)
    return answer("admin/reasons.html", "admin/_reason_answer.html", oob=True,
                  **_context(db, main=widget, message=msg("ok", text)))


@bp.post("/reasons/dismiss")
@roles_required(*SUPERVISORS)
def reason_dismiss():
    """Leave a waiting code unmapped: it leaves the list and its RMAs ask for a reason at the bench."""
    db = get_db()
    channel, code = (request.form.get(key, "").strip()[:MAX_FIELD] for key in ("channel", "code"))
    try:
        channel_reasons.dismiss(db, channel, code, user_name())
    except ServiceError as exc:
        return answer("admin/reasons.html", "admin/_reason_answer.html", exc.status, oob=True,
                      **_context(db, main="waiting", message=msg("error", _(
                          "%(channel)s %(code)s is no longer waiting (mapped or dismissed already): nothing changed",
                          channel=channel, code=code))))
    text = _("Dismissed %(channel)s %(code)s: its RMAs ask for a reason at the bench", channel=channel, code=code)
    return answer("admin/reasons.html", "admin/_reason_answer.html", oob=True,
                  **_context(db, main="waiting", message=msg("ok", text)))
