"""Charts drawn on the server as inline SVG: no script, no CDN, prints as drawn.

Every piece of text goes through markupsafe.escape; numbers are formatted here. Each chart
scales to its container through its viewBox. The words a chart writes itself (a sentence where
there is nothing to draw, the average's mark, the legend) are in the page's language; titles and
labels come translated from the page.
"""
import math

from flask_babel import gettext as _
from markupsafe import Markup, escape

INK, MUTED, GRID = "#15191e", "#5a6470", "#dde3ea"
COLOURS = {"accent": "#1f5fbf", "ok": "#1b7f3a", "warn": "#a86400", "error": "#b3261e", "light": "#b9c9e6"}
FONT = "font-family=\"DejaVu Sans, Noto Sans, Arial, sans-serif\""


def pairs(rows, label_key, value_key, limit=None, name=str):
    """(label, value) items of a chart from report rows; `name` writes a label (a code's word)."""
    rows = rows[:limit] if limit else rows
    return [(_("(none)") if r[label_key] is None else str(name(r[label_key])), r[value_key] or 0) for r in rows]


def weekly(items, most=120):
    """Daily (label, value) items summed into weeks (labelled by their first day) when there are too many."""
    if len(items) <= most:
        return items
    from datetime import date, timedelta

    weeks = {}
    for label, value in items:
        day = date.fromisoformat(label)
        key = (day - timedelta(days=day.weekday())).isoformat()
        weeks[key] = weeks.get(key, 0) + value
    return sorted(weeks.items())


def triples(rows, label_key, whole_key, part_key, name=str):
    """(label, whole, part) items of a paired chart from report rows (money strings become numbers)."""
    return [(str(name(r[label_key])), float(r[whole_key] or 0), float(r[part_key] or 0)) for r in rows]


def _clip(text, length):
    text = "—" if text is None else str(text)
    return text if len(text) <= length else text[: length - 1] + "…"


def _svg(width, height, title, body):
    t = escape(title)
    return Markup(
        f'<svg class="chart" viewBox="0 0 {width} {height}" width="100%" role="img" aria-label="{t}" '
        f'xmlns="http://www.w3.org/2000/svg" {FONT} font-size="15"><title>{t}</title>{body}</svg>'
    )


def _scale(values):
    """(axis top, ticks) for values: four or five round steps; whole steps when the values are whole."""
    high = max([float(v) for v in values] + [0.0])
    whole = all(float(v).is_integer() for v in values)
    if high <= 0:
        return 1, [0, 1] if whole else [0, 0.25, 0.5, 0.75, 1]
    raw = high / 4
    magnitude = 10 ** math.floor(math.log10(raw))
    for m in (1, 2, 2.5, 5, 10):
        step = m * magnitude
        if step >= raw and not (whole and not float(step).is_integer()):
            break
    if whole:
        step = max(1, step)
    count = math.ceil(high / step - 1e-9)
    return step * count, [step * i for i in range(count + 1)]


def by_threshold(items, threshold, near=0.25):
    """(label, value, colour) by a threshold (an average, a target): red above it by more than
    `near` of it, green below it by more than that, amber around it; all amber without one."""
    if not threshold:
        return [(label, value, "warn") for label, value in items]
    high, low = float(threshold) * (1 + near), float(threshold) * (1 - near)
    return [(label, value, "error" if float(value) > high else "ok" if float(value) < low else "warn")
            for label, value in items]


def all_zero(items):
    return bool(items) and all(float(i[1] or 0) == 0 for i in items)


