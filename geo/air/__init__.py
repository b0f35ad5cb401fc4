"""Air quality at the stations (issue 15).

``aqi``: HJ 633-2012 sub-indices and AQI, hourly and daily, GB 3095-2012
validity and exceedances (figures in ``limits``).
``observations``: hourly readings checked, imported (CSV/XLSX, a live feed) and
read back (files read by ``observation_files``).
``rose``: pollution roses with CPF and the bivariate CBPF; ``attribution``: the
sources within a radius ranked by how upwind of the high hours they lie;
``plume``: a Gaussian plume that synthesises readings with a truth to find.

May import (rose, attribution, plume): numpy, pandas, geopandas, shapely, pyproj
and ``geo.radius``, ``geo.ledger``, ``geo.errors``; never a store, the web layer or maps.
"""

from geo.air.aqi import (
    DAILY_KEYS,
    AqiResult,
    category_of,
    daily_aqi,
    daily_frame,
    daily_values,
    exceeds,
    hourly_aqi,
    hourly_frame,
    iaqi,
    iaqi_array,
)
from geo.air.attribution import STATUS_WEIGHTS, Attribution, attribute, default_weights
from geo.air.limits import CATEGORIES, GRADE_II_24H, POLLUTANTS, AqiCategory
from geo.air.observations import (
    ObservationImport,
    ObservationsRejectedError,
    hourly_observations,
    import_observations,
    read_observations,
    record_observations,
)
from geo.air.plume import plume_concentration, random_winds, synthesise
from geo.air.rose import BivariateRose, Cell, Rose, Sector, cbpf, pollution_rose, sector_index

__all__ = [
    "CATEGORIES",
    "DAILY_KEYS",
    "GRADE_II_24H",
    "POLLUTANTS",
    "AqiCategory",
    "AqiResult",
    "ObservationImport",
    "ObservationsRejectedError",
    "category_of",
    "daily_aqi",
    "daily_frame",
    "daily_values",
    "exceeds",
    "hourly_aqi",
    "hourly_frame",
    "hourly_observations",
    "iaqi",
    "iaqi_array",
    "import_observations",
    "read_observations",
    "record_observations",
    "STATUS_WEIGHTS",
    "Attribution",
    "BivariateRose",
    "Cell",
    "Rose",
    "Sector",
    "attribute",
    "cbpf",
    "default_weights",
    "plume_concentration",
    "pollution_rose",
    "random_winds",
    "sector_index",
    "synthesise",
]
