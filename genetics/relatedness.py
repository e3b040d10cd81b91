"""Pairwise relatedness estimators, vectorised over all pairs.

Every moment estimator here is written as a handful of matrix products over **allele-indicator
matrices**: for *n* individuals and *A* alleles over all loci, ``X`` (n, A) holds how many copies
(0, 1, 2) of each allele an individual carries (0 at a missing locus). Sums over loci of
pairwise allele matches are then ``X @ diag(w) @ X.T``; sums over the loci typed in both
individuals of a per-individual quantity are ``(Q * M) @ M.T`` with ``M`` (n, L) the typed mask.
No Python loop runs over pairs; loops run over loci (dyadic ML) or over row blocks only.

Conventions (as related 1.0 / COANCESTRY, Wang 2011)
---------------------------------------------------
* Allele frequencies come from all genotyped individuals of the input (or from a supplied
  reference table); a missing genotype (any allele ``0``) contributes nothing.
* A locus enters a pair's estimate only when both individuals are typed there.
* Asymmetric estimators (Queller & Goodnight, Lynch & Ritland) are computed with each
  individual as the reference and the two values averaged.
* Bootstrap confidence intervals resample loci with replacement; a resample is the same
  matrix products with locus multiplicities as weights.

Estimators (column names in the CLI output in brackets)
-------------------------------------------------------
* Queller, D.C. & Goodnight, K.F. (1989) Evolution 43:258-275 [``queller_goodnight``].
* Lynch, M. & Ritland, K. (1999) Genetics 152:1753-1766 [``lynch_ritland``].
* Wang, J. (2002) Genetics 160:1203-1215 [``wang``].
* Li, C.C., Weeks, D.E. & Chakravarti, A. (1993) Hum Hered 43:45-52, with Lynch's (1988)
  similarity index, as related's ``lynchli`` [``li``].
* Ritland, K. (1996) Genet Res 67:175-185 [``ritland``].
* Milligan, B.G. (2003) Genetics 163:1153-1167, dyadic maximum likelihood over the
  condensed (Cotterman) IBD coefficients k0, k1, k2 of non-inbred individuals [``dyadml``],
  with the relationship class (PO, FS, HS, U) of highest likelihood.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .errors import InputDataError
from .model import MISSING, Genotypes
from .parallel import map_ordered
from .simulate import RELATIONSHIP_K

__all__ = [
    "ESTIMATORS",
    "AlleleIndicators",
    "encode",
    "queller_goodnight",
    "lynch_ritland",
    "wang",
    "li",
    "ritland",
    "dyadml",
    "classify_relationship",
    "pairwise_matrices",
    "relatedness_table",
    "bootstrap_ci",
    "compare_estimators",
    "plot_comparison",
]

#: Estimator names accepted by :func:`pairwise_matrices` and the CLI.
ESTIMATORS = ("queller_goodnight", "lynch_ritland", "wang", "li", "ritland", "dyadml")


@dataclass(frozen=True)
class AlleleIndicators:
    """Genotypes encoded for matrix-product relatedness.

    Attributes
    ----------
    X : numpy.ndarray of float64, shape (n, A)
        Copies (0, 1, 2) of each allele per individual; all zero at a missing locus.
    locus_of : numpy.ndarray of int, shape (A,)
        Locus index of every allele column.
    p : numpy.ndarray of float64, shape (A,)
        Allele frequencies.
    typed : numpy.ndarray of bool, shape (n, L)
    hom : numpy.ndarray of bool, shape (n, L)
        Typed and homozygous.
    col_a, col_b : numpy.ndarray of int, shape (n, L)
        Column in ``X`` of the first and second allele (-1 where missing).
    n_alleles : numpy.ndarray of int, shape (L,)
        Alleles with non-zero frequency per locus.
    n_genes : numpy.ndarray of int, shape (L,)
        Allele copies the frequencies were estimated from (2 x typed individuals).
    """

    X: np.ndarray
    locus_of: np.ndarray
    p: np.ndarray
    typed: np.ndarray
    hom: np.ndarray
    col_a: np.ndarray
    col_b: np.ndarray
    n_alleles: np.ndarray
    n_genes: np.ndarray

    @property
    def n(self) -> int:
        return self.X.shape[0]

    @property
    def n_loci(self) -> int:
        return self.typed.shape[1]

    def locus_sum(self, values: np.ndarray) -> np.ndarray:
        """Sum per locus of a per-allele array (A,) -> (L,)."""
        return np.bincount(self.locus_of, weights=values, minlength=self.n_loci)

    def a_k(self, k: int) -> np.ndarray:
        """sum_i p_i^k per locus, shape (L,)."""
        return self.locus_sum(self.p**k)

    def p_ab(self) -> tuple[np.ndarray, np.ndarray]:
        """Frequencies of each individual's two alleles, shape (n, L) each (nan where missing)."""
        pa = np.where(self.col_a >= 0, self.p[np.maximum(self.col_a, 0)], np.nan)
        pb = np.where(self.col_b >= 0, self.p[np.maximum(self.col_b, 0)], np.nan)
        return pa, pb


