"""The views the bench times, each with what it must render, computed from the data itself.

The expected counts come from plain queries of the mirror (and, for accent-blind searches,
from Python's own text folding of the distinct supplier names), never from the code under
measure.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from urllib.parse import urlencode

from django.utils import timezone

from bench.views import HTMX, Case, Expect

PER_PAGE = 50
#: Query budgets: constant whatever the data size (asserted by tests/bench too). A filtered
#: list reads 14 (the menu count is then its own query; each clock filter is counted up to the
#: count bound on its own); a keyset page that the rows with a sort value do not fill reads the
#: rows without one in one more (PostgreSQL sorts NULLs last where SQLite sorts them first): 15
#: at most.
LIST_QUERIES = 15
DETAIL_QUERIES = 20
ADMIN_QUERIES = 12


def fold(text: str) -> str:
    """Lower case without accents (Python's reference for what a search must forgive)."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _url(path: str, **params) -> str:
    return f"{path}?{urlencode(params)}" if params else path


def _page_rows(count: int, page: int = 1) -> int:
    return max(0, min(PER_PAGE, count - (page - 1) * PER_PAGE))


SEARCHED = (
    "invoice_number",
    "invoice_id",
    "supplier_name",
    "supplier_code",
    "service_code",
    "service_name",
    "purchase_order_number",
    "contract_number",
)


def search_box_matches(qs, term: str) -> list[int]:
    """The invoices whose searched fields hold every word of `term`, folded by Python itself.

    The candidates are read by the database (`icontains`, blind to case only) and, for the
    accents it does not forgive, by the distinct supplier and service names Python folds.
    """
    from django.db.models import Q

    words = fold(term).replace("-", " ").split()
    longest = max(words, key=len)
    candidates = Q()
    for name in SEARCHED:
        candidates |= Q(**{f"{name}__icontains": longest})
    for name in ("supplier_name", "service_name"):
        values = qs.order_by().values_list(name, flat=True).distinct()
        candidates |= Q(**{f"{name}__in": [v for v in values if longest in fold(v)]})
    found = []
    for row in qs.filter(candidates).values("pk", *SEARCHED):
        text = " ".join(fold(str(row[n])) for n in SEARCHED)
        text = "".join(c if c.isalnum() else " " for c in text)
        if all(w in text for w in words):
            found.append(row["pk"])
    return found


def received_cases(*, include_search: bool = True) -> list[Case]:
    from django.db.models import Count, Q

    from invoices.models import ReceivedInvoice
    from invoices.selectors import TABS_BY_SLUG

    qs = ReceivedInvoice.objects.all()
    default = TABS_BY_SLUG["a-traiter"].statuses
    paid = TABS_BY_SLUG["payees"].statuses

    def lst(count_qs) -> Callable:
        def expect():
            n = count_qs.count()
            return Expect(count=n, rows=_page_rows(n), max_queries=LIST_QUERIES)

        return expect

    by_name = dict(qs.order_by().values_list("supplier_name").annotate(n=Count("id")))
    biggest = max(by_name, key=by_name.get) if by_name else ""
    siret = qs.filter(supplier_name=biggest).values_list("supplier_code", flat=True).first() or "0"
    newest = qs.order_by("-deposit_date").values_list("deposit_date", flat=True).first()
    month = (newest - timedelta(days=400), newest - timedelta(days=370)) if newest else (None, None)
    paid_count = qs.filter(status__in=paid).count()
    today = timezone.localdate()
    last_page = max(1, -(-paid_count // PER_PAGE))
    total = qs.count()
    amounts = qs.order_by("total_incl_tax").values_list("total_incl_tax", flat=True)
    low, high = (amounts[total // 2], amounts[total // 2 + max(1, total // 100)]) if total > 2 else (0, 0)

    def names_matching(term: str) -> list[str]:
        words = fold(term).split()
        return [name for name in by_name if all(w in fold(name) for w in words)]

    cases = [
        Case("Default tab (À traiter), full page", "/factures/", lst(qs.filter(status__in=default))),
        Case(
            "Default tab, htmx partial",
            "/factures/",
            lst(qs.filter(status__in=default)),
            headers=HTMX,
        ),
        Case("All invoices, full page", _url("/factures/", onglet="toutes"), lst(qs)),
        Case("All invoices, htmx partial", _url("/factures/", onglet="toutes"), lst(qs), headers=HTMX),
        Case(
            "Supplier name matching many rows",
            _url("/factures/", onglet="toutes", fournisseur="Librairie"),
            lst(qs.filter(supplier_name__in=names_matching("Librairie"))),
            headers=HTMX,
        ),
        Case(
            "SIRET digits",
            _url("/factures/", onglet="toutes", fournisseur=siret[:9]),
            lst(qs.filter(supplier_code__contains=siret[:9])),
            headers=HTMX,
        ),
        Case(
            "Amount range",
            _url("/factures/", onglet="toutes", montant_min=str(low), montant_max=str(high)),
            lst(qs.filter(total_incl_tax__gte=low, total_incl_tax__lte=high)),
            headers=HTMX,
        ),
        Case(
            "Date range within a tab (Payées, 30 days)",
            _url("/factures/", onglet="payees", depot_du=str(month[0]), depot_au=str(month[1])),
            lst(qs.filter(status__in=paid, deposit_date__gte=month[0], deposit_date__lte=month[1])),
            headers=HTMX,
        ),
        Case(
            "Sorted by amount (all)",
            _url("/factures/", onglet="toutes", tri="-ttc"),
            lst(qs),
            headers=HTMX,
        ),
        Case(
            "Sorted by due date (all), full page",
            _url("/factures/", onglet="toutes", tri="echeance"),
            lst(qs),
        ),
        Case(
            "En retard (all tabs), full page",
            _url("/factures/", onglet="toutes", delai="retard"),
            lst(qs.filter(clock_state="running", clock_due__lt=today)),
        ),
        Case(
            f"Last page of a tab (Payées, page {last_page:,})",
            _url("/factures/", onglet="payees", page="fin"),
            lambda: Expect(paid_count, min(PER_PAGE, paid_count), LIST_QUERIES),
            headers=HTMX,
        ),
    ]
    sample = qs.order_by("invoice_id").values("invoice_number", "total_incl_tax")[total // 3 : total // 3 + 1]
    sample = sample[0] if total else {"invoice_number": "-", "total_incl_tax": Decimal(0)}
    number, amount = sample["invoice_number"], sample["total_incl_tax"] or Decimal(0)
    if include_search:
        cases[5:5] = [
            Case(
                "Supplier, lower case unaccented (batir)",
                _url("/factures/", onglet="toutes", fournisseur="batir"),
                lst(qs.filter(supplier_name__in=names_matching("batir"))),
                headers=HTMX,
            ),
            Case(
                "Search box: an invoice number",
                _url("/factures/", onglet="toutes", q=number),
                lst(qs.filter(pk__in=search_box_matches(qs, number))),
                headers=HTMX,
            ),
            Case(
                "Search box: an amount (1 234,56 typed the French way)",
                _url("/factures/", onglet="toutes", q=f"{amount:,.2f}".replace(",", " ").replace(".", ",")),
                lst(qs.filter(Q(total_incl_tax=amount) | Q(total_excl_tax=amount) | Q(amount_due=amount))),
                headers=HTMX,
            ),
            Case(
                "Search box: supplier, lower case unaccented (batir)",
                _url("/factures/", onglet="toutes", q="batir"),
                lst(qs.filter(pk__in=search_box_matches(qs, "batir"))),
                headers=HTMX,
            ),
            Case(
                "Search box: SIRET digits",
                _url("/factures/", onglet="toutes", q=siret),
                lst(
                    qs.filter(
                        Q(pk__in=search_box_matches(qs, siret))
                        | Q(total_incl_tax=Decimal(siret))
                        | Q(total_excl_tax=Decimal(siret))
                        | Q(total_incl_tax=-Decimal(siret))
                    )
                ),
                headers=HTMX,
            ),
            Case(
                "Supplier, words in any order (mercier librairie)",
                _url("/factures/", onglet="toutes", fournisseur="mercier librairie"),
                lst(qs.filter(supplier_name__in=names_matching("mercier librairie"))),
                headers=HTMX,
            ),
        ]
    invoice = qs.order_by("-deposit_date", "-invoice_id").first()
    if invoice is not None:
        cases.append(
            Case(
                "Detail page",
                f"/factures/{invoice.pk}/",
                lambda: Expect(1, 1, DETAIL_QUERIES, kind="detail", contains=invoice.invoice_number),
                group="detail",
            )
        )
    cases.append(
        Case(
            "Django admin changelist of the mirror",
            "/admin/invoices/receivedinvoice/",
            lambda: Expect(qs.count(), min(100, qs.count()), ADMIN_QUERIES, kind="admin"),
            client="admin",
            group="admin",
        )
    )
    return cases


def validation_cases() -> list[Case]:
    from validators.models import QueueState, ValidationInvoice

    qs = ValidationInvoice.objects.filter(state=QueueState.AWAITING)
    if not ValidationInvoice.objects.exists():
        return []

    def expect():
        n = qs.count()
        return Expect(count=n, rows=_page_rows(n), max_queries=LIST_QUERIES)

    return [Case("Validator queue (À valider)", "/validation/", expect, client="validator")]
