"""Open the server's OGC API – Features collections in real QGIS (run with Debian's /usr/bin/python3).

usage: qgis_oapif.py URL USER TOKEN AUTH_DIR
Makes a Basic authentication configuration (user name + API token), opens ``grids`` and ``cases``
through the OAPIF provider and prints one JSON object: validity, counts, a bbox request, a subset.
"""

import json
import os
import sys

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
url, user, token, auth_dir = sys.argv[1:5]
os.environ["QGIS_AUTH_DB_DIR_PATH"] = auth_dir

from qgis.core import (  # noqa: E402
    Qgis,
    QgsApplication,
    QgsAuthMethodConfig,
    QgsFeatureRequest,
    QgsRectangle,
    QgsVectorLayer,
)

app = QgsApplication([], False)
app.initQgis()
manager = QgsApplication.authManager()
manager.setMasterPassword("qgis-test-master", True)
config = QgsAuthMethodConfig()
config.setMethod("Basic")
config.setName("miyun-gis")
config.setConfig("username", user)
config.setConfig("password", token)
assert manager.storeAuthenticationConfig(config)[0], "auth config not stored"


def layer(typename, extra=""):
    uri = f"url='{url}' typename='{typename}' authcfg='{config.id()}'{extra}"
    return QgsVectorLayer(uri, typename, "OAPIF")


out = {"qgis": Qgis.QGIS_VERSION}
box = QgsRectangle(116.95, 40.50, 117.00, 40.55)
boxed = layer("grids")  # a fresh layer: the rectangle goes to the server as bbox
out["bbox_ids"] = sorted(f["grid_id"] for f in boxed.getFeatures(QgsFeatureRequest().setFilterRect(box)))
grids = layer("grids")
out["grids_valid"] = grids.isValid()
out["grids_error"] = grids.error().summary() if not grids.isValid() else ""
if grids.isValid():
    features = list(grids.getFeatures())
    out["grids_count"] = len(features)
    out["grids_ids"] = sorted(f["grid_id"] for f in features)
    out["grids_crs"] = grids.crs().authid()
    out["grids_geometry"] = grids.geometryType()
    subset = layer("grids")
    out["subset_set"] = subset.setSubsetString("\"town\" = '溪翁庄' AND \"kind\" = 'reservoir'")
    out["subset_ids"] = sorted(f["grid_id"] for f in subset.getFeatures())
cases = layer("cases")
out["cases_valid"] = cases.isValid()
if cases.isValid():
    out["cases_count"] = len(list(cases.getFeatures()))
    out["cases_fields"] = [f.name() for f in cases.fields()]
print(json.dumps(out, ensure_ascii=False))
