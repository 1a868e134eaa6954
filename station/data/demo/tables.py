"""The demo's fixed tables: bench users, countries and their names, channels, carriers, products, examples."""
from station.data.demo.codes import gs1_check, s10, sscc, ups
from station.policy import REASONS

# Bench users for the caller to create (station.auth owns PIN hashing).
DEMO_USERS = [
    dict(name="Mei Lin", role="operator", badge="OP-1001", pin="1234"),
    dict(name="Sam Rivera", role="supervisor", badge="SV-2001", pin="4321"),
    dict(name="Alex Novak", role="admin", badge="AD-3001", pin="9999"),
    # an operator who reads Chinese first: the screens speak Simplified Chinese once she signs in
    dict(name="王芳", role="operator", badge="OP-1002", pin="1234", language="zh_Hans"),
]

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
