"""The ledger refuses changes in the database itself, not only in the model (as the audit log, core 0002).

PostgreSQL refuses UPDATE and DELETE of a line (TRUNCATE stays possible: a deliberate act of the database owner,
and how the test suite empties tables). SQLite refuses UPDATE; it cannot tell a test flush from any other
DELETE, so there the model alone refuses deletion."""

from django.db import migrations

POSTGRES = [
    """
    CREATE OR REPLACE FUNCTION payments_ledgerentry_append_only() RETURNS trigger AS $$
    BEGIN
        RAISE EXCEPTION 'ledger entries are append-only';
    END;
    $$ LANGUAGE plpgsql;
    """,
    """
    CREATE TRIGGER payments_ledgerentry_no_update BEFORE UPDATE OR DELETE ON payments_ledgerentry
    FOR EACH ROW EXECUTE FUNCTION payments_ledgerentry_append_only();
    """,
]
POSTGRES_REVERSE = [
    "DROP TRIGGER IF EXISTS payments_ledgerentry_no_update ON payments_ledgerentry;",
    "DROP FUNCTION IF EXISTS payments_ledgerentry_append_only();",
]
SQLITE = [
    """
    CREATE TRIGGER payments_ledgerentry_no_update BEFORE UPDATE ON payments_ledgerentry
    BEGIN SELECT RAISE(ABORT, 'ledger entries are append-only'); END;
    """,
]
SQLITE_REVERSE = ["DROP TRIGGER IF EXISTS payments_ledgerentry_no_update;"]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        for statement in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("payments", "0001_initial")]

    operations = [
        migrations.RunPython(
            _run({"postgresql": POSTGRES, "sqlite": SQLITE}),
            _run({"postgresql": POSTGRES_REVERSE, "sqlite": SQLITE_REVERSE}),
        )
    ]
