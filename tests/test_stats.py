"""Population statistics against adegenet / pegas outputs, analytic cases and simulation."""

from __future__ import annotations

import shutil
import subprocess
from math import factorial

import numpy as np
import pandas as pd
import pytest

from genetics import stats as S
from genetics.io.formats import read_genotypes
from genetics.model import Genotypes
from genetics.simulate import draw_founders, panel_with_diversity

HALF_MISSING_LOCI = {"FCA742", "F85", "FCA453", "FCA741"}  # jaguar loci with 0/x calls


@pytest.mark.parametrize("fname", ["nancycats.gen", "nancycats_slash.csv"])
def test_nancycats_ho_he_match_adegenet(shared, fname):
    base = shared("reference", "genetics", "nancycats")
    g = read_genotypes(base / fname)
    t = S.locus_table(g)
    ex = pd.read_csv(base / "expected_adegenet_summary.csv")
    assert list(t.locus) == list(ex.locus)
    # expected values are printed to 6 decimals
    assert np.abs(t.ho - ex.Hobs).max() < 1e-6
    assert np.abs(t.he - ex.Hexp).max() < 1e-6
    assert (t.n_alleles == ex.n_alleles).all()
    assert t.ho.mean() == pytest.approx(0.626725, abs=1e-6)
    assert t.he.mean() == pytest.approx(0.772819, abs=1e-6)


def test_nancycats_hs_by_colony_matches_adegenet(shared):
    """adegenet Hs() = mean over loci of within-colony 1 - sum p^2. Colony P17 has no cat
    typed at fca45: adegenet counts that locus as He = 1, bigcats leaves it out (NaN)."""
    base = shared("reference", "genetics", "nancycats")
    g = read_genotypes(base / "nancycats_slash.csv")
    t = S.locus_table(g, by_population=True)
    ex = pd.read_csv(base / "expected_adegenet_Hs_by_pop.csv").set_index("pop").Hs
    ours = t.groupby("population", sort=False).he.mean()
    adegenet_rule = t.groupby("population", sort=False).he.apply(lambda x: x.fillna(1.0).mean())
    assert np.abs(adegenet_rule - ex.loc[adegenet_rule.index]).max() < 1e-6
    diff = (ours - ex.loc[ours.index]).abs()
    assert diff.drop("P17").max() < 1e-6
    assert t[(t.population == "P17") & (t.locus == "fca45")].n.iloc[0] == 0


def test_jaguar_ho_he_and_fstats(shared):
    """Ho/He equal adegenet (loci2genind: a half-missing call is missing, as bigcats).
    W&C F_IS/F_ST/F_IT equal pegas at every locus without missing calls; at loci with
    missing calls pegas counts the code 0 as an allele (see the next test)."""
    base = shared("reference", "genetics", "jaguar")
    g = read_genotypes(base / "jaguar_slash.csv")
    t = S.locus_table(g)
    ex = pd.read_csv(base / "expected_pegas_adegenet.csv")
    assert list(t.locus) == list(ex.locus)
    assert np.abs(t.ho - ex.Hobs).max() < 1e-6
    assert np.abs(t.he - ex.Hexp_adegenet).max() < 1e-6
    assert (t.n_alleles == ex.n_alleles).all()
    complete = (~g.missing).all(0)
    assert complete.sum() >= 2
    for col, exc in (("fis", "Fis"), ("fst", "Fst"), ("fit", "Fit")):
        assert np.abs(t[col][complete] - ex[exc][complete]).max() < 1e-6, col


def test_jaguar_fstats_reproduce_pegas_with_its_zero_allele_convention(shared):
    """Reproduces pegas::Fst at all 13 loci by feeding the W&C core pegas's reading of the
    data (allele code 0 kept as an allele). The file is split with pandas here only to build
    that peer-convention array; bigcats' reader never does this."""
    base = shared("reference", "genetics", "jaguar")
    df = pd.read_csv(base / "jaguar_slash.csv", dtype=str)
    loci = list(df.columns[2:])
    raw = np.array([[list(map(int, v.split("/"))) for v in df[c]] for c in loci]).transpose(1, 0, 2)
    raw = np.sort(np.where(raw == 0, 999, raw), axis=-1)  # 0 as a real allele "999"
    names = list(dict.fromkeys(df.population))
    pidx = np.array([names.index(p) for p in df.population])
    ex = pd.read_csv(base / "expected_pegas_adegenet.csv")
    for j, locus in enumerate(loci):
        fis, fst, fit = S.wc_fstats(*S.wc_components(raw[:, j, :], pidx))
        row = ex[ex.locus == locus].iloc[0]
        assert fis == pytest.approx(row.Fis, abs=1e-6)
        assert fst == pytest.approx(row.Fst, abs=1e-6)
        assert fit == pytest.approx(row.Fit, abs=1e-6)


