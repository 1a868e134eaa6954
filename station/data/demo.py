"""The demo data set: a few months of a cross-border returns bench, made up but plausible.

Everything but the history of closed returns goes through importer.import_rows, so the
demo obeys the same rules as a real import. Dates count back from the moment it loads;
everything else depends only on the seed. The first records are fixed (DEMO_EXAMPLES)
so the README and the tests can name them.
"""
import json
import random
import unicodedata
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal
from itertools import accumulate

from stdnum import ean

from station import db as db_module
from station.data import importer
from station.policy import CUSTOMER_SIDE, REASONS
from station.timeutil import iso, now

# Bench users for the caller to create (station.auth owns PIN hashing).
DEMO_USERS = [
    dict(name="Mei Lin", role="operator", badge="OP-1001", pin="1234"),
    dict(name="Sam Rivera", role="supervisor", badge="SV-2001", pin="4321"),
    dict(name="Alex Novak", role="admin", badge="AD-3001", pin="9999"),
]

# --- check digits of the codes printed on parcels


def gs1_check(digits):
    """GS1 mod-10 check digit (GTIN-8/12/13/14, SSCC-18)."""
    return ean.calc_check_digit(digits)


def sscc(serial, company="6901234", extension="0"):
    """An SSCC-18: extension digit, GS1 company prefix, serial reference, check digit."""
    body = extension + company + str(serial).zfill(16 - len(company))
    return body + gs1_check(body)


def ups(shipper, service, package):
    """A UPS 1Z tracking number: 1Z + shipper(6) + service(2) + package(7) + check digit."""
    body = f"{shipper}{service:02d}{package:07d}"
    total = sum((int(c) if c.isdigit() else (ord(c) - 63) % 10) * (2 if i % 2 else 1) for i, c in enumerate(body))
    return f"1Z{body}{(10 - total % 10) % 10}"


def s10(service, number, country):
    """A UPU S10 item id, e.g. RR123456785CN: service letters, 8 digits, check digit, country."""
    digits = f"{number:08d}"
    check = 11 - sum(int(d) * w for d, w in zip(digits, (8, 6, 4, 2, 3, 5, 9, 7))) % 11
    return f"{service}{digits}{ {10: 0, 11: 5}.get(check, check)}{country}"


