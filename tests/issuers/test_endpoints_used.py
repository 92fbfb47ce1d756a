"""Every one of the 16 FactPulse Chorus Pro endpoints is called by a user-facing feature.

A static check over the workspaces' code (not the gateway, the probe, the sandbox or the tests):
each gateway method is called somewhere a person's page, form or scheduled sync leads to.
"""

from __future__ import annotations

import re
from pathlib import Path

from django.conf import settings

from chorusweb.factpulse import ENDPOINTS

#: Where user-facing features live (views, services, directory, admin).
FEATURE_CODE = ("invoices", "validators", "issuers", "chorusweb")
NOT_FEATURES = ("chorusweb/factpulse/", "/migrations/", "/management/")


def _feature_sources() -> str:
    root = Path(settings.BASE_DIR)
    texts = []
    for package in FEATURE_CODE:
        for path in (root / package).rglob("*.py"):
            if not any(part in path.as_posix() for part in NOT_FEATURES):
                texts.append(path.read_text(encoding="utf-8"))
    return "\n".join(texts)


def test_every_endpoint_is_called_by_a_feature():
    sources = _feature_sources()
    names = [getattr(endpoint, "name", endpoint) for endpoint in ENDPOINTS]
    assert len(names) == 16
    unused = [name for name in names if not re.search(rf"\.{name}\(", sources)]
    assert unused == []
