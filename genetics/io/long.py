"""Long genotype tables, one row per sample x locus (the lab-export shape), and PCR replicates.

Columns (header required, any order, case-insensitive; comma, semicolon or tab separated):

* ``sample_id`` (or ``sample``/``id``), ``locus`` (or ``marker``), ``allele_1``, ``allele_2``
  (or ``allele1``/``a1``, ``allele2``/``a2``) - required;
* ``population`` (or ``pop``) - optional, one value per sample;
* ``replicate`` (or ``rep``/``pcr``) - optional: the PCR replicate the row came from
  (:func:`read_replicates`);
* any other column is kept as per-sample metadata (first non-blank value of the sample).

A sample with no row for a locus is missing there. Identical duplicate rows are ignored;
conflicting rows for the same sample/replicate/locus are an error naming the line. A third allele
column (``allele_3``) with a value is a ploidy error.
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
from ..model import MISSING, Genotypes, ReplicateGenotypes, normalise_alleles
from .atomic import atomic_open
from .formats import (
    MISSING_TOKENS,
    build_genotypes,
    fast_table,
    parse_alleles,
    read_lines,
    split_rows,
)

__all__ = ["read_long", "read_replicates", "write_long"]

_ALIASES = {
    "sample_id": ("sample_id", "sample", "id", "sampleid", "sample id"),
    "locus": ("locus", "marker", "loc"),
    "allele_1": ("allele_1", "allele1", "a1", "allele_a", "allele 1"),
    "allele_2": ("allele_2", "allele2", "a2", "allele_b", "allele 2"),
    "population": ("population", "pop"),
    "replicate": ("replicate", "rep", "pcr", "replicate_id"),
}
_EXTRA_ALLELE = re.compile(r"^(allele[ _]?|a)([3-9]|\d\d+)$", re.I)


class _LongTable:
    """Parsed long table: per-row arrays plus the file lines, before pivoting."""

    def __init__(self, path: Path, loci: Sequence[str] | None) -> None:
        self.path = path
        lines = read_lines(path)
        first = lines[0][1]
        sep = "," if "," in first else ";" if ";" in first else "\t" if "\t" in first else None
        fast = fast_table(lines, sep)
        rows = [fast[0].tolist()] if fast is not None else split_rows(lines, sep)
        head = [h.strip().lower() for h in rows[0]]
        hline = lines[0][0]
        col: dict[str, int] = {}
        for key, names in _ALIASES.items():
            for i, h in enumerate(head):
                if h in names and key not in col:
                    col[key] = i
        for key in ("sample_id", "locus", "allele_1", "allele_2"):
            if key not in col:
                raise InputDataError(
                    f"long genotype table needs a {key!r} column (header: {','.join(rows[0])})",
                    path=path, line=hline)
        extra_allele = [i for i, h in enumerate(head) if _EXTRA_ALLELE.match(h)]
        used = set(col.values()) | set(extra_allele)
        self.meta_cols = [(i, rows[0][i].strip()) for i in range(len(head)) if i not in used and head[i]]
        self.linenos = np.array([ln for ln, _ in lines[1:]], dtype=np.int64)
        if len(lines) < 2:
            raise InputDataError("no data lines after the header", path=path, line=hline)
        if fast is not None:
            D = fast[1:]
        else:
            data = rows[1:]
            w = len(head)
            for r, ln in zip(data, self.linenos):
                if len(r) != w:
                    raise InputDataError(f"wrong column count: {len(r)} columns, expected {w}",
                                         path=path, line=int(ln))
            D = np.array(data, dtype=str)  # cells already stripped by split_rows
        self.sample = D[:, col["sample_id"]].astype(object)
        self.locus = D[:, col["locus"]].astype(object)
        for arr, what in ((self.sample, "sample id"), (self.locus, "locus name")):
            empty = np.flatnonzero(arr == "")
            if len(empty):
                raise InputDataError(f"empty {what}", path=path, line=int(self.linenos[empty[0]]))
        for i in extra_allele:
            filled = np.flatnonzero(~np.isin(D[:, i].astype(str), list(MISSING_TOKENS)))
            if len(filled):
                k = filled[0]
                raise InputDataError(
                    f"third allele {str(D[k, i])!r} in column {rows[0][i]!r}: bigcats reads diploid "
                    "genotypes only (ploidy 2)", path=path, line=int(self.linenos[k]),
                    sample=self.sample[k], locus=self.locus[k])
        if loci is not None:
            known = list(dict.fromkeys(str(x) for x in loci))
            unknown = np.flatnonzero(~np.isin(self.locus, known))
            if len(unknown):
                k = unknown[0]
                raise InputDataError("unknown locus (not in the locus list)", path=path,
                                     line=int(self.linenos[k]), sample=self.sample[k],
                                     locus=self.locus[k])
            self.loci = known
        else:
            self.loci = list(dict.fromkeys(self.locus.tolist()))
        self.samples = list(dict.fromkeys(self.sample.tolist()))
        self.values = parse_alleles(
            D[:, [col["allele_1"], col["allele_2"]]], path=path, linenos=self.linenos,
            samples=self.sample, loci=None)
        self.rep = (D[:, col["replicate"]].astype(object)
                    if "replicate" in col else np.full(len(D), "1", dtype=object))
        self.pop = (D[:, col["population"]].astype(object)
                    if "population" in col else None)
        self.D = D
        self.s_idx = pd.Index(self.samples).get_indexer(self.sample)
        self.l_idx = pd.Index(self.loci).get_indexer(self.locus)

    def error_at(self, k: int, msg: str) -> InputDataError:
        return InputDataError(msg, path=self.path, line=int(self.linenos[k]),
                              sample=self.sample[k], locus=self.locus[k])

    def check_duplicates(self) -> np.ndarray:
        """Drop identical duplicate rows; conflicting ones are an error. Returns kept-row mask."""
        key = pd.DataFrame({"s": self.s_idx, "r": self.rep, "l": self.l_idx})
        dup = key.duplicated(keep="first").to_numpy()
        if not dup.any():
            return np.ones(len(key), dtype=bool)
        first = key.drop_duplicates(keep="first")
        first_pos = pd.Series(first.index.to_numpy(), index=pd.MultiIndex.from_frame(first))
        dpos = np.flatnonzero(dup)
        ref = first_pos.loc[pd.MultiIndex.from_frame(key.iloc[dpos])].to_numpy()
        a, _ = normalise_alleles(self.values[dpos].reshape(-1, 2))
        b, _ = normalise_alleles(self.values[ref].reshape(-1, 2))
        conflict = np.flatnonzero((a != b).any(axis=1))
        if len(conflict):
            k = int(dpos[conflict[0]])
            raise self.error_at(
                k, f"conflicting duplicate row (line {int(self.linenos[ref[conflict[0]]])} has "
                   "different alleles for the same sample, replicate and locus)")
        return ~dup

    def populations_and_metadata(self) -> tuple[list[str] | None, pd.DataFrame | None]:
        order = np.argsort(self.s_idx, kind="stable")
        firsts = order[np.r_[True, np.diff(self.s_idx[order]) != 0]]
        pops = None
        if self.pop is not None:
            df = pd.DataFrame({"s": self.s_idx, "p": self.pop})
            nun = df.groupby("s")["p"].nunique()
            if (nun > 1).any():
                s = int(nun.index[np.flatnonzero(nun.to_numpy() > 1)[0]])
                rows = np.flatnonzero(self.s_idx == s)
                k = rows[np.flatnonzero(self.pop[rows] != self.pop[rows[0]])[0]]
                raise self.error_at(k, f"population {self.pop[k]!r} differs from line "
                                       f"{int(self.linenos[rows[0]])} ({self.pop[rows[0]]!r})")
            pops = list(self.pop[firsts])
        md = None
        if self.meta_cols:
            md = pd.DataFrame(index=pd.Index(self.samples, name="sample_id"))
            for i, name in self.meta_cols:
                v = pd.Series(self.D[:, i]).replace("", None)
                md[name] = v.groupby(self.s_idx).first().reindex(range(len(self.samples))).to_numpy()
        return pops, md


def read_long(path: str | os.PathLike[str], *, loci: Sequence[str] | None = None) -> Genotypes:
    """Read a long table into :class:`Genotypes` (one genotype per sample and locus).

    Parameters
    ----------
    path : path-like
    loci : sequence of str, optional
        Expected loci (and their order); a row naming another locus is an error.

    Raises
    ------
    InputDataError
        Also when the file holds several PCR replicates per sample (read those with
        :func:`read_replicates` and build a consensus first).
    """
    t = _LongTable(Path(path), loci)
    keep = t.check_duplicates()
    reps = pd.DataFrame({"s": t.s_idx, "r": t.rep}).groupby("s")["r"].nunique()
    if (reps > 1).any():
        s = int(reps.index[np.flatnonzero(reps.to_numpy() > 1)[0]])
        k = int(np.flatnonzero(t.s_idx == s)[-1])
        raise InputDataError(
            "this file holds several PCR replicates per sample (replicate column): build consensus "
            "genotypes first (read_replicates / the identification verbs)",
            path=t.path, line=int(t.linenos[k]), sample=t.sample[k])
    dup_sl = pd.DataFrame({"s": t.s_idx[keep], "l": t.l_idx[keep]}).duplicated().to_numpy()
    if dup_sl.any():  # same sample & locus in different replicate labels cannot happen (checked)
        k = int(np.flatnonzero(keep)[np.flatnonzero(dup_sl)[0]])
        raise t.error_at(k, "duplicate row for this sample and locus")
    alleles = np.zeros((len(t.samples), len(t.loci), 2), dtype=np.int64)
    alleles[t.s_idx[keep], t.l_idx[keep]] = t.values[keep]
    pops, md = t.populations_and_metadata()
    return build_genotypes(alleles, t.samples, t.loci, pops, md, path=t.path)


def read_replicates(path: str | os.PathLike[str], *, loci: Sequence[str] | None = None) -> ReplicateGenotypes:
    """Read PCR replicates from a long table with a ``replicate`` column.

    Each distinct ``(sample_id, replicate)`` is one replicate of that sample; replicates are
    numbered per sample in order of first appearance. A file without a replicate column is read
    as one replicate per sample.

    Parameters
    ----------
    path : path-like
    loci : sequence of str, optional
        Expected loci (and their order); a row naming another locus is an error.

    Returns
    -------
    ReplicateGenotypes
        ``alleles`` (n_samples, n_replicates, n_loci, 2), half-missing calls set missing,
        smaller allele first; ``n_runs`` (n_samples, n_loci) = rows present per sample and locus.
        ``metadata`` has a ``population`` column when the file has one.
    """
    t = _LongTable(Path(path), loci)
    keep = t.check_duplicates()
    sr = pd.DataFrame({"s": t.s_idx, "r": t.rep})
    pair_codes = pd.factorize(pd.MultiIndex.from_frame(sr))[0]
    first_of_pair = pd.DataFrame({"s": t.s_idx, "c": pair_codes}).drop_duplicates("c")
    first_of_pair["k"] = first_of_pair.groupby("s").cumcount()
    rep_of_code = np.empty(pair_codes.max() + 1, dtype=np.int64)
    rep_of_code[first_of_pair["c"].to_numpy()] = first_of_pair["k"].to_numpy()
    r_idx = rep_of_code[pair_codes]
    n_rep = int(r_idx.max()) + 1
    raw = np.zeros((len(t.samples), n_rep, len(t.loci), 2), dtype=np.int64)
    raw[t.s_idx[keep], r_idx[keep], t.l_idx[keep]] = t.values[keep]
    alleles, _ = normalise_alleles(raw)
    n_runs = np.zeros((len(t.samples), len(t.loci)), dtype=np.int64)
    np.add.at(n_runs, (t.s_idx[keep], t.l_idx[keep]), 1)
    pops, md = t.populations_and_metadata()
    if md is None:
        md = pd.DataFrame(index=pd.Index(t.samples, name="sample_id"))
    if pops is not None:
        md.insert(0, "population", pops)
    try:
        return ReplicateGenotypes(alleles, tuple(t.samples), tuple(t.loci), n_runs, md)
    except InputDataError as exc:
        raise exc.located(path=t.path) from None


def write_long(g: Genotypes, path: str | os.PathLike[str]) -> None:
    """Write ``sample_id,population,locus,allele_1,allele_2`` rows (missing = 0), atomically.

    Every sample x locus gets a row (missing genotypes as ``0,0``), so the file round-trips
    exactly. Metadata other than the population is not written.
    """
    n, m = g.n_samples, g.n_loci
    a = np.where(g.alleles == MISSING, 0, g.alleles)
    with atomic_open(path, "w") as fh:
        wr = csv.writer(fh, lineterminator="\n")
        wr.writerow(["sample_id", "population", "locus", "allele_1", "allele_2"])
        for i in range(n):
            s, p = g.samples[i], g.populations[i]
            wr.writerows([s, p, g.loci[j], int(a[i, j, 0]), int(a[i, j, 1])] for j in range(m))
