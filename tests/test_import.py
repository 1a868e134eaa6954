"""CSV import: all-or-nothing, upsert by key, and the bench's own state survives."""
import sqlite3
import textwrap

import pytest

from station import db as db_module
from station.data.importer import import_dir, import_rows
from station.data.importer.reading import ImportFailed

FILES = {
    "suppliers.csv": """
        supplier_id,name,country,accepts_rtv,rtv_window_days
        SUP-1,Shenzhen Parts,CN,1,90
        SUP-2,Porto Shoes,PT,0,
    """,
    "products.csv": """
        sku,name,gtin,supplier_id,unit_cost,price,refurbishable,refurb_cost,bin,has_serial
        MUG-01,Travel mug,5901234123457,SUP-2,8,20.00,1,2.50,A-01-01,0
        PHONE-01,Phone X,4006381333931,SUP-1,200,300,1,30,B-02-01,1
        SHOE-01,Runner shoe,036000291452,SUP-2,20,49.50,0,,C-03-01,0
    """,
    "customers.csv": """
        customer_id,name,email,phone,country
        C1,王小明,xm@example.cn,+8613800000000,CN
        C2,فاطمة الزهراء,f@example.sa,+966500000000,SA
        C3,Иван Петров,ivan@example.ru,+79000000000,RU
    """,
    "orders.csv": """
        order_no,customer_id,placed_at,channel,shipped_at,delivered_at,currency,status,priority
        SO-1,C1,2026-03-01T08:00:00Z,aliexpress,2026-03-02T09:00:00+08:00,2026-03-09 12:00:00,USD,delivered,
        SO-2,C2,2026-03-05T10:00:00Z,amazon,2026-03-06T10:00:00Z,,EUR,shipped,0
        SO-W,C3,2026-03-20T10:00:00Z,ebay,,,USD,awaiting_stock,5
    """,
    "order_lines.csv": """
        order_no,line_no,sku,qty,unit_price,serials
        SO-1,1,MUG-01,2,19.99,
        SO-1,2,PHONE-01,2,299,SN1; SN2 ;
        SO-2,1,SHOE-01,1,49.50,
        SO-W,1,MUG-01,1,19.99,
        SO-W,2,SHOE-01,1,49.50,
    """,
    "cartons.csv": """
        carton_code,order_no,tracking_no,carrier
        376130321109103420,SO-1,1Z999AA10123456784,UPS
        CTN-2,SO-2,,DHL
    """,
    "rmas.csv": """
        rma_no,order_no,created_at,reason,resolution,return_tracking_no
        RMA-1,SO-1,2026-03-12T10:00:00Z,changed_mind,refund,RR123456785CN
        RMA-2,SO-2,,,,
    """,
    "rma_lines.csv": """
        rma_no,sku,qty
        RMA-1,MUG-01,1
    """,
    "inventory.csv": """
        sku,bin,qty
        MUG-01,A-01-01,5
        SHOE-01,C-03-01,0
    """,
}
TABLES = ["suppliers", "products", "customers", "orders", "order_lines", "order_serials",
          "cartons", "rmas", "rma_lines", "stock"]


def write_files(directory, files=None, **overrides):
    """Write the CSV files (dedented); overrides replace or add files by name (dots as _)."""
    directory.mkdir(exist_ok=True)
    files = dict(FILES if files is None else files)
    files.update({name.replace("_csv", ".csv"): text for name, text in overrides.items()})
    for name, text in files.items():
        (directory / name).write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return directory


def dump(db):
    return {t: sorted(tuple(r.values()) for r in db[t].rows) for t in TABLES}


def test_it_imports_every_file_and_answers_the_counts(fresh_db, tmp_path):
    counts = import_dir(fresh_db, write_files(tmp_path / "in"))

    assert counts == {"suppliers": 2, "products": 3, "customers": 3, "orders": 3, "order_lines": 5,
                      "cartons": 2, "rmas": 2, "rma_lines": 1, "inventory": 2}
    assert fresh_db["products"].get("SHOE-01")["gtin14"] == "00036000291452"
    assert fresh_db["products"].get("SHOE-01")["refurb_cost"] == 0
    assert fresh_db["customers"].get("C1")["name"] == "王小明"
    assert fresh_db["rmas"].get("RMA-2")["resolution"] == "refund"
    assert fresh_db["orders"].get("SO-1")["priority"] == 0
    assert {(r["serial"], r["line_no"]) for r in fresh_db["order_serials"].rows} == {("SN1", 2), ("SN2", 2)}
    assert fresh_db["stock"].get(("MUG-01", "A-01-01", "new"))["qty"] == 5


