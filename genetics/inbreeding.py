"""Individual inbreeding and homozygosity measures.

Pure cores on allele arrays ``(n, L, 2)`` (``-1`` missing) plus a table builder.

* Proportion of heterozygous typed loci (``ho``).
* Standardised multilocus heterozygosity sMLH (Coltman, Pilkington, Smith & Pemberton 1999,
  Evolution 53:1259-1267): an individual's proportion of heterozygous typed loci divided by
  the mean observed heterozygosity of those loci in the sample (inbreedR ``sMLH``).
* Internal relatedness IR (Amos et al. 2001, Proc R Soc B 268:2021-2027):
  ``IR = (2H - sum_i f_i) / (2N - sum_i f_i)``, H homozygous loci, N typed loci, f_i the
  sample frequency of every allele the individual carries (both copies, all typed loci).
* Homozygosity by loci HL (Aparicio, Ortego & Cordero 2006, Mol Ecol 15:4659-4665):
  ``HL = sum_h E_h / (sum_h E_h + sum_j E_j)``, E_l = 1 - sum p^2 of locus l, h over the
  individual's homozygous and j over its heterozygous loci.
* Identity disequilibrium g2 (David, Pujol, Viard, Castella & Goudet 2007, Mol Ecol
  16:2474-2487) with a bootstrap CI over individuals, as inbreedR ``g2_microsats``.
* For biallelic SNP data: F from observed vs expected homozygosity (PLINK 1.9 ``--het``
  convention, expected 1 - 2pq from the sample frequencies with no sample-size correction) and
  F_ROH (McQuillan et al. 2008) from runs of homozygosity found by scikit-allel's HMM
  (``allel.roh_mhmm``) run per SNP with SNP-panel emission probabilities (see :func:`froh`).
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .errors import InputDataError
from .model import MISSING, Genotypes

__all__ = [
    "allele_freq_arrays",
    "proportion_heterozygous",
    "smlh",
    "internal_relatedness",
    "homozygosity_by_loci",
    "g2",
    "G2Result",
    "plink_f",
    "froh",
    "froh_available",
    "locus_positions",
    "inbreeding_table",
]


def allele_freq_arrays(alleles: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sample frequency of each individual's two alleles and the locus He.

    Parameters
    ----------
    alleles : numpy.ndarray of int, shape (n, L, 2)

    Returns
    -------
    fa, fb : numpy.ndarray of float, shape (n, L)
        Frequencies of the first and second allele (NaN where missing).
    he : numpy.ndarray of float, shape (L,)
        1 - sum p^2 per locus.
    """
    a = np.asarray(alleles)
    n, L, _ = a.shape
    fa = np.full((n, L), np.nan)
    fb = np.full((n, L), np.nan)
    he = np.full(L, np.nan)
    for j in range(L):
        col = a[:, j, :]
        t = col[:, 0] != MISSING
        if not t.any():
            continue
        u, inv, c = np.unique(col[t], return_inverse=True, return_counts=True)
        p = c / c.sum()
        inv = inv.reshape(-1, 2)
        fa[t, j] = p[inv[:, 0]]
        fb[t, j] = p[inv[:, 1]]
        he[j] = 1 - np.sum(p**2)
    return fa, fb, he


