"""CSV import: strict money cells in their currency's decimals, rows with more fields than the
header, fx_rates.csv, and the RMA's return-label and exchange columns."""
import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from station import db as db_module
from station.data.importer import import_dir, import_rows
from station.data.importer.reading import ImportFailed
from tests.test_import import FILES, TABLES, write_files

ROOT = Path(__file__).resolve().parent.parent
ALL_TABLES = TABLES + ["fx_rates"]
ASCII_ONLY = "must be an ASCII decimal amount like 12.50, got {!r}"
NEGATIVE = "must not be negative, got {!r}"
WIDE = "fields, the header has {}: a comma inside a cell? write money as 12.50 (not 12,50) and quote text that holds a comma"
BAD_SPELLINGS = [  # (as written in the file, the cell it is, the reason)
    ('"12,50"', "12,50", ASCII_ONLY), ("1_000", "1_000", ASCII_ONLY), ("٣", "٣", ASCII_ONLY),
    ("１２３", "１２３", ASCII_ONLY), ("1e3", "1e3", ASCII_ONLY), ("-0", "-0", NEGATIVE),
    ("-0.0", "-0.0", NEGATIVE), ("-5.00", "-5.00", NEGATIVE), ("12.", "12.", ASCII_ONLY),
    (".5", ".5", ASCII_ONLY), ("nan", "nan", ASCII_ONLY),
    ("19.999", "19.999", "has more decimals than USD has (2), got {!r}"),
]


def dump(db):
    return {t: sorted(tuple(r.values()) for r in db[t].rows) for t in ALL_TABLES}


def imported(db, tmp_path):
    """The test_import files imported, and what the database then holds."""
    import_dir(db, write_files(tmp_path / "before"))
    return dump(db)


def refused(db, directory):
    with pytest.raises(ImportFailed) as failed:
        import_dir(db, directory)
    return failed.value.errors


# --- money cells ------------------------------------------------------------------------------------


@pytest.mark.parametrize("written,cell,reason", BAD_SPELLINGS, ids=[s[1] for s in BAD_SPELLINGS])
def test_a_price_not_written_as_an_ascii_decimal_in_the_base_currency_is_a_bad_row_and_nothing_changes(
        fresh_db, tmp_path, written, cell, reason):
    before = imported(fresh_db, tmp_path)
    products = ("sku,name,price,unit_cost,refurb_cost\nMUG-01,Travel mug,21.00,8,\n"
                f"SHOE-01,Runner shoe,{written},20,\nNEW-1,New,5,{written},{written}\n")

    errors = refused(fresh_db, write_files(tmp_path / "in", {}, products_csv=products))

    assert errors == [f"products.csv:3: price: {reason.format(cell)}",
                      f"products.csv:4: unit_cost: {reason.format(cell)}; refurb_cost: {reason.format(cell)}"]
    assert dump(fresh_db) == before


@pytest.mark.parametrize("written,cell,reason", BAD_SPELLINGS, ids=[s[1] for s in BAD_SPELLINGS])
def test_an_order_line_price_not_written_as_an_ascii_decimal_is_a_bad_row_and_nothing_changes(
        fresh_db, tmp_path, written, cell, reason):
    before = imported(fresh_db, tmp_path)
    lines = f"order_no,line_no,sku,qty,unit_price\nSO-1,1,MUG-01,2,19.99\nSO-1,2,PHONE-01,2,{written}\n"

    errors = refused(fresh_db, write_files(tmp_path / "in", {}, order_lines_csv=lines))

    assert errors == [f"order_lines.csv:3: unit_price: {reason.format(cell)}"]
    assert dump(fresh_db) == before


def test_money_may_have_trailing_zeros_and_surrounding_spaces_and_is_stored_as_before(fresh_db, tmp_path):
    products = "sku,name,price,unit_cost\nA-1,A,19.990, 8 \nB-1,B,0,0.5\n"

    assert import_dir(fresh_db, write_files(tmp_path / "in", {}, products_csv=products)) == {"products": 2}

    assert [(r["price"], r["unit_cost"]) for r in fresh_db["products"].rows] == [(19.99, 8.0), (0.0, 0.5)]


