"""The one genotype model every bigcats verb reads through.

A :class:`Genotypes` holds diploid multilocus genotypes of *n* samples at *m* loci as an
integer array of allele **sizes** (fragment lengths or allele codes as written in the input
file), shape ``(n_samples, n_loci, 2)``, with :data:`MISSING` (-1) for a missing allele.

Conventions
-----------
* **Half-missing genotypes** (``0/170``, ``000170``): the whole genotype is treated as missing.
  Peers disagree (adegenet's ``read.genepop`` keeps the typed allele, ``df2genind`` with
  ``sep='/'`` drops the genotype); dropping is the common choice and keeps Ho/He
  interpretable. Readers apply this rule through :func:`normalise_alleles`; the number of
  half-missing genotypes they dropped is recorded in ``Genotypes.notes``.
* Within a genotype the smaller allele comes first (mismatch counting depends on it).
* Samples are identified by unique string ids. Populations are strings (``""`` if unknown).
* Sample metadata (site, lon, lat, country, date, sample type, sex, ...) is a
  :class:`pandas.DataFrame` indexed by ``sample_id``, aligned with ``samples``.

:meth:`Genotypes.to_allel` gives the scikit-allel view (allele *indices*, shape
``(n_loci, n_samples, 2)``) so that scikit-allel's statistics can be reused.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from .errors import InputDataError

__all__ = ["MISSING", "Genotypes", "ReplicateGenotypes", "normalise_alleles"]

#: Sentinel for a missing allele in every bigcats array.
MISSING: int = -1

#: Metadata columns bigcats knows about (others are kept as they are).
METADATA_COLUMNS = ("site", "lon", "lat", "country", "date", "sample_type", "sex")


def normalise_alleles(alleles: np.ndarray) -> tuple[np.ndarray, int]:
    """Apply the missing-data and ordering rules to an allele array (last axis = 2).

    Alleles ``<= 0`` (file codes 0, -9, -99, ...) become :data:`MISSING`; a genotype with
    one allele missing becomes wholly missing; the two alleles are sorted ascending.

    Parameters
    ----------
    alleles : numpy.ndarray of int, shape (..., 2)

    Returns
    -------
    alleles : numpy.ndarray of int32, shape (..., 2)
    n_half_missing : int
        How many half-missing genotypes were set to missing.
    """
    a = np.asarray(alleles, dtype=np.int64)
    if a.shape[-1:] != (2,):
        raise ValueError("alleles must have a last axis of length 2 (diploid)")
    a = np.where(a <= 0, MISSING, a)
    miss = a == MISSING
    half = miss[..., 0] ^ miss[..., 1]
    n_half = int(half.sum())
    a[half] = MISSING
    a = np.sort(a, axis=-1)  # MISSING (-1) sorts first; both missing or both typed now
    return a.astype(np.int32), n_half


@dataclass(frozen=True)
class Genotypes:
    """Diploid multilocus genotypes with sample metadata.

    Parameters
    ----------
    alleles : numpy.ndarray of int32, shape (n_samples, n_loci, 2)
        Allele sizes; :data:`MISSING` for missing. Use :meth:`from_arrays` to build one from
        raw file codes (it applies :func:`normalise_alleles`).
    samples : tuple of str, length n_samples
        Unique sample ids.
    loci : tuple of str, length n_loci
        Unique locus names.
    populations : tuple of str, length n_samples
        Population (or site group) of every sample; ``""`` when unknown.
    metadata : pandas.DataFrame
        Indexed by ``sample_id`` in the order of ``samples``; may have no columns.
    notes : tuple of str
        Things readers want the user to know (e.g. half-missing genotypes dropped).
    """

    alleles: np.ndarray
    samples: tuple[str, ...]
    loci: tuple[str, ...]
    populations: tuple[str, ...] = ()
    metadata: pd.DataFrame = field(default_factory=pd.DataFrame)
    notes: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        a = np.asarray(self.alleles)
        if a.ndim != 3 or a.shape[2] != 2:
            raise ValueError(f"alleles must have shape (n_samples, n_loci, 2), got {a.shape}")
        if a.shape[0] != len(self.samples) or a.shape[1] != len(self.loci):
            raise ValueError("alleles shape does not match samples × loci")
        object.__setattr__(self, "alleles", a.astype(np.int32, copy=False))
        object.__setattr__(self, "samples", tuple(str(s) for s in self.samples))
        object.__setattr__(self, "loci", tuple(str(s) for s in self.loci))
        pops = tuple(str(p) for p in self.populations) or ("",) * len(self.samples)
        if len(pops) != len(self.samples):
            raise ValueError("populations must have one entry per sample")
        object.__setattr__(self, "populations", pops)
        _check_unique(self.samples, "sample")
        _check_unique(self.loci, "locus")
        md = self.metadata
        if md is None or len(md.columns) == 0 and len(md.index) == 0:
            md = pd.DataFrame(index=pd.Index(self.samples, name="sample_id"))
        else:
            md = md.reindex(pd.Index(self.samples, name="sample_id"))
        object.__setattr__(self, "metadata", md)

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_arrays(
        cls,
        alleles: np.ndarray,
        samples: Sequence[str],
        loci: Sequence[str],
        populations: Sequence[str] | None = None,
        metadata: pd.DataFrame | None = None,
    ) -> "Genotypes":
        """Build from raw allele codes, applying the missing-data and ordering rules."""
        a, n_half = normalise_alleles(alleles)
        notes = (
            (f"{n_half} half-missing genotype(s) (one allele 0) treated as missing",)
            if n_half
            else ()
        )
        return cls(
            a,
            tuple(samples),
            tuple(loci),
            tuple(populations) if populations is not None else (),
            metadata if metadata is not None else pd.DataFrame(),
            notes,
        )

    # ------------------------------------------------------------------ shape
    @property
    def n_samples(self) -> int:
        return self.alleles.shape[0]

    @property
    def n_loci(self) -> int:
        return self.alleles.shape[1]

    @property
    def population_names(self) -> tuple[str, ...]:
        """Distinct populations in order of first appearance."""
        return tuple(dict.fromkeys(self.populations))

    @property
    def missing(self) -> np.ndarray:
        """Boolean array (n_samples, n_loci): genotype missing."""
        return self.alleles[..., 0] == MISSING

    @property
    def is_het(self) -> np.ndarray:
        """Boolean array (n_samples, n_loci): typed and heterozygous."""
        return (~self.missing) & (self.alleles[..., 0] != self.alleles[..., 1])

    def alleles_at(self, locus: int) -> np.ndarray:
        """Sorted distinct allele sizes observed at locus index *locus*."""
        a = self.alleles[:, locus, :].ravel()
        return np.unique(a[a != MISSING])

    # ------------------------------------------------------------------ views
    def allele_indices(self) -> tuple[np.ndarray, list[np.ndarray]]:
        """Recode allele sizes as per-locus indices 0..k-1 (sizes sorted ascending).

        Returns
        -------
        codes : numpy.ndarray of int16 or int32, shape (n_samples, n_loci, 2)
            Allele index; -1 where missing.
        allele_sizes : list of numpy.ndarray
            ``allele_sizes[l][k]`` is the size of allele index *k* at locus *l*.
        """
        codes = np.full(self.alleles.shape, MISSING, dtype=np.int32)
        sizes: list[np.ndarray] = []
        for j in range(self.n_loci):
            col = self.alleles[:, j, :]
            typed = col != MISSING
            u, inv = np.unique(col[typed], return_inverse=True)
            c = codes[:, j, :]
            c[typed] = inv
            sizes.append(u)
        return codes, sizes

    def to_allel(self):
        """scikit-allel ``GenotypeArray`` of allele indices, shape (n_loci, n_samples, 2)."""
        import allel

        codes, _ = self.allele_indices()
        return allel.GenotypeArray(np.ascontiguousarray(codes.transpose(1, 0, 2)))

    # ------------------------------------------------------------------ subsetting
    def subset(
        self, samples: Sequence[int] | np.ndarray | None = None, loci: Sequence[int] | np.ndarray | None = None
    ) -> "Genotypes":
        """A new :class:`Genotypes` with the given sample and/or locus indices (or masks)."""
        si = np.arange(self.n_samples) if samples is None else np.asarray(samples)
        li = np.arange(self.n_loci) if loci is None else np.asarray(loci)
        if si.dtype == bool:
            si = np.flatnonzero(si)
        if li.dtype == bool:
            li = np.flatnonzero(li)
        names = [self.samples[i] for i in si]
        return replace(
            self,
            alleles=self.alleles[np.ix_(si, li)],
            samples=tuple(names),
            loci=tuple(self.loci[i] for i in li),
            populations=tuple(self.populations[i] for i in si),
            metadata=self.metadata.iloc[si],
        )

    def with_metadata(self, metadata: pd.DataFrame, *, path: str | None = None) -> "Genotypes":
        """Join a sample-metadata table (index or column ``sample_id``) onto these samples.

        Ids in the table that are not samples here, and duplicate ids, are errors.
        """
        md = metadata.copy()
        if "sample_id" in md.columns:
            md = md.set_index("sample_id")
        md.index = md.index.astype(str)
        dup = md.index[md.index.duplicated()]
        if len(dup):
            raise InputDataError("duplicate sample id in metadata", path=path, sample=str(dup[0]))
        unknown = md.index.difference(pd.Index(self.samples))
        if len(unknown):
            raise InputDataError(
                "metadata names a sample that is not in the genotype file",
                path=path,
                sample=str(unknown[0]),
            )
        kept = self.metadata.drop(columns=[c for c in md.columns if c in self.metadata.columns])
        merged = kept.join(md, how="left")
        pops = self.populations
        if "population" in md.columns:
            pops = tuple(
                str(p) if isinstance(p, str) and p else old
                for p, old in zip(merged["population"].tolist(), self.populations)
            )
        return replace(self, metadata=merged, populations=pops)

    # ------------------------------------------------------------------ equality (tests)
    def same_genotypes(self, other: "Genotypes") -> bool:
        """True when samples, loci, populations and every allele (and missing value) agree."""
        return (
            self.samples == other.samples
            and self.loci == other.loci
            and self.populations == other.populations
            and np.array_equal(self.alleles, other.alleles)
        )


@dataclass(frozen=True)
class ReplicateGenotypes:
    """PCR replicates of the same samples (multiple-tubes approach).

    Parameters
    ----------
    alleles : numpy.ndarray of int32, shape (n_samples, n_replicates, n_loci, 2)
        Allele sizes per replicate; :data:`MISSING` where a replicate failed or was not run.
        Samples with fewer replicates than ``n_replicates`` are padded with MISSING.
    samples : tuple of str
    loci : tuple of str
    n_runs : numpy.ndarray of int, shape (n_samples, n_loci)
        How many replicate rows the input actually had per sample and locus (a failed
        amplification is a run with missing alleles; padding is not).
    metadata : pandas.DataFrame
        Indexed by ``sample_id``.
    """

    alleles: np.ndarray
    samples: tuple[str, ...]
    loci: tuple[str, ...]
    n_runs: np.ndarray
    metadata: pd.DataFrame = field(default_factory=pd.DataFrame)

    def __post_init__(self) -> None:
        a = np.asarray(self.alleles)
        if a.ndim != 4 or a.shape[3] != 2:
            raise ValueError("alleles must have shape (n_samples, n_replicates, n_loci, 2)")
        if a.shape[0] != len(self.samples) or a.shape[2] != len(self.loci):
            raise ValueError("alleles shape does not match samples × loci")
        _check_unique(tuple(self.samples), "sample")
        _check_unique(tuple(self.loci), "locus")

    @property
    def n_samples(self) -> int:
        return self.alleles.shape[0]

    @property
    def n_replicates(self) -> int:
        return self.alleles.shape[1]

    @property
    def n_loci(self) -> int:
        return self.alleles.shape[2]


def _check_unique(names: tuple[str, ...], what: str) -> None:
    if len(set(names)) != len(names):
        seen: set[str] = set()
        for n in names:
            if n in seen:
                raise InputDataError(f"duplicate {what} id", **{("sample" if what == "sample" else "locus"): n})
            seen.add(n)
