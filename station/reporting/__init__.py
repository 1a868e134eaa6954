"""Supervisor reports: return rates, bench performance, queues, value, returners, purchasing.

Each module is plain functions over the database answering {"rows": [...]} (and a summary
where a page needs one); the aggregates they read are kept by migration 0003_reports.
"""