def test_jpy_has_no_decimals_so_8400_50_is_refused_and_8400_is_stored(fresh_db, tmp_path):
    before = imported(fresh_db, tmp_path)
    orders = "order_no,customer_id,placed_at,currency,status\nSO-J,C1,2026-04-01T10:00:00Z,JPY,shipped\n"
    lines = "order_no,line_no,sku,qty,unit_price\nSO-J,1,MUG-01,1,8400.50\nSO-J,2,SHOE-01,1,8400.00\nSO-1,3,MUG-01,1,0.5\n"

    errors = refused(fresh_db, write_files(tmp_path / "a", {}, orders_csv=orders, order_lines_csv=lines))

    assert errors == ["order_lines.csv:2: unit_price: has more decimals than JPY has (0), got '8400.50'"]
    assert dump(fresh_db) == before

    lines = lines.replace("8400.50", "8400")
    assert import_dir(fresh_db, write_files(tmp_path / "b", {}, orders_csv=orders, order_lines_csv=lines)) == {
        "orders": 1, "order_lines": 3}
    assert [r["unit_price"] for r in fresh_db["order_lines"].rows_where("order_no = 'SO-J'")] == [8400.0, 8400.0]


def test_the_currency_of_a_stored_order_decides_its_lines_decimals(fresh_db, tmp_path):
    orders = FILES["orders.csv"].rstrip() + "\n        SO-J,C1,2026-04-01T10:00:00Z,shop,,,jpy,shipped,\n"
    import_dir(fresh_db, write_files(tmp_path / "a", orders_csv=orders))
    before = dump(fresh_db)
    lines = "order_no,line_no,sku,qty,unit_price\nSO-J,1,MUG-01,1,1490.5\nSO-1,1,MUG-01,2,19.999\nSO-2,1,SHOE-01,1,49.5\n"

    errors = refused(fresh_db, write_files(tmp_path / "b", {}, order_lines_csv=lines))

    assert errors == ["order_lines.csv:2: unit_price: has more decimals than JPY has (0), got '1490.5'",
                      "order_lines.csv:3: unit_price: has more decimals than USD has (2), got '19.999'"]
    assert dump(fresh_db) == before
    lines = "order_no,line_no,sku,qty,unit_price\nSO-2,1,SHOE-01,1,49.5\nSO-J,1,MUG-01,1,1490.50\n"
    errors = refused(fresh_db, write_files(tmp_path / "c", {}, order_lines_csv=lines))
    assert errors == ["order_lines.csv:3: unit_price: has more decimals than JPY has (0), got '1490.50'"]
    assert dump(fresh_db) == before


def test_a_bahraini_dinar_order_line_takes_three_decimals_and_a_dollar_one_does_not(fresh_db, tmp_path):
    before = imported(fresh_db, tmp_path)
    orders = "order_no,customer_id,placed_at,currency,status\nSO-B,C2,2026-04-01T10:00:00Z,BHD,shipped\n"
    bad = ("order_no,line_no,sku,qty,unit_price\nSO-B,1,MUG-01,1,7.525\nSO-B,2,SHOE-01,1,7.5255\n"
           "SO-1,1,MUG-01,2,19.995\n")

    errors = refused(fresh_db, write_files(tmp_path / "a", {}, orders_csv=orders, order_lines_csv=bad))

    assert errors == ["order_lines.csv:3: unit_price: has more decimals than BHD has (3), got '7.5255'",
                      "order_lines.csv:4: unit_price: has more decimals than USD has (2), got '19.995'"]
    assert dump(fresh_db) == before
    good = "order_no,line_no,sku,qty,unit_price\nSO-B,1,MUG-01,1,7.525\n"
    assert import_dir(fresh_db, write_files(tmp_path / "b", {}, orders_csv=orders, order_lines_csv=good)) == {
        "orders": 1, "order_lines": 1}
    assert fresh_db["order_lines"].get(("SO-B", 1))["unit_price"] == 7.525