def encode(
    alleles: np.ndarray,
    loci: Sequence[str] | None = None,
    reference: Mapping[str, Mapping[int, float]] | None = None,
    *,
    samples: Sequence[str] | None = None,
) -> AlleleIndicators:
    """Encode allele sizes as allele-indicator matrices with allele frequencies.

    Parameters
    ----------
    alleles : numpy.ndarray of int, shape (n, L, 2)
        Allele sizes, :data:`~genetics.model.MISSING` (-1) where missing (whole genotype).
    loci : sequence of str, optional
        Locus names (needed with *reference*, and for error messages).
    reference : mapping locus -> {allele size: frequency}, optional
        Reference allele frequencies. Without it the frequencies are those of the sample
        (all typed individuals), as related/COANCESTRY do.
    samples : sequence of str, optional
        Sample ids, for error messages.

    Raises
    ------
    InputDataError
        When a sample carries an allele the reference does not list.
    """
    a = np.asarray(alleles)
    n, L, _ = a.shape
    loci = list(loci) if loci is not None else [f"locus{j + 1}" for j in range(L)]
    typed = a[..., 0] != MISSING
    blocks, locus_of, freqs = [], [], []
    col_a = np.full((n, L), -1, dtype=np.int64)
    col_b = np.full((n, L), -1, dtype=np.int64)
    n_genes = 2 * typed.sum(axis=0)
    offset = 0
    for j in range(L):
        col = a[:, j, :]
        t = typed[:, j]
        obs = np.unique(col[t])
        if reference is not None:
            if loci[j] not in reference:
                raise InputDataError("locus missing from the reference allele frequencies", locus=loci[j])
            ref = reference[loci[j]]
            sizes = np.array(sorted(ref), dtype=np.int64)
            unknown = np.setdiff1d(obs, sizes)
            if len(unknown):
                bad = np.flatnonzero(t & np.isin(col, unknown).any(axis=1))[0]
                raise InputDataError(
                    f"allele {int(unknown[0])} is not in the reference allele frequencies",
                    sample=None if samples is None else str(samples[bad]),
                    locus=loci[j],
                )
            f = np.array([float(ref[s]) for s in sizes])
            tot = f.sum()
            if tot <= 0:
                raise InputDataError("reference allele frequencies sum to zero", locus=loci[j])
            f = f / tot
        else:
            sizes = obs
            if len(sizes):
                _, cnt = np.unique(col[t], return_counts=True)
                f = cnt / cnt.sum()
            else:
                f = np.zeros(0)
        k = len(sizes)
        Xl = np.zeros((n, k))
        if k:
            ia = np.searchsorted(sizes, col[:, 0])
            ib = np.searchsorted(sizes, col[:, 1])
            rows = np.flatnonzero(t)
            np.add.at(Xl, (rows, ia[t]), 1.0)
            np.add.at(Xl, (rows, ib[t]), 1.0)
            col_a[t, j] = offset + ia[t]
            col_b[t, j] = offset + ib[t]
        blocks.append(Xl)
        locus_of.append(np.full(k, j))
        freqs.append(f)
        offset += k
    X = np.concatenate(blocks, axis=1) if blocks else np.zeros((n, 0))
    locus_of_a = np.concatenate(locus_of).astype(np.int64)
    p = np.concatenate(freqs).astype(float)
    hom = typed & (a[..., 0] == a[..., 1])
    n_alleles = np.bincount(locus_of_a[p > 0], minlength=L)
    return AlleleIndicators(X, locus_of_a, p, typed, hom, col_a, col_b, n_alleles, n_genes)


def _weights(enc: AlleleIndicators, locus_weights: np.ndarray | None) -> np.ndarray:
    if locus_weights is None:
        return np.ones(enc.n_loci)
    w = np.asarray(locus_weights, dtype=float)
    if w.shape != (enc.n_loci,):
        raise ValueError("locus_weights must have one entry per locus")
    return w


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        r = num / den
    r[den == 0] = np.nan
    return r


