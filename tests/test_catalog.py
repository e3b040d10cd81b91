"""Catalog matching and merging; molecular sexing."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from fixtures import fixture_path
from genetics.catalog import match_catalog, merge_catalogs
from genetics.errors import InputDataError
from genetics.model import MISSING, Genotypes
from genetics.sex import assign_sex, sex_by_individual
from genetics.simulate import draw_founders, panel_with_diversity


def _panel_genos(n, seed=0, L=12):
    rng = np.random.default_rng(seed)
    panel = panel_with_diversity(L, 8, 0.8, rng=rng)
    return draw_founders(panel, n, rng), tuple(panel.loci)


def test_match_catalog_recaptures_and_new():
    a, loci = _panel_genos(8)
    cat = Genotypes(a[:5], ("Munko", "Lazovka", "C", "D", "E"), loci)
    new = np.concatenate([a[[0, 0, 1]], a[[6, 6, 7]]])
    new[1, 3] = MISSING  # a scat with a failed locus
    g = Genotypes(new, tuple(f"s{i}" for i in range(6)), loci)
    df = match_catalog(g, cat, max_mismatch=2)
    assert list(df.individual_id[:3]) == ["Munko", "Munko", "Lazovka"]
    assert list(df.status[:3]) == ["recapture"] * 3
    assert set(df.status[3:]) == {"new"}
    assert df.individual_id[3] == df.individual_id[4] != df.individual_id[5]


def test_match_catalog_needs_shared_loci():
    a, loci = _panel_genos(3)
    cat = Genotypes(a, ("x", "y", "z"), tuple(f"Q{i}" for i in range(len(loci))))
    with pytest.raises(InputDataError, match="share 0 loci"):
        match_catalog(Genotypes(a, ("a", "b", "c"), loci), cat)


def test_merge_catalogs_lists_animals_in_both():
    a, loci = _panel_genos(7, seed=1)
    ru = Genotypes(a[:4], ("R1", "R2", "R3", "R4"), loci)
    b = a[[2, 3, 5, 6]].copy()
    b[0, 0] = MISSING
    mn = Genotypes(b, ("M1", "M2", "M3", "M4"), loci)
    df, merged = merge_catalogs(ru, mn, "RU", "MN", max_mismatch=2)
    both = df[df.status == "both"]
    assert set(zip(both.name_RU, both.name_MN)) == {("R3", "M1"), ("R4", "M2")}
    assert merged.n_samples == 6
    # the shared animal keeps RU's genotype with MN's alleles where RU is missing
    assert (merged.alleles[merged.samples.index("R3")] == a[2]).all()


def test_fixture_catalogs_merge(tmp_path, run_cli):
    code, _, err = run_cli("genetics", "catalog", "merge", str(fixture_path("genetics", "snow_leopard_catalog_RU.csv")),
                           str(fixture_path("genetics", "snow_leopard_catalog_MN.csv")), "--labels", "RU,MN",
                           "-o", str(tmp_path / "m.csv"))
    assert code == 0, err
    m = pd.read_csv(tmp_path / "m.csv")
    truth = pd.read_csv(fixture_path("genetics", "snow_leopard_catalog_truth.csv"))
    shared = truth[truth.duplicated("animal", keep=False)]
    expect = (shared[shared.catalog == "RU"].name.iloc[0], shared[shared.catalog == "MN"].name.iloc[0])
    both = m[m.status == "both"]
    assert list(zip(both.name_RU, both.name_MN)) == [expect]


def test_sex_rules():
    L = 4
    a = np.full((4, L, 2), 100, dtype=np.int32)
    a[1, 0] = MISSING  # no Y product, other loci fine -> F
    a[2] = MISSING  # nothing amplified -> unknown
    a[3, 0] = (100, 120)
    g = Genotypes(a, ("m", "f", "u", "x"), ("SRY", "L1", "L2", "L3"))
    assert list(assign_sex(g, "SRY", "y-present", min_loci=3)) == ["M", "F", "unknown", "M"]
    assert list(assign_sex(g, "SRY", "y-present", y_allele=120)) == ["unknown", "F", "unknown", "M"]
    z = np.array([[[150, 150]], [[150, 162]], [[MISSING, MISSING]], [[140, 140]]], dtype=np.int32)
    gz = Genotypes(z, ("f", "m", "u", "?"), ("ZF",))
    assert list(assign_sex(gz, "ZF", "zfx-zfy", x_allele=150, y_allele=162)) == ["F", "M", "unknown", "unknown"]
    with pytest.raises(InputDataError):
        assign_sex(gz, "nope")
    assert sex_by_individual(np.array(["M", "unknown", "F", "F"]), np.array([0, 0, 1, 1])) == {0: "M", 1: "F"}


def test_sex_on_fixture(tmp_path, run_cli):
    code, _, err = run_cli("genetics", "consensus", str(fixture_path("genetics", "snow_leopard_replicates.csv")),
                           "-o", str(tmp_path / "c.csv"))
    assert code == 0, err
    code, _, err = run_cli("genetics", "sex", str(tmp_path / "c.csv"), "--locus", "SRYsim", "-o", str(tmp_path / "s.csv"))
    assert code == 0, err
    s = pd.read_csv(tmp_path / "s.csv").merge(pd.read_csv(fixture_path("genetics", "snow_leopard_truth.csv")), on="sample_id")
    called = s[s.sex_x != "unknown"]
    assert len(called) >= 6 and (called.sex_x == called.sex_y).all()
