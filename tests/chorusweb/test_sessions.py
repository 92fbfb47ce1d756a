"""The session store: Django's database sessions, each request's row read in one statement."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.sessions.models import Session
from django.utils import timezone

from chorusweb.sessions import SessionStore

pytestmark = pytest.mark.django_db


def test_a_saved_session_is_read_back_in_one_query(django_assert_num_queries):
    store = SessionStore()
    store["answer"] = 42
    store.save()
    again = SessionStore(store.session_key)
    with django_assert_num_queries(1):
        assert again["answer"] == 42
    assert again.session_key == store.session_key


def test_an_expired_or_unknown_session_is_empty_and_gets_a_new_key():
    store = SessionStore()
    store["answer"] = 42
    store.save()
    Session.objects.filter(session_key=store.session_key).update(expire_date=timezone.now() - timedelta(seconds=1))
    expired = SessionStore(store.session_key)
    assert expired.get("answer") is None
    expired["answer"] = 43
    expired.save()
    assert expired.session_key != store.session_key  # never revived under the old key
    unknown = SessionStore("x" * 32)
    assert unknown.get("answer") is None and unknown.session_key is None


def test_the_pages_use_it(client, settings):
    assert settings.SESSION_ENGINE == "chorusweb.sessions"
    assert client.session.__class__ is SessionStore
