"""A mapped report's rows as the station's own import rows: orders, returns, FBA returns, removals.

Each source row keeps its FILE:LINE, so a problem is named where the user can find it, with the
platform's column name. What is built goes through the CSV import's checks and writer
(station/data/importer) in the same transaction, so a mapped import obeys the same rules: every
bad row reported, nothing half-imported, a re-import changes nothing.

Choices (README "Marketplace files"):
- a customer is `<channel>:<buyer e-mail or user name>`; a file without one gives each order its
  own customer `<channel>:order:<order no>`, named by the preset ("Amazon customer");
- a price given per line (Amazon's item-price) is divided by the quantity and rounded to the
  currency's minor unit;
- a product the station does not know is created from the row (name, price in the base
  currency where a rate is known); a product it knows is never changed by a marketplace file;
- an order the station already has is never changed by a returns report; an order it does not
  have is created from the returns row (country ZZ, unknown, when the file has none);
- an outbound tracking number becomes a carton `<order no>:<tracking no>`, so a scan of it finds
  the order as a tracking match;
- a removal shipment is an order with status `removal` (its removal order id) and one RMA per
  box (`<removal order id>-<tracking number>`), so scanning the box's tracking number opens
  exactly what that box should hold.
"""
import json
from decimal import Decimal

from flask_babel import gettext as _

from station import money
from station.data import fx
from station.data.marketplace import reasons
from station.data.marketplace.presets import header_key
from station.data.marketplace.values import country, money as parse_money, quantity, timestamp
from station.db import rows

FOOTER_MARKERS = ("record(s) downloaded", "seller id")
UNKNOWN_COUNTRY = "ZZ"  # CLDR's "unknown region": a customer a marketplace file gives no country


def _clean(text):
    """Text from a file written beside the CSV import's checks: no control characters, bounded."""
    if text is None:
        return None
    return "".join(c for c in str(text) if c >= " " and c != "\x7f")[:300] or None


class Problems:
    def __init__(self, name):
        self.name, self.lines = name, []

    def add(self, line, text):
        self.lines.append(f"{self.name}:{line}: {text}")


class Fields:
    """Which header columns feed each field of the mapping (the first non-empty one wins)."""

    def __init__(self, table, mapping):
        by_key = {header_key(h): h for h in table.header if h}
        self.columns = {}
        for field, names in mapping["columns"].items():
            names = [names] if isinstance(names, str) else names
            self.columns[field] = [by_key[k] for k in (header_key(n) for n in names) if k in by_key]
        self.names = {f: (n if isinstance(n, list) else [n]) for f, n in mapping["columns"].items()}

    def has(self, field):
        return bool(self.columns.get(field))

    def get(self, values, field):
        for column in self.columns.get(field, ()):
            value = values.get(column, "").strip()
            if value:
                return value
        return ""

    def label(self, field):
        return (self.columns.get(field) or self.names.get(field) or [field])[0]


def require_columns(table, fields, required, problems):
    """A header without a column the target needs is one problem, on the header line."""
    for need in required:
        options = need if isinstance(need, tuple) else (need,)
        if not any(fields.has(f) for f in options):
            looked = ", ".join(n for f in options for n in fields.names.get(f, [f]))
            problems.add(table.header_line, _("no column for %(field)s (looked for: %(names)s)",
                                              field=options[0].replace("_", " "), names=looked))


def _is_footer(values):
    text = " ".join(v for v in values.values() if v).casefold()
    return any(marker in text for marker in FOOTER_MARKERS) and sum(1 for v in values.values() if v) <= 3


