"""Logging filters: a refused page is one WARNING line, not a traceback."""

from __future__ import annotations

import logging


class RefusalWithoutTraceback(logging.Filter):
    """Drop the traceback of a 4xx answer (permission denied, not found, bad request).

    Django logs a refused page with the exception that caused it; for an expected refusal
    that is noise that hides real errors. The line itself (level, path, status) is kept.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        status = getattr(record, "status_code", None)
        if isinstance(status, int) and 400 <= status < 500:
            record.exc_info = None
            record.exc_text = None
            if record.levelno > logging.WARNING and record.name == "django.request":
                record.levelno, record.levelname = logging.WARNING, "WARNING"
        return True