def test_importing_the_same_files_again_changes_nothing(fresh_db, tmp_path):
    directory = write_files(tmp_path / "in")
    import_dir(fresh_db, directory)
    before = dump(fresh_db)

    counts = import_dir(fresh_db, directory)

    assert counts["orders"] == 3
    assert dump(fresh_db) == before


def test_inventory_quantity_is_set_not_added(fresh_db, tmp_path):
    import_dir(fresh_db, write_files(tmp_path / "a"))

    import_dir(fresh_db, write_files(tmp_path / "b", {}, inventory_csv="sku,bin,qty\nMUG-01,A-01-01,3\n"))

    assert fresh_db["stock"].get(("MUG-01", "A-01-01", "new"))["qty"] == 3
    assert fresh_db["stock"].get(("SHOE-01", "C-03-01", "new"))["qty"] == 0


def test_bad_rows_fail_the_whole_import_and_every_one_is_reported(fresh_db, tmp_path):
    directory = write_files(
        tmp_path / "in",
        products_csv=FILES["products.csv"].replace("5901234123457", "5901234123458"),
        orders_csv=FILES["orders.csv"].replace("2026-03-05T10:00:00Z", "yesterday").replace(
            "awaiting_stock,5", "waiting,high"),
        order_lines_csv=FILES["order_lines.csv"].replace("SO-2,1,SHOE-01,1,", "SO-2,1,SHOE-01,0,"),
        inventory_csv="sku,bin,qty\nMUG-01,A-01-01,-1\nMUG-01,,2\n",
    )

    with pytest.raises(ImportFailed) as failed:
        import_dir(fresh_db, directory)

    errors = failed.value.errors
    assert [e.split(": ")[0] for e in errors] == [
        "products.csv:2", "orders.csv:3", "orders.csv:4", "order_lines.csv:4",
        "inventory.csv:2", "inventory.csv:3"]
    assert "check digit" in errors[0]
    assert "placed_at: not an ISO 8601 time: 'yesterday'" in errors[1]
    assert "status: must be one of" in errors[2] and "priority: not an integer" in errors[2]
    assert "qty: must be at least 1" in errors[3]
    assert "bin is required" in errors[5]
    assert all(fresh_db[t].count == 0 for t in TABLES)


def test_a_bad_row_leaves_what_was_imported_before_untouched(fresh_db, tmp_path):
    import_dir(fresh_db, write_files(tmp_path / "a"))
    before = dump(fresh_db)
    changed = FILES["customers.csv"].replace("王小明", "Wang Xiaoming").replace(",RU", ",Russia")

    with pytest.raises(ImportFailed) as failed:
        import_dir(fresh_db, write_files(tmp_path / "b", customers_csv=changed))

    assert failed.value.errors == [
        "customers.csv:4: country: not a country code (2 letters A-Z): 'Russia'"]
    assert dump(fresh_db) == before


def test_a_duplicate_key_inside_one_file_is_an_error(fresh_db, tmp_path):
    lines = "order_no,line_no,sku,qty,unit_price\nSO-1,1,MUG-01,1,5\nSO-1,2,MUG-01,1,5\nSO-1,1,SHOE-01,1,5\n"
    directory = write_files(tmp_path / "in", order_lines_csv=lines)

    with pytest.raises(ImportFailed) as failed:
        import_dir(fresh_db, directory)

    assert failed.value.errors == [
        "order_lines.csv:4: duplicate key order_no=SO-1, line_no=1 (first on line 2)"]
    assert fresh_db["order_lines"].count == 0