class Context:
    """What the conversion needs from the database: known keys, the base currency and its rates."""

    def __init__(self, db, policy, mapping):
        self.db, self.policy, self.mapping = db, policy, mapping
        self.options = mapping.get("options", {})
        self.channel = self.options.get("channel") or mapping.get("name")
        self.base = policy["base_currency"]
        self.reason_table = reasons.table(db)

    def existing(self, table, key, values):
        values = sorted(set(values))
        found = set()
        for i in range(0, len(values), 500):
            chunk = values[i:i + 500]
            marks = ", ".join("?" * len(chunk))
            found.update(r[key] for r in rows(self.db, f"SELECT {key} FROM {table} WHERE {key} IN ({marks})", chunk))
        return found

    def to_base(self, amount, currency):
        if currency == self.base:
            return amount
        rate = fx.rate(self.db, currency, self.base)
        return money.rounded(amount * rate, self.base) if rate is not None else amount


class Output:
    """The station rows built, per import file name, each as (file, line, {column: value})."""

    def __init__(self, name):
        self.name = name
        self.tables = {t: {} for t in ("customers", "products", "orders", "order_lines", "cartons", "rmas",
                                       "rma_lines")}
        self.rma_extras = {}  # rma_no -> (channel_reason, source)
        self.unmapped = {}  # code -> first line

    def put(self, table, key, line, row, merge=False):
        """The first row of a key wins; `merge` fills its blanks from later rows."""
        held = self.tables[table].get(key)
        if held is None:
            self.tables[table][key] = (self.name, line, dict(row))
        elif merge:
            for column, value in row.items():
                if held[2].get(column) in (None, "") and value not in (None, ""):
                    held[2][column] = value

    def for_import(self):
        """The rows the CSV import checks and writes; customers of unknown country go apart
        (`unknown_country`): ZZ is no country a customers.csv row may name."""
        tables = {table: list(keyed.values()) for table, keyed in self.tables.items() if keyed}
        if "customers" in tables:
            tables["customers"] = [r for r in tables["customers"] if r[2].get("country") != UNKNOWN_COUNTRY]
            if not tables["customers"]:
                del tables["customers"]
        return tables

    def unknown_country(self):
        """Customers a file gives no country (or a returns report's placeholders): (customer_id, name, email, phone)."""
        return [(r["customer_id"], _clean(r.get("name")), _clean(r.get("email")), _clean(r.get("phone")))
                for _, _, r in self.tables["customers"].values() if r.get("country") == UNKNOWN_COUNTRY]


def _time(fields, values, field, ctx, problems, line, required=False):
    text = fields.get(values, field)
    if not text:
        if required:
            problems.add(line, f"{fields.label(field)}: " + _("a date is required"))
        return None
    try:
        return timestamp(text, ctx.options.get("dates", "iso"))
    except ValueError as exc:
        problems.add(line, f"{fields.label(field)}: {exc}")
        return None


def _amount(fields, values, field, currency, problems, line):
    """(amount, currency) of a money cell, or (None, currency) when empty or bad (bad is reported)."""
    text = fields.get(values, field)
    if not text:
        return None, currency
    try:
        amount, found = parse_money(text, currency)
    except ValueError as exc:
        problems.add(line, f"{fields.label(field)}: {exc}")
        return None, currency
    if currency and found and found != currency:
        problems.add(line, f"{fields.label(field)}: " + _("in %(found)s, the order is in %(currency)s", found=found,
                                                          currency=currency))
        return None, currency
    if amount < 0:
        problems.add(line, f"{fields.label(field)}: " + _("a negative amount (%(value)s)", value=repr(text)))
        return None, currency
    if amount > money.MAX_AMOUNT:
        maximum = format(money.MAX_AMOUNT, ",")
        problems.add(line, f"{fields.label(field)}: " + _("more than %(maximum)s (%(value)s)", maximum=maximum,
                                                          value=repr(text)))
        return None, currency
    return amount, found or currency


def _qty(fields, values, problems, line, field="qty"):
    text = fields.get(values, field)
    if not text:
        problems.add(line, f"{fields.label(field)}: " + _("a quantity is required"))
        return None
    try:
        return quantity(text)
    except ValueError as exc:
        problems.add(line, f"{fields.label(field)}: {exc}")
        return None


