"""Population statistics per locus and per population.

Pure cores on allele arrays (``(n, L, 2)`` allele sizes, ``-1`` = missing; the
:class:`~genetics.model.Genotypes` rule makes a half-missing genotype wholly missing) plus
table builders on :class:`~genetics.model.Genotypes`.

Conventions (checked against peers in ``tests/test_stats*.py``)
---------------------------------------------------------------
* ``ho`` = heterozygous / typed individuals; ``he`` = 1 - sum p^2 on the typed alleles with no
  small-sample correction (adegenet ``summary()$Hexp``, scikit-allel); ``he_unbiased`` =
  2N/(2N-1) (1 - sum p^2) (Nei 1987; GenAlEx uHe).
* F-statistics are Weir & Cockerham's (1984) theta estimators summed over alleles, with the
  individuals typed at the locus (scikit-allel's ``weir_cockerham_fst``). pegas 1.3 gives the
  same numbers at loci without missing data; at loci with missing calls pegas treats the
  allele code ``0`` as an allele (reproduced in the tests), which bigcats does not.
* Allelic richness is rarefied (Hurlbert 1971; El Mousadik & Petit 1996) to the smallest
  non-zero number of genes typed in any population at any locus (hierfstat's
  ``allelic.richness`` convention) unless a size is given.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import Executor

import numpy as np
import pandas as pd
from scipy.special import gammaln

from .errors import InputDataError
from .model import MISSING, Genotypes
from .parallel import map_ordered

__all__ = [
    "allele_frequencies",
    "heterozygosity",
    "allelic_richness",
    "wc_components",
    "wc_fstats",
    "hwe_exact_mc",
    "null_allele_brookfield",
    "locus_table",
    "allele_frequency_table",
    "hwe_table",
    "pairwise_fst",
]


def _typed(col: np.ndarray) -> np.ndarray:
    return col[:, 0] != MISSING


def allele_frequencies(col: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Allele sizes and frequencies at one locus.

    Parameters
    ----------
    col : numpy.ndarray of int, shape (n, 2)

    Returns
    -------
    sizes : numpy.ndarray of int, shape (k,)
    freqs : numpy.ndarray of float, shape (k,)
        Among the 2 x typed alleles; empty when nobody is typed.
    """
    a = col[_typed(col)].ravel()
    if a.size == 0:
        return np.zeros(0, dtype=int), np.zeros(0)
    u, c = np.unique(a, return_counts=True)
    return u, c / c.sum()


def heterozygosity(col: np.ndarray) -> tuple[int, float, float, float]:
    """Typed count, Ho, He (1 - sum p^2) and unbiased He (Nei 1987) at one locus.

    Returns
    -------
    n, ho, he, he_unbiased
        NaN statistics when fewer than one (Ho, He) or two (unbiased He) are typed.
    """
    t = _typed(col)
    n = int(t.sum())
    if n == 0:
        return 0, np.nan, np.nan, np.nan
    ho = float(np.mean(col[t, 0] != col[t, 1]))
    _, p = allele_frequencies(col)
    he = float(1 - np.sum(p**2))
    heu = 2 * n / (2 * n - 1) * he if n > 1 else np.nan
    return n, ho, he, heu


def allelic_richness(counts: np.ndarray, g: int) -> float:
    """Expected number of alleles in a subsample of *g* genes (rarefaction).

    ``A_g = sum_i [1 - C(N - N_i, g) / C(N, g)]`` (Hurlbert 1971; El Mousadik & Petit 1996),
    N = genes sampled, N_i = copies of allele i.

    Parameters
    ----------
    counts : numpy.ndarray of int, shape (k,)
        Allele counts.
    g : int
        Rarefaction size in genes (<= N).
    """
    counts = np.asarray(counts, dtype=float)
    N = counts.sum()
    if g <= 0 or N < g:
        return np.nan

    def lchoose(a, b):
        return gammaln(a + 1) - gammaln(b + 1) - gammaln(a - b + 1)

    rest = N - counts
    with np.errstate(invalid="ignore"):
        ratio = np.where(rest >= g, np.exp(lchoose(rest, g) - lchoose(N, g)), 0.0)
    return float(np.sum(1 - ratio))