# --- people: native script / romanised for the e-mail; :m/:f picks a family-name form
COUNTRIES = {  # code: (weight, phone prefix, local digits, currency, given names, family names, format)
    "US": (14, "1", 10, "USD", "James:m Emily:f Michael:m Olivia:f Jacob:m Madison:f Ethan:m Ava:f Daniel:m Chloe:f",
           "Smith Johnson Williams Brown Jones Miller Davis Garcia Wilson O'Brien", "g f"),
    "GB": (8, "44", 10, "GBP", "Oliver:m Amelia:f Harry:m Isla:f George:m Poppy:f Jack:m Charlotte:f",
           "Taylor Davies Evans Thomas Roberts Walker Wright Hughes Edwards Green", "g f"),
    "DE": (9, "49", 11, "EUR", "Jürgen:m Björn:m Anna:f Lena:f Jörg:m Sören:m Käthe:f Lukas:m Sophie:f",
           "Müller Schröder Weiß Groß Köhler Schäfer Meyer Wagner Becker Hoffmann", "g f"),
    "FR": (7, "33", 9, "EUR", "Amélie:f Chloé:f Hélène:f François:m Jérôme:m Léa:f Théo:m Noël:m Zoé:f Raphaël:m",
           "Lefèvre Girard Dubois Moreau Bérard Fontaine Mercier Leroy Rousseau Chevalier", "g f"),
    "ES": (6, "34", 9, "EUR", "José:m María:f Lucía:f Álvaro:m Martín:m Sofía:f Jesús:m Inés:f Andrés:m Begoña:f",
           "García Fernández González Rodríguez López Martínez Sánchez Pérez Gómez Muñoz", "g f f"),
    "IT": (5, "39", 10, "EUR", "Giuseppe:m Giulia:f Niccolò:m Francesca:f Lorenzo:m Chiara:f Mattia:m Sofia:f",
           "Rossi Russo Ferrari Esposito Bianchi Romano Colombo Ricci D'Angelo Galli", "g f"),
    "PL": (5, "48", 9, "PLN", "Łukasz:m Paweł:m Michał:m Agnieszka:f Małgorzata:f Zofia:f Wojciech:m Katarzyna:f",
           "Kowalski|Kowalska Wiśniewski|Wiśniewska Wójcik Kamiński|Kamińska Lewandowski|Lewandowska "
           "Zieliński|Zielińska Woźniak Dąbrowski|Dąbrowska Kozłowski|Kozłowska", "g f"),
    "PT": (3, "351", 9, "EUR", "João:m Inês:f Gonçalo:m Beatriz:f Tomás:m Leonor:f Rodrigo:m Mariana:f",
           "Silva Santos Ferreira Pereira Gonçalves Rodrigues Fernandes Simões Magalhães Conceição", "g f f"),
    "BR": (6, "55", 11, "BRL", "Luíza:f Gabriel:m Heitor:m Valentina:f Mônica:f Cauã:m Antônio:m Letícia:f Júlia:f",
           "Souza Oliveira Lima Araújo Ribeiro Carvalho Gomes Rocha Barbosa Conceição", "g f f"),
    "TR": (5, "90", 10, "TRY", "Mehmet:m Ayşe:f Mustafa:m Fatma:f Emre:m Zeynep:f Çağrı:m Gökhan:m Şule:f İbrahim:m Büşra:f",
           "Yılmaz Kaya Demir Şahin Çelik Yıldız Öztürk Aydın Özdemir Arslan Doğan Kılıç", "g f"),
    "GR": (3, "30", 10, "EUR", "Γιώργος/giorgos:m Δημήτρης/dimitris:m Νίκος/nikos:m Μαρία/maria:f Ελένη/eleni:f "
           "Κατερίνα/katerina:f Ιωάννης/ioannis:m Σοφία/sofia:f",
           "Παπαδόπουλος|Παπαδοπούλου/papadopoulos Παπαδάκης|Παπαδάκη/papadakis Νικολάου/nikolaou "
           "Γεωργίου/georgiou Οικονόμου/oikonomou Καραγιάννης|Καραγιάννη/karagiannis", "g f"),
    "RU": (6, "7", 10, "RUB", "Александр/aleksandr:m Дмитрий/dmitry:m Анна/anna:f Мария/maria:f Сергей/sergey:m "
           "Елена/elena:f Иван/ivan:m Ольга/olga:f Наталья/natalya:f Михаил/mikhail:m",
           "Иванов|Иванова/ivanov Смирнов|Смирнова/smirnov Кузнецов|Кузнецова/kuznetsov Попов|Попова/popov "
           "Соколов|Соколова/sokolov Волков|Волкова/volkov", "g f"),
    "UA": (4, "380", 9, "UAH", "Олександр/oleksandr:m Андрій/andriy:m Оксана/oksana:f Ірина/iryna:f Тарас/taras:m "
           "Наталія/nataliia:f Юлія/yuliia:f Богдан/bohdan:m",
           "Шевченко/shevchenko Коваленко/kovalenko Бондаренко/bondarenko Ткаченко/tkachenko "
           "Кравченко/kravchenko Мельник/melnyk Бойко/boiko", "g f"),
    "CN": (6, "86", 11, "CNY", "芳/fang 伟/wei 秀英/xiuying 娜/na 敏/min 静/jing 磊/lei 强/qiang 洋/yang 艳/yan 杰/jie 涛/tao",
           "王/wang 李/li 张/zhang 刘/liu 陈/chen 杨/yang 黄/huang 赵/zhao 吴/wu 周/zhou", "fg"),
    "JP": (5, "81", 10, "JPY", "陽翔/haruto 結衣/yui 蓮/ren さくら/sakura 大翔/hiroto 美咲/misaki 健太/kenta 花子/hanako",
           "佐藤/sato 鈴木/suzuki 高橋/takahashi 田中/tanaka 伊藤/ito 渡辺/watanabe 山本/yamamoto 中村/nakamura", "f g"),
    "KR": (4, "82", 10, "KRW", "민준/minjun 서연/seoyeon 지훈/jihoon 지민/jimin 하은/haeun 도윤/doyun 수빈/subin 예준/yejun",
           "김/kim 이/lee 박/park 최/choi 정/jung 강/kang 조/cho 윤/yoon", "fg"),
    "SA": (4, "966", 9, "SAR", "محمد/mohammed:m أحمد/ahmed:m فاطمة/fatima:f عائشة/aisha:f خالد/khalid:m نورة/noura:f "
           "عبدالله/abdullah:m سارة/sara:f يوسف/yousef:m",
           "العتيبي/alotaibi الشمري/alshammari القحطاني/alqahtani الحربي/alharbi الزهراني/alzahrani", "g f"),
    "AE": (3, "971", 9, "AED", "محمد/mohammed:m مريم/maryam:f راشد/rashid:m ليلى/layla:f سلطان/sultan:m شيخة/shaikha:f",
           "المنصوري/almansouri الكعبي/alkaabi النعيمي/alnuaimi الظاهري/aldhaheri المهيري/almheiri", "g f"),
}
FX = {"USD": 1, "EUR": 0.92, "GBP": 0.79, "JPY": 150, "CNY": 7.2, "KRW": 1350, "RUB": 92, "UAH": 41,
      "PLN": 4.0, "TRY": 32, "BRL": 5.0, "SAR": 3.75, "AED": 3.67}
