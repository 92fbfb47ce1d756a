"""Indexes on the received mirror that serve the dashboard's grouped reads (covering indexes).

They belong to the invoices table but are created here, so that the dashboard app brings what
it reads: plain CREATE INDEX statements (SQLite and PostgreSQL), dropped when unapplied. The
model state of `invoices` does not change (makemigrations sees nothing).
"""

from django.db import migrations

TABLE = "invoices_receivedinvoice"
INDEXES = {
    # Invoices paid in a period: delays per structure and per month (dashboard.selectors._delays).
    "dash_paid": (
        "clock_state",
        "clock_stop",
        "connection_id",
        "recipient_code",
        "service_code",
        "clock_paid_in",
        "clock_days_late",
        "recipient_name",
    ),
    # Invoices received in a period: volumes per month, top suppliers (net amounts).
    "dash_deposit": (
        "deposit_date",
        "connection_id",
        "recipient_code",
        "service_code",
        "invoice_type",
        "total_incl_tax",
        "supplier_code",
    ),
    # Invoices in progress by status and age, per structure and service (the backlog).
    "dash_backlog": (
        "connection_id",
        "status",
        "deposit_date",
        "recipient_code",
        "service_code",
        "recipient_name",
        "service_name",
    ),
    # The names of the top suppliers.
    "dash_supplier": ("supplier_code", "connection_id", "supplier_name"),
    # Suspensions and rejections whose status was set in a period.
    "dash_reasons": ("status", "status_changed_at", "connection_id", "service_code", "recipient_code", "deposit_date"),
}


#: Suspensions observed in a period (the timeline of the received invoices).
EVENT_TABLE = "invoices_invoiceevent"
EVENT_INDEXES = {"dash_event_status": ("status", "occurred_at", "invoice_id")}


def _create(name: str, columns: tuple[str, ...], table: str = TABLE) -> str:
    return f"CREATE INDEX IF NOT EXISTS {name} ON {table} ({', '.join(columns)})"


class Migration(migrations.Migration):
    dependencies = [("invoices", "0007_sort_indexes")]

    operations = [
        migrations.RunSQL(sql=_create(name, columns), reverse_sql=f"DROP INDEX IF EXISTS {name}")
        for name, columns in INDEXES.items()
    ] + [
        migrations.RunSQL(sql=_create(name, columns, EVENT_TABLE), reverse_sql=f"DROP INDEX IF EXISTS {name}")
        for name, columns in EVENT_INDEXES.items()
    ]
