"""Landscape genetics: genetic distance, Mantel / partial Mantel / MMRR, and surface ranking.

The ranking is checked by simulation with known truth: genetic distances are generated from the
least-cost distance on one surface (a wall with a gap), and that surface must rank first among
decoys, beyond isolation by distance.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from connectivity.landscape_genetics import (
    compare_surfaces,
    least_cost_distances_between,
    mantel,
    mmrr,
    partial_mantel,
    upper,
)
from genetics.distance import shared_allele_distance
from genetics.model import Genotypes


def test_shared_allele_distance_hand_example():
    # locus 1: A=100/104, B=100/104 (share 2), C=108/108 (shares 0 with A), D=100/108 (shares 1 with A)
    # locus 2: A=200/200, B=200/204 (share 1), C missing, D=204/204 (share 0)
    a = np.array([
        [[100, 104], [200, 200]],
        [[100, 104], [200, 204]],
        [[108, 108], [0, 0]],
        [[100, 108], [204, 204]],
    ])
    g = Genotypes.from_arrays(a, ["A", "B", "C", "D"], ["L1", "L2"])
    d, n = shared_allele_distance(g)
    assert n[0, 2] == 1 and n[0, 1] == 2
    assert d[0, 1] == pytest.approx(1 - (2 + 1) / 4)
    assert d[0, 2] == pytest.approx(1.0)
    assert d[0, 3] == pytest.approx(1 - (1 + 0) / 4)
    # C vs D: locus 1 only: 108/108 vs 100/108 share one allele copy
    assert d[2, 3] == pytest.approx(1 - 1 / 2)
    assert np.allclose(d, d.T) and np.all(np.diag(d) == 0)


def test_shared_allele_distance_no_common_locus_is_nan():
    a = np.array([[[100, 104], [0, 0]], [[0, 0], [200, 204]]])
    g = Genotypes.from_arrays(a, ["A", "B"], ["L1", "L2"])
    d, n = shared_allele_distance(g)
    assert n[0, 1] == 0 and np.isnan(d[0, 1])


def _random_distance(n, rng):
    pts = rng.random((n, 2))
    return np.hypot(*(pts[:, None, :] - pts[None, :, :]).transpose(2, 0, 1))


def test_mantel_perfect_and_independent():
    rng = np.random.default_rng(0)
    d = _random_distance(25, rng)
    res = mantel(d, 3 * d + 1, permutations=199, seed=3)
    assert res.statistic == pytest.approx(1.0)
    assert res.p_value == pytest.approx(1 / 200)
    e = _random_distance(25, rng)
    res2 = mantel(d, e, permutations=199, seed=3)
    assert abs(res2.statistic) < 0.3 and res2.p_value > 0.01


def test_mantel_r_is_pearson_of_upper_triangles():
    rng = np.random.default_rng(1)
    d, e = _random_distance(15, rng), _random_distance(15, rng)
    r = mantel(d, e, permutations=9).statistic
    assert r == pytest.approx(np.corrcoef(upper(d), upper(e))[0, 1])


def test_partial_mantel_removes_the_control():
    rng = np.random.default_rng(2)
    euclid = _random_distance(30, rng)
    genetic = 2 * euclid + 0.01 * rng.random((30, 30))
    genetic = (genetic + genetic.T) / 2
    np.fill_diagonal(genetic, 0)
    decoy = euclid + 0.5 * _random_distance(30, rng)  # correlated with genetic only via euclid
    assert mantel(genetic, decoy, permutations=99).statistic > 0.5
    pm = partial_mantel(genetic, decoy, euclid, permutations=199, seed=1)
    assert abs(pm.statistic) < 0.2


def test_permutations_identical_across_executors_and_deterministic():
    rng = np.random.default_rng(4)
    d, e = _random_distance(20, rng), _random_distance(20, rng)
    serial = mantel(d, e, permutations=450, seed=7)
    with ThreadPoolExecutor(2) as ex:
        threaded = mantel(d, e, permutations=450, seed=7, executor=ex)
    assert serial == threaded
    t1 = mmrr(d, {"e": e}, permutations=300, seed=5)
    with ThreadPoolExecutor(2) as ex:
        t2 = mmrr(d, {"e": e}, permutations=300, seed=5, executor=ex)
    assert t1.equals(t2)


def test_mmrr_recovers_coefficients():
    rng = np.random.default_rng(5)
    x1, x2 = _random_distance(30, rng), _random_distance(30, rng)
    y = 3 * x1 + 0.0 * x2
    tab = mmrr(y, {"x1": x1, "x2": x2}, permutations=199, seed=2).set_index("term")
    assert tab.loc["R2", "estimate"] == pytest.approx(1.0)
    assert tab.loc["x1", "estimate"] == pytest.approx(1.0, abs=0.02)  # standardised
    assert tab.loc["x1", "p_value"] <= 0.01


def test_true_surface_ranks_first_in_simulation():
    """Known truth: genetic distance = least-cost distance on a wall-with-gap surface + noise."""
    rng = np.random.default_rng(11)
    shape = (40, 40)
    valid = np.ones(shape, dtype=bool)
    flat = np.ones(shape)
    wall = flat.copy()
    wall[:, 19:21] = 200.0
    wall[2:6, 19:21] = 1.0  # one gap near the top
    wrong = flat.copy()
    wrong[19:21, :] = 200.0  # a horizontal wall that does not exist
    wrong[34:38, 19:21] = 1.0
    n = 36
    rows = rng.integers(0, 40, n)
    cols = np.concatenate([rng.integers(0, 17, n // 2), rng.integers(23, 40, n - n // 2)])
    true = least_cost_distances_between(wall, valid, rows, cols, 1.0)
    noise = rng.normal(0, 0.05 * true.std(), (n, n))
    genetic = true + (noise + noise.T) / 2
    np.fill_diagonal(genetic, 0)
    euclid = np.hypot(rows[:, None] - rows[None, :], cols[:, None] - cols[None, :]).astype(float)
    surfaces = {
        "wall": true,
        "wrong_wall": least_cost_distances_between(wrong, valid, rows, cols, 1.0),
        "flat": least_cost_distances_between(flat, valid, rows, cols, 1.0),
    }
    table = compare_surfaces(genetic, surfaces, euclid, permutations=99, seed=1)
    best = table.loc[table["rank"] == 1].iloc[0]
    assert best["surface"] == "wall"
    assert best["partial_mantel_p"] <= 0.02
    assert set(table["surface"]) == {"euclidean", "wall", "wrong_wall", "flat"}


def test_same_cell_samples_have_zero_distance():
    valid = np.ones((5, 5), dtype=bool)
    d = least_cost_distances_between(np.ones((5, 5)), valid, np.array([1, 1, 4]), np.array([1, 1, 4]), 1.0)
    assert d[0, 1] == 0 and d[0, 2] == pytest.approx(3 * np.sqrt(2))


def _write_landgen_inputs(tmp_path, n=24, seed=3):
    """A projected 30x30 grid with a wall, and animals whose genotypes follow the wall."""
    import rasterio
    from rasterio.transform import from_origin

    from connectivity.raster import Raster, write_raster
    from genetics.io.formats import write_genotypes
    from genetics.simulate import draw_founders, mendelian_offspring, panel_with_diversity

    rng = np.random.default_rng(seed)
    crs = rasterio.crs.CRS.from_string("+proj=laea +lat_0=50 +lon_0=90 +ellps=WGS84 +units=m")
    transform = from_origin(-15000, 15000, 1000, 1000)
    flat = np.ones((30, 30))
    wall = flat.copy()
    wall[:, 14:16] = 500.0
    write_raster(tmp_path / "wall.tif", Raster(wall, transform, crs))
    write_raster(tmp_path / "flat.tif", Raster(flat, transform, crs))
    # two demes, one each side of the wall: related within, unrelated across
    panel = panel_with_diversity(14, rng=rng)
    west = draw_founders(panel, 2, rng)
    east = draw_founders(panel, 2, rng)
    kids_w = mendelian_offspring(np.repeat(west[:1], n // 2, 0), np.repeat(west[1:], n // 2, 0), rng)
    kids_e = mendelian_offspring(np.repeat(east[:1], n // 2, 0), np.repeat(east[1:], n // 2, 0), rng)
    g = Genotypes(np.concatenate([kids_w, kids_e]), tuple(f"S{i:02d}" for i in range(n)), panel.loci)
    write_genotypes(g, tmp_path / "animals.csv")
    cols = np.concatenate([rng.integers(2, 12, n // 2), rng.integers(18, 28, n // 2)])
    rows = rng.integers(2, 28, n)
    x = -15000 + (cols + 0.5) * 1000
    y = 15000 - (rows + 0.5) * 1000
    from pyproj import Transformer

    lon, lat = Transformer.from_crs(crs, "EPSG:4326", always_xy=True).transform(x, y)
    lines = ["sample_id,lon,lat"] + [f"S{i:02d},{lon[i]:.6f},{lat[i]:.6f}" for i in range(n)]
    (tmp_path / "meta.csv").write_text("\n".join(lines) + "\n")


def test_landgen_cli_ranks_the_wall_first(tmp_path, run_cli):
    import pandas as pd

    _write_landgen_inputs(tmp_path)
    out = tmp_path / "rank.csv"
    code, _, err = run_cli("connectivity", "landgen", str(tmp_path / "animals.csv"), "--metadata",
                           str(tmp_path / "meta.csv"), "--surface", f"wall={tmp_path / 'wall.tif'}",
                           "--surface", f"flat={tmp_path / 'flat.tif'}", "--permutations", "99", "-o", str(out))
    assert code == 0, err
    t = pd.read_csv(out)
    assert t.loc[t["rank"] == 1, "surface"].item() == "wall"


def test_landgen_cli_sample_outside_grid_is_one_line_error(tmp_path, run_cli):
    _write_landgen_inputs(tmp_path)
    meta = tmp_path / "meta.csv"
    lines = meta.read_text().splitlines()
    lines[1] = "S00,120.0,10.0"
    meta.write_text("\n".join(lines) + "\n")
    code, _, err = run_cli("connectivity", "landgen", str(tmp_path / "animals.csv"), "--metadata", str(meta),
                           "--surface", str(tmp_path / "wall.tif"))
    assert code == 1
    assert err.startswith("bigcats: error:") and "S00" in err and "outside" in err
    assert "Traceback" not in err


def test_isolation_by_distance_simulator_has_known_structure():
    from genetics.simulate import panel_with_diversity, simulate_isolation_by_distance

    panel = panel_with_diversity(16, rng=1)
    positions = np.arange(8, dtype=float)
    d = np.abs(positions[:, None] - positions[None, :])
    a, deme = simulate_isolation_by_distance(panel, d, 10, scale=2.0, rng=2, divergence=1.5)
    assert a.shape == (80, 16, 2) and np.bincount(deme).tolist() == [10] * 8
    g = Genotypes(a, tuple(f"s{i}" for i in range(80)), panel.loci)
    gd, _ = shared_allele_distance(g)
    mean_by_gap = [gd[np.ix_(deme == 0, deme == k)].mean() for k in range(1, 8)]
    # genetic distance grows with deme distance (known truth of the model)
    assert np.corrcoef(np.arange(1, 8), mean_by_gap)[0, 1] > 0.8
    res = mantel(gd, d[np.ix_(deme, deme)], permutations=99, seed=1)
    assert res.statistic > 0.2 and res.p_value <= 0.01


def test_demo_step_ranks_the_true_surface_first(tmp_path):
    import pandas as pd

    from cli.landgen import demo_landscape_genetics

    demo_landscape_genetics(tmp_path, 1)
    work = tmp_path / "landscape_genetics"
    table = pd.read_csv(work / "surfaces.csv").set_index("surface")
    assert table.loc["snow_leopard", "rank"] == 1
    assert table.loc["snow_leopard", "partial_mantel_p"] <= 0.05
    assert table.loc["euclidean", "rank"] == 0
    for name in ("simulated_snow_leopards.csv", "simulated_snow_leopards_metadata.csv", "flat.tif"):
        assert (work / name).exists()
