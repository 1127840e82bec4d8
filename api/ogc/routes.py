"""The endpoints of OGC API – Features: landing page, conformance, collections, items, queryables.

Pages of items carry ``numberMatched``, ``numberReturned``, ``timeStamp`` and ``self`` /
``alternate`` / ``next`` / ``prev`` links, so that GDAL, QGIS and OWSLib page through everything.
Features are GeoJSON in the CRS asked for (``crs``, CRS84 by default) with a ``Content-Crs``
header; ids are stable (``grid_id`` for grids, the case id for cases).  Every parameter is
checked: a wrong or unknown one is a 400 with a JSON body.
"""

from __future__ import annotations

import json
import math
from datetime import datetime, timezone
from typing import Annotated

import numpy as np
import shapely
from fastapi import APIRouter, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.routing import APIRoute

from api.auth import CurrentUser
from api.errors import body
from api.ogc import cql, params
from api.ogc import crs as ogc_crs
from api.ogc.sources import COLLECTIONS, Collection, collection
from api.ogc.sources import Request as SourceRequest
from api.state import built_for_layers, layer_set
from gis.errors import NotFound
from gis.schema import DISTRICT, PROGRAMME_START

GEOJSON = "application/geo+json"
OPENAPI = "application/vnd.oai.openapi+json;version=3.0"
CONFORMANCE = (
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
    "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/filter",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/features-filter",
    "http://www.opengis.net/spec/cql2/1.0/conf/cql2-text",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-cql2",
    "http://www.opengis.net/spec/cql2/1.0/conf/advanced-comparison-operators",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions-plus",
)
ITEM_PARAMS = {"f", "limit", "offset", "bbox", "bbox-crs", "crs", "datetime", "filter", "filter-lang", "filter-crs",
               "simplify"}
PRECISION = {ogc_crs.STORAGE_URI: 0.01}  # metres; degrees otherwise
DEGREE_PRECISION = 1e-7


class OGCRoute(APIRoute):
    """A route whose request-validation errors are 400 (OGC API – Features), not FastAPI's 422."""

    def get_route_handler(self):
        handler = super().get_route_handler()

        async def route(request: Request) -> Response:
            try:
                return await handler(request)
            except RequestValidationError as err:
                details = [{"field": ".".join(str(p) for p in e.get("loc", [])[1:]), "problem": e.get("msg")}
                           for e in err.errors()]
                name = details[0]["field"] if details else None
                return JSONResponse(body("invalid_input", f"查询参数 {name} 的值无效", field=name, details=details),
                                    status_code=400)

        return route


router = APIRouter(tags=["OGC API – Features 要素服务"], route_class=OGCRoute)


def get_and_head(path: str, **options):
    """Register GET (documented) and HEAD (the same answer without a body) for ``path``."""
    def register(function):
        router.add_api_route(path, function, methods=["GET"], **options)
        router.add_api_route(path, function, methods=["HEAD"], include_in_schema=False, **options)
        return function
    return register


_BAD = {400: {"description": "无效或未知的查询参数 (invalid or unknown parameter)"},
        404: {"description": "没有这个集合或要素"}}


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _base(request: Request) -> str:
    return str(request.base_url).rstrip("/")


def _json(content, request: Request, media_type: str = "application/json", headers: dict | None = None) -> Response:
    text = content if isinstance(content, str) else json.dumps(content, ensure_ascii=False)
    return Response(text, media_type=media_type, headers=headers)


# --- content negotiation of the landing page ------------------------------------------------------


def _quality(accept: str, kinds: tuple[str, ...]) -> float:
    best = 0.0
    for part in accept.split(","):
        kind, *options = [p.strip() for p in part.split(";")]
        if kind.lower() in kinds:
            q = 1.0
            for option in options:
                if option.startswith("q="):
                    try:
                        q = float(option[2:])
                    except ValueError:
                        q = 0.0
            best = max(best, q)
    return best


def wants_json(request: Request) -> bool:
    """HTML (the map) for ``f=html`` or an Accept header that names text/html above JSON, as browsers send;
    JSON otherwise (``f=json``, ``Accept: application/json``, or no preference: ``*/*`` as OWSLib sends)."""
    chosen = request.query_params.get("f")
    if chosen:
        return chosen != "html"
    accept = request.headers.get("accept", "")
    html = _quality(accept, ("text/html",))
    return html == 0 or _quality(accept, ("application/json", GEOJSON)) > html


