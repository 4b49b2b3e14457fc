"""Writing many rows in one statement, on PostgreSQL and SQLite alike (for the status sync, `sync.py`).

On PostgreSQL the rows travel as arrays bound on the server in binary (`unnest(%b::…[])`): a few parameters per
statement rather than thirteen thousand, and a thousand timestamps as one binary array rather than text that Django's
client-side binding would build and PostgreSQL parse. On SQLite they travel as a `VALUES` list.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.db import connection

CHUNK = 1000


PG_TYPES = {
    "id": "bigint",
    "int": "bigint",
    "small": "smallint",
    "text": "text",
    "time": "timestamptz",
    "json": "jsonb",
}


def adapt(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return connection.ops.adapt_datetimefield_value(value)
    return value


def rows_source(columns: Sequence[tuple[str, str]], rows: Sequence[Sequence[Any]]) -> tuple[str, list[Any]]:
    """A FROM item `v` holding `rows` with the named, typed `columns` (kind: id, int, small, text, time, json)."""
    names = ", ".join(name for name, _kind in columns)
    if connection.vendor == "postgresql":
        arrays = ", ".join(f"%s::{'text' if kind == 'json' else PG_TYPES[kind]}[]" for _name, kind in columns)
        return f"unnest({arrays}) AS v({names})", [list(column) for column in zip(*rows, strict=True)]
    row_sql = "(" + ", ".join(["%s"] * len(columns)) + ")"
    params = [adapt(value) for row in rows for value in row]
    return f"(WITH v({names}) AS (VALUES {', '.join([row_sql] * len(rows))}) SELECT * FROM v) AS v", params


def execute(sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
    """Run one statement in the current transaction; returns its rows (if any). On PostgreSQL the parameters
    are bound on the server in binary (a thousand timestamps as one binary array cost a fraction of the text that
    Django's client-side binding would send and PostgreSQL would parse)."""
    if connection.vendor == "postgresql":
        import psycopg

        connection.ensure_connection()
        with connection.wrap_database_errors, psycopg.Cursor(connection.connection) as cursor:
            cursor.execute(sql.replace("%s", "%b"), params, binary=True)
            return cursor.fetchall() if cursor.description else []
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall() if cursor.description else []


def json_value(column: str) -> str:
    return f"v.{column}::jsonb" if connection.vendor == "postgresql" else f"v.{column}"


def update(
    table: str, columns: Sequence[tuple[str, str]], sets: str, rows: Sequence[Sequence[Any]], where: str = ""
) -> None:
    """UPDATE `table` (aliased `d`) from `rows` (`v`, first column `id`), in chunks, in id order."""
    rows = sorted(rows, key=lambda row: row[0])
    for start in range(0, len(rows), CHUNK):
        source, params = rows_source(columns, rows[start : start + CHUNK])
        execute(f"UPDATE {table} AS d SET {sets} FROM {source} WHERE d.id = v.id {where}", params)
