"""The screens in English and Simplified Chinese: a user's language on their badge, switchable at
sign-in; the JSON API in English whatever the user reads; every marked string translated."""
import importlib.util
import re
from pathlib import Path

import pytest

from station import auth, create_app
from tests.helpers import bench_client, csrf_token, query
from tests.sample import fresh, load_sample

ROOT = Path(__file__).resolve().parent.parent


def _tool():
    spec = importlib.util.spec_from_file_location("translations_tool", ROOT / "scripts" / "translations.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def app(tmp_path):
    path = tmp_path / "station.db"
    db = fresh(path)
    load_sample(db)
    auth.add_user(db, "王芳", "operator", "2468", "ZH-1", language="zh_Hans")
    auth.add_user(db, "Sam Bench", "operator", "1357", "EN-1")
    db.close()
    return create_app({"DATABASE": str(path), "SECRET_KEY": "languages-test", "TESTING": True,
                       "PHOTO_DIR": str(tmp_path / "photos")})


def language_of(app, name):
    return query(app, "SELECT language FROM users WHERE name = ?", [name])[0][0]


def test_an_operator_whose_badge_says_chinese_gets_the_bench_in_chinese(app):
    client = bench_client(app, "ZH-1", "2468", "bench-1")
    html = client.get("/").get_data(as_text=True)
    assert '<html lang="zh-Hans">' in html
    assert "退出登录" in html and "Sign out" not in html
    assert language_of(app, "王芳") == "zh_Hans"


def test_an_operator_with_no_language_set_gets_english(app):
    client = bench_client(app, "EN-1", "1357", "bench-1")
    html = client.get("/").get_data(as_text=True)
    assert '<html lang="en">' in html and "Sign out" in html and "退出登录" not in html


def test_the_pin_step_speaks_the_language_of_the_badge_just_scanned(app):
    client = app.test_client()
    token = csrf_token(client.get("/sign-in"))
    answer = client.post("/sign-in/badge", data={"code": "ZH-1"}, headers={"X-CSRF-Token": token, "HX-Request": "true"})
    assert "请输入 PIN 码" in answer.get_data(as_text=True)


def test_a_language_tapped_at_sign_in_becomes_the_users_own(app):
    client = app.test_client()
    token = csrf_token(client.get("/sign-in"))
    tapped = client.post("/sign-in/language", data={"language": "zh_Hans", "csrf_token": token})
    assert tapped.status_code == 302
    page = client.get("/sign-in").get_data(as_text=True)
    assert "请扫描工牌" in page and 'aria-pressed="true">简体中文' in re.sub(r"\s+", " ", page)
    client.post("/sign-in/badge", data={"code": "EN-1"}, headers={"X-CSRF-Token": token, "HX-Request": "true"})
    assert client.post("/sign-in", data={"pin": "1357", "csrf_token": token}).status_code == 302
    assert "退出登录" in client.get("/").get_data(as_text=True)
    assert language_of(app, "Sam Bench") == "zh_Hans"  # the next sign-in by badge comes in Chinese too


def test_a_language_the_station_does_not_speak_is_refused_and_changes_nothing(app):
    client = app.test_client()
    token = csrf_token(client.get("/sign-in"))
    refused = client.post("/sign-in/language", data={"language": "<b>fr</b>", "csrf_token": token})
    assert refused.status_code == 400
    body = refused.get_data(as_text=True)
    assert "Choose one of the languages shown" in body and "<b>fr" not in body
    client.post("/sign-in/badge", data={"code": "EN-1"}, headers={"X-CSRF-Token": token, "HX-Request": "true"})
    client.post("/sign-in", data={"pin": "1357", "csrf_token": token})
    assert "Sign out" in client.get("/").get_data(as_text=True)
    assert language_of(app, "Sam Bench") == "en"


def test_a_browser_that_asks_for_chinese_gets_the_sign_in_screen_in_chinese(app):
    client = app.test_client()
    html = client.get("/sign-in", headers={"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.5"}).get_data(as_text=True)
    assert '<html lang="zh-Hans">' in html and "请扫描工牌" in html


def test_the_api_answers_in_english_for_a_user_who_reads_chinese(app):
    db_path = app.config["DATABASE"]
    from station.db import connect

    db = connect(db_path)
    token = auth.new_token(db, "王芳")
    db.close()
    answer = app.test_client().get("/api/lookup?code=NOPE-NOPE-1", headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 404
    message = answer.get_json()["error"]["message"]
    assert message.isascii() and message


def test_a_user_added_with_a_language_not_spoken_is_refused(app):
    from station.db import connect
    from station.errors import ServiceError

    db = connect(app.config["DATABASE"])
    try:
        with pytest.raises(ServiceError) as refused:
            auth.add_user(db, "Ana", "operator", "1111", "FR-1", language="fr")
        assert refused.value.extra["field"] == "language"
        assert not db.execute("SELECT 1 FROM users WHERE badge = 'FR-1'").fetchone()
    finally:
        db.close()


def test_every_marked_string_has_a_simplified_chinese_translation_with_the_same_placeholders():
    tool = _tool()
    sources = tool.extracted()
    assert len(sources) > 20
    lacking = tool.missing("zh_Hans", sources)
    assert not lacking, "untranslated (run scripts/translations.py add-missing): " + "; ".join(
        f"{where[0][0]}:{where[0][1]} {key!r}" for key, where in list(lacking.items())[:40])
    assert not tool.placeholder_mismatches("zh_Hans", sources)
    assert not tool.conflicts("zh_Hans")  # one word for one English message on every screen


# --- every screen, crawled in Chinese: no English word left -------------------------------------

SKIP_PATHS = ("/static/", "/api/", "/sign-out", "/healthz", "/bench/events")


@pytest.fixture(scope="module")
def demo_app(tmp_path_factory):
    from station.data.demo import load_demo

    path = tmp_path_factory.mktemp("zh") / "station.db"
    db = fresh(path)
    load_demo(db, seed=7, customers=300, orders=1500)
    auth.add_user(db, "李娜", "admin", "8642", "ZH-ADMIN", language="zh_Hans")
    db.close()
    return create_app({"DATABASE": str(path), "SECRET_KEY": "zh-crawl", "TESTING": True,
                       "PHOTO_DIR": str(path.parent / "photos")})


def data_words(app):
    """Every Latin word the database holds (names, products, reasons, notes): a screen shows
    them as they are, whatever its language."""
    from station.db import connect

    db = connect(app.config["DATABASE"])
    words = set()
    try:
        tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        for table in tables:
            if table.startswith(("sqlite_", "_")) or "fts" in table or "search" in table:
                continue
            for row in db.execute(f'SELECT * FROM "{table}"'):
                for value in row:
                    if isinstance(value, str):
                        words.update(re.findall(r"[A-Za-z][A-Za-z']+", value))
    finally:
        db.close()
    return words


def crawl(client, start, limit=400, per_path=3):
    """[(url, html)] of the station's own HTML pages reachable by links from `start`."""
    from urllib.parse import urljoin, urlsplit

    seen, queue, pages, per = set(), list(start), [], {}
    while queue and len(pages) < limit:
        url = queue.pop(0)
        parts = urlsplit(url)
        if url in seen or parts.netloc or any(parts.path.startswith(p) for p in SKIP_PATHS):
            continue
        seen.add(url)
        per[parts.path] = per.get(parts.path, 0) + 1
        if per[parts.path] > per_path:
            continue
        answer = client.get(url)
        if answer.status_code != 200 or answer.mimetype != "text/html":
            continue
        html = answer.get_data(as_text=True)
        pages.append((url, html))
        for link in re.findall(r'<a\b[^>]*\bhref="([^"#]+)"', html):
            if "download" not in link:
                queue.append(urljoin(url, link.replace("&amp;", "&")))
    return pages


def test_every_screen_a_chinese_admin_opens_shows_no_english_word(demo_app):
    tool = _tool()
    from tests.helpers import screen_as

    screen = screen_as(demo_app, "李娜", "zh-crawl-csrf")
    allowed = data_words(demo_app)
    pages = crawl(screen.client, ["/", "/sign-in?lang=zh_Hans", "/demo/barcodes"])
    assert len(pages) > 20
    left = []
    for url, html in pages:
        if '<html lang="zh-Hans">' not in html:
            left.append(f"{url}: not marked lang=zh-Hans")
        for _line, text in tool.visible_text(html):
            words = tool.english_words(text, allowed)
            if words:
                left.append(f"{url}: {' '.join(words)}  «{text.strip()[:80]}»")
    assert not left, f"{len(left)} English text(s) on Chinese screens:\n" + "\n".join(left[:60])


def test_no_template_holds_text_outside_a_translation():
    problems = _tool().lint_templates()
    assert not problems, f"{len(problems)} untranslated template text(s):\n" + "\n".join(
        f"{name}:{line}: {text[:80]}" for name, line, text in problems[:60])


def test_the_bench_reads_the_rules_sentences_with_its_own_said_filter_and_downstream_codes_with_code_word(app):
    from station.web.bench import wording
    from station.web.downstream import common

    assert app.jinja_env.filters["said"] is wording.said  # a later blueprint's filter of the same name once replaced it
    assert app.jinja_env.filters["code_word"] is common.said_filter