def test_catalogue_prices_are_in_the_base_currency_of_the_database_imported_into(fresh_db, tmp_path):
    with db_module.write(fresh_db):
        fresh_db["policy"].insert({"key": "base_currency", "value": json.dumps("JPY")})
    products = "sku,name,price,unit_cost\nA-1,A,1990,800\nB-1,B,19.99,8\n"

    errors = refused(fresh_db, write_files(tmp_path / "in", {}, products_csv=products))

    assert errors == ["products.csv:3: price: has more decimals than JPY has (0), got '19.99'"]
    assert fresh_db["products"].count == 0


def test_rows_in_memory_are_held_to_the_same_money_rules(fresh_db, tmp_path):
    imported(fresh_db, tmp_path)
    rows = {"orders": [dict(order_no="SO-K", customer_id="C1", placed_at="2026-04-01T10:00:00Z", currency="KRW",
                            status="shipped")],
            "order_lines": [dict(order_no="SO-K", line_no=1, sku="MUG-01", qty=1, unit_price=12000.5),
                            dict(order_no="SO-1", line_no=1, sku="MUG-01", qty=1, unit_price="-0")]}

    with pytest.raises(ImportFailed) as failed:
        import_rows(fresh_db, rows)

    assert failed.value.errors == ["order_lines.csv:2: unit_price: has more decimals than KRW has (0), got '12000.5'",
                                   "order_lines.csv:3: unit_price: must not be negative, got '-0'"]
    assert fresh_db["orders"].get("SO-1")["currency"] == "USD" and fresh_db["orders"].count == 3


# --- more fields than the header --------------------------------------------------------------------


def test_a_row_with_more_fields_than_its_header_is_a_bad_row_with_every_other_bad_row_and_nothing_is_imported(
        fresh_db, tmp_path):
    before = imported(fresh_db, tmp_path)
    products = ("sku,name,supplier_id,unit_cost,price,bin\nMUG-01,Travel mug,SUP-2,8,21.00,A-01-01\n"
                "P1,Prod One,SUP-1,5,19,99,B-01-01\n")
    lines = "order_no,line_no,sku,qty,unit_price\nSO-1,1,MUG-01,2,12,50\nSO-1,2,PHONE-01,2,299\nSO-2,1,SHOE-01,x,49.50\n"
    customers = "customer_id,name,country\nC1,Wang, Xiaoming,CN\nC2,Fatima,Saudi Arabia\n"

    errors = refused(fresh_db, write_files(tmp_path / "in", {}, products_csv=products, order_lines_csv=lines,
                                           customers_csv=customers))

    assert errors == [
        f"products.csv:3: 7 {WIDE.format(6)}",
        f"customers.csv:2: 4 {WIDE.format(3)}",
        "customers.csv:3: country: not a country code (2 letters A-Z): 'Saudi Arabia'",
        f"order_lines.csv:2: 6 {WIDE.format(5)}",
        "order_lines.csv:4: qty: not an integer: 'x'",
    ]
    assert dump(fresh_db) == before


def test_the_line_of_a_row_with_too_many_fields_is_its_physical_line_and_it_still_counts_as_a_key(fresh_db, tmp_path):
    imported(fresh_db, tmp_path)
    before = dump(fresh_db)
    customers = 'customer_id,name,country\nC8,"Anna\nMaria",DE\nC9,Bob,DE,x\n'
    orders = "order_no,customer_id,placed_at,currency,status\nSO-9,C9,2026-04-01T10:00:00Z,EUR,shipped\n"

    errors = refused(fresh_db, write_files(tmp_path / "in", {}, customers_csv=customers, orders_csv=orders))

    assert errors == [f"customers.csv:4: 4 {WIDE.format(3)}"]  # and SO-9's customer is not "unknown"
    assert dump(fresh_db) == before