def test_a_row_may_refer_to_a_row_stored_earlier_or_in_another_file_of_the_same_import(fresh_db, tmp_path):
    import_dir(fresh_db, write_files(tmp_path / "a"))
    new = {
        "customers.csv": "customer_id,name,country\nC9,Ελένη Παπαδοπούλου,GR\n",
        "orders.csv": "order_no,customer_id,placed_at,currency,status\nSO-9,C9,2026-04-01T10:00:00Z,EUR,shipped\n",
        "order_lines.csv": "order_no,line_no,sku,qty,unit_price\nSO-9,1,PHONE-01,1,300\n",
    }

    counts = import_dir(fresh_db, write_files(tmp_path / "b", new))

    assert counts == {"customers": 1, "orders": 1, "order_lines": 1}
    assert fresh_db["orders"].get("SO-9")["customer_id"] == "C9"
    assert fresh_db["order_lines"].get(("SO-9", 1))["sku"] == "PHONE-01"


def test_an_unknown_reference_is_an_error(fresh_db, tmp_path):
    directory = write_files(
        tmp_path / "in",
        rma_lines_csv="rma_no,sku,qty\nRMA-1,MUG-01,1\nRMA-404,NOPE,1\n",
        cartons_csv="carton_code,order_no\nCTN-9,SO-404\n",
    )

    with pytest.raises(ImportFailed) as failed:
        import_dir(fresh_db, directory)

    assert failed.value.errors == [
        "cartons.csv:2: order_no 'SO-404' is not a known order",
        "rma_lines.csv:3: rma_no 'RMA-404' is not a known rma; sku 'NOPE' is not a known product",
    ]
    assert fresh_db["orders"].count == 0


def test_a_missing_required_column_is_reported_on_the_header_line(fresh_db, tmp_path):
    directory = write_files(tmp_path / "in", {}, customers_csv="customer_id,name,email\nC1,Ann,a@x.com\n")

    with pytest.raises(ImportFailed) as failed:
        import_dir(fresh_db, directory)

    assert failed.value.errors == ["customers.csv:1: missing required column(s): country"]
    assert fresh_db["customers"].count == 0


def test_a_utf8_byte_order_mark_and_extra_columns_are_accepted(fresh_db, tmp_path):
    directory = tmp_path / "in"
    directory.mkdir()
    text = "customer_id,name,country,loyalty_tier\nC1,محمد العتيبي,SA,gold\nC2,Łukasz Wiśniewski,pl,\n"
    (directory / "customers.csv").write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))

    counts = import_dir(fresh_db, directory)

    assert counts == {"customers": 2}
    assert fresh_db["customers"].get("C1")["name"] == "محمد العتيبي"
    assert fresh_db["customers"].get("C2")["country"] == "PL"
    assert "loyalty_tier" not in fresh_db["customers"].columns_dict


def test_line_numbers_are_physical_lines_even_after_a_quoted_line_break(fresh_db, tmp_path):
    text = 'customer_id,name,country\nC1,"Anna\nMaria",DE\n\nC2,Bob,Germany\n'
    directory = write_files(tmp_path / "in", {}, customers_csv=text)

    with pytest.raises(ImportFailed) as failed:
        import_dir(fresh_db, directory)

    assert failed.value.errors == ["customers.csv:5: country: not a country code (2 letters A-Z): 'Germany'"]
    assert fresh_db["customers"].count == 0


def test_timestamps_without_an_offset_are_stored_as_utc(fresh_db, tmp_path):
    import_dir(fresh_db, write_files(tmp_path / "in"))

    order = fresh_db["orders"].get("SO-1")
    assert order["placed_at"] == "2026-03-01T08:00:00Z"
    assert order["shipped_at"] == "2026-03-02T01:00:00Z"
    assert order["delivered_at"] == "2026-03-09T12:00:00Z"
    assert fresh_db["orders"].get("SO-2")["delivered_at"] is None


def test_re_import_keeps_the_benches_allocations_and_ready_to_ship(fresh_db, tmp_path):
    directory = write_files(tmp_path / "in")
    import_dir(fresh_db, directory)
    with db_module.write(fresh_db):  # what two cross-docks at the bench leave behind
        fresh_db["order_lines"].update(("SO-W", 1), {"qty_allocated": 1})
        fresh_db["order_lines"].update(("SO-W", 2), {"qty_allocated": 1})
        fresh_db["orders"].update("SO-W", {"status": "ready_to_ship"})

    import_dir(fresh_db, directory)

    assert fresh_db["orders"].get("SO-W")["status"] == "ready_to_ship"
    assert [r["qty_allocated"] for r in fresh_db["order_lines"].rows_where("order_no = 'SO-W'")] == [1, 1]


