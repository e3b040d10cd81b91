"""A minimal ABIF (.ab1) writer for tests, after Applied Biosystems' published ABIF format spec.

Writes the tags a base-called trace carries for sequence screening: ``PBAS2`` (base calls),
``PCON2`` (phred qualities, one byte each) and optionally ``SMPL1`` (sample name, a pString).
Layout: 6-byte header ``ABIF`` + version, the 28-byte ``tdir`` directory entry that points at
the directory, the tag data, then the directory (one 28-byte entry per tag). Data of 4 bytes or
less is stored in the entry's offset field, as the spec requires.
"""

from __future__ import annotations

import struct
from pathlib import Path

_ENTRY = ">4sIHHIIII"  # name, number, element type, element size, count, data size, offset, handle


def write_abif(path: Path, bases: str, quals: list[int] | None = None, sample: str | None = None) -> Path:
    tags: list[tuple[bytes, int, int, int, bytes]] = []  # name, number, type, count, data
    tags.append((b"PBAS", 2, 2, len(bases), bases.encode("ascii")))
    if quals is not None:
        tags.append((b"PCON", 2, 2, len(quals), bytes(int(q) for q in quals)))
    if sample is not None:
        raw = sample.encode("ascii")
        tags.append((b"SMPL", 1, 18, len(raw) + 1, bytes([len(raw)]) + raw))
    header_size = 6 + 28
    data = b""
    entries = []
    for name, number, etype, count, payload in tags:
        if len(payload) <= 4:
            offset = int.from_bytes(payload.ljust(4, b"\0"), "big")
        else:
            offset = header_size + len(data)
            data += payload
        entries.append(struct.pack(_ENTRY, name, number, etype, 1, count, len(payload), offset, 0))
    dir_offset = header_size + len(data)
    tdir = struct.pack(_ENTRY, b"tdir", 1, 1023, 28, len(entries), 28 * len(entries), dir_offset, 0)
    path.write_bytes(b"ABIF" + struct.pack(">H", 101) + tdir + data + b"".join(entries))
    return path