def test_rows_with_fewer_fields_than_the_header_are_padded_with_empty_cells(fresh_db, tmp_path):
    products = "sku,name,price,bin,has_serial\nA-1,A,5\nB-1,B,6,B-01\n"

    assert import_dir(fresh_db, write_files(tmp_path / "in", {}, products_csv=products)) == {"products": 2}

    assert [(r["sku"], r["price"], r["bin"], r["has_serial"]) for r in fresh_db["products"].rows] == [
        ("A-1", 5.0, None, 0), ("B-1", 6.0, "B-01", 0)]


# --- fx_rates.csv ----------------------------------------------------------------------------------


def test_fx_rates_are_imported_upper_case_and_importing_them_again_changes_nothing(fresh_db, tmp_path):
    rates = "currency,rate,as_of\neur,1.08,2026-03-01\nJPY,0.0067,2026-03-01T09:00:00+01:00\nGBP,1.27,\nUSD,1\n"
    directory = write_files(tmp_path / "in", {}, fx_rates_csv=rates)

    assert import_dir(fresh_db, directory) == {"fx_rates": 4}

    stored = {r["currency"]: r for r in fresh_db["fx_rates"].rows}
    assert {c: (r["rate"], r["as_of"], r["updated_by"]) for c, r in stored.items()} == {
        "EUR": ("1.08", "2026-03-01T00:00:00Z", "import"), "JPY": ("0.0067", "2026-03-01T08:00:00Z", "import"),
        "GBP": ("1.27", None, "import"), "USD": ("1", None, "import")}
    assert all(r["updated_at"] for r in stored.values())
    with db_module.write(fresh_db):  # so that a rewrite would show
        fresh_db.execute("UPDATE fx_rates SET updated_at = '2020-01-01T00:00:00Z'")
    before = dump(fresh_db)

    assert import_dir(fresh_db, directory) == {"fx_rates": 4}
    assert dump(fresh_db) == before

    import_dir(fresh_db, write_files(tmp_path / "b", {}, fx_rates_csv="currency,rate\nEUR,1.09\n"))
    eur = fresh_db["fx_rates"].get("EUR")
    assert (eur["rate"], eur["as_of"]) == ("1.09", "2026-03-01T00:00:00Z")  # no as_of column: as_of kept
    assert eur["updated_at"] != "2020-01-01T00:00:00Z"
    assert fresh_db["fx_rates"].get("GBP")["updated_at"] == "2020-01-01T00:00:00Z"


def test_a_bad_rate_or_currency_in_fx_rates_is_a_bad_row_and_no_rate_changes(fresh_db, tmp_path):
    import_dir(fresh_db, write_files(tmp_path / "a", {}, fx_rates_csv="currency,rate\nEUR,1.08\n"))
    before = dump(fresh_db)
    rates = ("currency,rate,as_of\nEUR,1.10,\nGBP,0,\nCHF,-1,\nPLN,\"1,5\",\nSEK,abc,\nXXX,1.2,\nEURO,1.1,\n"
             "NOK,1,5,2026-03-01\nCNY,,\nJPY,0.0067,yesterday\nUSD,1.1,\nCAD,0.0000000000001,\n")

    errors = refused(fresh_db, write_files(tmp_path / "b", {}, fx_rates_csv=rates))

    above_0 = "rate: must be above 0 and at most 1000000, got '0'"
    ascii_rate = "rate: must be an ASCII decimal rate like 0.0074 (at most 12 decimals), got {!r}"
    assert errors == [
        f"fx_rates.csv:3: {above_0}",
        f"fx_rates.csv:4: {ascii_rate.format('-1')}",
        f"fx_rates.csv:5: {ascii_rate.format('1,5')}",
        f"fx_rates.csv:6: {ascii_rate.format('abc')}",
        "fx_rates.csv:7: currency: not an assigned currency code: 'XXX'",
        "fx_rates.csv:8: currency: not a currency code (3 letters A-Z): 'EURO'",
        f"fx_rates.csv:9: 4 {WIDE.format(3)}",
        "fx_rates.csv:10: rate is required",
        "fx_rates.csv:11: as_of: not an ISO 8601 time: 'yesterday'",
        "fx_rates.csv:12: rate: USD is the base currency, its rate is 1: got '1.1'",
        f"fx_rates.csv:13: {ascii_rate.format('0.0000000000001')}",
    ]
    assert dump(fresh_db) == before


