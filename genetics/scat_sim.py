"""Simulated scat surveys with known truth: animals -> scats -> PCR replicates with errors.

Animals come from :func:`genetics.simulate.simulate_pedigree` (founders plus litters of full
siblings, so related animals are present, as in a real population). Every animal leaves
1-4 scats; every scat is genotyped in 3-4 PCR replicates. Per replicate and locus, in order:

1. **amplification failure** with probability ``failure`` (no alleles);
2. **allelic dropout** of a heterozygote with probability ``dropout`` (one of the two alleles,
   chosen at random, is lost: the call looks homozygous);
3. **false allele** with probability ``false_allele``: one of the two called alleles is
   replaced by another allele of the panel at that locus.

Rates are per PCR, as Broquet & Petit (2004) define them, so the error tables of
:func:`genetics.consensus.error_tables` should recover them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .model import MISSING, Genotypes, ReplicateGenotypes
from .simulate import LocusPanel, Pedigree, simulate_pedigree

__all__ = ["ScatSurvey", "simulate_scats", "replicates_to_long", "add_pcr_errors"]


@dataclass(frozen=True)
class ScatSurvey:
    """A simulated scat survey.

    Attributes
    ----------
    replicates : ReplicateGenotypes
        PCR replicates of every scat; metadata ``lon, lat, country, site, date, animal``.
    truth : numpy.ndarray of str, shape (n_scats,)
        The animal each scat came from.
    pedigree : Pedigree
    """

    replicates: ReplicateGenotypes
    truth: np.ndarray
    pedigree: Pedigree


def add_pcr_errors(
    genotypes: np.ndarray,
    panel: LocusPanel,
    rng: np.random.Generator,
    dropout: float = 0.15,
    false_allele: float = 0.02,
    failure: float = 0.08,
) -> np.ndarray:
    """One PCR replicate of each true genotype, with failure, dropout and false alleles.

    Parameters
    ----------
    genotypes : numpy.ndarray of int, shape (n, n_loci, 2)
        True genotypes.

    Returns
    -------
    numpy.ndarray of int32, shape (n, n_loci, 2)
    """
    g = np.array(genotypes, dtype=np.int64)
    n, L, _ = g.shape
    het = g[..., 0] != g[..., 1]
    drop = het & (rng.random((n, L)) < dropout)
    keep = rng.integers(0, 2, size=(n, L))
    kept = np.take_along_axis(g, keep[..., None], axis=2)[..., 0]
    g[drop, 0] = kept[drop]
    g[drop, 1] = kept[drop]
    fa = rng.random((n, L)) < false_allele
    which = rng.integers(0, 2, size=(n, L))
    for j in range(L):
        rows = np.flatnonzero(fa[:, j])
        if len(rows) == 0:
            continue
        sizes = panel.sizes[j]
        cur = g[rows, j, which[rows, j]]
        new = sizes[rng.integers(0, len(sizes), size=len(rows))]
        # a "false" allele must differ from the one it replaces
        same = new == cur
        while same.any():
            new[same] = sizes[rng.integers(0, len(sizes), size=int(same.sum()))]
            same = new == cur
            if len(sizes) == 1:
                break
        g[rows, j, which[rows, j]] = new
    fail = rng.random((n, L)) < failure
    g[fail] = MISSING
    return np.sort(g, axis=-1).astype(np.int32)


def simulate_scats(
    panel: LocusPanel,
    n_founders: int = 24,
    n_litters: int = 14,
    scats_per_animal: tuple[int, int] = (1, 4),
    replicates: tuple[int, int] = (3, 4),
    dropout: float = 0.15,
    false_allele: float = 0.02,
    failure: float = 0.08,
    rng: np.random.Generator | int | None = None,
    bbox: tuple[float, float, float, float] = (89.9, 50.0, 90.7, 50.5),
    border_lat: float | None = 50.25,
    home_range_km: float = 6.0,
    start_date: str = "2023-10-01",
    days: int = 180,
    scat_prefix: str = "SC",
    scat_counts: "list[int] | None" = None,
    litter_size: tuple[int, int] = (1, 4),
) -> ScatSurvey:
    """Simulate a scat survey (see module docstring).

    Parameters
    ----------
    panel : LocusPanel
        Microsatellite panel (e.g. :func:`genetics.simulate.panel_with_diversity`).
    n_founders, n_litters
        Passed to :func:`genetics.simulate.simulate_pedigree` (litters of 1-4).
    scats_per_animal, replicates : (int, int)
        Inclusive ranges drawn uniformly per animal / per scat.
    scat_counts : list of int, optional
        Exact scats per animal for the first ``len(scat_counts)`` animals of the pedigree
        (the others leave none); overrides *scats_per_animal*.
    bbox : (min_lon, min_lat, max_lon, max_lat)
        Home-range centres are uniform in this box; scats scatter around them with a
        standard deviation of ``home_range_km`` / 2.
    border_lat : float, optional
        Scats north of this latitude are labelled ``RU``, south ``MN`` (the Tsagan-Shibetu /
        Tsagaan-Shuvuut border runs roughly along 50.25 N near 90.3 E); ``None`` labels all ``""``.

    Returns
    -------
    ScatSurvey
    """
    rng = np.random.default_rng(rng)
    ped = simulate_pedigree(panel, n_founders=n_founders, n_litters=n_litters, litter_size=litter_size, rng=rng)
    true = ped.genotypes.alleles
    n_animals = true.shape[0]
    if scat_counts is not None:
        if len(scat_counts) > n_animals:
            raise ValueError("more scat counts than animals in the pedigree")
        n_scats = np.zeros(n_animals, dtype=np.int64)
        n_scats[: len(scat_counts)] = scat_counts
    else:
        n_scats = rng.integers(scats_per_animal[0], scats_per_animal[1] + 1, size=n_animals)
    animal_of = np.repeat(np.arange(n_animals), n_scats)
    order = rng.permutation(len(animal_of))  # field order is not by animal
    animal_of = animal_of[order]
    S = len(animal_of)
    n_rep = rng.integers(replicates[0], replicates[1] + 1, size=S)
    R = int(replicates[1])
    L = len(panel.loci)
    reps = np.full((S, R, L, 2), MISSING, dtype=np.int32)
    for r in range(R):
        rows = np.flatnonzero(n_rep > r)
        reps[rows, r] = add_pcr_errors(true[animal_of[rows]], panel, rng, dropout, false_allele, failure)
    n_runs = np.repeat(n_rep[:, None], L, axis=1)
    # space and time
    lon0, lat0, lon1, lat1 = bbox
    cx = rng.uniform(lon0, lon1, n_animals)
    cy = rng.uniform(lat0, lat1, n_animals)
    sd_km = home_range_km / 2
    km_lat = 111.32
    km_lon = 111.32 * np.cos(np.deg2rad(cy[animal_of]))
    lat = cy[animal_of] + rng.normal(0, sd_km, S) / km_lat
    lon = cx[animal_of] + rng.normal(0, sd_km, S) / km_lon
    if border_lat is None:
        country = np.array([""] * S, dtype=object)
    else:
        country = np.where(lat >= border_lat, "RU", "MN").astype(object)
    date = pd.Timestamp(start_date) + pd.to_timedelta(rng.integers(0, days, S), unit="D")
    width = max(3, len(str(S)))
    names = tuple(f"{scat_prefix}{i + 1:0{width}d}" for i in range(S))
    truth = np.asarray(ped.genotypes.samples, dtype=object)[animal_of]
    md = pd.DataFrame(
        {
            "lon": np.round(lon, 5),
            "lat": np.round(lat, 5),
            "country": country,
            "site": np.where(country == "RU", "Tsagan-Shibetu", "Tsagaan-Shuvuut") if border_lat is not None else "",
            "date": date.strftime("%Y-%m-%d"),
        },
        index=pd.Index(names, name="sample_id"),
    )
    rep = ReplicateGenotypes(reps, names, panel.loci, n_runs, md)
    return ScatSurvey(rep, truth.astype(str), ped)


def replicates_to_long(rep: ReplicateGenotypes, metadata: bool = False) -> pd.DataFrame:
    """Long table ``sample_id, locus, allele_1, allele_2, replicate`` (0 = missing allele).

    One row per replicate actually run (``n_runs``), including failed ones (alleles 0).
    With ``metadata=True`` the per-sample metadata columns are appended to every row.
    """
    n, R, L, _ = rep.alleles.shape
    s, r, l = np.meshgrid(np.arange(n), np.arange(R), np.arange(L), indexing="ij")
    run = r < np.asarray(rep.n_runs)[:, None, :]
    s, r, l = s[run], r[run], l[run]
    a = rep.alleles[s, r, l]
    a = np.where(a == MISSING, 0, a)
    df = pd.DataFrame(
        {
            "sample_id": np.asarray(rep.samples, dtype=object)[s],
            "locus": np.asarray(rep.loci, dtype=object)[l],
            "allele_1": a[:, 0],
            "allele_2": a[:, 1],
            "replicate": r + 1,
        }
    )
    df = df.sort_values(["sample_id", "replicate", "locus"], kind="stable")
    order = {x: i for i, x in enumerate(rep.loci)}
    df = df.sort_values(["sample_id", "replicate"], key=None, kind="stable")
    df["_l"] = df["locus"].map(order)
    df = df.sort_values(["sample_id", "replicate", "_l"], kind="stable").drop(columns="_l")
    if metadata and rep.metadata is not None and len(rep.metadata.columns):
        df = df.join(rep.metadata, on="sample_id")
    return df.reset_index(drop=True)


def true_genotypes_of(survey: ScatSurvey) -> Genotypes:
    """The true genotype of the animal behind each scat (for checking consensus accuracy)."""
    idx = {s: i for i, s in enumerate(survey.pedigree.genotypes.samples)}
    rows = np.array([idx[t] for t in survey.truth], dtype=np.int64)
    return Genotypes(survey.pedigree.genotypes.alleles[rows], survey.replicates.samples, survey.replicates.loci)
