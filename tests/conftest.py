"""Fixtures shared by the whole suite."""

from __future__ import annotations

import fcntl
import hashlib
import os
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command

from chorusweb.models import Role
from tests.factories import ConnectionFactory, MembershipFactory, UserFactory

# The suite keeps Python's bytecode caches (__pycache__/, ignored by git) even where the environment
# says PYTHONDONTWRITEBYTECODE: without them each run, each xdist worker and each process a test
# starts compiles the project and rewrites the test modules' assertions again (~3 s of CPU each).
sys.dont_write_bytecode = False


def pytest_configure(config):
    """pytest-xdist distributes with worksteal unless told otherwise: a worker that runs out of tests
    takes half of the other's queue, instead of idling while the other works through a chunk of
    slow tests (the default `load` sends chunks of consecutive tests, e.g. all the process tests)."""
    given = [*config.invocation_params.args, *os.environ.get("PYTEST_ADDOPTS", "").split()]
    if getattr(config.option, "dist", None) == "load" and not any(a.startswith("--dist") or a == "-d" for a in given):
        config.option.dist = "worksteal"


def pytest_collection_finish(session):
    """The objects alive once the tests are collected (modules, Django's apps, URL patterns,
    templates) live as long as the run: frozen out of the garbage collector's reach, and the
    collector runs after 50,000 allocations instead of 2,000. Its processor time in a 3-worker
    run falls from ~4.7 s to ~2 s."""
    import gc

    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 20, 100)


@pytest.hookimpl(trylast=True)  # after `-m`/`-k` have deselected: the slices of what will run
def pytest_collection_modifyitems(config, items):
    """Each xdist worker starts with its share of the tests marked `waits` (real processes,
    sockets, clocks): worksteal hands each worker a slice of the collection in order, so each
    slice begins with its part of them, and their waiting overlaps the other workers' processor
    work instead of ending the run on one worker while the others idle."""
    workers = getattr(config, "workerinput", {}).get("workercount", 1)
    waiting = [item for item in items if item.get_closest_marker("waits")]
    if workers < 2 or not waiting:
        return
    others = [item for item in items if not item.get_closest_marker("waits")]
    ordered, left = [], len(items)
    for worker in range(workers):
        size = left // (workers - worker)  # the slice worksteal sends this worker first
        mine = waiting[worker::workers]
        ordered += mine + others[: max(0, size - len(mine))]
        others = others[max(0, size - len(mine)) :]
        left -= size
    items[:] = ordered + others


def _migrated_template_key() -> str:
    """What a migrated test database is made of: every app's migrations and models, the versions."""
    import sqlite3

    import django
    from django.apps import apps

    digest = hashlib.sha1(f"{django.get_version()} {sqlite3.sqlite_version}".encode())
    for app in apps.get_app_configs():
        for path in sorted(Path(app.path, "migrations").glob("*.py")):
            digest.update(f"{app.label}/{path.name}".encode())
            digest.update(path.read_bytes())
        for model in app.get_models(include_auto_created=True):
            fields = [(field.column, field.get_internal_type()) for field in model._meta.local_fields]
            digest.update(repr((model._meta.label, model._meta.db_table, fields)).encode())
    return digest.hexdigest()[:16]


def _sqlite_test_databases_from_a_migrated_template() -> None:
    """A SQLite test database is a copy of a migrated template kept next to it (.test-db-template-
    <key>.sqlite3, rebuilt when any migration, model or version changes) instead of running every
    migration in each xdist worker (~2 s of CPU each)."""
    import shutil

    from django.db.backends.sqlite3.creation import DatabaseCreation

    original = DatabaseCreation.create_test_db

    def create_test_db(self, verbosity=1, autoclobber=False, serialize=None, keepdb=False):
        name = self._get_test_db_name()
        if keepdb or serialize or self.is_in_memory_db(name):
            return original(self, verbosity=verbosity, autoclobber=autoclobber, serialize=serialize, keepdb=keepdb)
        template = Path(settings.BASE_DIR) / f".test-db-template-{_migrated_template_key()}.sqlite3"
        if not template.exists():
            name = original(self, verbosity=verbosity, autoclobber=autoclobber, keepdb=keepdb)
            partial = template.with_name(f"{template.name}.{os.getpid()}.tmp")
            with self.connection.cursor() as cursor:
                cursor.execute("VACUUM INTO %s", [str(partial)])
            for old in template.parent.glob(".test-db-template-*.sqlite3"):
                old.unlink(missing_ok=True)
            os.replace(partial, template)
            return name
        self._create_test_db(verbosity, autoclobber, keepdb)  # removes a leftover file of that name
        shutil.copyfile(template, name)
        self.connection.close()
        settings.DATABASES[self.connection.alias]["NAME"] = name
        self.connection.settings_dict["NAME"] = name
        call_command("createcachetable", database=self.connection.alias)
        self.connection.ensure_connection()
        return name

    DatabaseCreation.create_test_db = create_test_db


