"""Logging filters that keep patient data out of logs."""

from __future__ import annotations

import logging
import re

QUERY = re.compile(r"\?[^\s\"']*")


class RedactQueryStrings(logging.Filter):
    """Access logs keep the path and drop the query string: a search's terms (a name, an MRN, a date of birth in
    a FHIR search) are patient data, and a client may put them in a URL."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(QUERY.sub("?[redacted]", arg) if isinstance(arg, str) else arg
                                for arg in record.args)
        if isinstance(record.msg, str):
            record.msg = QUERY.sub("?[redacted]", record.msg) if not record.args else record.msg
        return True
