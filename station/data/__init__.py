"""Data in and out: the CSV import, the demo data set, CSV exports, webhook delivery."""
