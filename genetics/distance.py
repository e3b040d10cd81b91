"""Genetic distances between individuals, vectorised over all pairs.

Every function takes a :class:`genetics.model.Genotypes` (or its allele-index codes) and returns
an ``(n, n)`` matrix computed with matrix products over allele-indicator matrices: no Python
loop over pairs.
"""

from __future__ import annotations

import numpy as np

from .model import MISSING, Genotypes

__all__ = ["allele_count_matrices", "shared_allele_distance"]


def allele_count_matrices(g: Genotypes) -> tuple[list[np.ndarray], np.ndarray]:
    """Per locus, the (n_samples, n_alleles) matrix of allele copies (0, 1 or 2).

    Returns
    -------
    counts : list of numpy.ndarray of int8, each shape (n_samples, k_l)
    typed : numpy.ndarray of bool, shape (n_samples, n_loci)
    """
    codes, sizes = g.allele_indices()
    typed = codes[..., 0] != MISSING
    counts = []
    rows = np.arange(g.n_samples)
    for j, s in enumerate(sizes):
        c = np.zeros((g.n_samples, max(len(s), 1)), dtype=np.int8)
        t = typed[:, j]
        np.add.at(c, (rows[t], codes[t, j, 0]), 1)
        np.add.at(c, (rows[t], codes[t, j, 1]), 1)
        counts.append(c)
    return counts, typed


def shared_allele_distance(g: Genotypes) -> tuple[np.ndarray, np.ndarray]:
    """Proportion-of-shared-alleles distance D_PS (Bowcock et al. 1994, Nature 368:455).

    ``D_PS(i, j) = 1 - sum_l S_l(i, j) / (2 L_ij)``, with ``S_l`` the number of alleles the two
    genotypes share at locus *l* (0, 1 or 2: the sum over alleles of the smaller copy number)
    and ``L_ij`` the number of loci typed in both. Pairs that share no typed locus get NaN.

    Parameters
    ----------
    g : Genotypes

    Returns
    -------
    distance : numpy.ndarray of float64, shape (n_samples, n_samples)
    loci_compared : numpy.ndarray of int, shape (n_samples, n_samples)

    Notes
    -----
    ``min(a, b)`` for copy numbers in {0, 1, 2} equals ``[a>=1][b>=1] + [a>=2][b>=2]``, so
    the shared-allele count of every pair is two matrix products per locus.
    """
    counts, typed = allele_count_matrices(g)
    n = g.n_samples
    shared = np.zeros((n, n))
    for c in counts:
        a1 = (c >= 1).astype(np.float64)
        a2 = (c >= 2).astype(np.float64)
        shared += a1 @ a1.T + a2 @ a2.T
    t = typed.astype(np.float64)
    both = t @ t.T
    with np.errstate(invalid="ignore", divide="ignore"):
        d = 1.0 - shared / (2.0 * both)
    d[both == 0] = np.nan
    np.fill_diagonal(d, 0.0)
    return d, both.astype(np.int64)
