"""No-label search latency at scale.

    python benchmarks/bench_search.py [--orders 10000,1000000] [--queries 300] [--update-readme] [--out DIR]

Builds a database of `orders` orders (one customer per 10 orders, names in Latin, Han, Cyrillic,
Arabic, Greek and Hangul, phones stored in national or international form, a tracking number
per order, an RMA on one order in 20) straight through SQLite with the migrations' triggers, so
every customer's search key is what the station itself would store. Then a signed-in bench asks
`GET /bench/search?q=` through Flask's test client (view, search and template; no network), for
each kind of query the bench sees, and `GET /healthz` on the same client as the anchor: the
figures that matter are the p99s and their ratio to the anchor's, measured in the same run.
"""
import argparse
import platform
import random
import re
import sqlite3
import statistics
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from anyascii import anyascii  # noqa: E402
from markupsafe import escape  # noqa: E402

from station import auth, create_app  # noqa: E402
from station import db as db_module  # noqa: E402
from station import migrations  # noqa: E402
from station.reporting import aggregates  # noqa: E402
from readme import load_average, machine, update_section  # noqa: E402

STAMP = "%Y-%m-%dT%H:%M:%SZ"
LATIN_FIRST = ("Jack Oliver Harry George Noah Leo Oscar Charlie Jacob Thomas Emma Olivia Amelia Isla Ava Mia Sophie "
               "Grace Lily Freya Lucas Hugo Louis Gabriel Arthur Jules Léa Chloé Manon Inès Björn Lukas Jonas Felix "
               "Max Paul Hanna Lena Marie Lea Daniel Pablo Álvaro Sofía Lucía Martina Marco Giulia Francesco Chiara "
               "Jan Piotr Łukasz Zofia Małgorzata João Inês Ana Tomás Sean Aoife Niamh Ciarán Ethan Liam Mason Logan "
               "Ella Zoe Ruby Aria Nora Elena Sara Laura Anna Eva Julia Emil Oskar Viktor Mateo Diego Valentina").split()
LATIN_LAST = ("Taylor Smith Jones Williams Brown Davies Evans Wilson Thomas Johnson Roberts Walker Wright Robinson "
              "Thompson White Hughes Edwards Green Hall Wood Harris Lewis Martin Jackson Clarke Müller Schmidt "
              "Schneider Fischer Weber Meyer Wagner Becker Schulz Hoffmann García Martínez López Sánchez Pérez Gómez "
              "Fernández Rossi Russo Ferrari Esposito Bianchi Romano Colombo Nowak Kowalski Wiśniewski Wójcik "
              "Kowalczyk Dubois Durand Lefèvre Moreau Laurent Simon Michel Ångström Lindqvist Nilsson Eriksson "
              "Silva Santos Ferreira Pereira Oliveira Costa Murphy Kelly O'Brien Byrne Ryan Walsh Nguyễn Trần "
              "Dvořák Novák Horváth Kovács Szabó Yılmaz Kaya Demir Şahin Çelik").split()
HAN_FAMILY = "王 李 张 刘 陈 杨 黄 赵 吴 周 徐 孙 马 朱 胡 郭 何 高 林 罗 郑 梁 谢 宋 唐".split()
HAN_GIVEN = ("芳 伟 娜 敏 静 丽 强 磊 军 洋 勇 艳 杰 娟 涛 明 超 秀英 霞 平 刚 桂英 小明 建华 志强 晓东 海燕 "
             "丽娟 婷婷 浩然 子轩 欣怡 梓涵 宇轩 雨桐").split()
CYR_FIRST = "Анна Мария Елена Ольга Наталья Ирина Татьяна Светлана Иван Алексей Дмитрий Сергей Андрей Михаил " \
            "Никита Артём Юлия Екатерина Владимир Павел".split()
CYR_LAST = ("Иванов Смирнов Кузнецов Попов Васильев Петров Соколов Михайлов Новиков Фёдоров Морозов Волков "
            "Алексеев Лебедев Семёнов Егоров Павлов Козлов Степанов Николаев Орлов Андреев Макаров Никитин "
            "Захаров").split()
# Arabic names with the Latin spelling an operator would type from the shipping label
ARABIC_FIRST = [("عمر", "omar"), ("محمد", "mohammed"), ("أحمد", "ahmed"), ("علي", "ali"), ("يوسف", "yousef"),
                ("خالد", "khaled"), ("فاطمة", "fatima"), ("مريم", "maryam"), ("نور", "nour"), ("سارة", "sara"),
                ("حسن", "hassan"), ("إبراهيم", "ibrahim"), ("ليلى", "layla"), ("سلمان", "salman")]
