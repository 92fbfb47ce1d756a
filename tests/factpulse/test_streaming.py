"""The incremental download decoder, fed in every chunking, on edge-case bodies."""

from __future__ import annotations

import base64
import io
import json
import random
from decimal import Decimal

import pytest

from chorusweb.factpulse.errors import FactPulseMalformed, FactPulseUpstreamError
from chorusweb.factpulse.streaming import Base64Sink, DownloadScanner

KEYS = ("fichierBase64", "fichierResultat")


def scan(raw: bytes, chunk: int, max_bytes: int | None = None):
    out = io.BytesIO()
    sink = Base64Sink(out, max_bytes=max_bytes)
    scanner = DownloadScanner(sink, KEYS)
    for i in range(0, len(raw), chunk):
        scanner.feed(raw[i : i + chunk])
    scanner.finish()
    return scanner, sink, out.getvalue()


PAYLOAD = bytes(random.Random(4).randrange(256) for _ in range(5000))
B64 = base64.b64encode(PAYLOAD).decode()


@pytest.mark.parametrize("chunk", [1, 3, 4, 7, 64, 65536])
@pytest.mark.parametrize("key", KEYS)
def test_decodes_file_and_small_members_in_any_order(chunk, key):
    raw = (
        '{"codeRetour": 0, "meta": {"a": [1, 2, {"b": "}"}]}, '
        f'"{key}": "{B64}", "libelle": "TRA_MSG_00.000", "montant": 12.5, "ok": true, "rien": null}}'
    ).encode()
    scanner, sink, data = scan(raw, chunk)
    assert data == PAYLOAD
    assert sink.size == len(PAYLOAD)
    assert scanner.file_key == key
    assert scanner.fields == {
        "codeRetour": 0,
        "meta": {"a": [1, 2, {"b": "}"}]},
        "libelle": "TRA_MSG_00.000",
        "montant": Decimal("12.5"),
        "ok": True,
        "rien": None,
    }


@pytest.mark.parametrize("chunk", [1, 5, 4096])
def test_json_escapes_and_line_breaks_inside_base64(chunk):
    wrapped = "\\n".join(B64[i : i + 76] for i in range(0, len(B64), 76)).replace("/", "\\/")
    raw = json.dumps({"codeRetour": 0}).encode()[:-1] + f', "fichierBase64": "{wrapped}"}}'.encode()
    _, _, data = scan(raw, chunk)
    assert data == PAYLOAD


def test_unicode_escape_of_a_base64_char():
    raw = b'{"fichierBase64": "\\u0051UJD"}'  # "QUJD" = "ABC"
    _, _, data = scan(raw, 1)
    assert data == b"ABC"


def test_missing_padding_is_tolerated():
    _, _, data = scan(b'{"fichierBase64": "QUI"}', 2)  # "AB" without its "="
    assert data == b"AB"


def test_head_is_kept_for_kind_detection():
    raw = json.dumps({"fichierBase64": base64.b64encode(b"%PDF-1.7 " + b"x" * 1000).decode()}).encode()
    _, sink, _ = scan(raw, 10)
    assert sink.head.startswith(b"%PDF")


def test_no_file_member_leaves_file_key_empty():
    scanner, _sink, data = scan(b'{"codeRetour": 20001, "libelle": "Facture inconnue"}', 3)
    assert scanner.file_key is None
    assert scanner.fields["codeRetour"] == 20001
    assert data == b""


def test_null_file_member_is_a_small_value():
    scanner, _, _ = scan(b'{"fichierBase64": null, "codeRetour": 1}', 4)
    assert scanner.file_key is None
    assert scanner.fields["fichierBase64"] is None


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"[1, 2]",
        b"<html>Bad gateway</html>",
        b'{"fichierBase64": "QUJD"',  # truncated
        b'{"fichierBase64": "QUJD", }',
        b'{"fichierBase64": "QUJD"} trailing',
        b'{"fichierBase64": "QU*D"}',  # not base64
        b'{"fichierBase64": "QQ==QUJD"}',  # data after padding
        b'{"fichierBase64": "Q"}',  # impossible length
        b'{"fichierBase64": "QUJD\\"x"}',  # a quote escape is not base64
        b'{"fichierBase64": "QUJD", "fichierResultat": "QUJD"}',  # two documents
        b'{"a": tru}',
        b'{"a" 1}',
    ],
)
def test_malformed_bodies(raw):
    with pytest.raises(FactPulseMalformed):
        scan(raw, 3)


def test_size_limit():
    raw = json.dumps({"fichierBase64": base64.b64encode(b"x" * 3000).decode()}).encode()
    with pytest.raises(FactPulseUpstreamError):
        scan(raw, 512, max_bytes=1000)


def test_an_oversized_small_member_is_refused(monkeypatch):
    from chorusweb.factpulse import streaming

    monkeypatch.setattr(streaming, "MAX_SMALL_VALUE", 100)
    with pytest.raises(FactPulseMalformed):
        scan(json.dumps({"autre": "x" * 500}).encode(), 64)
