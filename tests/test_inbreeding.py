"""Individual inbreeding measures: hand-computed closed forms, brute force, simulation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from genetics import inbreeding as I
from genetics.model import Genotypes
from genetics.simulate import panel_with_diversity, simulate_pedigree

# three individuals x three loci (alleles coded 1, 2, 3; -1 = missing)
THREE = np.array(
    [
        [[1, 1], [1, 2], [1, 2]],
        [[1, 2], [1, 1], [2, 2]],
        [[2, 2], [1, 1], [-1, -1]],
    ]
)


def test_ir_hl_smlh_closed_forms_three_individuals():
    """Hand computation (sample allele frequencies, typed alleles only).

    Locus 1: 1/1, 1/2, 2/2 -> p1 = p2 = 1/2, E1 = 1 - (1/4 + 1/4) = 1/2.
    Locus 2: 1/2, 1/1, 1/1 -> p1 = 5/6, p2 = 1/6, E2 = 1 - (25 + 1)/36 = 5/18.
    Locus 3: 1/2, 2/2, missing -> p1 = 1/4, p2 = 3/4, E3 = 1 - (1 + 9)/16 = 3/8.

    IR = (2H - sum f)/(2N - sum f), f = frequencies of every allele carried:
      ind1: hom L1 (f 1/2 + 1/2), het L2 (5/6 + 1/6), het L3 (1/4 + 3/4): H = 1, N = 3,
            sum f = 3 -> IR = (2 - 3)/(6 - 3) = -1/3.
      ind2: het L1 (1), hom L2 (5/3), hom L3 (3/2): H = 2, N = 3, sum f = 25/6
            -> IR = (4 - 25/6)/(6 - 25/6) = (-1/6)/(11/6) = -1/11.
      ind3: hom L1 (1), hom L2 (5/3), L3 missing: H = 2, N = 2, sum f = 8/3 -> IR = 1.
    HL = sum E(hom loci) / sum E(typed loci); E1 + E2 + E3 = (36 + 20 + 27)/72 = 83/72:
      ind1: E1 / (E1+E2+E3) = 36/83; ind2: (E2 + E3)/(...) = 47/83; ind3: hom at both
      typed loci -> 1.
    sMLH = (het/typed) / mean Ho of the typed loci; Ho = (1/3, 1/3, 1/2):
      ind1: (2/3) / (7/18) = 12/7; ind2: (1/3) / (7/18) = 6/7; ind3: 0 / (1/3) = 0.
    """
    assert I.internal_relatedness(THREE) == pytest.approx([-1 / 3, -1 / 11, 1.0])
    assert I.homozygosity_by_loci(THREE) == pytest.approx([36 / 83, 47 / 83, 1.0])
    assert I.smlh(THREE) == pytest.approx([12 / 7, 6 / 7, 0.0])
    assert I.proportion_heterozygous(THREE) == pytest.approx([2 / 3, 1 / 3, 0.0])


def test_inbreeding_table_columns():
    g = Genotypes(THREE, ("a", "b", "c"), ("L1", "L2", "L3"))
    t = I.inbreeding_table(g)
    assert list(t.columns[:7]) == ["individual_id", "population", "n_typed", "ho", "smlh", "ir", "hl"]
    assert list(t.n_typed) == [3, 3, 2]


def test_plink_f_single_snp():
    """One SNP with p = 0.75 (AA, AA, AB, AB): E(HOM) = 1 - 2pq = 0.625 (no sample-size
    correction). Homozygote: F = (1 - 0.625)/(1 - 0.625) = 1; heterozygote:
    F = (0 - 0.625)/(1 - 0.625) = -5/3."""
    a = np.array([[[1, 1]], [[1, 1]], [[1, 2]], [[1, 2]]])
    F, o, e, nnm = I.plink_f(a)
    assert e == pytest.approx([0.625] * 4)
    assert F == pytest.approx([1, 1, -5 / 3, -5 / 3])
    assert list(nnm) == [1, 1, 1, 1]


def _g2_brute(h, m):
    n, L = h.shape
    num = den = 0.0
    numm = denm = 0.0
    for i in range(n):
        for j in range(n):
            for l1 in range(L):
                for l2 in range(L):
                    if l1 == l2:
                        continue
                    if i == j:
                        num += h[i, l1] * h[i, l2]
                        numm += m[i, l1] * m[i, l2]
                    else:
                        den += h[i, l1] * h[j, l2]
                        denm += m[i, l1] * m[j, l2]
    return (num / numm) / (den / denm) - 1


def test_g2_equals_double_sum_formula_with_missing_data():
    """David et al. (2007) eq. 4 written as explicit double sums over individuals and loci."""
    rng = np.random.default_rng(3)
    a = np.sort(rng.integers(1, 4, size=(15, 6, 2)), axis=-1)
    a[rng.random((15, 6)) < 0.15] = -1
    typed = a[..., 0] >= 0
    h = (typed & (a[..., 0] != a[..., 1])).astype(float)
    res = I.g2(a)
    assert res.g2 == pytest.approx(_g2_brute(h, typed.astype(float)), abs=1e-12)


def test_g2_bootstrap_and_signal_in_inbred_mixture():
    """A mixture of outbred and fully homozygous (selfed-like) individuals has strong
    identity disequilibrium (g2 > 0); pure HWE samples have g2 ~ 0."""
    rng = np.random.default_rng(5)
    panel = panel_with_diversity(20, mean_alleles=5, target_he=0.7, rng=rng)
    from genetics.simulate import draw_founders

    out = draw_founders(panel, 150, rng)
    res0 = I.g2(out, n_boot=200, rng=np.random.default_rng(1))
    assert res0.ci_low < 0 < res0.ci_high or abs(res0.g2) < 0.02
    inb = draw_founders(panel, 50, rng)
    inb[:, :, 1] = inb[:, :, 0]  # autozygous at every locus
    mix = np.concatenate([out, inb])
    res = I.g2(mix, n_boot=200, rng=np.random.default_rng(1))
    assert res.g2 > 0.1 and res.ci_low > 0
    again = I.g2(mix, n_boot=200, rng=np.random.default_rng(1))
    assert again == res


def test_offspring_of_relatives_are_more_homozygous():
    """Simulated: offspring of full-sib matings have higher IR and HL than outbred ones."""
    rng = np.random.default_rng(11)
    panel = panel_with_diversity(16, mean_alleles=3.6, target_he=0.5, rng=rng)
    from genetics.simulate import draw_founders, mendelian_offspring

    mo, fa = draw_founders(panel, 300, rng), draw_founders(panel, 300, rng)
    sib1 = mendelian_offspring(mo, fa, rng)
    sib2 = mendelian_offspring(mo, fa, rng)
    inbred = mendelian_offspring(sib1, sib2, rng)  # F = 1/4
    outbred = mendelian_offspring(draw_founders(panel, 300, rng), draw_founders(panel, 300, rng), rng)
    a = np.concatenate([inbred, outbred])
    ir = I.internal_relatedness(a)
    hl = I.homozygosity_by_loci(a)
    assert ir[:300].mean() > ir[300:].mean() + 0.1
    assert hl[:300].mean() > hl[300:].mean() + 0.1


def test_locus_positions_parsing():
    assert I.locus_positions(["1:100", "1:200", "chr2_5"])[1].tolist() == [100, 200, 5]
    assert I.locus_positions(["FCA8", "1:100"]) is None


def test_froh_with_scikit_allel_hmm_or_clear_error():
    rng = np.random.default_rng(1)
    n, L = 4, 300
    p = rng.uniform(0.3, 0.7, L)
    a = np.sort((rng.random((n, L, 2)) < p[None, :, None]).astype(int) + 1, axis=-1)
    a[0, 50:250, 1] = a[0, 50:250, 0]  # a long run of homozygosity in individual 0
    chroms = np.array(["1"] * L, dtype=object)
    pos = np.arange(1, L + 1) * 1000
    if not I.froh_available():
        from genetics.errors import BigcatsError

        with pytest.raises(BigcatsError, match="hmmlearn"):
            I.froh(a, chroms, pos)
        return
    f = I.froh(a, chroms, pos)
    assert f[0] > 0.4 and f[0] > f[1:].max()
    # the planted run covers SNPs 51..250: (250 - 51) / (300 - 1) = 0.666 of the covered length
    assert f[0] == pytest.approx(199 / 299, abs=0.03)
    assert f[1:].max() < 0.05


def test_pedigree_fixture_runs_through_cli(run_cli, tmp_path):
    from fixtures import fixture_path

    src = str(fixture_path("genetics", "popgen_snow_leopard_sim.gen"))
    out = tmp_path / "ind.csv"
    code, _, err = run_cli("genetics", "inbreeding", src, "-o", str(out), "--g2-bootstrap", "50",
                           "--g2-out", str(tmp_path / "g2.csv"))
    assert code == 0, err
    t = pd.read_csv(out)
    assert {"individual_id", "ho", "smlh", "ir", "hl"} <= set(t.columns)
    assert len(t) == 73
    assert "g2 =" in err
    g2 = pd.read_csv(tmp_path / "g2.csv")
    assert {"g2", "ci_low", "ci_high"} <= set(g2.columns)


def test_simulated_pedigree_smlh_mean_is_one():
    rng = np.random.default_rng(2)
    panel = panel_with_diversity(14, rng=rng)
    ped = simulate_pedigree(panel, 30, 20, rng=rng)
    s = I.smlh(ped.genotypes.alleles)
    assert s.mean() == pytest.approx(1.0, abs=0.05)


@pytest.mark.filterwarnings("ignore:The inplace keyword")
def test_froh_hmm_recovers_planted_runs():
    """Known truth on a SNP panel: F_ROH (McQuillan et al. 2008) = planted ROH length /
    covered length, with the scikit-allel HMM run per SNP (hmmlearn is a dependency, so the
    HMM path must run here). Two chromosomes with different SNP spacing, 3 % missing
    genotypes; outbred individuals get ~0. scikit-allel's per-base defaults would give 1.0
    for everyone on such a panel."""
    assert I.froh_available()
    rng = np.random.default_rng(8)
    n, L1, L2 = 12, 400, 250
    L = L1 + L2
    p = rng.uniform(0.2, 0.8, L)
    a = np.sort((rng.random((n, L, 2)) < p[None, :, None]).astype(int) + 1, axis=-1)
    pos = np.r_[np.arange(1, L1 + 1) * 2000, np.arange(1, L2 + 1) * 5000]
    chroms = np.array(["1"] * L1 + ["2"] * L2, dtype=object)
    covered = (L1 - 1) * 2000 + (L2 - 1) * 5000
    runs = {0: [(50, 250)], 1: [(L1 + 20, L1 + 120)], 2: [(10, 110), (L1 + 100, L1 + 240)], 3: [(300, 340)]}
    truth = np.zeros(n)
    for i, rr in runs.items():
        for s, e in rr:
            a[i, s:e, 1] = a[i, s:e, 0]
            truth[i] += pos[e - 1] - pos[s]
    truth /= covered
    a[rng.random((n, L)) < 0.03] = -1
    f = I.froh(a, chroms, pos)
    assert np.all(np.abs(f - truth) < 0.03), (np.round(f, 3), np.round(truth, 3))
    assert f[4:].max() < 0.03
    # contig lengths change only the denominator
    f2 = I.froh(a, chroms, pos, contig_lengths={"1": 2 * (L1 - 1) * 2000, "2": (L2 - 1) * 5000 * 2})
    assert np.allclose(f2, f / 2)
    # scikit-allel's whole-genome (per-base) defaults on the same panel: everything is "ROH"
    import allel

    codes = np.where(a[0] > 0, a[0] - 1, -1)[:L1]
    _, f_default = allel.roh_mhmm(allel.GenotypeVector(codes), pos[:L1], contig_size=int(pos[L1 - 1]))
    assert f_default > 0.95


def test_froh_without_hmmlearn_is_a_clear_error(monkeypatch):
    from genetics.errors import BigcatsError

    monkeypatch.setattr(I, "froh_available", lambda: False)
    a = np.ones((2, 3, 2), dtype=int)
    with pytest.raises(BigcatsError, match="hmmlearn"):
        I.froh(a, np.array(["1"] * 3, dtype=object), np.array([1, 2, 3]))