def _country(fields, values, problems, line):
    text = fields.get(values, "country")
    if not text:
        return UNKNOWN_COUNTRY
    try:
        return country(text)
    except ValueError as exc:
        problems.add(line, f"{fields.label('country')}: {exc}")
        return UNKNOWN_COUNTRY


def _product(ctx, out, known_products, sku, name, line, unit_price=None, currency=None):
    if sku in known_products:
        return
    price = Decimal("0") if unit_price is None else ctx.to_base(unit_price, currency)
    out.put("products", sku, line, {"sku": sku, "name": (name or sku)[:300],
                                    "price": money.text(price, ctx.base)})


def _placeholder_customer(ctx, out, order_no, line):
    customer_id = f"{ctx.channel}:order:{order_no}"
    out.put("customers", customer_id, line, {"customer_id": customer_id, "country": UNKNOWN_COUNTRY,
                                             "name": ctx.options.get("placeholder_name") or f"{ctx.channel} customer"})
    return customer_id


# --- orders -----------------------------------------------------------------------------------

def orders(ctx, table, fields, problems):
    """An order report: customers, orders, lines, cartons and unknown products."""
    require_columns(table, fields, ["order_no", "sku", "qty", ("unit_price", "line_total"), "placed_at"], problems)
    if problems.lines:
        return None
    out = Output(table.name)
    options = ctx.options
    grouped = {}  # order_no -> {"line": first line, "rows": [(line, values)]}
    for line, values in table.rows:
        if "\0wide" in values:
            problems.add(line, values["\0wide"])
            continue
        if _is_footer(values):
            continue
        order_no = fields.get(values, "order_no")
        if not order_no:
            if fields.get(values, "sku") or fields.get(values, "qty"):
                problems.add(line, f"{fields.label('order_no')}: " + _("an order number is required"))
            continue
        grouped.setdefault(order_no, []).append((line, values))
    known_products = ctx.existing("products", "sku", [fields.get(v, "sku") for rows_ in grouped.values()
                                                      for _, v in rows_ if fields.get(v, "sku")])
    for order_no, order_rows in grouped.items():
        _order(ctx, fields, out, problems, order_no, order_rows, known_products)
    return out


