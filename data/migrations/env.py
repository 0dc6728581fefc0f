"""Run migrations on the engine that `data.migrate` hands over, under an advisory lock."""
from alembic import context
from sqlalchemy import text

MIGRATION_LOCK = 7_320_001  # any constant; shared by every process that migrates

engine = context.config.attributes["engine"]

with engine.connect() as connection:
    connection.execute(text("SELECT pg_advisory_lock(:k)"), {"k": MIGRATION_LOCK})
    try:
        context.configure(connection=connection, version_table_schema="public")
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()
    finally:
        connection.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": MIGRATION_LOCK})
        connection.commit()
