"""Compact snapshots: a snapshot's inputs, features and fired rules, stored as one compressed
blob with a preset dictionary, and given back as exactly the canonical JSON texts they were
(so the digest over those texts still verifies).

The dictionary holds what every snapshot repeats (feature names, input fields, rule wording),
so a snapshot of about 5 KB of JSON takes 300 to 500 bytes (325 on the 100,000-event
benchmark desk, where deflate took 485).  Each blob starts with the version of the
dictionary it was made with, which also says how it was packed:

- version 1 (m010): raw deflate, with a dictionary made from the catalogue and the rules;
- version 2 (m014): zstd at level 3, with a dictionary trained on a demo desk's snapshots
  (``scripts/snapshot_dictionary.py``).  It packs five times faster than version 1, and a
  third smaller on the benchmark desk.

The dictionaries themselves live in the database (``snapshot_dictionaries``, written by the
migration that introduced them), so a snapshot never depends on a file that a later release
could change, and every version ever written stays readable."""

from __future__ import annotations

import threading
import zlib

import zstandard
from sqlite_utils import Database

from eventrisk.paths import resource

SEPARATOR = "\x1e"  # between the three texts (never in canonical JSON: it would be escaped)
CURRENT = 2
DEFLATED = 1  # the one version packed with deflate; every later one is zstd
# zstd level 3 (its default): level 5 packs 8% smaller but takes two and a half times as long.
ZSTD_LEVEL = 3
_LARGEST = 1 << 22  # bytes of text; a snapshot has about 5,000
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


def dictionary_v2() -> bytes:
    """Dictionary 2, trained by ``scripts/snapshot_dictionary.py`` and shipped as a file,
    which m014 copies into each desk; from then on the desk reads only its own copy."""
    return resource("snapshot-dictionary-2.zdict").read_bytes()


class DamagedSnapshotError(ValueError):
    """A stored blob that does not unpack: an unknown version, or bytes that were changed."""


# Packers and unpackers by dictionary (a few entries, whatever the desks), one set a thread:
# loading a 32 KB dictionary costs more than packing a snapshot, and a zstd context cannot be
# shared between threads.
_LOCAL = threading.local()


def _coder(kind: str, dictionary: bytes, make):
    cache = _LOCAL.__dict__.setdefault(kind, {})
    coder = cache.get(dictionary)
    if coder is None:
        if len(cache) > 8:
            cache.clear()
        coder = cache[dictionary] = make()
    return coder


def pack(db: Database, inputs: str, features: str, fired: str,
         version: int = CURRENT) -> bytes:
    """One blob for the three canonical JSON texts of a snapshot (``version`` only for a
    migration that packs before a later dictionary exists)."""
    dictionary = _dictionary(db, version)
    text = SEPARATOR.join((inputs, features, fired)).encode("utf-8")
    if version == DEFLATED:
        primed = _coder("deflate", dictionary, lambda: zlib.compressobj(
            LEVEL, zlib.DEFLATED, _WBITS, MEM_LEVEL, zlib.Z_DEFAULT_STRATEGY, dictionary))
        packer = primed.copy()
        return bytes([version]) + packer.compress(text) + packer.flush()
    zpacker = _coder("zstd", dictionary, lambda: zstandard.ZstdCompressor(
        level=ZSTD_LEVEL, dict_data=zstandard.ZstdCompressionDict(dictionary),
        write_checksum=False, write_content_size=True, write_dict_id=False))
    return bytes([version]) + zpacker.compress(text)


def unpack(db: Database, blob: bytes) -> tuple[str, str, str]:
    """The three texts again, byte for byte (``DamagedSnapshotError`` if they cannot be)."""
    if not blob:
        raise DamagedSnapshotError("the snapshot is empty")
    version = blob[0]
    dictionary = _dictionary(db, version)
    try:
        if version == DEFLATED:
            unpacker = zlib.decompressobj(_WBITS, dictionary)
            raw = unpacker.decompress(blob[1:]) + unpacker.flush()
        else:
            # The size a frame claims is what zstd allocates: a forged one is refused first.
            if not 0 <= zstandard.frame_content_size(blob[1:]) <= _LARGEST:
                raise ValueError("it claims an impossible size")
            raw = _coder("unzstd", dictionary, lambda: zstandard.ZstdDecompressor(
                dict_data=zstandard.ZstdCompressionDict(dictionary))).decompress(blob[1:])
        inputs, features, fired = raw.decode("utf-8").split(SEPARATOR)
    except (zlib.error, zstandard.ZstdError, UnicodeDecodeError, ValueError) as e:
        raise DamagedSnapshotError(f"the snapshot does not unpack ({e})") from None
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
            raise DamagedSnapshotError(
                f"snapshot dictionary {version} is missing from this database")
        cache[version] = bytes(row[0])
    return cache[version]
