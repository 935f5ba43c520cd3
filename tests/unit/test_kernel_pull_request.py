"""The pull request body the batch puller formats directly is the JSON nats-py's `json.dumps` would send."""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st

from annostream_kernel.pull import pull_request


@given(st.integers(min_value=1, max_value=10_000), st.floats(min_value=0.001, max_value=3600.0))
def test_the_pull_request_is_the_json_of_its_fields(batch: int, timeout: float) -> None:
    fields = {"batch": batch, "expires": int(timeout * 1e9) - 100_000, "no_wait": True}
    assert pull_request(batch, timeout) == json.dumps(fields).encode()
    assert json.loads(pull_request(batch, timeout)) == fields
