"""The landing zone: payment-provider daily file drops -> bronze tables in the raw dataset.

The second source family of the platform, beside the replicated marketplace database. A payment
provider writes three CSV files a day into ``LANDING_DIR`` (events, transactions, settlement);
their contracts are declared once in ``landing/streams/<stream>.yml`` (contract.py). The bronze
load (bronze.py) reads each new or re-delivered file with PyArrow, rejects what cannot be a row
(parse.py, one reason per line), and commits rows, rejects and a manifest row in one transaction
(tables.py, manifest.py), so every file content is loaded exactly once. docs/landing-zone.md
describes the contracts, reason codes and supersede rules; `marketplace-elt landing` runs it.
"""
