"""Full-text indexes over SearchEntry: an FTS5 external-content table kept by triggers on SQLite; a weighted
tsvector column kept by a trigger, with GIN indexes, unaccent and pg_trgm on PostgreSQL."""

from django.db import migrations

SQLITE_FORWARD = [
    """CREATE VIRTUAL TABLE catalogue_searchentry_fts USING fts5(
        title_folded, english_folded, body_folded,
        content='catalogue_searchentry', content_rowid='id', tokenize='unicode61 remove_diacritics 2')""",
    """CREATE TRIGGER catalogue_searchentry_ai AFTER INSERT ON catalogue_searchentry BEGIN
        INSERT INTO catalogue_searchentry_fts(rowid, title_folded, english_folded, body_folded)
        VALUES (new.id, new.title_folded, new.english_folded, new.body_folded); END""",
    """CREATE TRIGGER catalogue_searchentry_ad AFTER DELETE ON catalogue_searchentry BEGIN
        INSERT INTO catalogue_searchentry_fts(catalogue_searchentry_fts, rowid, title_folded, english_folded,
        body_folded) VALUES ('delete', old.id, old.title_folded, old.english_folded, old.body_folded); END""",
    """CREATE TRIGGER catalogue_searchentry_au AFTER UPDATE ON catalogue_searchentry BEGIN
        INSERT INTO catalogue_searchentry_fts(catalogue_searchentry_fts, rowid, title_folded, english_folded,
        body_folded) VALUES ('delete', old.id, old.title_folded, old.english_folded, old.body_folded);
        INSERT INTO catalogue_searchentry_fts(rowid, title_folded, english_folded, body_folded)
        VALUES (new.id, new.title_folded, new.english_folded, new.body_folded); END""",
]
SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS catalogue_searchentry_au",
    "DROP TRIGGER IF EXISTS catalogue_searchentry_ad",
    "DROP TRIGGER IF EXISTS catalogue_searchentry_ai",
    "DROP TABLE IF EXISTS catalogue_searchentry_fts",
]

POSTGRES_FORWARD = [
    "CREATE EXTENSION IF NOT EXISTS unaccent",
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "ALTER TABLE catalogue_searchentry ADD COLUMN document tsvector",
    """CREATE FUNCTION catalogue_searchentry_document() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        NEW.document :=
            setweight(to_tsvector('simple', unaccent(NEW.title_folded)), 'A') ||
            setweight(to_tsvector('simple', unaccent(NEW.english_folded)), 'B') ||
            setweight(to_tsvector('simple', unaccent(NEW.body_folded)), 'C');
        RETURN NEW;
    END $$""",
    """CREATE TRIGGER catalogue_searchentry_document BEFORE INSERT OR UPDATE OF title_folded, english_folded,
        body_folded ON catalogue_searchentry FOR EACH ROW EXECUTE FUNCTION catalogue_searchentry_document()""",
    "CREATE INDEX catalogue_searchentry_document_gin ON catalogue_searchentry USING gin (document)",
    "CREATE INDEX catalogue_searchterm_trgm ON catalogue_searchterm USING gin (term gin_trgm_ops)",
]
POSTGRES_BACKWARD = [
    "DROP INDEX IF EXISTS catalogue_searchterm_trgm",
    "DROP TRIGGER IF EXISTS catalogue_searchentry_document ON catalogue_searchentry",
    "DROP FUNCTION IF EXISTS catalogue_searchentry_document()",
    "ALTER TABLE catalogue_searchentry DROP COLUMN IF EXISTS document",
]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        for statement in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("catalogue", "0001_initial")]

    operations = [
        migrations.RunPython(
            _run({"sqlite": SQLITE_FORWARD, "postgresql": POSTGRES_FORWARD}),
            _run({"sqlite": SQLITE_BACKWARD, "postgresql": POSTGRES_BACKWARD}),
        )
    ]
