"""Invoice lines and the totals derived from them (EN 16931 rounding rules)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

CENT = Decimal("0.01")


def money(value: Decimal | str | int | float) -> Decimal:
    """Round to the cent, half up."""
    return Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class VatLine:
    rate: Decimal
    base: Decimal
    amount: Decimal


@dataclass(frozen=True)
class Totals:
    net: Decimal
    vat: Decimal
    gross: Decimal
    vat_lines: tuple[VatLine, ...]


def make_line(
    *,
    number: int,
    reference: str,
    label: str,
    quantity: Decimal,
    unit: str,
    unit_price: Decimal,
    rate: Decimal,
) -> dict[str, Any]:
    """One invoice line as stored in `Invoice.lines` (amounts as strings)."""
    net = money(quantity * unit_price)
    return {
        "numero": number,
        "reference": reference,
        "denomination": label,
        "quantite": str(quantity),
        "unite": unit,
        "prixUnitaireHT": str(money(unit_price)),
        "tauxTva": str(rate),
        "montantHT": str(net),
        "montantTva": str(money(net * rate / 100)),
    }


def compute_totals(lines: list[dict[str, Any]]) -> Totals:
    """Net total, VAT per rate (computed on each rate's base, BR-CO-17) and gross total."""
    bases: dict[Decimal, Decimal] = {}
    for line in lines:
        rate = Decimal(line["tauxTva"])
        bases[rate] = bases.get(rate, Decimal("0")) + Decimal(line["montantHT"])
    vat_lines = tuple(
        VatLine(rate=rate, base=money(base), amount=money(base * rate / 100))
        for rate, base in sorted(bases.items(), reverse=True)
    )
    net = money(sum((v.base for v in vat_lines), Decimal("0")))
    vat = money(sum((v.amount for v in vat_lines), Decimal("0")))
    return Totals(net=net, vat=vat, gross=net + vat, vat_lines=vat_lines)


STANDARD_RATES = (Decimal("20"), Decimal("10"), Decimal("8.5"), Decimal("5.5"), Decimal("2.1"), Decimal("0"))


def infer_rate(*, net: Decimal, vat: Decimal) -> Decimal | None:
    """The standard French VAT rate that turns `net` into `vat`, or None."""
    for rate in STANDARD_RATES:
        if money(net * rate / 100) == vat:
            return rate
    return None


def single_line(*, net: Decimal, rate: Decimal, label: str) -> list[dict[str, Any]]:
    """A single line reproducing given totals (for `soumettre`, whose body has only totals)."""
    return [
        make_line(
            number=1,
            reference="SAISIE",
            label=label,
            quantity=Decimal("1"),
            unit="C62",
            unit_price=net,
            rate=rate,
        )
    ]
