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
* Milligan, B.G. (2003) Genetics 163:1153-1167, dyadic maximum likelihood over the nine
  condensed Jacquard (1974) identity coefficients (default, as related's ``dyadml``) or the
  three Cotterman coefficients k0, k1, k2 of non-inbred individuals (``states=3``)
  [``dyadml``], with the relationship class (PO, FS, HS, U) of highest likelihood.
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
    "dyadml_pairs",
    "classify_relationship",
    "pairwise_matrices",
    "relatedness_table",
    "bootstrap_ci",
    "compare_estimators",
    "plot_comparison",
    "pair_values",
    "read_reference_freqs",
    "reference_from_table",
    "Comparison",
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


def _pp(U: np.ndarray, V: np.ndarray, pairs=None) -> np.ndarray:
    """``U @ V.T`` (n, n), or only its entries (I[q], J[q]) as row-wise dot products (P,)."""
    if pairs is None:
        return U @ V.T
    I, J = pairs
    if isinstance(I, slice):  # a block of rows against a block of columns
        return U[I] @ V[J].T
    return np.einsum("pa,pa->p", U[I], V[J])


def _add(a: np.ndarray, b: np.ndarray, pairs=None) -> np.ndarray:
    """``a[:, None] + b[None, :]`` (n, n), or its entries (I[q], J[q])."""
    if pairs is None:
        return a[:, None] + b[None, :]
    return a[pairs[0]] + b[pairs[1]]


def _swap(pairs):
    return None if pairs is None else (pairs[1], pairs[0])


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        r = num / den
    r[den == 0] = np.nan
    return r


def queller_goodnight(enc: AlleleIndicators, locus_weights: np.ndarray | None = None, pairs=None) -> np.ndarray:
    """Queller & Goodnight (1989) relatedness, averaged over both reference individuals.

    With x as reference, summed over the loci typed in both individuals,
    ``r_xy = sum_l (S_xy/2 - p_a - p_b) / sum_l (1 + delta_ab - p_a - p_b)`` where ``(a, b)``
    are x's alleles and ``S_xy = delta_ac + delta_ad + delta_bc + delta_bd``. Both reference
    individuals are combined by pooling numerators and denominators,
    ``r = (num_xy + num_yx) / (den_xy + den_yx)``, i.e. the pairwise form
    ``sum_l (delta_ac + delta_ad + delta_bc + delta_bd - p_a - p_b - p_c - p_d) /
    sum_l (2 + delta_ab + delta_cd - p_a - p_b - p_c - p_d)`` (Oliehoek et al. 2006, eq. 3),
    which is what related/COANCESTRY ``quellergt`` report (checked on related's simrel data;
    the mean of the two ratios differs from it by up to 0.13 there).

    Parameters
    ----------
    enc : AlleleIndicators
    locus_weights : numpy.ndarray of float, shape (L,), optional
        Multiplicity of every locus (bootstrap resamples); default 1.
    pairs : tuple of two int arrays (I, J), optional
        Compute only these pairs (row-wise products instead of full matrix products).

    Returns
    -------
    numpy.ndarray of float64, shape (n, n), or (P,) with *pairs*
        Symmetric; the diagonal is meaningless. NaN where the pair shares no typed locus.
    """
    c = _weights(enc, locus_weights)
    M = enc.typed.astype(float)
    s = enc.X @ _block(enc, enc.p)  # (n, L): p_a + p_b (0 where missing)
    sc = s * c
    D = (1.0 + enc.hom - s) * M * c
    if enc.typed.all():
        S = _pp(enc.X * c[enc.locus_of], enc.X, pairs)
        sig = sc.sum(1)
        dd = D.sum(1)
        return _ratio(S - _add(sig, sig, pairs), _add(dd, dd, pairs))
    # num_xy + num_yx and den_xy + den_yx as single products over stacked matrices
    num = _pp(np.hstack([enc.X * c[enc.locus_of], -sc, -M]), np.hstack([enc.X, M, sc]), pairs)
    den = _pp(np.hstack([D, M]), np.hstack([M, D]), pairs)
    return _ratio(num, den)


def _block(enc: AlleleIndicators, values: np.ndarray) -> np.ndarray:
    """(A, L) matrix with values[a] in row a, column locus_of[a]."""
    B = np.zeros((len(enc.locus_of), enc.n_loci))
    B[np.arange(len(enc.locus_of)), enc.locus_of] = values
    return B


def lynch_ritland(enc: AlleleIndicators, locus_weights: np.ndarray | None = None, pairs=None) -> np.ndarray:
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
    wr = _pp(np.hstack([enc.X * (inv2p * c[enc.locus_of]), -2.0 * M * c]), np.hstack([enc.X, M]), pairs)
    pa, pb = enc.p_ab()
    with np.errstate(invalid="ignore", divide="ignore"):
        w = ((1.0 + enc.hom) * (pa + pb) - 4 * pa * pb) / (2 * pa * pb)
    w = np.where(enc.typed, w, 0.0)
    if enc.typed.all():
        with np.errstate(divide="ignore"):
            iw = 0.5 / (w * c).sum(1)
        return wr * _add(iw, iw, pairs)
    W = _pp(w * c, M, pairs)
    Wt = _pp(w * c, M, _swap(pairs)) if pairs is not None else W.T
    with np.errstate(divide="ignore", invalid="ignore"):
        iW = np.where(W == 0, np.nan, 0.5 / W)
        iWt = np.where(Wt == 0, np.nan, 0.5 / Wt)
    return wr * (iW + iWt)


def ritland(enc: AlleleIndicators, locus_weights: np.ndarray | None = None, pairs=None) -> np.ndarray:
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
    num = _pp(np.hstack([enc.X * (scale * c[enc.locus_of]), -Mi * (inv_m1 * c)]), np.hstack([enc.X, Mi]), pairs)
    den = _pp(Mi * c, Mi, pairs)
    return _ratio(num, den)


def _similarity_classes(
    enc: AlleleIndicators, w: np.ndarray, pairs=None
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
    HH = _pp(Xh * wa, Xh, pairs)  # 4 x [hom-hom identical]
    # HE + HE^T: 2 x [one hom, other het, sharing]
    HE2 = _pp(np.hstack([Xh * wa, Xe * wa]), np.hstack([Xe, Xh]), pairs)
    EE = _pp(Xe * wa, Xe, pairs)  # 2 x [het-het identical] + [het-het sharing one]
    # identical genotypes: one-hot genotype matrix per locus
    G, Gw = _genotype_indicators(enc, w)
    C1 = _pp(Gw, G, pairs)
    C2 = HE2 / 2.0
    C3 = EE - 2.0 * (C1 - HH / 4.0)
    W = _pp(M * w, M, pairs)
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


def li(enc: AlleleIndicators, locus_weights: np.ndarray | None = None, pairs=None) -> np.ndarray:
    """Li, Weeks & Chakravarti (1993) relatedness from Lynch's (1988) similarity index.

    Per locus the similarity is S = 1 (identical genotypes), 3/4 (aa/ab), 1/2 (ab/ac) or
    0; the expected similarity of unrelated individuals is ``S0 = 2 a2 - a3``. The
    multilocus estimate is ``r = (sum_l S_l - sum_l S0_l) / (sum_l (1 - S0_l))`` over loci
    typed in both (related's ``lynchli``).

    Parameters and returns as :func:`queller_goodnight`.
    """
    c = _weights(enc, locus_weights)
    C1, C2, C3, W = _similarity_classes(enc, c, pairs)
    S = C1 + 0.75 * C2 + 0.5 * C3
    M = enc.typed.astype(float)
    s0 = 2 * enc.a_k(2) - enc.a_k(3)
    S0 = _pp(M * (s0 * c), M, pairs)
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
    pairs=None,
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
            return np.full((enc.n, enc.n) if pairs is None else len(pairs[0]), np.nan)
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
        return r0 + _pp(A, B, pairs) / W
    # every pair-specific quantity is a product U @ V.T of per-individual factor matrices
    M = enc.typed.astype(float)
    wa = w[enc.locus_of]
    homa = enc.hom[:, enc.locus_of]
    Xh = enc.X * homa
    Xe = enc.X * (~homa)
    G, Gw = _genotype_indicators(enc, w)
    keys = list(coef)
    # columns: C1 | 2 C2 | HH | EE | W | b..g numerators
    U = [Gw, np.hstack([Xh * wa, Xe * wa]), Xh * wa, Xe * wa, M * w] + [M * (w * coef[k]) for k in keys]
    V = [G, np.hstack([Xe, Xh]), Xh, Xe, M] + [M] * len(keys)

    def block(p):
        C1, HE2, HH, EE, W = (_pp(u, v, p) for u, v in zip(U[:5], V[:5]))
        C3 = EE - 2.0 * (C1 - HH / 4.0)
        k = {key: _ratio(_pp(u, v, p), W) for key, u, v in zip(keys, U[5:], V[5:])}
        return _wang_formula(_ratio(C1, W), _ratio(HE2 / 2.0, W), _ratio(C3, W), **k)

    if pairs is not None:
        return block(pairs)
    # all pairs by blocks of rows against the columns from the block on (upper triangle plus
    # diagonal blocks: half the work), mirrored into the symmetric result
    n = enc.n
    out = np.empty((n, n))
    for i in range(0, n, _ROW_BLOCK):
        rows = slice(i, min(n, i + _ROW_BLOCK))
        res = block((rows, slice(i, n)))
        out[rows, i:] = res
        out[i:, rows] = res.T
    return out


_ROW_BLOCK = 512


def _wang_formula(P1, P2, P3, b, c, d, e, f, g):
    """Wang's (2002) r = phi/2 + Delta from class proportions and frequency functions.

    Written with shared subexpressions (``f e^2 + d g^2`` appears in V and Delta,
    ``c (dg - ef) = -c t1``) to keep the number of passes over all pairs small.
    """
    ob = 1 - b
    ef = e * f
    dg = d * g
    df = d * f
    cdf = c * df
    eg = e + g
    dpf = d + f
    t1 = ef - dg
    t1sq = t1 * t1
    S2 = e * ef + g * dg  # f e^2 + d g^2
    V = ob * (ob * S2 - t1sq + 2 * cdf * eg) + c * cdf * dpf
    phi = (
        df * (eg * ob + c * dpf) * (P1 - 1)
        + d * ob * (g * (ob - d) + f * (c + e)) * P3
        + f * ob * (e * (ob - f) + d * (c + g)) * P2
    )
    delta = (
        cdf * eg * (P1 + 1 - 2 * b)
        + (ob * S2 - t1sq) * (P1 - b)
        - c * t1 * (d * P3 - f * P2)
        - c * cdf * (P3 + P2 - dpf)
        - c * ob * (dg * P3 + ef * P2)
    )
    with np.errstate(invalid="ignore", divide="ignore"):
        return (phi / 2 + delta) / V


# ----------------------------------------------------------------------------- dyadic ML
def _ibd_likelihood_ratios(
    enc: AlleleIndicators, I: np.ndarray, J: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-locus P(Gx,Gy | k alleles IBD) / P(Gx,Gy | none) for the pairs (I[q], J[q]).

    For non-inbred x = (a, b), y = (c, d) under HWE: P(.|0) = P(Gx) P(Gy);
    P(.|1) = P(Gx) * mean over x's two alleles u of P(y carries u and a random other allele);
    P(.|2) = P(Gx) [Gx = Gy]. So R1 = (T_y(a) + T_y(b)) / (2 P(Gy)) with T_y(u) the frequency of
    y's other allele when u is one of y's alleles, and R2 = [Gx = Gy] / P(Gy).

    Returns
    -------
    R1, R2 : numpy.ndarray of float64, shape (P, L)
        1 at loci not typed in both.
    valid : numpy.ndarray of bool, shape (P, L)
    """
    pa, pb = enc.p_ab()
    ca_x, cb_x = enc.col_a[I], enc.col_b[I]
    ca_y, cb_y = enc.col_a[J], enc.col_b[J]
    pc, pd_ = pa[J], pb[J]
    homy = ca_y == cb_y
    valid = enc.typed[I] & enc.typed[J]
    PGy = np.where(homy, pc * pd_, 2 * pc * pd_)

    def T(u):
        return np.where(homy, (u == ca_y) * pc, (u == ca_y) * pd_ + (u == cb_y) * pc)

    with np.errstate(invalid="ignore", divide="ignore"):
        R1 = (T(ca_x) + T(cb_x)) / (2 * PGy)
        R2 = ((ca_x == ca_y) & (cb_x == cb_y)) / PGy
    R1 = np.where(valid, R1, 1.0)
    R2 = np.where(valid, R2, 1.0)
    return R1, R2, valid


def _em_k(R1: np.ndarray, R2: np.ndarray, lw: np.ndarray, n_bisect: int = 60, n_newton: int = 30) -> np.ndarray:
    """Maximise ``f(k) = sum_l lw_l log(k0 + k1 R1_l + k2 R2_l)`` over the simplex, all pairs at once.

    f is concave, so the maximum is either on the boundary - the best of the three edge
    maxima, each a one-dimensional concave problem solved by safeguarded Newton steps on the
    derivative - or
    in the interior, which is the case exactly when the derivative at the best edge point
    towards the opposite vertex is positive; those pairs get a damped Newton ascent in the
    interior. (EM would reach the same point but converges slowly at the boundary.)

    Parameters
    ----------
    R1, R2 : numpy.ndarray, shape (P, L)
    lw : numpy.ndarray, shape (L,)

    Returns
    -------
    numpy.ndarray, shape (P, 3)
    """
    P, L = R1.shape
    if P == 0 or lw.sum() <= 0:
        return np.full((P, 3), np.nan)
    R = np.stack([np.ones_like(R1), R1, R2], axis=-1)  # (P, L, 3)
    V = np.eye(3)

    def f(k):
        with np.errstate(divide="ignore", invalid="ignore"):
            return (np.log(np.einsum("plk,pk->pl", R, k)) * lw).sum(1)

    def grad(k):
        with np.errstate(divide="ignore", invalid="ignore"):
            den = np.einsum("plk,pk->pl", R, k)
            return np.einsum("plk,pl->pk", R, lw / den)

    best_k = np.zeros((P, 3))
    best_f = np.full(P, -np.inf)
    best_edge = np.zeros(P, dtype=int)
    for e, (i, j) in enumerate(((0, 1), (0, 2), (1, 2))):
        # k(t) = (1-t) v_i + t v_j; f'(t) = sum lw (R_j - R_i) / k(t).R, decreasing in t
        t = _edge_max(R[..., i], R[..., j] - R[..., i], lw, n_bisect)
        lo = hi = t
        cands = [np.zeros(P), np.ones(P), (lo + hi) / 2]
        for t in cands:
            k = (1 - t)[:, None] * V[i] + t[:, None] * V[j]
            fk = np.nan_to_num(f(k), nan=-np.inf)
            better = fk > best_f
            best_k[better], best_f[better], best_edge[better] = k[better], fk[better], e
    # KKT: derivative towards the vertex opposite the best edge
    opposite = np.array([2, 1, 0])[best_edge]
    g = np.nan_to_num(grad(best_k), nan=0.0, posinf=1e300, neginf=-1e300)
    dirv = V[opposite] - best_k
    inner = (g * dirv).sum(1) > 1e-9 * np.maximum(1.0, np.abs(g).max(1))
    if inner.any():
        idx = np.flatnonzero(inner)
        Ri = R[idx]
        D0 = Ri[..., 1] - Ri[..., 0]
        D1 = Ri[..., 2] - Ri[..., 0]
        x = np.full((len(idx), 2), 1.0 / 3.0)  # (k1, k2); k0 = 1 - k1 - k2
        act = np.arange(len(idx))
        for _ in range(n_newton):
            xa = x[act]
            den = Ri[act, :, 0] + xa[:, 0:1] * D0[act] + xa[:, 1:2] * D1[act]
            with np.errstate(divide="ignore", invalid="ignore"):
                wd = lw / den
                w2 = wd / den
            d0, d1_ = D0[act], D1[act]
            g0, g1 = (d0 * wd).sum(1), (d1_ * wd).sum(1)
            h00, h01, h11 = -(d0 * d0 * w2).sum(1), -(d0 * d1_ * w2).sum(1), -(d1_ * d1_ * w2).sum(1)
            det = h00 * h11 - h01 * h01
            with np.errstate(divide="ignore", invalid="ignore"):
                s0 = -(h11 * g0 - h01 * g1) / det
                s1 = -(-h01 * g0 + h00 * g1) / det
            step = np.nan_to_num(np.column_stack([s0, s1]))
            kk = np.column_stack([1 - xa.sum(1), xa])
            dk = np.column_stack([-step.sum(1), step])
            with np.errstate(divide="ignore", invalid="ignore"):
                lim = np.where(dk < 0, -kk / dk, np.inf).min(1)
            a_ = np.minimum(1.0, 0.95 * lim)
            x[act] = xa + a_[:, None] * step
            moving = np.abs(a_[:, None] * step).max(1) > 1e-11
            act = act[moving]
            if len(act) == 0:
                break
        k_in = np.column_stack([1 - x.sum(1), x])
        f_in = np.nan_to_num(_f_sub(Ri, lw, k_in), nan=-np.inf)
        better = f_in > best_f[idx]
        best_k[idx[better]] = k_in[better]
    return np.clip(best_k, 0.0, 1.0)


def _edge_max(Ri: np.ndarray, dR: np.ndarray, lw: np.ndarray, n_iter: int) -> np.ndarray:
    """argmax over t in [0, 1] of sum_l lw log(Ri + t dR), rows independent (concave in t).

    End points are settled by the sign of the derivative there; the rest by safeguarded
    Newton steps inside a shrinking bracket, iterating only on rows not yet converged.
    """
    P = Ri.shape[0]

    def d1(t, a, d):
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.nan_to_num((lw * d / (a + t[:, None] * d)).sum(1), nan=0.0)

    t = np.full(P, 0.5)
    at0 = d1(np.zeros(P), Ri, dR) <= 0
    at1 = d1(np.ones(P), Ri, dR) >= 0
    t[at0] = 0.0
    t[at1 & ~at0] = 1.0
    act = np.flatnonzero(~at0 & ~at1)
    lo = np.zeros(len(act))
    hi = np.ones(len(act))
    tt = np.full(len(act), 0.5)
    a, d = Ri[act], dR[act]
    for _ in range(n_iter):
        if len(act) == 0:
            break
        with np.errstate(divide="ignore", invalid="ignore"):
            q = d / (a + tt[:, None] * d)
            g1 = (lw * q).sum(1)
            g2 = -(lw * q * q).sum(1)
            tn = tt - g1 / g2
        up = g1 > 0
        lo = np.where(up, tt, lo)
        hi = np.where(up, hi, tt)
        ok = np.isfinite(tn) & (tn > lo) & (tn < hi)
        tn = np.where(ok, tn, (lo + hi) / 2)
        conv = np.abs(tn - tt) < 1e-11
        tt = tn
        if conv.any():
            t[act[conv]] = tt[conv]
            keep = ~conv
            act, lo, hi, tt, a, d = act[keep], lo[keep], hi[keep], tt[keep], a[keep], d[keep]
    t[act] = tt
    return t


def _f_sub(R: np.ndarray, lw: np.ndarray, k: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return (np.log(np.einsum("plk,pk->pl", R, k)) * lw).sum(1)


def _loglik_k(R1: np.ndarray, R2: np.ndarray, lw: np.ndarray, k: np.ndarray) -> np.ndarray:
    """sum_l lw_l log(k0 + k1 R1 + k2 R2); k is (..., 3) broadcasting against R1[..., 0]."""
    with np.errstate(divide="ignore", invalid="ignore"):
        v = k[..., 0:1] + k[..., 1:2] * R1 + k[..., 2:3] * R2
        return (np.log(v) * lw).sum(-1)


def _curve_k(phi: np.ndarray) -> np.ndarray:
    """k on the outbred boundary k1^2 = 4 k0 k2: ((1-phi)^2, 2 phi (1-phi), phi^2)."""
    return np.stack([(1 - phi) ** 2, 2 * phi * (1 - phi), phi**2], axis=-1)


def _max_on_curve(R1: np.ndarray, R2: np.ndarray, lw: np.ndarray, n_grid: int = 41, n_golden: int = 40) -> np.ndarray:
    """Maximise the likelihood along phi in [0, 1] on the boundary curve (vectorised)."""
    grid = np.linspace(0.0, 1.0, n_grid)
    shape = R1.shape[:-1]
    ll = np.stack([_loglik_k(R1, R2, lw, _curve_k(np.full(shape, x))) for x in grid], axis=-1)
    ll = np.nan_to_num(ll, nan=-np.inf)
    best = np.argmax(ll, axis=-1)
    step = 1.0 / (n_grid - 1)
    lo = np.clip(grid[best] - step, 0, 1)
    hi = np.clip(grid[best] + step, 0, 1)
    gr = (np.sqrt(5) - 1) / 2
    for _ in range(n_golden):
        x1 = hi - gr * (hi - lo)
        x2 = lo + gr * (hi - lo)
        f1 = np.nan_to_num(_loglik_k(R1, R2, lw, _curve_k(x1)), nan=-np.inf)
        f2 = np.nan_to_num(_loglik_k(R1, R2, lw, _curve_k(x2)), nan=-np.inf)
        left = f1 >= f2
        hi = np.where(left, x2, hi)
        lo = np.where(left, lo, x1)
    phi = (lo + hi) / 2
    f_phi = np.nan_to_num(_loglik_k(R1, R2, lw, _curve_k(phi)), nan=-np.inf)
    f_grid = np.take_along_axis(ll, best[..., None], -1)[..., 0]
    phi = np.where(f_grid > f_phi, grid[best], phi)
    return _curve_k(phi)


def _jacquard_ratios(
    enc: AlleleIndicators, I: np.ndarray, J: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Per-locus P(Gx, Gy | Jacquard state i) / P(Gx, Gy | state 9) for the pairs (I[q], J[q]).

    The nine condensed identity states (Jacquard 1974) of the genes x1, x2 of x and y1, y2 of
    y: S1 all four IBD; S2 x1=x2 and y1=y2 but not across; S3 x1=x2=y1 (one gene of y IBD
    with x's two); S4 x1=x2 only; S5 y1=y2=x1; S6 y1=y2 only; S7 x1=y1 and x2=y2; S8 one
    gene of x IBD with one of y; S9 none. Under Hardy-Weinberg frequencies the probabilities
    of the observed (unordered) genotypes are those of Milligan (2003, Table 1), written here
    without a case table: with ``P(G)`` the genotype probability (p_u^2 or 2 p_u p_v),
    ``T_y(u)`` the frequency of y's other allele when u is one of y's alleles (0 otherwise),
    ``T_x`` likewise, and [x hom] the indicator that x is homozygous for allele a:

    * S1: [both homozygous for the same allele a] p_a
    * S2: [both homozygous] p_a p_c
    * S3: [x hom] p_a T_y(a);      S4: [x hom] p_a P(Gy)
    * S5: [y hom] p_c T_x(c);      S6: [y hom] p_c P(Gx)
    * S7: [Gx = Gy] P(Gx)
    * S8: P(Gx) (T_y(a) + T_y(b)) / 2
    * S9: P(Gx) P(Gy)

    (each reproduces Milligan's Table 1 entry, e.g. S8 for AiAj/AiAj is p_i p_j (p_i + p_j),
    for AiAi/AiAj p_i^2 p_j, for AiAj/AiAk p_i p_j p_k). Dividing by S9 keeps the products
    over loci well scaled; the maximiser is unchanged.

    Returns
    -------
    R : numpy.ndarray of float64, shape (P, L, 9)
        Ratios; all 1 at loci not typed in both (they then add nothing to the log-likelihood).
    valid : numpy.ndarray of bool, shape (P, L)
    """
    pa, pb = enc.p_ab()
    ca, cb, cc, cd = enc.col_a[I], enc.col_b[I], enc.col_a[J], enc.col_b[J]
    pA, pB, pC, pD = pa[I], pb[I], pa[J], pb[J]
    valid = enc.typed[I] & enc.typed[J]
    hx, hy = ca == cb, cc == cd
    Px = np.where(hx, pA * pB, 2 * pA * pB)
    Py = np.where(hy, pC * pD, 2 * pC * pD)

    def Ty(u):
        return np.where(hy, (u == cc) * pC, (u == cc) * pD + (u == cd) * pC)

    def Tx(u):
        return np.where(hx, (u == ca) * pA, (u == ca) * pB + (u == cb) * pA)

    P = np.empty(ca.shape + (9,))
    P[..., 0] = (hx & hy & (ca == cc)) * pA
    P[..., 1] = (hx & hy) * pA * pC
    P[..., 2] = hx * pA * Ty(ca)
    P[..., 3] = hx * pA * Py
    P[..., 4] = hy * pC * Tx(cc)
    P[..., 5] = hy * pC * Px
    P[..., 6] = ((ca == cc) & (cb == cd)) * Px
    P[..., 7] = Px * (Ty(ca) + Ty(cb)) / 2
    P[..., 8] = Px * Py
    with np.errstate(invalid="ignore", divide="ignore"):
        R = P / P[..., 8:9]
    R[~valid] = 1.0
    return R, valid


#: Weights of the nine Jacquard coefficients in r = 2 Delta1 + Delta3 + Delta5 + Delta7 + Delta8 / 2.
R_WEIGHTS = np.array([2.0, 0.0, 1.0, 0.0, 1.0, 0.0, 1.0, 0.5, 0.0])


def _max_simplex(
    R: np.ndarray, lw: np.ndarray, n_em: int = 5, n_newton: int = 100, tol: float = 1e-10
) -> np.ndarray:
    """Maximise ``f(D) = sum_l lw_l log(sum_i D_i R_li)`` over the simplex, all pairs at once.

    f is concave. Start: the uniform mixture of the last three coefficients (the outbred
    states S7-S9 for the Jacquard ratios) moved by *n_em* EM steps
    (``D_i <- D_i sum_l lw_l R_li / (R_l.D) / sum lw``). Then an active-set Newton method: on
    the free set (coefficients > 0, or = 0 with gradient above the multiplier ``sum lw``) a
    Newton step constrained to ``sum d = 0`` (a batched (m+1) x (m+1) KKT solve with a tiny
    ridge for directions the data do not identify; a zero coefficient the step would make
    negative is fixed and the step solved again). The full step clipped at 0 and renormalised
    is taken when it increases f (it can drop several coefficients at once); otherwise the
    largest feasible step (coefficients reaching 0 are fixed at 0), halved until f does not
    decrease. Stops when the KKT conditions hold (``g_i = sum lw`` on the support, ``<=`` off
    it) to *tol* relative to ``sum lw``, or when no step increases f. Pairs iterate
    independently (converged ones drop out); the loop runs over iterations only.

    Parameters
    ----------
    R : numpy.ndarray of float64, shape (P, L, m)
    lw : numpy.ndarray of float64, shape (L,)

    Returns
    -------
    numpy.ndarray of float64, shape (P, m)
    """
    P, L, m = R.shape
    if P == 0 or lw.sum() <= 0:
        return np.full((P, m), np.nan)
    use = lw > 0  # loci left out of a bootstrap resample carry no likelihood (and may be 0)
    R, lw = R[:, use], lw[use]
    W = float(lw.sum())
    # start from the uniform mixture of the last three states (for the Jacquard states the
    # outbred S7-S9) and let EM steps move it; other states enter in the Newton phase
    # when their gradient exceeds the multiplier
    D = np.zeros((P, m))
    D[:, -min(3, m):] = 1.0 / min(3, m)
    for _ in range(n_em):
        den = _mix(R, D)
        with np.errstate(divide="ignore", invalid="ignore"):
            D = D * _wsum(R, lw / den) / W
    D = np.nan_to_num(D)
    D /= D.sum(1, keepdims=True)

    def fval(Rs, Ds):
        with np.errstate(divide="ignore"):
            return (np.log(_mix(Rs, Ds)) * lw).sum(1)

    act = np.arange(P)
    for _ in range(n_newton):
        if len(act) == 0:
            break
        Ra = R if len(act) == P else R[act]
        Da = D[act]
        den = _mix(Ra, Da)
        q = lw / den  # (p, L)
        g = _wsum(Ra, q)
        H = np.matmul((Ra * (q / den)[..., None]).transpose(0, 2, 1), Ra)  # minus the Hessian
        # coefficients that are negligible and pulled towards 0 are set to 0 (else they block
        # every step at a tiny feasible length)
        drop = (Da > 0) & (Da < 1e-10) & (g < W)
        if drop.any():
            Da = np.where(drop, 0.0, Da)
            Da /= Da.sum(1, keepdims=True)
            D[act] = Da
            den = _mix(Ra, Da)
            q = lw / den
            g = _wsum(Ra, q)
            H = np.matmul((Ra * (q / den)[..., None]).transpose(0, 2, 1), Ra)
        # free set: support, plus zero coefficients whose gradient exceeds the multiplier
        free = (Da > 0) | (g > W * (1 + 1e-12))
        kkt = np.where(Da > 0, np.abs(g - W), np.maximum(g - W, 0.0)).max(1) / W
        done = kkt < tol
        if done.all():
            break
        keep = ~done
        act, Ra, Da, g, H, free = act[keep], Ra[keep], Da[keep], g[keep], H[keep], free[keep]
        p = len(act)
        ridge = 1e-12 * np.maximum(np.trace(H, axis1=1, axis2=2), 1e-300)
        d = np.zeros((p, m))
        todo = np.arange(p)
        for _r in range(m):
            # Newton step on the free set; a coefficient at 0 that the step would make
            # negative is not free after all: fix it and solve again (rows needing it only)
            d[todo] = _kkt_step(H[todo], g[todo], free[todo], ridge[todo])
            bad = free[todo] & (Da[todo] == 0) & (d[todo] < 0)
            rows = bad.any(1)
            if not rows.any():
                break
            free[todo[rows]] &= ~bad[rows]
            todo = todo[rows]
        with np.errstate(divide="ignore", invalid="ignore"):
            amax = np.where(d < 0, -Da / d, np.inf).min(1)
        alpha = np.minimum(1.0, amax)
        f0 = fval(Ra, Da)
        # first the full Newton step clipped at 0 (drops several coefficients at once); where
        # it does not increase f, the largest feasible step, halved as needed
        full = np.clip(Da + d, 0.0, None)
        full /= full.sum(1, keepdims=True)
        pending = ~(fval(Ra, full) > f0)
        newD = np.where(pending[:, None], Da, full)
        for _h in range(40 if pending.any() else 0):
            cand = np.clip(Da + alpha[:, None] * d, 0.0, None)
            hit = alpha == amax  # coefficients reaching the boundary become exactly 0
            if hit.any():
                with np.errstate(divide="ignore", invalid="ignore"):
                    zero = hit[:, None] & (d < 0) & (np.abs(Da + amax[:, None] * d) <= 1e-14 + 1e-12 * Da)
                cand[zero] = 0.0
            cand /= cand.sum(1, keepdims=True)
            ok = fval(Ra, cand) >= f0 - 1e-12 * (1.0 + np.abs(f0))
            take = pending & ok
            newD = np.where(take[:, None], cand, newD)
            pending &= ~ok
            if not pending.any():
                break
            alpha = np.where(pending, alpha / 2, alpha)
        D[act] = newD
        act = act[~pending]  # no ascent left at machine precision: converged
    return D


def _mix(R: np.ndarray, D: np.ndarray) -> np.ndarray:
    """``sum_k R[p, l, k] D[p, k]`` -> (P, L) (batched matrix-vector product)."""
    return np.matmul(R, D[:, :, None])[..., 0]


def _wsum(R: np.ndarray, q: np.ndarray) -> np.ndarray:
    """``sum_l q[p, l] R[p, l, k]`` -> (P, m)."""
    return np.matmul(q[:, None, :], R)[:, 0, :]


def _kkt_step(H: np.ndarray, g: np.ndarray, free: np.ndarray, ridge: np.ndarray) -> np.ndarray:
    """Newton ascent step on the free coefficients constrained to ``sum d = 0``, batched.

    Solves ``[H 1; 1' 0] [d; mu] = [g; 0]`` on the free block (``H`` minus the Hessian,
    plus *ridge* on its diagonal), with ``d = 0`` elsewhere.

    Parameters
    ----------
    H : numpy.ndarray, shape (p, m, m)
    g : numpy.ndarray, shape (p, m)
    free : numpy.ndarray of bool, shape (p, m)
    ridge : numpy.ndarray, shape (p,)

    Returns
    -------
    numpy.ndarray, shape (p, m)
    """
    p, m = g.shape
    eye = np.eye(m)
    K = np.zeros((p, m + 1, m + 1))
    K[:, :m, :m] = np.where(free[:, :, None] & free[:, None, :], H, 0.0) + eye * ridge[:, None, None]
    K[:, :m, :m] += eye * (~free)[:, :, None]
    K[:, :m, m] = free
    K[:, m, :m] = free
    rhs = np.zeros((p, m + 1))
    rhs[:, :m] = np.where(free, g, 0.0)
    try:
        sol = np.linalg.solve(K, rhs[..., None])[..., 0]
    except np.linalg.LinAlgError:
        sol = np.stack([np.linalg.lstsq(K[i], rhs[i], rcond=None)[0] for i in range(p)])
    d = np.where(free, sol[:, :m], 0.0)
    d -= free * (d.sum(1) / np.maximum(free.sum(1), 1))[:, None]  # exact sum-zero
    return d


def _dyadml_chunk(args) -> tuple[np.ndarray, np.ndarray]:
    enc, I, J, c, constrained, states = args
    if states == 9:
        R9, valid = _jacquard_ratios(enc, I, J)
        k = _max_simplex(R9, c)
        # the outbred Cotterman states: k0 = S9, k1 = S8, k2 = S7
        R1, R2 = R9[..., 7], R9[..., 6]
    else:
        R1, R2, valid = _ibd_likelihood_ratios(enc, I, J)
        k = _em_k(R1, R2, c)
        if constrained:
            # outbred relationships satisfy k1^2 >= 4 k0 k2 (Thompson 1976); when the
            # unconstrained maximum violates it, the constrained maximum is on the boundary curve
            bad = k[:, 1] ** 2 < 4 * k[:, 0] * k[:, 2] - 1e-9
            if bad.any():
                k[bad] = _max_on_curve(R1[bad], R2[bad], c)
    k[~valid.any(1)] = np.nan
    ll = np.stack(
        [_loglik_k(R1, R2, c, np.asarray(RELATIONSHIP_K[cls], dtype=float)) for cls in ("PO", "FS", "HS", "U")],
        axis=-1,
    )
    ll[~valid.any(1)] = np.nan
    return k, ll


def dyadml_pairs(
    enc: AlleleIndicators,
    I: np.ndarray,
    J: np.ndarray,
    locus_weights: np.ndarray | None = None,
    *,
    states: int = 9,
    outbred_constraint: bool = False,
    chunk: int = 20000,
    executor: Executor | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Dyadic maximum-likelihood relatedness (Milligan 2003) for the pairs (I[q], J[q]).

    ``states=9`` (default): maximises ``prod_l sum_i Delta_i P(G_x, G_y | S_i)`` over the nine
    condensed Jacquard (1974) identity coefficients Delta_1..Delta_9 on the simplex (Milligan
    2003, Table 1 probabilities; see :func:`_jacquard_ratios`), by an exact active-set
    Newton method vectorised over pairs (:func:`_max_simplex`), and reports
    ``r = 2 Delta1 + Delta3 + Delta5 + Delta7 + Delta8 / 2`` (twice the coancestry
    ``theta = Delta1 + (Delta3 + Delta5 + Delta7)/2 + Delta8/4``; r = 0.5 for full sibs).
    This is what related 1.0 / COANCESTRY's ``dyadml`` column reports with related's
    default ``allow.inbreeding = FALSE``: related's R wrapper writes the Fortran flag
    "1 = inbreeding NOT allowed" as ``ifelse(allow.inbreeding, 1, 0)``, i.e. inverted, so
    the default run allows inbreeding. On related's simrel data every one of the 435 pairs
    agrees within 0.001 (docs/notes/issue-4.md). Genotyping error is not modelled (related's
    default ``error.rates = 0``).

    ``states=3``: the three Cotterman coefficients (k0, k1, k2) = (Delta9, Delta8, Delta7) of
    non-inbred individuals, maximised exactly (edges, KKT check, damped Newton inside);
    ``r = k1/2 + k2``. With *outbred_constraint* the search is restricted to
    ``k1^2 >= 4 k0 k2`` (Thompson 1976), the region reachable by outbred pedigrees.

    Either way the log-likelihoods of the relationship classes use the outbred Cotterman
    points (PO, FS, HS, U of :data:`genetics.simulate.RELATIONSHIP_K`). Loci not typed in
    both individuals are skipped; allele frequencies are those of *enc* (by default all
    typed individuals, as related).

    Parameters
    ----------
    enc : AlleleIndicators
    I, J : numpy.ndarray of int, shape (P,)
    locus_weights : numpy.ndarray, shape (L,), optional
    states : {9, 3}
    outbred_constraint : bool
        Only with ``states=3``.
    chunk : int
        Pairs per work item (memory about chunk x L x 30 doubles).
    executor : concurrent.futures.Executor, optional

    Returns
    -------
    r : numpy.ndarray, shape (P,)
    k : numpy.ndarray, shape (P, 9) or (P, 3)
        ML estimates of Delta_1..Delta_9, or of (k0, k1, k2); NaN when the pair shares no
        typed locus.
    loglik : numpy.ndarray, shape (P, 4)
        Log-likelihood ratios (against unrelated) of PO, FS, HS, U.
    """
    if states not in (3, 9):
        raise ValueError("states must be 3 or 9")
    if outbred_constraint and states != 3:
        raise ValueError("outbred_constraint applies to states=3 only")
    c = _weights(enc, locus_weights)
    I = np.asarray(I)
    J = np.asarray(J)
    items = [(enc, I[s:s + chunk], J[s:s + chunk], c, outbred_constraint, states)
             for s in range(0, len(I), chunk)]
    res = map_ordered(_dyadml_chunk, items, executor=executor, desc="dyadml")
    if not res:
        return np.zeros(0), np.zeros((0, states)), np.zeros((0, 4))
    k = np.concatenate([x[0] for x in res])
    ll = np.concatenate([x[1] for x in res])
    r = k @ R_WEIGHTS if states == 9 else k[:, 1] / 2 + k[:, 2]
    return r, k, ll


def dyadml(
    enc: AlleleIndicators,
    locus_weights: np.ndarray | None = None,
    *,
    states: int = 9,
    outbred_constraint: bool = False,
    executor: Executor | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`dyadml_pairs` over all pairs, as symmetric (n, n) matrices r, (n, n, states)
    coefficients and (n, n, 4) log-likelihoods (diagonal NaN)."""
    n = enc.n
    I, J = np.triu_indices(n, 1)
    r, k, ll = dyadml_pairs(enc, I, J, locus_weights, states=states, outbred_constraint=outbred_constraint,
                            executor=executor)
    R = np.full((n, n), np.nan)
    K = np.full((n, n, states), np.nan)
    LL = np.full((n, n, 4), np.nan)
    for arr, val in ((R, r), (K, k), (LL, ll)):
        arr[I, J] = val
        arr[J, I] = val
    return R, K, LL


def classify_relationship(loglik: np.ndarray) -> np.ndarray:
    """Relationship class (PO, FS, HS, U) of highest likelihood (last axis: PO, FS, HS, U).

    Ties go to the first in that order; pairs without any shared typed locus get ``""``.
    """
    names = np.array(["PO", "FS", "HS", "U"])
    ll = np.asarray(loglik)
    out = names[np.argmax(np.nan_to_num(ll, nan=-np.inf), axis=-1)].astype(object)
    out[np.all(np.isnan(ll), axis=-1)] = ""
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
    return list(dict.fromkeys(est))


def pair_values(
    enc: AlleleIndicators,
    estimators: Sequence[str],
    I: np.ndarray,
    J: np.ndarray,
    locus_weights: np.ndarray | None = None,
    executor: Executor | None = None,
    *,
    dyadml_states: int = 9,
) -> dict[str, np.ndarray]:
    """Requested estimators for the pairs (I[q], J[q]), each an array (P,).

    ``dyadml`` (over *dyadml_states* IBD states, see :func:`dyadml_pairs`) also yields
    ``dyadml_class`` (PO/FS/HS/U by likelihood) and the ML coefficients ``delta1..delta9``
    (9 states) or ``k0, k1, k2`` (3 states).
    """
    out: dict[str, np.ndarray] = {}
    for e in _check_estimators(estimators):
        if e == "dyadml":
            r, k, ll = dyadml_pairs(enc, I, J, locus_weights, states=dyadml_states, executor=executor)
            out["dyadml"] = r
            out["dyadml_class"] = classify_relationship(ll)
            names = [f"delta{i + 1}" for i in range(9)] if dyadml_states == 9 else ["k0", "k1", "k2"]
            for i, name in enumerate(names):
                out[name] = k[:, i]
        elif len(I) * 4 < enc.n * enc.n:
            out[e] = _MOMENT[e](enc, locus_weights, pairs=(I, J))
        else:
            out[e] = _MOMENT[e](enc, locus_weights)[I, J]
    return out


def pairwise_matrices(
    enc: AlleleIndicators,
    estimators: Sequence[str] = ESTIMATORS,
    locus_weights: np.ndarray | None = None,
    executor: Executor | None = None,
    *,
    dyadml_states: int = 9,
) -> dict[str, np.ndarray]:
    """All requested estimators as symmetric (n, n) matrices (diagonal meaningless)."""
    out: dict[str, np.ndarray] = {}
    for e in _check_estimators(estimators):
        if e == "dyadml":
            out[e] = dyadml(enc, locus_weights, states=dyadml_states, executor=executor)[0]
        else:
            out[e] = _MOMENT[e](enc, locus_weights)
    return out


def _boot_one(args) -> dict[str, np.ndarray]:
    enc, estimators, weights, I, J, states = args
    v = pair_values(enc, estimators, I, J, weights, dyadml_states=states)
    return {e: v[e] for e in estimators}


def bootstrap_ci(
    enc: AlleleIndicators,
    estimators: Sequence[str],
    n_boot: int,
    rng: np.random.Generator,
    level: float = 0.95,
    executor: Executor | None = None,
    pairs: tuple[np.ndarray, np.ndarray] | None = None,
    *,
    dyadml_states: int = 9,
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Percentile bootstrap CIs over loci for every pair (default: upper triangle order).

    Each resample draws L loci with replacement; the estimators are recomputed with the
    locus multiplicities as weights (the same matrix products). Resample weights are drawn
    here, before any work is farmed out, so the result does not depend on the executor.
    """
    L = enc.n_loci
    I, J = pairs if pairs is not None else np.triu_indices(enc.n, 1)
    weights = [np.bincount(rng.integers(0, L, L), minlength=L).astype(float) for _ in range(n_boot)]
    res = map_ordered(_boot_one, [(enc, list(estimators), w, I, J, dyadml_states) for w in weights], executor=executor,
                      desc="bootstrap")
    alpha = (1 - level) / 2
    out = {}
    for e in estimators:
        arr = np.stack([r[e] for r in res])
        out[e] = (_nan_quantile(arr, alpha), _nan_quantile(arr, 1 - alpha))
    return out


def _nan_quantile(arr: np.ndarray, q: float) -> np.ndarray:
    """Column quantiles ignoring NaN (linear interpolation, as numpy's default), vectorised."""
    srt = np.sort(arr, axis=0)  # NaN last
    cnt = np.sum(~np.isnan(arr), axis=0)
    pos = q * np.maximum(cnt - 1, 0)
    lo = np.floor(pos).astype(int)
    hi = np.minimum(lo + 1, np.maximum(cnt - 1, 0))
    vlo = np.take_along_axis(srt, lo[None, :], 0)[0]
    vhi = np.take_along_axis(srt, hi[None, :], 0)[0]
    out = vlo + (pos - lo) * (vhi - vlo)
    out[cnt == 0] = np.nan
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


def reference_from_table(df: pd.DataFrame) -> dict[str, dict[int, float]]:
    """``locus, allele, frequency`` rows as the mapping :func:`encode` takes."""
    out: dict[str, dict[int, float]] = {}
    for locus, allele, f in zip(df["locus"], df["allele"], df["frequency"]):
        out.setdefault(str(locus), {})[int(allele)] = float(f)
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
    dyadml_states: int = 9,
) -> pd.DataFrame:
    """Every pair's relatedness as a table ``id_1, id_2, <estimator>..., n_loci``.

    With ``n_boot > 0`` adds ``<estimator>_lo, <estimator>_hi`` percentile bootstrap limits
    (loci resampled). ``dyadml`` adds ``dyadml_class`` (PO, FS, HS, U by likelihood).
    ``n_loci`` is the number of loci typed in both.
    """
    est = _check_estimators(estimators)
    if g.n_samples < 2:
        raise InputDataError("relatedness needs at least two samples")
    enc = encode(g.alleles, g.loci, reference, samples=g.samples)
    I, J = np.triu_indices(g.n_samples, 1)
    M = enc.typed.astype(np.float32)
    shared = (M @ M.T)[I, J].astype(int)
    vals = pair_values(enc, est, I, J, executor=executor, dyadml_states=dyadml_states)
    samples = np.asarray(g.samples, dtype=object)
    cols: dict[str, np.ndarray] = {"id_1": samples[I], "id_2": samples[J]}
    for e in est:
        cols[e] = vals[e]
        if e == "dyadml":
            cols["dyadml_class"] = vals["dyadml_class"]
    if n_boot > 0:
        ci = bootstrap_ci(enc, est, n_boot, np.random.default_rng(seed), level, executor, (I, J),
                          dyadml_states=dyadml_states)
        for e in est:
            cols[f"{e}_lo"], cols[f"{e}_hi"] = ci[e]
    cols["n_loci"] = shared
    return pd.DataFrame(cols)


# ----------------------------------------------------------------------------- estimator choice
TRUE_R = {"PO": 0.5, "FS": 0.5, "HS": 0.25, "U": 0.0}


@dataclass(frozen=True)
class Comparison:
    """Result of :func:`compare_estimators`.

    Attributes
    ----------
    pairs : pandas.DataFrame
        One row per simulated pair: ``relationship, true_r, <estimator>...``.
    summary : pandas.DataFrame
        Per estimator and class: ``estimator, relationship, n, true_r, mean, variance, rmse``,
        plus rows with ``relationship = "all"`` holding ``correlation`` with the truth.
    recommended : str
        Estimator with the highest correlation with the true r.
    classification : pandas.DataFrame or None
        Accuracy of the dyadic-ML relationship class per true class (when dyadml is compared).
    """

    pairs: pd.DataFrame
    summary: pd.DataFrame
    recommended: str
    classification: pd.DataFrame | None


def compare_estimators(
    g: Genotypes,
    estimators: Sequence[str] = ESTIMATORS,
    n_per_class: int = 200,
    seed: int | None = 1,
    classes: Sequence[str] = ("PO", "FS", "HS", "U"),
    executor: Executor | None = None,
    dyadml_states: int = 9,
) -> Comparison:
    """Choose an estimator by simulation, as related's ``compareestimators``.

    Pairs of known relationship are simulated from the data's own allele frequencies
    (:func:`genetics.simulate.panel_from_genotypes`, :func:`~genetics.simulate.simulate_pairs`);
    every estimator is computed with those frequencies as the reference, and compared with
    the true r (PO/FS 0.5, HS 0.25, U 0) by Pearson correlation, and per class by mean,
    variance and RMSE. The recommended estimator has the highest correlation.
    """
    from .simulate import panel_from_genotypes, simulate_pairs

    est = _check_estimators(estimators)
    panel = panel_from_genotypes(g)
    if any(len(s) == 0 for s in panel.sizes):
        keep = [j for j, s in enumerate(panel.sizes) if len(s)]
        if not keep:
            raise InputDataError("no typed locus to simulate from")
        g = g.subset(loci=keep)
        panel = panel_from_genotypes(g)
    first, second, labels = simulate_pairs(panel, n_per_class, np.random.default_rng(seed), tuple(classes))
    P = len(labels)
    alleles = np.concatenate([first, second])
    ref = {locus: dict(zip(s.tolist(), f.tolist())) for locus, s, f in zip(panel.loci, panel.sizes, panel.freqs)}
    enc = encode(alleles, panel.loci, ref)
    I, J = np.arange(P), np.arange(P) + P
    vals = pair_values(enc, est, I, J, executor=executor, dyadml_states=dyadml_states)
    truth = np.array([TRUE_R[c] for c in labels])
    pairs = pd.DataFrame({"relationship": labels, "true_r": truth, **{e: vals[e] for e in est}})
    rows = []
    corr = {}
    for e in est:
        v = pairs[e].to_numpy(float)
        ok = np.isfinite(v)
        corr[e] = float(np.corrcoef(v[ok], truth[ok])[0, 1]) if ok.sum() > 2 else np.nan
        rows.append({"estimator": e, "relationship": "all", "n": int(ok.sum()), "true_r": np.nan,
                     "mean": float(np.mean(v[ok])), "variance": float(np.var(v[ok], ddof=1)),
                     "rmse": float(np.sqrt(np.mean((v[ok] - truth[ok]) ** 2))), "correlation": corr[e]})
        for cls in classes:
            sel = ok & (labels == cls)
            x = v[sel]
            rows.append({"estimator": e, "relationship": cls, "n": int(sel.sum()), "true_r": TRUE_R[cls],
                         "mean": float(np.mean(x)) if len(x) else np.nan,
                         "variance": float(np.var(x, ddof=1)) if len(x) > 1 else np.nan,
                         "rmse": float(np.sqrt(np.mean((x - TRUE_R[cls]) ** 2))) if len(x) else np.nan,
                         "correlation": np.nan})
    summary = pd.DataFrame(rows)
    finite = {e: c for e, c in corr.items() if np.isfinite(c)}
    recommended = max(finite, key=finite.get) if finite else est[0]
    classification = None
    if "dyadml" in est:
        pred = vals["dyadml_class"]
        classification = pd.DataFrame(
            [{"relationship": cls, "n": int((labels == cls).sum()),
              **{f"called_{c2}": int(((labels == cls) & (pred == c2)).sum()) for c2 in ("PO", "FS", "HS", "U")},
              "accuracy": float(np.mean(pred[labels == cls] == cls)) if (labels == cls).any() else np.nan}
             for cls in classes]
        )
    return Comparison(pairs, summary, recommended, classification)


def plot_comparison(comp: Comparison, path) -> None:
    """Box plots of every estimator per true relationship, dashed lines at the true r.

    matplotlib is imported here only (the ``[plot]`` extra); written atomically.
    """
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError as exc:  # pragma: no cover - depends on the extra
        from .errors import BigcatsError

        raise BigcatsError("plotting needs matplotlib: pip install 'bigcats[plot]'") from exc
    from .io.atomic import atomic_path

    est = [c for c in comp.pairs.columns if c in ESTIMATORS]
    classes = list(dict.fromkeys(comp.pairs["relationship"]))
    fig, axes = plt.subplots(1, len(est), figsize=(2.6 * len(est) + 1, 3.6), sharey=True, squeeze=False)
    for ax, e in zip(axes[0], est):
        data = [comp.pairs.loc[comp.pairs.relationship == c, e].dropna().to_numpy() for c in classes]
        ax.boxplot(data, showfliers=False)
        ax.set_xticks(range(1, len(classes) + 1))
        ax.set_xticklabels(classes)
        for i, c in enumerate(classes, start=1):
            ax.hlines(TRUE_R[c], i - 0.4, i + 0.4, colors="red", linestyles="dashed", linewidth=1)
        ax.set_title(e + (" *" if e == comp.recommended else ""), fontsize=9)
    axes[0][0].set_ylabel("estimated r (dashed: true r)")
    fig.suptitle("Relatedness estimators on simulated pairs (* recommended)", fontsize=10)
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format=str(path).rsplit(".", 1)[-1] if "." in str(path) else "png", dpi=120)
    plt.close(fig)
