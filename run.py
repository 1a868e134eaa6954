"""Returns Station command line: serve, worker, import, mapping, user, token, demo, backup, restore (see README)."""
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"  # made by scripts/install.sh: the station's packages, apart from the system's Python
REENTERED = "RETURNS_STATION_REENTERED"  # set for the one re-execution into VENV, so there is never a second


def venv_python(venv, prefix, environ):
    """The interpreter to run this command with instead of the current one, or None to go on here.

    The venv's `bin/python` when it exists and this interpreter is not the venv's (its `sys.prefix`,
    resolved, is another directory), unless this process already is the re-execution (`REENTERED`
    in its environment): a venv whose python does not start as that venv then runs once as it is
    instead of re-executing forever. No venv: None (the packages may be installed another way)."""
    python = Path(venv) / "bin" / "python"
    if REENTERED in environ or not python.exists():
        return None
    if Path(prefix).resolve() == Path(venv).resolve():
        return None
    return python


def reenter_venv():
    """`python3 run.py ...` with any interpreter runs in the project's venv: this process becomes the
    venv's python with the same arguments (os.execv keeps the pid, so signals and pid files still
    work). Called before anything else is imported."""
    python = venv_python(VENV, sys.prefix, os.environ)
    if os.environ.pop(REENTERED, None) is not None and Path(sys.prefix).resolve() != VENV.resolve():
        print(f"run.py: {VENV}/bin/python did not start in {VENV}; going on with {sys.executable} "
              "(run `sh scripts/install.sh` to rebuild the venv)", file=sys.stderr)
    if python is None:
        if VENV.is_dir() and not (VENV / "bin" / "python").exists():
            print(f"run.py: {VENV} has no working bin/python; going on with {sys.executable} "
                  "(run `sh scripts/install.sh` to rebuild the venv)", file=sys.stderr)
        return
    # the interpreter's own options too (-u, -X ...): sys.orig_argv is the command line as typed
    args = sys.orig_argv[1:] if getattr(sys, "orig_argv", None) else [sys.argv[0], *sys.argv[1:]]
    os.environ[REENTERED] = str(python)
    try:
        os.execv(python, [str(python), *args])
    except OSError as exc:  # a venv that cannot start: say so, go on with this interpreter
        os.environ.pop(REENTERED, None)
        print(f"run.py: cannot run {python} ({exc.strerror or exc}); going on with {sys.executable} "
              "(run `sh scripts/install.sh` to rebuild the venv)", file=sys.stderr)


if __name__ == "__main__":
    reenter_venv()

import argparse  # noqa: E402
import gc  # noqa: E402
import sqlite3  # noqa: E402

DEFAULT_DB = "instance/station.db"


class CliError(Exception):
    """A message for the person at the terminal: printed as `error: ...`, exit status 1."""


def open_db(path):
    from station import db as db_module

    try:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        db_module.migrate(path)
        return db_module.connect(path)
    except (sqlite3.Error, OSError) as exc:
        raise CliError(f"cannot open the database {path}: {exc}") from None


def load_demo(db, quiet=False):
    """Demo orders and the demo users (only those whose badge is free)."""
    from station import auth
    from station.data import demo
    from station.data.demo.tables import DEMO_USERS
    from station.errors import ServiceError

    summary = demo.load_demo(db)
    for user in DEMO_USERS:
        try:
            auth.add_user(db, user["name"], user["role"], user["pin"], user["badge"], user.get("language"))
        except ServiceError:
            pass  # already there
    if not quiet:
        print("demo data loaded:", ", ".join(f"{k} {v}" for k, v in summary.items() if isinstance(v, int)), file=sys.stderr)
        for user in DEMO_USERS:
            print(f"  {user['role']:<10} badge {user['badge']}  PIN {user['pin']}", file=sys.stderr)
    return summary


# `run.py serve`: threads left for requests when LIVE_MAX_STREAMS pages hold a stream each
REQUEST_THREADS_MIN = 8