def landing_page(request: Request) -> Response:
    """The landing page as JSON (``/`` for GIS clients)."""
    params.check_known(request, {"f"})
    params.check_format(request.query_params.get("f"), {"json", "html"})
    base = _base(request)
    return _json({
        "title": "密云水库保水网格 GIS · OGC API – Features",
        "description": "密云水库保水网格的图层、案件与巡查：OGC API – Features（第 1 部分核心/GeoJSON/OpenAPI 3.0、"
                       "第 2 部分坐标系、第 3 部分 CQL2 过滤）。 Miyun water-protection grid layers, cases and patrols.",
        "links": [
            {"rel": "self", "type": "application/json", "title": "本页（JSON）", "href": f"{base}/?f=json"},
            {"rel": "alternate", "type": "text/html", "title": "总览图", "href": f"{base}/?f=html"},
            {"rel": "service-desc", "type": OPENAPI, "title": "OpenAPI 3.0 接口定义", "href": f"{base}/openapi.json"},
            {"rel": "service-doc", "type": "text/html", "title": "接口文档", "href": f"{base}/docs"},
            {"rel": "conformance", "type": "application/json", "title": "符合的标准类",
             "href": f"{base}/conformance"},
            {"rel": "data", "type": "application/json", "title": "集合", "href": f"{base}/collections"},
        ],
    }, request)


# --- conformance and collections -----------------------------------------------------------------


@get_and_head("/conformance", summary="符合的 OGC 标准类 (conformance)", responses=_BAD)
def conformance(request: Request, _user: CurrentUser, f: str | None = None) -> Response:
    params.check_known(request, {"f"})
    params.check_format(f)
    return _json({"conformsTo": list(CONFORMANCE)}, request)


def _reference_frame(c: Collection):
    return built_for_layers(f"ogc:frame:{c.id}", lambda _p: c.load(SourceRequest(user=None)))


def _district_bounds() -> tuple[float, float, float, float]:
    def build(_path):
        return tuple(layer_set().frames[DISTRICT.name].geometry.to_crs("OGC:CRS84").total_bounds)

    return built_for_layers("ogc:district_bounds", build)


def _spatial_extent(c: Collection) -> list[float]:
    if c.layer is None:
        return _outward(_district_bounds())

    def build(_path):
        frame = _reference_frame(c)
        if frame.empty:
            return _district_bounds()
        return tuple(frame.geometry.to_crs("OGC:CRS84").total_bounds)

    return _outward(built_for_layers(f"ogc:extent:{c.id}", build))


def _outward(bounds) -> list[float]:
    """Bounds rounded to 1e-6 degrees, outwards, so that the extent still holds every feature."""
    x1, y1, x2, y2 = (float(v) * 1e6 for v in bounds)
    return [math.floor(x1) / 1e6, math.floor(y1) / 1e6, math.ceil(x2) / 1e6, math.ceil(y2) / 1e6]


def _collection_json(c: Collection, base: str) -> dict:
    href = f"{base}/collections/{c.id}"
    extent = {"spatial": {"bbox": [_spatial_extent(c)], "crs": ogc_crs.CRS84}}
    if c.temporal:
        extent["temporal"] = {"interval": [[f"{PROGRAMME_START}T00:00:00Z", None]],
                              "trs": "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian"}
    return {
        "id": c.id, "title": c.title, "description": c.description, "itemType": "feature",
        "extent": extent, "crs": list(ogc_crs.SUPPORTED), "storageCrs": ogc_crs.STORAGE_URI,
        "links": [
            {"rel": "self", "type": "application/json", "title": c.title, "href": href},
            {"rel": "items", "type": GEOJSON, "title": f"{c.title}（GeoJSON）", "href": f"{href}/items"},
            {"rel": "http://www.opengis.net/def/rel/ogc/1.0/queryables", "type": "application/schema+json",
             "title": "可查询属性", "href": f"{href}/queryables"},
        ],
    }


@get_and_head("/collections", summary="集合（图层、案件、当日巡查）", responses=_BAD)
def collections(request: Request, _user: CurrentUser, f: str | None = None) -> Response:
    params.check_known(request, {"f"})
    params.check_format(f)
    base = _base(request)
    return _json({
        "links": [{"rel": "self", "type": "application/json", "title": "集合", "href": f"{base}/collections"}],
        "collections": [_collection_json(c, base) for c in COLLECTIONS.values()],
    }, request)


@get_and_head("/collections/{collectionId}", summary="一个集合的说明", responses=_BAD)
def one_collection(collectionId: str, request: Request, _user: CurrentUser, f: str | None = None) -> Response:  # noqa: N803
    params.check_known(request, {"f"})
    params.check_format(f)
    return _json(_collection_json(collection(collectionId), _base(request)), request)


