"""Everything that reads the warehouse: settings, engine, migrations, queries, cache.

Imports nothing from Dash or Flask, so the ETL, the tests and the benchmarks use it directly.
"""
