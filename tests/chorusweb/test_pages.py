"""Every page needs a login; CSP is strict; a user with no membership gets a clear page."""

from __future__ import annotations

import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from chorusweb.demo import DEMO_USERS, load_demo
from chorusweb.models import Connection, Membership

#: URLs reachable without a login, on purpose.
# "unsubscribe": the one-click link of alert mails, authorised by its signed token (tests/alerts).
PUBLIC = {"login", "healthz", "set_language", "password_reset", "unsubscribe"}


def _walk(patterns, prefix=""):
    for p in patterns:
        if isinstance(p, URLResolver):
            if p.namespace == "sandbox":
                continue  # the sandbox is an API with its own bearer-token auth (tested there)
            yield from _walk(p.url_patterns, prefix + str(p.pattern))
        elif isinstance(p, URLPattern):
            yield prefix + str(p.pattern), p


def _concrete(route: str) -> str:
    route = route.replace("^", "").replace("$", "").replace("\\Z", "").replace("\\/", "/")
    route = re.sub(r"<uuid:\w+>", "6f1c2d3e-4b5a-4c6d-8e7f-9a0b1c2d3e4f", route)
    route = re.sub(r"<(?:int:|str:|slug:|path:)?(\w+)>", "1", route)
    route = re.sub(r"\(\?P<\w+>[^)]*\)", "1", route)
    route = re.sub(r"[()?*+]", "", route)
    return "/" + route


@pytest.mark.django_db
def test_every_url_requires_login(client):
    checked = 0
    for route, pattern in _walk(get_resolver().url_patterns):
        if pattern.name in PUBLIC or route.startswith("admin/"):
            continue
        url = _concrete(route)
        for method in ("get", "post"):
            response = getattr(client, method)(url)
            assert response.status_code in (302, 403, 405), (url, method, response.status_code)
            if response.status_code == 302:
                assert response["Location"].startswith("/connexion/"), (url, response["Location"])
        checked += 1
    assert checked >= 3


@pytest.mark.django_db
def test_admin_requires_staff_login(client):
    response = client.get("/admin/")
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


@pytest.mark.django_db
def test_csp_header_is_strict(client):
    response = client.get("/connexion/")
    csp = response["Content-Security-Policy"]
    assert "default-src 'self'" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert "object-src 'none'" in csp and "frame-ancestors 'none'" in csp
    html = response.content.decode()
    nonce = re.search(r"script-src 'self' 'nonce-([^']+)'", csp).group(1)
    for tag in re.findall(r"<script[^>]*>", html):
        assert "src=" in tag
    assert f'nonce="{nonce}"' in html  # htmx served by {% htmx_script %} with the nonce
    assert "<style" not in html and 'style="' not in html and "hx-on" not in html


@pytest.mark.django_db
def test_login_page_is_french_and_logs_in(client):
    load_demo()
    page = client.get("/connexion/")
    assert page.status_code == 200
    assert "Connexion" in page.content.decode() and 'lang="fr"' in page.content.decode()
    response = client.post("/connexion/", {"username": "comptable", "password": "chorusweb-demo"})
    assert response.status_code == 302
    home = client.get("/", follow=True)
    html = home.content.decode()
    assert "Factures reçues" in html
    assert "Se déconnecter" in html
    assert "Administration" not in html


@pytest.mark.django_db
def test_user_without_membership_sees_no_access_page(client, django_user_model):
    user = django_user_model.objects.create_user("nouveau", password="pw-123456-xyz")
    client.force_login(user)
    response = client.get("/")
    assert response.status_code == 403
    assert "Pas encore d'accès" in response.content.decode()


@pytest.mark.django_db
def test_demo_is_idempotent(django_user_model):
    load_demo("http://127.0.0.1:8000/sandbox")
    load_demo("http://127.0.0.1:8000/sandbox")
    assert Connection.objects.count() == 1
    assert django_user_model.objects.count() == len(DEMO_USERS)
    assert Membership.objects.count() == sum(1 for demo in DEMO_USERS if demo.role)
    admin = django_user_model.objects.get(username="admin")
    assert admin.is_superuser and admin.check_password("chorusweb-admin")


@pytest.mark.django_db
def test_logout_is_post_only(client):
    load_demo()
    client.login(username="comptable", password="chorusweb-demo")
    response = client.post("/deconnexion/")
    assert response.status_code == 302
    assert client.get("/").status_code == 302


@pytest.mark.django_db
def test_healthz(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.django_db
def test_language_switch_remembers_english(client):
    load_demo()
    client.login(username="comptable", password="chorusweb-demo")
    client.post("/langue/", {"language": "en", "next": "/"})
    assert client.cookies["django_language"].value == "en"