def test_a_directory_without_import_files_names_fx_rates_csv_among_the_files_looked_for(fresh_db, tmp_path):
    errors = refused(fresh_db, tmp_path)

    assert errors[0].endswith("inventory.csv, fx_rates.csv)")


# --- rmas.csv: the return label and the exchange SKU ------------------------------------------------


RMAS = ("rma_no,order_no,created_at,reason,resolution,return_tracking_no,label_cost,label_paid_by,exchange_sku\n"
        "RMA-1,SO-1,2026-03-12T10:00:00Z,size_fit,exchange,,6.50,seller,NEW-9\n"
        "RMA-2,SO-2,,,,,,,\n"
        "RMA-3,SO-J,,,,,900,customer,\n")


def test_an_rmas_label_cost_payer_and_exchange_sku_are_stored(fresh_db, tmp_path):
    orders = FILES["orders.csv"].rstrip() + "\n        SO-J,C1,2026-03-01T08:00:00Z,shop,,,JPY,shipped,\n"
    products = FILES["products.csv"].rstrip() + "\n        NEW-9,Runner shoe 44,,,,49.50,0,,C-03-02,0\n"
    directory = write_files(tmp_path / "in", orders_csv=orders, products_csv=products, rmas_csv=RMAS)

    assert import_dir(fresh_db, directory)["rmas"] == 3

    stored = {r["rma_no"]: (r["label_cost"], r["label_paid_by"], r["exchange_sku"]) for r in fresh_db["rmas"].rows}
    assert stored == {"RMA-1": ("6.50", "seller", "NEW-9"), "RMA-2": (None, None, None), "RMA-3": ("900", "customer", None)}
    before = dump(fresh_db)
    import_dir(fresh_db, directory)
    assert dump(fresh_db) == before


def test_a_bad_label_payer_or_cost_or_an_unknown_exchange_sku_is_a_bad_row(fresh_db, tmp_path):
    orders = FILES["orders.csv"].rstrip() + "\n        SO-J,C1,2026-03-01T08:00:00Z,shop,,,JPY,shipped,\n"
    before = imported(fresh_db, tmp_path)
    rmas = ("rma_no,order_no,label_cost,label_paid_by,exchange_sku\n"
            "RMA-1,SO-1,6.50,buyer,SHOE-01\nRMA-2,SO-2,6.5,Seller,NOPE\nRMA-3,SO-J,900.50,marketplace,\n"
            "RMA-4,SO-1,\"6,50\",,\nRMA-5,SO-1,-1,seller,\n")

    errors = refused(fresh_db, write_files(tmp_path / "in", {}, orders_csv=orders, rmas_csv=rmas))

    assert errors == [
        "rmas.csv:2: label_paid_by: must be one of seller, customer, marketplace, got 'buyer'",
        "rmas.csv:3: label_paid_by: must be one of seller, customer, marketplace, got 'Seller'; "
        "exchange_sku 'NOPE' is not a known product",
        "rmas.csv:4: label_cost: has more decimals than JPY has (0), got '900.50'",
        "rmas.csv:5: label_cost: must be an ASCII decimal amount like 12.50, got '6,50'",
        "rmas.csv:6: label_cost: must not be negative, got '-1'",
    ]
    assert dump(fresh_db) == before


# --- the command line, as the contract has it -------------------------------------------------------


def run_import(directory, db):
    return subprocess.run([sys.executable, str(ROOT / "run.py"), "import", str(directory), "--db", str(db)],
                          capture_output=True, text=True, cwd=ROOT, timeout=120)


