"""Regions (GB/T 2260 administrative division codes) and the 37 authorities that recommend green factories.

The recommending authorities are the industry and IT departments of the 31 provinces, autonomous regions and
municipalities, of the 5 cities with separate planning status (计划单列市), and of the Xinjiang Production and
Construction Corps (XPCC). Taiwan (71), Hong Kong (81) and Macau (82) have GB/T 2260 codes but no authority.
The XPCC has no GB/T 2260 province code; 66 is the code ministries' reporting systems give it (inferred).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from types import MappingProxyType
from typing import Mapping

from ..policy.model import Label

_SIX_DIGITS = re.compile(r"[0-9]{6}")


@dataclass(frozen=True, slots=True)
class Authority:
    """A recommending authority, identified by its 6-digit GB/T 2260 code (660000 for the XPCC)."""

    code: str
    label: Label
    kind: str  # province | planning_city | xpcc


def _table(rows: tuple[tuple[str, str, str], ...]) -> Mapping[str, Label]:
    return MappingProxyType({code: Label(zh, en) for code, zh, en in rows})


# 2-digit province-level prefixes of GB/T 2260, with XPCC (66) alongside as the recommending systems list it.
PROVINCES: Mapping[str, Label] = _table((
    ("11", "北京市", "Beijing"), ("12", "天津市", "Tianjin"), ("13", "河北省", "Hebei"), ("14", "山西省", "Shanxi"),
    ("15", "内蒙古自治区", "Inner Mongolia"), ("21", "辽宁省", "Liaoning"), ("22", "吉林省", "Jilin"),
    ("23", "黑龙江省", "Heilongjiang"), ("31", "上海市", "Shanghai"), ("32", "江苏省", "Jiangsu"),
    ("33", "浙江省", "Zhejiang"), ("34", "安徽省", "Anhui"), ("35", "福建省", "Fujian"), ("36", "江西省", "Jiangxi"),
    ("37", "山东省", "Shandong"), ("41", "河南省", "Henan"), ("42", "湖北省", "Hubei"), ("43", "湖南省", "Hunan"),
    ("44", "广东省", "Guangdong"), ("45", "广西壮族自治区", "Guangxi"), ("46", "海南省", "Hainan"),
    ("50", "重庆市", "Chongqing"), ("51", "四川省", "Sichuan"), ("52", "贵州省", "Guizhou"), ("53", "云南省", "Yunnan"),
    ("54", "西藏自治区", "Xizang"), ("61", "陕西省", "Shaanxi"), ("62", "甘肃省", "Gansu"), ("63", "青海省", "Qinghai"),
    ("64", "宁夏回族自治区", "Ningxia"), ("65", "新疆维吾尔自治区", "Xinjiang"),
))
XPCC: Mapping[str, Label] = _table((("66", "新疆生产建设兵团", "Xinjiang Production and Construction Corps"),))
NO_AUTHORITY: Mapping[str, Label] = _table((
    ("71", "台湾省", "Taiwan"), ("81", "香港特别行政区", "Hong Kong SAR"), ("82", "澳门特别行政区", "Macau SAR"),
))
# 4-digit prefixes of the cities with separate planning status.
PLANNING_CITIES: Mapping[str, Label] = _table((
    ("2102", "大连市", "Dalian"), ("3302", "宁波市", "Ningbo"), ("3502", "厦门市", "Xiamen"),
    ("3702", "青岛市", "Qingdao"), ("4403", "深圳市", "Shenzhen"),
))


def _authorities() -> Mapping[str, Authority]:
    out = {f"{p}0000": Authority(f"{p}0000", label, "province") for p, label in PROVINCES.items()}
    out.update({f"{c}00": Authority(f"{c}00", label, "planning_city") for c, label in PLANNING_CITIES.items()})
    out.update({f"{x}0000": Authority(f"{x}0000", label, "xpcc") for x, label in XPCC.items()})
    return MappingProxyType(dict(sorted(out.items())))


AUTHORITIES: Mapping[str, Authority] = _authorities()  # the 37, by code


def region_problem(code: str) -> str | None:
    """None for a 6-digit code with a known province-level prefix, else one sentence saying what to do."""
    if not isinstance(code, str) or not _SIX_DIGITS.fullmatch(code):
        return "The region is a 6-digit GB/T 2260 code, e.g. 320500: write it as 6 digits."
    prefix = code[:2]
    if prefix not in PROVINCES and prefix not in XPCC and prefix not in NO_AUTHORITY:
        return f'"{prefix}" is not a province-level code of GB/T 2260: check the first two digits of the region.'
    return None


def authority_for(region_code: str) -> str:
    """The code of the authority that recommends an enterprise of this region, e.g. 330200 for 330212 (Ningbo).

    ValueError for a code that region_problem rejects, or for Taiwan, Hong Kong and Macau, which have none.
    """
    problem = region_problem(region_code)
    if problem:
        raise ValueError(problem)
    if region_code[:4] in PLANNING_CITIES:
        return f"{region_code[:4]}00"
    if region_code[:2] in NO_AUTHORITY:
        raise ValueError(f"No authority recommends green factories in {NO_AUTHORITY[region_code[:2]].en}.")
    return f"{region_code[:2]}0000"
