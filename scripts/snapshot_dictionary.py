"""Train the zstd dictionary that snapshots are packed with
(``eventrisk/resources/snapshot-dictionary-2.zdict``; ``eventrisk.snapshots``).

It is trained on the snapshots of a scored 10,000-event demo desk: what every snapshot repeats
is the catalogue's feature names, the input fields and the rules' wording, which a demo desk
has as any desk does.  Training is deterministic (one thread), so running this again gives
the same bytes while the demo, the scorer and the rules are unchanged.

Run it only to make a new dictionary for a new snapshot version.  A desk keeps the dictionary
its migration stored (``snapshot_dictionaries``), so replacing the file never changes what an
existing desk's snapshots need; a new file needs a new version and a new migration.

    python scripts/snapshot_dictionary.py [OUT]
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import zstandard

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from eventrisk import snapshots  # noqa: E402
from eventrisk.desk import Desk  # noqa: E402

SIZE = 32_768  # 16 KB packs a snapshot 20 bytes larger; 64 KB, 15 bytes smaller


def main() -> None:
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else (
        ROOT / "eventrisk" / "resources" / f"snapshot-dictionary-{snapshots.CURRENT}.zdict")
    # The desk is made before the dictionary exists: its m014 stores a stand-in (dictionary 1
    # as raw zstd content), which packs the snapshots read back here just as well.
    snapshots.dictionary_v2 = snapshots.dictionary_v1
    with tempfile.TemporaryDirectory() as folder:
        desk = Desk.open(Path(folder) / "desk.db", create=True)
        desk.build_demo(seed=1, venues=150, events=10_000, incidents=50_000)
        desk.sign_in("supervisor", "supervisor-demo")
        desk.rescore_all(sink=lambda r: None)
        db = desk.db
        texts = [snapshots.SEPARATOR.join(snapshots.unpack(db, bytes(packed))).encode()
                 for packed, in db.execute("SELECT packed FROM assessments ORDER BY id")]
        desk.close()
    trained = zstandard.train_dictionary(SIZE, texts[::2], level=snapshots.ZSTD_LEVEL,
                                         threads=1)
    packer = zstandard.ZstdCompressor(level=snapshots.ZSTD_LEVEL, dict_data=trained)
    held_out = texts[1::2]
    average = sum(len(packer.compress(t)) for t in held_out) / len(held_out)
    out.write_bytes(trained.as_bytes())
    print(f"{out}: {len(trained.as_bytes()):,} bytes, trained on {len(texts[::2]):,} "
          f"snapshots; the other {len(held_out):,} pack to {average:.0f} bytes on average")


if __name__ == "__main__":
    main()
