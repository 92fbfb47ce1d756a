"""Bench data shaped like synced data, written by the sync's own code path.

Each invoice starts as an upstream search row (the keys of `rechercher-destinataire`, ~1 KB of
JSON like the real answers), is read by the gateway's own reader, and is stored by the sync's
own writer (`upsert_received_rows`); the queue counters are then rebuilt as a full sync does at
its end (`stats_rebuild`). A successful sync run is recorded so that the list never starts a
first-visit sync, and the bench connection points to a closed local port: the bench never
reaches a server it did not start (see `no_outside_http`).
"""

from __future__ import annotations

import contextlib
import itertools
import random
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

#: The bench's own users.
USER, ADMIN, VALIDATOR = "bench", "bench-admin", "bench-valideur"
#: Marker stored on the bench connection: the scale its data was generated for.
CONNECTION_NAME = "Bench"
#: Nothing listens there: a request that escaped the guard would fail at once.
CLOSED_URL = "http://127.0.0.1:9/sandbox"

TRADES = [
    "Librairie",
    "Boulangerie",
    "Garage",
    "Bâtiment",
    "Électricité",
    "Plomberie",
    "Imprimerie",
    "Transports",
    "Nettoyage",
    "Informatique",
    "Restauration",
    "Espaces verts",
    "Menuiserie",
    "Quincaillerie",
    "Géomètres",
    "Fournitures scolaires",
    "Chauffage",
    "Sécurité",
    "Traiteur",
    "Élagage",
]
FAMILIES = [
    "Mercier",
    "Lefèvre",
    "Dupré",
    "Béranger",
    "Châtelain",
    "Noël",
    "Moreau",
    "Fontaine",
    "Rousseau",
    "Girard",
    "Bonnet",
    "François",
    "Lemaître",
    "Périer",
    "Gaudin",
    "Hébert",
    "Lacôte",
    "Benoît",
    "Marchand",
    "Séguin",
]
FORMS = ["SAS", "SARL", "EURL", "SA", ""]
SERVICES = [
    ("SE_FINANCES", "Service des finances"),
    ("SE_ECOLES", "Service des écoles"),
    ("SE_VOIRIE", "Voirie et réseaux"),
    ("SE_RH", "Ressources humaines"),
    ("SE_CULTURE", "Culture et médiathèque"),
    ("SE_SPORTS", "Équipements sportifs"),
    ("SE_TECH", "Services techniques"),
    ("SE_CCAS", "Centre communal d'action sociale"),
    ("SE_URBA", "Urbanisme"),
    ("SE_ETAT_CIVIL", "État civil"),
    ("SE_PETITE_ENFANCE", "Petite enfance"),
    ("SE_BATIMENTS", "Bâtiments communaux"),
]
#: Status mix of a buyer with years of history: most invoices paid long ago.
STATUS_WEIGHTS = {
    "MISE_EN_PAIEMENT": 70,
    "COMPTABILISEE": 8,
    "MANDATEE": 5,
    "MISE_A_DISPOSITION_COMPTABLE": 2,
    "SERVICE_FAIT": 5,
    "MISE_A_DISPOSITION": 3,
    "COMPLETEE": 1,
    "SUSPENDUE": 2,
    "A_RECYCLER": 1,
    "REJETEE": 3,
}
FIRST_ID = 10_000_000
PAGE = 1000


@dataclass(frozen=True)
class Supplier:
    name: str
    siret: str


def suppliers(rng: random.Random) -> list[Supplier]:
    """About 2,000 suppliers, with accents, several words, a few sharing a trade or a family."""
    found = [Supplier("Bâtir Ensemble", "44306184100047"), Supplier("Librairie Mercier", "41234567800012")]
    for trade in TRADES:
        for family in FAMILIES:
            for form in rng.sample(FORMS, 5):
                name = f"{trade} {family} {form}".strip()
                found.append(Supplier(name, f"{rng.randint(10**13, 10**14 - 1)}"))
    return found


def weights(count: int) -> list[float]:
    """Zipf-like: a few suppliers have tens of thousands of invoices, most have a few dozen."""
    return [1 / (rank + 1) ** 0.9 for rank in range(count)]


