"""Pure summaries of a :class:`~genetics.model.Genotypes` (counts and missingness; no file I/O).

Definitions
-----------
* ``n_alleles`` of a locus: distinct allele sizes among typed genotypes (half-missing genotypes
  are missing under the model's rule, so their single typed allele is not counted - adegenet's
  ``read.genepop`` would count it).
* ``missing_fraction``: missing genotypes / genotypes (per locus over samples, per sample over loci).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .model import Genotypes

__all__ = ["overview", "locus_table", "sample_table", "population_table"]


def locus_table(g: Genotypes) -> pd.DataFrame:
    """Per-locus counts.

    Returns
    -------
    pandas.DataFrame
        Columns ``locus, n_alleles, min_size, max_size, n_typed, n_missing, missing_fraction``;
        one row per locus in file order.
    """
    miss = g.missing
    n_typed = (~miss).sum(axis=0)
    sizes = [g.alleles_at(j) for j in range(g.n_loci)]
    with np.errstate(invalid="ignore", divide="ignore"):
        frac = miss.sum(axis=0) / g.n_samples if g.n_samples else np.full(g.n_loci, np.nan)
    return pd.DataFrame({
        "locus": list(g.loci),
        "n_alleles": [len(s) for s in sizes],
        "min_size": [int(s[0]) if len(s) else None for s in sizes],
        "max_size": [int(s[-1]) if len(s) else None for s in sizes],
        "n_typed": n_typed.astype(int),
        "n_missing": miss.sum(axis=0).astype(int),
        "missing_fraction": frac,
    })


def sample_table(g: Genotypes) -> pd.DataFrame:
    """Per-sample counts: ``sample_id, population, n_typed, n_missing, missing_fraction``."""
    miss = g.missing
    frac = miss.sum(axis=1) / g.n_loci if g.n_loci else np.full(g.n_samples, np.nan)
    return pd.DataFrame({
        "sample_id": list(g.samples),
        "population": list(g.populations),
        "n_typed": (~miss).sum(axis=1).astype(int),
        "n_missing": miss.sum(axis=1).astype(int),
        "missing_fraction": frac,
    })


def population_table(g: Genotypes) -> pd.DataFrame:
    """Per-population counts: ``population, n_samples, missing_fraction`` (first-appearance order)."""
    pops = np.array(g.populations, dtype=object)
    miss = g.missing
    rows = []
    for p in g.population_names:
        m = pops == p
        rows.append({"population": p, "n_samples": int(m.sum()),
                     "missing_fraction": float(miss[m].mean()) if g.n_loci else np.nan})
    return pd.DataFrame(rows, columns=["population", "n_samples", "missing_fraction"])


def overview(g: Genotypes) -> dict:
    """Whole-data-set counts.

    Returns
    -------
    dict
        ``n_samples, n_loci, n_populations, n_alleles`` (sum over loci), ``missing_fraction``
        (missing genotypes / all genotypes) and ``notes`` (reader notes, e.g. half-missing calls).
    """
    n_alleles = int(sum(len(g.alleles_at(j)) for j in range(g.n_loci)))
    n_pop = len([p for p in g.population_names if p != ""])
    return {
        "n_samples": g.n_samples,
        "n_loci": g.n_loci,
        "n_populations": n_pop,
        "n_alleles": n_alleles,
        "missing_fraction": float(g.missing.mean()) if g.alleles.size else float("nan"),
        "notes": list(g.notes),
    }
