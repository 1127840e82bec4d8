"""CQL2 text filters (OGC API – Features Part 3), parsed by pygeofilter and evaluated as masks.

The parse is pygeofilter's (``cql2_text``); the evaluation is its geopandas backend, told which
properties a collection offers (its queryables), that spatial literals are in ``filter-crs``
(CRS84 by default) and that LIKE's single-character wildcard is ``_`` as CQL2 says.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import shapely
from lark.exceptions import LarkError
from pygeofilter import ast, values
from pygeofilter.backends.evaluator import handle
from pygeofilter.backends.geopandas import filters
from pygeofilter.backends.geopandas.evaluate import GeoPandasEvaluator
from pygeofilter.parsers.cql2_text import parse as parse_cql2_text
from shapely import geometry as shapely_geometry

from api.ogc import crs as ogc_crs
from api.ogc.params import ParameterError

GEOMETRY = "geometry"
MAX_FILTER_CHARS = 10_000
FILTER_LANGS = ("cql2-text",)


def parse(text: str):
    """The AST of a CQL2 text filter; a 400 naming the position when it does not parse."""
    if len(text) > MAX_FILTER_CHARS:
        raise ParameterError(f"filter 过长（超过 {MAX_FILTER_CHARS} 个字符）", field="filter")
    try:
        return parse_cql2_text(text)
    except (LarkError, ValueError, TypeError, RecursionError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ParameterError(f"filter 不是有效的 CQL2 文本：{first}", field="filter", value=text) from None


class _Evaluator(GeoPandasEvaluator):
    """pygeofilter's geopandas evaluator over a collection's own properties, literals in filter-crs."""

    def __init__(self, frame, queryables: set[str], filter_crs: str):
        super().__init__(frame, None, {"bbox": self._bbox_function})
        self.queryables = queryables
        self.filter_crs = filter_crs

    def _literal_geometry(self, geom):
        return ogc_crs.to_storage(geom, self.filter_crs)

    def _bbox_function(self, *numbers):
        if len(numbers) == 6:
            numbers = (numbers[0], numbers[1], numbers[3], numbers[4])
        if len(numbers) != 4:
            raise ParameterError("BBOX 须有 4 个（或 6 个）数", field="filter")
        return self._literal_geometry(shapely.box(*numbers))

    @handle(ast.Attribute)
    def attribute(self, node):
        name = node.name
        if name in (GEOMETRY, "geom", "geometry_column"):
            return self.df.geometry
        if name not in self.queryables:
            raise ParameterError(f"filter 中的属性 {name!r} 不可查询；可查询：{'、'.join(sorted(self.queryables))}",
                                 field="filter", value=name)
        return self.df[name]

    @handle(ast.Like)
    def like(self, node, lhs):
        return filters.like(lhs.astype("string"), node.pattern, node.nocase, node.wildcard, "_",
                            node.escapechar, node.not_).fillna(False)

    @handle(values.Geometry)
    def geometry(self, node):
        return self._literal_geometry(shapely_geometry.shape(node))

    @handle(values.Envelope)
    def envelope(self, node):
        return self._literal_geometry(shapely.box(node.x1, node.y1, node.x2, node.y2))

    @handle(ast.BBox)
    def bbox(self, node, lhs):
        return lhs.intersects(self._literal_geometry(shapely.box(node.minx, node.miny, node.maxx, node.maxy)))

    @handle(ast.TemporalPredicate, subclasses=True)
    def temporal(self, node, lhs, rhs):
        raise ParameterError("不支持时间谓词（T_…）；请用 datetime 参数或比较运算", field="filter")


def mask(frame, tree, queryables: set[str], filter_crs: str) -> np.ndarray:
    """Which rows of ``frame`` (storage CRS) satisfy the parsed filter."""
    try:
        result = _Evaluator(frame, queryables, filter_crs).evaluate(tree)
    except ParameterError:
        raise
    except (TypeError, ValueError, KeyError, AttributeError) as exc:
        raise ParameterError(f"filter 无法对此图层求值（类型不符？）：{exc}", field="filter") from None
    if isinstance(result, (bool, np.bool_)):
        return np.full(len(frame), bool(result))
    if not isinstance(result, (pd.Series, np.ndarray)):
        raise ParameterError("filter 的结果不是真假判断", field="filter")
    return np.asarray(pd.Series(result).fillna(False).astype(bool))
