"""Catalogs of known individuals: match new samples against them, merge two national catalogs.

A catalog is a genotype file with one consensus genotype per named animal (e.g. "Munko",
"Lazovka"), from an earlier season or from the neighbouring country. Matching uses the
dissimilarity of :mod:`genetics.identify` on the loci both files share (by name).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .errors import InputDataError
from .identify import NONDROPOUT_PENALTY, identify_individuals, match_to_references, psib_genotypes
from .model import MISSING, Genotypes

__all__ = ["common_loci", "match_catalog", "merge_catalogs"]


def common_loci(a: Genotypes, b: Genotypes, min_loci: int = 1) -> tuple[Genotypes, Genotypes]:
    """Both genotype sets restricted to their shared loci (in *a*'s order)."""
    shared = [l for l in a.loci if l in b.loci]
    if len(shared) < max(1, min_loci):
        raise InputDataError(
            f"the files share {len(shared)} loci ({', '.join(shared) or 'none'}); at least {max(1, min_loci)} needed"
        )
    ia = [a.loci.index(l) for l in shared]
    ib = [b.loci.index(l) for l in shared]
    return a.subset(loci=ia), b.subset(loci=ib)


def _names(c: Genotypes) -> list[str]:
    md = c.metadata
    if "name" in md.columns:
        return [str(n) if isinstance(n, str) and n else s for n, s in zip(md["name"].tolist(), c.samples)]
    return list(c.samples)


def match_catalog(
    new: Genotypes,
    catalog: Genotypes,
    max_mismatch: float = 2,
    min_loci: int | None = None,
    *,
    missing_weight: float = 0.5,
    pairing: str = "positional",
    nondropout_penalty: float = NONDROPOUT_PENALTY,
    new_prefix: str = "NEW",
) -> pd.DataFrame:
    """Identify new samples and tell recaptures of cataloged animals from new animals.

    New samples are first clustered into individuals (:func:`identify_individuals`); each
    individual's consensus is then matched against the catalog.

    Returns
    -------
    pandas.DataFrame
        ``sample_id, individual_id, status`` (``recapture``, ``new``, ``multiple_match`` when the
        animal fits several cataloged animals, ``too_few_loci``), ``catalog_name``,
        ``mismatches`` (to that catalog genotype), ``cotyped_loci``, ``also_matches``,
        ``sample_status`` (the identification flag of the sample), ``psib`` (Psib of the
        animal's consensus genotype, frequencies from the catalog plus the new animals).
    """
    a, c = common_loci(new, catalog, min_loci or 1)
    if min_loci is None:
        min_loci = int(np.ceil(a.n_loci / 2))
    names = np.array(_names(c), dtype=object)
    r = identify_individuals(a.alleles, max_mismatch, min_loci, missing_weight=missing_weight, pairing=pairing,
                          nondropout_penalty=nondropout_penalty)
    m = match_to_references(r.consensus, c.alleles, max_mismatch, min_loci, missing_weight=missing_weight, pairing=pairing,
                          nondropout_penalty=nondropout_penalty)
    k = r.consensus.shape[0]
    width = max(3, len(str(k)))
    ind_name = np.empty(k, dtype=object)
    ind_status = np.empty(k, dtype=object)
    ind_match = np.empty(k, dtype=object)
    also = np.empty(k, dtype=object)
    n_new = 0
    for i in range(k):
        nm = int(m["n_matches"][i])
        also[i] = ";".join(names[x] for x in m["matches"][i] if x != m["best"][i]) if nm > 1 else ""
        if not r.reliable[i]:
            ind_status[i] = "too_few_loci"
        elif nm == 0:
            ind_status[i] = "new"
        elif nm == 1:
            ind_status[i] = "recapture"
        else:
            ind_status[i] = "multiple_match"
        if ind_status[i] in ("recapture", "multiple_match"):
            ind_name[i] = names[m["best"][i]]
            ind_match[i] = names[m["best"][i]]
        else:
            n_new += 1
            ind_name[i] = f"{new_prefix}{n_new:0{width}d}"
            ind_match[i] = ""
    ii = r.individual
    new_animals = r.consensus[np.array([st == "new" for st in ind_status], dtype=bool)]
    psib = psib_genotypes(r.consensus, np.concatenate([c.alleles, new_animals], axis=0))
    return pd.DataFrame(
        {
            "sample_id": list(a.samples),
            "individual_id": ind_name[ii],
            "status": ind_status[ii],
            "catalog_name": ind_match[ii],
            "mismatches": np.where(ind_match[ii] != "", m["mismatches"][ii], np.nan),
            "cotyped_loci": np.where(ind_match[ii] != "", m["cotyped"][ii], 0),
            "also_matches": also[ii],
            "sample_status": r.status,
            "psib": psib[ii],
        }
    )


def merge_catalogs(
    a: Genotypes,
    b: Genotypes,
    label_a: str = "A",
    label_b: str = "B",
    max_mismatch: float = 2,
    min_loci: int | None = None,
    *,
    missing_weight: float = 0.5,
    pairing: str = "positional",
    nondropout_penalty: float = NONDROPOUT_PENALTY,
) -> tuple[pd.DataFrame, Genotypes]:
    """Merge two catalogs on their shared loci, listing animals present in both.

    An animal of *b* is the same as one of *a* when its genotype is within *max_mismatch* of
    exactly one *a* genotype (and that *a* animal has no other *b* match); ambiguous matches are
    kept apart and flagged ``check``.

    Returns
    -------
    table : pandas.DataFrame
        ``merged_id, name_<A>, name_<B>, status`` (``both``, ``only_<A>``, ``only_<B>``,
        ``check``), ``mismatches``, ``cotyped_loci``.
    merged : Genotypes
        One genotype per merged animal (shared animals: *a*'s alleles, *b*'s filling loci
        missing in *a*).
    """
    ga, gb = common_loci(a, b, min_loci or 1)
    if min_loci is None:
        min_loci = int(np.ceil(ga.n_loci / 2))
    na, nb = np.array(_names(ga), dtype=object), np.array(_names(gb), dtype=object)
    m = match_to_references(gb.alleles, ga.alleles, max_mismatch, min_loci, missing_weight=missing_weight, pairing=pairing,
                          nondropout_penalty=nondropout_penalty)
    best = m["best"]
    single = m["n_matches"] == 1
    # an a-animal claimed by two b-animals is ambiguous too
    claims = np.bincount(best[single], minlength=ga.n_samples)
    pair_ok = single & (claims[best] == 1)
    check_b = m["n_matches"] > 1
    check_b |= single & ~pair_ok
    rows = []
    alleles = []
    b_of_a = {int(best[j]): j for j in np.flatnonzero(pair_ok)}
    for i in range(ga.n_samples):
        if i in b_of_a:
            j = b_of_a[i]
            g = ga.alleles[i].copy()
            fill = g[:, 0] == MISSING
            g[fill] = gb.alleles[j][fill]
            rows.append((na[i], nb[j], "both", m["mismatches"][j], m["cotyped"][j]))
            alleles.append(g)
        else:
            rows.append((na[i], "", f"only_{label_a}", np.nan, 0))
            alleles.append(ga.alleles[i])
    for j in range(gb.n_samples):
        if pair_ok[j]:
            continue
        status = "check" if check_b[j] else f"only_{label_b}"
        rows.append(("", nb[j], status, m["mismatches"][j] if check_b[j] else np.nan, m["cotyped"][j] if check_b[j] else 0))
        alleles.append(gb.alleles[j])
    df = pd.DataFrame(rows, columns=[f"name_{label_a}", f"name_{label_b}", "status", "mismatches", "cotyped_loci"])
    ids = [x if x else y for x, y in zip(df[f"name_{label_a}"], df[f"name_{label_b}"])]
    # keep ids unique when both catalogs use the same name for different animals
    seen: dict[str, int] = {}
    uniq = []
    for x in ids:
        seen[x] = seen.get(x, 0) + 1
        uniq.append(x if seen[x] == 1 else f"{x}_{seen[x]}")
    df.insert(0, "merged_id", uniq)
    merged = Genotypes(np.array(alleles, dtype=np.int32).reshape(len(uniq), ga.n_loci, 2), tuple(uniq), ga.loci)
    return df, merged