def test_a_waiting_order_that_grew_a_line_is_waiting_again_with_its_allocations_kept(fresh_db, tmp_path):
    import_dir(fresh_db, write_files(tmp_path / "a"))
    with db_module.write(fresh_db):
        fresh_db["order_lines"].update(("SO-W", 1), {"qty_allocated": 1})
        fresh_db["order_lines"].update(("SO-W", 2), {"qty_allocated": 1})
        fresh_db["orders"].update("SO-W", {"status": "ready_to_ship"})
    lines = "order_no,line_no,sku,qty,unit_price\nSO-W,3,PHONE-01,1,300\n"

    import_dir(fresh_db, write_files(tmp_path / "b", {}, orders_csv=FILES["orders.csv"], order_lines_csv=lines))

    assert fresh_db["orders"].get("SO-W")["status"] == "awaiting_stock"
    assert [r["qty_allocated"] for r in fresh_db["order_lines"].rows_where("order_no = 'SO-W'")] == [1, 1, 0]


def test_re_import_sets_values_but_keeps_columns_the_file_does_not_have(fresh_db, tmp_path):
    import_dir(fresh_db, write_files(tmp_path / "a"))
    fresh_db["customers"].update("C2", {"fraud": 1})

    import_dir(fresh_db, write_files(tmp_path / "b", {},
                                     products_csv="sku,name,price\nMUG-01,Travel mug 2,21.5\n",
                                     customers_csv=FILES["customers.csv"]))

    mug = fresh_db["products"].get("MUG-01")
    assert (mug["name"], mug["price"]) == ("Travel mug 2", 21.5)
    assert (mug["bin"], mug["gtin14"], mug["refurb_cost"]) == ("A-01-01", "05901234123457", 2.5)
    assert fresh_db["customers"].get("C2")["fraud"] == 1


def test_the_serials_of_each_imported_line_are_replaced(fresh_db, tmp_path):
    import_dir(fresh_db, write_files(tmp_path / "a"))
    lines = "order_no,line_no,sku,qty,unit_price,serials\nSO-1,2,PHONE-01,2,299,SN2;SN3\n"

    import_dir(fresh_db, write_files(tmp_path / "b", {}, order_lines_csv=lines))

    assert sorted(r["serial"] for r in fresh_db["order_serials"].rows) == ["SN2", "SN3"]
    assert fresh_db["order_lines"].get(("SO-1", 2))["serials"] == "SN2;SN3"


def test_rows_in_memory_go_through_the_same_checks(fresh_db):
    rows = {"customers": [
        {"customer_id": "C1", "name": "Zoë", "country": "FR"},
        {"customer_id": "C2", "name": "", "country": 7},
    ]}

    with pytest.raises(ImportFailed) as failed:
        import_rows(fresh_db, rows)

    assert failed.value.errors == [
        "customers.csv:3: name is required; country: not a country code (2 letters A-Z): '7'"]
    assert fresh_db["customers"].count == 0
    assert import_rows(fresh_db, {"customers": rows["customers"][:1]}) == {"customers": 1}
    assert fresh_db["customers"].get("C1")["name"] == "Zoë"


def test_a_directory_without_import_files_is_an_error(fresh_db, tmp_path):
    with pytest.raises(ImportFailed) as failed:
        import_dir(fresh_db, tmp_path)

    assert "no files to import" in failed.value.errors[0]
    assert fresh_db["orders"].count == 0


def test_progress_shows_a_bar_per_file_on_stderr(fresh_db, tmp_path, capsys):
    import_dir(fresh_db, write_files(tmp_path / "in"), progress=True)

    err = capsys.readouterr().err
    assert "orders.csv" in err and "order_lines.csv" in err
    assert fresh_db["orders"].count == 3


