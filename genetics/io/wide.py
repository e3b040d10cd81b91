"""Wide genotype tables: one row per sample (CERVUS, related/COANCESTRY, allelematch, Demerelate).

Layouts read
------------
* ``id[,meta...],L1a,L1b,L2a,L2b,...`` - two columns per locus (comma, semicolon, tab or
  whitespace separated), with or without a header line;
* ``id[,meta...],L1,L2,...`` with ``a/b`` (or ``a|b``) genotypes, one column per locus;
* headerless whitespace files such as related's ``simrel.txt`` (any line ending, CR-only too).

Column roles
------------
The sample id is column 0 unless ``id_col`` says otherwise. Metadata columns are given with
``meta_cols`` (names or 0-based indices) or sniffed: leading columns (after the id) whose cells are
mostly not alleles (e.g. allelematch's ``knownIndividual``, ``samplingData``, a one-column ``sex``
marker) are metadata; when the remaining two-column block has an odd number of columns, its first
column is metadata too in a headerless file (an integer population). The population column is ``pop_col`` or the
metadata column named ``pop``/``population``/``popn``/``group`` (case-insensitive), or the single
metadata column of a headerless file.

Locus names come from the header: a column pair ``LOC1a,LOC1b`` / ``fca8_1,fca8_2`` /
``X5.alleles,X5.alleles.1`` / ``Loc1,(blank)`` gives ``LOC1`` / ``fca8`` / ``X5.alleles`` / ``Loc1``;
headerless files get ``L1, L2, ...``.
"""

from __future__ import annotations

import csv
import os
import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import InputDataError
from ..model import MISSING, Genotypes
from .atomic import atomic_open
from .formats import (
    MISSING_TOKENS,
    build_genotypes,
    check_unique_ids,
    is_allele_token,
    parse_alleles,
    read_lines,
    split_rows,
)

__all__ = ["read_wide", "write_wide", "locus_from_pair", "POP_NAMES"]

#: Header names (lower case) taken as the population column.
POP_NAMES = ("pop", "population", "populations", "popn", "pop_name", "pop_id", "group")
#: Header names (lower case) always taken as metadata, never as loci.
META_NAMES = POP_NAMES + ("site", "sex", "lon", "lat", "longitude", "latitude", "x", "y",
                          "country", "date", "sample_type", "knownindividual", "individual_id")

_PAIR_SUFFIXES = (
    ("_1", "_2"), (".1", ".2"), ("-1", "-2"), ("_a", "_b"), (".a", ".b"), ("-a", "-b"),
    ("_A", "_B"), (".A", ".B"), ("a", "b"), ("A", "B"), ("1", "2"),
)
#: Metadata cells read as missing (an allelematch ``sex`` of -99, R's NA).
_META_MISSING = frozenset({"", "NA", "-9", "-99"})
_GENO_RE = re.compile(r"^([^/|]*)[/|]([^/|]*)$")


def locus_from_pair(n1: str, n2: str) -> str:
    """Locus name from the header names of its two allele columns."""
    n1, n2 = n1.strip(), n2.strip()
    if n2 == "" or n2 == n1 or n2 == n1 + ".1" or re.fullmatch(r"Unnamed: \d+", n2):
        return n1
    for s1, s2 in _PAIR_SUFFIXES:
        if n1.endswith(s1) and n2.endswith(s2):
            stem1, stem2 = n1[: -len(s1)], n2[: -len(s2)]
            if stem1 == stem2 and stem1:
                return stem1
    k = 0
    while k < min(len(n1), len(n2)) and n1[k] == n2[k]:
        k += 1
    stem = n1[:k].rstrip("._- ")
    return stem or n1


def _is_genotype_cell(tok: str) -> bool:
    if tok in MISSING_TOKENS:
        return True
    m = _GENO_RE.match(tok)
    return bool(m) and is_allele_token(m.group(1).strip()) and is_allele_token(m.group(2).strip())