@get_and_head("/collections/{collectionId}/queryables", summary="可在 filter 中使用的属性 (queryables, JSON Schema)", responses=_BAD)
def queryables(collectionId: str, request: Request, _user: CurrentUser, f: str | None = None) -> Response:  # noqa: N803
    params.check_known(request, {"f"})
    params.check_format(f)
    c = collection(collectionId)
    properties = {"geometry": {"title": "几何", "format": f"geometry-{c.geometry.lower()}",
                               "$ref": f"https://geojson.org/schema/{c.geometry}.json"}}
    for p in c.properties:
        entry = {"title": p.title, "type": p.type}
        if p.choices:
            entry["enum"] = list(p.choices)
        if p.format:
            entry["format"] = p.format
        properties[p.name] = entry
    return _json({"$schema": "https://json-schema.org/draft/2019-09/schema",
                  "$id": f"{_base(request)}/collections/{c.id}/queryables", "type": "object",
                  "title": c.title, "properties": properties, "additionalProperties": False},
                 request, media_type="application/schema+json")


# --- features -------------------------------------------------------------------------------------


def _serialise(frame, crs_uri: str, simplify: float | None = None) -> list[str]:
    """Each feature of ``frame`` (storage CRS, index = id) as GeoJSON text in ``crs_uri``."""
    if frame.empty:
        return []
    geoms = frame.geometry.array
    if simplify:
        geoms = shapely.simplify(np.asarray(geoms, dtype=object), simplify, preserve_topology=True)
    geoms = ogc_crs.from_storage(geoms, crs_uri)
    geoms = shapely.set_precision(geoms, PRECISION.get(crs_uri, DEGREE_PRECISION), mode="pointwise")
    shapes = shapely.to_geojson(geoms)
    attributes = frame.drop(columns=frame.geometry.name)
    records = json.loads(attributes.to_json(orient="records", date_format="iso", force_ascii=False,
                                            default_handler=str))
    return [f'{{"type":"Feature","id":{json.dumps(str(i), ensure_ascii=False)},"geometry":{s or "null"},'
            f'"properties":{json.dumps(r, ensure_ascii=False)}}}'
            for i, s, r in zip(frame.index, shapes, records)]


def _reference_features(c: Collection, crs_uri: str) -> list[str]:
    """A reference layer's features serialised once per version of the layers and CRS."""
    return built_for_layers(f"ogc:features:{c.id}:{crs_uri}", lambda _p: _serialise(_reference_frame(c), crs_uri))


def _link(request: Request, rel: str, title: str, media_type: str = GEOJSON, **changes) -> dict:
    url = request.url.include_query_params(**changes) if changes else request.url
    return {"rel": rel, "type": media_type, "title": title, "href": str(url)}


def _headers(crs_uri: str) -> dict:
    return {"Content-Crs": ogc_crs.header(crs_uri)}


ItemLimit = Annotated[int, Query(description=f"每页要素数；默认 {params.DEFAULT_LIMIT}，最大 {params.MAX_LIMIT}"
                                             f"（更大的值按最大值处理）",
                                 json_schema_extra={"minimum": 1, "maximum": params.MAX_LIMIT})]


@get_and_head("/collections/{collectionId}/items", response_class=Response,
                  summary="集合的要素（GeoJSON，分页）",
                  responses={200: {"description": "GeoJSON FeatureCollection（numberMatched、numberReturned、links）",
                                   "content": {GEOJSON: {"schema": {"type": "object"}}}}, **_BAD})