def test_a_file_that_is_not_utf8_is_reported_with_the_bad_rows_of_the_other_files(fresh_db, tmp_path):
    directory = write_files(tmp_path / "in", {}, orders_csv=FILES["orders.csv"].replace(",USD,shipped", ",usd,shipped"),
                            inventory_csv="sku,bin,qty\nMUG-01,A-01-01,x\n")
    (directory / "customers.csv").write_bytes("customer_id,name,country\nC1,Zoë,FR\n".encode("latin-1"))

    with pytest.raises(ImportFailed) as failed:
        import_dir(fresh_db, directory)

    assert failed.value.errors == [
        "customers.csv:2: not UTF-8 text",
        "inventory.csv:2: qty: not an integer: 'x'; sku 'MUG-01' is not a known product",
    ]
    assert fresh_db["customers"].count == 0


def test_a_file_with_only_a_header_imports_nothing(fresh_db, tmp_path):
    directory = write_files(tmp_path / "in", {}, customers_csv="customer_id,name,country\n")

    assert import_dir(fresh_db, directory) == {"customers": 0}
    assert fresh_db["customers"].count == 0


def test_numbers_out_of_range_are_reported_not_crashed_on(fresh_db, tmp_path):
    directory = write_files(tmp_path / "in", {}, suppliers_csv=FILES["suppliers.csv"],
                            products_csv="sku,name,price\nBIG-1,Big,1e400\n",
                            inventory_csv="sku,bin,qty\nMUG-01,A-01-01,99999999999999999999\n")

    with pytest.raises(ImportFailed) as failed:
        import_dir(fresh_db, directory)

    assert failed.value.errors == [
        "products.csv:2: price: must be an ASCII decimal amount like 12.50, got '1e400'",
        "inventory.csv:2: qty: out of range: '99999999999999999999'; sku 'MUG-01' is not a known product",
    ]
    assert fresh_db["suppliers"].count == 0


def test_a_large_import_leaves_the_report_aggregates_as_a_full_recount_would(fresh_db, tmp_path):
    from station.reporting import aggregates

    import_dir(fresh_db, write_files(tmp_path / "in"))
    orders = [dict(order_no=f"SO-{n}", customer_id="C1", placed_at="2026-03-01T08:00:00Z", channel="shop",
                   shipped_at="2026-03-02T08:00:00Z", currency="CNY", status="delivered") for n in range(4000)]
    lines = [dict(order_no=f"SO-{n // 2}", line_no=n % 2 + 1, sku="MUG-01", qty=1, unit_price="9.90")
             for n in range(8000)]

    triggers = "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' ORDER BY name"
    before = fresh_db.execute(triggers).fetchall()

    counts = import_rows(fresh_db, {"orders": orders, "order_lines": lines})  # drops the report triggers

    assert counts == {"orders": 4000, "order_lines": 8000}
    assert fresh_db["report_state"].get(1)["paused"] == 0
    assert fresh_db.execute(triggers).fetchall() == before  # every trigger back, as it was
    assert fresh_db.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    after_import = aggregates.snapshot(fresh_db)
    aggregates.rebuild(fresh_db)
    assert aggregates.snapshot(fresh_db) == after_import
    assert any(row for row in after_import["report_cohort"])
    # and the triggers count again: one more line of a small import is in the aggregates at once
    shipped = "SELECT sum(shipped) FROM report_cohort WHERE dim = 'all' AND length(period) IN (0, 4)"
    total_before = fresh_db.execute(shipped).fetchone()[0]
    import_rows(fresh_db, {"order_lines": [dict(order_no="SO-1", line_no=3, sku="MUG-01", qty=5, unit_price="9.90")]})
    assert fresh_db.execute(shipped).fetchone()[0] == total_before + 5
    assert fresh_db.execute(shipped).fetchone()[0] == fresh_db.execute(
        "SELECT sum(qty) FROM report_shipped_lines").fetchone()[0]


