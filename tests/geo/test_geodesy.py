"""geo.geodesy: the radius rule and the conservative box, against pyproj's Geod."""

import math

import numpy as np
import pytest
from pyproj import Geod

from geo.errors import InputError
from geo.geodesy import box_half_widths, check_radius_m, search_box

GEOD = Geod(ellps="WGS84")


@pytest.mark.parametrize("value", [0, -5, float("nan"), float("inf"), "abc", None, True, "1e999"],
                         ids=["zero", "negative", "nan", "inf", "text", "none", "bool", "overflow"])
def test_a_radius_that_is_not_a_positive_number_is_refused(value):
    with pytest.raises(InputError, match="radius_m must be a number of metres greater than 0"):
        check_radius_m(value)


def test_the_limit_is_inclusive_and_named():
    assert check_radius_m(50_000, max_m=50_000) == 50_000.0
    with pytest.raises(InputError, match="--radius-m 50000.01 is above the maximum of 50000"):
        check_radius_m("50000.01", max_m=50_000, what="--radius-m")


@pytest.mark.parametrize("lat", [0.0, 34.75, -45.0, 70.0, 88.9])
@pytest.mark.parametrize("radius_m", [0.5, 3000.0, 50_000.0, 2_000_000.0])
def test_every_point_of_the_circle_is_inside_the_box(lat, radius_m):
    box = search_box(113.65, lat, radius_m)
    if box is None:  # no useful box: near a pole or across the antimeridian
        assert abs(lat) + math.degrees(radius_m / 6_335_439.0) >= 89.0 or radius_m > 1e6
        return
    azimuths = np.linspace(0.0, 360.0, 7201)
    lon, lat2, _ = GEOD.fwd(np.full_like(azimuths, 113.65), np.full_like(azimuths, lat),
                            azimuths, np.full_like(azimuths, radius_m))
    assert (lon >= box[0]).all() and (lon <= box[2]).all()
    assert (lat2 >= box[1]).all() and (lat2 <= box[3]).all()


def test_the_box_is_tight():
    dlat, dlon = box_half_widths(34.75, 3000.0)
    # a 3 km circle at Zhengzhou spans 0.0270 deg of latitude and 0.0328 of longitude each way
    assert 0.0270 < float(dlat) < 0.0272 and 0.0326 < float(dlon) < 0.0330


def test_no_box_across_the_antimeridian_or_for_bad_input():
    assert search_box(179.99, 10.0, 3000.0) is None
    assert search_box(113.6, 91.0, 3000.0) is None
    assert search_box(113.6, 34.7, -1.0) is None