def _het_typed(alleles: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    a = np.asarray(alleles)
    typed = a[..., 0] != MISSING
    het = typed & (a[..., 0] != a[..., 1])
    return het, typed


def proportion_heterozygous(alleles: np.ndarray) -> np.ndarray:
    """Heterozygous / typed loci per individual, shape (n,) (NaN when nothing typed)."""
    het, typed = _het_typed(alleles)
    with np.errstate(invalid="ignore", divide="ignore"):
        return het.sum(1) / typed.sum(1)


def smlh(alleles: np.ndarray) -> np.ndarray:
    """Standardised multilocus heterozygosity (Coltman et al. 1999), shape (n,).

    ``sMLH_i = (het_i / typed_i) / mean_{l typed in i} Ho_l``, Ho_l the sample's observed
    heterozygosity at locus l.
    """
    het, typed = _het_typed(alleles)
    with np.errstate(invalid="ignore", divide="ignore"):
        ho_l = het.sum(0) / typed.sum(0)
        ho_l = np.nan_to_num(ho_l)
        mean_ho = (typed * ho_l).sum(1) / typed.sum(1)
        return (het.sum(1) / typed.sum(1)) / mean_ho


def internal_relatedness(alleles: np.ndarray) -> np.ndarray:
    """Internal relatedness IR (Amos et al. 2001), shape (n,).

    ``IR = (2H - sum f) / (2N - sum f)``; f are sample allele frequencies of the alleles carried.
    """
    het, typed = _het_typed(alleles)
    fa, fb, _ = allele_freq_arrays(alleles)
    H = (typed & ~het).sum(1)
    N = typed.sum(1)
    sf = np.nansum(np.where(typed, fa + fb, 0.0), axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return (2 * H - sf) / (2 * N - sf)


def homozygosity_by_loci(alleles: np.ndarray) -> np.ndarray:
    """Homozygosity by loci HL (Aparicio et al. 2006), shape (n,).

    ``HL = sum_h E_h / (sum_h E_h + sum_j E_j)``, E_l = 1 - sum p^2 (sample frequencies).
    """
    het, typed = _het_typed(alleles)
    _, _, he = allele_freq_arrays(alleles)
    E = np.nan_to_num(he)
    hom_e = ((typed & ~het) * E).sum(1)
    het_e = (het * E).sum(1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return hom_e / (hom_e + het_e)


@dataclass(frozen=True)
class G2Result:
    """g2 with its bootstrap distribution."""

    g2: float
    ci_low: float
    ci_high: float
    se: float
    n_boot: int
    n_individuals: int
    n_loci: int


def _g2_from_counts(h: np.ndarray, m: np.ndarray, w: np.ndarray) -> np.ndarray:
    """g2 for individual weights w (B, n) (bootstrap multiplicities), vectorised over B.

    David et al. (2007) eq. 4 (as inbreedR ``g2_microsats``):
    ``g2 = [sum_i sum_{l!=l'} h_il h_il' / sum_i sum_{l!=l'} m_il m_il'] /
    [sum_{i!=j} sum_{l!=l'} h_il h_jl' / sum_{i!=j} sum_{l!=l'} m_il m_jl'] - 1``
    with h = 1 for a heterozygous typed locus and m = 1 for a typed locus.
    """
    wih = h.sum(1) ** 2 - (h**2).sum(1)  # per individual: sum_{l != l'} h_il h_il'
    wim = m.sum(1) ** 2 - (m**2).sum(1)
    within_h = w @ wih
    within_m = w @ wim
    ch = w @ h  # (B, L) locus sums over the drawn individuals
    cm = w @ m
    # ordered pairs of distinct draws (copies of one individual are distinct draws)
    all_h = ch.sum(1) ** 2 - (ch**2).sum(1) - within_h
    all_m = cm.sum(1) ** 2 - (cm**2).sum(1) - within_m
    with np.errstate(invalid="ignore", divide="ignore"):
        return (within_h / within_m) / (all_h / all_m) - 1


def g2(alleles: np.ndarray, n_boot: int = 0, rng: np.random.Generator | None = None,
       level: float = 0.95) -> G2Result:
    """Identity disequilibrium g2 (David et al. 2007) with a percentile bootstrap CI.

    Bootstrap resamples individuals with replacement (inbreedR's default ``boot_over =
    "inds"``); all resamples are evaluated at once from multiplicity weights.
    """
    het, typed = _het_typed(alleles)
    h = het.astype(float)
    m = typed.astype(float)
    n = h.shape[0]
    est = float(_g2_from_counts(h, m, np.ones((1, n)))[0])
    lo = hi = se = np.nan
    if n_boot > 0:
        rng = np.random.default_rng(rng)
        W = np.stack([np.bincount(rng.integers(0, n, n), minlength=n) for _ in range(n_boot)]).astype(float)
        boots = _g2_from_counts(h, m, W)
        alpha = (1 - level) / 2
        lo, hi = (float(x) for x in np.nanquantile(boots, [alpha, 1 - alpha]))
        se = float(np.nanstd(boots, ddof=1))
    return G2Result(est, lo, hi, se, n_boot, n, h.shape[1])


def plink_f(alleles: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Inbreeding coefficient F from homozygosity, PLINK 1.9 ``--het`` convention.

    ``F = (O(HOM) - E(HOM)) / (N(NM) - E(HOM))`` with ``E(HOM) = sum_l (1 - 2 p_l q_l)`` over the
    individual's typed biallelic loci (sample frequencies, no sample-size correction).
    Loci with more than two alleles are ignored.

    Returns
    -------
    F, o_hom, e_hom, n_nm : numpy.ndarray, shape (n,)
    """
    het, typed = _het_typed(alleles)
    fa, fb, he = allele_freq_arrays(alleles)
    a = np.asarray(alleles)
    biallelic = np.array([len(np.unique(a[:, j, :][a[:, j, 0] != MISSING])) == 2 for j in range(a.shape[1])])
    use = typed & biallelic[None, :]
    exp_hom = 1 - np.nan_to_num(he)  # 1 - 2pq for a biallelic locus
    o = (use & ~het).sum(1).astype(float)
    e = (use * exp_hom).sum(1)
    nnm = use.sum(1).astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        F = (o - e) / (nnm - e)
    return F, o, e, nnm


_POS = re.compile(r"^(?P<chrom>.+?)[:_](?P<pos>\d+)$")


def locus_positions(loci) -> tuple[np.ndarray, np.ndarray] | None:
    """(chromosome, position) parsed from locus names ``CHROM:POS`` / ``CHROM_POS``, or None."""
    chroms, pos = [], []
    for name in loci:
        m = _POS.match(str(name))
        if not m:
            return None
        chroms.append(m.group("chrom"))
        pos.append(int(m.group("pos")))
    return np.array(chroms, dtype=object), np.array(pos, dtype=np.int64)


def froh_available() -> bool:
    """True when scikit-allel's ROH HMM can run (it needs the optional ``hmmlearn``)."""
    try:
        import hmmlearn  # noqa: F401
    except ImportError:
        return False
    return True


def froh(
    alleles: np.ndarray,
    chroms: np.ndarray,
    positions: np.ndarray,
    contig_lengths: dict[str, int] | None = None,
    min_roh: int = 0,
    *,
    phet_roh: float = 0.01,
    phet_nonroh: float | tuple[float, ...] | None = None,
    transition: float = 1e-3,
) -> np.ndarray:
    """Fraction of the genome in runs of homozygosity, per individual (F_ROH).

    ``F_ROH = total ROH length / total length covered`` (McQuillan et al. 2008, Am J Hum
    Genet 83:359-372), summed over chromosomes; the covered length of a chromosome is
    ``contig_lengths[chrom]`` when given, else the span from its first to its last typed SNP.
    A run's length is the distance between its first and last SNP.

    Runs are called per individual and chromosome with scikit-allel's multi-state HMM
    ``allel.roh_mhmm``, applied **per SNP**, not per base: scikit-allel models every base of
    the contig, with its defaults (het probability 0.0025-0.01 outside ROH, 0.001 inside)
    tuned to whole-genome data where most sites are invariant; on a SNP panel (a het every
    few hundred bases or fewer) those defaults call the whole genome a ROH (F_ROH = 1). Here
    the observations are the SNPs in position order (ranks 1..n as ``pos``, ``contig_size``
    n), a missing genotype is an inaccessible site (``is_accessible``), and the emission
    probabilities are those of SNPs:

    * outside ROH, the chance of a heterozygote is the panel's mean expected heterozygosity
      ``mean_l 2 p_l q_l`` (sample frequencies), unless *phet_nonroh* is given;
    * inside ROH, *phet_roh* (genotyping error and mutation; default 0.01);
    * *transition* is the per-SNP probability of switching state (default 1e-3: entering and
      leaving a run costs about 2 ln(1000) = 14 nats, so with He = 0.5 a call needs roughly
      20 or more consecutive homozygous SNPs).

    Parameters
    ----------
    alleles : numpy.ndarray of int, shape (n, L, 2)
        Allele codes, -1 missing; loci with more than two alleles are treated as missing.
    chroms : numpy.ndarray of object, shape (L,)
    positions : numpy.ndarray of int, shape (L,)
    contig_lengths : dict, optional
        Chromosome lengths (bp) for the denominator.
    min_roh : int
        Minimum run length (bp) to count.
    phet_roh, phet_nonroh, transition : float
        HMM parameters per SNP (see above).

    Returns
    -------
    numpy.ndarray of float64, shape (n,)
        NaN when no chromosome has two or more SNPs.

    Raises
    ------
    BigcatsError
        When scikit-allel's HMM dependency ``hmmlearn`` is not installed.
    """
    if not froh_available():
        from .errors import BigcatsError

        raise BigcatsError("F_ROH needs scikit-allel's HMM dependency: pip install hmmlearn")
    import allel

    a = np.asarray(alleles)
    chroms = np.asarray(chroms, dtype=object)
    positions = np.asarray(positions, dtype=np.int64)
    n = a.shape[0]
    codes = np.full(a.shape, -1, dtype=np.int8)
    he = []
    for j in range(a.shape[1]):
        t = a[:, j, 0] != MISSING
        u, inv = np.unique(a[t, j, :], return_inverse=True)
        if len(u) > 2 or not t.any():
            continue
        codes[t, j, :] = inv.reshape(-1, 2)
        q = inv.mean()
        he.append(2 * q * (1 - q))
    if phet_nonroh is None:
        h = float(np.mean(he)) if he else 0.0
        if not 0 < h <= 1:
            return np.full(n, np.nan)  # no polymorphic SNP: runs cannot be told apart
        phet_nonroh = (max(h, phet_roh * 1.01),)
    elif isinstance(phet_nonroh, (int, float)):
        phet_nonroh = (float(phet_nonroh),)
    out = np.zeros(n)
    total = 0.0
    for chrom in dict.fromkeys(chroms.tolist()):
        sel = np.flatnonzero(chroms == chrom)
        order = sel[np.argsort(positions[sel], kind="stable")]
        pos = positions[order]
        keep = np.r_[True, np.diff(pos) > 0]
        order, pos = order[keep], pos[keep]
        if len(pos) < 2:
            continue
        span = int(pos[-1] - pos[0])
        total += float((contig_lengths or {}).get(chrom, span))
        rank = np.arange(1, len(pos) + 1)
        for i in range(n):  # one HMM per individual and chromosome (scikit-allel's API)
            gi = codes[i, order, :]
            typed = gi[:, 0] >= 0
            if typed.sum() < 2:
                continue
            with warnings.catch_warnings():  # scikit-allel's own pandas deprecation
                warnings.filterwarnings("ignore", message="The inplace keyword")
                roh, _ = allel.roh_mhmm(allel.GenotypeVector(gi), rank, phet_roh=phet_roh,
                                        phet_nonroh=tuple(phet_nonroh), transition=transition,
                                        is_accessible=typed)
            if len(roh):
                lengths = pos[roh["stop"].to_numpy() - 1] - pos[roh["start"].to_numpy() - 1]
                out[i] += float(lengths[lengths >= max(min_roh, 1)].sum())
    with np.errstate(invalid="ignore", divide="ignore"):
        return out / total if total > 0 else np.full(n, np.nan)


def inbreeding_table(g: Genotypes, snp: bool | None = None) -> pd.DataFrame:
    """Per-individual table ``individual_id, population, n_typed, ho, smlh, ir, hl`` and, for
    biallelic SNP data (all loci biallelic; or *snp* True), ``f_plink`` and, when locus names
    carry positions (``CHROM:POS``) and scikit-allel's HMM dependency (hmmlearn) is
    installed, ``froh``."""
    if g.n_samples == 0:
        raise InputDataError("no samples to analyse")
    a = g.alleles
    _, typed = _het_typed(a)
    df = pd.DataFrame({
        "individual_id": list(g.samples),
        "population": list(g.populations),
        "n_typed": typed.sum(1),
        "ho": proportion_heterozygous(a),
        "smlh": smlh(a),
        "ir": internal_relatedness(a),
        "hl": homozygosity_by_loci(a),
    })
    if snp is None:
        n_al = np.array([len(g.alleles_at(j)) for j in range(g.n_loci)])
        snp = bool(g.n_loci) and bool(np.all(n_al <= 2)) and g.n_loci >= 50
    if snp:
        df["f_plink"] = plink_f(a)[0]
        pos = locus_positions(g.loci)
        if pos is not None and froh_available():
            df["froh"] = froh(a, pos[0], pos[1])
    return df
