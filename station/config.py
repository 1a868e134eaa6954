"""Configuration: defaults, then instance/config.json, then STATION_* environment variables.

Both are checked strictly, key by key with the same checkers: a bad value (or an unknown key in
the file) stops start-up with a message naming the variable, or the file and the key.
"""
import difflib
import json
import os
import secrets
from pathlib import Path

DEFAULTS = {
    "DATABASE": "instance/station.db",
    "SECRET_KEY": None,                 # generated into secret_key beside the database on first start
    "SESSION_IDLE_MINUTES": 480,        # a bench sign-in lasts a shift unless signed out
    "PARCEL_QUIET_S": 120,              # a parcel with every expected item decided closes itself after this quiet time
    "PIN_ATTEMPTS": 5,                  # wrong PINs before a badge is locked ...
    "PIN_LOCK_MINUTES": 15,             # ... for this long
    "SCAN_GAP_MS": 50,                  # keyboard wedge: max gap between a scanner's keys
    "SCAN_MIN_LENGTH": 4,               # keyboard wedge: shorter bursts are typing
    "SCAN_PREFIX": "",                  # optional prefix the scanner is programmed to send
    "SCAN_TERMINATOR": "Enter",         # keyboard wedge: key after each code, "Enter" or "Tab" (Enter always ends one)
    "SCAN_GS_SUBSTITUTE": "",           # text a wedge sends for the GS1 group separator, e.g. "~"
    "SCAN_REPEAT_MS": 1000,             # the same code again at one bench within this: a double read, ignored
    "CAMERA_REPEAT_MS": 2000,           # bench camera: a code held in view scans once; again after this out of view
    "LIVE_HEARTBEAT_S": 15,             # bench page event stream: keep-alive comment interval ...
    "LIVE_STREAM_MAX_S": 300,           # ... and lifetime, after which the browser reconnects
    "LIVE_MAX_STREAMS": 320,            # open event streams at most (each holds a server thread)
    "SERVER_THREADS": 352,              # run.py serve: worker threads (a bench's live stream holds one)
    "SERVER_CONNECTIONS": 1000,         # run.py serve: open connections at most (benches, streams, scripts)
    "WEIGHT_TOLERANCE_PCT": 10,         # scale: measured vs expected weight may differ this much ...
    "WEIGHT_TOLERANCE_G": 20,           # ... or this many grams, whichever is more
    "PHOTO_DIR": "",                    # where photos are kept; empty: `photos/` beside the database
    "MAX_CONTENT_LENGTH": 12 * 1024 * 1024,
    "DECODE_MAX_BYTES": 10 * 1024 * 1024,
    "DEMO_SEED": 7,
    "TIMEZONE": "UTC",                  # the site's time zone (IANA name, e.g. Europe/Warsaw): days and hours on screens and reports
    # per workbench (the station cookie's name): its printer, label stock and input devices;
    # see bench_config() for the keys and README "Benches and devices"
    "BENCHES": {},
    "PRINTER_TIMEOUT_MS": 3000,         # connect / send / ~HS answer, per attempt
    "PRINT_RETRY_MAX_S": 60,            # a queued label is retried after 1, 2, 4 ... s, at most this
    "LOG_FORMAT": "text",               # one line per request and per background job: "text" or "json" (JSON lines)
    "LOG_FILE": "",                     # append the log here; empty: stderr
    "BACKUP_DIR": "",                   # scheduled backups go here (run.py serve / worker); empty: none
    "BACKUP_EVERY_HOURS": 24,           # ... one this often ...
    "BACKUP_KEEP": 7,                   # ... and the newest this many are kept (older ones deleted)
}

# What a bench that is not in BENCHES (or leaves a key out) gets.
BENCH_DEFAULTS = {
    "printer": "browser",               # "zpl://host[:9100]", "cups://queue" or "browser"
    "label_size": "4x6",                # "4x6" or "2x1" (inches)
    "dpi": 203,                         # 203 or 300
    "scanner_port": None,               # serial / USB-CDC scanner, e.g. "/dev/ttyACM0"
    "scale_port": None,                 # serial bench scale, e.g. "/dev/ttyUSB0"
    "camera": None,                     # camera index, video file or stream URL
}
LABEL_SIZES = ("4x6", "2x1")
PRINTER_DPIS = (203, 300)


