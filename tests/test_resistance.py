"""Resistance model: pure layer functions against analytic cases, TOML models, CLI errors."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from affine import Affine
from rasterio.crs import CRS
from shapely.geometry import LineString, Point

from connectivity.raster import Raster, read_raster, write_raster
from connectivity.resistance import (
    build_resistance,
    combine_layers,
    distance_decay,
    keeley_transform,
    load_model,
    piecewise_linear,
    rasterize_features,
    reclassify,
    slope_degrees,
    terrain_ruggedness,
    threshold,
)
from genetics.errors import ConfigError, InputDataError

UTM = CRS.from_epsg(32652)
T = Affine(1000.0, 0, 500000.0, 0, -1000.0, 5000000.0)


def test_piecewise_and_threshold():
    x = np.array([-5.0, 0, 50, 100, 150, 300, np.nan])
    np.testing.assert_allclose(piecewise_linear(x, [[0, 1], [100, 11], [200, 11]]),
                               [1, 1, 6, 11, 11, 11, np.nan])
    np.testing.assert_array_equal(threshold(np.array([0.0, 5, 9.99, 10, 20]), [5, 10], [1, 2, 3]), [1, 2, 2, 3, 3])
    with pytest.raises(ConfigError):
        piecewise_linear(x, [[0, 1], [0, 2]])
    with pytest.raises(ConfigError):
        threshold(x, [1, 2], [1, 2])


def test_reclassify():
    v = np.array([[1, 2], [3, 9]], dtype=float)
    valid = np.array([[True, True], [True, False]])
    out = reclassify(v, valid, {1: 1.0, 2: 50.0, 3: np.nan})
    assert out[0, 0] == 1 and out[0, 1] == 50 and np.isnan(out[1, 0]) and np.isnan(out[1, 1])
    with pytest.raises(InputDataError, match="code"):
        reclassify(v, np.ones_like(valid), {1: 1.0})
    assert reclassify(v, np.ones_like(valid), {1: 1.0}, default=7.0)[1, 1] == 7.0


def test_slope_and_tri_on_a_plane():
    rows, cols, w = 8, 9, 30.0
    g = 0.2  # rise per metre eastwards
    z = np.tile(np.arange(cols) * w * g, (rows, 1))
    valid = np.ones((rows, cols), bool)
    s = slope_degrees(z, valid, w)
    np.testing.assert_allclose(s[1:-1, 1:-1], math.degrees(math.atan(g)))
    tri = terrain_ruggedness(z, valid)
    # 3 neighbours higher by g*w, 3 lower by g*w, 2 equal (Riley 1999)
    np.testing.assert_allclose(tri[1:-1, 1:-1], math.sqrt(6) * g * w)
    valid[4, 4] = False
    assert np.isnan(slope_degrees(z, valid, w)[4, 4]) and np.isnan(terrain_ruggedness(z, valid)[4, 4])


def test_distance_decay_linear():
    f = np.zeros((1, 11))
    f[0, 0] = 10.0
    d = distance_decay(f, 100.0, 500.0, "linear")
    np.testing.assert_allclose(d[0, :7], [10, 8, 6, 4, 2, 0, 0])
    st = distance_decay(f, 100.0, 300.0, "step")
    np.testing.assert_allclose(st[0, :5], [10, 10, 10, 10, 0])


def test_rasterize_largest_wins():
    tmpl = Raster(np.zeros((10, 10)), T, UTM)
    a = LineString([(500000, 4995500), (510000, 4995500)])
    b = Point(505500, 4995500).buffer(1500)
    out = rasterize_features([b, a], [50.0, 10.0], tmpl)
    assert out[4, 5] == 50 and out[4, 0] == 10 and out[0, 0] == 0


def test_combine_modes():
    a, b = np.array([[1.0, 2.0]]), np.array([[3.0, 4.0]])
    np.testing.assert_allclose(combine_layers([a, b], [1, 2], "sum", base=1), [[8, 11]])
    np.testing.assert_allclose(combine_layers([a, b], [1, 1], "max"), [[3, 4]])
    np.testing.assert_allclose(combine_layers([a, b], [1, 1], "product"), [[3, 8]])
    np.testing.assert_allclose(combine_layers([a, b], [1, 3], "weighted"), [[2.5, 3.5]])


def test_keeley_transform():
    h = np.linspace(0, 1, 11)
    r = keeley_transform(h, c=8)
    assert r[0] == pytest.approx(100) and r[-1] == pytest.approx(1)
    assert np.all(np.diff(r) < 0)
    # convex decline: at h = 0.5 the resistance is already near the minimum for c = 8
    assert r[5] == pytest.approx(100 - 99 * (1 - math.exp(-4)) / (1 - math.exp(-8)))
    # c -> 0 approaches the linear transform
    np.testing.assert_allclose(keeley_transform(h, c=1e-6), keeley_transform(h, kind="linear"), rtol=1e-5)


# --------------------------------------------------------------------------------------
# models on small projected grids


def write_layers(d: Path, *, dem_transform=T, dem_crs=UTM):
    dem = np.tile(np.arange(12, dtype=float) * 100, (10, 1))
    dem[0, 0] = -9999.0
    write_raster(d / "dem.tif", Raster(dem, dem_transform, dem_crs))
    lc = np.ones((10, 12))
    lc[:, 6:] = 2
    write_raster(d / "lc.tif", Raster(lc, T, UTM))
    roads = {"type": "FeatureCollection", "metadata": {"crs": "EPSG:32652"}, "features": [
        {"type": "Feature", "properties": {"class": "major"},
         "geometry": {"type": "LineString", "coordinates": [[500000, 4994500], [512000, 4994500]]}}]}
    (d / "roads.geojson").write_text(json.dumps(roads))


MODEL = """
[model]
name = "test"
combine = "sum"
base = 1.0
min = 1.0