def wc_components(col: np.ndarray, pop_index: np.ndarray) -> tuple[float, float, float]:
    """Weir & Cockerham (1984) variance components a, b, c at one locus, summed over alleles.

    Parameters
    ----------
    col : numpy.ndarray of int, shape (n, 2)
    pop_index : numpy.ndarray of int, shape (n,)
        Population of every individual (0..r-1). Populations with nobody typed are dropped.

    Notes
    -----
    With r >= 2 populations this is scikit-allel's ``weir_cockerham_fst`` (reused); with one
    population, ``a`` is 0 and ``b``, ``c`` follow W&C with s^2 = 0, so that
    ``F_IS = 1 - c / (b + c)``.
    """
    t = _typed(col)
    if t.sum() < 2:
        return np.nan, np.nan, np.nan
    pops_present = np.unique(pop_index[t])
    if len(pops_present) >= 2:
        import allel

        sizes, inv = np.unique(col[t], return_inverse=True)
        codes = np.full(col.shape, -1, dtype=np.int16 if len(sizes) < 30000 else np.int32)
        codes[t] = inv.reshape(-1, 2)
        subpops = [np.flatnonzero(t & (pop_index == p)) for p in pops_present]
        a, b, c = allel.weir_cockerham_fst(codes[None, :, :], subpops, max_allele=len(sizes) - 1)
        return float(np.nansum(a)), float(np.nansum(b)), float(np.nansum(c))
    n = float(t.sum())
    if n < 2:
        return np.nan, np.nan, np.nan
    typed = col[t]
    sizes = np.unique(typed)
    cnt = (typed[:, :, None] == sizes[None, None, :]).sum(1)  # (n, k) copies
    p = cnt.sum(0) / (2 * n)
    h = (cnt == 1).sum(0) / n
    b = n / (n - 1) * (p * (1 - p) - (2 * n - 1) / (4 * n) * h)
    c = h / 2
    return 0.0, float(b.sum()), float(c.sum())


