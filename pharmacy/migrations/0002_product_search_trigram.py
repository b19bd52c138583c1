"""On PostgreSQL, a trigram GIN index serves the catalog search (LIKE '%term%' on the search
field). Other databases (the embedded SQLite default) search without it."""

from django.db import migrations


def _create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    schema_editor.execute(
        "CREATE INDEX IF NOT EXISTS pharmacy_product_search_trgm "
        "ON pharmacy_product USING gin (search_text gin_trgm_ops)"
    )


def _drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("DROP INDEX IF EXISTS pharmacy_product_search_trgm")


class Migration(migrations.Migration):
    dependencies = [("pharmacy", "0001_catalog_cart_orders")]

    operations = [migrations.RunPython(_create, _drop)]
