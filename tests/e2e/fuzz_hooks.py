"""schemathesis hooks of the fuzz run (tests/e2e/schemathesis.toml): how to send the frame import's JSON lines."""

from __future__ import annotations

import json
from typing import Any

import schemathesis


@schemathesis.serializer("application/x-ndjson")
def ndjson(_ctx: schemathesis.SerializationContext, value: Any) -> bytes:
    """A generated string body as it is; anything else as one JSON line."""
    text = value if isinstance(value, str) else json.dumps(value)
    return text.encode("utf-8", "surrogatepass")
