"""Generated files, hostile in encoding and structure, imported through the command line.

The property: exit 0 and the rows imported, or exit 2 with ``file:line:`` messages and
nothing written; never exit 3, never a traceback.  Every ``make test`` runs a bounded number
of examples (``EVENTRISK_FUZZ_EXAMPLES``, 60 by default); ``make fuzz`` runs 20,000.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import os
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from eventrisk.cli import main
from eventrisk.desk import Desk
from eventrisk.fields import FIELDS_BY_KIND, KINDS, field_names

EXAMPLES = int(os.environ.get("EVENTRISK_FUZZ_EXAMPLES", "60"))
CODES = ("FUZ-0001", "FUZ-0002")

odd_text = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=30)
hostile_text = st.one_of(
    odd_text,
    st.sampled_from(["=HYPERLINK(\"x\")", "@SUM(A1)", "+cmd|' /C calc'!A0", "-2+3", "\u2028",
                     "\x85", "\x0c", "\x00", "'", '"', ",", ";", "\r\n", "\ufeff", "é" * 300]),
    st.builds(lambda n: "x" * n, st.integers(0, 140_000)),
)
plausible = {
    "code": st.sampled_from(CODES + ("NEW-1", "bad code", "")),
    "venue_code": st.sampled_from(CODES + ("NOPE-9",)),
    "borough": st.sampled_from(["Hackney", "Camden", "Gotham", ""]),
    "capacity": st.one_of(st.integers(-5, 5000), st.just("many")),
    "expected_attendance": st.one_of(st.integers(-5, 5000), st.just("")),
    "start": st.sampled_from(["2099-03-02T22:00", "0999-06-01T22:00", "2020-01-01T01:00",
                              "2026-03-29T01:30", "tomorrow"]),
    "end": st.sampled_from(["2099-03-03T02:00", "2020-01-01T03:00", ""]),
    "occurred_at": st.sampled_from(["2025-03-02T22:00", "1999-01-01T00:00", "x"]),
    "event_type": st.sampled_from(["club_night", "concert", "rave", ""]),
    "ticketing": st.sampled_from(["advance_only", "door_only", "free"]),
    "status": st.sampled_from(["received", "cancelled", "issued", "approved", ""]),
    "category": st.sampled_from(["knife", "firearm", "other", "genre"]),
    "severity": st.sampled_from(["1", "2", "3", "serious", "9"]),
    "location": st.sampled_from(["inside", "door", "outside_nearby", "roof"]),
    "reference": st.sampled_from(["", "ER-2099-000001", "ER-2099-999999", "ER-2099-1",
                                  "INC-9"]),
    "alcohol": st.sampled_from(["true", "false", "maybe", ""]),
    "min_age": st.one_of(st.integers(-1, 30), st.just("")),
}


def value_for(name: str):
    base = plausible.get(name, hostile_text)
    json_odd = st.one_of(st.none(), st.booleans(), st.floats(allow_nan=False),
                         st.lists(st.integers(), max_size=3),
                         st.dictionaries(st.text(max_size=3), st.integers(), max_size=2))
    return st.one_of(base, hostile_text, json_odd) if name not in plausible else \
        st.one_of(base, base, hostile_text)


@st.composite
def hostile_file(draw):
    kind = draw(st.sampled_from(KINDS))
    names = list(field_names(FIELDS_BY_KIND[kind]))
    columns = draw(st.lists(st.sampled_from(names + ["genre", ""]), min_size=1, max_size=14))
    rows = [{c: draw(value_for(c)) for c in columns}
            for _ in range(draw(st.integers(0, 4)))]
    fmt = draw(st.sampled_from(["csv", "json", "csv", "json", "txt"]))
    if fmt == "json":
        shape = draw(st.sampled_from(["list", "wrapped", "nested-first", "scalar", "deep"]))
        if shape == "list":
            text = json.dumps(rows, ensure_ascii=draw(st.booleans()), default=str, indent=1)
        elif shape == "wrapped":
            text = json.dumps({kind: rows}, default=str, indent=1)
        elif shape == "nested-first":
            text = json.dumps({"meta": {kind: []}, kind: rows}, default=str, indent=1)
        elif shape == "deep":
            text = "[" * draw(st.integers(20, 100_000))
        else:
            text = json.dumps(draw(st.one_of(st.integers(), st.text(max_size=5))))
    else:
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(columns)
        for row in rows:
            cells = ["" if v is None else str(v) for v in row.values()]
            if draw(st.booleans()) and draw(st.booleans()):
                cells.append("extra")
            writer.writerow(cells)
            if draw(st.booleans()) and draw(st.booleans()):
                out.write("\n")
        text = out.getvalue()
    if draw(st.booleans()) and text:  # a blunt cut anywhere
        text = text[:draw(st.integers(0, len(text)))]
    encoding = draw(st.sampled_from(["utf-8", "utf-8", "utf-8-sig", "utf-16", "utf-16-le",
                                     "latin-1"]))
    data = text.encode(encoding, errors="replace")
    if encoding == "utf-8" and draw(st.booleans()) and draw(st.booleans()):
        data = codecs.BOM_UTF8 + data
    return kind, fmt, data


@pytest.fixture(scope="module")
def fuzz_desk(tmp_path_factory):
    folder = tmp_path_factory.mktemp("fuzz")
    path = folder / "desk.db"
    desk = Desk.open(path, create=True)
    desk.create_first_admin("fuzzer", "Fuzzer", "fuzz-password")
    desk.db.execute("INSERT INTO venues (code, name, address, postcode, borough, capacity) "
                    "VALUES ('FUZ-0001', 'A', '1 Road', 'E8 1AA', 'Hackney', 300), "
                    "('FUZ-0002', 'B', '2 Road', 'E8 2AA', 'Hackney', 900)")
    desk.db.conn.commit()
    desk.close()
    secret = folder / "pw"
    secret.write_text("fuzz-password\n")
    secret.chmod(0o600)
    yield path, secret, folder


def _rows(path) -> int:
    desk = Desk.open(path)
    n = sum(desk.db.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
            for t in ("venues", "submissions", "incidents"))
    desk.close()
    return n


@settings(max_examples=EXAMPLES, deadline=None, derandomize=EXAMPLES <= 200,
          suppress_health_check=list(HealthCheck))
@given(case=hostile_file())
def test_a_generated_file_imports_whole_or_is_refused_by_line(case, fuzz_desk, capsys):
    kind, fmt, data = case
    path, secret, folder = fuzz_desk
    target = folder / f"generated.{fmt}"
    target.write_bytes(data)
    before = _rows(path)
    code = main(["--db", str(path), "--user", "fuzzer", "--password-file", str(secret),
                 "import", kind, str(target)])
    out, err = capsys.readouterr()
    assert code in (0, 2), (code, err)
    assert "Traceback" not in err
    if code == 0:
        created, updated = _counts(out)
        assert _rows(path) == before + created
    else:
        assert _rows(path) == before  # nothing half-written
        for line in err.strip().splitlines():
            assert re.match(rf"^{re.escape(str(target))}:\d+: ", line), line


def _counts(out: str) -> tuple[int, int]:
    match = re.search(r"Imported (\d+) \w+ from .*?(?:, updated (\d+))?\.$", out.strip())
    assert match, out
    return int(match[1]), int(match[2] or 0)