def upstream_row(rng: random.Random, i: int, supplier: Supplier, service: tuple[str, str], day: date) -> dict:
    """One `rechercher-destinataire` row as FactPulse sends it (about 1 KB of JSON)."""
    invoice_id = FIRST_ID + i
    ht = Decimal(rng.randint(1_000, 5_000_000)) / 100
    ttc = (ht * Decimal("1.2")).quantize(Decimal("0.01"))
    credit = i % 41 == 0
    status = rng.choices(list(STATUS_WEIGHTS), weights=list(STATUS_WEIGHTS.values()))[0]
    changed = datetime.combine(day, datetime.min.time()) + timedelta(days=rng.randint(0, 30), minutes=i % 1440)
    invoice_day = day - timedelta(days=rng.randint(0, 20))
    return {
        "idFacture": invoice_id,
        "numeroFacture": f"F{invoice_day.year}-{i:07d}",
        "typeFacture": "AVOIR" if credit else "FACTURE",
        "typeDemandePaiement": "FACTURE",
        "typeFactureTravaux": None,
        "statut": status,
        "dateHeureEtatCourant": changed.strftime("%Y-%m-%dT%H:%M:%S.000+01:00"),
        "commentaireEtatCourant": "",
        "dateFacture": invoice_day.isoformat(),
        "dateDepot": day.isoformat(),
        "montantHT": str(-ht if credit else ht),
        "montantTTC": str(-ttc if credit else ttc),
        "montantAPayer": str(-ttc if credit else ttc),
        "devise": "EUR",
        "codeFournisseur": supplier.siret,
        "typeIdentifiantFournisseur": "SIRET",
        "designationFournisseur": supplier.name,
        "codeServiceFournisseur": "",
        "nomServiceFournisseur": "",
        "idDestinataire": 26_073_001,
        "codeDestinataire": "21730001500018",
        "typeIdentifiantDestinataire": "SIRET",
        "designationDestinataire": "Commune de Bench-sur-Loire",
        "idServiceExecutant": 1000 + SERVICES.index(service),
        "codeServiceExecutant": service[0],
        "nomServiceExecutant": service[1],
        "numeroMarche": f"M{invoice_day.year}-{(i // 97) % 4000:04d}" if i % 3 == 0 else "",
        "numeroBonCommande": f"BC-{(i * 7) % 900_000:06d}" if i % 2 == 0 else "",
        "numeroEngagement": f"EJ{2_100_000_000 + (i * 13) % 10_000_000}" if i % 2 == 0 else "",
        "factureTelechargeeParDestinataire": i % 5 != 0,
        "taille": rng.randint(30_000, 900_000),
        "codeMOE": "",
        "typeIdentifiantMOE": "",
        "designationMOE": "",
        "codeMOA": "",
        "typeIdentifiantMOA": "",
        "designationMOA": "",
        "cadreFacturation": "A1_FACTURE_FOURNISSEUR",
        "modeDepot": "SAISIE_API",
        "referenceEngagementJuridique": "",
        "dateEcheancePaiement": (invoice_day + timedelta(days=30)).isoformat(),
        "commentaire": "Prestations réalisées conformément au bon de commande, période du mois écoulé.",
        "fournisseurPaysCode": "FR",
        "fournisseurAdresse": "12 rue de la République, 73000 Chambéry",
        "idUtilisateurCourant": 0,
        "dateDerniereModification": changed.strftime("%Y-%m-%dT%H:%M:%S.000+01:00"),
        "pieceJointePresente": i % 4 == 0,
        "nombrePiecesJointes": i % 4,
    }


