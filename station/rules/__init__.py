"""The rules as pure functions: plain data in, plain data out; no database, no Flask.

classify.py: what a scanned code is; recommend.py: where a returned item should go;
refund.py: what each returned item earns back. The services in intake/ and downstream/
gather the facts, call these, and store the outcome.
"""