def bars(items, title, fmt=str, colour="accent", width=720, label_width=210, marker=None):
    """Horizontal bars: items are (label, value) or (label, value, colour name); `marker` draws a reference line."""
    if not items:
        return empty(title, width)
    if all_zero(items):
        return empty(title, width, _("Every value is 0 in this range"))
    row, top = 26, 8
    height = top + row * len(items) + 26
    plot = width - label_width - 90
    top_value, _ticks = _scale([i[1] for i in items] + ([marker] if marker else []))
    parts = []
    for n, item in enumerate(items):
        label, value = item[0], float(item[1])
        fill = COLOURS.get(item[2] if len(item) > 2 else colour, COLOURS["accent"])
        y = top + n * row
        w = max(0.0, plot * value / top_value)
        parts.append(
            f'<g><title>{escape(label)}: {escape(fmt(item[1]))}</title>'
            f'<text x="{label_width - 8}" y="{y + 17}" text-anchor="end" fill="{INK}">{escape(_clip(label, 28))}</text>'
            f'<rect x="{label_width}" y="{y + 4}" width="{w:.1f}" height="{row - 8}" rx="3" fill="{fill}"/>'
            f'<text x="{label_width + w + 6:.1f}" y="{y + 17}" fill="{INK}">{escape(fmt(item[1]))}</text></g>'
        )
    axis_y = top + row * len(items) + 4
    parts.append(f'<line x1="{label_width}" y1="{top}" x2="{label_width}" y2="{axis_y}" stroke="{MUTED}"/>')
    parts.append(f'<text x="{label_width}" y="{axis_y + 16}" fill="{MUTED}">0</text>')
    parts.append(f'<text x="{label_width + plot}" y="{axis_y + 16}" text-anchor="end" fill="{MUTED}">'
                 f'{escape(fmt(top_value))}</text>')
    if marker is not None:
        x = label_width + plot * marker / top_value
        average = _("avg %(value)s", value=fmt(marker))
        parts.append(f'<line x1="{x:.1f}" y1="{top}" x2="{x:.1f}" y2="{axis_y}" stroke="{COLOURS["error"]}" '
                     f'stroke-dasharray="4 3"/><text x="{x:.1f}" y="{axis_y + 16}" text-anchor="middle" '
                     f'fill="{COLOURS["error"]}">{escape(average)}</text>')
    return _svg(width, height, title, "".join(parts))


def columns(items, title, fmt=str, colour="accent", width=720, height=220, every=None):
    """Vertical columns over a sequence (days, hours, bands): items are (label, value)."""
    if not items:
        return empty(title, width)
    if all_zero(items):
        return empty(title, width, _("Every value is 0 in this range"))
    left, bottom, top = 48, 34, 12
    plot_w, plot_h = width - left - 10, height - bottom - top
    top_value, ticks = _scale([v for _label, v in items])
    slot = plot_w / len(items)
    every = every or max(1, int(len(items) / (plot_w / 70)) + 1)
    parts = [_grid(left, top, plot_w, plot_h, top_value, ticks, fmt)]
    for n, (label, value) in enumerate(items):
        h = plot_h * float(value) / top_value
        x = left + n * slot
        parts.append(f'<g><title>{escape(label)}: {escape(fmt(value))}</title>'
                     f'<rect x="{x + slot * 0.12:.1f}" y="{top + plot_h - h:.1f}" width="{max(1.0, slot * 0.76):.1f}" '
                     f'height="{h:.1f}" fill="{COLOURS[colour]}"/></g>')
        if n % every == 0:
            parts.append(f'<text x="{x + slot / 2:.1f}" y="{top + plot_h + 18}" text-anchor="middle" fill="{MUTED}">'
                         f'{escape(_clip(label, 12))}</text>')
    return _svg(width, height, title, "".join(parts))


def periodic(trend, value_key="rate"):
    """(label, value) items of a weekly or monthly trend with every week or month from its first to its
    last: one with nothing shipped is (label, None), a gap in the line, so the axis keeps time."""
    from datetime import date, timedelta

    rows = trend["rows"]
    if not rows:
        return []
    have = {r["period"]: r[value_key] for r in rows}
    items, label = [], rows[0]["period"]
    while label <= rows[-1]["period"]:
        items.append((label, have.get(label)))
        if trend["bucket"] == "week":
            label = (date.fromisoformat(label) + timedelta(days=7)).isoformat()
        else:
            year, month = int(label[:4]), int(label[5:7])
            label = f"{year + month // 12:04d}-{month % 12 + 1:02d}"
    return items


