"""Sessions in the database (Django's store), the row of each request read in one statement.

Every request of a signed-in user reads its session: the ORM spent longer building and
compiling that lookup than the database spent answering it. The statement is Django's own
lookup written out; everything else (saving, expiry, cycling keys) is Django's store.
"""

from __future__ import annotations

from django.contrib.sessions.backends import db
from django.db import connections, router
from django.utils import timezone


class SessionStore(db.SessionStore):
    def _get_session_from_db(self):
        model = self.model
        alias = router.db_for_read(model)
        ops = connections[alias].ops
        quote = ops.quote_name
        with connections[alias].cursor() as cursor:
            cursor.execute(
                f"SELECT {quote('session_data')} FROM {quote(model._meta.db_table)} "  # noqa: S608 (names from the model)
                f"WHERE {quote('session_key')} = %s AND {quote('expire_date')} > %s",
                [self.session_key, ops.adapt_datetimefield_value(timezone.now())],
            )
            row = cursor.fetchone()
        if row is None:
            self._session_key = None
            return None
        return model.from_db(alias, ["session_key", "session_data"], [self.session_key, row[0]])