def _order(ctx, fields, out, problems, order_no, order_rows, known_products):
    options = ctx.options
    first = order_rows[0][0]
    head = {}
    for field in ("customer_key", "customer_name", "email", "phone", "status", "currency", "tracking_no", "carrier",
                  "cancelled_at", "fulfilment"):
        head[field] = next((fields.get(v, field) for _, v in order_rows if fields.get(v, field)), "")
    dated = [_time(fields, v, "placed_at", ctx, problems, line) for line, v in order_rows if fields.get(v, "placed_at")]
    placed_at = next((d for d in dated if d), None)
    if not dated:
        problems.add(first, f"{fields.label('placed_at')}: " + _("the order has no date"))
    shipped = next(((line, v) for line, v in order_rows if fields.get(v, "shipped_at")), None)
    shipped_at = _time(fields, shipped[1], "shipped_at", ctx, problems, shipped[0]) if shipped else None
    country_row = next(((line, v) for line, v in order_rows if fields.get(v, "country")), (first, {}))
    country_code = _country(fields, country_row[1], problems, country_row[0])
    currency = (head["currency"] or options.get("currency") or "").upper() or None
    if currency and currency not in money.CURRENCIES:
        problems.add(first, f"{fields.label('currency')}: " + _("not a currency code: %(value)s", value=repr(currency)))
        return
    # lines: rows with a product; eBay's summary row of a multi-item order has none
    lines = []
    for line, values in order_rows:
        sku = fields.get(values, "sku")
        if not sku:
            continue
        if fields.has("line_status") and fields.get(values, "line_status").casefold() in ("cancelled", "canceled"):
            continue
        qty = _qty(fields, values, problems, line)
        if fields.has("unit_price") and fields.get(values, "unit_price"):
            price, currency = _amount(fields, values, "unit_price", currency, problems, line)
        else:
            price, currency = _amount(fields, values, "line_total", currency, problems, line)
            if price is not None and qty:
                price = price / qty
        if price is None and qty is not None:
            if not (fields.get(values, "unit_price") or fields.get(values, "line_total")):
                # Amazon leaves item-price empty on a pending or cancelled line: nothing to refund yet
                price = Decimal("0")
        if qty is None or price is None:
            continue
        lines.append((line, sku, qty, price, fields.get(values, "product_name"),
                      fields.get(values, "line_key") or fields.get(values, "item_number")))
    if not lines:
        return  # no product line (a gift card, a cancelled line only): nothing that could come back
    if currency is None:
        problems.add(first, f"{fields.label('currency') if fields.has('currency') else 'currency'}: "
                            + _("the order's currency is not in the file (no currency column, no sign on its prices)"))
        return
    if placed_at is None:
        return
    status = _status(options, head)
    key = head["customer_key"]
    if key:
        customer_id = f"{ctx.channel}:{key.casefold()}"
        out.put("customers", customer_id, first, {
            "customer_id": customer_id, "name": head["customer_name"] or options.get("placeholder_name") or key,
            "email": head["email"] or None, "phone": head["phone"] or None, "country": country_code}, merge=True)
    else:
        customer_id = f"{ctx.channel}:order:{order_no}"
        out.put("customers", customer_id, first, {
            "customer_id": customer_id, "name": head["customer_name"] or options.get("placeholder_name") or "customer",
            "email": head["email"] or None, "phone": head["phone"] or None, "country": country_code})
    out.put("orders", order_no, first, {
        "order_no": order_no, "customer_id": customer_id, "placed_at": placed_at, "channel": ctx.channel,
        "shipped_at": shipped_at or (placed_at if status == "shipped" and options.get("shipped_when_placed") else None),
        "currency": currency, "status": status})
    for n, (line, sku, qty, price, name, _key) in enumerate(lines, start=1):
        unit = money.rounded(price, currency)
        out.put("order_lines", (order_no, n), line, {"order_no": order_no, "line_no": n, "sku": sku, "qty": qty,
                                                     "unit_price": format(unit, "f")})
        _product(ctx, out, known_products, sku, name, line, unit, currency)
    tracking = {(fields.get(v, "tracking_no"), fields.get(v, "carrier") or head["carrier"]): line
                for line, v in reversed(order_rows) if fields.get(v, "tracking_no")}
    for (number, carrier), line in sorted(tracking.items(), key=lambda kv: kv[1]):
        out.put("cartons", f"{order_no}:{number}", line, {"carton_code": f"{order_no}:{number}", "order_no": order_no,
                                                          "tracking_no": number, "carrier": carrier or None})


def _status(options, head):
    if head.get("cancelled_at"):
        return "cancelled"
    word = "".join(ch for ch in head.get("status", "").casefold() if ch.isalnum())
    if word and word in options.get("status", {}):
        return options["status"][word]
    # the longer wordings a platform adds ("Shipped - Delivered to Buyer", "Canceled by seller")
    if "deliver" in word and "undeliver" not in word:
        return "delivered"
    if "cancel" in word:
        return "cancelled"
    if word.startswith(("pending", "unshipped", "unfulfilled", "awaiting")):
        return "awaiting_stock"
    return options.get("default_status", "shipped")


# --- returns (an RMA per return request) ------------------------------------------------------

