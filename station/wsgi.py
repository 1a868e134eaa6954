"""The WSGI entry point for a production server that runs several processes (gunicorn, uWSGI):

    STATION_DATABASE=/data/site.db gunicorn -k gthread -w 4 --threads 8 -b 127.0.0.1:5000 station.wsgi:app
    python run.py worker --db /data/site.db        # once, beside it: the background work

Each server process only answers requests. The background work — labels to the benches'
printers (print queue), webhooks, decided parcels closing themselves — runs once, in the process
`run.py worker` starts; it all goes through the database, so any process may enqueue it. Serial
scanners, scales and cameras need `run.py serve` (one process): their scans reach the bench page
through that process's memory. See README "Deployment".
"""
from station import create_app
from station import db as db_module

app = create_app()  # settings from instance/config.json and STATION_* (STATION_DATABASE, STATION_SECRET_KEY, ...)
db_module.warm_cache(app.config["DATABASE"])
