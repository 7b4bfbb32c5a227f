"""Trigram indexes for the audit trail's text filter (PostgreSQL only).

``q`` filters with ``icontains`` on the reason and the summary, which Django
writes as ``UPPER(column::text) LIKE UPPER('%word%')``: no b-tree can serve
it, so without these a word that is rare in the trail reads every event the
user may see. pg_trgm's GIN indexes on exactly those expressions answer it
from the index (and give the planner statistics on them). Built
concurrently: the audit trail takes a row with every change, and a plain
CREATE INDEX would hold every write for the length of the build. SQLite
needs nothing.
"""

from django.db import migrations

INDEXES = {
    "audit_reason_trgm": "UPPER(reason::text) gin_trgm_ops",
    "audit_summary_trgm": "UPPER(summary::text) gin_trgm_ops",
}


def create_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, expression in INDEXES.items():
        schema_editor.execute(
            f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {name} ON reviews_auditevent USING gin ({expression})"
        )
    schema_editor.execute("ANALYZE reviews_auditevent")


def drop_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {name}")


class Migration(migrations.Migration):
    atomic = False  # CREATE INDEX CONCURRENTLY cannot run in a transaction

    dependencies = [
        ("reviews", "0003_audit_trail"),
    ]

    operations = [
        migrations.RunPython(create_indexes, drop_indexes, elidable=False),
    ]