[grid]
template = "dem.tif"

[[layer]]
name = "elev"
type = "continuous"
source = "dem.tif"
function = "piecewise"
points = [[0, 0], [1100, 11]]
citation = "test"

[[layer]]
name = "lc"
type = "categorical"
source = "lc.tif"
table = { "1" = 0, "2" = 100 }

[[layer]]
name = "roads"
type = "vector"
source = "roads.geojson"
value_by = { attribute = "class", table = { "major" = 1000 } }
"""


def test_model_builds_expected_values(tmp_path):
    write_layers(tmp_path)
    (tmp_path / "m.toml").write_text(MODEL)
    res, comps = build_resistance(load_model(tmp_path / "m.toml"))
    expect = 1 + np.tile(np.arange(12) * 1.0, (10, 1)) + np.where(np.arange(12) >= 6, 100, 0)
    expect[5, :] += 1000
    assert not res.valid[0, 0]
    np.testing.assert_allclose(res.values[res.valid], expect[res.valid])
    assert set(comps) == {"elev", "lc", "roads"}


def test_model_reprojects_geographic_template(tmp_path, run_cli):
    geo = Affine(1 / 12, 0, 130.0, 0, -1 / 12, 46.0)
    write_layers(tmp_path, dem_transform=geo, dem_crs=CRS.from_epsg(4326))
    model = MODEL.split("[[layer]]")[0] + "[[layer]]" + MODEL.split("[[layer]]")[1]
    (tmp_path / "m.toml").write_text(model)
    with pytest.raises(InputDataError, match="geographic"):
        build_resistance(load_model(tmp_path / "m.toml"))
    code, _, err = run_cli("connectivity", "resistance", str(tmp_path / "m.toml"), "-o", str(tmp_path / "r.tif"))
    assert code == 1 and "geographic" in err and "dem.tif" in err and len(err.strip().splitlines()) == 1
    (tmp_path / "m2.toml").write_text(model.replace('template = "dem.tif"', 'template = "dem.tif"\ncrs = "laea"\nresolution = 2000'))
    res, _ = build_resistance(load_model(tmp_path / "m2.toml"))
    assert not res.is_geographic and res.cellsize == (2000.0, 2000.0)
    assert res.valid.sum() > 0


def test_misaligned_layer_is_an_error_and_align_fixes_it(tmp_path, run_cli):
    write_layers(tmp_path, dem_transform=Affine(1000.0, 0, 500500.0, 0, -1000.0, 5000000.0))
    (tmp_path / "m.toml").write_text(MODEL)
    with pytest.raises(InputDataError, match="transform"):
        build_resistance(load_model(tmp_path / "m.toml"))
    code, out, err = run_cli("connectivity", "resistance", str(tmp_path / "m.toml"), "-o", str(tmp_path / "r.tif"))
    assert code == 1 and err.startswith("bigcats: error:") and "lc.tif" in err and "transform" in err
    assert len(err.strip().splitlines()) == 1
    code, out, err = run_cli("connectivity", "resistance", str(tmp_path / "m.toml"), "-o", str(tmp_path / "r.tif"),
                             "--align", str(tmp_path / "lc.tif"))
    assert code == 0, err
    r = read_raster(tmp_path / "r.tif")
    assert r.shape == (10, 12) and r.transform == T


def test_crs_mismatch_is_an_error(tmp_path, run_cli):
    write_layers(tmp_path, dem_crs=CRS.from_epsg(32653))
    (tmp_path / "m.toml").write_text(MODEL)
    code, _, err = run_cli("connectivity", "resistance", str(tmp_path / "m.toml"), "-o", str(tmp_path / "r.tif"))
    assert code == 1 and "CRS" in err and len(err.strip().splitlines()) == 1


def test_non_positive_resistance_is_an_error(tmp_path, run_cli):
    write_layers(tmp_path)
    (tmp_path / "m.toml").write_text(MODEL.replace("base = 1.0\nmin = 1.0", "base = 0.0"))
    code, _, err = run_cli("connectivity", "resistance", str(tmp_path / "m.toml"), "-o", str(tmp_path / "r.tif"))
    assert code == 1 and "zero or negative" in err


@pytest.mark.parametrize("bad, match", [
    ("combine = \"sum\"", "combine = \"median\""),
    ("type = \"categorical\"", "type = \"landcover\""),
    ("table = { \"1\" = 0, \"2\" = 100 }", "table = { \"1\" = 0 }"),
])
def test_invalid_models(tmp_path, run_cli, bad, match):
    write_layers(tmp_path)
    (tmp_path / "m.toml").write_text(MODEL.replace(bad, match))
    code, _, err = run_cli("connectivity", "resistance", str(tmp_path / "m.toml"), "-o", str(tmp_path / "r.tif"))
    assert code == 1 and err.startswith("bigcats: error:") and len(err.strip().splitlines()) == 1


def test_invalid_toml_names_the_line(tmp_path, run_cli):
    (tmp_path / "m.toml").write_text("[model]\nname = \n")
    code, _, err = run_cli("connectivity", "resistance", str(tmp_path / "m.toml"), "-o", str(tmp_path / "r.tif"))
    assert code == 1 and "m.toml:2" in err


@pytest.mark.parametrize("preset, region", [("amur_tiger", "amur"), ("amur_leopard", "amur"),
                                            ("snow_leopard", "altai_sayan")])
def test_presets_build_on_bundled_data(preset, region, tmp_path, run_cli):
    from connectivity.landscapes import preset_path, region_dir

    text = preset_path(preset).read_text()
    # every layer carries a citation or an expert-assumption note
    assert text.count("[[layer]]") == text.count("\ncitation = ") - 1
    code, _, err = run_cli("connectivity", "resistance", preset, "--data-dir", str(region_dir(region)),
                           "-o", str(tmp_path / "r.tif"))
    assert code == 0, err
    r = read_raster(tmp_path / "r.tif")
    assert not r.is_geographic and r.cellsize == (5000.0, 5000.0)
    v = r.values[r.valid]
    assert v.min() >= 1.0 and v.max() <= 1000.0


def test_hard_barriers_become_nodata(tmp_path, run_cli):
    write_layers(tmp_path)
    model = MODEL.replace('table = { "1" = 0, "2" = 100 }', 'table = { "1" = 0, "2" = "barrier" }')
    model = model.replace('points = [[0, 0], [1100, 11]]', 'points = [[0, 0], [1100, 11]]\nbarrier_above = 250')
    (tmp_path / "m.toml").write_text(model)
    code, _, err = run_cli("connectivity", "resistance", str(tmp_path / "m.toml"), "-o", str(tmp_path / "r.tif"),
                           "--components", str(tmp_path / "comp"))
    assert code == 0, err
    r = read_raster(tmp_path / "r.tif")
    cols_valid = r.valid.any(axis=0)
    # elevation 0,100,200 m pass; 300 m and up are above the barrier threshold; cols >= 6 are barrier land cover
    assert cols_valid.tolist() == [True, True, True] + [False] * 9
    assert sorted(p.name for p in (tmp_path / "comp").iterdir()) == ["elev.tif", "lc.tif", "roads.tif"]