def test_single_population_fis_is_weir_cockerham():
    """One population: F_IS = 1 - c/(b+c), summed over alleles. Every individual
    heterozygous a/b (p = 1/2, h = 1 for both alleles): per allele
    b = n/(n-1) [1/4 - (2n-1)/(4n)] = n/(n-1) (1-n)/(4n) = -1/4 and c = h/2 = 1/2, so
    F_IS = 1 - 1/(1/2) = -1 whatever n."""
    n = 10
    a = np.tile(np.array([[[100, 102]]]), (n, 1, 1))
    g = Genotypes(a, tuple(f"s{i}" for i in range(n)), ("L1",))
    t = S.locus_table(g)
    b, c = 2 * (-0.25), 2 * 0.5
    assert t.fis.iloc[0] == pytest.approx(1 - c / (b + c), abs=1e-12)
    assert t.fis.iloc[0] == pytest.approx(-1.0, abs=1e-12)
    assert t.ho.iloc[0] == 1 and t.he.iloc[0] == 0.5
    assert t.he_unbiased.iloc[0] == pytest.approx(0.5 * 2 * n / (2 * n - 1))
    # Brookfield (1996) estimator 1: (He - Ho)/(1 + He)
    heu = t.he_unbiased.iloc[0]
    assert t.null_allele_brookfield.iloc[0] == pytest.approx((heu - 1) / (1 + heu))


def test_allelic_richness_analytic():
    """Counts (2, 1, 1), N = 4. g = 2: A = sum 1 - C(N-Ni,2)/C(4,2) = (1-1/6)+(1-3/6)+(1-3/6) = 11/6.
    g = N gives the number of alleles; g = 1 gives 1."""
    assert S.allelic_richness(np.array([2, 1, 1]), 2) == pytest.approx(11 / 6)
    assert S.allelic_richness(np.array([2, 1, 1]), 4) == pytest.approx(3)
    assert S.allelic_richness(np.array([2, 1, 1]), 1) == pytest.approx(1)
    assert np.isnan(S.allelic_richness(np.array([2, 1, 1]), 5))


def test_allelic_richness_uses_smallest_population(shared):
    base = shared("reference", "genetics", "nancycats")
    g = read_genotypes(base / "nancycats_slash.csv")
    t = S.locus_table(g, by_population=True)
    pidx = np.array(g.populations)
    typed = np.concatenate([2 * (~g.missing[pidx == p]).sum(0) for p in g.population_names])
    smallest = typed[typed > 0].min()  # P17 has nobody typed at fca45
    assert (t.rarefaction_genes == smallest).all()
    ok = t.n > 0
    assert t.allelic_richness[ok].notna().all()
    assert (t.allelic_richness[ok] <= t.n_alleles[ok] + 1e-9).all()
    assert (t.allelic_richness[ok] >= 1 - 1e-9).all()


def _exact_hwe_p(n_aa, n_ab, n_bb):
    """Exact HWE P-value for a biallelic locus by enumerating heterozygote counts (Levene)."""
    n = n_aa + n_ab + n_bb
    na = 2 * n_aa + n_ab
    nb = 2 * n - na

    def prob(h):
        aa = (na - h) // 2
        bb = (nb - h) // 2
        return factorial(n) * factorial(na) * factorial(nb) * 2**h / (
            factorial(2 * n) * factorial(aa) * factorial(h) * factorial(bb))

    hs = [h for h in range(na % 2, min(na, nb) + 1, 2)]
    probs = {h: prob(h) for h in hs}
    obs = probs[n_ab]
    return sum(p for p in probs.values() if p <= obs * (1 + 1e-9))


