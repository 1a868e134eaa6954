"""Supervisor reports (kept importable here; the reports live in station/reporting/)."""
from .reporting.rates import return_rates, return_rates_direct  # noqa: F401
from .reporting.tables import to_csv  # noqa: F401