WHOLE_UNITS = {"JPY", "KRW"}
AMAZON_MARKETS = {"US", "GB", "DE", "FR", "ES", "IT", "PL", "TR", "BR", "JP", "SA", "AE"}
EBAY_MARKETS = {"US", "GB", "DE", "FR", "ES", "IT", "PL"}
CHANNELS = {"aliexpress": 30, "amazon": 30, "ebay": 14, "dhgate": 10, "shop": 16}
CARRIERS = {"aliexpress": ("Cainiao", "China Post"), "dhgate": ("China Post", "YunExpress", "DHL Express"),
            "amazon": ("UPS", "DHL Express"), "ebay": ("YunExpress", "4PX", "UPS"), "shop": ("UPS", "DHL Express", "China Post")}
UPS_RETURN_COUNTRIES = {"US", "GB", "DE", "FR", "ES", "IT", "PL", "PT", "GR"}

# --- catalogue: code, name, USD price, cost share, refurbishable, has serial, supplier, variants
PRODUCTS = [
    ("EB", "Wireless earbuds", 39.99, .45, 1, 1, "SUP-SZ01", "BLK:Black, WHT:White, BLU:Blue"),
    ("SPK", "Bluetooth speaker", 49.99, .40, 1, 1, "SUP-SZ01", "BLK:Black, RED:Red, GRN:Green"),
    ("SW", "Smartwatch", 89.99, .50, 1, 1, "SUP-SZ02", "BLK:Black, SLV:Silver, PNK:Pink"),
    ("CASE", "Phone case", 9.99, .20, 0, 0, "SUP-HK01", "IP15:iPhone 15, S24:Galaxy S24, PX8:Pixel 8"),
    ("CHG", "USB-C charger 65 W", 24.99, .35, 0, 0, "SUP-HK01", "EU:EU plug, UK:UK plug, US:US plug"),
    ("PB", "Power bank 20000 mAh", 29.99, .40, 1, 1, "SUP-SZ02", "BLK:Black, WHT:White, GRY:Grey"),
    ("RUN", "Running shoes", 59.99, .35, 0, 0, "SUP-PT01", "40:size 40, 42:size 42, 44:size 44"),
    ("HOOD", "Hoodie", 34.99, .30, 0, 0, "SUP-TR01", "S:size S, M:size M, L:size L"),
    ("LMP", "LED desk lamp", 27.99, .40, 1, 0, "SUP-NB01", "WHT:White, BLK:Black, OAK:Oak"),
    ("KB", "Mechanical keyboard", 69.99, .45, 1, 1, "SUP-SZ02", "RED:Red switches, BRN:Brown switches, BLU:Blue switches"),
    ("MS", "Wireless mouse", 19.99, .35, 0, 0, "SUP-HK01", "BLK:Black, WHT:White, PNK:Pink"),
    ("CAM", "Action camera 4K", 119.99, .55, 1, 1, "SUP-DE01", "STD:Standard kit, DIV:Dive kit, BIK:Bike kit"),
    ("DRN", "Mini drone", 199.99, .55, 1, 1, "SUP-DE01", "STD:Standard, FLY:Fly More kit, PRO:Pro kit"),
    ("YOGA", "Yoga mat", 22.99, .30, 0, 0, "SUP-TR01", "PUR:Purple, BLU:Blue, GRY:Grey"),
    ("BTL", "Insulated bottle 750 ml", 17.99, .30, 0, 0, "SUP-NB01", "BLK:Black, BLU:Blue, SND:Sand"),
    ("BAG", "Backpack 25 l", 44.99, .35, 1, 0, "SUP-YW01", "BLK:Black, OLV:Olive, NVY:Navy"),
    ("HDR", "Hair dryer", 39.99, .40, 1, 1, "SUP-DE01", "EU:EU plug, UK:UK plug, US:US plug"),
    ("TB", "Electric toothbrush", 49.99, .40, 1, 1, "SUP-DE01", "WHT:White, BLK:Black, PNK:Pink"),
    ("SUN", "Sunglasses", 15.99, .25, 0, 0, "SUP-YW01", "BLK:Black, TRT:Tortoise, GLD:Gold"),
    ("SCL", "Kitchen scale", 14.99, .30, 0, 0, "SUP-NB01", "WHT:White, BLK:Black, STL:Steel"),
]
SUPPLIERS = [  # id, name, country, accepts_rtv, rtv_window_days, GS1 company prefix of its GTINs
    ("SUP-SZ01", "深圳声科技有限公司 Shenzhen Sound Tech", "CN", 1, 90, "6971234"),
    ("SUP-SZ02", "Dongguan Smart Devices Co., Ltd.", "CN", 1, 180, "6975678"),
    ("SUP-NB01", "Ningbo Home Goods", "CN", 0, None, "6923456"),
    ("SUP-YW01", "Yiwu Fashion Trading", "CN", 0, None, "6934567"),
    ("SUP-HK01", "Kowloon Accessories Ltd", "HK", 1, 60, "4891234"),
    ("SUP-PT01", "Calçado do Norte, Lda.", "PT", 1, 30, "5601234"),
    ("SUP-TR01", "İstanbul Tekstil A.Ş.", "TR", 0, None, "8691234"),
    ("SUP-DE01", "Rheinland Elektro GmbH", "DE", 1, 120, "4012345"),
]
OUT_OF_STOCK = ("LMP-WHT", "SW-PNK", "DRN-PRO", "RUN-42", "KB-BRN")  # what waiting orders wait for
REASON_WEIGHTS = dict(zip(REASONS, (20, 8, 5, 12, 4, 12, 14, 12, 6, 4)))

