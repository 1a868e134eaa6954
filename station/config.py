"""Configuration: defaults, then instance/config.json, then STATION_* environment variables.

Environment values are parsed strictly: a bad value stops start-up with a message naming it.
"""
import json
import os
import secrets
from pathlib import Path

DEFAULTS = {
    "DATABASE": "instance/station.db",
    "SECRET_KEY": None,                 # generated into instance/secret_key on first start
    "SESSION_IDLE_MINUTES": 480,        # a bench sign-in lasts a shift unless signed out
    "PIN_ATTEMPTS": 5,                  # wrong PINs before a badge is locked ...
    "PIN_LOCK_MINUTES": 15,             # ... for this long
    "SCAN_GAP_MS": 50,                  # keyboard wedge: max gap between a scanner's keys
    "SCAN_MIN_LENGTH": 4,               # keyboard wedge: shorter bursts are typing
    "SCAN_PREFIX": "",                  # optional prefix the scanner is programmed to send
    "PHOTO_DIR": "instance/photos",
    "MAX_CONTENT_LENGTH": 12 * 1024 * 1024,
    "DECODE_MAX_BYTES": 10 * 1024 * 1024,
    "DEMO_SEED": 7,
}


class ConfigError(SystemExit):
    pass


def _parse(key, raw, default):
    if isinstance(default, bool):
        if raw.lower() in ("1", "true", "yes", "on"):
            return True
        if raw.lower() in ("0", "false", "no", "off"):
            return False
        raise ConfigError(f"STATION_{key}: expected a boolean, got {raw!r}")
    if isinstance(default, int):
        try:
            return int(raw)
        except ValueError:
            raise ConfigError(f"STATION_{key}: expected an integer, got {raw!r}") from None
    return raw


def load(instance_path, overrides=None):
    config = dict(DEFAULTS)
    config_file = Path(instance_path) / "config.json"
    if config_file.exists():
        try:
            config.update(json.loads(config_file.read_text("utf-8")))
        except ValueError as exc:
            raise ConfigError(f"{config_file}: not valid JSON ({exc})") from None
    for key, default in DEFAULTS.items():
        raw = os.environ.get(f"STATION_{key}")
        if raw is not None:
            config[key] = _parse(key, raw, default)
    config.update(overrides or {})
    if not config.get("SECRET_KEY"):
        config["SECRET_KEY"] = _instance_secret(Path(instance_path))
    return config


def _instance_secret(instance_path):
    """A per-install secret, made once, so sign-ins survive a restart."""
    path = instance_path / "secret_key"
    if not path.exists():
        instance_path.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()
