"""The gateway to FactPulse: the only code that talks to FactPulse (and imports `requests`).

    from chorusweb.factpulse import get_client
    client = get_client(connection)
    page = client.rechercher_factures_destinataire(statuses=["MISE_A_DISPOSITION"])

See `client.py` (methods), `types.py` (answers), `errors.py` (exceptions) and `payloads.py`
(every upstream key name). docs/contract.md describes the upstream contract.
"""

from chorusweb.factpulse.client import FactPulseClient, get_client
from chorusweb.factpulse.errors import (
    FactPulseAuthError,
    FactPulseError,
    FactPulseMalformed,
    FactPulseNotFound,
    FactPulseRateLimited,
    FactPulseRefused,
    FactPulseTimeout,
    FactPulseUnavailable,
    FactPulseUpstreamError,
)

__all__ = [
    "FactPulseAuthError",
    "FactPulseClient",
    "FactPulseError",
    "FactPulseMalformed",
    "FactPulseNotFound",
    "FactPulseRateLimited",
    "FactPulseRefused",
    "FactPulseTimeout",
    "FactPulseUnavailable",
    "FactPulseUpstreamError",
    "get_client",
]
