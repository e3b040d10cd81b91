"""The planning verbs end to end on a small projected landscape: rank, barriers, network, report."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from affine import Affine
from rasterio.crs import CRS

from connectivity.raster import Raster, read_raster, write_raster

X0, Y0, CS = 500000.0, 5_000_000.0, 1000.0


@pytest.fixture
def landscape(tmp_path):
    rng = np.random.default_rng(4)
    rows, cols = 20, 24
    res = np.exp(rng.normal(1.0, 0.8, (rows, cols)))
    res[:, 12] = 80.0  # a road
    cores = np.zeros((rows, cols))
    cores[2:5, 2:5] = 1
    cores[14:17, 2:5] = 2
    cores[8:11, 19:22] = 3
    res[cores > 0] = 1.0
    crs = CRS.from_epsg(32652)
    tr = Affine(CS, 0, X0, 0, -CS, Y0)
    write_raster(tmp_path / "res.tif", Raster(res, tr, crs))
    write_raster(tmp_path / "cores.tif", Raster(cores, tr, crs, 0.0), dtype="int32")
    sites = {"type": "FeatureCollection", "metadata": {"crs": "EPSG:32652"}, "features": [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [X0 + 12500, Y0 - 9500]},
         "properties": {"id": "overpass", "resistance": 1, "radius": 1600, "cost": 2}},
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [X0 + 6500, Y0 - 18500]},
         "properties": {"id": "far", "resistance": 1, "radius": 1200, "cost": 1}},
        {"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [[
            [X0 + 11000, Y0 - 3000], [X0 + 14000, Y0 - 3000], [X0 + 14000, Y0 - 6000], [X0 + 11000, Y0 - 6000],
            [X0 + 11000, Y0 - 3000]]]}, "properties": {"id": "north", "resistance": 1, "cost": 3}},
    ]}
    (tmp_path / "sites.geojson").write_text(json.dumps(sites))
    return tmp_path


def test_rank_cli(run_cli, landscape):
    d = landscape
    code, out, err = run_cli("connectivity", "rank", "--resistance", str(d / "res.tif"), "--cores",
                             str(d / "cores.tif"), "--candidates", str(d / "sites.geojson"), "--budget", "3",
                             "--geojson", str(d / "ranked.geojson"), "--portfolio", str(d / "pf.csv"),
                             "-o", str(d / "ranked.csv"))
    assert code == 0, err
    t = pd.read_csv(d / "ranked.csv")
    assert {"id", "rank", "delta_reff_sum", "delta_lcd_sum"} <= set(t.columns)
    assert t["rank"].tolist() == [1, 2, 3]
    assert t.iloc[-1]["id"] == "far"  # the two sites on the road beat the one off it
    fc = json.loads((d / "ranked.geojson").read_text())
    assert len(fc["features"]) == 3
    lon, lat = fc["features"][0]["geometry"]["coordinates"][0][0]
    assert 120 < lon < 135 and 40 < lat < 50  # written in lon/lat
    assert pd.read_csv(d / "pf.csv")["cumulative_cost"].max() <= 3
    code, out, err = run_cli("connectivity", "rank", "--resistance", str(d / "res.tif"), "--cores",
                             str(d / "cores.tif"), "--candidates", str(d / "sites.geojson"), "--metric", "lcd")
    assert code == 0 and out.splitlines()[0].startswith("id,rank,delta_reff_sum,delta_lcd_sum")


def test_rank_cli_bad_input(run_cli, landscape):
    d = landscape
    doc = json.loads((d / "sites.geojson").read_text())
    del doc["features"][1]["properties"]["resistance"]
    (d / "bad.geojson").write_text(json.dumps(doc))
    code, out, err = run_cli("connectivity", "rank", "--resistance", str(d / "res.tif"), "--cores",
                             str(d / "cores.tif"), "--candidates", str(d / "bad.geojson"))
    assert code == 1
    assert err.strip().startswith("bigcats: error:") and "bad.geojson" in err and "feature 2 (id far)" in err
    assert len(err.strip().splitlines()) == 1


def test_barriers_network_report_cli(run_cli, landscape):
    d = landscape
    code, _, err = run_cli("connectivity", "barriers", "--resistance", str(d / "res.tif"), "--cores",
                           str(d / "cores.tif"), "--barrier-radius-km", "1", "--barrier-radius-km", "2",
                           "-o", str(d / "bar"))
    assert code == 0, err
    b = read_raster(d / "bar" / "barriers.tif")
    assert np.nanmax(np.where(b.valid, b.values, np.nan)) > 0
    sites = json.loads((d / "bar" / "barrier_sites.geojson").read_text())["features"]
    assert sites and sites[0]["properties"]["rank"] == 1
    code, _, err = run_cli("connectivity", "network", "--resistance", str(d / "res.tif"), "--cores",
                           str(d / "cores.tif"), "--species", "amur_leopard", "--barrier-radius-km", "1",
                           "-o", str(d / "net"))
    assert code == 0, err
    links = pd.read_csv(d / "net" / "links_priority.csv")
    nodes = pd.read_csv(d / "net" / "cores_importance.csv")
    assert {"priority_rank", "dPC_connector", "current_flow", "reff", "pinch_ratio", "barrier_score"} <= set(links)
    assert len(nodes) == 3 and {"dPC", "dPC_intra", "dPC_flux", "dPC_connector"} <= set(nodes)
    gen = d / "fst.csv"
    gen.write_text("pop1,pop2,fst\nA,B,0.12\n")
    code, _, err = run_cli("report", "--resistance", str(d / "res.tif"), "--cores", str(d / "cores.tif"),
                           "--candidates", str(d / "sites.geojson"), "--budget", "3", "--barrier-radius-km", "1",
                           "--genetics", str(gen), "-o", str(d / "report.html"))
    assert code == 0, err
    html = (d / "report.html").read_text()
    assert html.count("data:image/png;base64,") >= 2 and "overpass" in html and "0.12" in html
