"""Sample metadata CSV: ``sample_id,lon,lat,country,site,date,sample_type,sex,...`` joined by id.

``sample_id`` (or ``id``/``sample``) is required; every other column is kept (``lon``/``lat`` must
be numbers in degree range, ``longitude``/``latitude`` are accepted as names). A ``population``
column, when present, replaces the populations of the genotype file for the samples it names.
Unknown or duplicate ids are errors naming the line.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import InputDataError
from ..model import Genotypes
from .formats import read_lines, split_rows

__all__ = ["read_metadata", "attach_metadata"]

_ID_NAMES = ("sample_id", "id", "sample", "sampleid")
_RENAME = {"longitude": "lon", "long": "lon", "lng": "lon", "latitude": "lat", "pop": "population"}


def read_metadata(path: str | os.PathLike[str]) -> tuple[pd.DataFrame, dict[str, int]]:
    """Read a sample-metadata table.

    Returns
    -------
    metadata : pandas.DataFrame
        Indexed by ``sample_id`` (str); ``lon``/``lat`` float, other columns text (blank -> NaN).
    lines : dict of str to int
        File line of every sample id (for error messages).
    """
    path = Path(path)
    lines = read_lines(path)
    first = lines[0][1]
    sep = "," if "," in first else ";" if ";" in first else "\t" if "\t" in first else None
    rows = split_rows(lines, sep)
    head = [h.strip() for h in rows[0]]
    low = [h.lower() for h in head]
    idc = next((low.index(n) for n in _ID_NAMES if n in low), None)
    if idc is None:
        raise InputDataError("metadata table needs a 'sample_id' column", path=path, line=lines[0][0])
    names = [_RENAME.get(h, h) for h in low]
    names[idc] = "sample_id"
    for k, h in enumerate(head):
        if names[k] == h.lower() and h.lower() not in ("lon", "lat", "population") and k != idc:
            names[k] = h  # keep the user's spelling for other columns
    if len(set(names)) != len(names):
        dup = next(n for n in names if names.count(n) > 1)
        raise InputDataError(f"column {dup!r} appears twice", path=path, line=lines[0][0])
    body = rows[1:]
    blines = [ln for ln, _ in lines[1:]]
    if not body:
        raise InputDataError("no data lines after the header", path=path, line=lines[0][0])
    for r, ln in zip(body, blines):
        if len(r) != len(head):
            raise InputDataError(f"wrong column count: {len(r)} columns, expected {len(head)}",
                                 path=path, line=ln)
    df = pd.DataFrame(body, columns=names).replace("", np.nan)
    ids = df["sample_id"].astype(str).str.strip()
    if ids.isna().any() or (ids == "nan").any():
        k = int(np.flatnonzero((ids == "nan").to_numpy())[0])
        raise InputDataError("empty sample id", path=path, line=blines[k])
    seen: dict[str, int] = {}
    for s, ln in zip(ids, blines):
        if s in seen:
            raise InputDataError(f"duplicate sample id in metadata (first on line {seen[s]})",
                                 path=path, line=ln, sample=s)
        seen[s] = ln
    for col, lim in (("lon", 180.0), ("lat", 90.0)):
        if col in df:
            num = pd.to_numeric(df[col], errors="coerce")
            bad = np.flatnonzero((num.isna() & df[col].notna()).to_numpy() | (num.abs() > lim).to_numpy())
            if len(bad):
                k = int(bad[0])
                raise InputDataError(f"{col} {df[col].iloc[k]!r} is not a number within ±{lim:g} degrees",
                                     path=path, line=blines[k], sample=ids.iloc[k])
            df[col] = num.astype(float)
    df["sample_id"] = ids
    return df.set_index("sample_id"), seen


def attach_metadata(g: Genotypes, path: str | os.PathLike[str]) -> Genotypes:
    """Join the metadata CSV at *path* onto *g* (unknown ids -> error naming the line)."""
    md, where = read_metadata(path)
    known = set(g.samples)
    for s, ln in where.items():
        if s not in known:
            raise InputDataError("metadata names a sample that is not in the genotype file",
                                 path=path, line=ln, sample=s)
    try:
        return g.with_metadata(md, path=os.fspath(path))
    except InputDataError as exc:  # pragma: no cover - checked above
        raise exc.located(path=path) from None
