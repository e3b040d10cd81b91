"""Individual identification from multilocus genotypes that carry error and missing data.

The pairwise measure is allelematch's dissimilarity (Galpern et al. 2012, Mol Ecol Resour
12:771): over the allele columns of two samples, **1 per mismatching allele** and **½ per allele
missing on one side only** (0 when both are missing). Because a half-missing genotype is wholly
missing in bigcats (see :mod:`genetics.model`), a locus typed on one side only always costs
2 × ½ = 1, so the count is

.. math:: D_{xy} = (2 C_{xy} - S_{xy}) + 2 w (n_x + n_y - 2 C_{xy}),

with :math:`C` the loci typed in both, :math:`S` the shared alleles over those loci,
:math:`n` the loci typed in each sample and :math:`w = ½` the weight of a one-sided missing
allele (``missing_weight``; 0 gives CERVUS' count of mismatches over co-typed loci only).

bigcats adds :math:`λ K_{xy}`, with :math:`K` the co-typed loci whose genotypes differ in a way
allelic dropout cannot explain (:func:`nondropout_loci`: anything but a heterozygote ``a/b``
against ``a/a`` or ``b/b``) and :math:`λ` = ``nondropout_penalty`` (default 1; 0 gives
allelematch's count exactly). Dropout is the dominant error of non-invasive genotypes and false
alleles are several times rarer (Taberlet P. et al. 1996, Nucleic Acids Res. 24:3189; Broquet T. &
Petit E. 2004, Mol. Ecol. 13:3601), so a difference that needs a false allele is stronger
evidence of a second animal; Kalinowski S.T., Taper M.L. & Creel S. (2006, Conserv. Genet.
7:319) weigh the two by likelihood under fitted error rates, here reduced to one extra unit per
such locus (a convention, not a fitted value).

Conventions where peers differ
------------------------------
* ``pairing="positional"`` (default) compares the sorted allele columns position by position,
  as allelematch does: 101/105 vs 105/109 is 2 mismatches. ``pairing="best"`` counts shared
  alleles as the multiset intersection (the better of the two ways to pair the alleles), which
  makes that pair 1 mismatch. On allelematch's example data the positional count separates
  low-diversity individuals better (docs/notes/issue-3.md), hence the default.
* Both counts are bilinear in one-hot allele features, because
  ``min(x, y) = [x≥1][y≥1] + [x≥2][y≥2]`` for allele copy numbers 0..2. The whole matrix is
  therefore a matrix product (BLAS), computed in row chunks so memory stays bounded; no
  Python loop runs over pairs.

Clustering
----------
allelematch clusters the dissimilarity matrix hierarchically and cuts the tree; that needs the
full O(N²) matrix. Here: (1) samples typed at ``>= min_loci`` loci are taken best-typed first;
each sample not yet assigned starts an individual and takes every unassigned sample within
``max_mismatch`` that is co-typed at ``>= min_loci`` loci (sparse neighbour lists from the
chunked kernel); (2) each individual's consensus genotype is the most frequent genotype of its
members per locus (ties go to the heterozygote: dropout makes false homozygotes, not false
heterozygotes); (3) every sample is matched again against all consensus genotypes; samples
matching none start new individuals, samples matching two or more are assigned to the
closest and flagged ``multiple_match`` (with the others listed), and (2)–(3) repeat until the
assignment is stable. A ``multiple_match`` sample that is exactly as close to another individual
as to its own (a tie: typically a degraded scat whose failed loci are the ones that tell two
relatives apart) is then set apart in a provisional individual of its own (``reliable`` False,
not counted), because giving it to either would be an arbitrary merge. Samples typed at fewer than ``min_loci`` loci never found individuals:
they are flagged ``too_few_loci`` and attached to an individual only when they match exactly
one consensus without any mismatch over the loci they share; otherwise they keep an
individual of their own, still flagged.
"""

from __future__ import annotations

from concurrent.futures import Executor
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .model import MISSING, Genotypes
from .parallel import map_ordered

__all__ = [
    "allele_vocabulary",
    "allele_features",
    "MismatchFeatures",
    "nondropout_loci",
    "NONDROPOUT_PENALTY",
    "dissimilarity",
    "close_pairs",
    "match_to_references",
    "identify_individuals",
    "IdentifyResult",
    "threshold_profile",
    "suggest_threshold",
    "psib_genotypes",
    "adjusted_rand_index",
    "naive_dissimilarity",
]

_EPS = 1e-6
#: Default extra cost of a co-typed locus whose two genotypes differ in a way allelic dropout
#: cannot explain (module docstring); 0 gives allelematch's count exactly.
NONDROPOUT_PENALTY = 1.0


# --------------------------------------------------------------------------- features
def allele_vocabulary(*arrays: np.ndarray) -> list[np.ndarray]:
    """Sorted distinct allele sizes per locus over one or more allele arrays.

    Parameters
    ----------
    *arrays : numpy.ndarray of int, shape (n_i, n_loci, 2)

    Returns
    -------
    list of numpy.ndarray of int, one per locus
    """
    n_loci = arrays[0].shape[1]
    vocab = []
    for j in range(n_loci):
        vals = np.concatenate([a[:, j, :].ravel() for a in arrays])
        vocab.append(np.unique(vals[vals != MISSING]))
    return vocab