# Lower bounds of the integer keys, from instance/config.json and STATION_* alike (a key not
# listed here takes any integer); 0 would leave these without meaning (no sign-in lasts, every
# connect times out at once, a stream that ends as it starts ...).
MINIMUMS = dict.fromkeys([k for k, v in DEFAULTS.items() if type(v) is int and k != "DEMO_SEED"], 0)
MINIMUMS.update(dict.fromkeys(["SESSION_IDLE_MINUTES", "PIN_ATTEMPTS", "SCAN_MIN_LENGTH", "LIVE_HEARTBEAT_S",
                               "SERVER_THREADS", "SERVER_CONNECTIONS",
                               "LIVE_STREAM_MAX_S", "MAX_CONTENT_LENGTH", "DECODE_MAX_BYTES", "PRINTER_TIMEOUT_MS",
                               "PRINT_RETRY_MAX_S", "BACKUP_EVERY_HOURS", "BACKUP_KEEP"], 1))
SCAN_TERMINATORS = ("Enter", "Tab")
LOG_FORMATS = ("text", "json")


class ConfigError(SystemExit):
    pass


# One checker per kind of value, used for STATION_<KEY> (always text) and for instance/config.json
# (a JSON value; text there is read as the environment variable's text would be). `where` names
# the source in the message: "STATION_PIN_ATTEMPTS" or ".../instance/config.json: PIN_ATTEMPTS".

def _shown(value):
    shown = repr(value) if isinstance(value, str) else json.dumps(value)
    return shown if len(shown) <= 200 else shown[:200] + " ..."


def _boolean(where, value):
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        if value.lower() in ("1", "true", "yes", "on"):
            return True
        if value.lower() in ("0", "false", "no", "off"):
            return False
    raise ConfigError(f"{where}: expected a boolean, got {_shown(value)}")


def _integer(where, value, minimum=None):
    number = None
    if isinstance(value, str):
        try:
            number = int(value)
        except ValueError:
            pass
    elif isinstance(value, int) and not isinstance(value, bool):
        number = value
    if number is None:
        raise ConfigError(f"{where}: expected an integer, got {_shown(value)}")
    if minimum is not None and number < minimum:
        raise ConfigError(f"{where}: expected an integer of at least {minimum}, got {_shown(value)}")
    return number


def _string(where, value, choices=None, optional=False):
    if value is None and optional:
        return None
    if not isinstance(value, str):
        raise ConfigError(f"{where}: expected {'a string or null' if optional else 'a string'}, got {_shown(value)}")
    if choices and value not in choices:
        raise ConfigError(f"{where}: expected {' or '.join(choices)}, got {_shown(value)}")
    return value


def _object(where, value, check=None):
    shown = _shown(value)
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            raise ConfigError(f"{where}: expected a JSON object, got {shown}") from None
    if not isinstance(value, dict):
        raise ConfigError(f"{where}: expected a JSON object, got {shown}")
    return check(value, where) if check else value


def _value(key, where, value):
    """`value` for DEFAULTS[key], checked and converted; a bad one stops start-up naming `where`."""
    default = DEFAULTS[key]
    if key == "SECRET_KEY":
        return _string(where, value, optional=True)
    if key == "SCAN_TERMINATOR":
        return _string(where, value, choices=SCAN_TERMINATORS)
    if key == "LOG_FORMAT":
        return _string(where, value, choices=LOG_FORMATS)
    if key == "TIMEZONE":
        return time_zone(_string(where, value), where)
    if key == "BENCHES":
        return _object(where, value, check=benches)
    if isinstance(default, bool):
        return _boolean(where, value)
    if isinstance(default, dict):
        return _object(where, value)
    if isinstance(default, int):
        return _integer(where, value, MINIMUMS.get(key))
    return _string(where, value)


