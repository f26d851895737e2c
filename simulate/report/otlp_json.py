"""OTLP/JSON dicts into OTLP protobuf messages, for every signal.

One conversion for traces, logs and metrics, so a file, a collector's output and a
live run's records (the SDK's encoders through ``MessageToDict``) all reach the
reports through the same protobuf adapters.  Ids may be hex (the OTLP/JSON rule)
or base64 (protobuf's plain JSON mapping).
"""
from __future__ import annotations

import base64
import binascii
import copy
import re
from typing import Any, TypeVar

from google.protobuf import json_format
from google.protobuf.message import Message

from ..tracing.otlp_file import map_ids

_HEX_ID = re.compile(r"(?:[0-9a-fA-F]{16}){1,2}")  # 8-byte span or 16-byte trace id, as hex

M = TypeVar("M", bound=Message)


def as_base64(value: str) -> str:
    """protobuf's JSON parser wants base64 bytes; a hex id (OTLP/JSON) is turned into it.
    Lengths keep the two apart: base64 of an 8- or 16-byte id is 12 or 24 characters."""
    if _HEX_ID.fullmatch(value):
        return base64.b64encode(bytes.fromhex(value)).decode()
    try:
        base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise ValueError(f"id {value[:40]!r} is neither hex nor base64") from None
    return value


def to_message(data: dict[str, Any], message: M) -> M:
    """``data`` (left untouched) parsed into ``message``; a ValueError says what is wrong."""
    data = copy.deepcopy(data)
    map_ids(data, as_base64)
    try:
        return json_format.ParseDict(data, message, ignore_unknown_fields=True)
    except json_format.ParseError as exc:
        raise ValueError(f"invalid OTLP/JSON: {str(exc).splitlines()[0][:200]}") from None