@dataclass
class MismatchFeatures:
    """Rows of genotypes prepared for the dissimilarity kernel.

    Attributes
    ----------
    onehot : numpy.ndarray of float32, shape (n, n_features)
        Allele features whose dot product counts shared alleles.
    typed : numpy.ndarray of float32, shape (n, n_loci)
        1 where the locus is typed.
    alleles : numpy.ndarray of int32, shape (n, n_loci, 2)
        The genotypes themselves (for the non-dropout penalty, computed per pair).
    """

    onehot: np.ndarray
    typed: np.ndarray
    alleles: np.ndarray

    def __len__(self) -> int:
        return len(self.typed)

    def __getitem__(self, rows) -> MismatchFeatures:
        return MismatchFeatures(self.onehot[rows], self.typed[rows], self.alleles[rows])


def allele_features(alleles: np.ndarray, vocab: list[np.ndarray] | None = None, pairing: str = "positional") -> MismatchFeatures:
    """One-hot allele features whose dot product counts shared alleles.

    Parameters
    ----------
    alleles : numpy.ndarray of int, shape (n, n_loci, 2)
        Allele sizes, smaller first, :data:`~genetics.model.MISSING` for missing.
    vocab : list of numpy.ndarray, optional
        Allele sizes per locus (from :func:`allele_vocabulary`); needed when two arrays are
        compared with each other.
    pairing : {"best", "positional"}
        ``best``: multiset intersection (features ``[copies≥1]`` and ``[copies≥2]``).
        ``positional``: allelematch's column-by-column comparison.

    Returns
    -------
    MismatchFeatures
    """
    if pairing not in ("best", "positional"):
        raise ValueError("pairing must be 'best' or 'positional'")
    a = np.asarray(alleles, dtype=np.int32)
    n, n_loci, _ = a.shape
    if vocab is None:
        vocab = allele_vocabulary(a)
    typed = a[:, :, 0] != MISSING
    widths = [2 * len(v) for v in vocab]
    feats = np.zeros((n, int(sum(widths))), dtype=np.float32)
    rows = np.arange(n)
    off = 0
    for j in range(n_loci):
        v = vocab[j]
        k = len(v)
        t = typed[:, j]
        r = rows[t]
        i0 = np.searchsorted(v, a[t, j, 0])
        i1 = np.searchsorted(v, a[t, j, 1])
        if np.any(i0 >= k) or np.any(i1 >= k) or np.any(v[np.minimum(i0, k - 1)] != a[t, j, 0]) or np.any(
            v[np.minimum(i1, k - 1)] != a[t, j, 1]
        ):
            raise ValueError("allele not in vocabulary")
        if pairing == "best":
            feats[r, off + i0] = 1.0
            feats[r, off + i1] = 1.0
            hom = i0 == i1
            feats[r[hom], off + k + i0[hom]] = 1.0
        else:
            feats[r, off + i0] = 1.0
            feats[r, off + k + i1] = 1.0
        off += 2 * k
    return MismatchFeatures(feats, typed.astype(np.float32), a)