def returns(ctx, table, fields, problems, source=None):
    """A returns report: RMAs and their lines; an order the station lacks is made from the row."""
    required = ["order_no", "sku", "qty"] + ([] if source == "fba" else ["rma_no"])
    require_columns(table, fields, required, problems)
    if problems.lines:
        return None
    out = Output(table.name)
    options = ctx.options
    requests = {}  # rma_no -> {"line", "order_no", "rows": [...]}
    for line, values in table.rows:
        if "\0wide" in values:
            problems.add(line, values["\0wide"])
            continue
        if _is_footer(values):
            continue
        order_no, sku = fields.get(values, "order_no"), fields.get(values, "sku")
        if not order_no:
            problems.add(line, f"{fields.label('order_no')}: " + _("an order number is required"))
            continue
        if not sku:
            problems.add(line, f"{fields.label('sku')}: " + _("the product's SKU is required"))
            continue
        status = fields.get(values, "request_status").casefold()
        if status and status in options.get("skip_status", ()):
            continue  # a rejected or cancelled request brings no parcel
        if source == "fba":
            lpn = fields.get(values, "lpn")
            # the licence plate on the returned unit is its RMA: scanning it finds the return
            rma_no = lpn or f"FBA-{order_no}-{sku}-{(fields.get(values, 'created_at') or '')[:10]}"
        else:
            rma_no = fields.get(values, "rma_no")
            if not rma_no:
                problems.add(line, f"{fields.label('rma_no')}: " + _("the RMA number is required"))
                continue
        held = requests.setdefault(rma_no, {"line": line, "order_no": order_no, "rows": []})
        if held["order_no"] != order_no:
            problems.add(line, f"{fields.label('rma_no')}: " + _(
                "RMA %(rma)s is for order %(order)s on line %(line)s, here for %(other)s", rma=rma_no,
                order=held["order_no"], line=held["line"], other=order_no))
            continue
        held["rows"].append((line, values))
    orders_known = ctx.existing("orders", "order_no", [r["order_no"] for r in requests.values()])
    known_products = ctx.existing("products", "sku", [fields.get(v, "sku") for r in requests.values()
                                                      for _, v in r["rows"]])
    placeholder_lines = {}  # order_no -> {sku: (line, qty, price, name)}
    for rma_no, request in requests.items():
        _return(ctx, fields, out, problems, rma_no, request, orders_known, known_products, placeholder_lines, source)
    for order_no, skus in placeholder_lines.items():
        for n, (sku, (line, qty, price, _name, currency)) in enumerate(sorted(skus.items()), start=1):
            out.put("order_lines", (order_no, n), line, {"order_no": order_no, "line_no": n, "sku": sku, "qty": qty,
                                                         "unit_price": money.text(price, currency)})
    return out


def _return(ctx, fields, out, problems, rma_no, request, orders_known, known_products, placeholder_lines, source):
    options = ctx.options
    first, order_no = request["line"], request["order_no"]
    values0 = request["rows"][0][1]
    created_at = _time(fields, values0, "created_at", ctx, problems, first)
    currency = (fields.get(values0, "currency") or options.get("currency") or "").upper() or None
    if currency and currency not in money.CURRENCIES:
        problems.add(first, f"{fields.label('currency')}: " + _("not a currency code: %(value)s", value=repr(currency)))
        return
    code = next((fields.get(v, "reason_code") for _, v in request["rows"] if fields.get(v, "reason_code")), "")
    reason = reasons.resolve(ctx.reason_table, ctx.channel, code) if code else None
    if code and reason is None:
        out.unmapped.setdefault(code, first)
    label_cost, _currency = _amount(fields, values0, "label_cost", currency or ctx.base, problems, first)
    payer_text = fields.get(values0, "label_paid_by").casefold()
    payer = options.get("label_payers", {}).get(payer_text, payer_text) if payer_text else None
    if payer not in ("seller", "customer", "marketplace"):
        payer = None  # a wording we do not know: the label's payer is left open, the return still comes in
    skus = {}
    for line, values in request["rows"]:
        qty = _qty(fields, values, problems, line)
        if qty is None:
            continue
        sku = fields.get(values, "sku")
        skus[sku] = skus.get(sku, 0) + qty
        _product(ctx, out, known_products, sku, fields.get(values, "product_name"), line)
    if order_no not in orders_known:
        placed = _time(fields, values0, "placed_at", ctx, problems, first) if fields.get(values0, "placed_at") \
            else created_at
        if placed is None:
            problems.add(first, f"{fields.label('placed_at')}: " + _(
                "order %(order)s is not in the station and the row has no date for it (import the order report first)",
                order=order_no))
            return
        customer_id = _placeholder_customer(ctx, out, order_no, first)
        out.put("orders", order_no, first, {"order_no": order_no, "customer_id": customer_id, "placed_at": placed,
                                            "channel": ctx.channel, "currency": currency or ctx.base,
                                            "status": "delivered"})
        if source != "fba":  # an FBA return never reaches this bench: no lines to pay from
            amount, _currency = _amount(fields, values0, "order_amount", currency or ctx.base, problems, first)
            order_qty = fields.get(values0, "order_qty")
            for line, values in request["rows"]:
                sku = fields.get(values, "sku")
                if sku not in skus:
                    continue
                price = Decimal("0")
                if amount is not None and len(skus) == 1 and order_qty.isdigit() and int(order_qty) > 0:
                    price = amount / int(order_qty)
                held = placeholder_lines.setdefault(order_no, {})
                qty = max(skus[sku], int(order_qty) if order_qty.isdigit() and len(skus) == 1 else 0)
                held.setdefault(sku, (line, qty, price, fields.get(values, "product_name"), currency or ctx.base))
    rma = {"rma_no": rma_no, "order_no": order_no, "created_at": created_at, "reason": reason,
           "return_tracking_no": fields.get(values0, "return_tracking_no") or None,
           "label_cost": money.text(label_cost, currency or ctx.base) if label_cost is not None else None,
           "label_paid_by": payer}
    out.put("rmas", rma_no, first, rma)
    for sku, qty in skus.items():
        out.put("rma_lines", (rma_no, sku), first, {"rma_no": rma_no, "sku": sku, "qty": qty})
    out.rma_extras[rma_no] = (code or None, source)


