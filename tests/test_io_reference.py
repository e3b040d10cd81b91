"""Reading the real reference data sets in ../shared: counts match their READMEs (skip if absent)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from genetics.io.formats import read_genotypes, sniff_format
from genetics.summary import locus_table, overview, sample_table

pytestmark = pytest.mark.shared


def _align(a, b):
    """Indices of b's samples in a's order."""
    pos = {s: i for i, s in enumerate(b.samples)}
    return np.array([pos[s] for s in a.samples])


def _hobs(g):
    typed = (~g.missing).sum(axis=0)
    return g.is_het.sum(axis=0) / typed


def test_nancycats(shared, run_cli):
    d = shared("reference", "genetics", "nancycats")
    gen = read_genotypes(d / "nancycats.gen")
    slash = read_genotypes(d / "nancycats_slash.csv")
    assert sniff_format(d / "nancycats.gen") == "genepop"
    assert sniff_format(d / "nancycats_slash.csv") == "wide"
    for g in (gen, slash):
        ov = overview(g)
        assert (ov["n_samples"], ov["n_loci"], ov["n_populations"], ov["n_alleles"]) == (237, 9, 17, 108)
        assert g.loci == ("fca8", "fca23", "fca43", "fca45", "fca77", "fca78", "fca90", "fca96", "fca37")
    assert slash.population_names == tuple(f"P{k:02d}" for k in range(1, 18))
    idx = _align(gen, slash)
    assert np.array_equal(gen.alleles, slash.alleles[idx])
    # the GenePop blocks are the same colonies as the slash file's pop column
    pairs = set(zip(gen.populations, np.array(slash.populations)[idx]))
    assert len(pairs) == 17
    exp = pd.read_csv(d / "expected_adegenet_summary.csv")
    lt = locus_table(gen)
    assert lt["n_alleles"].tolist() == exp["n_alleles"].tolist()
    assert np.allclose(_hobs(gen), exp["Hobs"], atol=5e-7)
    code, out, err = run_cli("genetics", "summary", str(d / "nancycats.gen"))
    assert code == 0
    assert "237 samples, 9 loci, 17 populations, 108 alleles" in err
    assert out.splitlines()[0] == "locus,n_alleles,min_size,max_size,n_typed,n_missing,missing_fraction"
    assert len(out.splitlines()) == 10


def test_jaguar_gen_and_slash_agree(shared):
    d = shared("reference", "genetics", "jaguar")
    gen = read_genotypes(d / "jaguar.gen")
    slash = read_genotypes(d / "jaguar_slash.csv")
    for g in (gen, slash):
        assert (g.n_samples, g.n_loci) == (59, 13)
        assert len(g.population_names) == 4
        assert "13 half-missing genotype(s)" in g.notes[0]
        assert int(g.missing.sum()) == 15 + 13
    sizes = pd.Series(slash.populations).value_counts().to_dict()
    assert sizes == {"Green Corridor": 18, "Morro do Diabo": 8, "Ivinhema": 10, "Porto Primavera": 23}
    idx = _align(gen, slash)
    assert np.array_equal(gen.alleles, slash.alleles[idx])
    assert len(set(zip(gen.populations, np.array(slash.populations)[idx]))) == 4
    exp = pd.read_csv(d / "expected_pegas_adegenet.csv")
    assert list(gen.loci) == exp["locus"].tolist()
    assert locus_table(gen)["n_alleles"].tolist() == exp["n_alleles"].tolist()
    # pegas/adegenet's loci2genind also drops half-missing calls: Hobs agrees exactly
    assert np.allclose(_hobs(gen), exp["Hobs"], atol=5e-7)


@pytest.mark.parametrize("k,n,missing,truths", [
    (1, 20, 0.005, 12), (2, 148, 0.046, 99), (3, 319, 0.097, 100), (4, 307, 0.199, 100),
    (5, 335, 0.064, None)])
def test_allelematch_examples(shared, k, n, missing, truths):
    p = shared("reference", "genetics", "allelematch_examples", f"amExample{k}.csv")
    g = read_genotypes(p)
    assert (g.n_samples, g.n_loci) == (n, 10)
    assert g.loci == tuple(f"LOC{j}" for j in range(1, 11))
    assert not g.notes  # missing values are whole genotypes (-99,-99) in these sets
    assert round(float(g.missing.mean()), 3) == missing
    if truths is None:
        assert list(g.metadata.columns) == ["samplingData", "sex"]
        assert set(g.metadata["sex"].dropna()) <= {"F", "M"}
    else:
        assert list(g.metadata.columns) == ["knownIndividual"]
        assert g.metadata["knownIndividual"].nunique() == truths


def test_related_simrel_cr_only(shared):
    d = shared("reference", "genetics", "related_example")
    cr = read_genotypes(d / "simrel.txt")
    lf = read_genotypes(d / "simrel_lf.txt")
    assert cr.same_genotypes(lf)
    assert (cr.n_samples, cr.n_loci) == (30, 10)
    groups = pd.Series([s[:2] for s in cr.samples]).value_counts().to_dict()
    assert groups == {"FS": 10, "HS": 10, "UR": 10}
    # locus 10 is all-missing for the FS and HS individuals, typed for UR
    st = sample_table(cr)
    assert cr.missing[:, 9].sum() == 20
    assert (st["n_missing"] == np.where([s.startswith("UR") for s in cr.samples], 0, 1)).all()


def test_related_genotypedata(shared):
    g = read_genotypes(shared("reference", "genetics", "related_example", "GenotypeData.txt"))
    assert (g.n_samples, g.n_loci) == (389, 10)
    assert g.samples[0] == "AA_n001aripo"


def test_demerelate(shared):
    g = read_genotypes(shared("reference", "genetics", "demerelate_sim", "demerelpop.csv"))
    assert (g.n_samples, g.n_loci) == (60, 8)
    assert g.population_names == ("Pop-FS_NON", "Pop-FS_HS", "Pop-NON")
    assert g.loci[0] == "X5.alleles"


@pytest.mark.parametrize("parts,counts", [
    (("nancycats", "nancycats.gen"), "237 samples, 9 loci, 17 populations, 108 alleles"),
    (("nancycats", "nancycats_slash.csv"), "237 samples, 9 loci, 17 populations, 108 alleles"),
    (("jaguar", "jaguar.gen"), "59 samples, 13 loci, 4 populations"),
    (("jaguar", "jaguar_slash.csv"), "59 samples, 13 loci, 4 populations"),
    (("allelematch_examples", "amExample1.csv"), "20 samples, 10 loci, 0 populations"),
    (("allelematch_examples", "amExample2.csv"), "148 samples, 10 loci, 0 populations"),
    (("allelematch_examples", "amExample3.csv"), "319 samples, 10 loci, 0 populations"),
    (("allelematch_examples", "amExample4.csv"), "307 samples, 10 loci, 0 populations"),
    (("allelematch_examples", "amExample5.csv"), "335 samples, 10 loci, 0 populations"),
    (("related_example", "simrel.txt"), "30 samples, 10 loci, 0 populations"),
    (("related_example", "GenotypeData.txt"), "389 samples, 10 loci, 0 populations"),
    (("demerelate_sim", "demerelpop.csv"), "60 samples, 8 loci, 3 populations"),
])
def test_cli_summary_counts(shared, run_cli, parts, counts):
    p = shared("reference", "genetics", *parts)
    code, out, err = run_cli("genetics", "summary", str(p), "--by-sample")
    assert code == 0, err
    assert counts in err
    assert len(out.strip().splitlines()) == 1 + int(counts.split()[0])