_sqlite_test_databases_from_a_migrated_template()


def _postgresql_test_databases_from_a_migrated_template() -> None:
    """A PostgreSQL test database is `CREATE DATABASE ... TEMPLATE` of a migrated template kept on
    the server (chorusweb_test_template_<key>, made by the first worker that needs it, replaced
    when any migration, model or version changes) instead of running every migration in each
    xdist worker (~3 s of processor and ~4 s of waiting each)."""
    from django.db import DatabaseError
    from django.db.backends.postgresql.creation import DatabaseCreation

    original = DatabaseCreation.create_test_db

    def create_test_db(self, verbosity=1, autoclobber=False, serialize=None, keepdb=False):
        if keepdb or serialize:
            return original(self, verbosity=verbosity, autoclobber=autoclobber, serialize=serialize, keepdb=keepdb)
        name, quote = self._get_test_db_name(), self._quote_name
        template = f"chorusweb_test_template_{_migrated_template_key()}"
        with self._nodb_cursor() as cursor:
            ready = self._database_exists(cursor, template)
        if not ready:  # the first worker of a new key: migrates, then leaves a copy
            name = original(self, verbosity=verbosity, autoclobber=autoclobber, keepdb=keepdb)
            self.connection.close()
            self.connection.close_pool()
            partial = f"{template}_{os.getpid()}"
            with self._nodb_cursor() as cursor:
                try:
                    cursor.execute(f"CREATE DATABASE {quote(partial)} WITH TEMPLATE {quote(name)}")
                    cursor.execute(f"ALTER DATABASE {quote(partial)} RENAME TO {quote(template)}")
                except DatabaseError:  # another worker made it first
                    cursor.execute(f"DROP DATABASE IF EXISTS {quote(partial)}")
                cursor.execute(
                    "SELECT datname FROM pg_database WHERE datname LIKE 'chorusweb\\_test\\_template\\_%%' "
                    "AND datname <> %s",
                    [template],
                )
                for (old,) in cursor.fetchall():
                    try:
                        cursor.execute(f"DROP DATABASE {quote(old)}")
                    except DatabaseError:  # in use by another run: left for the next one
                        pass
            return name
        self.connection.close()
        self.connection.close_pool()
        with self._nodb_cursor() as cursor:
            cursor.execute(f"DROP DATABASE IF EXISTS {quote(name)}")
            cursor.execute(f"CREATE DATABASE {quote(name)} WITH TEMPLATE {quote(template)}")
        settings.DATABASES[self.connection.alias]["NAME"] = name
        self.connection.settings_dict["NAME"] = name
        call_command("createcachetable", database=self.connection.alias)
        return name

    DatabaseCreation.create_test_db = create_test_db


_postgresql_test_databases_from_a_migrated_template()


