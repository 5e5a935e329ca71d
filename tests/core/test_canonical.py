"""Snapshot and audit texts are written by orjson for speed, and must be byte for byte what
the standard library writes: digests and hashes are taken over them, and the stand-alone
verifier rebuilds them with json alone."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from eventrisk import audit, canonical
from eventrisk.model import Grade, Severity


def standard(value) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=str)


scalars = (st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1)
           | st.floats(allow_nan=False, allow_infinity=False) | st.text()
           | st.sampled_from(list(Grade)) | st.sampled_from(list(Severity))
           | st.datetimes(timezones=st.just(UTC)))
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=5)
                      | st.dictionaries(st.text(max_size=8), inner, max_size=5), max_leaves=30)


@settings(max_examples=400)
@given(values)
def test_any_value_is_written_exactly_as_json_writes_it(value):
    assert canonical.dumps(value) == standard(value)


def test_tiny_floats_and_odd_text_are_written_as_json_writes_them():
    # orjson alone would write 0.00001 and 1e-7 here
    for value in (1e-05, [0.5, 1e-07], {"w": 5e-05}, "a\x00\x1f\x7f\u2028é😀\"\\/",
                  {"t": datetime(2026, 12, 1, 22, tzinfo=UTC)}, [2**70], {1: "x"},
                  "\ud800", ["e-tickets", "0.00001"]):
        assert canonical.dumps(value) == standard(value)


def test_a_snapshot_features_text_is_unchanged():
    features = {"expected_attendance": 300, "venue_violence_12m": 12.25, "cctv": True,
                "search_regime": "search_arch", "months_since_last_debrief": 99.0,
                "promoter_incidents_24m": 0.0, "ticketing": None}
    assert canonical.dumps(features) == standard(features)


@settings(max_examples=300)
@given(st.integers(1, 2**62), st.text("0123456789abcdef", min_size=64, max_size=64),
       st.sampled_from(list(Grade)), st.integers(-1000, 10_000))
def test_a_snapshot_entry_detail_is_written_exactly_as_the_audit_trail_writes_any_detail(
        assessment, digest, grade, score):
    # Written out directly for speed in a bulk rescore: the bytes hashed into the chain must
    # be the ones detail_text gives, or docs/verify_audit.py would not rebuild them.
    assert audit.snapshot_detail(assessment, digest, grade.value, score) == audit.detail_text(
        {"assessment": assessment, "digest": digest, "grade": grade.value, "score": score})


# A hundred dictionaries of up to six such values: making them is most of this test's cost
# (five seconds for three hundred); ``make fuzz`` makes twenty thousand.
@settings(max_examples=max(100, int(os.environ.get("EVENTRISK_FUZZ_EXAMPLES", "0"))))
@given(st.dictionaries(st.text(max_size=8), values, max_size=6))
def test_an_audit_detail_is_written_exactly_as_json_dumps_writes_it(detail):
    assert audit.detail_text(detail) == json.dumps(detail, ensure_ascii=False, sort_keys=True,
                                                   default=str)