@pytest.mark.parametrize("counts", [(10, 2, 8), (5, 10, 5), (1, 4, 15)])
def test_hwe_monte_carlo_matches_exact_biallelic(counts):
    n_aa, n_ab, n_bb = counts
    col = np.array([[1, 1]] * n_aa + [[1, 2]] * n_ab + [[2, 2]] * n_bb)
    p, se, n = S.hwe_exact_mc(col, 20000, np.random.default_rng(1))
    exact = _exact_hwe_p(*counts)
    assert n == sum(counts)
    assert p == pytest.approx(exact, abs=max(4 * se, 0.005))


def test_hwe_table_deterministic_and_uniform_under_hwe():
    rng = np.random.default_rng(4)
    panel = panel_with_diversity(30, mean_alleles=4, target_he=0.6, rng=rng)
    g = Genotypes(draw_founders(panel, 60, rng), tuple(f"s{i}" for i in range(60)), panel.loci)
    t1 = S.hwe_table(g, by_population=False, n_perm=500, seed=3)
    t2 = S.hwe_table(g, by_population=False, n_perm=500, seed=3)
    pd.testing.assert_frame_equal(t1, t2)
    # under HWE, P-values are roughly uniform: few below 0.01
    assert (t1.p_value < 0.01).sum() <= 3
    assert t1.p_value.mean() == pytest.approx(0.5, abs=0.15)


def test_pairwise_fst_two_pops_equals_locus_sum(shared):
    base = shared("reference", "genetics", "jaguar")
    g = read_genotypes(base / "jaguar_slash.csv")
    pf = S.pairwise_fst(g)
    assert len(pf) == 6
    row = pf.iloc[0]
    sel = np.isin(np.array(g.populations), [row.pop_1, row.pop_2])
    sub = g.subset(samples=sel)
    pidx = np.array([0 if p == row.pop_1 else 1 for p in sub.populations])
    A = B = C = 0.0
    for j in range(sub.n_loci):
        a, b, c = S.wc_components(sub.alleles[:, j, :], pidx)
        A, B, C = A + a, B + b, C + c
    assert row.fst == pytest.approx(A / (A + B + C), abs=1e-12)
    assert (pf.fst > 0).all() and (pf.fst < 0.5).all()


def test_fst_near_zero_for_same_frequencies_and_large_for_different():
    rng = np.random.default_rng(9)
    panel = panel_with_diversity(20, mean_alleles=5, target_he=0.6, rng=rng)
    a = draw_founders(panel, 200, rng)
    # same sizes, different frequencies
    from genetics.simulate import LocusPanel

    p2 = LocusPanel(panel.loci, panel.sizes, [np.roll(f, 1) for f in panel.freqs])
    b = draw_founders(p2, 100, rng)
    g = Genotypes(np.concatenate([a, b]), tuple(f"s{i}" for i in range(300)), panel.loci,
                  tuple(["A"] * 100 + ["B"] * 100 + ["C"] * 100))
    pf = S.pairwise_fst(g).set_index(["pop_1", "pop_2"]).fst
    assert abs(pf[("A", "B")]) < 0.01
    assert pf[("A", "C")] > 0.05


def test_allele_frequency_table_roundtrips_as_reference(tmp_path):
    from genetics.relatedness import encode, read_reference_freqs

    rng = np.random.default_rng(2)
    panel = panel_with_diversity(5, rng=rng)
    g = Genotypes(draw_founders(panel, 40, rng), tuple(f"s{i}" for i in range(40)), panel.loci)
    ft = S.allele_frequency_table(g)
    assert np.allclose(ft.groupby("locus").frequency.sum(), 1)
    p = tmp_path / "f.csv"
    ft.to_csv(p, index=False)
    ref = read_reference_freqs(p)
    assert np.allclose(encode(g.alleles, g.loci, ref).p, encode(g.alleles, g.loci).p)


