"""Schema, only through numbered migrations. Never edit an applied one: add the next module.

Each `mNNNN_name.py` registers itself on `registry.migrations` when imported; every such module
of this package is imported here in number order, which is the order sqlite-utils applies them
in, so a new migration is one new file.
"""
import importlib
import pkgutil

from station.migrations.registry import migrations

for _module in sorted(m.name for m in pkgutil.iter_modules(__path__) if m.name[:1] == "m" and m.name[1:5].isdigit()):
    importlib.import_module(f"{__name__}.{_module}")

from station.migrations.m0004_report_timings import REBUILD_REPORTS  # noqa: E402

__all__ = ["migrations", "apply", "REBUILD_REPORTS"]


def apply(db):
    migrations.apply(db)