def queller_goodnight(enc: AlleleIndicators, locus_weights: np.ndarray | None = None) -> np.ndarray:
    """Queller & Goodnight (1989) relatedness, averaged over both reference individuals.

    With x as reference, summed over the loci typed in both individuals,
    ``r_xy = sum_l (S_xy/2 - p_a - p_b) / sum_l (1 + delta_ab - p_a - p_b)`` where ``(a, b)``
    are x's alleles and ``S_xy = delta_ac + delta_ad + delta_bc + delta_bd``; the reported
    value is ``(r_xy + r_yx) / 2`` (related/COANCESTRY ``quellergt``).

    Parameters
    ----------
    enc : AlleleIndicators
    locus_weights : numpy.ndarray of float, shape (L,), optional
        Multiplicity of every locus (bootstrap resamples); default 1.

    Returns
    -------
    numpy.ndarray of float64, shape (n, n)
        Symmetric; the diagonal is meaningless. NaN where the pair shares no typed locus.
    """
    c = _weights(enc, locus_weights)
    M = enc.typed.astype(float)
    s = enc.X @ _block(enc, enc.p)  # (n, L): p_a + p_b (0 where missing)
    sc = s * c
    D = (1.0 + enc.hom - s) * M * c
    if enc.typed.all():
        S = (enc.X * c[enc.locus_of]) @ enc.X.T
        sig = sc.sum(1)
        dd = D.sum(1)
        return _ratio(S - sig[:, None] - sig[None, :], dd[:, None] + dd[None, :])
    # num_xy + num_yx and den_xy + den_yx as single products over stacked matrices
    num = np.hstack([enc.X * c[enc.locus_of], -sc, -M]) @ np.hstack([enc.X, M, sc]).T
    den = np.hstack([D, M]) @ np.hstack([M, D]).T
    return _ratio(num, den)


def _block(enc: AlleleIndicators, values: np.ndarray) -> np.ndarray:
    """(A, L) matrix with values[a] in row a, column locus_of[a]."""
    B = np.zeros((len(enc.locus_of), enc.n_loci))
    B[np.arange(len(enc.locus_of)), enc.locus_of] = values
    return B


def lynch_ritland(enc: AlleleIndicators, locus_weights: np.ndarray | None = None) -> np.ndarray:
    """Lynch & Ritland (1999) relatedness, averaged over both reference individuals.

    With x = (a, b) as reference, per locus
    ``r_l = [p_a(delta_bc + delta_bd) + p_b(delta_ac + delta_ad) - 4 p_a p_b] / [(1 + delta_ab)(p_a + p_b) - 4 p_a p_b]``
    with weight ``w_l = [(1 + delta_ab)(p_a + p_b) - 4 p_a p_b] / (2 p_a p_b)``;
    ``r_xy = sum w r / sum w`` over loci typed in both, reported ``(r_xy + r_yx)/2``.
    ``w_l r_l = sum_k X_xk X_yk / (2 p_k) - 2`` is one matrix product.

    Parameters and returns as :func:`queller_goodnight`.
    """
    c = _weights(enc, locus_weights)
    M = enc.typed.astype(float)
    with np.errstate(divide="ignore"):
        inv2p = np.where(enc.p > 0, 1.0 / (2.0 * enc.p), 0.0)
    wr = np.hstack([enc.X * (inv2p * c[enc.locus_of]), -2.0 * M * c]) @ np.hstack([enc.X, M]).T
    pa, pb = enc.p_ab()
    with np.errstate(invalid="ignore", divide="ignore"):
        w = ((1.0 + enc.hom) * (pa + pb) - 4 * pa * pb) / (2 * pa * pb)
    w = np.where(enc.typed, w, 0.0)
    if enc.typed.all():
        with np.errstate(divide="ignore"):
            iw = 0.5 / (w * c).sum(1)
        return wr * (iw[:, None] + iw[None, :])
    W = (w * c) @ M.T
    with np.errstate(divide="ignore", invalid="ignore"):
        iW = 0.5 / W
    iW[W == 0] = np.nan
    return wr * (iW + iW.T)


def ritland(enc: AlleleIndicators, locus_weights: np.ndarray | None = None) -> np.ndarray:
    """Ritland (1996) relatedness (symmetric).

    Per locus with m_l alleles, ``r_l = 2/(m_l - 1) * [sum_i S_xi S_yi / p_i - 1]`` where
    ``S_xi`` is the fraction (0, 1/2, 1) of x's alleles that are i. The multilocus value is
    the unweighted mean of r_l over the loci typed in both, which is what
    related/COANCESTRY ``ritland`` report (checked on simrel; Ritland's own weighting by
    m_l - 1 differs by up to 0.27 there).

    Parameters and returns as :func:`queller_goodnight`.
    """
    c = _weights(enc, locus_weights)
    M = enc.typed.astype(float)
    m1 = (enc.n_alleles - 1.0).astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        scale = np.where((enc.p > 0) & (m1[enc.locus_of] > 0), 1.0 / (2.0 * enc.p * m1[enc.locus_of]), 0.0)
        inv_m1 = np.where(m1 > 0, 2.0 / m1, 0.0)
    # loci with a single allele carry no information and are left out
    Mi = M * (m1 > 0)
    num = (enc.X * (scale * c[enc.locus_of])) @ enc.X.T - (Mi * (inv_m1 * c)) @ Mi.T
    den = (Mi * c) @ Mi.T
    return _ratio(num, den)


