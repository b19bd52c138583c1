"""Writes of many rows in one statement, for the hot paths where Django's own bulk_update
(a CASE expression per field, built in Python) costs more than the database work."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import connection, models


def rows_update(
    rows: Sequence[models.Model], fields: Sequence[str], *, batch_size: int = 1000
) -> None:
    """Saves `fields` of every row in one UPDATE … FROM a list of values, keyed by primary key.

    The values go through each field's own conversion for the database (JSON, dates…), and
    each is cast to the column's type, so a first NULL does not decide a column's type.
    """
    if not rows:
        return
    if len(rows) > batch_size:
        # Keeps each statement's parameters well under the databases' limits.
        for start in range(0, len(rows), batch_size):
            rows_update(rows[start : start + batch_size], fields, batch_size=batch_size)
        return
    model = type(rows[0])
    meta = model._meta
    table = connection.ops.quote_name(meta.db_table)
    pk = meta.pk
    assert pk is not None
    columns: list[models.Field[Any, Any]] = [pk]
    columns += [meta.get_field(name) for name in fields]  # type: ignore[misc]
    names = [connection.ops.quote_name(column.column or column.name) for column in columns]
    casts = [f"CAST(%s AS {column.db_type(connection)})" for column in columns]
    values = ", ".join(f"({', '.join(casts)})" for _ in rows)
    params: list[Any] = [
        column.get_db_prep_save(getattr(row, column.attname), connection)
        for row in rows
        for column in columns
    ]
    assignments = ", ".join(f"{name} = v.{name}" for name in names[1:])
    # Only quoted names from the model and placeholders go into the text; values are parameters.
    head = f"WITH v ({', '.join(names)}) AS (VALUES {values}) "
    sql = head + f"UPDATE {table} SET {assignments} FROM v WHERE {table}.{names[0]} = v.{names[0]}"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
