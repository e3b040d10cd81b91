"""Simulation with known truth: allele frequencies, founders, Mendelian pedigrees, related pairs.

Used by the tests (identification and relatedness are checked against simulated truth) and by
`bigcats genetics relatedness --compare` style estimator choice. Everything takes a
:class:`numpy.random.Generator`, so results are deterministic for a seed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .model import Genotypes

__all__ = [
    "LocusPanel",
    "panel_with_diversity",
    "panel_from_genotypes",
    "draw_founders",
    "mendelian_offspring",
    "simulate_pedigree",
    "simulate_pairs",
    "Pedigree",
    "simulate_isolation_by_distance",
]

#: Condensed IBD (Cotterman) coefficients (k0, k1, k2) of the standard non-inbred relationships.
RELATIONSHIP_K = {
    "PO": (0.0, 1.0, 0.0),
    "FS": (0.25, 0.5, 0.25),
    "HS": (0.5, 0.5, 0.0),
    "U": (1.0, 0.0, 0.0),
}


@dataclass(frozen=True)
class LocusPanel:
    """Allele sizes and population frequencies of a microsatellite panel.

    Parameters
    ----------
    loci : tuple of str
    sizes : list of numpy.ndarray of int
        Allele sizes per locus.
    freqs : list of numpy.ndarray of float
        Allele frequencies per locus (each sums to 1), aligned with *sizes*.
    """

    loci: tuple[str, ...]
    sizes: list[np.ndarray]
    freqs: list[np.ndarray]

    @property
    def expected_heterozygosity(self) -> np.ndarray:
        """He = 1 - sum p^2 per locus."""
        return np.array([1.0 - np.sum(f**2) for f in self.freqs])


def panel_with_diversity(
    n_loci: int = 14,
    mean_alleles: float = 3.6,
    target_he: float = 0.5,
    rng: np.random.Generator | None = None,
    prefix: str = "PUN",
) -> LocusPanel:
    """A panel with roughly the requested mean number of alleles and mean He.

    Defaults mimic the snow-leopard scat panel of Janecka et al. (2014, Conserv Genet
    Resour): 16 loci, He = 0.504, 3.6 alleles per locus. Frequencies are Dirichlet draws
    whose concentration is tuned per locus so that He lands near *target_he*.
    """
    rng = np.random.default_rng(rng)
    loci, sizes, freqs = [], [], []
    for j in range(n_loci):
        k = max(2, int(rng.poisson(mean_alleles - 2)) + 2)
        best = None
        for _ in range(200):
            f = rng.dirichlet(np.full(k, 1.0))
            he = 1 - np.sum(f**2)
            if best is None or abs(he - target_he) < abs(best[1] - target_he):
                best = (f, he)
            if abs(he - target_he) < 0.04:
                break
        f = np.maximum(best[0], 0.01)
        f = f / f.sum()
        base = 100 + 20 * j
        loci.append(f"{prefix}{base}")
        sizes.append(base + 4 * np.arange(k))
        freqs.append(f)
    return LocusPanel(tuple(loci), sizes, freqs)


def panel_from_genotypes(g: Genotypes) -> LocusPanel:
    """Allele sizes and sample frequencies of a data set (for simulating from its own frequencies)."""
    sizes, freqs = [], []
    for j in range(g.n_loci):
        a = g.alleles[:, j, :].ravel()
        a = a[a >= 0]
        u, c = np.unique(a, return_counts=True)
        sizes.append(u)
        freqs.append(c / c.sum())
    return LocusPanel(g.loci, sizes, freqs)


def draw_founders(panel: LocusPanel, n: int, rng: np.random.Generator) -> np.ndarray:
    """Unrelated individuals drawn under Hardy–Weinberg equilibrium.

    Returns
    -------
    numpy.ndarray of int32, shape (n, n_loci, 2)
        Allele sizes, smaller first.
    """
    out = np.empty((n, len(panel.loci), 2), dtype=np.int32)
    for j, (s, f) in enumerate(zip(panel.sizes, panel.freqs)):
        out[:, j, :] = rng.choice(s, size=(n, 2), p=f)
    return np.sort(out, axis=-1)


def mendelian_offspring(mothers: np.ndarray, fathers: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One offspring per (mother, father) row: one random allele from each parent per locus.

    Parameters
    ----------
    mothers, fathers : numpy.ndarray of int, shape (k, n_loci, 2)

    Returns
    -------
    numpy.ndarray of int32, shape (k, n_loci, 2)
    """
    k, m, _ = mothers.shape
    pick_m = rng.integers(0, 2, size=(k, m))
    pick_f = rng.integers(0, 2, size=(k, m))
    am = np.take_along_axis(mothers, pick_m[..., None], axis=2)[..., 0]
    af = np.take_along_axis(fathers, pick_f[..., None], axis=2)[..., 0]
    return np.sort(np.stack([am, af], axis=-1), axis=-1).astype(np.int32)


@dataclass(frozen=True)
class Pedigree:
    """A simulated population with its pedigree.

    Attributes
    ----------
    genotypes : Genotypes
        True genotypes of every animal (no error).
    table : pandas.DataFrame
        ``id, mother, father, generation`` (parents empty for founders).
    """

    genotypes: Genotypes
    table: pd.DataFrame