def line(items, title, fmt=str, colour="accent", width=720, height=220):
    """A line with dots over a sequence (weeks, months): items are (label, value); a None value is a gap."""
    if not items or all(v is None for _label, v in items):
        return empty(title, width)
    left, bottom, top = 56, 34, 12
    plot_w, plot_h = width - left - 16, height - bottom - top
    top_value, ticks = _scale([v for _label, v in items if v is not None])
    step = plot_w / max(1, len(items) - 1)
    every = max(1, math.ceil(130 / step))  # a date label is some 80 px wide; the first starts at its dot
    points = [(left + n * step if len(items) > 1 else left + plot_w / 2,
               None if v is None else top + plot_h - plot_h * float(v) / top_value)
              for n, (_label, v) in enumerate(items)]
    parts = [_grid(left, top, plot_w, plot_h, top_value, ticks, fmt)]
    segment = []
    for x, y in points + [(None, None)]:
        if y is not None:
            segment.append(f"{x:.1f},{y:.1f}")
            continue
        if len(segment) > 1:
            parts.append(f'<polyline fill="none" stroke="{COLOURS[colour]}" stroke-width="2.5" points="'
                         + " ".join(segment) + '"/>')
        segment = []
    for n, ((label, value), (x, y)) in enumerate(zip(items, points)):
        if y is not None:
            parts.append(f'<g><title>{escape(label)}: {escape(fmt(value))}</title>'
                         f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" fill="{COLOURS[colour]}"/></g>')
        if n % every == 0 or n == len(items) - 1:
            anchor = "start" if n == 0 and len(items) > 1 else "end" if n == len(items) - 1 and n else "middle"
            if n == len(items) - 1 and n % every and n - (n // every) * every < every / 2:
                continue  # too close to the label before it
            parts.append(f'<text x="{x:.1f}" y="{top + plot_h + 18}" text-anchor="{anchor}" fill="{MUTED}">'
                         f'{escape(_clip(label, 12))}</text>')
    return _svg(width, height, title, "".join(parts))


def paired(items, title, fmt=str, width=720, label_width=130, legend=None):
    """Per row a light bar (the whole) and a dark bar over it (the part): items are (label, whole, part);
    `legend` names the two (value as new and recovered unless told)."""
    legend = legend or (_("value as new"), _("recovered"))
    if not items:
        return empty(title, width)
    row, top = 34, 8
    height = top + row * len(items) + 30
    plot = width - label_width - 170
    top_value, _ticks = _scale([max(float(w), float(p)) for _label, w, p in items])
    parts = []
    for n, (label, whole, part) in enumerate(items):
        y = top + n * row
        ww, wp = plot * max(0.0, float(whole)) / top_value, plot * max(0.0, float(part)) / top_value
        of_whole = _("%(part)s of %(whole)s", part=fmt(part), whole=fmt(whole))
        parts.append(
            f'<g><title>{escape(label)}: {escape(of_whole)}</title>'
            f'<text x="{label_width - 8}" y="{y + 21}" text-anchor="end" fill="{INK}">{escape(_clip(label, 16))}</text>'
            f'<rect x="{label_width}" y="{y + 5}" width="{ww:.1f}" height="{row - 10}" rx="3" fill="{COLOURS["light"]}"/>'
            f'<rect x="{label_width}" y="{y + 9}" width="{wp:.1f}" height="{row - 18}" rx="2" fill="{COLOURS["ok"]}"/>'
            f'<text x="{label_width + max(ww, wp) + 6:.1f}" y="{y + 21}" fill="{INK}">'
            f'{escape(fmt(part))} / {escape(fmt(whole))}</text></g>'
        )
    legend_y = top + row * len(items) + 18
    parts.append(f'<rect x="{label_width}" y="{legend_y - 10}" width="12" height="12" fill="{COLOURS["light"]}"/>'
                 f'<text x="{label_width + 18}" y="{legend_y}" fill="{MUTED}">{escape(legend[0])}</text>'
                 f'<rect x="{label_width + 130}" y="{legend_y - 10}" width="12" height="12" fill="{COLOURS["ok"]}"/>'
                 f'<text x="{label_width + 148}" y="{legend_y}" fill="{MUTED}">{escape(legend[1])}</text>')
    return _svg(width, height, title, "".join(parts))


def _grid(left, top, plot_w, plot_h, top_value, ticks, fmt):
    parts = []
    for value in ticks:
        y = top + plot_h - plot_h * value / top_value
        parts.append(f'<line x1="{left}" y1="{y:.1f}" x2="{left + plot_w}" y2="{y:.1f}" stroke="{GRID}"/>'
                     f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" fill="{MUTED}">{escape(fmt(value))}</text>')
    return "".join(parts)


def empty(title, width=720, sentence=None):
    """A sentence where a chart would say nothing (no rows, or every value 0)."""
    sentence = sentence or _("Nothing in this range")
    return _svg(width, 60, title, f'<text x="{width / 2}" y="36" text-anchor="middle" fill="{MUTED}">'
                                  f"{escape(sentence)}</text>")
