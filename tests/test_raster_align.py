"""Alignment checks, resampling and reprojection of geographic grids (connectivity.raster)."""

from __future__ import annotations

import numpy as np
import pytest
from affine import Affine
from rasterio.crs import CRS

from connectivity.raster import (
    Raster,
    align_to,
    check_aligned,
    laea_crs,
    read_raster,
    require_metric,
    to_metric,
    write_raster,
)
from genetics.errors import InputDataError

UTM = CRS.from_epsg(32652)
WGS84 = CRS.from_epsg(4326)


def ras(shape=(10, 12), t=Affine(1000.0, 0, 500000.0, 0, -1000.0, 5000000.0), crs=UTM, values=None):
    v = np.arange(shape[0] * shape[1], dtype=float).reshape(shape) if values is None else values
    return Raster(v, t, crs)


def test_aligned_passes():
    check_aligned([ras(), ras(), ras()], ["a", "b", "c"])


@pytest.mark.parametrize(
    "other, what",
    [
        (ras(shape=(10, 13)), "shape"),
        (ras(t=Affine(1000.0, 0, 500500.0, 0, -1000.0, 5000000.0)), "transform"),
        (ras(t=Affine(2000.0, 0, 500000.0, 0, -2000.0, 5000000.0)), "transform"),
        (ras(crs=CRS.from_epsg(32653)), "CRS"),
        (ras(crs=None), "CRS"),
    ],
)
def test_misalignment_names_what_differs(other, what):
    with pytest.raises(InputDataError) as e:
        check_aligned([ras(), other], ["base.tif", "other.tif"])
    msg = str(e.value)
    assert what in msg and "other.tif" in msg and "base.tif" in msg and "\n" not in msg
    for w in {"shape", "transform", "CRS"} - {what}:
        if not (what == "shape" and w == "transform"):
            assert f"{w} (" not in msg or w == what


def test_align_to_identity_and_nearest_shift():
    a = ras()
    same = align_to(a, a, "nearest")
    np.testing.assert_array_equal(same.values, a.values)
    # template shifted by exactly one cell: nearest resampling shifts the values by one column
    t2 = Affine(1000.0, 0, 501000.0, 0, -1000.0, 5000000.0)
    b = align_to(a, ras(t=t2), "nearest")
    np.testing.assert_array_equal(b.values[:, :-1], a.values[:, 1:])
    assert not b.valid[:, -1].any()  # beyond the source: nodata
    check_aligned([b, ras(t=t2)], ["b", "t"])


def test_align_keeps_nodata():
    v = np.ones((10, 12))
    v[3:5, 3:5] = -9999.0
    a = ras(values=v)
    b = align_to(a, a, "bilinear")
    assert np.array_equal(b.valid, a.valid)


def test_geographic_is_rejected_then_reprojected_to_square_metres():
    # 1/12 degree cells at 45-50 N: about 9.3 km N-S but only 6.0-6.5 km E-W
    geo = Raster(np.ones((60, 120)), Affine(1 / 12, 0, 130.0, 0, -1 / 12, 50.0), WGS84)
    with pytest.raises(InputDataError, match="geographic"):
        require_metric(geo, name="dem.tif")
    m = to_metric(geo, 5000.0)
    assert not m.is_geographic
    assert m.cellsize == (5000.0, 5000.0)
    assert "laea" in m.crs.to_proj4()
    # equal-area: the valid area matches the spherical-ellipsoid area of the box within 2 %
    from pyproj import Geod

    area, _ = Geod(ellps="WGS84").polygon_area_perimeter([130, 140, 140, 130], [50, 50, 45, 45])
    assert m.valid.sum() * 25e6 == pytest.approx(abs(area), rel=0.02)


def test_laea_centre():
    crs = laea_crs(133.0, 46.0)
    p = crs.to_proj4()
    assert "+lon_0=133" in p and "+lat_0=46" in p


def test_to_metric_needs_crs():
    with pytest.raises(InputDataError, match="no CRS"):
        to_metric(ras(crs=None))


def test_roundtrip_unchanged_api(tmp_path):
    a = ras()
    write_raster(tmp_path / "a.tif", a)
    b = read_raster(tmp_path / "a.tif")
    np.testing.assert_array_equal(a.values, b.values)
    assert b.crs == a.crs and b.transform == a.transform