def items(collectionId: str, request: Request, user: CurrentUser,  # noqa: N803
          limit: ItemLimit = params.DEFAULT_LIMIT,
          offset: Annotated[int, Query(ge=0, description="跳过的要素数（分页用 next 链接即可）")] = 0,
          bbox: Annotated[str | None, Query(description="minx,miny,maxx,maxy（bbox-crs 的轴顺序，默认 CRS84 经度,纬度）")] = None,
          bbox_crs: Annotated[str | None, Query(alias="bbox-crs", description="bbox 的坐标系 URI")] = None,
          crs: Annotated[str | None, Query(description="输出坐标系 URI：CRS84（默认）、EPSG 4326、4490、4548")] = None,
          datetime_: Annotated[str | None, Query(alias="datetime", description="时间或区间（RFC 3339，a/b、../b）；"
                                                                               "按日的集合给一天 YYYY-MM-DD")] = None,
          filter_: Annotated[str | None, Query(alias="filter", description="CQL2 文本过滤，如 town='溪翁庄' AND kind='river'")] = None,
          filter_lang: Annotated[str | None, Query(alias="filter-lang", description="cql2-text")] = None,
          filter_crs: Annotated[str | None, Query(alias="filter-crs", description="filter 中几何的坐标系（默认 CRS84）")] = None,
          simplify: Annotated[float | None, Query(ge=0, le=1000, description="简化容差（米）")] = None,
          f: Annotated[str | None, Query(description="json 或 geojson")] = None) -> Response:
    params.check_known(request, ITEM_PARAMS)
    fmt = params.check_format(f)
    c = collection(collectionId)
    size = params.limit(limit)
    out_crs = params.crs(crs)
    box = params.bbox(bbox, bbox_crs)
    interval = params.interval(datetime_)
    if filter_lang is not None and filter_lang not in cql.FILTER_LANGS:
        raise params.ParameterError(f"filter-lang 只支持 cql2-text，收到 {filter_lang!r}", field="filter-lang")
    tree = cql.parse(filter_) if filter_ is not None else None
    where_crs = params.crs(filter_crs, "filter-crs")

    frame = _reference_frame(c) if c.layer is not None else c.load(SourceRequest(user, interval, simplify))
    rows = np.arange(len(frame))
    if box is not None:
        rows = np.sort(frame.sindex.query(box, predicate="intersects"))
    if tree is not None:
        subset = frame.iloc[rows]
        rows = rows[cql.mask(subset, tree, c.queryables, where_crs)]
    matched = len(rows)
    page = rows[offset: offset + size]
    if c.layer is not None and not simplify:
        every = _reference_features(c, out_crs)
        features = [every[i] for i in page]
    else:
        features = _serialise(frame.iloc[page], out_crs, simplify if c.layer is not None else None)
    media = GEOJSON if fmt == "geojson" or f is None else "application/json"
    links = [_link(request, "self", "本页", media),
             _link(request, "alternate", "本页（JSON）" if media == GEOJSON else "本页（GeoJSON）",
                   "application/json" if media == GEOJSON else GEOJSON, f="json" if media == GEOJSON else "geojson")]
    if offset + len(page) < matched:
        links.append(_link(request, "next", "下一页", media, offset=offset + size, limit=size))
    if offset > 0:
        links.append(_link(request, "prev", "上一页", media, offset=max(0, offset - size), limit=size))
    links.append({"rel": "collection", "type": "application/json", "title": c.title,
                  "href": f"{_base(request)}/collections/{c.id}"})
    head = json.dumps({"type": "FeatureCollection", "timeStamp": _now(), "numberMatched": matched,
                       "numberReturned": len(features), "links": links}, ensure_ascii=False)
    text = f'{head[:-1]},"features":[{",".join(features)}]}}'
    return Response(text, media_type=media, headers=_headers(out_crs))


@get_and_head("/collections/{collectionId}/items/{featureId}", response_class=Response,
                  summary="一个要素（GeoJSON）",
                  responses={200: {"description": "GeoJSON Feature", "content": {GEOJSON: {"schema": {"type": "object"}}}},
                             **_BAD})
def item(collectionId: str, featureId: str, request: Request, user: CurrentUser,  # noqa: N803
         crs: Annotated[str | None, Query(description="输出坐标系 URI")] = None,
         datetime_: Annotated[str | None, Query(alias="datetime", description="按日的集合：哪一天")] = None,
         f: Annotated[str | None, Query(description="json 或 geojson")] = None) -> Response:
    params.check_known(request, {"f", "crs", "datetime"})
    fmt = params.check_format(f)
    c = collection(collectionId)
    out_crs = params.crs(crs)
    interval = params.interval(datetime_)
    if c.by_day and interval is None and ":" in featureId:  # ids of the day's collections carry their day
        interval = params.interval(featureId.split(":", 1)[0])
    frame = _reference_frame(c) if c.layer is not None else c.load(SourceRequest(user, interval))
    if featureId not in frame.index:
        raise NotFound(f"集合 {c.id} 中没有要素 {featureId}", field="featureId", value=featureId)
    position = frame.index.get_loc(featureId)
    text = _serialise(frame.iloc[[position]], out_crs)[0]
    media = GEOJSON if fmt == "geojson" or f is None else "application/json"
    base = _base(request)
    links = [_link(request, "self", "本要素", media),
             {"rel": "collection", "type": "application/json", "title": c.title, "href": f"{base}/collections/{c.id}"}]
    text = f'{text[:-1]},"links":{json.dumps(links, ensure_ascii=False)}}}'
    return Response(text, media_type=media, headers=_headers(out_crs))
