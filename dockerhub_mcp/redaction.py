"""Keeping secrets out of everything that leaves the server: results, resources, error messages and logs.

A secret is matched as itself and in the forms an echo may take it: JSON-escaped, URL-encoded (both
ways), and anything shaped like a Docker access token or a JWT. Header values never reach a log line.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable, Iterator, Sequence
from typing import Any
from urllib.parse import quote, quote_plus

__all__ = ["REDACTED", "RedactingFilter", "redacted", "scrub"]

REDACTED = "[redacted]"
_CREDENTIAL = re.compile(r"dckr_(?:pat|oat)_[A-Za-z0-9_-]+|eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*")
# httpcore2 traces headers as `(b'name', b'value')`: keep the names, never the values.
_TRACED_HEADER = re.compile(rb"\(b'([^'\\]*)', b'(?:[^'\\]|\\.)*'\)".decode())
_MIN_SECRET = 8  # shorter values are not secrets worth matching everywhere (and would eat ordinary words)


def _forms(secret: str) -> Iterator[str]:
    yield secret
    yield json.dumps(secret)[1:-1]
    yield json.dumps(secret, ensure_ascii=False)[1:-1]
    yield quote(secret, safe="")
    yield quote_plus(secret, safe="")


def redacted(text: str, secrets: Iterable[str] = ()) -> str:
    """`text` without any of `secrets` (in any of their echo forms) and nothing shaped like a token or JWT."""
    for secret in secrets:
        if secret and len(secret) >= _MIN_SECRET:
            for form in dict.fromkeys(_forms(secret)):
                text = text.replace(form, REDACTED)
    return _CREDENTIAL.sub(REDACTED, text)


def scrub(value: Any, secrets: Sequence[str] = ()) -> Any:
    """`value` (decoded JSON: dicts, lists, strings, numbers) with every string, key or value, redacted."""
    if isinstance(value, str):
        return redacted(value, secrets)
    if isinstance(value, dict):
        return {scrub(k, secrets): scrub(v, secrets) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [scrub(v, secrets) for v in value]
    return value


class RedactingFilter(logging.Filter):
    """A handler filter: each record's message, formatted, with secrets and header values taken out.

    Args:
        secrets: values to take out wherever they appear (the token, the plan key); tokens and JWTs of the
            usual shapes are taken out anyway.
    """

    def __init__(self, secrets: Sequence[str] = ()) -> None:
        super().__init__()
        self._secrets = tuple(secrets)

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the record in place; every record passes."""
        message = _TRACED_HEADER.sub(r"(b'\1', b'[…]')", record.getMessage())
        record.msg, record.args = redacted(message, self._secrets), ()
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = redacted(logging.Formatter().formatException(record.exc_info), self._secrets)
        return True