def nondropout_loci(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Loci typed in both genotypes that differ in a way allelic dropout cannot explain.

    Dropout turns a heterozygote ``a/b`` into a homozygote ``a/a`` or ``b/b``; every other
    difference between two typed genotypes (``a/b`` vs ``a/c``, ``a/a`` vs ``b/b``, ``a/a`` vs
    ``b/c``) needs a false allele or another animal.

    Parameters
    ----------
    x, y : numpy.ndarray of int, shape (..., n_loci, 2)
        Genotypes compared element-wise (broadcasting), smaller allele first.

    Returns
    -------
    numpy.ndarray of int64, shape (...)
    """
    x0, x1, y0, y1 = x[..., 0], x[..., 1], y[..., 0], y[..., 1]
    both = (x0 != MISSING) & (y0 != MISSING)
    same = (x0 == y0) & (x1 == y1)
    xh, yh = x0 == x1, y0 == y1
    dropout = (xh & ~yh & ((x0 == y0) | (x0 == y1))) | (yh & ~xh & ((y0 == x0) | (y0 == x1)))
    return (both & ~same & ~dropout).sum(axis=-1).astype(np.int64)


def _from_products(s, c, na, nb, missing_weight):
    """Dissimilarity from shared allele copies *s*, co-typed loci *c* and loci typed *na*, *nb*.

    Each co-typed locus contributes 2 - shared copies; each locus typed on one side only
    contributes 2 * missing_weight (one half per allele column at the default 0.5).
    """
    d = 2.0 * c - s
    if missing_weight:
        d = d + (2.0 * missing_weight) * (na + nb - 2.0 * c)
    return d


def _block(fa: MismatchFeatures, fb: MismatchFeatures, missing_weight):
    """Allele count D (no penalty) and co-typed loci C between two blocks of rows (BLAS).

    The non-dropout penalty is never negative, so callers add it (:func:`nondropout_loci`) only
    to the entries that can still pass their threshold.
    """
    c = fa.typed @ fb.typed.T
    d = _from_products(fa.onehot @ fb.onehot.T, c, fa.typed.sum(axis=1)[:, None], fb.typed.sum(axis=1)[None, :],
                       missing_weight)
    return d, c


def _paired(fa: MismatchFeatures, fb: MismatchFeatures, missing_weight, penalty=0.0):
    """Dissimilarity D and co-typed loci C of row i of block a with row i of block b."""
    c = np.einsum("ij,ij->i", fa.typed, fb.typed)
    d = _from_products(np.einsum("ij,ij->i", fa.onehot, fb.onehot), c, fa.typed.sum(axis=1), fb.typed.sum(axis=1),
                       missing_weight)
    if penalty:
        d = d + penalty * nondropout_loci(fa.alleles, fb.alleles)
    return d, c


def dissimilarity(
    a: np.ndarray,
    b: np.ndarray | None = None,
    *,
    missing_weight: float = 0.5,
    pairing: str = "positional",
    nondropout_penalty: float = NONDROPOUT_PENALTY,
) -> tuple[np.ndarray, np.ndarray]:
    """Full allele-mismatch matrix (small inputs; use :func:`close_pairs` for large ones).

    Parameters
    ----------
    a : numpy.ndarray of int, shape (n_a, n_loci, 2)
    b : numpy.ndarray of int, shape (n_b, n_loci, 2), optional (default: *a*)
    missing_weight : float
        Cost of an allele missing on one side only (allelematch: 0.5).
    pairing : {"positional", "best"}
        See :func:`allele_features`.
    nondropout_penalty : float
        Extra cost per co-typed locus that differs in a way allelic dropout cannot explain
        (:func:`nondropout_loci`); 0 gives allelematch's count.

    Returns
    -------
    mismatches : numpy.ndarray of float64, shape (n_a, n_b)
        The score: allelematch's alleleMismatch count (divide by ``2 * n_loci`` for its d) plus
        the non-dropout penalty.
    cotyped : numpy.ndarray of int64, shape (n_a, n_b)
        Loci typed in both samples.
    """
    b = a if b is None else b
    vocab = allele_vocabulary(a, b)
    fa = allele_features(a, vocab, pairing)
    fb = allele_features(b, vocab, pairing)
    d, c = _block(fa, fb, missing_weight)
    if nondropout_penalty:
        d = d + nondropout_penalty * nondropout_loci(fa.alleles[:, None], fb.alleles[None, :])
    return d.astype(np.float64), np.rint(c).astype(np.int64)


def naive_dissimilarity(
    a: np.ndarray,
    missing_weight: float = 0.5,
    pairing: str = "positional",
    nondropout_penalty: float = NONDROPOUT_PENALTY,
) -> np.ndarray:
    """Straightforward per-pair, per-locus Python implementation (benchmark baseline, tests).

    Returns the full ``(n, n)`` mismatch matrix, same definition as :func:`dissimilarity`.
    """
    a = np.asarray(a).tolist()
    n = len(a)
    out = np.zeros((n, n))
    for i in range(n):
        for j in range(i + 1, n):
            d = 0.0
            for (x0, x1), (y0, y1) in zip(a[i], a[j]):
                mx, my = x0 == MISSING, y0 == MISSING
                if mx and my:
                    continue
                if mx or my:
                    d += 2 * missing_weight
                    continue
                if pairing == "positional":
                    d += (x0 != y0) + (x1 != y1)
                else:
                    d += 2 - max((x0 == y0) + (x1 == y1), (x0 == y1) + (x1 == y0))
                same = (x0, x1) == (y0, y1)
                dropout = (x0 == x1 and y0 != y1 and x0 in (y0, y1)) or (y0 == y1 and x0 != x1 and y0 in (x0, x1))
                if not same and not dropout:
                    d += nondropout_penalty
            out[i, j] = out[j, i] = d
    return out


# --------------------------------------------------------------------------- chunked pairs
def _close_pairs_chunk(args):
    fa, fb, row0, col0, max_mismatch, min_loci, missing_weight, penalty, upper = args
    d, c = _block(fa, fb, missing_weight)
    ok = (d <= max_mismatch + _EPS) & (c >= min_loci - _EPS)
    if upper:
        # keep only j > i (global indices)
        gi = row0 + np.arange(d.shape[0])[:, None]
        gj = col0 + np.arange(d.shape[1])[None, :]
        ok &= gj > gi
    i, j = np.nonzero(ok)
    dij = d[i, j].astype(np.float64)
    if penalty:  # only the pairs the allele count lets through can pass with the penalty
        dij += penalty * nondropout_loci(fa.alleles[i], fb.alleles[j])
        keep = dij <= max_mismatch + _EPS
        i, j, dij = i[keep], j[keep], dij[keep]
    return (i + row0).astype(np.int64), (j + col0).astype(np.int64), dij, np.rint(c[i, j]).astype(np.int64)


def close_pairs(
    alleles: np.ndarray,
    max_mismatch: float,
    min_loci: int = 1,
    *,
    missing_weight: float = 0.5,
    pairing: str = "positional",
    nondropout_penalty: float = NONDROPOUT_PENALTY,
    chunk: int = 1024,
    executor: Executor | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """All pairs ``i < j`` within *max_mismatch* and co-typed at ``>= min_loci`` loci.

    The matrix is never held whole: rows are processed in chunks of *chunk* against the
    columns to their right (memory ``O(chunk × n)``), optionally on *executor*.

    Returns
    -------
    i, j : numpy.ndarray of int64, shape (n_pairs,)
    mismatches : numpy.ndarray of float64, shape (n_pairs,)
    cotyped : numpy.ndarray of int64, shape (n_pairs,)
    """
    a = np.asarray(alleles)
    n = a.shape[0]
    feats = allele_features(a, None, pairing)
    tasks = []
    for r0 in range(0, n, chunk):
        r1 = min(n, r0 + chunk)
        tasks.append((feats[r0:r1], feats[r0:], r0, r0,
                      float(max_mismatch), int(min_loci), float(missing_weight), float(nondropout_penalty), True))
    parts = map_ordered(_close_pairs_chunk, tasks, executor=executor, desc="pairs")
    if not parts:
        e = np.zeros(0, np.int64)
        return e, e.copy(), np.zeros(0), e.copy()
    return tuple(np.concatenate([p[k] for p in parts]) for k in range(4))  # type: ignore[return-value]


def _match_chunk(args):
    fa, fb, max_mismatch, min_loci, missing_weight, penalty = args
    d, c = _block(fa, fb, missing_weight)
    if penalty and d.shape[1]:
        # exact where it matters: every entry that can match, and every entry that can still be
        # the row's closest once the closest by allele count alone has been penalised
        rows = np.arange(d.shape[0])
        j0 = np.argmin(d, axis=1)
        closest = d[rows, j0] + penalty * nondropout_loci(fa.alleles, fb.alleles[j0])
        cut = np.maximum(closest, max_mismatch)
        i, j = np.nonzero(d <= cut[:, None] + _EPS)
        d[i, j] += penalty * nondropout_loci(fa.alleles[i], fb.alleles[j])
    ok = (d <= max_mismatch + _EPS) & (c >= min_loci - _EPS)
    n_match = ok.sum(axis=1)
    # best: smallest D, then most co-typed loci, then lowest reference index
    key = d - c * 1e-3
    best = np.argmin(key, axis=1) if d.shape[1] else np.zeros(d.shape[0], np.int64)
    rows = np.arange(d.shape[0])
    bd = d[rows, best] if d.shape[1] else np.full(d.shape[0], np.inf)
    bc = c[rows, best] if d.shape[1] else np.zeros(d.shape[0])
    multi_r, multi_c = np.nonzero(ok & (n_match[:, None] > 1))
    return best, bd, np.rint(bc), n_match, multi_r, multi_c


def match_to_references(
    samples: np.ndarray,
    references: np.ndarray,
    max_mismatch: float,
    min_loci: int = 1,
    *,
    missing_weight: float = 0.5,
    pairing: str = "positional",
    nondropout_penalty: float = NONDROPOUT_PENALTY,
    chunk: int = 2048,
    executor: Executor | None = None,
) -> dict[str, np.ndarray | list]:
    """Match every sample against reference genotypes (consensus genotypes, a catalog).

    Parameters
    ----------
    samples : numpy.ndarray of int, shape (n, n_loci, 2)
    references : numpy.ndarray of int, shape (k, n_loci, 2)

    Returns
    -------
    dict with ``best`` (int64 (n,), index of the closest reference), ``mismatches``
    (float64 (n,), its dissimilarity), ``cotyped`` (int64 (n,)), ``n_matches`` (int64 (n,),
    references within the threshold) and ``matches`` (list of int arrays: every reference
    within the threshold, only filled where ``n_matches > 1``).
    """
    n = samples.shape[0]
    vocab = allele_vocabulary(samples, references)
    fa = allele_features(samples, vocab, pairing)
    fb = allele_features(references, vocab, pairing)
    tasks = [
        (fa[r0 : r0 + chunk], fb, float(max_mismatch), int(min_loci), float(missing_weight), float(nondropout_penalty))
        for r0 in range(0, n, chunk)
    ]
    parts = map_ordered(_match_chunk, tasks, executor=executor, desc="match")
    best = np.concatenate([p[0] for p in parts]).astype(np.int64) if parts else np.zeros(0, np.int64)
    bd = np.concatenate([p[1] for p in parts]).astype(np.float64) if parts else np.zeros(0)
    bc = np.concatenate([p[2] for p in parts]).astype(np.int64) if parts else np.zeros(0, np.int64)
    nm = np.concatenate([p[3] for p in parts]).astype(np.int64) if parts else np.zeros(0, np.int64)
    matches: list = [np.zeros(0, np.int64)] * n
    for pi, p in enumerate(parts):
        r0 = pi * chunk
        mr, mc = p[4], p[5]
        if len(mr):
            splits = np.flatnonzero(np.diff(mr)) + 1
            for rr, cc in zip(np.split(mr, splits), np.split(mc, splits)):
                matches[r0 + int(rr[0])] = cc.astype(np.int64)
    return {"best": best, "mismatches": bd, "cotyped": bc, "n_matches": nm, "matches": matches}


# --------------------------------------------------------------------------- consensus per individual
def consensus_by_group(alleles: np.ndarray, groups: np.ndarray, n_groups: int) -> np.ndarray:
    """Most frequent genotype per group and locus (ties: heterozygote, then smaller alleles).

    Parameters
    ----------
    alleles : numpy.ndarray of int, shape (n, n_loci, 2)
    groups : numpy.ndarray of int, shape (n,)
        Group index 0..n_groups-1, or -1 to leave a sample out.

    Returns
    -------
    numpy.ndarray of int32, shape (n_groups, n_loci, 2)
    """
    n, n_loci, _ = alleles.shape
    out = np.full((n_groups, n_loci, 2), MISSING, dtype=np.int32)
    use = groups >= 0
    for j in range(n_loci):
        col = alleles[:, j, :]
        t = use & (col[:, 0] != MISSING)
        if not t.any():
            continue
        g = groups[t].astype(np.int64)
        a0 = col[t, 0].astype(np.int64)
        a1 = col[t, 1].astype(np.int64)
        # one int64 key per (group, genotype): alleles are < 2**20 (sizes), groups < 2**23
        if a1.max(initial=0) < (1 << 20) and g.max(initial=0) < (1 << 23):
            packed, cnt = np.unique((g << 40) | (a0 << 20) | a1, return_counts=True)
            uk = np.stack([packed >> 40, (packed >> 20) & ((1 << 20) - 1), packed & ((1 << 20) - 1)], axis=1)
        else:
            uk, cnt = np.unique(np.stack([g, a0, a1], axis=1), axis=0, return_counts=True)
        het = (uk[:, 1] != uk[:, 2]).astype(np.int64)
        # order: group asc, count desc, het first, alleles asc
        order = np.lexsort((uk[:, 2], uk[:, 1], -het, -cnt, uk[:, 0]))
        uk = uk[order]
        first = np.ones(len(uk), bool)
        first[1:] = uk[1:, 0] != uk[:-1, 0]
        sel = uk[first]
        out[sel[:, 0], j, 0] = sel[:, 1]
        out[sel[:, 0], j, 1] = sel[:, 2]
    return out


# --------------------------------------------------------------------------- identification
@dataclass
class IdentifyResult:
    """Result of :func:`identify_individuals`.

    Attributes
    ----------
    individual : numpy.ndarray of int64, shape (n_samples,)
        Individual index of every sample (0..n_individuals-1).
    loci_typed : numpy.ndarray of int64, shape (n_samples,)
    mismatches : numpy.ndarray of float64, shape (n_samples,)
        Dissimilarity to its individual's consensus genotype.
    cotyped : numpy.ndarray of int64, shape (n_samples,)
        Loci typed in both the sample and that consensus.
    status : numpy.ndarray of str, shape (n_samples,)
        ``ok``, ``multiple_match`` (fits two or more individuals) or ``too_few_loci``.
    also_matches : list of numpy.ndarray of int
        For ``multiple_match`` samples the other individuals it fits.
    consensus : numpy.ndarray of int32, shape (n_individuals, n_loci, 2)
    n_members : numpy.ndarray of int64, shape (n_individuals,)
    reliable : numpy.ndarray of bool, shape (n_individuals,)
        False for provisional individuals: ``too_few_loci`` samples that matched no single
        individual, and ``multiple_match`` samples tied between individuals.
    iterations : int
    """

    individual: np.ndarray
    loci_typed: np.ndarray
    mismatches: np.ndarray
    cotyped: np.ndarray
    status: np.ndarray
    also_matches: list
    consensus: np.ndarray
    n_members: np.ndarray
    reliable: np.ndarray
    iterations: int = 0
    params: dict = field(default_factory=dict)

    @property
    def n_individuals(self) -> int:
        """Individuals founded by samples typed at enough loci."""
        return int(self.reliable.sum())


def _leader_clusters(order: np.ndarray, indptr: np.ndarray, nbrs: np.ndarray, assign: np.ndarray, start: int) -> int:
    """Greedy leader clustering over a CSR neighbour graph; fills *assign*; returns next index."""
    k = start
    for i in order:
        if assign[i] >= 0:
            continue
        assign[i] = k
        nb = nbrs[indptr[i] : indptr[i + 1]]
        if len(nb):
            nb = nb[assign[nb] == -1]
            assign[nb] = k
        k += 1
    return k


def identify_individuals(
    alleles: np.ndarray,
    max_mismatch: float = 3,
    min_loci: int | None = None,
    *,
    missing_weight: float = 0.5,
    pairing: str = "positional",
    nondropout_penalty: float = NONDROPOUT_PENALTY,
    max_iter: int = 25,
    chunk: int = 1024,
    executor: Executor | None = None,
) -> IdentifyResult:
    """Cluster samples into individuals, tolerating genotyping error and missing data.

    Parameters
    ----------
    alleles : numpy.ndarray of int, shape (n_samples, n_loci, 2)
    max_mismatch : float
        allelematch's ``alleleMismatch``: the largest dissimilarity (see module docstring)
        at which two samples, or a sample and a consensus genotype, are the same animal.
    min_loci : int, optional
        Loci that must be typed in a sample (and shared with what it is compared with) for
        it to found or join an individual. Default: half the loci, rounded up.
    missing_weight, pairing, nondropout_penalty
        See :func:`dissimilarity` and the module docstring.
    executor : concurrent.futures.Executor, optional
        Runs the chunks of the pairwise kernel.

    Returns
    -------
    IdentifyResult

    Notes
    -----
    A sample is compared with the consensus genotypes of the individuals that hold one of its
    *candidate* neighbours: samples within ``2 * max_mismatch + 2`` of it (one chunked pass of
    the kernel). A consensus farther from every member than that is not considered; this keeps
    each round linear in the number of candidate pairs instead of samples × individuals.
    In a round a sample moves only to a strictly closer individual, so rounds converge.
    """
    a = np.asarray(alleles, dtype=np.int32)
    n, n_loci, _ = a.shape
    if min_loci is None:
        min_loci = int(np.ceil(n_loci / 2))
    typed = a[:, :, 0] != MISSING
    loci_typed = typed.sum(axis=1).astype(np.int64)
    eligible = loci_typed >= min_loci
    kw = dict(missing_weight=missing_weight, pairing=pairing, nondropout_penalty=nondropout_penalty)
    ei = np.flatnonzero(eligible)
    ne = len(ei)
    ae = a[ei]

    # one pass of the kernel: candidate pairs (loose) and neighbour pairs (strict)
    loose = 2 * float(max_mismatch) + 2
    pi, pj, pd_, _pc = close_pairs(ae, loose, min_loci, chunk=chunk, executor=executor, **kw)
    strict = pd_ <= max_mismatch + _EPS
    s_src = np.concatenate([pi[strict], pj[strict]])
    s_dst = np.concatenate([pj[strict], pi[strict]])
    o = np.argsort(s_src, kind="stable")
    s_src, s_dst = s_src[o], s_dst[o]
    s_ptr = np.searchsorted(s_src, np.arange(ne + 1))
    c_src = np.concatenate([pi, pj, np.arange(ne)])
    c_dst = np.concatenate([pj, pi, np.arange(ne)])

    vocab = allele_vocabulary(a)
    fe = allele_features(ae, vocab, pairing)

    def distances(rows, cons_rows, cons_feats):
        return _paired(fe[rows], cons_feats[cons_rows], missing_weight, nondropout_penalty)

    local = np.full(ne, -1, dtype=np.int64)
    quality = np.lexsort((np.arange(ne), -loci_typed[ei]))
    k = _leader_clusters(quality, s_ptr, s_dst, local, 0)
    status_e = np.full(ne, "ok", dtype=object)
    it = 0
    cand = None
    seen_states: set[int] = set()
    for it in range(1, max_iter + 1):
        # the consensus of every member, multiple_match ones included: leaving those out made
        # the consensus depend on the flags, and the rounds then drifted without converging
        # at loose thresholds (docs/notes/issue-3.md)
        cons = consensus_by_group(ae, local, k)
        cf = allele_features(cons, vocab, pairing)
        # candidate (sample, individual) pairs
        cand = np.unique(np.stack([c_src, local[c_dst]], axis=1), axis=0)
        d, c = distances(cand[:, 0], cand[:, 1], cf)
        ok = (d <= max_mismatch + _EPS) & (c >= min_loci - _EPS)
        # a sample alone in its individual trivially matches itself: when it matches exactly one
        # other individual it joins it (so the order of leaders does not matter); when it matches
        # several it stays apart, flagged

        size = np.bincount(local, minlength=k)
        own_single = (cand[:, 1] == local[cand[:, 0]]) & (size[cand[:, 1]] == 1)
        n_other = np.bincount(cand[ok & ~own_single, 0], minlength=ne)
        drop = own_single & (n_other[cand[:, 0]] == 1)
        ok &= ~drop
        d = np.where(drop, np.inf, d)
        n_match = np.bincount(cand[ok, 0], minlength=ne)
        # best: smallest D, then the current individual, then most co-typed loci, then lowest index
        cur = (cand[:, 1] == local[cand[:, 0]]).astype(np.int64)
        order = np.lexsort((cand[:, 1], -c, -cur, d, cand[:, 0]))
        first = np.ones(len(order), bool)
        first[1:] = cand[order[1:], 0] != cand[order[:-1], 0]
        best_rows = order[first]
        new_local = local.copy()
        has = ok[best_rows]
        new_local[cand[best_rows[has], 0]] = cand[best_rows[has], 1]
        none = n_match == 0
        if none.any():
            idx = np.flatnonzero(none)
            sub = np.full(ne, -2, dtype=np.int64)
            sub[idx] = -1
            q = idx[np.lexsort((idx, -loci_typed[ei][idx]))]
            k = _leader_clusters(q, s_ptr, s_dst, sub, k)
            new_local[idx] = sub[idx]
        new_status = np.where(n_match > 1, "multiple_match", "ok").astype(object)
        used = np.unique(new_local)
        remap = np.full(max(k, 1), -1, dtype=np.int64)
        remap[used] = np.arange(len(used))
        new_local = remap[new_local]
        k = len(used)
        # the consensus, hence the next round, depends on the assignment alone
        changed = not np.array_equal(new_local, local)
        local, status_e = new_local, new_status
        state = hash(local.tobytes())
        if not changed or state in seen_states:  # converged, or cycling between states
            break
        seen_states.add(state)

    cons = consensus_by_group(ae, local, k) if ne else np.zeros((0, n_loci, 2), np.int32)
    assign = np.full(n, -1, dtype=np.int64)
    status = np.full(n, "ok", dtype=object)
    mism = np.full(n, np.nan)
    cot = np.zeros(n, np.int64)
    also: list = [np.zeros(0, np.int64)] * n
    if ne:
        assign[ei] = local
        status[ei] = status_e
        cf = allele_features(cons, vocab, pairing)
        d_own, c_own = distances(np.arange(ne), local, cf)
        mism[ei] = d_own
        cot[ei] = np.rint(c_own).astype(np.int64)
        cand = np.unique(np.stack([c_src, local[c_dst]], axis=1), axis=0)
        d, c = distances(cand[:, 0], cand[:, 1], cf)
        ok = (d <= max_mismatch + _EPS) & (c >= min_loci - _EPS) & (cand[:, 1] != local[cand[:, 0]])
        # the other individuals each multiple_match sample fits (cand is sorted by sample)
        other = cand[ok & (status_e[cand[:, 0]] == "multiple_match")]
        rows_, starts = np.unique(other[:, 0], return_index=True)
        for r_, inds in zip(rows_, np.split(other[:, 1], starts[1:])):
            also[ei[r_]] = inds
        # a sample exactly as close to another individual as to its own fits both equally:
        # placing it in either would be an arbitrary merge, so it is set apart (below)
        tie_e = np.zeros(ne, dtype=bool)
        tie_e[cand[ok & (d <= d_own[cand[:, 0]] + _EPS), 0]] = True
        tie_e &= status_e == "multiple_match"
    else:
        tie_e = np.zeros(0, dtype=bool)

    # samples with too few loci: attach only to a unique perfect match over shared loci
    low = np.flatnonzero(~eligible)
    reliable = np.ones(k, dtype=bool)
    if len(low):
        status[low] = "too_few_loci"
        if k:
            lowres = match_to_references(a[low], cons, 0, 1, missing_weight=0.0, pairing=pairing,
                                          nondropout_penalty=nondropout_penalty)
            attach = lowres["n_matches"] == 1
            assign[low[attach]] = lowres["best"][attach]
        else:
            attach = np.zeros(len(low), bool)
        extra = int((~attach).sum())
        assign[low[~attach]] = k + np.arange(extra)
        if extra:
            cons = np.concatenate([cons, a[low[~attach]]], axis=0)
            reliable = np.concatenate([reliable, np.zeros(extra, bool)])
            k += extra
        d_low, c_low = _distance_to_assigned(a[low], cons, assign[low], **kw)
        mism[low] = d_low
        cot[low] = c_low
    tied = ei[tie_e]
    if len(tied):
        for t_ in tied:
            also[t_] = np.unique(np.append(also[t_], assign[t_]))
        assign[tied] = k + np.arange(len(tied))
        cons = np.concatenate([cons, a[tied]], axis=0)
        reliable = np.concatenate([reliable, np.zeros(len(tied), bool)])
        k += len(tied)
        mism[tied] = 0.0
        cot[tied] = loci_typed[tied]
    n_members = np.bincount(assign, minlength=k).astype(np.int64) if n else np.zeros(0, np.int64)
    return IdentifyResult(
        individual=assign,
        loci_typed=loci_typed,
        mismatches=mism,
        cotyped=cot,
        status=status.astype(str),
        also_matches=also,
        consensus=cons,
        n_members=n_members,
        reliable=reliable,
        iterations=it,
        params=dict(max_mismatch=max_mismatch, min_loci=min_loci, **kw),
    )


def _distance_to_assigned(a, cons, assign, missing_weight=0.5, pairing="positional", nondropout_penalty=NONDROPOUT_PENALTY):
    """Dissimilarity between each sample and the consensus it is assigned to (row-wise)."""
    if len(a) == 0:
        return np.zeros(0), np.zeros(0, np.int64)
    vocab = allele_vocabulary(a, cons)
    fa = allele_features(a, vocab, pairing)
    fb = allele_features(cons[assign], vocab, pairing)
    d, c = _paired(fa, fb, missing_weight, nondropout_penalty)
    return d.astype(np.float64), np.rint(c).astype(np.int64)


# --------------------------------------------------------------------------- profile
def threshold_profile(
    alleles: np.ndarray,
    thresholds: np.ndarray | None = None,
    min_loci: int | None = None,
    **kwargs,
) -> pd.DataFrame:
    """How the number of individuals changes with the mismatch threshold (cf. amUniqueProfile).

    Returns
    -------
    pandas.DataFrame
        ``max_mismatch, individuals, multiple_match, too_few_loci, suggested`` (one row per
        threshold; ``suggested`` marks the value :func:`suggest_threshold` picks).
    """
    a = np.asarray(alleles)
    n_loci = a.shape[1]
    if thresholds is None:
        # as amUniqueProfile: 0 to 40 % of the largest possible score (2 per locus, plus the
        # non-dropout penalty: 40 % of the allele columns when it is 0)
        top = 0.4 * n_loci * (2 + kwargs.get("nondropout_penalty", NONDROPOUT_PENALTY))
        thresholds = np.arange(0, int(np.floor(top + _EPS)) + 1)
    rows = []
    for m in thresholds:
        r = identify_individuals(a, float(m), min_loci, **kwargs)
        rows.append(
            (float(m), r.n_individuals, int((r.status == "multiple_match").sum()), int((r.status == "too_few_loci").sum()))
        )
    df = pd.DataFrame(rows, columns=["max_mismatch", "individuals", "multiple_match", "too_few_loci"])
    best = suggest_threshold(df)
    df["suggested"] = df["max_mismatch"] == best
    return df


def suggest_threshold(profile: pd.DataFrame) -> float:
    """Suggest a mismatch threshold from a profile: the start of the longest plateau.

    The count of individuals falls steeply while the threshold absorbs genotyping error and
    missing data, stays flat while it separates true individuals, and falls again once
    distinct animals merge. The suggestion is the smallest threshold of the longest run of
    thresholds (excluding 0) with the same count (above one individual) and no sample matching
    two individuals (ties: the earlier run). The default profile spans 0 to 40 % of the largest
    possible score, as amUniqueProfile's spans 40 % of the allele columns. Without such a run, the threshold above 0 whose next step changes
    the count least. Always inspect the profile; allelematch's guess has the same caveat
    (Galpern et al. 2012).
    """
    m = profile["max_mismatch"].to_numpy()
    c = profile["individuals"].to_numpy()
    mm = profile["multiple_match"].to_numpy()
    if len(m) == 1:
        return float(m[0])
    best_len, best_start = 0, None
    i = 1 if len(m) > 1 else 0
    while i < len(m):
        if mm[i] != 0:
            i += 1
            continue
        j = i
        while j + 1 < len(m) and c[j + 1] == c[i] and mm[j + 1] == 0:
            j += 1
        if j - i + 1 > best_len and j > i and c[i] > 1:
            best_len, best_start = j - i + 1, i
        i = j + 1
    if best_start is not None:
        return float(m[best_start])
    drop = (c[:-1] - c[1:])[1:]
    if len(drop) == 0:
        return float(m[1])
    key = np.lexsort((m[1:-1], mm[1:-1], drop))
    return float(m[1:-1][key[0]])


# --------------------------------------------------------------------------- Psib per genotype
def psib_genotypes(alleles: np.ndarray, freq_source: np.ndarray | None = None) -> np.ndarray:
    """Probability that a full sibling shares each multilocus genotype (Woods et al. 1999).

    Per typed locus, for a heterozygote with allele frequencies :math:`p, q`:
    :math:`(1 + p + q + 2pq)/4`; for a homozygote: :math:`(1 + p)^2/4`; multiplied over the
    loci typed in the genotype. Allele frequencies come from *freq_source* (allelematch uses
    the set of unique genotypes), counting typed alleles only.

    Woods J.G. et al. (1999) Genetic tagging of free-ranging black and brown bears. Wildl.
    Soc. Bull. 27:616-627; as computed by allelematch's amUnique (Galpern et al. 2012).

    Parameters
    ----------
    alleles : numpy.ndarray of int, shape (n, n_loci, 2)
    freq_source : numpy.ndarray of int, shape (k, n_loci, 2), optional (default *alleles*)

    Returns
    -------
    numpy.ndarray of float64, shape (n,)
    """
    a = np.asarray(alleles)
    src = a if freq_source is None else np.asarray(freq_source)
    out = np.ones(a.shape[0])
    for j in range(a.shape[1]):
        vals = src[:, j, :].ravel()
        vals = vals[vals != MISSING]
        if len(vals) == 0:
            continue
        u, cnt = np.unique(vals, return_counts=True)
        f = cnt / cnt.sum()
        t = a[:, j, 0] != MISSING
        x0 = a[t, j, 0]
        x1 = a[t, j, 1]
        i0 = np.clip(np.searchsorted(u, x0), 0, len(u) - 1)
        i1 = np.clip(np.searchsorted(u, x1), 0, len(u) - 1)
        p = np.where(u[i0] == x0, f[i0], 0.0)
        q = np.where(u[i1] == x1, f[i1], 0.0)
        het = x0 != x1
        val = np.where(het, (1 + p + q + 2 * p * q) / 4, (1 + 2 * p + p * p) / 4)
        out[t] *= val
    return out


# --------------------------------------------------------------------------- ARI
def adjusted_rand_index(labels_true: np.ndarray, labels_pred: np.ndarray) -> float:
    """Adjusted Rand index of two partitions (Hubert & Arabie 1985, J. Classif. 2:193).

    Parameters
    ----------
    labels_true, labels_pred : array-like, shape (n,)

    Returns
    -------
    float
        1 for identical partitions, about 0 for independent ones.
    """
    _, t = np.unique(np.asarray(labels_true), return_inverse=True)
    _, p = np.unique(np.asarray(labels_pred), return_inverse=True)
    n = len(t)
    if n < 2:
        return 1.0
    table = np.zeros((t.max() + 1, p.max() + 1), dtype=np.int64)
    np.add.at(table, (t, p), 1)

    def comb2(x):
        x = np.asarray(x, dtype=np.float64)
        return float(np.sum(x * (x - 1) / 2))

    sum_ij = comb2(table)
    sum_a = comb2(table.sum(axis=1))
    sum_b = comb2(table.sum(axis=0))
    total = n * (n - 1) / 2
    expected = sum_a * sum_b / total
    max_index = (sum_a + sum_b) / 2
    if max_index == expected:
        return 1.0
    return (sum_ij - expected) / (max_index - expected)


# --------------------------------------------------------------------------- tables
def identification_tables(g: Genotypes, r: IdentifyResult, prefix: str = "IND") -> tuple[pd.DataFrame, pd.DataFrame]:
    """Sample and individual tables for a :class:`Genotypes` and its identification.

    Returns
    -------
    samples : pandas.DataFrame
        ``sample_id, individual_id, loci_typed, mismatches, cotyped_loci, status,
        also_matches, psib`` (psib of the individual's consensus genotype).
    individuals : pandas.DataFrame
        ``individual_id, n_samples, loci_typed, psib, reliable, samples`` then two columns
        per locus (``LOCUS_1, LOCUS_2``) with the consensus genotype (empty = missing).
    """
    k = r.consensus.shape[0]
    width = max(3, len(str(k)))
    ids = np.array([f"{prefix}{i + 1:0{width}d}" for i in range(k)], dtype=object)
    freq_src = r.consensus[r.reliable] if r.reliable.any() else r.consensus
    psib = psib_genotypes(r.consensus, freq_src) if k else np.zeros(0)
    samples = pd.DataFrame(
        {
            "sample_id": list(g.samples),
            "individual_id": ids[r.individual] if k else [],
            "loci_typed": r.loci_typed,
            "mismatches": r.mismatches,
            "cotyped_loci": r.cotyped,
            "status": r.status,
            "also_matches": [";".join(ids[m]) for m in r.also_matches],
            "psib": psib[r.individual] if k else [],
        }
    )
    members: dict[int, list[str]] = {}
    for s, i in zip(g.samples, r.individual):
        members.setdefault(int(i), []).append(s)
    ind = pd.DataFrame(
        {
            "individual_id": ids,
            "n_samples": r.n_members,
            "loci_typed": (r.consensus[:, :, 0] != MISSING).sum(axis=1),
            "psib": psib,
            "reliable": r.reliable,
            "samples": [";".join(members.get(i, [])) for i in range(k)],
        }
    )
    for j, locus in enumerate(g.loci):
        for h in (0, 1):
            col = r.consensus[:, j, h].astype(object)
            col[r.consensus[:, j, h] == MISSING] = None
            ind[f"{locus}_{h + 1}"] = pd.array(col, dtype="Int64") if k else []
    return samples, ind