@pytest.fixture(autouse=True, scope="session")
def _collected_static():
    """Pages are rendered with the production static storage (hashed names): collect once."""
    root = settings.STATIC_ROOT
    root.mkdir(parents=True, exist_ok=True)
    sources = sorted(
        (str(path), path.stat().st_mtime_ns)
        for directory in settings.STATICFILES_DIRS
        for path in Path(directory).rglob("*")
        if path.is_file()
    )
    stamp = hashlib.sha1(repr(sources).encode()).hexdigest()
    stamp_file = root / ".sources-stamp"
    with open(root.parent / ".collectstatic.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        manifest = root / "staticfiles.json"
        if not (manifest.exists() and stamp_file.exists() and stamp_file.read_text() == stamp):
            call_command("collectstatic", interactive=False, verbosity=0)
            stamp_file.write_text(stamp)


def _stat(path):
    try:
        return os.stat(path)
    except FileNotFoundError:
        return None


@pytest.fixture(autouse=True, scope="session")
def _static_files_indexed_once():
    """WhiteNoise indexes STATIC_ROOT each time a handler loads its middleware, i.e. once per test
    client (~0.1 s of CPU for every test that makes a request): the index of an unchanged
    directory, with the same options, is built once and shared."""
    from whitenoise.base import WhiteNoise

    original = WhiteNoise.update_files_dictionary
    indexes: dict = {}
    private = {"files", "directories", "get_response", "application", "media_types"}

    def state(root):
        """Adding or removing a file changes its directory's mtime; collectstatic rewrites the manifest."""
        paths = [directory for directory, _, _ in os.walk(root)] + [os.path.join(root, "staticfiles.json")]
        return tuple((path, stat.st_mtime_ns, stat.st_size, stat.st_ino) for path in paths if (stat := _stat(path)))

    def update_files_dictionary(self, root, prefix):
        listing = state(root)
        options = tuple(sorted((name, repr(value)) for name, value in vars(self).items() if name not in private))
        key = (type(self), root, prefix, options, repr(sorted(self.media_types.types_map.items())), listing)
        if key not in indexes:
            files, self.files = self.files, {}
            original(self, root, prefix)
            indexes[key], self.files = self.files, files
        self.files.update(indexes[key])

    WhiteNoise.update_files_dictionary = update_files_dictionary
    yield
    WhiteNoise.update_files_dictionary = original


@pytest.fixture(autouse=True, scope="session")
def _flush_leaves_the_database_as_migrated():
    """A transactional test ends with `flush`, which empties every table (the rows migrations
    ship, such as the interest rates, too) and whose post_migrate signal rebuilds every content
    type and permission (~25 ms a test). Each flush here puts back the rows a test database held
    once migrated (read when pytest-django sets it up) and sends post_migrate to the other
    receivers: the next test meets the database as migrated, whatever ran before it."""
    import django.test.utils
    from django.apps import apps
    from django.contrib.auth.management import create_permissions
    from django.contrib.contenttypes.management import create_contenttypes
    from django.contrib.contenttypes.models import ContentType
    from django.core.management.commands import flush
    from django.db import connections, transaction
    from django.db.models.signals import post_migrate

    real = flush.emit_post_migrate_signal
    real_setup = django.test.utils.setup_databases
    permissions_uid = "django.contrib.auth.management.create_permissions"
    rows: dict[str, list] = {}

    def setup_databases(*args, aliases=None, **kwargs):
        """pytest-django's call (django_db_setup): the databases it creates, then their rows."""
        config = real_setup(*args, aliases=aliases, **kwargs)
        for db in connections if aliases is None else aliases:
            found = [(model, list(model._base_manager.using(db).all())) for model in apps.get_models(True)]
            rows[db] = [(model, objects) for model, objects in found if objects]
        return config

    def emit_post_migrate_signal(verbosity, interactive, db, **kwargs):
        with transaction.atomic(using=db):
            for model, objects in rows.get(db, []):
                model._base_manager.using(db).bulk_create(objects)
        ContentType.objects.clear_cache()
        post_migrate.disconnect(create_contenttypes)
        post_migrate.disconnect(dispatch_uid=permissions_uid)
        try:
            real(verbosity, interactive, db, **kwargs)
        finally:
            post_migrate.connect(create_contenttypes)
            post_migrate.connect(create_permissions, dispatch_uid=permissions_uid)

    flush.emit_post_migrate_signal = emit_post_migrate_signal
    django.test.utils.setup_databases = setup_databases
    yield
    flush.emit_post_migrate_signal = real
    django.test.utils.setup_databases = real_setup


@pytest.fixture(autouse=True, scope="session")
def _postgresql_flush_deletes():
    """On PostgreSQL, a transactional test's flush deletes the rows instead of truncating the
    tables: TRUNCATE gives each of the ~45 tables and their indexes new files (~0.4 s a test
    here), DELETE of the few rows a test wrote takes a few milliseconds. Django's foreign keys
    are deferrable, so the order of the deletes does not matter inside the flush's transaction.
    A flush asked to reset the sequences keeps TRUNCATE ... RESTART IDENTITY."""
    from django.db.backends.postgresql.operations import DatabaseOperations

    original = DatabaseOperations.sql_flush

    def sql_flush(self, style, tables, *, reset_sequences=False, allow_cascade=False):
        if reset_sequences or not tables:
            return original(self, style, tables, reset_sequences=reset_sequences, allow_cascade=allow_cascade)
        quote = self.quote_name
        return ["SET CONSTRAINTS ALL DEFERRED", *(f"DELETE FROM {quote(table)}" for table in tables)]

    DatabaseOperations.sql_flush = sql_flush
    yield
    DatabaseOperations.sql_flush = original


@pytest.fixture(autouse=True)
def _tasks_run_inline(settings):
    """Background tasks run at once, in the test's thread and transaction."""
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """Test users hash their passwords with a fast hasher: a production hash costs seconds here."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _quick_upstream_retries(settings):
    """Retries wait 10 ms, not the production backoff: a test that times retries sets its own."""
    settings.FACTPULSE_RETRY_BACKOFF = 0.01


@pytest.fixture(autouse=True)
def _test_process_keeps_its_priority(settings):
    """A command run in the test's process (`sync_chorus`) does not lower the suite's priority."""
    settings.CHORUSWEB_WORKER_NICENESS = 0


@pytest.fixture(autouse=True)
def _empty_cache():
    """Each test starts with an empty cache: what another test left there (a count remembered
    beyond its bound, a token) is not this test's data."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def connection(db):
    return ConnectionFactory()


@pytest.fixture
def recipient(db, connection):
    user = UserFactory(username="comptable-test")
    MembershipFactory(user=user, connection=connection, role=Role.RECIPIENT)
    return user


@pytest.fixture
def validator(db, connection):
    user = UserFactory(username="valideur-test")
    MembershipFactory(user=user, connection=connection, role=Role.VALIDATOR)
    return user


@pytest.fixture
def viewer(db, connection):
    user = UserFactory(username="lecteur-test")
    MembershipFactory(user=user, connection=connection, role=Role.VIEWER)
    return user


@pytest.fixture
def superuser(db):
    return UserFactory(username="root-test", is_staff=True, is_superuser=True)


@pytest.fixture
def recipient_client(client, recipient):
    client.force_login(recipient)
    return client


@pytest.fixture
def admin_client_(client, superuser):
    client.force_login(superuser)
    return client


@pytest.fixture
def sandbox_seed(transactional_db):
    """A small deterministic sandbox (its own tables), seeded for the test."""
    from tests.reseed import reseed

    return reseed(seed_number=7, size="small", large=False)


@pytest.fixture
def sandbox_connection(live_server, sandbox_seed, settings):
    """A connection to the sandbox served over real HTTP by live_server, demo account."""
    from chorusweb.demo import DEMO_CLIENT_UID, DEMO_FACTPULSE_EMAIL, DEMO_FACTPULSE_PASSWORD

    settings.FACTPULSE_RETRY_BACKOFF = 0.01
    settings.FACTPULSE_MAX_RETRIES = 1
    settings.FACTPULSE_READ_TIMEOUT = 10.0
    return ConnectionFactory(
        name="Sandbox",
        api_base_url=f"{live_server.url}/sandbox",
        account_email=DEMO_FACTPULSE_EMAIL,
        password=DEMO_FACTPULSE_PASSWORD,
        client_uid=DEMO_CLIENT_UID,
    )


@pytest.fixture
def sandbox_control(live_server, transactional_db):
    """Switch sandbox faults on and read its call counters (the staff-only control API)."""
    import requests

    from sandbox.testing import control_auth

    auth = control_auth()

    class Control:
        base = f"{live_server.url}/sandbox/_control"

        def _call(self, method: str, name: str, **kwargs):
            answer = requests.request(
                method, f"{self.base}/{name}", cookies=auth.cookies, headers=auth.headers, timeout=5, **kwargs
            )
            answer.raise_for_status()
            return answer

        def faults(self, **faults):
            self._call("POST", "faults", json=faults)

        def clear(self):
            self._call("DELETE", "faults")
            self._call("DELETE", "calls")

        def calls(self, endpoint: str) -> int:
            return self._call("GET", "calls").json()["calls"].get(endpoint, 0)

    control = Control()
    control.clear()
    yield control
    control.clear()


@pytest.fixture
def fake_factpulse(monkeypatch):
    """The gateway replaced by FakeFactPulse (in-memory rows, errors on demand) for every workspace."""
    from tests.fakes import FakeFactPulse

    fake = FakeFactPulse()
    for module in ("invoices.services", "validators.services", "issuers.services", "issuers.directory"):
        monkeypatch.setattr(f"{module}.get_client", lambda connection: fake)
    return fake