def time_zone(name, where="TIMEZONE"):
    """An IANA time zone name this machine knows (its tz database), else stop start-up naming it."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"{where}: not a time zone this machine knows: {name!r} (an IANA name such as "
                          "Europe/Warsaw or Asia/Shanghai)") from None
    return name


def _from_file(config_file):
    """instance/config.json's settings, checked like the environment's; {} without the file."""
    try:
        text = config_file.read_text("utf-8")
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise ConfigError(f"{config_file}: cannot read it ({exc.strerror or exc})") from None
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise ConfigError(f"{config_file}: not valid JSON ({exc})") from None
    if not isinstance(data, dict):
        kind = {list: "an array", str: "a string", bool: "true or false", type(None): "null"}.get(type(data), "a number")
        raise ConfigError(f"{config_file}: expected a JSON object of settings, got {kind}")
    settings = {}
    for key, value in data.items():
        if key not in DEFAULTS:
            close = difflib.get_close_matches(key.upper(), DEFAULTS, n=1)
            hint = f" (did you mean {close[0]}?)" if close else " (the keys are in README: Configuration)"
            raise ConfigError(f"{config_file}: {key}: unknown key{hint}")
        settings[key] = _value(key, f"{config_file}: {key}", value)
    return settings


def load(instance_path, overrides=None):
    """DEFAULTS, then instance/config.json, then STATION_<KEY>, then `overrides`.

    The file and the environment are checked key by key with the same checkers (a bad value, or
    an unknown key in the file, stops start-up naming it); `overrides` (create_app's argument,
    used by tests) is taken as it is, apart from the checks on the merged result below."""
    config = dict(DEFAULTS)
    config.update(_from_file(Path(instance_path) / "config.json"))
    for key in DEFAULTS:
        raw = os.environ.get(f"STATION_{key}")
        if raw is not None:
            config[key] = _value(key, f"STATION_{key}", raw)
    config.update(overrides or {})
    _check_scanner_keys(config)
    config["BENCHES"] = benches(config.get("BENCHES"))
    # the database's own folder keeps what belongs to it: a station started with --db /data/site.db
    # keeps its photos and its session secret in /data, not in whichever clone started it
    home = Path(config["DATABASE"]).absolute().parent
    if not config.get("SECRET_KEY"):
        config["SECRET_KEY"] = _instance_secret(home)
    if not config.get("PHOTO_DIR"):
        config["PHOTO_DIR"] = str(home / "photos")
    if config.get("BACKUP_DIR"):  # a relative folder is the database's: backups/ beside site.db
        config["BACKUP_DIR"] = str(home / config["BACKUP_DIR"])
    return config


def benches(raw, source="BENCHES"):
    """BENCHES checked and filled in: {bench: {printer, label_size, dpi, scanner_port, scale_port,
    camera, ...}}. A bad value stops start-up naming it (`source`.bench.key: "BENCHES.bench-2.dpi",
    "STATION_BENCHES.bench-2.dpi"); keys we do not know are kept for drivers."""
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise ConfigError(f"{source}: expected an object of bench name -> settings, got {raw!r}")
    out = {}
    for name, spec in raw.items():
        where = f"{source}.{name}"
        if not isinstance(spec, dict):
            raise ConfigError(f"{where}: expected an object, got {spec!r}")
        bench = dict(BENCH_DEFAULTS)
        bench.update(spec)
        printer = bench["printer"]
        if not isinstance(printer, str) or not printer_url_ok(printer):
            raise ConfigError(f"{where}.printer: expected zpl://host[:port], cups://queue or browser, got {printer!r}")
        if bench["label_size"] not in LABEL_SIZES:
            raise ConfigError(f"{where}.label_size: expected one of {', '.join(LABEL_SIZES)}, got {bench['label_size']!r}")
        if bench["dpi"] not in PRINTER_DPIS or isinstance(bench["dpi"], bool):
            raise ConfigError(f"{where}.dpi: expected 203 or 300, got {bench['dpi']!r}")
        for key in ("scanner_port", "scale_port"):
            if bench[key] is not None and not (isinstance(bench[key], str) and bench[key]):
                raise ConfigError(f"{where}.{key}: expected a device path or null, got {bench[key]!r}")
        camera = bench["camera"]
        if camera is not None and (isinstance(camera, bool) or not isinstance(camera, (int, str))):
            raise ConfigError(f"{where}.camera: expected a camera index, file or URL, got {camera!r}")
        out[str(name)] = bench
    return out


def printer_url_ok(url):
    from urllib.parse import urlsplit

    if url == "browser":
        return True
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return False
    if parts.scheme == "zpl":
        return bool(parts.hostname) and (port is None or 0 < port < 65536) and parts.path in ("", "/")
    if parts.scheme == "cups":
        return bool(parts.netloc) and "/" not in parts.netloc and not parts.path.strip("/")
    return False


def bench_config(config, bench):
    """The settings of `bench` (the defaults for a bench not in BENCHES)."""
    return dict(config.get("BENCHES", {}).get(bench) or BENCH_DEFAULTS)


def _check_scanner_keys(config):
    """The scanner and scale settings the bench page and the drivers rely on."""
    if config["LOG_FORMAT"] not in LOG_FORMATS:
        raise ConfigError(f"LOG_FORMAT: expected text or json, got {config['LOG_FORMAT']!r}")
    if config["SCAN_TERMINATOR"] not in SCAN_TERMINATORS:
        raise ConfigError(f"SCAN_TERMINATOR: expected Enter or Tab, got {config['SCAN_TERMINATOR']!r}")
    for key in ("SCAN_REPEAT_MS", "CAMERA_REPEAT_MS", "LIVE_HEARTBEAT_S", "LIVE_STREAM_MAX_S", "LIVE_MAX_STREAMS",
                "WEIGHT_TOLERANCE_PCT", "WEIGHT_TOLERANCE_G"):
        value = config[key]
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
            raise ConfigError(f"{key}: expected a number of at least 0, got {value!r}")


def _instance_secret(instance_path):
    """A per-install secret, made once, so sign-ins survive a restart."""
    path = instance_path / "secret_key"
    if not path.exists():
        instance_path.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()