def upstream_rows(n: int, *, seed: int = 1) -> Iterator[dict]:
    """`n` rows in increasing id order, deposited over the last six years (newest last)."""
    rng = random.Random(seed)
    sups = suppliers(rng)
    cumulative = list(itertools.accumulate(weights(len(sups))))
    today = date.today()
    span = 6 * 365
    for i in range(n):
        supplier = rng.choices(sups, cum_weights=cumulative)[0] if i % 50 else sups[i // 50 % 2]
        service = SERVICES[rng.randrange(len(SERVICES))]
        day = today - timedelta(days=span - (i * span) // max(n, 1))
        yield upstream_row(rng, i, supplier, service, day)


def _reader():
    """The gateway's own reader of a `rechercher-destinataire` row."""
    from chorusweb.factpulse import read_received_row

    return read_received_row


def _validator_reader():
    from chorusweb.factpulse import read_validator_row

    return read_validator_row


#: Above this many invoices, the first BASE go through the sync's writer and the rest are copies
#: of them made by the database (new ids and numbers), so that a million is ready in minutes.
BASE = 100_000


def populate(n: int, *, validation: int = 0, progress=None) -> None:
    """Users, a connection, `n` received invoices (and `validation` invoices to validate)."""
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from chorusweb.models import Connection, Membership, Role, SyncRun, Workspace
    from invoices.services import upsert_received_rows
    from invoices.stats import stats_rebuild

    User = get_user_model()
    # No usable password: the bench signs in with force_login (no password hashing in the figures).
    user = User.objects.create_user(USER)
    User.objects.create_superuser(ADMIN, email=None, password=None)
    validator = User.objects.create_user(VALIDATOR)
    conn = Connection.objects.create(
        name=CONNECTION_NAME, api_base_url=CLOSED_URL, account_email="bench@example.test", password="x"
    )
    Membership.objects.create(user=user, connection=conn, role=Role.RECIPIENT)
    Membership.objects.create(user=validator, connection=conn, role=Role.VALIDATOR)
    started = timezone.now()
    read = _reader()
    batch: list = []
    t0 = time.perf_counter()
    for i, raw in enumerate(upstream_rows(min(n, BASE)), 1):
        batch.append(read(raw))
        if len(batch) == PAGE:
            upsert_received_rows(conn, batch, track_stats=False)  # a full sync's page
            batch = []
            if progress and i % 100_000 == 0:
                progress(f"  {i:,} invoices ({i / (time.perf_counter() - t0):,.0f}/s)")
    upsert_received_rows(conn, batch, track_stats=False)
    for copy in range(1, -(-n // BASE)):
        _copy_invoices(conn.pk, copy, min(BASE, n - copy * BASE))
        if progress:
            progress(f"  {copy * BASE + min(BASE, n - copy * BASE):,} invoices (copies)")
    stats_rebuild(conn.pk)  # as a full sync does at its end
    if validation:
        _populate_validation(conn, validation)
    for workspace in (Workspace.RECEIVED, Workspace.VALIDATION):
        SyncRun.objects.create(
            connection=conn,
            workspace=workspace,
            full=True,
            state=SyncRun.State.SUCCEEDED,
            started_at=started,
            finished_at=timezone.now(),
            rows_seen=n,
            rows_created=n,
            pages=n // PAGE + 1,
        )
    analyze()


def _copy_invoices(connection_id: int, copy: int, count: int) -> None:
    """Copy the first `count` invoices as new ones (ids shifted by copy * BASE, numbers prefixed)."""
    from django.db import connection as db
    from django.db import transaction

    from invoices.models import ReceivedInvoice

    meta = ReceivedInvoice._meta
    columns = [f.column for f in meta.concrete_fields if not f.primary_key]
    quote = db.ops.quote_name
    concat = "||"
    select = []
    for column in columns:
        if column == "invoice_id":
            select.append(f"invoice_id + {copy * BASE}")
        elif column == "invoice_number":
            select.append(f"'C{copy}-' {concat} invoice_number")
        elif column == "search_text":  # the folded text of the new number and id
            select.append(f"'c{copy} ' {concat} search_text {concat} ' ' {concat} (invoice_id + {copy * BASE})")
        else:
            select.append(quote(column))
    table = quote(meta.db_table)
    names = ", ".join(quote(c) for c in columns)
    with transaction.atomic(), db.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({names}) SELECT {', '.join(select)} FROM {table} "
            f"WHERE connection_id = %s AND invoice_id < %s",
            [connection_id, FIRST_ID + count],
        )


def _populate_validation(conn, n: int) -> None:
    from validators.services import upsert_validation_rows

    read = _validator_reader()
    rng = random.Random(7)
    batch = []
    for _i, raw in enumerate(upstream_rows(n, seed=3)):
        raw = dict(raw)
        raw["statut"] = rng.choice(["A_VALIDER_1", "A_VALIDER_1", "VALIDEE_1", "REFUSEE_1", "A_VALIDER_2"])
        raw["cadreFacturation"] = "A9_FACTURE_SOUSTRAITANT"
        raw["idValideur"] = 501
        raw["designationValideur"] = "Maîtrise d'œuvre Bench"
        batch.append(read(raw))
        if len(batch) == PAGE:
            upsert_validation_rows(conn, batch)
            batch = []
    upsert_validation_rows(conn, batch)


def signed_in_client(username: str):
    """A test client signed in as in production: password, then the second factor (an enrolled
    authenticator), which production asks of anyone who can act."""
    from django.contrib.auth import get_user_model
    from django.test import Client
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    user = get_user_model().objects.get(username=username)
    device, _ = TOTPDevice.objects.get_or_create(user=user, name="bench", defaults={"confirmed": True})
    client = Client()
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


def clients() -> dict:
    """A signed-in test client per bench user: user, admin, validator."""
    return {
        key: signed_in_client(username)
        for key, username in (("user", USER), ("admin", ADMIN), ("validator", VALIDATOR))
    }


def analyze() -> None:
    """The database as it stands after its maintenance has run: planner statistics, and on
    PostgreSQL the visibility map that index-only scans need (autovacuum builds it in
    production; rows just bulk-loaded have none, and every index read would visit the table)."""
    from django.db import connection as db

    with db.cursor() as cursor:
        if db.vendor == "postgresql" and not db.in_atomic_block:
            cursor.execute("VACUUM (ANALYZE)")
        else:
            cursor.execute("ANALYZE")
        if db.vendor == "sqlite" and not db.in_atomic_block:
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def stored_scale() -> int | None:
    """The number of invoices of a bench database generated earlier (None: not a bench database)."""
    from django.db import DatabaseError

    from chorusweb.models import Connection
    from invoices.models import QueueStat

    try:
        conn = Connection.objects.filter(name=CONNECTION_NAME).first()
    except DatabaseError:
        return None
    if conn is None:
        return None
    return sum(QueueStat.objects.filter(connection=conn).values_list("count", flat=True))


class OutsideHttp(AssertionError):
    pass


@contextlib.contextmanager
def no_outside_http(allowed: tuple[str, ...] = ()):
    """Fail loudly if the code under measure sends an HTTP request to a server the bench did not start."""
    import requests

    original = requests.Session.send

    def guarded(self, request, **kwargs):
        if not any(request.url.startswith(prefix) for prefix in allowed):
            raise OutsideHttp(f"The bench tried to reach {request.url}, a server it did not start.")
        return original(self, request, **kwargs)

    requests.Session.send = guarded
    try:
        yield
    finally:
        requests.Session.send = original
