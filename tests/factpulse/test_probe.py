"""`manage.py factpulse_probe` against the sandbox: read calls only, keys compared with the contract."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from chorusweb.factpulse import ENDPOINTS, compare_keys

WRITES = {e.path for e in ENDPOINTS.values() if not e.read} | {"factures/telecharger-groupe"}


def _probe(*args):
    out = StringIO()
    call_command("factpulse_probe", *args, stdout=out)
    return out.getvalue()


def test_probe_reports_every_read_endpoint_and_calls_no_write(sandbox, sandbox_connection):
    sandbox.clear_calls()
    text = _probe("--connection", sandbox_connection.name)
    for name, endpoint in ENDPOINTS.items():
        if endpoint.read and name != "telecharger_groupe_factures":
            assert f"OK    {name}" in text, text
    assert "SKIP  telecharger_groupe_factures" in text
    assert "FAIL" not in text
    assert "listeFactures[] keys:" in text
    assert "0 failed" in text
    calls = sandbox.calls()
    assert not set(calls) & WRITES  # only read calls were made
    assert calls["factures/rechercher-destinataire"] == 1
    assert sandbox_connection.password not in text


def test_probe_json_and_differences(sandbox, sandbox_connection):
    results = {r["endpoint"]: r for r in json.loads(_probe("--connection", sandbox_connection.name, "--json"))}
    assert results["token"]["ok"]
    assert "access" in results["token"]["keys"]
    search = results["rechercher_factures_destinataire"]
    assert search["status"] == 200
    assert "listeFactures" in search["keys"]
    assert "idFacture" in search["item_keys"]
    assert search["missing"] == []


def test_probe_reports_failures_and_exits_non_zero(sandbox, sandbox_connection):
    sandbox.faults(error_status=500, error_rate=1, endpoints=["structures/consulter"])
    out = StringIO()
    with pytest.raises(CommandError, match="consulter_structure"):
        call_command("factpulse_probe", "--connection", sandbox_connection.name, stdout=out)
    assert "FAIL  consulter_structure" in out.getvalue()
    assert "HTTP 500" in out.getvalue()


def test_probe_needs_a_known_connection(sandbox, sandbox_connection):
    with pytest.raises(CommandError, match="No connection named"):
        _probe("--connection", "nope")


def test_compare_keys_accepts_the_other_spelling():
    missing, unexpected = compare_keys({"identifiantFactureCPP", "returnCode", "nouveau"}, {"idFacture", "codeRetour"})
    assert missing == []
    assert unexpected == ["nouveau"]
    missing, _ = compare_keys(set(), {"idFacture"})
    assert missing == ["idFacture"]