def cmd_serve(args):
    from waitress.server import create_server

    from station import create_app
    from station import db as db_module
    from station.data.backup import BackupError, hold_serving_lock

    open_db(args.db).close()  # an unusable path is a clear error here
    try:  # held while this process lives: `run.py restore` refuses meanwhile
        serving = hold_serving_lock(args.db)  # noqa: F841
    except BackupError as exc:
        raise CliError(str(exc)) from None
    app = create_app({"DATABASE": args.db})
    threads, streams = app.config["SERVER_THREADS"], app.config["LIVE_MAX_STREAMS"]
    if threads - streams < REQUEST_THREADS_MIN:  # each open live stream holds a thread for its page
        raise CliError(f"SERVER_THREADS is {threads} and LIVE_MAX_STREAMS {streams}: that leaves {threads - streams} "
                       f"thread(s) for the benches' scans while every stream is open, at least "
                       f"{REQUEST_THREADS_MIN} are needed; raise SERVER_THREADS or lower LIVE_MAX_STREAMS")
    try:  # bind first: a taken port is one clear line at once, not a traceback after the demo load
        # waitress: a production WSGI server in pure Python, threads for the benches' requests
        # poll() instead of select(): select() breaks once a socket number passes 1023, which a
        # large site's benches, their live streams and the print queue reach
        server = create_server(app, host=args.host, port=args.port, threads=app.config["SERVER_THREADS"],
                               connection_limit=app.config["SERVER_CONNECTIONS"], asyncore_use_poll=True,
                               ident="returns-station")
    except (OSError, ValueError) as exc:
        raise CliError(f"cannot listen on {args.host}:{args.port}: {getattr(exc, 'strerror', None) or exc}") from None
    db = open_db(args.db)
    try:
        has_orders = db.execute("SELECT count(*) FROM orders").fetchone()[0] > 0
        if not has_orders and not args.no_demo:
            print("empty database: loading the demo data set ...", file=sys.stderr)
            load_demo(db)
    finally:
        db.close()

    db_module.warm_cache(app.config["DATABASE"])  # the first parcels of the day as fast as the rest
    start_background(app)
    from station.devices import live

    live.start_devices(app)  # reader threads for the benches' serial scanners, scales and cameras
    # Everything loaded so far lives as long as the server: keep it out of the garbage
    # collector's full passes, which otherwise show up as the slowest scans (p99).
    gc.collect()
    gc.freeze()

    print(f"Returns Station on http://{args.host}:{args.port}/ (database {args.db})", file=sys.stderr)
    server.run()  # waitress ends its loop quietly on Ctrl-C
    return 0


def start_background(app):
    """The work that runs beside the requests, once per database: webhooks, decided parcels
    closing themselves, labels to the benches' printers, scheduled backups."""
    from station.data import webhooks
    from station.devices import print_queue
    from station.intake import finishing

    webhooks.start_dispatcher(app.config["DATABASE"])  # pushes the event feed to subscribers
    finishing.start_closer(app.config["DATABASE"], app.config["PARCEL_QUIET_S"])  # decided parcels close themselves
    print_queue.start_worker(app.config["DATABASE"], timeout=app.config["PRINTER_TIMEOUT_MS"] / 1000,
                             retry_max_s=app.config["PRINT_RETRY_MAX_S"])  # labels to the benches' printers
    if app.config["BACKUP_DIR"]:  # scheduled backups with retention
        from station.data import backup

        backup.start_schedule(app.config["DATABASE"], app.config["BACKUP_DIR"], app.config["BACKUP_EVERY_HOURS"],
                              app.config["BACKUP_KEEP"])


def cmd_worker(args):
    """The background work for a multi-process server (gunicorn station.wsgi:app), in one process."""
    import signal
    import threading

    from station import create_app
    from station.data.backup import BackupError, hold_serving_lock

    open_db(args.db).close()
    try:  # one worker per database, and `run.py restore` refuses while it runs
        serving = hold_serving_lock(args.db)  # noqa: F841
    except BackupError as exc:
        raise CliError(str(exc).replace("another server", "another server or worker")) from None
    app = create_app({"DATABASE": args.db})
    start_background(app)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    print(f"Returns Station worker for {args.db}: print queue, webhooks, parcels closing themselves", file=sys.stderr)
    try:
        while not stop.wait(1.0):
            pass
    except KeyboardInterrupt:
        pass
    return 0


def refused(failed):
    """An import that wrote nothing: stderr holds only the FILE:LINE: reason lines, for scripts;
    the summary on stdout is for people. Exit status 1."""
    for error in failed.errors:
        print(error, file=sys.stderr)
    print(f"nothing imported: {len(failed.errors)} bad row(s)")
    return 1


def cmd_import(args):
    from station.data import importer
    from station.data.importer.reading import ImportFailed

    if args.format:
        return cmd_import_file(args)
    directory = Path(args.dir)
    if not directory.is_dir():
        print(f"{directory}: not a directory", file=sys.stderr)
        return 1
    for name in importer.import_files(directory)[1]:
        print(f"{name}: not an import file name, ignored", file=sys.stderr)
    db = open_db(args.db)
    try:
        counts = importer.import_dir(db, directory, progress=sys.stderr.isatty())
    except ImportFailed as failed:
        return refused(failed)
    finally:
        db.close()
    print("imported: " + ", ".join(f"{name} {n}" for name, n in counts.items()), file=sys.stderr)
    return 0


