"""Returns Station: the Flask application factory."""
from datetime import timedelta
from pathlib import Path

from flask import Flask

from station import config as config_module
from station import db as db_module

ROOT = Path(__file__).resolve().parent.parent


def create_app(config=None):
    """Build the app from defaults, instance/config.json, STATION_* env vars, then `config`."""
    app = Flask(
        __name__,
        instance_path=str(ROOT / "instance"),
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    app.config.update(config_module.load(app.instance_path, config))
    app.config["DATABASE"] = str(Path(app.config["DATABASE"]).absolute())
    # Flask's own default is None (no SameSite), which a setdefault would keep: a bench session's
    # cookie is not sent with requests from other sites
    if not app.config.get("SESSION_COOKIE_SAMESITE"):
        app.config["SESSION_COOKIE_SAMESITE"] = "Lax"
    app.permanent_session_lifetime = timedelta(minutes=app.config["SESSION_IDLE_MINUTES"])
    # the cookie is sent when the session changed only (its expiry moves on with "seen", at most a
    # minute old): an answer that changed nothing must not put back an older cookie (security.py)
    app.config["SESSION_REFRESH_EACH_REQUEST"] = False
    Path(app.config["DATABASE"]).parent.mkdir(parents=True, exist_ok=True)

    db_module.migrate(app.config["DATABASE"])
    db_module.init_app(app)

    from station import web

    @app.get("/healthz")
    def healthz():
        """Liveness for monitoring; also the bare route the lookup benchmark compares against."""
        return "ok"

    web.init_app(app)
    return app
