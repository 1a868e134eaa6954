"""The demo's generator: customers, orders, cartons and RMAs drawn from the fixed tables by a seeded random."""
import unicodedata
from datetime import timedelta
from itertools import accumulate

from station.data.demo.codes import s10, sscc, ups
from station.data.demo.tables import (
    AMAZON_MARKETS, CARRIERS, CHANNELS, COUNTRIES, DEMO_EXAMPLES, EBAY_MARKETS, FX, OUT_OF_STOCK, REASON_WEIGHTS,
    UPS_RETURN_COUNTRIES, WHOLE_UNITS, _PRODUCT_BY_SKU, catalogue)
from station.data.importer.rules import SPECS
from station.policy import CUSTOMER_SIDE
from station.timeutil import iso


def _ascii(text):
    """A romanised e-mail handle for a Latin-script name: Jürgen Weiß -> juergen.weiss."""
    for a, b in (("ü", "ue"), ("ö", "oe"), ("ä", "ae"), ("ß", "ss"), ("ł", "l"), ("ı", "i"), ("'", "")):
        text = text.replace(a, b)
    text = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in text if c.isascii() and (c.isalnum() or c == " ")).replace(" ", "")


def _people():
    """COUNTRIES' name lists parsed once: given [(native, roman, gender)], family [(m, f, roman)]."""
    people = {}
    for country, (weight, _, _, _, given, family, fmt) in COUNTRIES.items():
        g = []
        for word in given.split():
            word, _, gender = word.partition(":")
            native, _, roman = word.partition("/")
            g.append((native, roman or _ascii(native), gender or "m"))
        f = []
        for word in family.split():
            native, _, roman = word.partition("/")
            male, _, female = native.partition("|")
            f.append((male, female or male, roman or _ascii(male)))
        people[country] = (g, f, fmt)
    return people


_PEOPLE = _people()
_COUNTRY_WEIGHTS = [c[0] for c in COUNTRIES.values()]
_CHANNEL_NAMES, _CHANNEL_WEIGHTS = list(CHANNELS), list(accumulate(CHANNELS.values()))
_AMAZON_CODES = ("111", "112", "113", "114", "171", "202", "205", "302", "305", "403", "405", "407", "028", "249", "503")


# What share of delivered orders an RMA follows, by what the order's first line is: apparel and shoes
# come back most (size and fit), electronics least; about a cross-border shop's rates.
APPAREL, ELECTRONICS = ("RUN", "HOOD"), ("EB", "SPK", "SW", "PB", "KB", "MS", "CAM", "DRN", "HDR", "TB", "CHG")
ARRIVES_AFTER = 4.0  # days: an RMA older than this has been received; newer ones are still on their way


def return_chance(sku):
    family = sku.split("-")[0]
    return .55 if family in APPAREL else .17 if family in ELECTRONICS else .12


# Units of USD for one unit of each currency: round figures of late 2026, for the demo only.
DEMO_FX = {"AED": "0.2723", "BRL": "0.1850", "CNY": "0.1390", "EUR": "1.0850", "GBP": "1.2700", "JPY": "0.0066",
           "KRW": "0.00072", "PLN": "0.2500", "RUB": "0.0110", "SAR": "0.2666", "TRY": "0.0290", "UAH": "0.0240",
           "CAD": "0.7300", "AUD": "0.6600", "MXN": "0.0550", "INR": "0.0120", "CHF": "1.1300", "SEK": "0.0950"}