# --- the fixed first records, for documentation and tests
_EXAMPLE_SKU, _SERIAL_SKU = "LMP-WHT", "EB-BLK"
DEMO_EXAMPLES = {
    "order_no": "RS-100001",                      # shop order, delivered 5 days ago
    "customer_id": "CU-000001",
    "customer_name": "王芳",
    "carton_code": sscc(1),
    "outbound_tracking_no": "SF1402718536291",
    "rma_no": "RMA-100001",                       # no_longer_needed, refund
    "return_tracking_no": s10("RR", 47312482, "CN"),
    "sku": _EXAMPLE_SKU,
    "gtin": None,                                 # filled in below, from the catalogue
    "serial_sku": _SERIAL_SKU,
    "serial_gtin": None,
    "serial": "EB2600000001",
    "awaiting_order_no": "RS-100002",             # waits for one LMP-WHT, priority 9
    "ups_order_no": "RS-100003",                  # delivered 10 days ago, defective
    "ups_rma_no": "RMA-100002",
    "ups_return_tracking_no": ups("A84R73", 3, 4215008),
    "out_of_window_order_no": "RS-100004",        # delivered 60 days ago
    "out_of_window_carton_code": sscc(4),
    "frequent_returner_customer_id": "CU-000005",
    "frequent_returner_order_no": "RS-100005",    # delivered 4 days ago
    "frequent_returner_carton_code": sscc(5),
}


def catalogue():
    """Suppliers and the ~60 products, the same for every seed."""
    prefix = {s[0]: s[5] for s in SUPPLIERS}
    products = []
    for n, (code, name, price, cost, refurb, serial, supplier, variants) in enumerate(PRODUCTS):
        for v, variant in enumerate(variants.split(", ")):
            vcode, label = variant.split(":")
            item = f"{prefix[supplier]}{n * 10 + v + 100:05d}"
            products.append(dict(
                sku=f"{code}-{vcode}", name=f"{name}, {label}",
                gtin=item + gs1_check(item), supplier_id=supplier, unit_cost=round(price * cost, 2),
                price=price, refurbishable=refurb, refurb_cost=round(price * .12, 2) if refurb else 0,
                bin=f"{'ABCDEF'[n % 6]}-{n // 6 + 1:02d}-{v + 1:02d}", has_serial=serial))
    suppliers = [dict(supplier_id=s[0], name=s[1], country=s[2], accepts_rtv=s[3], rtv_window_days=s[4])
                 for s in SUPPLIERS]
    return suppliers, products


_PRODUCT_BY_SKU = {p["sku"]: p for p in catalogue()[1]}
DEMO_EXAMPLES["gtin"] = _PRODUCT_BY_SKU[_EXAMPLE_SKU]["gtin"]
DEMO_EXAMPLES["serial_gtin"] = _PRODUCT_BY_SKU[_SERIAL_SKU]["gtin"]


