"""Everything that writes the warehouse: extract, validate, load, rollups, demo data, CLI.

Imports nothing from Dash or Flask.
"""