def test_a_country_or_currency_code_that_iso_never_assigned_is_refused_and_nothing_is_imported(fresh_db, tmp_path):
    directory = write_files(
        tmp_path / "in", {},
        suppliers_csv="supplier_id,name,country\nS1,Acme,XX\nS2,Kosovo Trade,xk\n",
        customers_csv="customer_id,name,country\nC1,Ann,ZZ\nC2,Bob,UK\nC3,Cy,dk\n",
        orders_csv="order_no,customer_id,placed_at,currency,status\n"
                   "SO-1,C3,2026-03-01T08:00:00Z,XYZ,shipped\nSO-2,C3,2026-03-01T08:00:00Z,XXX,shipped\n"
                   "SO-3,C3,2026-03-01T08:00:00Z,dkk,shipped\n",
    )

    with pytest.raises(ImportFailed) as failed:
        import_dir(fresh_db, directory)

    assert failed.value.errors == [
        "suppliers.csv:2: country: not an assigned country code: 'XX'",
        "customers.csv:2: country: not an assigned country code: 'ZZ'",
        "customers.csv:3: country: not an assigned country code: 'UK' (the United Kingdom is GB)",
        "orders.csv:2: currency: not an assigned currency code: 'XYZ'",
        "orders.csv:3: currency: not an assigned currency code: 'XXX'",
    ]
    assert all(fresh_db[t].count == 0 for t in TABLES)


def test_assigned_country_and_currency_codes_in_any_case_are_stored_upper_case(fresh_db, tmp_path):
    directory = write_files(
        tmp_path / "in", {},
        suppliers_csv="supplier_id,name,country\nS2,Kosovo Trade,xk\n",
        customers_csv="customer_id,name,country\nC3,Cy,dk\n",
        orders_csv="order_no,customer_id,placed_at,currency,status\nSO-3,C3,2026-03-01T08:00:00Z,dkk,shipped\n",
    )

    assert import_dir(fresh_db, directory) == {"suppliers": 1, "customers": 1, "orders": 1}
    assert fresh_db["suppliers"].get("S2")["country"] == "XK"
    assert fresh_db["customers"].get("C3")["country"] == "DK"
    assert fresh_db["orders"].get("SO-3")["currency"] == "DKK"


def test_a_ready_to_ship_order_whose_line_grows_in_order_lines_alone_is_waiting_again(fresh_db, tmp_path):
    import_dir(fresh_db, write_files(tmp_path / "a"))
    with db_module.write(fresh_db):  # two cross-docks at the bench covered SO-W
        fresh_db["order_lines"].update(("SO-W", 1), {"qty_allocated": 1})
        fresh_db["order_lines"].update(("SO-W", 2), {"qty_allocated": 1})
        fresh_db["orders"].update("SO-W", {"status": "ready_to_ship"})
    lines = "order_no,line_no,sku,qty,unit_price\nSO-W,1,MUG-01,3,19.99\n"  # the ERP now wants 3 mugs

    assert import_dir(fresh_db, write_files(tmp_path / "b", {}, order_lines_csv=lines)) == {"order_lines": 1}

    assert fresh_db["orders"].get("SO-W")["status"] == "awaiting_stock"
    assert [(r["qty"], r["qty_allocated"]) for r in fresh_db["order_lines"].rows_where("order_no = 'SO-W'")] == [
        (3, 1), (1, 1)]


def test_a_partly_allocated_waiting_order_cut_down_to_its_allocations_is_ready_to_ship(fresh_db, tmp_path):
    two_mugs = FILES["order_lines.csv"].replace("SO-W,1,MUG-01,1,", "SO-W,1,MUG-01,2,")
    import_dir(fresh_db, write_files(tmp_path / "a", order_lines_csv=two_mugs))
    with db_module.write(fresh_db):  # the bench cross-docked one mug and the shoe; one mug still open
        fresh_db["order_lines"].update(("SO-W", 1), {"qty_allocated": 1})
        fresh_db["order_lines"].update(("SO-W", 2), {"qty_allocated": 1})
    lines = "order_no,line_no,sku,qty,unit_price\nSO-W,1,MUG-01,1,19.99\n"  # the customer now wants one mug

    import_dir(fresh_db, write_files(tmp_path / "b", {}, order_lines_csv=lines))

    assert fresh_db["orders"].get("SO-W")["status"] == "ready_to_ship"
    assert [(r["qty"], r["qty_allocated"]) for r in fresh_db["order_lines"].rows_where("order_no = 'SO-W'")] == [
        (1, 1), (1, 1)]


def test_a_quote_left_open_is_reported_where_it_opens_not_swallowing_the_rows_after_it(fresh_db, tmp_path):
    text = 'customer_id,name,country\nC1,Ann,DE\nC2,"Bob,DE\nC3,Cy,FR\n'
    directory = write_files(tmp_path / "in", {}, customers_csv=text)

    with pytest.raises(ImportFailed) as failed:
        import_dir(fresh_db, directory)

    assert failed.value.errors == [
        "customers.csv:3: a quoted field is not closed (a '\"' opens it and the file ends before it closes)"]
    assert fresh_db["customers"].count == 0


