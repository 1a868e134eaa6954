"""One way to answer a screen: the whole page, or for htmx only the partial it swaps.

Each widget htmx replaces is one `_name.html` whose root carries its id; the page includes it
and the fragment route answers the same template, so page and fragment cannot drift
(STYLE.md, habit 5). One URL answers both, so the answer says it varies with HX-Request.
"""
import re

from flask import Response, make_response, render_template, request
from werkzeug.routing import IntegerConverter

from station.inputs import MAX_ID


def wants_fragment():
    """True for an htmx request (it swaps a widget), False for a whole page."""
    return bool(request.headers.get("HX-Request"))


def page_or_fragment(page, partial=None, status=200, no_store=False, /, **context):
    """`partial` for htmx (when given), else `page`, rendered with `context`.

    no_store: never kept by the browser (a report, a shown API token or secret). The parameters
    are positional only, so a context may hold any name (`page`, `status`).
    """
    template = partial if partial and wants_fragment() else page
    resp = make_response(render_template(template, **context), status)
    resp.headers["Vary"] = "HX-Request"
    if no_store:
        resp.headers["Cache-Control"] = "no-store"
    return resp


def download(text, mimetype, name):
    """A file to save (page or API): its name in Content-Disposition, never cached."""
    return Response(text, mimetype=mimetype, headers={"Content-Disposition": f'attachment; filename="{name}"',
                                                       "Cache-Control": "no-store"})


def file_name(*parts):
    """A file name of plain ASCII from parts that may hold anything (a channel's name, a day)."""
    return "_".join(re.sub(r"[^a-z0-9]+", "-", part.lower()).strip("-") or "none" for part in parts)


def msg(tone, text):
    """A message on the screen: tone ok (green), warn (amber) or error (red)."""
    return {"tone": tone, "text": text}


class IdConverter(IntegerConverter):
    """`<id:name>` in a route: a row id SQLite can hold, else the route does not match (404)."""

    def __init__(self, url_map):
        super().__init__(url_map, min=1, max=MAX_ID)