ARABIC_LAST = [("العتيبي", "alotaibi"), ("الحربي", "alharbi"), ("القحطاني", "alqahtani"), ("الشمري", "alshammari"),
               ("الزهراني", "alzahrani"), ("الغامدي", "alghamdi"), ("الدوسري", "aldosari"), ("المطيري", "almutairi"),
               ("حداد", "haddad"), ("منصور", "mansour"), ("سليمان", "suleiman"), ("خليل", "khalil")]
GREEK = [("Γιώργος", "giorgos"), ("Νίκος", "nikos"), ("Μαρία", "maria"), ("Ελένη", "eleni"), ("Δημήτρης", "dimitris")]
GREEK_LAST = [("Παπαδόπουλος", "papadopoulos"), ("Νικολάου", "nikolaou"), ("Γεωργίου", "georgiou"),
              ("Οικονόμου", "oikonomou"), ("Καραγιάννης", "karagiannis")]
HANGUL_FAMILY = "김 이 박 최 정 강 조 윤 장 임".split()
HANGUL_GIVEN = "민준 서연 지훈 하은 도윤 수아 예준 지우 시우 서윤 주원 하준".split()
PHONE = {"GB": ("+44 7{:03d} {:06d}", "07{:03d} {:06d}"), "DE": ("+49 151 {:03d}{:05d}", "0151 {:03d}{:05d}"),
         "RU": ("+7 916 {:03d}-{:02d}", "8 (916) {:03d}-{:02d}"), "CN": ("+86 139 {:04d} {:04d}", "139{:04d}{:04d}"),
         "SA": ("+966 5{:01d} {:07d}", "05{:01d} {:07d}"), "US": ("+1 415 {:03d} {:04d}", "(415) {:03d}-{:04d}")}


def person(rnd):
    """(name as stored, how an operator types it from the label, country)."""
    kind = rnd.random()
    if kind < 0.45:
        first, last = rnd.choice(LATIN_FIRST), rnd.choice(LATIN_LAST)
        return f"{first} {last}", f"{first} {last}", rnd.choice(["GB", "DE", "FR", "ES", "IT", "PL", "US", "SE"])
    if kind < 0.65:
        name = rnd.choice(HAN_FAMILY) + rnd.choice(HAN_GIVEN)
        syllables = anyascii(" ".join(name)).lower().split()
        return name, f"{syllables[0]} {''.join(syllables[1:])}", "CN"
    if kind < 0.80:
        first, last = rnd.choice(CYR_FIRST), rnd.choice(CYR_LAST)
        if first[-1] in "аяАЯ":
            last += "а"  # Кузнецова, Смирнова
        return f"{first} {last}", anyascii(f"{first} {last}").lower().replace("'", ""), "RU"
    if kind < 0.90:
        (first, typed_first), (last, typed_last) = rnd.choice(ARABIC_FIRST), rnd.choice(ARABIC_LAST)
        return f"{first} {last}", f"{typed_first} {typed_last}", rnd.choice(["SA", "AE", "EG"])
    if kind < 0.95:
        (first, typed_first), (last, typed_last) = rnd.choice(GREEK), rnd.choice(GREEK_LAST)
        return f"{first} {last}", f"{typed_first} {typed_last}", "GR"
    name = rnd.choice(HANGUL_FAMILY) + rnd.choice(HANGUL_GIVEN)
    syllables = anyascii(" ".join(name)).lower().split()
    return name, " ".join(syllables), "KR"


def phone(rnd, country):
    formats = PHONE.get(country)
    if not formats:
        return None, None
    stored, national = rnd.choice(formats), formats[1]
    a, b = rnd.randrange(1000), rnd.randrange(100000)
    if country == "RU":
        a, b = rnd.randrange(1000), rnd.randrange(100)
        stored, national = stored + "-{:02d}", national + "-{:02d}"
        return stored.format(a, b, b), national.format(a, b, b)
    if country == "CN":
        a, b = rnd.randrange(10000), rnd.randrange(10000)
    if country == "SA":
        a, b = rnd.randrange(10), rnd.randrange(10 ** 7)
    if country == "US":
        a, b = rnd.randrange(1000), rnd.randrange(10000)
    return stored.format(a, b), national.format(a, b)


def typo(rnd, text):
    """Two neighbouring letters swapped in the longest word (garcia -> garcai)."""
    words = text.split()
    i = max(range(len(words)), key=lambda n: len(words[n]))
    w = words[i]
    if len(w) >= 4:
        at = rnd.randrange(1, len(w) - 2)
        words[i] = w[:at] + w[at + 1] + w[at] + w[at + 2:]
    return " ".join(words)


