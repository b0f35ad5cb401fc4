"""Figures from the standards: HJ 633-2012 breakpoints, categories, GB 3095-2012 limits.

Concentrations are µg/m³ except CO, which is mg/m³, as both standards state them.

Sources
-------
* HJ 633-2012 《环境空气质量指数（AQI）技术规定（试行）》, table 1 (IAQI and the
  concentration limits at each step), table 2 (levels, categories, colours) and
  appendix A (the colours as RGB).
* GB 3095-2012 《环境空气质量标准》, table 1 (Grade II limits) and table 4 (data
  validity: 20 valid hours for a 24-h mean, 6 for an 8-h mean).
* HJ 663-2013 《环境空气质量评价技术规范（试行）》 for the ozone daily maximum 8-h mean:
  the 8-h means ending at 08:00 … 24:00 of the day, at least 14 of them valid.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "AVERAGINGS",
    "BREAKPOINTS",
    "CATEGORIES",
    "DAILY_MIN_HOURS",
    "GRADE_II_24H",
    "IAQI_STEPS",
    "O3_8H_MIN_HOURS",
    "O3_8H_MIN_WINDOWS",
    "POLLUTANTS",
    "AqiCategory",
]

POLLUTANTS: tuple[str, ...] = ("pm25", "pm10", "so2", "no2", "co", "o3")
"""The six pollutants of the AQI, in the order every table and column list uses."""

AVERAGINGS: tuple[str, ...] = ("1h", "8h", "24h")

IAQI_STEPS: tuple[int, ...] = (0, 50, 100, 150, 200, 300, 400, 500)
"""The IAQI at each breakpoint (HJ 633-2012 table 1, first row)."""

BREAKPOINTS: dict[tuple[str, str], tuple[float, ...]] = {
    ("so2", "24h"): (0, 50, 150, 475, 800, 1600, 2100, 2620),
    # The 1-h SO2 row stops at 800 (IAQI 200); above it the standard's note 2
    # sends the sub-index to the 24-h mean, handled in geo.air.aqi.
    ("so2", "1h"): (0, 150, 500, 650, 800),
    ("no2", "24h"): (0, 40, 80, 180, 280, 565, 750, 940),
    ("no2", "1h"): (0, 100, 200, 700, 1200, 2340, 3090, 3840),
    ("pm10", "24h"): (0, 50, 150, 250, 350, 420, 500, 600),
    ("co", "24h"): (0, 2, 4, 14, 24, 36, 48, 60),
    ("co", "1h"): (0, 5, 10, 35, 60, 90, 120, 150),
    ("o3", "1h"): (0, 160, 200, 300, 400, 800, 1000, 1200),
    # The 8-h O3 row stops at 800 (IAQI 300); above it note 3 reports the
    # 1-h O3 sub-index instead.
    ("o3", "8h"): (0, 100, 160, 215, 265, 800),
    ("pm25", "24h"): (0, 35, 75, 115, 150, 250, 350, 500),
}
"""Concentration at each IAQI step, keyed by (pollutant, averaging period)."""


@dataclass(frozen=True)
class AqiCategory:
    """One AQI level of HJ 633-2012 table 2.

    Attributes
    ----------
    level : int
        1 … 6 (一级 … 六级).
    roman : str
        "I" … "VI".
    low, high : int
        The AQI range, both ends included (the last ends at 500).
    name_zh, name_en : str
        The category name.
    rgb : tuple of int
        The standard colour (appendix A).
    """

    level: int
    roman: str
    low: int
    high: int
    name_zh: str
    name_en: str
    colour_zh: str
    rgb: tuple[int, int, int]

    @property
    def colour(self) -> str:
        """The colour as ``#RRGGBB``."""
        return "#{:02X}{:02X}{:02X}".format(*self.rgb)


CATEGORIES: tuple[AqiCategory, ...] = (
    AqiCategory(1, "I", 0, 50, "优", "Excellent", "绿色", (0, 228, 0)),
    AqiCategory(2, "II", 51, 100, "良", "Good", "黄色", (255, 255, 0)),
    AqiCategory(3, "III", 101, 150, "轻度污染", "Lightly polluted", "橙色", (255, 126, 0)),
    AqiCategory(4, "IV", 151, 200, "中度污染", "Moderately polluted", "红色", (255, 0, 0)),
    AqiCategory(5, "V", 201, 300, "重度污染", "Heavily polluted", "紫色", (153, 0, 76)),
    AqiCategory(6, "VI", 301, 500, "严重污染", "Severely polluted", "褐红色", (126, 0, 35)),
)

GRADE_II_24H: dict[str, float] = {
    "pm25": 75,
    "pm10": 150,
    "so2": 150,
    "no2": 80,
    "co": 4,
    # Ozone has no 24-h limit; its daily figure is the maximum 8-h mean.
    "o3": 160,
}
"""GB 3095-2012 Grade II limits for a day (O3: daily maximum 8-h mean)."""

DAILY_MIN_HOURS = 20
"""GB 3095-2012 table 4: a 24-h mean needs at least 20 valid hourly means."""

O3_8H_MIN_HOURS = 6
"""GB 3095-2012 table 4: an 8-h mean needs at least 6 valid hourly means."""

O3_8H_MIN_WINDOWS = 14
"""HJ 663-2013: the daily maximum needs at least 14 valid 8-h means of the 17."""
