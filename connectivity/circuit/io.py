"""Circuitscape's text inputs and its output files.

Inputs: focal-point lists (``id x y``), include/exclude pair files (``mode include|exclude``
+ ``id id`` rows, or a matrix with ``min``/``max`` header lines), variable source strengths
(``id strength``), reclass tables (``old new``), network edge lists (``node node value``) and node lists/values. Outputs:
``<base>_resistances.out`` (square matrix, ID header row and column), ``_resistances_3columns.out``,
the one-to-all / all-to-one two-column table, network voltage/current tables, and grids written
through :func:`connectivity.raster.write_raster`.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from connectivity.raster import Raster, write_raster
from genetics.errors import InputDataError
from genetics.io.atomic import atomic_open

__all__ = [
    "read_numeric_table",
    "read_include_pairs",
    "include_matrix",
    "read_strengths",
    "read_reclass_table",
    "reclassify",
    "write_resistance_matrix",
    "write_resistance_3columns",
    "write_two_column",
    "write_node_table",
    "write_branch_table",
    "write_grid",
]


def read_numeric_table(path: str | os.PathLike[str], ncols: int | None = None, what: str = "values",
                       nan_words: tuple[str, ...] = ()) -> np.ndarray:
    """Whitespace/comma separated numbers, one record a line (``#`` comments, blank lines ok).

    Words in *nan_words* (case-insensitive, quotes stripped) are read as NaN.
    Returns float64 array, shape (n_rows, n_cols). Raises InputDataError naming file and line.
    """
    p = Path(path)
    if not p.exists():
        raise InputDataError("no such file", path=p)
    rows = []
    with open(p, encoding="utf-8-sig") as fh:
        for lineno, line in enumerate(fh, 1):
            s = line.split("#", 1)[0].replace(",", " ").split()
            if not s:
                continue
            try:
                vals = [np.nan if x.strip('"').lower() in nan_words else float(x) for x in s]
            except ValueError:
                raise InputDataError(f"expected numbers ({what}), got {line.strip()!r}", path=p, line=lineno) from None
            if ncols is not None and len(vals) < ncols:
                raise InputDataError(f"expected {ncols} columns ({what}), got {len(vals)}", path=p, line=lineno)
            rows.append(vals[:ncols] if ncols else vals)
    if not rows:
        raise InputDataError(f"no {what} in file", path=p)
    width = max(len(r) for r in rows)
    if ncols is None and any(len(r) != width for r in rows):
        raise InputDataError(f"rows of different length ({what})", path=p)
    return np.array(rows, dtype=np.float64)


def read_include_pairs(path: str | os.PathLike[str]) -> tuple[str, object]:
    """Read an include/exclude pairs file in either Circuitscape layout.

    Returns
    -------
    ("pairs", (mode, array (k, 2) of IDs)) for the ``mode include|exclude`` layout, or
    ("matrix", (ids (m,), values (m, m), min, max)) for the matrix layout.
    """
    p = Path(path)
    if not p.exists():
        raise InputDataError("no such file", path=p)
    lines = [(i, ln.split("#", 1)[0].strip()) for i, ln in enumerate(open(p, encoding="utf-8-sig"), 1)]
    lines = [(i, ln) for i, ln in lines if ln]
    if not lines:
        raise InputDataError("empty pairs file", path=p)
    first = lines[0][1].split()
    if first[0].lower() == "mode":
        if len(first) < 2 or first[1].lower() not in ("include", "exclude"):
            raise InputDataError("first line must be 'mode include' or 'mode exclude'", path=p, line=lines[0][0])
        pairs = []
        for i, ln in lines[1:]:
            s = ln.replace(",", " ").split()
            try:
                pairs.append((int(float(s[0])), int(float(s[1]))))
            except (ValueError, IndexError):
                raise InputDataError(f"expected two focal IDs, got {ln!r}", path=p, line=i) from None
        return "pairs", (first[1].lower(), np.array(pairs, dtype=np.int64).reshape(-1, 2))
    lo, hi = -np.inf, np.inf
    body = []
    for i, ln in lines:
        s = ln.replace(",", " ").split()
        if s[0].lower() == "min":
            lo = float(s[1])
        elif s[0].lower() == "max":
            hi = float(s[1])
        else:
            try:
                body.append((i, [float(x) for x in s]))
            except ValueError:
                raise InputDataError(f"expected numbers, got {ln!r}", path=p, line=i) from None
    if not body:
        raise InputDataError("no pair matrix found", path=p)
    head = body[0][1]
    ids = np.array(head[1:], dtype=np.int64)
    m = len(ids)
    vals = np.full((m, m), np.nan)
    for k, (i, row) in enumerate(body[1:]):
        if k >= m or len(row) < m + 1:
            raise InputDataError(f"matrix row should have {m + 1} values", path=p, line=i)
        vals[k] = row[1:m + 1]
    return "matrix", (ids, vals, lo, hi)


def include_matrix(spec: tuple[str, object], ids: np.ndarray) -> np.ndarray:
    """Bool matrix (n, n) of pairs to solve, in the order of focal *ids*."""
    kind, data = spec
    ids = np.asarray(ids, dtype=np.int64)
    n = len(ids)
    pos = {int(x): i for i, x in enumerate(ids)}
    if kind == "pairs":
        mode, pairs = data  # type: ignore[misc]
        sel = np.zeros((n, n), dtype=bool)
        for a, b in pairs:
            if a in pos and b in pos:
                sel[pos[a], pos[b]] = sel[pos[b], pos[a]] = True
        if mode == "exclude":
            sel = ~sel
    else:
        mids, vals, lo, hi = data  # type: ignore[misc]
        sel = np.zeros((n, n), dtype=bool)
        good = (vals >= lo) & (vals <= hi)
        for i, a in enumerate(mids):
            for j, b in enumerate(mids):
                if good[i, j] and int(a) in pos and int(b) in pos:
                    sel[pos[int(a)], pos[int(b)]] = True
        sel = sel & sel.T
    np.fill_diagonal(sel, False)
    return sel


def include_ids(spec: tuple[str, object]) -> np.ndarray | None:
    """Focal IDs an include file keeps (Circuitscape drops the others from the outputs).

    The matrix layout keeps the IDs of its header; ``mode include`` keeps the IDs listed in a
    pair; ``mode exclude`` keeps every ID (None).
    """
    kind, data = spec
    if kind == "pairs":
        mode, pairs = data  # type: ignore[misc]
        return np.unique(pairs) if mode == "include" else None
    return np.asarray(data[0], dtype=np.int64)  # type: ignore[index]


def read_strengths(path: str | os.PathLike[str]) -> dict[int, float]:
    """Variable source strengths: rows ``id strength`` → {id: strength}."""
    t = read_numeric_table(path, 2, "focal ID and source strength")
    return {int(a): float(b) for a, b in t}


def read_reclass_table(path: str | os.PathLike[str]) -> np.ndarray:
    """Reclass table rows ``old new`` → float64 array, shape (n_rows, 2).

    The format Circuitscape reads for ``reclass_file`` (two numbers a line, whitespace or
    comma separated). A new value of ``missing`` / ``nan`` (Omniscape's convention) turns the
    class into nodata; it is read as NaN.
    """
    return read_numeric_table(path, 2, "old and new value", nan_words=("missing", "nan"))


def reclassify(values: np.ndarray, valid: np.ndarray, table: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Apply a reclass table to the valid cells, row by row as Circuitscape does.

    Circuitscape 4 (``read_cell_map``) replaces ``old`` by ``new`` for each table row in turn,
    so rows chain (``1 2`` then ``2 3`` sends 1 to 3); bigcats does the same. A NaN ``new``
    makes the cell nodata.

    Parameters
    ----------
    values : numpy.ndarray, shape (rows, cols)
    valid : numpy.ndarray of bool, shape (rows, cols)
    table : numpy.ndarray, shape (n, 2)

    Returns
    -------
    (values, valid) : new arrays; the inputs are not modified.
    """
    v = np.array(values, dtype=np.float64, copy=True)
    ok = np.array(valid, dtype=bool, copy=True)
    for old, new in table:
        hit = ok & (v == old)
        if np.isnan(new):
            ok &= ~hit
        else:
            v[hit] = new
    return v, ok


def _fmt(x: float) -> str:
    if x == int(x) and abs(x) < 1e15:
        return str(int(x))
    return f"{x:.10g}"


def write_resistance_matrix(path: Path, ids: np.ndarray, R: np.ndarray) -> Path:
    """Circuitscape's square ``_resistances.out``: row 0 = ``0 id1 id2 …``, column 0 = IDs."""
    with atomic_open(path, "w") as fh:
        fh.write(" ".join(["0"] + [_fmt(float(i)) for i in ids]) + "\n")
        for i, row in zip(ids, R):
            fh.write(" ".join([_fmt(float(i))] + [_fmt(float(x)) for x in row]) + "\n")
    return path


def write_resistance_3columns(path: Path, ids: np.ndarray, R: np.ndarray) -> Path:
    """``id_i id_j R`` for i < j in the matrix order."""
    iu, ju = np.triu_indices(len(ids), 1)
    with atomic_open(path, "w") as fh:
        for i, j in zip(iu, ju):
            fh.write(f"{_fmt(float(ids[i]))} {_fmt(float(ids[j]))} {_fmt(float(R[i, j]))}\n")
    return path


def write_two_column(path: Path, ids: np.ndarray, values: np.ndarray) -> Path:
    """``id value`` rows (one-to-all / all-to-one resistances, network voltages and currents)."""
    with atomic_open(path, "w") as fh:
        for i, v in zip(ids, values):
            fh.write(f"{_fmt(float(i))} {_fmt(float(v))}\n")
    return path


write_node_table = write_two_column


def write_branch_table(path: Path, a: np.ndarray, b: np.ndarray, current: np.ndarray) -> Path:
    """``node_a node_b |current|`` rows."""
    with atomic_open(path, "w") as fh:
        for x, y, c in zip(a, b, current):
            fh.write(f"{_fmt(float(x))} {_fmt(float(y))} {_fmt(float(c))}\n")
    return path


def write_grid(path: Path, template: Raster, values: np.ndarray, nodata: float = -9999.0) -> Path:
    """Write a result grid on the habitat raster's georeferencing (``.asc`` or ``.tif``)."""
    vals = np.asarray(values, dtype=np.float64)
    return write_raster(path, Raster(vals, template.transform, template.crs, nodata))
