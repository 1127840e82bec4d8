"""Edit the grids layer in real QGIS, as an officer would (run with Debian's /usr/bin/python3).

usage: qgis_edit.py GPKG MODE GRID_A GRID_B X Y DX DY
  MODE topological: insert a vertex at (X, Y) on the edge grids A and B share,
       move it by (DX, DY) in both grids, move one staff quota from B to A.
  MODE overlap: the same vertex moved in grid A only (B keeps its edge).
  MODE inspect: print what QGIS sees of the layers and project (styles, aliases).
  MODE layers: open every layer of any GeoPackage (product output): validity, count, CRS.
Prints one JSON object.
"""

import json
import os
import sys

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from qgis.core import (  # noqa: E402
    QgsApplication,
    QgsCoordinateReferenceSystem,
    QgsMapRendererParallelJob,
    QgsMapSettings,
    QgsPointXY,
    QgsProject,
    QgsRectangle,
    QgsScaleCalculator,
    QgsUnitTypes,
    QgsVectorLayer,
)
from qgis.PyQt.QtCore import QSize  # noqa: E402
from qgis.PyQt.QtGui import QColor  # noqa: E402


def feature(layer, grid_id):
    return next(f for f in layer.getFeatures() if f["grid_id"] == grid_id)


def add_and_move_vertex(layer, feat, x, y, dx, dy):
    geom = feat.geometry()
    _, _, after_vertex, _ = geom.closestSegmentWithContext(QgsPointXY(x, y))
    assert geom.insertVertex(x, y, after_vertex), "insertVertex failed"
    assert geom.moveVertex(x + dx, y + dy, after_vertex), "moveVertex failed"
    assert layer.changeGeometry(feat.id(), geom)


def edit(path, mode, a, b, x, y, dx, dy):
    layer = QgsVectorLayer(f"{path}|layername=grids", "grids", "ogr")
    assert layer.isValid()
    layer.startEditing()
    fa, fb = feature(layer, a), feature(layer, b)
    add_and_move_vertex(layer, fa, x, y, dx, dy)
    if mode == "topological":
        add_and_move_vertex(layer, fb, x, y, dx, dy)
        staff = layer.fields().indexOf("staff_quota")
        layer.changeAttributeValue(fa.id(), staff, fa["staff_quota"] + 1)
        layer.changeAttributeValue(fb.id(), staff, fb["staff_quota"] - 1)
    ok = layer.commitChanges()
    return {"committed": ok, "errors": layer.commitErrors()}


def inspect(path):
    out = {}
    grids = QgsVectorLayer(f"{path}|layername=grids", "grids", "ogr")
    out["grids_valid"] = grids.isValid()
    out["grids_count"] = grids.featureCount()
    out["grids_renderer"] = grids.renderer().type()
    out["grids_categories"] = [c.value() for c in grids.renderer().categories()]
    out["grids_labels"] = grids.labelsEnabled()
    out["aliases"] = {f.name(): grids.attributeAlias(grids.fields().indexOf(f.name())) for f in grids.fields()}
    project = QgsProject.instance()
    out["project_read"] = project.read(path[: -len(".gpkg")] + ".qgs")
    out["project_layers"] = {layer.name(): layer.isValid() for layer in project.mapLayers().values()}
    out["project_order"] = [node.name() for node in project.layerTreeRoot().findLayers()]
    out["project_crs"] = project.crs().authid()
    out["project_units"] = QgsUnitTypes.toString(project.crs().mapUnits())
    view = project.viewSettings().defaultViewExtent()
    out["project_view_crs"] = view.crs().authid()
    calculator = QgsScaleCalculator(96, project.crs().mapUnits())  # a 1000-pixel-wide window at 96 dpi
    out["project_scale"] = calculator.calculate(view, 1000) if not view.isEmpty() else None
    settings = QgsMapSettings()
    settings.setLayers([node.layer() for node in project.layerTreeRoot().findLayers()])
    settings.setDestinationCrs(QgsCoordinateReferenceSystem("EPSG:4548"))
    extent = grids.extent()
    settings.setExtent(QgsRectangle(extent.xMinimum(), extent.yMinimum(), extent.xMaximum(), extent.yMaximum()))
    settings.setOutputSize(QSize(800, 600))
    settings.setBackgroundColor(QColor("white"))
    job = QgsMapRendererParallelJob(settings)
    job.start()
    job.waitForFinished()
    image = job.renderedImage()
    png = path[: -len(".gpkg")] + "_qgis.png"
    image.save(png)
    out["render"] = png
    return out


def open_all(path):
    from qgis.core import QgsProviderRegistry

    out = {}
    for sub in QgsProviderRegistry.instance().querySublayers(path):
        layer = QgsVectorLayer(f"{path}|layername={sub.name()}", sub.name(), "ogr")
        out[sub.name()] = {"valid": layer.isValid(), "count": layer.featureCount(),
                           "crs": layer.crs().authid(), "fields": [f.name() for f in layer.fields()]}
    return out


def main():
    app = QgsApplication([], False)
    app.initQgis()
    try:
        path, mode = sys.argv[1], sys.argv[2]
        if mode == "inspect":
            result = inspect(path)
        elif mode == "layers":
            result = open_all(path)
        else:
            a, b = sys.argv[3], sys.argv[4]
            x, y, dx, dy = map(float, sys.argv[5:9])
            result = edit(path, mode, a, b, x, y, dx, dy)
        print(json.dumps(result, ensure_ascii=False))
    finally:
        app.exitQgis()


if __name__ == "__main__":
    main()
