"""The gateway to FactPulse: the only code that talks to FactPulse (and imports `requests`).

    from chorusweb.factpulse import ReceivedSearch, get_client
    client = get_client(connection)
    page = client.rechercher_factures_destinataire(statuses=["MISE_A_DISPOSITION"])

Import from this package face only. Inside: `client.py` (transport, authentication, retries,
the 16 methods), one module per API domain holding its request builders and answer readers
side by side (`received`, `validator`, `supplier`, `structures`), `auth.py` (token endpoints,
zero-trust credentials), `envelope.py` (what every answer shares: business codes, messages,
pages, the search base), `coerce.py` (scalars), `types.py` (typed answers) and `errors.py`
(exceptions); `probe.py` compares a live account's answers with the contract.
docs/contract.md describes the upstream contract.
"""

from chorusweb.factpulse import types
from chorusweb.factpulse.checks import check_factpulse_settings
from chorusweb.factpulse.client import ENDPOINTS, FactPulseClient, RawAnswer, get_client
from chorusweb.factpulse.errors import (
    FactPulseAuthError,
    FactPulseError,
    FactPulseMalformed,
    FactPulseNoAnswer,
    FactPulseNotFound,
    FactPulseRateLimited,
    FactPulseRefused,
    FactPulseTimeout,
    FactPulseUnavailable,
    FactPulseUpstreamError,
)
from chorusweb.factpulse.probe import ProbeResult, compare_keys, run_probe
from chorusweb.factpulse.received import ReceivedSearch, read_received_row
from chorusweb.factpulse.supplier import MAX_ATTACHMENT_BYTES, MAX_ATTACHMENT_NAME, SupplierSearch
from chorusweb.factpulse.types import (
    DownloadedDocument,
    Page,
    ReceivedInvoiceRow,
    SupplierInvoiceRow,
    ValidatorInvoiceDetail,
    ValidatorInvoiceRow,
)
from chorusweb.factpulse.validator import ValidatorSearch, read_validator_detail, read_validator_row

__all__ = [
    "ENDPOINTS",
    "MAX_ATTACHMENT_BYTES",
    "MAX_ATTACHMENT_NAME",
    "DownloadedDocument",
    "FactPulseAuthError",
    "FactPulseClient",
    "FactPulseError",
    "FactPulseMalformed",
    "FactPulseNoAnswer",
    "FactPulseNotFound",
    "FactPulseRateLimited",
    "FactPulseRefused",
    "FactPulseTimeout",
    "FactPulseUnavailable",
    "FactPulseUpstreamError",
    "Page",
    "ProbeResult",
    "RawAnswer",
    "ReceivedInvoiceRow",
    "ReceivedSearch",
    "SupplierInvoiceRow",
    "SupplierSearch",
    "ValidatorInvoiceDetail",
    "ValidatorInvoiceRow",
    "ValidatorSearch",
    "check_factpulse_settings",
    "compare_keys",
    "get_client",
    "read_received_row",
    "read_validator_detail",
    "read_validator_row",
    "run_probe",
    "types",
]