def test_run_py_import_reports_bad_money_and_too_many_fields_on_stderr_exits_1_and_imports_nothing(tmp_path):
    db = tmp_path / "s.db"
    directory = write_files(
        tmp_path / "in", {},
        products_csv="sku,name,price\nA-1,Mug,12,50\nB-1,Shoe,1_000\nC-1,Cap,12.50\n",
        fx_rates_csv="currency,rate\nEUR,1.08\nEURO,1.1\n",
    )

    result = run_import(directory, db)

    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        f"products.csv:2: 4 {WIDE.format(3)}",
        "products.csv:3: price: must be an ASCII decimal amount like 12.50, got '1_000'",
        "fx_rates.csv:3: currency: not a currency code (3 letters A-Z): 'EURO'",
    ]
    assert "nothing imported: 3 bad row(s)" in result.stdout
    conn = sqlite3.connect(db)
    assert conn.execute("SELECT (SELECT count(*) FROM products), (SELECT count(*) FROM fx_rates)").fetchone() == (0, 0)
    conn.close()

    directory = write_files(tmp_path / "ok", {}, products_csv="sku,name,price\nC-1,Cap,12.50\n",
                            fx_rates_csv="currency,rate,as_of\nEUR,1.08,2026-03-01\n")
    result = run_import(directory, db)
    assert result.returncode == 0, result.stderr
    assert "imported: products 1, fx_rates 1" in result.stderr
    conn = sqlite3.connect(db)
    assert conn.execute("SELECT currency, rate, as_of, updated_by FROM fx_rates").fetchall() == [
        ("EUR", "1.08", "2026-03-01T00:00:00Z", "import")]
    assert conn.execute("SELECT price FROM products").fetchall() == [(12.5,)]
    conn.close()


# --- what the tables now hold: stock by condition (migration 0012), supplier rtv_cost (0014) -------


def test_inventory_rows_are_counted_per_condition_new_when_the_file_has_no_condition_column(fresh_db, tmp_path):
    imported(fresh_db, tmp_path)  # inventory.csv without condition: new
    inventory = "sku,bin,qty,condition\nMUG-01,A-01-01,4,\nMUG-01,A-01-01,2,open_box\nSHOE-01,C-03-01,1,used\n"

    assert import_dir(fresh_db, write_files(tmp_path / "in", {}, inventory_csv=inventory)) == {"inventory": 3}

    assert sorted((r["sku"], r["condition"], r["qty"]) for r in fresh_db["stock"].rows) == [
        ("MUG-01", "new", 4), ("MUG-01", "open_box", 2), ("SHOE-01", "new", 0), ("SHOE-01", "used", 1)]
    before = dump(fresh_db)
    bad = "sku,bin,qty,condition\nMUG-01,A-01-01,1,refurbished\nMUG-01,A-01-01,3,like_new\nMUG-01,A-01-01,5,refurbished\n"
    assert refused(fresh_db, write_files(tmp_path / "bad", {}, inventory_csv=bad)) == [
        "inventory.csv:3: condition: must be one of new, open_box, refurbished, used, got 'like_new'",
        "inventory.csv:4: duplicate key sku=MUG-01, bin=A-01-01, condition=refurbished (first on line 2)"]
    assert dump(fresh_db) == before


def test_a_suppliers_rtv_cost_is_money_in_the_base_currency(fresh_db, tmp_path):
    suppliers = "supplier_id,name,rtv_cost\nS1,Acme,3.00\nS2,Bolt,\nS3,Cog,1.005\nS4,Dyn,\"2,50\"\n"

    errors = refused(fresh_db, write_files(tmp_path / "bad", {}, suppliers_csv=suppliers))

    assert errors == ["suppliers.csv:4: rtv_cost: has more decimals than USD has (2), got '1.005'",
                      "suppliers.csv:5: rtv_cost: must be an ASCII decimal amount like 12.50, got '2,50'"]
    assert fresh_db["suppliers"].count == 0
    assert import_dir(fresh_db, write_files(tmp_path / "ok", {}, suppliers_csv=suppliers.split("S3")[0])) == {
        "suppliers": 2}
    assert {r["supplier_id"]: r["rtv_cost"] for r in fresh_db["suppliers"].rows} == {"S1": "3.00", "S2": None}