def test_text_after_a_closing_quote_is_a_bad_row_and_a_doubled_quote_is_a_quote(fresh_db, tmp_path):
    bad = 'customer_id,name,country\nC1,"Bob "the" Builder",DE\n'
    with pytest.raises(ImportFailed) as failed:
        import_dir(fresh_db, write_files(tmp_path / "a", {}, customers_csv=bad))
    assert failed.value.errors == [
        "customers.csv:2: text after the closing quote of a field (a '\"' inside a quoted field is written '\"\"')"]
    assert fresh_db["customers"].count == 0

    good = 'customer_id,name,country\nC1,"Bob ""the"" Builder",DE\nC2,5" Screens Ltd,DE\n'
    assert import_dir(fresh_db, write_files(tmp_path / "b", {}, customers_csv=good)) == {"customers": 2}
    assert [r["name"] for r in fresh_db["customers"].rows] == ['Bob "the" Builder', '5" Screens Ltd']


def test_blank_lines_above_the_header_are_skipped_and_header_problems_name_the_header_line(fresh_db, tmp_path):
    for name, text in (("a", "\n\ncustomer_id,name,country\nC1,Ann,DE\n\nC2,Bob,XX\n"), ("b", "\ncustomer_id,name\nC1,Ann\n")):
        (tmp_path / name).mkdir()
        (tmp_path / name / "customers.csv").write_text(text, encoding="utf-8")  # as is: blank lines first

    with pytest.raises(ImportFailed) as failed:
        import_dir(fresh_db, tmp_path / "a")
    assert failed.value.errors == ["customers.csv:6: country: not an assigned country code: 'XX'"]
    with pytest.raises(ImportFailed) as failed:
        import_dir(fresh_db, tmp_path / "b")
    assert failed.value.errors == ["customers.csv:2: missing required column(s): country"]
    assert fresh_db["customers"].count == 0
    (tmp_path / "a" / "customers.csv").write_text("\n\ncustomer_id,name,country\nC1,Ann,DE\n", encoding="utf-8")
    assert import_dir(fresh_db, tmp_path / "a") == {"customers": 1}
    assert fresh_db["customers"].get("C1")["name"] == "Ann"


def test_a_semicolon_separated_file_is_refused_with_a_hint(fresh_db, tmp_path):
    directory = write_files(tmp_path / "in", {}, customers_csv="customer_id;name;country\nC1;Ann;DE\n")

    with pytest.raises(ImportFailed) as failed:
        import_dir(fresh_db, directory)

    assert failed.value.errors == [
        "customers.csv:1: no known columns in the header (customer_id, name, email, phone, country); "
        "the header looks separated by ';', the files are comma-separated"]
    assert fresh_db["customers"].count == 0


def test_codes_a_scanner_could_never_send_and_control_characters_in_text_are_bad_rows(fresh_db, tmp_path):
    import_dir(fresh_db, write_files(tmp_path / "a"))
    before = dump(fresh_db)
    cartons = ("carton_code,order_no,tracking_no,carrier\n" + "C" * 129 + ",SO-1,,UPS\n" + "C" * 128 + ",SO-1,,UPS\n"
               "CTN-\t7,SO-1,1Z\x1b9,UPS\x07\n")
    customers = "customer_id,name,country\nC9,Bob\x00by,DE\nC10,\"Anna\nMaria\",DE\n"

    with pytest.raises(ImportFailed) as failed:
        import_dir(fresh_db, write_files(tmp_path / "b", {}, cartons_csv=cartons, customers_csv=customers))

    assert failed.value.errors == [
        "customers.csv:2: name: control character U+0000 in the text",
        "cartons.csv:2: carton_code: a code is at most 128 characters (as a scan), got 129",
        "cartons.csv:4: carton_code: control character U+0009 in a code; tracking_no: control character U+001B in a "
        "code; carrier: control character U+0007 in the text",
    ]
    assert dump(fresh_db) == before