def simulate_pedigree(
    panel: LocusPanel,
    n_founders: int = 20,
    n_litters: int = 15,
    litter_size: tuple[int, int] = (1, 4),
    rng: np.random.Generator | int | None = None,
    prefix: str = "ind",
) -> Pedigree:
    """Founders plus litters of full siblings from random founder pairs (one generation).

    Different litters of one parent are half siblings; parents and offspring are PO pairs.
    """
    rng = np.random.default_rng(rng)
    founders = draw_founders(panel, n_founders, rng)
    females = np.arange(0, n_founders, 2)
    males = np.arange(1, n_founders, 2)
    rows = [(f"{prefix}{i:04d}", "", "", 0) for i in range(n_founders)]
    geno = [founders]
    next_id = n_founders
    for _ in range(n_litters):
        mo = int(rng.choice(females))
        fa = int(rng.choice(males))
        size = int(rng.integers(litter_size[0], litter_size[1] + 1))
        kids = mendelian_offspring(
            np.repeat(founders[mo : mo + 1], size, axis=0),
            np.repeat(founders[fa : fa + 1], size, axis=0),
            rng,
        )
        geno.append(kids)
        for _k in range(size):
            rows.append((f"{prefix}{next_id:04d}", rows[mo][0], rows[fa][0], 1))
            next_id += 1
    alleles = np.concatenate(geno, axis=0)
    table = pd.DataFrame(rows, columns=["id", "mother", "father", "generation"])
    g = Genotypes(alleles, tuple(table["id"]), panel.loci)
    return Pedigree(g, table)


def simulate_pairs(
    panel: LocusPanel,
    n_per_class: int,
    rng: np.random.Generator | int | None = None,
    classes: tuple[str, ...] = ("PO", "FS", "HS", "U"),
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pairs of individuals with known relationship (as related's ``familysim``).

    Returns
    -------
    first, second : numpy.ndarray of int32, shape (n_pairs, n_loci, 2)
    labels : numpy.ndarray of str, shape (n_pairs,)
    """
    rng = np.random.default_rng(rng)
    n = n_per_class
    firsts, seconds, labels = [], [], []
    for cls in classes:
        if cls == "U":
            a = draw_founders(panel, n, rng)
            b = draw_founders(panel, n, rng)
        elif cls == "PO":
            a = draw_founders(panel, n, rng)
            mate = draw_founders(panel, n, rng)
            b = mendelian_offspring(a, mate, rng)
        elif cls == "FS":
            mo = draw_founders(panel, n, rng)
            fa = draw_founders(panel, n, rng)
            a = mendelian_offspring(mo, fa, rng)
            b = mendelian_offspring(mo, fa, rng)
        elif cls == "HS":
            shared = draw_founders(panel, n, rng)
            m1 = draw_founders(panel, n, rng)
            m2 = draw_founders(panel, n, rng)
            a = mendelian_offspring(shared, m1, rng)
            b = mendelian_offspring(shared, m2, rng)
        else:
            raise ValueError(f"unknown relationship class {cls!r}")
        firsts.append(a)
        seconds.append(b)
        labels.extend([cls] * n)
    return np.concatenate(firsts), np.concatenate(seconds), np.array(labels)


def simulate_isolation_by_distance(
    panel: LocusPanel,
    deme_distance: np.ndarray,
    n_per_deme: int | np.ndarray,
    scale: float,
    rng: np.random.Generator | int | None = None,
    divergence: float = 1.0,
) -> tuple[np.ndarray, np.ndarray]:
    """Genotypes of demes whose allele frequencies diverge with a given distance between demes.

    A simple spatial model with known truth for landscape-genetic tests and demos (not a
    population-genetic process model): per locus and allele, the log-frequency deviation of
    every deme from the panel's frequency is a Gaussian field over demes with covariance
    ``exp(-d_ij / scale)`` (an exponential kernel on *deme_distance*, e.g. least-cost distance);
    deme frequencies are the softmax of ``log p + divergence * z``; individuals are drawn under
    Hardy–Weinberg equilibrium within their deme. Demes close in *deme_distance* therefore
    share allele frequencies, and genetic distance between animals grows with it.

    Parameters
    ----------
    panel : LocusPanel
    deme_distance : numpy.ndarray, shape (k, k)
        Symmetric distances between demes (0 on the diagonal).
    n_per_deme : int or array of int, shape (k,)
    scale : float
        Distance at which the correlation of deme frequencies falls to 1/e.
    divergence : float
        Standard deviation of the log-frequency deviations (larger = stronger structure).

    Returns
    -------
    alleles : numpy.ndarray of int32, shape (n, n_loci, 2)
    deme : numpy.ndarray of int, shape (n,)
        The deme index of every individual.
    """
    rng = np.random.default_rng(rng)
    d = np.asarray(deme_distance, dtype=float)
    k = d.shape[0]
    sizes = np.broadcast_to(np.asarray(n_per_deme), (k,)).astype(int)
    cov = np.exp(-d / float(scale))
    w, v = np.linalg.eigh(0.5 * (cov + cov.T))
    root = v * np.sqrt(np.clip(w, 0.0, None))  # cov = root @ root.T
    deme = np.repeat(np.arange(k), sizes)
    out = np.empty((len(deme), len(panel.loci), 2), dtype=np.int32)
    for j, (s, f) in enumerate(zip(panel.sizes, panel.freqs)):
        z = root @ rng.standard_normal((k, len(s)))  # (k demes, alleles), correlated over demes
        logits = np.log(f)[None, :] + divergence * z
        p = np.exp(logits - logits.max(1, keepdims=True))
        p /= p.sum(1, keepdims=True)
        u = rng.random((len(deme), 2))
        cdf = np.cumsum(p[deme], axis=1)  # (n, alleles)
        idx = (u[:, :, None] > cdf[:, None, :]).sum(-1)
        out[:, j, :] = s[np.minimum(idx, len(s) - 1)]
    return np.sort(out, axis=-1), deme