# --- removals (FBA removal shipments) ---------------------------------------------------------

REMOVALS_CUSTOMER = "amazon:fba-removals"
# the seller's own stock coming home: graded and decided like a return the customer no longer
# wanted (restock what is sellable); a removal order is never in the return-rate reports
REMOVAL_REASON = "no_longer_needed"


def removals(ctx, table, fields, problems):
    """A removal shipment detail report: an order per removal order, an RMA per box."""
    require_columns(table, fields, ["removal_id", "sku", "qty", "tracking_no"], problems)
    if problems.lines:
        return None
    out = Output(table.name)
    boxes = {}  # (removal_id, tracking) -> {"line", "values", "skus": {sku: qty}}
    for line, values in table.rows:
        if "\0wide" in values:
            problems.add(line, values["\0wide"])
            continue
        removal_id, sku, tracking = (fields.get(values, f) for f in ("removal_id", "sku", "tracking_no"))
        missing = [f for f, v in (("removal_id", removal_id), ("sku", sku), ("tracking_no", tracking)) if not v]
        if missing:
            problems.add(line, "; ".join(f"{fields.label(f)}: " + _("required (a box is found by its tracking number)")
                                         if f == "tracking_no" else f"{fields.label(f)}: " + _("required") for f in missing))
            continue
        qty = _qty(fields, values, problems, line)
        if qty is None:
            continue
        box = boxes.setdefault((removal_id, tracking), {"line": line, "values": values, "skus": {}})
        box["skus"][sku] = box["skus"].get(sku, 0) + qty
    if not boxes:
        return out
    known_products = {r["sku"]: r["price"] for r in rows(
        ctx.db, "SELECT sku, price FROM products WHERE sku IN (SELECT value FROM json_each(?))",
        [json.dumps(sorted({s for b in boxes.values() for s in b["skus"]}))])}
    out.put("customers", REMOVALS_CUSTOMER, min(b["line"] for b in boxes.values()),
            {"customer_id": REMOVALS_CUSTOMER, "name": "Amazon FBA removals", "country": UNKNOWN_COUNTRY})
    orders_ = {}
    for (removal_id, tracking), box in boxes.items():
        orders_.setdefault(removal_id, []).append((tracking, box))
    for removal_id, shipped in orders_.items():
        _removal(ctx, fields, out, problems, removal_id, shipped, known_products)
    return out