class _Builder:
    """Rows for import_rows plus the closed returns of the frequent returners."""

    def __init__(self, rng, at):
        self.rng, self.at = rng, at
        self.tables = {s.file: [] for s in SPECS}
        self.history = []
        self.arrived = []  # RMAs whose parcel reached the bench and was closed (the demo's return history)
        self.arrived_days = {}  # customer -> days ago of their received returns
        self.seq = {"serial": 1, "carton": 100, "parcel": 4215100, "post": 10000100, "shop": 100100, "rma": 100100}
        self.used, self.emails = set(), set()

    def ago(self, days):
        return iso(self.at - timedelta(seconds=round(days * 86400)))

    def next(self, counter):
        self.seq[counter] += 1
        return self.seq[counter]

    def build(self, customers, orders):
        rng = self.rng
        self.tables["suppliers"], self.tables["products"] = catalogue()
        self.products = self.tables["products"]
        self.popularity = list(accumulate(rng.paretovariate(1.2) for _ in self.products))
        self._examples()
        for n in range(6, customers + 1):
            country = rng.choices(list(COUNTRIES), _COUNTRY_WEIGHTS)[0]
            self._customer(f"CU-{n:06d}", country)
        pool = self.tables["customers"][5:]
        activity = list(accumulate(rng.expovariate(1.0) + 0.2 for _ in pool))  # some buy far more
        for _ in range(orders - orders // 70):
            self._order(rng.choices(pool, cum_weights=activity)[0])
        for _ in range(orders // 70):  # waiting for the few products out of stock
            self._order(rng.choice(pool), waiting=True)
        for customer in rng.sample(pool, 7):
            for days in sorted(rng.sample(range(16, 85), rng.randint(3, 4)), reverse=True):
                self._returned_order(customer, days)
        # the rates of the currencies the demo's shops sell in (USD, the base, needs none), so that
        # a CNY or JPY order is weighed as money (high value, bulk), not flagged fx_missing
        used = {o["currency"] for o in self.tables["orders"]} - {"USD"}
        self.tables["fx_rates"] = [dict(currency=c, rate=DEMO_FX[c]) for c in sorted(used) if c in DEMO_FX]
        for p in self.products:
            qty = 0 if p["sku"] in OUT_OF_STOCK else rng.randint(3, 80)
            self.tables["inventory"].append(dict(sku=p["sku"], bin=p["bin"], qty=qty))
            if qty and rng.random() < .25:  # overflow racking
                self.tables["inventory"].append(
                    dict(sku=p["sku"], bin=f"R-{rng.randint(1, 20):02d}-{rng.randint(1, 4):02d}", qty=rng.randint(5, 40)))

    def _customer(self, customer_id, country, name=None, email=None, phone=None):
        rng = self.rng
        _, prefix, digits, *_ = COUNTRIES[country]
        if name is None:
            given, family, fmt = _PEOPLE[country]
            g_native, g_roman, gender = rng.choice(given)
            fams = rng.sample(family, fmt.count("f"))
            f_native = [f[1] if gender == "f" else f[0] for f in fams]
            name = {"g f": f"{g_native} {f_native[0]}", "g f f": " ".join([g_native, *f_native]),
                    "fg": f_native[0] + g_native, "f g": f"{f_native[0]} {g_native}"}[fmt]
            handle = rng.choice([f"{g_roman}.{fams[0][2]}", f"{g_roman}{fams[0][2]}{rng.randint(1, 99)}",
                                 f"{g_roman[0]}{fams[0][2]}"])
            email = f"{handle}@example.{rng.choice(['com', 'net', 'org'])}"
            while email in self.emails:  # one address, one customer: searching by e-mail finds one
                email = f"{handle}{rng.randint(100, 9999)}@example.{rng.choice(['com', 'net', 'org'])}"
            phone = f"+{prefix}{rng.randint(1, 9)}{rng.randrange(10 ** (digits - 1)):0{digits - 1}d}"
        self.emails.add(email)
        row = dict(customer_id=customer_id, name=name, email=email, phone=phone, country=country)
        self.tables["customers"].append(row)
        return row

    def _order_no(self, channel):
        rng = self.rng
        while True:
            no = {"aliexpress": lambda: f"81{rng.randrange(10 ** 13, 10 ** 14)}",
                  "amazon": lambda: f"{rng.choice(_AMAZON_CODES)}-{rng.randrange(10 ** 7):07d}-{rng.randrange(10 ** 7):07d}",
                  "ebay": lambda: f"{rng.randint(10, 27)}-{rng.randrange(10 ** 5):05d}-{rng.randrange(10 ** 5):05d}",
                  "dhgate": lambda: str(rng.randrange(10 ** 9, 2 * 10 ** 9)),
                  "shop": lambda: f"RS-{self.next('shop')}"}[channel]()
            if no not in self.used:
                self.used.add(no)
                return no

    def _tracking(self, carrier, country="CN"):
        rng = self.rng
        return {"UPS": lambda: ups(rng.choice(("A84R73", "V2X619", "0E7Y41")), rng.choice((1, 2, 3, 12, 13)),
                                   self.next("parcel")),
                "China Post": lambda: s10(rng.choice(("LX", "LP", "RB", "UA")), self.next("post"), "CN"),
                "post": lambda: s10(rng.choice(("RR", "RL", "CP", "LX")), self.next("post"), country),
                "DHL Express": lambda: str(rng.randrange(3 * 10 ** 9, 10 ** 10)),  # never a DHgate order no
                "Cainiao": lambda: f"LP{rng.randrange(10 ** 13, 10 ** 14)}",
                "YunExpress": lambda: f"YT{rng.randrange(10 ** 15, 10 ** 16)}",
                "4PX": lambda: f"4PX{rng.randrange(10 ** 14, 10 ** 15)}CN"}[carrier]()

    def _currency(self, channel, country):
        local = COUNTRIES[country][3]
        if channel == "shop" or (channel == "amazon" and country in AMAZON_MARKETS) or (
                channel == "ebay" and country in EBAY_MARKETS):
            return local
        return "EUR" if local == "EUR" and channel == "aliexpress" else "USD"

    def _order(self, customer, waiting=False, days=None, channel=None, qty=None, order_no=None):
        """One order with its lines, cartons and maybe an RMA; answers the order row."""
        rng, country = self.rng, customer["country"]
        if channel is None:
            channel = "shop" if country == "CN" else rng.choices(_CHANNEL_NAMES, cum_weights=_CHANNEL_WEIGHTS)[0]
        currency = self._currency(channel, country)
        placed = days if days is not None else rng.uniform(0.3, 21) if waiting else rng.uniform(0.3, 182)
        order = dict(order_no=order_no or self._order_no(channel), customer_id=customer["customer_id"], placed_at=self.ago(placed),
                     channel=channel, currency=currency, status="awaiting_stock", priority=0)
        if waiting:
            order["priority"] = rng.choice((0, 0, 0, 0, 1, 1, 2, 3))
            skus = rng.sample(OUT_OF_STOCK, rng.choice((1, 1, 1, 2)))
        else:
            k = rng.choices((1, 2, 3), cum_weights=(70, 92, 100))[0]
            skus = list(dict.fromkeys(p["sku"] for p in rng.choices(self.products, cum_weights=self.popularity, k=k)))
        shipped = delivered = None
        if days is not None:
            shipped, delivered = days - 1, days - 6
        elif not waiting and rng.random() >= .006:
            shipped = placed - min(rng.uniform(.1, 3), placed * .6)
            delivered = shipped - rng.uniform(3, 22)
            if delivered < .05 or rng.random() < .01:
                delivered = None
        if shipped is not None:
            order.update(status="delivered" if delivered else "shipped", shipped_at=self.ago(shipped),
                         delivered_at=self.ago(delivered) if delivered else None)
        elif not waiting:
            order["status"] = "cancelled"
        self.tables["orders"].append(order)
        order_lines = [self._line(order, n, sku, qty) for n, sku in enumerate(skus, start=1)]
        if shipped is not None:
            units = sum(int(line["qty"]) for line in order_lines)
            carrier = rng.choice(CARRIERS[channel])
            for _ in range(2 if units >= 3 and rng.random() < .3 else 1):
                self.tables["cartons"].append(dict(carton_code=sscc(self.next("carton")), order_no=order["order_no"],
                                                   tracking_no=self._tracking(carrier), carrier=carrier))
        if delivered and days is None and rng.random() < return_chance(order_lines[0]["sku"]):
            created = rng.uniform(.02, min(40, delivered)) if delivered > .05 else .02
            if self._may_return(customer["customer_id"], created):
                self._rma(order, order_lines, customer, created, arrives=True)
        return order, order_lines

    def _line(self, order, n, sku, qty=None):
        rng, product = self.rng, _PRODUCT_BY_SKU[sku]
        qty = qty or rng.choices((1, 2, 3), cum_weights=(88, 97, 100))[0]
        price = _money(product["price"] * FX[order["currency"]] * rng.choice((1, 1, 1, .95, .9, 1.05)), order["currency"])
        serials = None
        if product["has_serial"] and order["status"] in ("shipped", "delivered"):
            serials = ";".join(f"{sku.split('-')[0]}26{self.next('serial'):08d}" for _ in range(qty))
        line = dict(order_no=order["order_no"], line_no=n, sku=sku, qty=qty, unit_price=price, serials=serials)
        self.tables["order_lines"].append(line)
        return line

    def _may_return(self, customer_id, created):
        """At most two returns of one customer within 90 days: the demo's frequent returners are the
        ones it names (DEMO_EXAMPLES), not every busy buyer (who keeps a third order instead)."""
        days = self.arrived_days.setdefault(customer_id, [])
        if sum(1 for d in days if abs(d - created) < 90) >= 2:
            return False
        days.append(created)
        return True

    def _rma(self, order, lines, customer, created, reason=None, rma_no=None, tracking=None, arrives=False):
        rng = self.rng
        if reason is None:
            apparel = lines[0]["sku"].split("-")[0] in ("RUN", "HOOD")
            reason = "size_fit" if apparel and rng.random() < .4 else rng.choices(list(REASON_WEIGHTS), list(REASON_WEIGHTS.values()))[0]
            if rng.random() < .03:
                reason = None
        if tracking is None and rng.random() < .9:
            use_ups = customer["country"] in UPS_RETURN_COUNTRIES and rng.random() < .6
            tracking = self._tracking("UPS" if use_ups else "post", customer["country"])
        resolution = "exchange" if rng.random() < (.5 if reason == "size_fit" else .08) else "refund"
        rma_no = rma_no or f"RMA-{self.next('rma')}"
        self.tables["rmas"].append(dict(rma_no=rma_no, order_no=order["order_no"], created_at=self.ago(created),
                                        reason=reason, resolution=resolution, return_tracking_no=tracking))
        returned = []
        for i, line in enumerate(lines):
            if i == 0 or rng.random() < .3:
                qty = rng.randint(1, int(line["qty"]))
                self.tables["rma_lines"].append(dict(rma_no=rma_no, sku=line["sku"], qty=qty))
                returned.append(dict(sku=line["sku"], qty=qty, unit_price=line["unit_price"],
                                     serials=(line["serials"] or "").split(";")[:qty]))
        if arrives and created > ARRIVES_AFTER:
            # the parcel came back some days after the RMA, was inspected, decided and closed at bench-1
            opened = created - rng.uniform(1.5, min(9.0, created - 1.0))
            self.arrived.append(dict(order_no=order["order_no"], rma_no=rma_no, customer_id=customer["customer_id"],
                                     currency=order["currency"], code=self.tables["cartons"][-1]["carton_code"],
                                     reason=reason or "no_longer_needed", lines=returned,
                                     grades=[rng.choice("AAABBC") for _ in returned],
                                     opened_at=self.ago(opened), closed_at=self.ago(opened - .01)))
        return rma_no

    def _returned_order(self, customer, days, order_no=None, rma_no=None):
        """An order placed `days` ago, delivered, and since returned at the bench (closed history)."""
        rng = self.rng
        order, lines = self._order(customer, days=days, channel="shop" if order_no else None, qty=1,
                                   order_no=order_no)
        reason = rng.choice(CUSTOMER_SIDE)
        delivered = days - 6
        opened = delivered - rng.uniform(2, min(10, delivered - 1))
        rma_no = self._rma(order, lines[:1], customer, opened + 1.5, reason=reason, rma_no=rma_no)
        self.tables["rma_lines"][-1]["qty"] = 1
        self.history.append(dict(order_no=order["order_no"], rma_no=rma_no, customer_id=customer["customer_id"],
                                 currency=order["currency"], code=self.tables["cartons"][-1]["carton_code"],
                                 sku=lines[0]["sku"], unit_price=lines[0]["unit_price"],
                                 serial=(lines[0]["serials"] or "").split(";")[0] or None, reason=reason,
                                 grade=rng.choice("AAABBC"), opened_at=self.ago(opened), closed_at=self.ago(opened - .01)))

    def _examples(self):
        """The fixed first records that DEMO_EXAMPLES names."""
        ex, t = DEMO_EXAMPLES, self.tables
        people = [("CU-000001", "CN", "王芳", "wangfang@example.com", "+8613812345678"),
                  ("CU-000002", "SA", "فاطمة الزهراني", "fatima.alzahrani@example.com", "+966501234567"),
                  ("CU-000003", "UA", "Оксана Коваленко", "oksana.kovalenko@example.com", "+380671234567"),
                  ("CU-000004", "GR", "Ελένη Παπαδοπούλου", "eleni.papadopoulou@example.com", "+306912345678"),
                  ("CU-000005", "JP", "佐藤 健太", "kenta.sato@example.com", "+819012345678")]
        for customer_id, country, name, email, phone in people:
            self._customer(customer_id, country, name, email, phone)

        def order(no, customer, channel, currency, status, placed, shipped=None, delivered=None, priority=0):
            t["orders"].append(dict(order_no=no, customer_id=customer, placed_at=self.ago(placed), channel=channel,
                                    shipped_at=shipped and self.ago(shipped), delivered_at=delivered and self.ago(delivered),
                                    currency=currency, status=status, priority=priority))

        def line(no, n, sku, qty, price, serials=None):
            t["order_lines"].append(dict(order_no=no, line_no=n, sku=sku, qty=qty, unit_price=price, serials=serials))

        def carton(code, no, tracking, carrier):
            t["cartons"].append(dict(carton_code=code, order_no=no, tracking_no=tracking, carrier=carrier))

        order(ex["order_no"], "CU-000001", "shop", "CNY", "delivered", 12, 11, 5)
        line(ex["order_no"], 1, ex["sku"], 1, "199.00")
        line(ex["order_no"], 2, ex["serial_sku"], 1, "289.00", ex["serial"])
        carton(ex["carton_code"], ex["order_no"], ex["outbound_tracking_no"], "SF Express")
        t["rmas"].append(dict(rma_no=ex["rma_no"], order_no=ex["order_no"], created_at=self.ago(2), reason="no_longer_needed",
                              resolution="refund", return_tracking_no=ex["return_tracking_no"]))
        t["rma_lines"].append(dict(rma_no=ex["rma_no"], sku=ex["sku"], qty=1))
        order(ex["awaiting_order_no"], "CU-000002", "shop", "SAR", "awaiting_stock", 3, priority=9)
        line(ex["awaiting_order_no"], 1, ex["sku"], 1, "104.99")
        order(ex["ups_order_no"], "CU-000003", "shop", "UAH", "delivered", 25, 24, 10)
        line(ex["ups_order_no"], 1, "SW-BLK", 1, "3689.00", "SW2600000001")
        carton(sscc(3), ex["ups_order_no"], s10("LX", 10000003, "CN"), "China Post")
        t["rmas"].append(dict(rma_no=ex["ups_rma_no"], order_no=ex["ups_order_no"], created_at=self.ago(3), reason="defective",
                              resolution="refund", return_tracking_no=ex["ups_return_tracking_no"]))
        t["rma_lines"].append(dict(rma_no=ex["ups_rma_no"], sku="SW-BLK", qty=1))
        order(ex["out_of_window_order_no"], "CU-000004", "shop", "EUR", "delivered", 70, 68, 60)
        line(ex["out_of_window_order_no"], 1, "BTL-BLU", 2, "16.49")
        carton(ex["out_of_window_carton_code"], ex["out_of_window_order_no"], ups("A84R73", 2, 4215004), "UPS")
        order(ex["frequent_returner_order_no"], "CU-000005", "shop", "JPY", "delivered", 10, 9, 4)
        line(ex["frequent_returner_order_no"], 1, "CASE-IP15", 1, "1490")
        carton(ex["frequent_returner_carton_code"], ex["frequent_returner_order_no"], ups("A84R73", 1, 4215005), "UPS")
        for n, days in enumerate((75, 50, 30)):
            self._returned_order(t["customers"][4], days, order_no=f"RS-10000{6 + n}", rma_no=f"RMA-10000{3 + n}")
            t["cartons"][-1]["carton_code"] = self.history[-1]["code"] = sscc(6 + n)


def _money(amount, currency):
    if currency in WHOLE_UNITS:
        return f"{round(amount, -1):.0f}"
    return f"{amount:.2f}"
