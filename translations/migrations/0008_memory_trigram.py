"""Trigram indexes for translation-memory suggestions (PostgreSQL only).

``translations.memory`` finds the sources near a segment's source with
pg_trgm's ``%`` operator; without these GIN indexes every suggestion would
compute the similarity of every segment of the allowed projects (about 2 s
at 180 000 segments). Built concurrently, so a deployment does not hold
every save of a segment or an imported pair for the length of the build.
SQLite needs nothing: there the memory is a bounded scan in Python.
"""

from django.db import migrations

INDEXES = {
    "segment_source_trgm": ("translations_segment", "source_text gin_trgm_ops"),
    "memory_entry_source_trgm": ("translations_memoryentry", "source_text gin_trgm_ops"),
}


def create_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, (table, expression) in INDEXES.items():
        schema_editor.execute(f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {name} ON {table} USING gin ({expression})")
    for table in {table for table, _ in INDEXES.values()}:
        schema_editor.execute(f"ANALYZE {table}")


def drop_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {name}")


class Migration(migrations.Migration):
    atomic = False  # CREATE INDEX CONCURRENTLY cannot run in a transaction

    dependencies = [
        ("translations", "0007_project_shares_memory"),
    ]

    operations = [
        migrations.RunPython(create_indexes, drop_indexes, elidable=False),
    ]
