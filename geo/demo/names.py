"""Synthetic Chinese names and addresses for the demonstration ledger.

Shop names are assembled from common surnames, name patterns and dishes of
Zhengzhou's street food; none is meant to be a real business. Addresses name
real roads of the district with made-up house numbers, marked （演示）.
"""

from __future__ import annotations

import numpy as np

SURNAMES = tuple("王李张刘陈杨赵黄周吴徐孙马朱胡郭何高林罗郑梁宋谢韩冯于董程曹")
PATTERNS = ("老{s}家", "{s}记", "{s}家", "老{s}", "{s}师傅", "{s}大姐")
BRAND_WORDS = tuple(
    "豫香 中州 嵩山 西郊 绿城 商都 百味 乡味 好运来 福满园 聚贤 一品 川味 湘里 西北 "
    "老街坊 小馆 邻家 鑫源 德顺 味之源 金桥 福临门 惠民 同乐 众口 食为先 悦来 兴隆 和记".split()
)
DISHES = tuple(
    "烩面馆 胡辣汤 家常菜馆 羊肉汤馆 牛肉拉面 饺子馆 川菜馆 火锅店 "
    "米线店 包子铺 黄焖鸡米饭 烧饼店 小吃店 凉皮店 砂锅店 面馆 "
    "卤面馆 蒸菜馆 快餐店 炒菜馆 水煎包 烤鸭店 麻辣烫 酸菜鱼 "
    "蒸饺馆 馄饨店 刀削面 焖饼 炸酱面 冒菜 烤肉饭 土菜馆 汤包馆 浆面条".split()
)
CHINESE_ORDINALS = ("", "", "二", "三", "四", "五", "六", "七", "八", "九", "十")


class NameBook:
    """Hand out unique shop names; a repeated name becomes a branch (分店) of a road."""

    def __init__(self) -> None:
        self._seen: set[str] = set()

    def unique(self, base: str, road: str) -> str:
        """Return ``base`` or, when taken, ``base（road店）``, ``base（road二店）`` ..."""
        candidates = [base] + [
            f"{base}（{road}{CHINESE_ORDINALS[k]}店）" for k in range(1, len(CHINESE_ORDINALS))
        ]
        for name in candidates:
            if name not in self._seen:
                self._seen.add(name)
                return name
        k = 11
        while f"{base}（{road}{k}店）" in self._seen:
            k += 1
        name = f"{base}（{road}{k}店）"
        self._seen.add(name)
        return name


def brand(rng: np.random.Generator) -> str:
    """Return a shop brand: a surname pattern (老王家, 张记...) or a word (豫香, 中州...)."""
    if rng.random() < 0.8:
        pattern = PATTERNS[int(rng.integers(len(PATTERNS)))]
        return pattern.format(s=SURNAMES[int(rng.integers(len(SURNAMES)))])
    return BRAND_WORDS[int(rng.integers(len(BRAND_WORDS)))]


def catering_base(rng: np.random.Generator) -> str:
    """Return a catering name before de-duplication, e.g. ``张记烩面馆``."""
    return brand(rng) + DISHES[int(rng.integers(len(DISHES)))]


def address(road: str, rng: np.random.Generator, *, suffix: str = "") -> str:
    """Return a demonstration address on ``road``, e.g. ``中原区建设西路123号（演示）``."""
    number = int(rng.integers(1, 400))
    return f"中原区{road}{number}号{suffix}（演示）"