def _is_header(rows: list[list[str]]) -> bool:
    def n_non(row: list[str]) -> int:
        return sum(1 for t in row[1:] if t != "" and not (is_allele_token(t) or _is_genotype_cell(t)))

    r0 = rows[0]
    if len(rows) == 1:
        return not (is_allele_token(r0[-1]) or _is_genotype_cell(r0[-1]))
    n0, n1 = n_non(r0), n_non(rows[1])
    return n0 > n1 and n0 >= max(1, (len(r0) - 1) // 3)


def _resolve(spec, names: list[str], path, header_line: int | None) -> int:
    if isinstance(spec, (int, np.integer)):
        if not 0 <= int(spec) < len(names):
            raise InputDataError(f"column index {spec} out of range (file has {len(names)} columns)",
                                 path=path, line=header_line)
        return int(spec)
    low = [n.lower() for n in names]
    if str(spec) in names:
        return names.index(str(spec))
    if str(spec).lower() in low:
        return low.index(str(spec).lower())
    raise InputDataError(f"no column named {spec!r}", path=path, line=header_line)


def read_wide(
    path: str | os.PathLike[str],
    *,
    id_col: int | str = 0,
    pop_col: int | str | bool | None = None,
    meta_cols: Sequence[int | str] | None = None,
    header: bool | None = None,
    sep: str | None = None,
    slash: bool | None = None,
) -> Genotypes:
    """Read a wide genotype table (one row per sample).

    Parameters
    ----------
    path : path-like
    id_col : int or str, default 0
        Sample-id column (0-based index or header name).
    pop_col : int, str, False or None
        Population column; ``None`` sniffs it, ``False`` means none.
    meta_cols : sequence of int or str, optional
        Metadata columns; ``None`` sniffs them (see module docstring).
    header : bool, optional
        Whether line 1 is a header; sniffed when ``None``.
    sep : str, optional
        ``','``, ``';'``, ``'\\t'`` or ``'whitespace'``; sniffed from line 1 when ``None``.
    slash : bool, optional
        ``a/b`` genotypes, one column per locus; sniffed when ``None``.

    Returns
    -------
    Genotypes
    """
    path = Path(path)
    lines = read_lines(path)
    if sep is None:
        first = lines[0][1]
        sep = "," if "," in first else ";" if ";" in first else "\t" if "\t" in first else None
    elif sep == "whitespace":
        sep = None
    rows = split_rows(lines, sep)
    if header is None:
        header = _is_header(rows)
    head = rows[0] if header else None
    header_line = lines[0][0] if header else None
    data = rows[1:] if header else rows
    dlines = [ln for ln, _ in (lines[1:] if header else lines)]
    if not data:
        raise InputDataError("no data lines after the header", path=path, line=header_line)
    w = len(data[0])
    for r, ln in zip(data, dlines):
        if len(r) != w:
            raise InputDataError(
                f"wrong column count: {len(r)} columns, expected {w} (as on line {dlines[0]})",
                path=path, line=ln, sample=r[0] if r else None)
    if w < 2:
        raise InputDataError("a wide genotype table needs a sample id and allele columns",
                             path=path, line=dlines[0])
    if head is not None:
        if len(head) == w - 1:
            head = ["sample_id"] + head
        elif len(head) != w:
            raise InputDataError(f"header has {len(head)} columns but data lines have {w}",
                                 path=path, line=header_line)
        names = [h if h else f"col{i + 1}" for i, h in enumerate(head)]
    else:
        names = [f"col{i + 1}" for i in range(w)]
    D = np.array(data, dtype=str)
    # Excel pads rows with empty cells: drop trailing columns blank in the header and every row
    n_pad = 0
    if head is not None:
        while w - n_pad > 2 and head[w - n_pad - 1] == "" and (D[:, w - n_pad - 1] == "").all():
            n_pad += 1
        if n_pad:
            w -= n_pad
            D, head, names = D[:, :w], head[:w], names[:w]

    id_idx = _resolve(id_col, names, path, header_line)
    pop_idx = None if pop_col in (None, False) else _resolve(pop_col, names, path, header_line)
    explicit = set() if meta_cols is None else {_resolve(c, names, path, header_line) for c in meta_cols}
    if pop_idx is None and pop_col is not False and head is not None:
        pop_idx = next((c for c in range(w) if c != id_idx and c not in explicit
                        and names[c].strip().lower() in POP_NAMES), None)
    taken = {id_idx} | explicit | ({pop_idx} if pop_idx is not None else set())
    cand = [c for c in range(w) if c not in taken]
    if slash is None:
        slash = any(("/" in t or "|" in t) for c in cand for t in D[:, c])

    meta: list[int] = sorted(explicit)
    if meta_cols is None:
        if head is not None:
            named = [c for c in cand if names[c].strip().lower() in META_NAMES]
            meta += named
            cand = [c for c in cand if c not in named]
        while cand:
            col = D[:, cand[0]]
            nb = col[col != ""]
            if len(nb) == 0:
                break
            like = np.mean([_is_genotype_cell(t) if slash else is_allele_token(t) for t in nb])
            if like >= 0.5:
                break
            meta.append(cand.pop(0))
        if not slash and head is None and len(cand) % 2 == 1 and len(cand) > 1:
            meta.append(cand.pop(0))  # headerless: id, integer population, alleles
    block = cand
    where = header_line or dlines[0]
    if not block:
        raise InputDataError("no allele columns found", path=path, line=where)
    if not slash and len(block) % 2 and n_pad and block and block[-1] == w - 1:
        # one of the blank columns was the (all-missing) second allele of the last locus
        D = np.hstack([D, np.full((len(D), 1), "", dtype=D.dtype)])
        head, names = head + [""], names + [f"col{w + 1}"]
        block.append(w)
        w += 1
    if not slash and len(block) % 2:
        raise InputDataError(
            f"odd number of allele columns ({len(block)}): two columns per locus expected",
            path=path, line=where)

    if pop_idx is None and pop_col is not False:
        for c in meta:
            if names[c].strip().lower() in POP_NAMES:
                pop_idx = c
                break
        else:
            if head is None and len(meta) == 1:
                pop_idx = meta[0]
    meta = sorted(c for c in meta if c != pop_idx)

    if slash:
        loci = [names[c] for c in block] if head is not None else [f"L{j + 1}" for j in range(len(block))]
    else:
        if head is not None:
            loci = [locus_from_pair(head[a], head[b]) for a, b in zip(block[0::2], block[1::2])]
        else:
            loci = [f"L{j + 1}" for j in range(len(block) // 2)]
    check_unique_ids(loci, [where] * len(loci), path, what="locus")

    samples = [str(s).strip() for s in D[:, id_idx]]
    for s, ln in zip(samples, dlines):
        if not s:
            raise InputDataError("empty sample id", path=path, line=ln)
    check_unique_ids(samples, dlines, path)

    if slash:
        tok = _split_slash(D[:, block], path=path, linenos=dlines, samples=samples, loci=loci)
    else:
        tok = D[:, block]
    values = parse_alleles(tok, path=path, linenos=dlines, samples=samples, loci=loci)
    alleles = values.reshape(len(samples), len(loci), 2)

    pops = None if pop_idx is None else [str(p).strip() for p in D[:, pop_idx]]
    md = None
    if meta:
        md = pd.DataFrame({names[c]: [None if t in _META_MISSING else t for t in D[:, c].tolist()] for c in meta},
                          index=pd.Index(samples, name="sample_id"))
    return build_genotypes(alleles, samples, loci, pops, md, path=path)


def _split_slash(cells: np.ndarray, *, path, linenos, samples, loci) -> np.ndarray:
    """``a/b`` cells (n, L) -> allele tokens (n, 2L); whole-cell missing codes -> both missing."""
    n, L = cells.shape
    flat = pd.Series(cells.ravel(), dtype=object).astype(str).str.strip()
    miss = flat.isin(MISSING_TOKENS).to_numpy()
    parts = flat.str.split(r"[/|]", regex=True)
    nparts = parts.str.len().to_numpy()
    bad = (~miss) & (nparts != 2)
    if bad.any():
        k = int(np.flatnonzero(bad)[0])
        r, c = divmod(k, L)
        t = flat.iloc[k]
        msg = (f"genotype {t!r} has {nparts[k]} alleles: bigcats reads diploid genotypes only"
               if nparts[k] > 2 else f"genotype {t!r} is not of the form a/b")
        raise InputDataError(msg, path=path, line=int(linenos[r]), sample=samples[r], locus=loci[c])
    a = np.where(miss, "0", parts.str[0].fillna("0").str.strip().to_numpy(dtype=object))
    b = np.where(miss, "0", parts.str[1].fillna("0").str.strip().to_numpy(dtype=object))
    out = np.empty((n, 2 * L), dtype=object)
    out[:, 0::2] = a.reshape(n, L)
    out[:, 1::2] = b.reshape(n, L)
    return out


def write_wide(g: Genotypes, path: str | os.PathLike[str], *, sep: str | None = None) -> None:
    """Write ``sample_id,population,L1_1,L1_2,...`` (missing = 0), atomically.

    Tab-separated when the extension is ``.txt``/``.tsv`` (or ``sep='\\t'``), else comma-separated.
    Metadata other than the population is not written (write it with the metadata CSV).
    """
    path = Path(path)
    if sep is None:
        sep = "\t" if path.suffix.lower() in (".txt", ".tsv") else ","
    header = ["sample_id", "population"]
    for loc in g.loci:
        header += [f"{loc}_1", f"{loc}_2"]
    a = np.where(g.alleles == MISSING, 0, g.alleles).reshape(g.n_samples, -1)
    with atomic_open(path, "w") as fh:
        wr = csv.writer(fh, delimiter=sep, lineterminator="\n")
        wr.writerow(header)
        for s, p, row in zip(g.samples, g.populations, a.tolist()):
            wr.writerow([s, p, *row])