def build(path, orders, seed=7):
    """A fresh database of `orders` orders; answers what the queries are made from."""
    rnd = random.Random(seed)
    for suffix in ("", "-wal", "-shm"):
        Path(str(path) + suffix).unlink(missing_ok=True)
    db_module.migrate(path)
    db = db_module.connect(path)
    customers = max(orders // 10, 50)
    people = []
    start = datetime.now(timezone.utc) - timedelta(days=365)
    db.conn.execute("PRAGMA foreign_keys=OFF")  # generated consistent; the import does the same
    with db_module.write(db), aggregates.triggers_dropped(db, ["orders", "order_lines", "rmas", "returns"]):
        db.conn.executemany("INSERT INTO products (sku, name, price, unit_cost) VALUES (?, ?, ?, ?)",
                            [(f"SKU-{i:04d}", f"Product {i}", 20, 8) for i in range(500)])
        rows = []
        for i in range(customers):
            name, typed, country = person(rnd)
            stored, national = phone(rnd, country)
            rows.append((f"C{i:07d}", name, f"c{i}@example.com", stored, country))
            people.append((typed, national, name))
        db.conn.executemany("INSERT INTO customers (customer_id, name, email, phone, country) VALUES (?, ?, ?, ?, ?)",
                            rows)
        order_rows, lines, cartons, rmas = [], [], [], []
        for n in range(orders):
            order_no = f"SO-{n:08d}"
            placed = start + timedelta(seconds=rnd.randrange(360 * 86400))
            order_rows.append((order_no, f"C{rnd.randrange(customers):07d}", placed.strftime(STAMP),
                               (placed + timedelta(days=1)).strftime(STAMP), (placed + timedelta(days=5)).strftime(STAMP),
                               "EUR", "delivered"))
            for line in range(1, rnd.choice((2, 2, 3))):  # one or two lines
                lines.append((order_no, line, f"SKU-{rnd.randrange(500):04d}", 1, 20))
            cartons.append((f"CTN-{n:08d}", order_no, f"1Z{n:016d}", "UPS"))
            if n % 20 == 0:
                rmas.append((f"RMA-{n:08d}", order_no, (placed + timedelta(days=9)).strftime(STAMP), f"RR{n:09d}CN"))
        db.conn.executemany("INSERT INTO orders (order_no, customer_id, placed_at, shipped_at, delivered_at, currency, "
                            "status) VALUES (?, ?, ?, ?, ?, ?, ?)", order_rows)
        db.conn.executemany("INSERT INTO order_lines (order_no, line_no, sku, qty, unit_price) VALUES (?, ?, ?, ?, ?)",
                            lines)
        db.conn.executemany("INSERT INTO cartons (carton_code, order_no, tracking_no, carrier) VALUES (?, ?, ?, ?)",
                            cartons)
        db.conn.executemany("INSERT INTO rmas (rma_no, order_no, created_at, return_tracking_no) VALUES (?, ?, ?, ?)",
                            rmas)
    db.conn.execute("PRAGMA foreign_keys=ON")
    db.execute("ANALYZE")
    auth.add_user(db, "bench", "operator", "1357", "BADGE-B")
    db.close()
    return people


def queries(people, orders, n, seed=3):
    """n queries of each kind, as an operator types them from a label with no barcode left: (query, what the
    results must show for the query to count as found: the customer's name, the order; None: any result)."""
    rnd = random.Random(seed)
    kinds = {"full name": [], "name, words swapped": [], "name with a typo": [], "last word alone": [],
             "phone, national": [], "tracking number": []}
    while min(map(len, kinds.values())) < n:
        typed, national, name = rnd.choice(people)
        shown = str(escape(name))
        words = typed.split()
        kinds["full name"].append((typed, shown))
        kinds["name, words swapped"].append((" ".join(reversed(words)), shown))
        kinds["name with a typo"].append((typo(rnd, typed), shown))
        kinds["last word alone"].append((words[-1], None))  # hundreds of customers: the newest 20 are shown
        if national:
            kinds["phone, national"].append((national, shown))
        order = rnd.randrange(orders)
        kinds["tracking number"].append((f"1Z{order:016d}", f"SO-{order:08d}"))
    return {kind: qs[:n] for kind, qs in kinds.items()}


def signed_in(path):
    app = create_app({"DATABASE": str(path), "SECRET_KEY": "bench-search", "TESTING": True})
    client = app.test_client()
    csrf = re.compile(r'data-csrf="([^"]+)"')
    token = csrf.search(client.get("/sign-in?station=bench-1").get_data(as_text=True)).group(1)
    client.post("/sign-in/badge", data={"code": "BADGE-B"}, headers={"X-CSRF-Token": token, "HX-Request": "true"})
    assert client.post("/sign-in", data={"pin": "1357", "csrf_token": token}).status_code == 302
    return client


def timed(client, url, params=None):
    start = time.perf_counter()
    response = client.get(url, query_string=params, headers={"HX-Request": "true"})
    elapsed = (time.perf_counter() - start) * 1000
    assert response.status_code == 200, response.status_code
    return elapsed, response.get_data(as_text=True)


def summary(times):
    times = sorted(times)
    return statistics.median(times), times[max(int(len(times) * 0.99) - 1, 0)], times[-1]


def run(orders, n, out_dir=None):
    out = Path(out_dir or ROOT / "benchmarks" / "out")
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"search-{orders}.db"
    t = time.perf_counter()
    people = build(path, orders)
    built = time.perf_counter() - t
    print(f"built {orders:,} orders, {len(people):,} customers in {built:.1f}s", flush=True)
    db_module.warm_cache(path, background=False)  # as `run.py serve` does at start-up
    client = signed_in(path)
    asked = queries(people, orders, n)
    for q, _shown in asked["full name"][:50]:  # warm-up: the pages the search reads, the template
        timed(client, "/bench/search", {"q": q})
    anchor = summary([timed(client, "/healthz")[0] for _ in range(n * 2)])
    results, found, everything = {}, {}, []
    for kind, qs in asked.items():
        times, hits = [], 0
        for q, shown in qs:
            elapsed, page = timed(client, "/bench/search", {"q": q})
            times.append(elapsed)
            hits += (shown in page) if shown else ('class="result' in page)
        everything += times
        results[kind] = summary(times)
        found[kind] = hits / len(qs)
        print(f"{kind}: p50 {results[kind][0]:.1f} ms p99 {results[kind][1]:.1f} ms, found {found[kind]:.0%}", flush=True)
    total = summary(everything)
    print(f"orders {orders:,}: anchor /healthz p99 {anchor[1]:.2f} ms; search p50 {total[0]:.1f} ms "
          f"p99 {total[1]:.1f} ms; ratio p99 {total[1] / anchor[1]:.1f}", flush=True)
    return {"orders": orders, "customers": len(people), "built": built, "anchor": anchor, "kinds": results,
            "found": found, "total": total, "queries": n}


def readme_section(results):
    n = results[0]["queries"]
    lines = [
        "## No-label search", "",
        f"Measured {datetime.now(timezone.utc).date()} by `python benchmarks/bench_search.py --update-readme` on "
        f"{machine()}; Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}. Load average when it "
        f"finished: {load_average()} (other work on the machine makes the milliseconds noisier).", "",
        "Data set built by the script straight through SQLite with the migrations' triggers (every customer's "
        "search key as the station stores it): one customer per 10 orders, names 45% Latin, 20% Han, 15% Cyrillic, "
        "10% Arabic, 5% Greek, 5% Hangul; phones stored national or international; a tracking number per order, an "
        "RMA on one in 20. A signed-in bench asks `GET /bench/search?q=` through Flask's test client (view, search "
        f"and template, no network), {n} queries of each kind typed as from a label: the Latin spelling (王芳 as "
        "`wang fang`, عمر as `omar`), its words swapped, two letters swapped in its longest word, the last word "
        "alone (hundreds of customers: the ranking's worst case), the phone in national form, a tracking number. "
        "*anchor* is `GET /healthz` on the same client; milliseconds; *found*: queries whose results show the "
        "customer typed (the order, for a tracking number; any result, for a last word alone).", "",
        "| orders | customers | built s | anchor p50 / p99 | " + " | ".join(f"{k} p50 / p99 (found)" for k in results[0]["kinds"])
        + " | **all p99** | **p99 / anchor p99** |",
        "|" + "---|" * (6 + len(results[0]["kinds"])),
    ]
    for r in results:
        cells = " | ".join(f"{v[0]:.1f} / {v[1]:.1f} ({r['found'][k]:.0%})" for k, v in r["kinds"].items())
        lines.append(f"| {r['orders']:,} | {r['customers']:,} | {r['built']:.0f} | {r['anchor'][0]:.2f} / "
                     f"{r['anchor'][1]:.2f} | {cells} | **{r['total'][1]:.1f}** | **{r['total'][1] / r['anchor'][1]:.0f}** |")
    return "\n".join(lines) + "\n"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", default="10000,1000000", help="comma-separated sizes")
    parser.add_argument("--queries", type=int, default=300, help="per kind of query")
    parser.add_argument("--update-readme", action="store_true")
    parser.add_argument("--out", help="where the databases go (default benchmarks/out)")
    args = parser.parse_args()
    results = [run(int(n), args.queries, args.out) for n in args.orders.split(",")]
    section = readme_section(results)
    print(section)
    if args.update_readme:
        update_section(section)


if __name__ == "__main__":
    main()
