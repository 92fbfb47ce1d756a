"""Search that forgives the way people type: case, accents, punctuation and word order.

Every mirror stores, next to what it shows, the same text *folded* (lower case, accents and
punctuation removed): `fold("Bâtir-Ensemble SAS")` is `"batir ensemble sas"`. A search folds
its words the same way and asks for rows whose folded text contains every word, in any order.
Folding is done once, in Python, when a row is written; so it is the same on SQLite and on
PostgreSQL, and the database only has to find substrings:

- on PostgreSQL, through trigram indexes (`pg_trgm`, GIN) on the folded columns, which serve
  `LIKE '%word%'` for words of three characters or more;
- on SQLite, through an FTS5 table with the trigram tokenizer over the same folded columns,
  kept up to date by triggers, which serves the same substring searches.

Words shorter than three characters cannot use a trigram index: they only narrow the rows the
longer words found (or, alone, test the rows one by one).
"""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal, InvalidOperation

from django.core.signals import request_started
from django.db import connection as db
from django.db.models import Q
from django.db.models.expressions import RawSQL
from django.dispatch import receiver

_NOT_WORD = re.compile(r"[^0-9a-z]+")
#: The shortest word a trigram index can find.
TRIGRAM = 3


def fold(*parts: object) -> str:
    """Lower case, without accents or punctuation, words separated by one space."""
    text = " ".join(str(p) for p in parts if p not in (None, ""))
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    plain = plain.replace("œ", "oe").replace("æ", "ae").replace("ß", "ss")
    return _NOT_WORD.sub(" ", plain).strip()


def words(term: str) -> list[str]:
    """The distinct folded words of a search, longest first (the most selective first)."""
    found = dict.fromkeys(fold(term).split())
    return sorted(found, key=len, reverse=True)


def parse_amount(term: str) -> Decimal | None:
    """An amount typed the French or the English way (`1 234,50`, `1234.50`, `1 234 €`), else None."""
    text = term.strip().replace("€", "").replace("\u00a0", "").replace("\u202f", "").replace(" ", "")
    if not re.fullmatch(r"-?\d+(?:[.,]\d{1,2})?", text):
        return None
    try:
        return Decimal(text.replace(",", "."))
    except InvalidOperation:
        return None


def fts_query(column: str | None, found: list[str]) -> str:
    """An FTS5 MATCH expression: every word (three characters or more) as a quoted phrase."""
    phrases = " AND ".join(f'"{w}"' for w in found if len(w) >= TRIGRAM)
    if not phrases:
        return ""
    return f"{{{column}}} : ({phrases})" if column else phrases


#: Above this many rows found by the FTS5 table, a search is "broad": see `_matches_many`.
#: The list's count bound (chorusweb.workspace.COUNT_BOUND): below it the view is counted and
#: totalled exactly, which the FTS5 table serves best.
BROAD = 10_000


def _matches_many(fts_table: str, match: str) -> bool:
    """Does the search find more than BROAD rows? (one bounded read of the FTS5 index)

    A narrow search is best served by the FTS5 table: its few rows, then the page. A broad one
    ("librairie" in a mirror of a few large suppliers) would make the database collect and sort
    every row found before the first page; without the FTS5 condition it reads the list's own
    index in the page's order and tests each row, stopping after one page: a few rows read for
    each one shown.
    """
    key = (fts_table, match)
    if key not in _broad:
        sql = f"SELECT count(*) FROM (SELECT rowid FROM {fts_table} WHERE {fts_table} MATCH %s LIMIT %s)"  # noqa: S608
        with db.cursor() as cursor:
            cursor.execute(sql, [match, BROAD + 1])
            _broad[key] = cursor.fetchone()[0] > BROAD
    return _broad[key]


#: What `_matches_many` found, for the request being served (a page asks it for each of its
#: queries): forgotten when the next request starts. It only chooses the faster way to the
#: same rows.
_broad: dict[tuple[str, str], bool] = {}


@receiver(request_started, dispatch_uid="chorusweb-search-broad")
def _forget_broad(**kwargs) -> None:
    _broad.clear()


def contains_all(*, column: str, fts_table: str | None, fts_column: str, term: str) -> Q | None:
    """Rows whose folded `column` contains every word of `term`, in any order (None: no word).

    On SQLite, the words of three characters or more are first looked up in the FTS5 table
    `fts_table` (rowid = the row's primary key, trigram tokenizer) unless they find more than
    BROAD rows; every word is also tested on the column itself: cheap on the few rows found,
    and the rule for shorter words. On PostgreSQL, the trigram index of the column serves the
    `LIKE` tests directly.
    """
    found = words(term)
    if not found:
        return None
    condition = Q()
    if db.vendor == "sqlite" and fts_table:
        match = fts_query(fts_column, found)
        if match and not _matches_many(fts_table, match):
            # The table name is a constant of the caller; the search is a parameter.
            sql = f"SELECT rowid FROM {fts_table} WHERE {fts_table} MATCH %s"  # noqa: S608
            condition &= Q(pk__in=RawSQL(sql, [match]))  # noqa: S611
    for word in found:
        condition &= Q(**{f"{column}__contains": word})
    return condition
