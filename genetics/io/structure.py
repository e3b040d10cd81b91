"""STRUCTURE input files (Pritchard, Stephens & Donnelly 2000, Genetics 155:945).

Layouts read (whitespace separated, missing ``-9`` or any bigcats missing code):

* one-row: ``id [pop] a1 a2 b1 b2 ...`` - two columns per locus;
* two-row: ``id [pop] a1 b1 ...`` twice per individual - one column per locus, the second row
  holds the second allele;
* an optional first line of locus names (one name per locus, no id column);
* an optional integer population column (STRUCTURE's POPDATA). With a locus-name header its
  presence follows from the column count; without one, a one-row file with an odd number of
  columns after the id has it, and a two-row file has it when the first column after the id is a
  positive integer identical on both rows of every individual with no missing value (pass
  ``pop_col=True/False`` to decide yourself). Other STRUCTURE extra columns (POPFLAG, LOCDATA,
  PHENOTYPE) are not supported.

Writing uses the two-row layout with a locus-name header, ``-9`` for missing, and the population
column when any sample has a population (integer labels are kept; other names are numbered 1..K in
order of first appearance, so names do not survive a STRUCTURE round trip - the grouping does).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import numpy as np

from ..errors import InputDataError
from ..model import MISSING, Genotypes
from .atomic import atomic_open
from .formats import build_genotypes, check_unique_ids, is_allele_token, parse_alleles, read_lines

__all__ = ["read_structure", "write_structure", "looks_like_structure"]


def _split(lines):
    return [s.split() for _, s in lines]


def _has_header(rows: list[list[str]]) -> bool:
    r0 = rows[0]
    if any(not is_allele_token(t) for t in r0[1:]):
        return True
    return len(rows) > 1 and len(r0) < len(rows[1])


def _two_row(ids: list[str]) -> bool:
    return len(ids) % 2 == 0 and len(ids) > 0 and ids[0::2] == ids[1::2]


def looks_like_structure(lines: list[tuple[int, str]]) -> bool:
    """True for a whitespace file with a short locus header or the two-row layout."""
    rows = _split(lines[:41])
    if len(rows) < 2:
        return False
    if _has_header(rows) and len(rows[0]) < len(rows[1]):
        return True
    body = rows[1:] if _has_header(rows) else rows
    ids = [r[0] for r in body if r]
    if len(ids) % 2:
        ids = ids[:-1]
    return len(ids) >= 2 and _two_row(ids)


def read_structure(
    path: str | os.PathLike[str],
    *,
    pop_col: bool | None = None,
    two_row: bool | None = None,
    header: bool | None = None,
) -> Genotypes:
    """Read a STRUCTURE file (one-row or two-row layout).

    Parameters
    ----------
    path : path-like
    pop_col : bool, optional
        Whether the column after the id is the population; sniffed when ``None``.
    two_row : bool, optional
        Two rows per individual; sniffed from repeated consecutive ids when ``None``.
    header : bool, optional
        First line holds locus names; sniffed when ``None``.

    Returns
    -------
    Genotypes
        Loci named from the header, else ``L1..``; populations as written (integers as text).
    """
    path = Path(path)
    lines = read_lines(path)
    rows = _split(lines)
    if header is None:
        header = _has_header(rows)
    head = rows[0] if header else None
    hline = lines[0][0] if header else None
    body, blines = (rows[1:], [ln for ln, _ in lines[1:]]) if header else (rows, [ln for ln, _ in lines])
    if not body:
        raise InputDataError("no data lines after the locus-name line", path=path, line=hline)
    c = len(body[0])
    for r, ln in zip(body, blines):
        if len(r) != c:
            raise InputDataError(f"wrong column count: {len(r)} columns, expected {c}",
                                 path=path, line=ln, sample=r[0])
    ids = [r[0] for r in body]
    if two_row is None:
        two_row = _two_row(ids)
        if not two_row:
            for k in range(1, len(ids)):
                if ids[k] == ids[k - 1] and (k % 2 == 0 or ids[k - 1: k + 2].count(ids[k]) > 2):
                    raise InputDataError(
                        "two-row layout broken: this individual does not have exactly two rows",
                        path=path, line=blines[k], sample=ids[k])
    elif two_row and not _two_row(ids):
        k = next((k for k in range(0, len(ids) - 1, 2) if ids[k] != ids[k + 1]), len(ids) - 1)
        raise InputDataError("two-row layout: the rows of one individual must be consecutive pairs",
                             path=path, line=blines[k], sample=ids[k])
    k_cols = c - 1
    D = np.array(body, dtype=str)
    if two_row:
        if head is not None:
            p = k_cols - len(head)
            if p not in (0, 1):
                raise InputDataError(
                    f"header names {len(head)} loci but data lines have {k_cols} columns after the id",
                    path=path, line=hline)
        elif pop_col is None:
            col = D[:, 1]
            p = int(bool(
                k_cols > 1
                and all(re.fullmatch(r"\d+", t) and int(t) > 0 for t in col)
                and (col[0::2] == col[1::2]).all()))
        else:
            p = int(pop_col)
        if pop_col is not None and p != int(pop_col):
            raise InputDataError("column count does not agree with pop_col", path=path, line=hline)
        L = k_cols - p
        loci = list(head) if head is not None else [f"L{j + 1}" for j in range(L)]
    else:
        if head is not None:
            if k_cols - 2 * len(head) in (0, 1):
                p = k_cols - 2 * len(head)
                loci = list(head)
            elif k_cols - len(head) in (0, 1) and len(head) % 2 == 0:
                from .wide import locus_from_pair

                p = k_cols - len(head)
                loci = [locus_from_pair(a, b) for a, b in zip(head[0::2], head[1::2])]
            else:
                raise InputDataError(
                    f"header names {len(head)} loci but data lines have {k_cols} columns after "
                    "the id (expected 2 per locus, plus an optional population column)",
                    path=path, line=hline)
        else:
            p = k_cols % 2 if pop_col is None else int(pop_col)
            if (k_cols - p) % 2:
                raise InputDataError(
                    f"odd number of allele columns ({k_cols - p}): two columns per locus expected",
                    path=path, line=blines[0])
            loci = [f"L{j + 1}" for j in range(k_cols // 2)]
        L = len(loci)
    if L < 1:
        raise InputDataError("no allele columns", path=path, line=blines[0])
    check_unique_ids(loci, [hline or blines[0]] * L, path, what="locus")

    if two_row:
        samples = ids[0::2]
        la, lb = blines[0::2], blines[1::2]
        A = parse_alleles(D[0::2, 1 + p:], path=path, linenos=la, samples=samples, loci=loci,
                          locus_of_col=np.arange(L))
        B = parse_alleles(D[1::2, 1 + p:], path=path, linenos=lb, samples=samples, loci=loci,
                          locus_of_col=np.arange(L))
        alleles = np.stack([A, B], axis=-1)
        pops = None
        if p:
            pa, pb = D[0::2, 1], D[1::2, 1]
            bad = np.flatnonzero(pa != pb)
            if len(bad):
                raise InputDataError("population differs between the two rows of this individual",
                                     path=path, line=lb[bad[0]], sample=samples[bad[0]])
            pops = pa.tolist()
        check_unique_ids(samples, la, path)
    else:
        samples = ids
        check_unique_ids(samples, blines, path)
        alleles = parse_alleles(D[:, 1 + p:], path=path, linenos=blines, samples=samples,
                                loci=loci).reshape(len(samples), L, 2)
        pops = D[:, 1].tolist() if p else None
    return build_genotypes(alleles, samples, loci, pops, None, path=path)


def write_structure(g: Genotypes, path: str | os.PathLike[str]) -> None:
    """Write the two-row STRUCTURE layout (locus header, ``-9`` missing), atomically."""
    for s in g.samples:
        if re.search(r"\s", s) or not s:
            raise InputDataError("sample name with spaces cannot be written to STRUCTURE",
                                 path=path, sample=s)
    for loc in g.loci:
        if re.search(r"\s", loc) or not loc:
            raise InputDataError("locus name with spaces cannot be written to STRUCTURE",
                                 path=path, locus=loc)
    names = g.population_names
    with_pop = any(p != "" for p in g.populations)
    if all(re.fullmatch(r"[1-9]\d*", p) for p in names):
        label = {p: p for p in names}
    else:
        label = {p: str(k + 1) for k, p in enumerate(names)}
    a = np.where(g.alleles == MISSING, -9, g.alleles)
    out = [" ".join(g.loci)]
    for i, s in enumerate(g.samples):
        lead = f"{s} {label[g.populations[i]]} " if with_pop else f"{s} "
        out.append(lead + " ".join(map(str, a[i, :, 0].tolist())))
        out.append(lead + " ".join(map(str, a[i, :, 1].tolist())))
    with atomic_open(path, "w") as fh:
        fh.write("\n".join(out) + "\n")
