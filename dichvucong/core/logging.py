"""Logging filter that keeps identification numbers out of every log line.

"Identification numbers are never written to logs" is a rule of the portal: logs are shipped to other
systems, kept for months and read by people who have no right to citizens' personal data, so a number that
slips into a message, an argument or an exception must be masked before any handler writes it.

Wire it on the handlers in `settings.LOGGING` (a filter on a logger does not see records propagated from its
children; one on a handler sees them all):

    "filters": {"redact_identifiers": {"()": "dichvucong.core.logging.RedactIdentifiers"}},
    "handlers": {"console": {..., "filters": ["redact_identifiers"]}},
"""

from __future__ import annotations

import logging
import re

# One pass over the text. A personal identification number is exactly 12 digits, not a piece of a longer run
# (a 16-digit card or transaction number stays, so does a 13-digit branch tax code); an old identity card
# number (CMND) is exactly 9 digits after a word boundary, so "A123456789" and dossier codes such as
# "H01.02-260101-0001" stay. [0-9] rather than \d: other scripts' digits are not identification numbers.
_IDENTIFIER_RE = re.compile(r"(?<![0-9])[0-9]{12}(?![0-9])|\b[0-9]{9}(?![0-9])")
REDACTED = "[redacted]"


def redact(text: str) -> str:
    """`text` with every identification number replaced by "[redacted]"."""
    return _IDENTIFIER_RE.sub(REDACTED, text)


class RedactIdentifiers(logging.Filter):
    """Replaces identification numbers in a record's final message and its formatted exception.

    The message is formatted here (`getMessage()`), redacted and stored back with no arguments, so a number
    passed as an argument is caught as surely as one written in the message itself. The exception is
    formatted the way the standard formatter would and cached in `exc_text`, which formatters reuse.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:
            # A malformed call (arguments that do not match the format). Left alone, the handler would print
            # the raw arguments in its "--- Logging error ---" report; keep them, redacted, in the message.
            message = f"{record.msg!s} % {record.args!r}"
        record.msg = redact(message)
        record.args = ()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True