def cmd_import_file(args):
    """One marketplace or ERP file read with a preset or a saved mapping (--format NAME)."""
    from station.data import marketplace
    from station.data.importer.reading import ImportFailed
    from station.errors import ServiceError

    path = Path(args.dir)
    if not path.is_file():
        print(f"{path}: not a file", file=sys.stderr)
        return 1
    try:
        data = path.read_bytes()
    except OSError as exc:
        print(f"{path.name}:1: cannot be read ({exc.strerror or exc})", file=sys.stderr)
        return 1
    db = open_db(args.db)
    try:
        result = marketplace.import_file(db, path.name, data, args.format)
    except ImportFailed as failed:
        return refused(failed)
    except ServiceError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 1
    finally:
        db.close()
    counts = ", ".join(f"{name} {n}" for name, n in result["tables"].items()) or "nothing new"
    print(f"imported {path.name} as {result['format']}: {counts}", file=sys.stderr)
    if result["unmapped"]:
        print(f"return reason codes without a mapping (see Reason mappings): {', '.join(result['unmapped'])}",
              file=sys.stderr)
    return 0


def cmd_mapping(args):
    """Saved column mappings for `import FILE --format NAME`: list, save, delete."""
    from station.data.marketplace import mappings
    from station.data.marketplace.presets import PRESETS
    from station.errors import ServiceError

    db = open_db(args.db)
    try:
        if args.mapping_command == "list":
            for preset in PRESETS.values():
                print(f"{preset['name']}\t{preset['target']}\tpreset\t{preset['title']}")
            for saved in mappings.saved(db):
                print(f"{saved['name']}\t{saved['target']}\tsaved\t{saved['updated_at']}")
            return 0
        if args.mapping_command == "delete":
            mappings.delete(db, args.name)
            return 0
        columns, options = {}, {}
        for pairs, into in ((args.column or [], columns), (args.option or [], options)):
            for pair in pairs:
                key, sep, value = pair.partition("=")
                if not sep:
                    raise ServiceError("bad_request", f"{pair!r}: write field=value")
                into.setdefault(key.strip(), []).append(value) if into is columns else into.update({key.strip(): value})
        mappings.save(db, args.name, args.target, columns, options, "cli")
        print(f"saved mapping {args.name}", file=sys.stderr)
        return 0
    except ServiceError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 1
    finally:
        db.close()


def cmd_user_add(args):
    from station import auth
    from station.errors import ServiceError

    db = open_db(args.db)
    try:
        user = auth.add_user(db, args.name, args.role, args.pin, args.badge, args.language)
    except ServiceError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 1
    finally:
        db.close()
    print(f"user {user['name']} ({user['role']}) added, badge {user['badge']}", file=sys.stderr)
    return 0


def cmd_token(args):
    from station import auth
    from station.errors import ServiceError

    if not Path(args.db).is_file():  # a typo in --db makes no new, empty database
        raise CliError(f"no database at {args.db} (users come from `python run.py user add`)")
    db = open_db(args.db)
    try:
        token = auth.new_token(db, args.user.strip())
    except ServiceError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 1
    finally:
        db.close()
    print(token)  # the only thing on stdout
    return 0


def cmd_demo(args):
    """Load the demo data set into a database without orders (see README: Command line).

    Loaded already: nothing changes (the bench's work on it is kept), exit 0. Orders that are
    not the demo's: refused, exit 1, so a real warehouse's data never gets made-up orders mixed in.
    """
    from station.data.demo.tables import DEMO_EXAMPLES

    db = open_db(args.db)
    try:
        orders = db.execute("SELECT count(*) FROM orders").fetchone()[0]
        if orders and db.execute("SELECT 1 FROM orders WHERE order_no = ?", [DEMO_EXAMPLES["order_no"]]).fetchone():
            print(f"the demo data set is already loaded in {args.db} ({orders} orders): nothing changed", file=sys.stderr)
            return 0
        if orders:
            raise CliError(f"{args.db} already holds {orders} orders: the demo data set loads only into a "
                           "database without orders (use a new --db)")
        load_demo(db)
    finally:
        db.close()
    return 0


def cmd_backup(args):
    """An online, integrity-checked copy of the database."""
    from station.data.backup import BackupError, backup

    try:
        orders = backup(args.db, args.path)
    except BackupError as exc:
        raise CliError(str(exc)) from None
    print(f"backup of {args.db} written to {args.path} ({orders} orders), integrity checked", file=sys.stderr)
    return 0