def load_demo(db, seed=7, customers=2400, orders=22000):
    """Load the demo data set in one transaction; returns what was loaded."""
    data = _Builder(random.Random(seed), now().replace(microsecond=0))
    data.build(customers, orders)
    with db_module.write(db):
        counts = importer.import_rows(db, data.tables)
        counts["returns"] = _insert_history(db, data.history)
    counts["countries"] = len({c["country"] for c in data.tables["customers"]})
    counts["frequent_returners"] = len({h["customer_id"] for h in data.history})
    return counts


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


class _Builder:
    """Rows for import_rows plus the closed returns of the frequent returners."""

    def __init__(self, rng, at):
        self.rng, self.at = rng, at
        self.tables = {s.file: [] for s in importer.SPECS}
        self.history = []
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
        if delivered and days is None and rng.random() < .08:
            self._rma(order, order_lines, customer, rng.uniform(.02, min(40, delivered)) if delivered > .05 else .02)
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

    def _rma(self, order, lines, customer, created, reason=None, rma_no=None, tracking=None):
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
        for i, line in enumerate(lines):
            if i == 0 or rng.random() < .3:
                self.tables["rma_lines"].append(dict(rma_no=rma_no, sku=line["sku"], qty=rng.randint(1, int(line["qty"]))))
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


def _insert_history(db, history):
    """Closed returns of the frequent returners, as the bench would have recorded them."""
    done = {row[0] for row in db.execute("SELECT order_no FROM returns")}  # loading twice adds nothing
    suppliers = {s[0]: s for s in SUPPLIERS}
    latest = {}
    for h in history:
        latest[h["customer_id"]] = h["order_no"]
    operator, supervisor = DEMO_USERS[0]["name"], DEMO_USERS[1]["name"]
    count = 0
    for h in history:
        if h["order_no"] in done:
            continue
        product = _PRODUCT_BY_SKU[h["sku"]]
        return_id = db["returns"].insert(dict(
            order_no=h["order_no"], rma_no=h["rma_no"], code=h["code"], match="carton", station="BENCH-1",
            opened_by=operator, status="closed", opened_at=h["opened_at"], closed_at=h["closed_at"])).last_pk
        recommendation = _recommend(product, h["grade"], suppliers[product["supplier_id"]])
        item_id = db["return_items"].insert(dict(
            return_id=return_id, sku=h["sku"], code=product["gtin"], qty=1, grade=h["grade"], reason=h["reason"],
            serial=h["serial"], flags="[]", recommendation=json.dumps(recommendation), added_by=operator,
            added_at=h["opened_at"])).last_pk
        db["decisions"].insert(dict(
            item_id=item_id, disposition=recommendation["disposition"], target=recommendation["target"],
            recommended_disposition=recommendation["disposition"], recommended_target=recommendation["target"],
            decided_by=operator, station="BENCH-1", decided_at=h["opened_at"]))
        price = Decimal(h["unit_price"])
        amount = price if h["grade"] == "A" else price * (1 - Decimal("0.15"))  # customer side, restocking fee
        paid = h["order_no"] != latest[h["customer_id"]]  # the newest is still waiting for the payment run
        db["refunds"].insert(dict(
            return_id=return_id, amount=str(amount.quantize(Decimal("0.01"), ROUND_HALF_UP)), currency=h["currency"],
            status="paid" if paid else "ready", payment_ref=f"PAY-{return_id:06d}" if paid else None,
            decided_by=supervisor if paid else None, computed_at=h["closed_at"], updated_at=h["closed_at"]))
        count += 1
    return count


def _recommend(product, grade, supplier):
    """The default policy's recommendation for a historical item, in the stored JSON shape."""
    price = Decimal(str(product["price"]))
    options = {"restock": price if grade == "A" else price * Decimal("0.80"),
               "scrap": price * Decimal("0.05")}
    if product["refurbishable"] and grade != "A":
        options["refurbish"] = price * Decimal("0.70") - Decimal(str(product["refurb_cost"]))
    if grade == "C":
        del options["restock"]
        if supplier[3]:
            options["rtv"] = Decimal(str(product["unit_cost"]))
    if grade == "B" and product["refurbishable"]:
        options = {k: v for k, v in options.items() if k != "restock"}
    best = max(options, key=lambda k: options[k])
    target = {"restock": product["bin"], "rtv": product["supplier_id"]}.get(best)
    return {"disposition": best, "target": target,
            "why": f"Grade {grade}: {best} recovers the most ({options[best]:.2f})",
            "options": [{"disposition": k, "value": f"{v:.2f}"} for k, v in options.items()]}
