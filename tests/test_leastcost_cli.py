"""`bigcats connectivity leastcost` end to end, core inputs, and one-line errors."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from affine import Affine
from rasterio.crs import CRS

from connectivity.cores import read_cores
from connectivity.leastcost import least_cost_analysis
from connectivity.raster import Raster, read_raster, write_raster
from genetics.errors import InputDataError

UTM = CRS.from_epsg(32652)
T = Affine(1000.0, 0, 500000.0, 0, -1000.0, 5000000.0)


@pytest.fixture
def landscape(tmp_path):
    rng = np.random.default_rng(5)
    v = rng.uniform(1, 20, size=(30, 40))
    v[10:20, 18:22] = -9999.0  # a lake
    write_raster(tmp_path / "res.tif", Raster(v, T, UTM))
    # points given in map coordinates (x, y) of the grid CRS
    pts = pd.DataFrame({"id": [1, 2, 3], "name": ["West", "East", "North"],
                        "x": [503500.0, 536500.0, 520500.0], "y": [4985500.0, 4984500.0, 4997500.0]})
    pts.to_csv(tmp_path / "cores.csv", index=False)
    return tmp_path


def test_leastcost_cli_outputs(landscape, run_cli):
    out = landscape / "out"
    code, _, err = run_cli("connectivity", "leastcost", "--resistance", str(landscape / "res.tif"),
                           "--cores", str(landscape / "cores.csv"), "--radius-km", "2", "-o", str(out))
    assert code == 0, err
    links = pd.read_csv(out / "links.csv")
    for col in ("from", "to", "cost_distance", "euclidean_km", "path_km", "cwd_to_path_ratio"):
        assert col in links.columns
    assert len(links) == 3
    gj = json.loads((out / "paths.geojson").read_text())
    assert gj["metadata"]["crs"] == "EPSG:4326"
    assert len(gj["features"]) == 3
    for f in gj["features"]:
        assert f["geometry"]["type"] == "LineString"
        lon, lat = np.array(f["geometry"]["coordinates"]).T
        assert np.all((lon > 128) & (lon < 132) & (lat > 44) & (lat < 46))  # UTM 52N around 129E 45N
        row = links[(links["from"] == f["properties"]["from"]) & (links["to"] == f["properties"]["to"])]
        assert f["properties"]["length_km"] == pytest.approx(row["path_km"].iloc[0])
    cor = read_raster(out / "corridors.tif")
    res = read_raster(landscape / "res.tif")
    assert cor.shape == res.shape and cor.transform == res.transform
    assert not cor.valid[15, 20]  # the lake is not a corridor
    # 4-neighbour run gives distances >= the 8-neighbour ones
    code, _, err = run_cli("connectivity", "leastcost", "--resistance", str(landscape / "res.tif"),
                           "--cores", str(landscape / "cores.csv"), "--radius-km", "2", "--neighbors", "4", "-o", str(landscape / "o4"))
    assert code == 0, err
    l4 = pd.read_csv(landscape / "o4" / "links.csv")
    code, _, err = run_cli("connectivity", "leastcost", "--resistance", str(landscape / "res.tif"),
                           "--cores", str(landscape / "cores.csv"), "--radius-km", "2", "--normalize", "--width", "0.5",
                           "--adjacency", "delaunay", "--map", "-o", str(landscape / "on"))
    assert code == 0, err
    cn = read_raster(landscape / "on" / "corridors.tif")
    assert cn.valid.any() and cn.values[cn.valid].max() <= 0.5
    assert (landscape / "on" / "map.png").stat().st_size > 0
    assert (l4["cost_distance"].to_numpy() >= links["cost_distance"].to_numpy() * (1 - 1e-12)).all()
    assert (l4["path_km"].to_numpy() >= l4["euclidean_km"].to_numpy()).all()


def test_cores_from_raster_and_geojson_agree(landscape):
    res = read_raster(landscape / "res.tif")
    ids = np.zeros(res.shape)
    ids[14:16, 3:5] = 1
    ids[14:16, 35:37] = 2
    write_raster(landscape / "ids.tif", Raster(ids, T, UTM, nodata=0.0))
    a = read_cores(landscape / "ids.tif", res)
    assert list(a.table["id"]) == [1, 2] and list(a.table["n_cells"]) == [4, 4]
    # the same squares as GeoJSON polygons in the grid CRS
    def sq(c0, r0):
        x0, y0 = 500000 + c0 * 1000, 5000000 - r0 * 1000
        return [[[x0, y0], [x0 + 2000, y0], [x0 + 2000, y0 - 2000], [x0, y0 - 2000], [x0, y0]]]
    gj = {"type": "FeatureCollection", "crs": {"type": "name", "properties": {"name": "EPSG:32652"}},
          "features": [{"type": "Feature", "properties": {"id": 1, "name": "W"}, "geometry": {"type": "Polygon", "coordinates": sq(3, 14)}},
                       {"type": "Feature", "properties": {"id": 2, "name": "E"}, "geometry": {"type": "Polygon", "coordinates": sq(35, 14)}}]}
    (landscape / "cores.geojson").write_text(json.dumps(gj))
    b = read_cores(landscape / "cores.geojson", res)
    np.testing.assert_array_equal(a.ids, b.ids)
    ra = least_cost_analysis(res, a.ids)
    rb = least_cost_analysis(res, b.ids)
    np.testing.assert_array_equal(ra.lcd, rb.lcd)


def _csv(path, rows):
    pd.DataFrame(rows).to_csv(path, index=False)


@pytest.mark.parametrize("case", ["outside", "nodata", "zero", "geographic", "misaligned", "negative"])
def test_leastcost_errors_one_line(landscape, run_cli, case):
    res_path, cores_path = landscape / "res.tif", landscape / "cores.csv"
    if case == "outside":
        _csv(cores_path, {"name": ["A", "B"], "x": [503500.0, 600000.0], "y": [4985500.0, 4985500.0]})
        expect = "outside the grid"
    elif case == "nodata":
        _csv(cores_path, {"name": ["A", "Lake"], "x": [503500.0, 520500.0], "y": [4985500.0, 4985500.0]})
        expect = "nodata"
    elif case in ("zero", "negative"):
        r = read_raster(res_path)
        v = r.values.copy()
        v[0, 0] = 0.0 if case == "zero" else -3.0
        write_raster(res_path, r.with_values(v))
        expect = "zero or negative"
    elif case == "geographic":
        r = read_raster(res_path)
        write_raster(res_path, Raster(r.values, Affine(0.01, 0, 129, 0, -0.01, 45), CRS.from_epsg(4326)))
        expect = "geographic"
    else:
        r = read_raster(res_path)
        ids = np.zeros((30, 41))
        ids[1, 1] = 1
        ids[5, 30] = 2
        write_raster(landscape / "ids.tif", Raster(ids, T, UTM, nodata=0.0))
        cores_path = landscape / "ids.tif"
        expect = "shape"
    code, out, err = run_cli("connectivity", "leastcost", "--resistance", str(res_path), "--cores", str(cores_path),
                             "-o", str(landscape / "out"))
    assert code == 1
    assert err.startswith("bigcats: error:") and expect in err and len(err.strip().splitlines()) == 1
    assert not (landscape / "out" / "links.csv").exists()


def test_core_csv_error_names_the_line(landscape):
    res = read_raster(landscape / "res.tif")
    _csv(landscape / "c.csv", {"name": ["A", "B", "C"], "x": [503500.0, 536500.0, 999.0], "y": [4985500.0] * 3})
    with pytest.raises(InputDataError) as e:
        read_cores(landscape / "c.csv", res)
    assert e.value.line == 4 and "'C'" in str(e.value)


def test_snap_moves_point_off_nodata(landscape):
    res = read_raster(landscape / "res.tif")
    pts = pd.DataFrame({"name": ["A", "Lake"], "x": [503500.0, 518500.0], "y": [4985500.0, 4985500.0]})
    with pytest.raises(InputDataError, match="nodata"):
        from connectivity.cores import cores_from_points

        cores_from_points(pts, res, 0.0)
    cs = cores_from_points(pts, res, 0.0, snap_km=3.0)
    assert cs.table["n_cells"].tolist() == [1, 1]
    assert res.valid[cs.ids == 2].all()


def test_ascii_grids_without_crs(tmp_path, run_cli):
    """Circuitscape-style .asc inputs (no CRS: map units taken as metres)."""
    v = np.full((12, 15), 2.0)
    v[6, :12] = -9999.0  # wall with a gap on the right
    t = Affine(100.0, 0, 0.0, 0, -100.0, 1200.0)
    write_raster(tmp_path / "r.asc", Raster(v, t, None))
    ids = np.zeros((12, 15))
    ids[1, 1] = 1
    ids[10, 1] = 2
    write_raster(tmp_path / "c.asc", Raster(ids, t, None, nodata=-9999.0))
    code, _, err = run_cli("connectivity", "leastcost", "--resistance", str(tmp_path / "r.asc"),
                           "--cores", str(tmp_path / "c.asc"), "--neighbors", "4", "-o", str(tmp_path / "o"))
    assert code == 0, err
    links = pd.read_csv(tmp_path / "o" / "links.csv")
    # rook moves around the wall: 11 steps right (to the gap at col 12), 9 down, 11 left = 31 steps of 100 m, resistance 2
    assert links["cost_distance"].iloc[0] == pytest.approx(31 * 100 * 2)
    assert links["path_km"].iloc[0] == pytest.approx(3.1)
    gj = json.loads((tmp_path / "o" / "paths.geojson").read_text())
    assert gj["metadata"]["crs"] == "none"