def cmd_restore(args):
    """A checked backup back in place of the database, never under a running server."""
    from station.data.backup import BackupError, restore

    try:
        orders = restore(args.path, args.db)
    except BackupError as exc:
        raise CliError(str(exc)) from None
    print(f"{args.db} restored from {args.path} ({orders} orders), integrity checked", file=sys.stderr)
    return 0


def port(text):
    """A TCP port for --port: 1 to 65535 (argparse turns the ValueError into a usage error)."""
    number = int(text)
    if not 0 < number < 65536:
        raise ValueError(text)
    return number


port.__name__ = "port"  # argparse names the type in its message: "invalid port value: '99999'"


def parser():
    from station.roles import ROLES

    p = argparse.ArgumentParser(prog="run.py", description="Returns Station")
    sub = p.add_subparsers(dest="command")

    serve = sub.add_parser("serve", help="serve the station (default)")
    serve.add_argument("--db", default=DEFAULT_DB)
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=port, default=5000)
    serve.add_argument("--no-demo", action="store_true", help="do not load demo data into an empty database")
    serve.set_defaults(func=cmd_serve)

    imp = sub.add_parser("import", help="import the CSV files in DIR, or one FILE --format NAME (one transaction)")
    imp.add_argument("dir", metavar="DIR|FILE")
    imp.add_argument("--format", help="a preset (amazon-orders, amazon-returns, amazon-fba-returns, amazon-removals, "
                                      "ebay-orders, shopify-orders) or a saved mapping's name")
    imp.add_argument("--db", default=DEFAULT_DB)
    imp.set_defaults(func=cmd_import)

    mapping = sub.add_parser("mapping", help="saved column mappings for import --format")
    mapping_sub = mapping.add_subparsers(dest="mapping_command", required=True)
    listing = mapping_sub.add_parser("list", help="the presets and the saved mappings")
    listing.add_argument("--db", default=DEFAULT_DB)
    save = mapping_sub.add_parser("save", help="save (or replace) a mapping")
    save.add_argument("name")
    save.add_argument("--target", required=True, choices=["orders", "returns", "fba_returns", "removals"])
    save.add_argument("--column", action="append", metavar="FIELD=HEADER",
                      help="the file's column for a field; repeat a field to give fallbacks")
    save.add_argument("--option", action="append", metavar="KEY=VALUE", help="channel, dates, currency, default_status")
    save.add_argument("--db", default=DEFAULT_DB)
    drop = mapping_sub.add_parser("delete", help="delete a saved mapping")
    drop.add_argument("name")
    drop.add_argument("--db", default=DEFAULT_DB)
    for command in (listing, save, drop):
        command.set_defaults(func=cmd_mapping)

    user = sub.add_parser("user", help="manage users")
    user_sub = user.add_subparsers(dest="user_command", required=True)
    add = user_sub.add_parser("add", help="create a user")
    add.add_argument("--name", required=True)
    add.add_argument("--role", required=True, choices=list(ROLES))
    add.add_argument("--pin", required=True)
    add.add_argument("--badge", required=True)
    add.add_argument("--language", default="en", help="the screens' language for this user: en or zh_Hans")
    add.add_argument("--db", default=DEFAULT_DB)
    add.set_defaults(func=cmd_user_add)

    token = sub.add_parser("token", help="print a new API token for a user")
    token.add_argument("--user", required=True)
    token.add_argument("--db", default=DEFAULT_DB)
    token.set_defaults(func=cmd_token)

    demo = sub.add_parser("demo", help="load the demo data set")
    demo.add_argument("--db", default=DEFAULT_DB)
    demo.set_defaults(func=cmd_demo)

    worker = sub.add_parser("worker", help="the background work for a multi-process server (gunicorn station.wsgi:app)")
    worker.add_argument("--db", default=DEFAULT_DB)
    worker.set_defaults(func=cmd_worker)

    back = sub.add_parser("backup", help="an online, integrity-checked copy of the database")
    back.add_argument("path")
    back.add_argument("--db", default=DEFAULT_DB)
    back.set_defaults(func=cmd_backup)

    rest = sub.add_parser("restore", help="put a backup in place of the database (not while a server uses it)")
    rest.add_argument("path")
    rest.add_argument("--db", default=DEFAULT_DB)
    rest.set_defaults(func=cmd_restore)
    return p


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0].startswith("-") and argv[0] not in ("-h", "--help"):
        argv = ["serve"] + argv  # `python run.py [--db ...]` serves
    args = parser().parse_args(argv)
    try:
        return args.func(args)
    except CliError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except sqlite3.Error as exc:  # a database that broke underneath (disk full, locked too long, ...)
        print(f"error: database {getattr(args, 'db', '')}: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    sys.exit(main())
