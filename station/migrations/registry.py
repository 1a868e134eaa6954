"""The one list of migrations; each numbered module adds itself to it on import."""
from sqlite_utils.migrations import Migrations

migrations = Migrations("station")