@pytest.mark.slow
def test_adegenet_side_by_side(shared, tmp_path):
    """Runs R adegenet (Debian r-cran-adegenet) on the same GenePop files when available."""
    if shutil.which("Rscript") is None:
        pytest.skip("Rscript not installed")
    probe = subprocess.run(["Rscript", "-e", "library(adegenet)"], capture_output=True)
    if probe.returncode != 0:
        pytest.skip("R package adegenet not installed")
    script = tmp_path / "ade.R"
    script.write_text(
        "suppressMessages(library(adegenet))\n"
        "args <- commandArgs(trailingOnly=TRUE)\n"
        "x <- read.genepop(args[1], ncode=3L, quiet=TRUE)\n"
        "s <- summary(x)\n"
        "write.csv(data.frame(locus=names(s$Hobs), n_alleles=as.integer(s$loc.n.all), "
        "Hobs=as.numeric(s$Hobs), Hexp=as.numeric(s$Hexp)), args[2], row.names=FALSE)\n"
    )
    for folder, fname in (("nancycats", "nancycats.gen"), ("jaguar", "jaguar.gen")):
        src = shared("reference", "genetics", folder, fname)
        out = tmp_path / f"{folder}.csv"
        subprocess.run(["Rscript", str(script), str(src), str(out)], check=True, capture_output=True)
        r = pd.read_csv(out)
        ours = S.locus_table(read_genotypes(src))
        assert list(r.locus) == list(ours.locus)
        # read.genepop keeps the typed allele of a half-missing call (000170); bigcats drops
        # the genotype, so those loci differ by design
        keep = ~r.locus.isin(HALF_MISSING_LOCI)
        assert np.abs(r.Hobs[keep] - ours.ho[keep]).max() < 1e-9
        assert np.abs(r.Hexp[keep] - ours.he[keep]).max() < 1e-9
        assert (r.n_alleles[keep] == ours.n_alleles[keep]).all()


def test_cli_stats_hwe_fst(run_cli, tmp_path):
    from fixtures import fixture_path

    src = str(fixture_path("genetics", "popgen_snow_leopard_sim.gen"))
    code, out, err = run_cli("genetics", "stats", src, "-o", str(tmp_path / "loci.csv"),
                             "--freqs", str(tmp_path / "freqs.csv"))
    assert code == 0, err
    t = pd.read_csv(tmp_path / "loci.csv")
    assert {"locus", "n_alleles", "allelic_richness", "ho", "he", "he_unbiased", "fis", "fst",
            "null_allele_brookfield"} <= set(t.columns)
    assert len(t) == 16
    code, out, err = run_cli("genetics", "stats", src, "--by", "population")
    assert code == 0 and out.startswith("locus,population")
    code, out, err = run_cli("genetics", "hwe", src, "--permutations", "200", "--seed", "5")
    assert code == 0
    code2, out2, _ = run_cli("genetics", "hwe", src, "--permutations", "200", "--seed", "5")
    assert out == out2
    code, out, err = run_cli("genetics", "fst", src)
    assert code == 0 and out.splitlines()[0] == "pop_1,pop_2,n_1,n_2,fst"


def test_cli_bad_input_is_one_line(run_cli, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("id,pop,L1\na,p,100/x\n")
    code, out, err = run_cli("genetics", "stats", str(bad))
    assert code == 1
    assert err.startswith("bigcats: error:") and len(err.strip().splitlines()) == 1
    code, out, err = run_cli("genetics", "fst", str(tmp_path / "missing.gen"))
    assert code == 1 and "no such file" in err
    single = tmp_path / "one.csv"
    single.write_text("id,pop,L1\na,p,100/102\nb,p,100/100\n")
    code, out, err = run_cli("genetics", "fst", str(single))
    assert code == 1 and "two populations" in err


def test_hwe_same_with_process_pool():
    from concurrent.futures import ProcessPoolExecutor

    rng = np.random.default_rng(6)
    panel = panel_with_diversity(6, mean_alleles=4, target_he=0.6, rng=rng)
    g = Genotypes(draw_founders(panel, 30, rng), tuple(f"s{i}" for i in range(30)), panel.loci,
                  tuple(["a"] * 15 + ["b"] * 15))
    serial = S.hwe_table(g, n_perm=300, seed=2)
    with ProcessPoolExecutor(2) as ex:
        pooled = S.hwe_table(g, n_perm=300, seed=2, executor=ex)
    pd.testing.assert_frame_equal(serial, pooled)
    assert len(serial) == 12 and set(serial.population) == {"a", "b"}
