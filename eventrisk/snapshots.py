"""Compact snapshots: a snapshot's inputs, features and fired rules, stored as one deflated
blob with a preset dictionary, and given back as exactly the canonical JSON texts they were
(so the digest over those texts still verifies).

The dictionary holds what every snapshot repeats (feature names, input fields, rule wording),
so a snapshot of about 4 KB of JSON takes about 600 bytes.  Each blob starts with the version
of the dictionary it was made with; the dictionaries themselves live in the database
(``snapshot_dictionaries``, written by the migration that introduced them), so a snapshot
never depends on a file that a later release could change."""

from __future__ import annotations

import zlib

from sqlite_utils import Database

SEPARATOR = "\x1e"  # between the three texts (never in canonical JSON: it would be escaped)
CURRENT = 1
_WBITS = -15  # raw deflate: the version byte and the dictionary say all there is to say
# Deflate level 6.  Level 3 packs a quarter faster but 60 bytes a snapshot larger, which takes
# a dense desk over a kilobyte a snapshot (issue 14's limit).  Any level unpacks alike.
LEVEL = 6
# zlib's default memory level.  Level 9's larger hash table packs a snapshot no smaller (480.5
# bytes against 480.4 on the 100k benchmark desk) but a fifth slower, copying the primed packer
# included.  The memory level is not part of the format: any blob unpacks alike.
MEM_LEVEL = 8


def dictionary_v1() -> bytes:
    """Dictionary 1, made from the catalogue, the input fields and the shipped rules when
    m010 runs on a desk.  That desk keeps it (``snapshot_dictionaries``) and only ever reads
    it back from there, so a later release that changes the rules changes new desks'
    dictionaries, never an existing one's."""
    from eventrisk.scoring.catalogue import CATALOGUE
    from eventrisk.scoring.rules import default_ruleset

    parts: list[str] = []
    for rule in default_ruleset().rules:
        evidence = rule.evidence.replace("{incidents}", '","INC-00').replace('"', '\\"')
        parts.append(f'{{"id":"{rule.id}","title":"{rule.title}","points":{rule.points},'
                     f'"evidence":"{evidence}","measure":"{rule.measure}","min_grade":null,'
                     f'"incident_refs":["INC-00')
    parts.append('{"event_type":"club_night","starts_at":"20","ends_at":"20",'
                 '"expected_attendance":,"ticketing":"advance_only","min_age":18,"alcohol":1,'
                 '"door_supervisors":,"search_regime":"bag_search","cctv":1,"id_scanning":0,'
                 '"dispersal_plan":1,"medical_cover":0,"received_at":"20","venue":{"code":"",'
                 '"capacity":,"latest_finish":"03:00","has_cctv":true,"has_id_scanner":false}}')
    parts.append("{" + ",".join(f'"{name}":0' for name in CATALOGUE) + "}")
    # Deflate looks back 32 KB and prefers the end of the dictionary: the most common last.
    return "".join(parts).encode("utf-8")[-32768:]


_PACKERS: dict[bytes, object] = {}  # by dictionary: a few entries, whatever the desks


def pack(db: Database, inputs: str, features: str, fired: str) -> bytes:
    """One blob for the three canonical JSON texts of a snapshot."""
    dictionary = _dictionary(db, CURRENT)
    primed = _PACKERS.get(dictionary)
    if primed is None:  # loading a 32 KB dictionary costs more than copying a primed packer
        if len(_PACKERS) > 8:
            _PACKERS.clear()
        primed = _PACKERS[dictionary] = zlib.compressobj(LEVEL, zlib.DEFLATED, _WBITS,
                                                         MEM_LEVEL, zlib.Z_DEFAULT_STRATEGY,
                                                         dictionary)
    packer = primed.copy()  # type: ignore[attr-defined]
    text = SEPARATOR.join((inputs, features, fired)).encode("utf-8")
    return bytes([CURRENT]) + packer.compress(text) + packer.flush()


def unpack(db: Database, blob: bytes) -> tuple[str, str, str]:
    """The three texts again, byte for byte."""
    unpacker = zlib.decompressobj(_WBITS, _dictionary(db, blob[0]))
    text = (unpacker.decompress(blob[1:]) + unpacker.flush()).decode("utf-8")
    inputs, features, fired = text.split(SEPARATOR)
    return inputs, features, fired


def texts(db: Database, packed: bytes | None, inputs: str | None, features: str | None,
          fired: str | None) -> tuple[str, str, str]:
    """A stored snapshot's texts, whether packed or (from before m010 ran) plain."""
    if packed is not None:
        return unpack(db, packed)
    return inputs or "", features or "", fired or ""


def _dictionary(db: Database, version: int) -> bytes:
    """A database's own dictionary, read once per ``Database`` (kept on it, so it goes with
    it and can never be mistaken for another desk's)."""
    cache = db.__dict__.setdefault("_snapshot_dictionaries", {})
    if version not in cache:
        row = db.execute("SELECT data FROM snapshot_dictionaries WHERE version = ?",
                         [version]).fetchone()
        if row is None:
            raise ValueError(f"snapshot dictionary {version} is missing from this database")
        cache[version] = bytes(row[0])
    return cache[version]