def wc_fstats(a: float, b: float, c: float) -> tuple[float, float, float]:
    """(F_IS, F_ST, F_IT) = (1 - c/(b+c), a/(a+b+c), 1 - c/(a+b+c)) (Weir & Cockerham 1984)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        fis = 1 - c / (b + c) if (b + c) != 0 else np.nan
        fst = a / (a + b + c) if (a + b + c) != 0 else np.nan
        fit = 1 - c / (a + b + c) if (a + b + c) != 0 else np.nan
    return fis, fst, fit


def _log_table_prob(genotype_counts: np.ndarray, n_het: np.ndarray) -> np.ndarray:
    """log P(genotype table | allele counts) up to a constant: h log 2 - sum log n_ij!."""
    return n_het * np.log(2.0) - gammaln(genotype_counts + 1).sum(-1)


def hwe_exact_mc(col: np.ndarray, n_perm: int, rng: np.random.Generator, chunk: int = 2000) -> tuple[float, float, int]:
    """Hardy-Weinberg exact test by Monte Carlo permutation (Guo & Thompson 1992).

    Conditional on the allele counts, the probability of a genotype table is
    ``n! prod n_i! 2^h / ((2n)! prod n_ij!)`` (Levene 1949). The 2n typed alleles are
    shuffled and re-paired *n_perm* times (all permutations at once, vectorised); the P-value
    is the fraction of permuted tables no more probable than the observed one.

    Returns
    -------
    p_value, standard_error, n_typed
        NaN P-value when fewer than 2 alleles or fewer than 2 individuals are typed.
    """
    t = _typed(col)
    n = int(t.sum())
    sizes = np.unique(col[t]) if n else np.zeros(0)
    k = len(sizes)
    if n < 2 or k < 2:
        return np.nan, np.nan, n
    codes = np.searchsorted(sizes, col[t])  # (n, 2)
    lo, hi = codes.min(1), codes.max(1)
    obs_counts = np.bincount(lo * k + hi, minlength=k * k).astype(float)
    obs = _log_table_prob(obs_counts, float((lo != hi).sum()))
    pool = codes.ravel()
    n_le = 0
    done = 0
    while done < n_perm:
        m = min(chunk, n_perm - done)
        perm = np.argsort(rng.random((m, 2 * n)), axis=1)
        al = pool[perm]
        a1, a2 = al[:, 0::2], al[:, 1::2]
        l2, h2 = np.minimum(a1, a2), np.maximum(a1, a2)
        idx = (l2 * k + h2) + (np.arange(m) * k * k)[:, None]
        cnts = np.bincount(idx.ravel(), minlength=m * k * k).reshape(m, k * k).astype(float)
        lp = _log_table_prob(cnts, (l2 != h2).sum(1).astype(float))
        n_le += int(np.sum(lp <= obs + 1e-9))
        done += m
    p = n_le / n_perm
    return p, float(np.sqrt(p * (1 - p) / n_perm)), n


def null_allele_brookfield(ho: float, he: float) -> float:
    """Null-allele frequency, Brookfield (1996) estimator 1: ``r = (He - Ho) / (1 + He)``.

    *he* is the unbiased expected heterozygosity (Nei 1987); negative values (heterozygote
    excess) are returned as they are, as MICRO-CHECKER does.
    """
    return (he - ho) / (1 + he)


def _pop_index(g: Genotypes) -> tuple[np.ndarray, tuple[str, ...]]:
    names = g.population_names
    lookup = {p: i for i, p in enumerate(names)}
    return np.array([lookup[p] for p in g.populations], dtype=int), names


def _rarefaction_size(g: Genotypes, by_population: bool) -> int:
    """Smallest non-zero number of genes typed at any locus (in any population)."""
    typed_genes = []
    if not by_population:
        typed_genes.append(2 * (~g.missing).sum(0))
    else:
        pidx, names = _pop_index(g)
        for i in range(len(names)):
            typed_genes.append(2 * (~g.missing[pidx == i]).sum(0))
    allv = np.concatenate(typed_genes) if typed_genes else np.zeros(0)
    allv = allv[allv > 0]
    return int(allv.min()) if allv.size else 0


def _rows_for(g: Genotypes, sel: np.ndarray, pidx: np.ndarray, rarefy: int, population: str | None,
              multi_pop: bool) -> list[dict]:
    rows = []
    for j, locus in enumerate(g.loci):
        col = g.alleles[sel, j, :]
        n, ho, he, heu = heterozygosity(col)
        sizes, p = allele_frequencies(col)
        counts = np.round(p * 2 * n).astype(int)
        a, b, c = wc_components(col, pidx[sel] if multi_pop else np.zeros(int(sel.sum()), dtype=int))
        fis, fst, fit = wc_fstats(a, b, c)
        row = {"locus": locus}
        if population is not None:
            row["population"] = population
        row.update(
            n=n,
            n_alleles=len(sizes),
            allelic_richness=allelic_richness(counts, rarefy) if n else np.nan,
            rarefaction_genes=rarefy,
            ho=ho,
            he=he,
            he_unbiased=heu,
            fis=fis,
        )
        if multi_pop:
            row["fst"], row["fit"] = fst, fit
        row["null_allele_brookfield"] = null_allele_brookfield(ho, heu) if n > 1 else np.nan
        rows.append(row)
    return rows


def locus_table(g: Genotypes, by_population: bool = False, rarefaction: int | None = None) -> pd.DataFrame:
    """Per-locus statistics, for the whole sample or per population.

    Columns: ``locus, [population,] n, n_alleles, allelic_richness, rarefaction_genes, ho, he,
    he_unbiased, fis, [fst, fit,] null_allele_brookfield``. For the whole sample with more
    than one population, F_IS/F_ST/F_IT are Weir & Cockerham's with populations; per
    population (or with a single population) F_IS is W&C's within that population.
    """
    if g.n_samples == 0 or g.n_loci == 0:
        raise InputDataError("no samples or no loci to summarise")
    pidx, names = _pop_index(g)
    rarefy = rarefaction if rarefaction is not None else _rarefaction_size(g, by_population or len(names) > 1)
    if not by_population:
        rows = _rows_for(g, np.ones(g.n_samples, bool), pidx, rarefy, None, len(names) > 1)
    else:
        rows = []
        for i, name in enumerate(names):
            rows += _rows_for(g, pidx == i, pidx, rarefy, name, False)
    return pd.DataFrame(rows)


def allele_frequency_table(g: Genotypes, by_population: bool = False) -> pd.DataFrame:
    """Allele frequencies ``locus, [population,] allele, count, frequency`` (long table).

    Its ``locus, allele, frequency`` columns are what ``relatedness --reference-freqs`` reads.
    """
    pidx, names = _pop_index(g)
    groups = [(None, np.ones(g.n_samples, bool))] if not by_population else [
        (name, pidx == i) for i, name in enumerate(names)
    ]
    rows = []
    for name, sel in groups:
        for j, locus in enumerate(g.loci):
            col = g.alleles[sel, j, :]
            a = col[_typed(col)].ravel()
            u, c = np.unique(a, return_counts=True)
            for al, cc in zip(u, c):
                row = {"locus": locus}
                if name is not None:
                    row["population"] = name
                row.update(allele=int(al), count=int(cc), frequency=cc / c.sum())
                rows.append(row)
    return pd.DataFrame(rows)


def _hwe_task(args):
    col, n_perm, seed = args
    return hwe_exact_mc(col, n_perm, np.random.default_rng(seed))


def hwe_table(
    g: Genotypes,
    by_population: bool = True,
    n_perm: int = 10000,
    seed: int = 1,
    executor: Executor | None = None,
) -> pd.DataFrame:
    """HWE exact tests per locus (and population): ``locus, population, n, ho, he, p_value, se``.

    Every (population, locus) test gets its own seed derived from *seed*
    (``numpy.random.SeedSequence.spawn``), so results do not depend on the executor.
    """
    pidx, names = _pop_index(g)
    groups = [("", np.ones(g.n_samples, bool))] if not by_population else [
        (name, pidx == i) for i, name in enumerate(names)
    ]
    tasks, meta = [], []
    seeds = np.random.SeedSequence(seed).spawn(len(groups) * g.n_loci)
    s = 0
    for name, sel in groups:
        for j, locus in enumerate(g.loci):
            tasks.append((g.alleles[sel, j, :], n_perm, seeds[s]))
            meta.append((locus, name, g.alleles[sel, j, :]))
            s += 1
    res = map_ordered(_hwe_task, tasks, executor=executor, desc="HWE")
    rows = []
    for (locus, name, col), (p, se, n) in zip(meta, res):
        _, ho, he, _ = heterozygosity(col)
        rows.append({"locus": locus, "population": name, "n": n, "ho": ho, "he": he,
                     "p_value": p, "se": se, "n_permutations": n_perm})
    return pd.DataFrame(rows)


def pairwise_fst(g: Genotypes, populations: Sequence[str] | None = None) -> pd.DataFrame:
    """Weir & Cockerham (1984) F_ST between every pair of populations (multilocus).

    theta = sum_loci,alleles a / sum (a + b + c) over the two populations, using
    scikit-allel's ``weir_cockerham_fst`` (individuals typed at each locus).

    Returns
    -------
    pandas.DataFrame
        ``pop_1, pop_2, n_1, n_2, fst``.
    """
    pidx, names = _pop_index(g)
    names = tuple(populations) if populations is not None else names
    if len(names) < 2:
        raise InputDataError("pairwise F_ST needs at least two populations (none or one found in the input)")
    rows = []
    for i in range(len(names)):
        for k in range(i + 1, len(names)):
            ii, kk = g.population_names.index(names[i]), g.population_names.index(names[k])
            sel = (pidx == ii) | (pidx == kk)
            A = B = C = 0.0
            for j in range(g.n_loci):
                a, b, c = wc_components(g.alleles[sel, j, :], pidx[sel])
                if np.isfinite(a + b + c):
                    A, B, C = A + a, B + b, C + c
            rows.append({"pop_1": names[i], "pop_2": names[k], "n_1": int((pidx == ii).sum()),
                         "n_2": int((pidx == kk).sum()),
                         "fst": A / (A + B + C) if (A + B + C) != 0 else np.nan})
    return pd.DataFrame(rows)
