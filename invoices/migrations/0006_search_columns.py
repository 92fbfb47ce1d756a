"""Folded search columns of the received mirror, filled, and indexed by trigrams; row fingerprints.

PostgreSQL: the pg_trgm extension and GIN trigram indexes on both columns (they serve
`LIKE '%word%'`). SQLite: an FTS5 table with the trigram tokenizer over both columns, whose
content is the mirror table itself, kept up to date by triggers.
"""

from django.db import migrations, models

TABLE = "invoices_receivedinvoice"
FTS = "invoices_receivedinvoice_fts"

SQLITE_FORWARD = [
    f"CREATE VIRTUAL TABLE {FTS} USING fts5(supplier_search, search_text, content='{TABLE}', "
    "content_rowid='id', tokenize='trigram')",
    f"CREATE TRIGGER {FTS}_insert AFTER INSERT ON {TABLE} BEGIN "
    f"INSERT INTO {FTS}(rowid, supplier_search, search_text) VALUES (new.id, new.supplier_search, new.search_text); "
    "END",
    f"CREATE TRIGGER {FTS}_delete AFTER DELETE ON {TABLE} BEGIN "
    f"INSERT INTO {FTS}({FTS}, rowid, supplier_search, search_text) "
    "VALUES ('delete', old.id, old.supplier_search, old.search_text); "
    "END",
    f"CREATE TRIGGER {FTS}_update AFTER UPDATE OF supplier_search, search_text ON {TABLE} "
    "WHEN old.supplier_search IS NOT new.supplier_search OR old.search_text IS NOT new.search_text BEGIN "
    f"INSERT INTO {FTS}({FTS}, rowid, supplier_search, search_text) "
    "VALUES ('delete', old.id, old.supplier_search, old.search_text); "
    f"INSERT INTO {FTS}(rowid, supplier_search, search_text) VALUES (new.id, new.supplier_search, new.search_text); "
    "END",
    f"INSERT INTO {FTS}({FTS}) VALUES ('rebuild')",
]
SQLITE_BACKWARD = [
    f"DROP TRIGGER IF EXISTS {FTS}_insert",
    f"DROP TRIGGER IF EXISTS {FTS}_delete",
    f"DROP TRIGGER IF EXISTS {FTS}_update",
    f"DROP TABLE IF EXISTS {FTS}",
]
POSTGRES_FORWARD = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    f"CREATE INDEX IF NOT EXISTS ri_supplier_trgm ON {TABLE} USING gin (supplier_search gin_trgm_ops)",
    f"CREATE INDEX IF NOT EXISTS ri_search_trgm ON {TABLE} USING gin (search_text gin_trgm_ops)",
]
POSTGRES_BACKWARD = ["DROP INDEX IF EXISTS ri_supplier_trgm", "DROP INDEX IF EXISTS ri_search_trgm"]


def fill(apps, schema_editor):
    from invoices.models import search_columns

    Invoice = apps.get_model("invoices", "ReceivedInvoice")
    fields = ["id", "invoice_number", "invoice_id", "supplier_name", "supplier_code", "service_code"]
    fields += ["service_name", "purchase_order_number", "contract_number"]
    batch = []
    for values in Invoice.objects.order_by("pk").values(*fields).iterator(chunk_size=2000):
        supplier, text = search_columns(values)
        batch.append(Invoice(pk=values["id"], supplier_search=supplier, search_text=text))
        if len(batch) == 2000:
            Invoice.objects.bulk_update(batch, ["supplier_search", "search_text"])
            batch = []
    Invoice.objects.bulk_update(batch, ["supplier_search", "search_text"])


def indexes(apps, schema_editor):
    statements = {"sqlite": SQLITE_FORWARD, "postgresql": POSTGRES_FORWARD}.get(schema_editor.connection.vendor, [])
    for sql in statements:
        schema_editor.execute(sql)


def drop_indexes(apps, schema_editor):
    statements = {"sqlite": SQLITE_BACKWARD, "postgresql": POSTGRES_BACKWARD}.get(schema_editor.connection.vendor, [])
    for sql in statements:
        schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [
        ("invoices", "0005_interest_rates"),
    ]

    operations = [
        migrations.AddField(
            model_name="receivedinvoice",
            name="search_text",
            field=models.TextField(blank=True, default="", verbose_name="texte de recherche"),
        ),
        migrations.AddField(
            model_name="receivedinvoice",
            name="supplier_search",
            field=models.CharField(blank=True, default="", max_length=300, verbose_name="fournisseur (recherche)"),
        ),
        migrations.AddField(
            model_name="receivedinvoice",
            name="fingerprint",
            field=models.CharField(blank=True, default="", max_length=32, verbose_name="empreinte de la ligne reçue"),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
        migrations.RunPython(indexes, drop_indexes),
    ]