def _removal(ctx, fields, out, problems, removal_id, shipped, known_products):
    first = min(box["line"] for _, box in shipped)
    values0 = min(shipped, key=lambda s: s[1]["line"])[1]["values"]
    requested = _time(fields, values0, "requested_at", ctx, problems, first)
    shipped_at = _time(fields, values0, "shipped_at", ctx, problems, first)
    placed = requested or shipped_at
    if placed is None:
        problems.add(first, f"{fields.label('requested_at')}: " + _("the removal order has no date"))
        return
    # the order's lines: every box of it, those of earlier reports too (a later report may list only new boxes)
    in_file = {f"{removal_id}-{tracking}" for tracking, _ in shipped}
    totals = {}
    for row in rows(ctx.db, "SELECT l.rma_no, l.sku, l.qty FROM rma_lines l JOIN rmas m ON m.rma_no = l.rma_no "
                            "WHERE m.order_no = ? AND m.source = 'removal'", [removal_id]):
        if row["rma_no"] not in in_file:
            totals[row["sku"]] = totals.get(row["sku"], 0) + row["qty"]
    for _tracking, box in shipped:
        for sku, qty in box["skus"].items():
            totals[sku] = totals.get(sku, 0) + qty
    out.put("orders", removal_id, first, {"order_no": removal_id, "customer_id": REMOVALS_CUSTOMER,
                                          "placed_at": placed, "channel": ctx.channel, "shipped_at": shipped_at,
                                          "currency": ctx.base, "status": "removal"})
    for n, sku in enumerate(sorted(totals), start=1):
        price = Decimal(str(known_products[sku])) if sku in known_products else Decimal("0")
        out.put("order_lines", (removal_id, n), first, {"order_no": removal_id, "line_no": n, "sku": sku,
                                                        "qty": totals[sku], "unit_price": money.text(price, ctx.base)})
        if sku not in known_products:
            out.put("products", sku, first, {"sku": sku, "name": sku, "price": "0"})
    for tracking, box in sorted(shipped, key=lambda s: s[1]["line"]):
        rma_no = f"{removal_id}-{tracking}"
        at = _time(fields, box["values"], "shipped_at", ctx, problems, box["line"]) or placed
        out.put("rmas", rma_no, box["line"], {"rma_no": rma_no, "order_no": removal_id, "created_at": at,
                                              "reason": REMOVAL_REASON, "return_tracking_no": tracking})
        for sku, qty in sorted(box["skus"].items()):
            out.put("rma_lines", (rma_no, sku), box["line"], {"rma_no": rma_no, "sku": sku, "qty": qty})
        out.rma_extras[rma_no] = (None, "removal")


TARGETS = {
    "orders": orders,
    "returns": returns,
    "fba_returns": lambda ctx, table, fields, problems: returns(ctx, table, fields, problems, source="fba"),
    "removals": removals,
}
# What a saved mapping may name per target (the README lists them with their meaning).
TARGET_FIELDS = {
    "orders": ["order_no", "placed_at", "sku", "qty", "unit_price", "line_total", "currency", "customer_key",
               "customer_name", "email", "phone", "country", "status", "shipped_at", "tracking_no", "carrier",
               "product_name", "cancelled_at"],
    "returns": ["rma_no", "order_no", "sku", "qty", "created_at", "placed_at", "reason_code", "return_tracking_no",
                "label_cost", "label_paid_by", "currency", "product_name", "order_amount", "order_qty"],
    "fba_returns": ["order_no", "sku", "qty", "created_at", "reason_code", "lpn", "product_name"],
    "removals": ["removal_id", "sku", "qty", "tracking_no", "carrier", "shipped_at", "requested_at"],
}
REQUIRED_FIELDS = {"orders": ["order_no", "placed_at", "sku", "qty"], "returns": ["rma_no", "order_no", "sku", "qty"],
                   "fba_returns": ["order_no", "sku", "qty"], "removals": ["removal_id", "sku", "qty", "tracking_no"]}