def test_file_names_match_in_any_case_and_two_spellings_of_one_file_are_an_error(fresh_db, tmp_path):
    upper = tmp_path / "a"
    upper.mkdir()
    (upper / "Customers.CSV").write_text("customer_id,name,country\nC1,Ann,DE\nC2,Bob,XX\n", encoding="utf-8")
    with pytest.raises(ImportFailed) as failed:
        import_dir(fresh_db, upper)
    assert failed.value.errors == ["Customers.CSV:3: country: not an assigned country code: 'XX'"]

    (upper / "Customers.CSV").write_text("customer_id,name,country\nC1,Ann,DE\n", encoding="utf-8")
    assert import_dir(fresh_db, upper) == {"customers": 1}
    assert fresh_db["customers"].get("C1")["name"] == "Ann"

    both = write_files(tmp_path / "b", {}, customers_csv="customer_id,name,country\nC3,Cy,FR\n",
                       Customers_csv="customer_id,name,country\nC4,Di,FR\n")
    with pytest.raises(ImportFailed) as failed:
        import_dir(fresh_db, both)
    assert failed.value.errors == ["customers.csv:1: Customers.csv is here too; keep one of them"]
    assert [r["customer_id"] for r in fresh_db["customers"].rows] == ["C1"]


def test_a_large_import_that_fails_while_writing_leaves_no_row_and_every_report_trigger(fresh_db, monkeypatch):
    import station.data.importer.writing as writing_module

    orders = [dict(order_no=f"SO-{n}", customer_id="C1", placed_at="2026-03-01T08:00:00Z",
                   shipped_at="2026-03-02T08:00:00Z", currency="CNY", status="delivered") for n in range(6000)]
    lines = [dict(order_no=f"SO-{n}", line_no=1, sku="MUG-01", qty=1, unit_price="9.90") for n in range(6000)]
    import_rows(fresh_db, {"customers": [dict(customer_id="C1", name="Li Wei", country="CN")],
                           "products": [dict(sku="MUG-01", name="Mug", price="9.90")]})
    triggers = "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' ORDER BY name"
    before = fresh_db.execute(triggers).fetchall()
    real_write = writing_module._write

    def write_then_fail(db, spec, *args):
        if spec.file == "order_lines":
            raise sqlite3.OperationalError("disk I/O error")  # what a full disk looks like
        return real_write(db, spec, *args)

    monkeypatch.setattr(writing_module, "_write", write_then_fail)
    with pytest.raises(sqlite3.OperationalError):
        import_rows(fresh_db, {"orders": orders, "order_lines": lines})

    assert fresh_db["orders"].count == 0 and fresh_db["order_lines"].count == 0
    assert fresh_db.execute(triggers).fetchall() == before
    assert fresh_db.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert fresh_db["report_state"].get(1)["paused"] == 0


def test_a_bad_value_repeated_down_a_column_of_few_values_is_reported_on_every_row_that_has_it(fresh_db, tmp_path):
    # a column of few distinct values is parsed once per value: each bad row must still be named
    lines = "order_no,line_no,sku,qty,unit_price\n" + "".join(
        f"SO-1,{n},MUG-01,{'two' if n in (3, 7) else 1},19.99\n" for n in range(1, 13))
    directory = write_files(tmp_path / "in", order_lines_csv=lines)

    with pytest.raises(ImportFailed) as failed:
        import_dir(fresh_db, directory)

    assert failed.value.errors == ["order_lines.csv:4: qty: not an integer: 'two'",
                                   "order_lines.csv:8: qty: not an integer: 'two'"]
    assert fresh_db["order_lines"].count == 0


def test_a_column_of_few_values_imports_each_row_with_its_own_value(fresh_db, tmp_path):
    lines = "order_no,line_no,sku,qty,unit_price\n" + "".join(
        f"SO-1,{n},MUG-01,{n % 3 + 1},{'19.99' if n % 2 else '9.5'}\n" for n in range(1, 13))
    import_dir(fresh_db, write_files(tmp_path / "in", order_lines_csv=lines))

    stored = fresh_db.execute("SELECT line_no, qty, unit_price FROM order_lines WHERE order_no = 'SO-1' ORDER BY line_no")
    assert stored.fetchall() == [(n, n % 3 + 1, 19.99 if n % 2 else 9.5) for n in range(1, 13)]
