"""The ledger: what the product writes (cases, gate passes, monthly submissions, staff).

One SQLite file in the data directory, apart from the reference layers so that a
QGIS edit session and the app never fight over one lock.  Every change goes
through :mod:`gis.ledger.db`, which keeps the audit trail.
"""