def _similarity_classes(
    enc: AlleleIndicators, w: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Weighted counts over common loci of Wang's similarity classes, all pairs.

    Class 1: identical genotypes; class 2: one homozygote and one heterozygote sharing an
    allele (aa/ab); class 3: two heterozygotes sharing one allele (ab/ac); class 4: none.

    Returns
    -------
    C1, C2, C3, W : numpy.ndarray of float64, shape (n, n)
        ``sum_l w_l [class k at l]`` and ``sum_l w_l`` over loci typed in both.
    """
    M = enc.typed.astype(float)
    wa = w[enc.locus_of]
    homa = enc.hom[:, enc.locus_of]
    Xh = enc.X * homa
    Xe = enc.X * (~homa)
    HH = (Xh * wa) @ Xh.T  # 4 x [hom-hom identical]
    HE = (Xh * wa) @ Xe.T  # 2 x [x hom, y het sharing]
    EE = (Xe * wa) @ Xe.T  # 2 x [het-het identical] + [het-het sharing one]
    # identical genotypes: one-hot genotype matrix per locus
    C1 = _identical(enc, w)
    C2 = (HE + HE.T) / 2.0
    C3 = EE - 2.0 * (C1 - HH / 4.0)
    W = (M * w) @ M.T
    return C1, C2, C3, W


def _genotype_indicators(enc: AlleleIndicators, w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """One-hot genotype matrices over all loci, unweighted and weighted by locus, (n, G)."""
    n, L = enc.typed.shape
    A = len(enc.locus_of)
    code = np.where(enc.typed, enc.col_a * A + enc.col_b, -1)
    cols, rows, vals = [], [], []
    offset = 0
    for j in range(L):
        t = code[:, j] >= 0
        u, inv = np.unique(code[t, j], return_inverse=True)
        rows.append(np.flatnonzero(t))
        cols.append(offset + inv)
        vals.append(np.full(t.sum(), w[j]))
        offset += len(u)
    G = np.zeros((n, offset))
    Gw = np.zeros((n, offset))
    r = np.concatenate(rows)
    cidx = np.concatenate(cols)
    G[r, cidx] = 1.0
    Gw[r, cidx] = np.concatenate(vals)
    return G, Gw


def _identical(enc: AlleleIndicators, w: np.ndarray) -> np.ndarray:
    """sum_l w_l [genotypes identical at l] over loci typed in both, shape (n, n)."""
    G, Gw = _genotype_indicators(enc, w)
    return Gw @ G.T


def li(enc: AlleleIndicators, locus_weights: np.ndarray | None = None) -> np.ndarray:
    """Li, Weeks & Chakravarti (1993) relatedness from Lynch's (1988) similarity index.

    Per locus the similarity is S = 1 (identical genotypes), 3/4 (aa/ab), 1/2 (ab/ac) or
    0; the expected similarity of unrelated individuals is ``S0 = 2 a2 - a3``. The
    multilocus estimate is ``r = (sum_l S_l - sum_l S0_l) / (sum_l (1 - S0_l))`` over loci
    typed in both (related's ``lynchli``).

    Parameters and returns as :func:`queller_goodnight`.
    """
    c = _weights(enc, locus_weights)
    C1, C2, C3, W = _similarity_classes(enc, c)
    S = C1 + 0.75 * C2 + 0.5 * C3
    M = enc.typed.astype(float)
    s0 = 2 * enc.a_k(2) - enc.a_k(3)
    S0 = (M * (s0 * c)) @ M.T
    return _ratio(S - S0, W - S0)


def _unbiased_ak(enc: AlleleIndicators) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Wang's (2002) small-sample unbiased a2, a3, a4 from S = 2N sampled genes."""
    a2, a3, a4 = enc.a_k(2), enc.a_k(3), enc.a_k(4)
    S = enc.n_genes.astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        u2 = (S * a2 - 1) / (S - 1)
        u3 = (S**2 * a3 - 3 * (S - 1) * u2 - 1) / ((S - 1) * (S - 2))
        u4 = (S**3 * a4 - 6 * (S - 1) * (S - 2) * u3 - 7 * (S - 1) * u2 - 1) / (
            S**3 - 6 * S**2 + 11 * S - 6
        )
    return u2, u3, u4


def wang(
    enc: AlleleIndicators,
    locus_weights: np.ndarray | None = None,
    *,
    small_sample_correction: bool = False,
) -> np.ndarray:
    """Wang (2002) relatedness (symmetric).

    The proportions P1, P2, P3 of loci in similarity classes 1-3 (see
    :func:`_similarity_classes`) and the frequency functions
    ``b = 2a2^2 - a4``, ``c = a2 - 2a2^2 + a4``, ``d = 4(a3 - a4)``, ``e = 2(a2 - 3a3 + 2a4)``,
    ``f = 4(a2 - a2^2 - 2a3 + 2a4)``, ``g = 1 - 7a2 + 4a2^2 + 10a3 - 8a4`` are averaged over
    the loci typed in both individuals with weights ``1/u_l``, ``u_l = 2a2 - a3``; then
    ``V = (1-b)^2 (e^2 f + d g^2) - (1-b)(ef - dg)^2 + 2cdf(1-b)(g+e) + c^2 df(d+f)``,
    ``phi = [df((e+g)(1-b) + c(d+f))(P1-1) + d(1-b)(g(1-b-d) + f(c+e))P3 + f(1-b)(e(1-b-f) + d(c+g))P2]/V``,
    ``Delta = [cdf(e+g)(P1+1-2b) + ((1-b)(fe^2+dg^2) - (ef-dg)^2)(P1-b) + c(dg-ef)(dP3-fP2) - c^2 df(P3+P2-d-f) - c(1-b)(dgP3+efP2)]/V``
    and ``r = phi/2 + Delta`` (Wang 2002, eqs. 9-10 and the multilocus weighting).
    With *small_sample_correction* the a_k are Wang's unbiased estimates from the
    2N genes sampled at each locus; related/COANCESTRY's ``wang`` column matches the
    uncorrected a_k (checked on simrel, exact to 1e-4), so that is the default.

    Parameters and returns as :func:`queller_goodnight`.
    """
    c_w = _weights(enc, locus_weights)
    if small_sample_correction:
        a2, a3, a4 = _unbiased_ak(enc)
    else:
        a2, a3, a4 = enc.a_k(2), enc.a_k(3), enc.a_k(4)
    u = 2 * a2 - a3
    with np.errstate(divide="ignore", invalid="ignore"):
        inv_u = np.where(u > 0, 1.0 / u, 0.0)
    w = c_w * inv_u
    coef = {
        "b": 2 * a2**2 - a4,
        "c": a2 - 2 * a2**2 + a4,
        "d": 4 * (a3 - a4),
        "e": 2 * (a2 - 3 * a3 + 2 * a4),
        "f": 4 * (a2 - a2**2 - 2 * a3 + 2 * a4),
        "g": 1 - 7 * a2 + 4 * a2**2 + 10 * a3 - 8 * a4,
    }
    if enc.typed.all():
        # b..g are the same for every pair, so r is linear in P1, P2, P3 and therefore in
        # the class-count matrices: one stacked matrix product gives every pair.
        W = w.sum()
        if W <= 0:
            return np.full((enc.n, enc.n), np.nan)
        k = {key: (w * v).sum() / W for key, v in coef.items()}
        r0 = _wang_formula(0.0, 0.0, 0.0, **k)
        g1 = _wang_formula(1.0, 0.0, 0.0, **k) - r0
        g2 = _wang_formula(0.0, 1.0, 0.0, **k) - r0
        g3 = _wang_formula(0.0, 0.0, 1.0, **k) - r0
        wa = w[enc.locus_of]
        homa = enc.hom[:, enc.locus_of]
        Xh = enc.X * homa
        Xe = enc.X * (~homa)
        G, Gw = _genotype_indicators(enc, w)
        # g1 C1 + g2 C2 + g3 C3 with C2 = (HE + HE^T)/2, C3 = EE - 2 C1 + HH/2
        A = np.hstack([(g1 - 2 * g3) * Gw, Xh * wa, Xe * wa])
        B = np.hstack([G, (g3 / 2) * Xh + (g2 / 2) * Xe, (g2 / 2) * Xh + g3 * Xe])
        return r0 + (A @ B.T) / W
    C1, C2, C3, W = _similarity_classes(enc, w)
    P1, P2, P3 = _ratio(C1, W), _ratio(C2, W), _ratio(C3, W)
    M = enc.typed.astype(float)
    k = {key: _ratio((M * (w * v)) @ M.T, W) for key, v in coef.items()}
    return _wang_formula(P1, P2, P3, **k)


def _wang_formula(P1, P2, P3, b, c, d, e, f, g):
    """Wang's (2002) r = phi/2 + Delta from class proportions and frequency functions."""
    ob = 1 - b
    V = ob**2 * (e**2 * f + d * g**2) - ob * (e * f - d * g) ** 2 + 2 * c * d * f * ob * (g + e) + c**2 * d * f * (d + f)
    phi = (
        d * f * ((e + g) * ob + c * (d + f)) * (P1 - 1)
        + d * ob * (g * (ob - d) + f * (c + e)) * P3
        + f * ob * (e * (ob - f) + d * (c + g)) * P2
    )
    delta = (
        c * d * f * (e + g) * (P1 + 1 - 2 * b)
        + (ob * (f * e**2 + d * g**2) - (e * f - d * g) ** 2) * (P1 - b)
        + c * (d * g - e * f) * (d * P3 - f * P2)
        - c**2 * d * f * (P3 + P2 - d - f)
        - c * ob * (d * g * P3 + e * f * P2)
    )
    with np.errstate(invalid="ignore", divide="ignore"):
        return (phi / 2 + delta) / V


# ----------------------------------------------------------------------------- dyadic ML
def _ibd_likelihood_ratios(
    enc: AlleleIndicators, rows: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-locus P(Gx,Gy | k IBD) / P(Gx,Gy | 0 IBD) for rows x in *rows* and all y.

    Returns
    -------
    R1, R2 : numpy.ndarray of float64, shape (len(rows), n, L)
        Likelihood ratios of one and two alleles IBD against none (1 at untyped loci).
    valid : numpy.ndarray of bool, shape (len(rows), n, L)
    """
    n, L = enc.typed.shape
    pa, pb = enc.p_ab()
    # P(G) under HWE: p^2 for aa, 2 p_a p_b for ab
    PG = np.where(enc.hom, pa * pb, 2 * pa * pb)
    # T[y, k]: probability that y's *other* allele is drawn from the population given that
    # allele k of y is the IBD copy: p_other for each allele carried (hom: p_a).
    other_b = np.zeros_like(enc.X)  # (n, A)
    idx = np.arange(n)
    for j in range(L):
        t = enc.typed[:, j]
        ca, cb = enc.col_a[t, j], enc.col_b[t, j]
        other_b[idx[t], ca] = pb[t, j]
        other_b[idx[t], cb] = pa[t, j]
    R1 = np.ones((len(rows), n, L))
    R2 = np.ones((len(rows), n, L))
    valid = enc.typed[rows][:, None, :] & enc.typed[None, :, :]
    for j in range(L):
        cols = np.flatnonzero(enc.locus_of == j)
        Xx = enc.X[rows][:, cols] / 2.0
        T = other_b[:, cols]
        # P(Gy | Gx, k1) = sum_k (X_xk / 2) T_yk ; ratio to P(Gy)
        py = PG[:, j]
        with np.errstate(invalid="ignore", divide="ignore"):
            r1 = (Xx @ T.T) / py[None, :]
            ident = (enc.col_a[rows, j][:, None] == enc.col_a[None, :, j]) & (
                enc.col_b[rows, j][:, None] == enc.col_b[None, :, j]
            )
            r2 = np.where(ident, 1.0 / py[None, :], 0.0)
        v = valid[:, :, j]
        R1[:, :, j] = np.where(v, r1, 1.0)
        R2[:, :, j] = np.where(v, r2, 1.0)
    return R1, R2, valid


def _em_k(R1: np.ndarray, R2: np.ndarray, lw: np.ndarray, n_iter: int = 400, tol: float = 1e-10) -> np.ndarray:
    """Maximise sum_l lw_l log(k0 + k1 R1 + k2 R2) over the simplex by EM (vectorised)."""
    shape = R1.shape[:-1]
    k = np.full(shape + (3,), 1.0 / 3.0)
    tot = lw.sum()
    if tot <= 0:
        return np.full(shape + (3,), np.nan)
    for _ in range(n_iter):
        k0, k1, k2 = k[..., 0:1], k[..., 1:2], k[..., 2:3]
        den = k0 + k1 * R1 + k2 * R2
        den = np.where(den > 0, den, np.inf)
        new = np.stack(
            [
                (k0 / den * lw).sum(-1),
                (k1 * R1 / den * lw).sum(-1),
                (k2 * R2 / den * lw).sum(-1),
            ],
            axis=-1,
        ) / tot
        delta = np.nanmax(np.abs(new - k)) if new.size else 0.0
        k = new
        if delta < tol:
            break
    return k


def _loglik_k(R1: np.ndarray, R2: np.ndarray, lw: np.ndarray, k: np.ndarray) -> np.ndarray:
    """sum_l lw_l log(k0 + k1 R1 + k2 R2); k broadcasts against R1[..., 0]."""
    with np.errstate(divide="ignore", invalid="ignore"):
        v = k[..., 0:1] + k[..., 1:2] * R1 + k[..., 2:3] * R2
        return (np.log(v) * lw).sum(-1)


def _curve_k(phi: np.ndarray) -> np.ndarray:
    """k on the outbred boundary k1^2 = 4 k0 k2: ((1-phi)^2, 2 phi (1-phi), phi^2)."""
    return np.stack([(1 - phi) ** 2, 2 * phi * (1 - phi), phi**2], axis=-1)


def _max_on_curve(R1: np.ndarray, R2: np.ndarray, lw: np.ndarray, n_grid: int = 41, n_golden: int = 40) -> np.ndarray:
    """Maximise the likelihood along phi in [0, 1] on the boundary curve (vectorised)."""
    grid = np.linspace(0.0, 1.0, n_grid)
    ll = np.stack([_loglik_k(R1, R2, lw, _curve_k(np.full(R1.shape[:-1], g))) for g in grid], axis=-1)
    best = np.argmax(np.nan_to_num(ll, nan=-np.inf), axis=-1)
    step = 1.0 / (n_grid - 1)
    lo = np.clip(grid[best] - step, 0, 1)
    hi = np.clip(grid[best] + step, 0, 1)
    gr = (np.sqrt(5) - 1) / 2
    for _ in range(n_golden):
        x1 = hi - gr * (hi - lo)
        x2 = lo + gr * (hi - lo)
        f1 = _loglik_k(R1, R2, lw, _curve_k(x1))
        f2 = _loglik_k(R1, R2, lw, _curve_k(x2))
        left = np.nan_to_num(f1, nan=-np.inf) >= np.nan_to_num(f2, nan=-np.inf)
        hi = np.where(left, x2, hi)
        lo = np.where(left, lo, x1)
    phi = (lo + hi) / 2
    # keep the grid point if it is better (end points 0 and 1)
    f_phi = _loglik_k(R1, R2, lw, _curve_k(phi))
    f_grid = np.take_along_axis(ll, best[..., None], -1)[..., 0]
    phi = np.where(np.nan_to_num(f_grid, nan=-np.inf) > np.nan_to_num(f_phi, nan=-np.inf), grid[best], phi)
    return _curve_k(phi)


def _dyadml_block(args) -> tuple[np.ndarray, np.ndarray]:
    enc, rows, c, constrained = args
    R1, R2, valid = _ibd_likelihood_ratios(enc, rows)
    k = _em_k(R1, R2, c)
    # outbred relationships satisfy k1^2 >= 4 k0 k2 (Thompson 1976); when the unconstrained
    # maximum violates it, the constrained maximum lies on the boundary curve
    bad = k[..., 1] ** 2 < 4 * k[..., 0] * k[..., 2] - 1e-9
    if constrained and bad.any():
        k[bad] = _max_on_curve(R1[bad], R2[bad], c)
    none = ~(valid.any(-1))
    k[none] = np.nan
    ll = []
    for cls in ("PO", "FS", "HS", "U"):
        ll.append(_loglik_k(R1, R2, c, np.asarray(RELATIONSHIP_K[cls], dtype=float)))
    return k, np.stack(ll, axis=-1)


def dyadml(
    enc: AlleleIndicators,
    locus_weights: np.ndarray | None = None,
    *,
    block: int = 128,
    outbred_constraint: bool = False,
    executor: Executor | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Dyadic maximum-likelihood relatedness (Milligan 2003), non-inbred.

    Maximises ``prod_l [k0 P0_l + k1 P1_l + k2 P2_l]`` over (k0, k1, k2) on the simplex, where
    ``P_k`` is the probability of the pair's genotypes given k alleles identical by descent
    (Thompson 1975; Milligan 2003 Table 1 restricted to the three states of non-inbred
    individuals, i.e. COANCESTRY with ``allow.inbreeding = FALSE``). The likelihood is a
    mixture in k, so it is maximised by EM, vectorised over all pairs of a block of rows.
    ``r = k1/2 + k2``. With *outbred_constraint* the search is restricted to
    ``k1^2 >= 4 k0 k2`` (Thompson 1976), the region reachable by outbred pedigrees; off by
    default because COANCESTRY does not apply it (it agrees less with related's output).

    Difference from COANCESTRY: its ``dyadml`` column on related's simrel data is
    consistent with a genotyping-error term in the likelihood (FS0000003-FS00000010 get
    r = 1.0 although three loci are homozygote/heterozygote discordant, impossible for
    k2 = 1 without error); this implementation is the error-free likelihood.

    Parameters
    ----------
    enc : AlleleIndicators
    locus_weights : numpy.ndarray, shape (L,), optional
    block : int
        Rows per block (memory: block x n x L x 3 doubles).
    executor : concurrent.futures.Executor, optional
        Blocks run through :func:`~genetics.parallel.map_ordered`.

    Returns
    -------
    r : numpy.ndarray, shape (n, n)
    k : numpy.ndarray, shape (n, n, 3)
        ML estimates of (k0, k1, k2).
    loglik : numpy.ndarray, shape (n, n, 4)
        Log-likelihood ratios (against unrelated allele sampling) of PO, FS, HS, U.
    """
    c = _weights(enc, locus_weights)
    n = enc.n
    blocks = [np.arange(i, min(n, i + block)) for i in range(0, n, block)]
    res = map_ordered(_dyadml_block, [(enc, b, c, outbred_constraint) for b in blocks],
                      executor=executor, desc="dyadml")
    k = np.concatenate([r[0] for r in res], axis=0)
    ll = np.concatenate([r[1] for r in res], axis=0)
    r = k[..., 1] / 2 + k[..., 2]
    return r, k, ll


def classify_relationship(loglik: np.ndarray) -> np.ndarray:
    """Relationship class (PO, FS, HS, U) of highest likelihood; ties go to the later
    (more distant) class... by numpy's first maximum in the order PO, FS, HS, U."""
    names = np.array(["PO", "FS", "HS", "U"])
    out = names[np.argmax(np.nan_to_num(loglik, nan=-np.inf), axis=-1)]
    return out


# ----------------------------------------------------------------------------- drivers
_MOMENT = {
    "queller_goodnight": queller_goodnight,
    "lynch_ritland": lynch_ritland,
    "wang": wang,
    "li": li,
    "ritland": ritland,
}


def _check_estimators(estimators: Sequence[str]) -> list[str]:
    est = [e.strip() for e in estimators if e.strip()]
    for e in est:
        if e not in ESTIMATORS:
            raise InputDataError(f"unknown relatedness estimator {e!r} (use {', '.join(ESTIMATORS)})")
    if not est:
        raise InputDataError("no relatedness estimator given")
    return est


def pairwise_matrices(
    enc: AlleleIndicators,
    estimators: Sequence[str] = ESTIMATORS,
    locus_weights: np.ndarray | None = None,
    executor: Executor | None = None,
) -> dict[str, np.ndarray]:
    """All requested estimators as (n, n) matrices; ``dyadml`` also gives ``dyadml_class``
    (str) and ``k0, k1, k2``."""
    out: dict[str, np.ndarray] = {}
    for e in _check_estimators(estimators):
        if e == "dyadml":
            r, k, ll = dyadml(enc, locus_weights, executor=executor)
            out["dyadml"] = r
            out["dyadml_class"] = classify_relationship(ll)
            out["k0"], out["k1"], out["k2"] = k[..., 0], k[..., 1], k[..., 2]
        else:
            out[e] = _MOMENT[e](enc, locus_weights)
    return out


def _boot_one(args) -> dict[str, np.ndarray]:
    enc, estimators, weights, iu = args
    m = pairwise_matrices(enc, estimators, weights)
    return {e: m[e][iu] for e in estimators}


def bootstrap_ci(
    enc: AlleleIndicators,
    estimators: Sequence[str],
    n_boot: int,
    rng: np.random.Generator,
    level: float = 0.95,
    executor: Executor | None = None,
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Percentile bootstrap CIs over loci for every pair (upper triangle order).

    Each resample draws L loci with replacement; the estimators are recomputed with the
    locus multiplicities as weights (same matrix products).
    """
    L = enc.n_loci
    iu = np.triu_indices(enc.n, 1)
    weights = [np.bincount(rng.integers(0, L, L), minlength=L).astype(float) for _ in range(n_boot)]
    res = map_ordered(_boot_one, [(enc, list(estimators), w, iu) for w in weights], executor=executor,
                      desc="bootstrap")
    alpha = (1 - level) / 2
    out = {}
    for e in estimators:
        arr = np.stack([r[e] for r in res])
        with np.errstate(all="ignore"):
            lo = np.nanquantile(arr, alpha, axis=0) if len(arr) else np.full(len(iu[0]), np.nan)
            hi = np.nanquantile(arr, 1 - alpha, axis=0) if len(arr) else np.full(len(iu[0]), np.nan)
        out[e] = (lo, hi)
    return out


def read_reference_freqs(path) -> dict[str, dict[int, float]]:
    """Read a reference allele-frequency table ``locus,allele,frequency`` (CSV/TSV)."""
    from .io.tables import read_table

    df = read_table(path)
    need = {"locus", "allele", "frequency"}
    if not need <= set(df.columns):
        raise InputDataError(f"reference frequency table needs columns {sorted(need)}", path=path)
    out: dict[str, dict[int, float]] = {}
    for i, row in enumerate(df.itertuples(index=False), start=2):
        try:
            a = int(row.allele)
            f = float(row.frequency)
        except (TypeError, ValueError):
            raise InputDataError("allele must be an integer and frequency a number", path=path, line=i) from None
        if not (0 <= f <= 1):
            raise InputDataError("frequency must be between 0 and 1", path=path, line=i)
        out.setdefault(str(row.locus), {})[a] = f
    return out


def relatedness_table(
    g: Genotypes,
    estimators: Sequence[str] = ESTIMATORS,
    *,
    reference: Mapping[str, Mapping[int, float]] | None = None,
    n_boot: int = 0,
    seed: int | None = 1,
    level: float = 0.95,
    executor: Executor | None = None,
) -> pd.DataFrame:
    """Every pair's relatedness as a table ``id_1, id_2, n_loci, <estimator>...``.

    With ``n_boot > 0`` adds ``<estimator>_lo, <estimator>_hi`` percentile bootstrap limits
    (loci resampled). ``dyadml`` adds ``dyadml_class`` (PO, FS, HS, U by likelihood).
    """
    est = _check_estimators(estimators)
    enc = encode(g.alleles, g.loci, reference, samples=g.samples)
    iu = np.triu_indices(g.n_samples, 1)
    M = enc.typed.astype(float)
    shared = (M @ M.T)[iu].astype(int)
    mats = pairwise_matrices(enc, est, executor=executor)
    samples = np.asarray(g.samples, dtype=object)
    cols: dict[str, np.ndarray] = {"id_1": samples[iu[0]], "id_2": samples[iu[1]], "n_loci": shared}
    for e in est:
        cols[e] = mats[e][iu]
        if e == "dyadml":
            cols["dyadml_class"] = mats["dyadml_class"][iu]
    if n_boot > 0:
        ci = bootstrap_ci(enc, est, n_boot, np.random.default_rng(seed), level, executor)
        for e in est:
            cols[f"{e}_lo"], cols[f"{e}_hi"] = ci[e]
    return pd.DataFrame(cols)
