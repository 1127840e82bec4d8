"""While the layers are edited (in QGIS, or by an import), the app serves the last valid ones and takes up
new ones once they validate."""

from __future__ import annotations

import httpx
import pyogrio
from conftest import start_server
from probes import free_port

from gis.layers import gpkg
from gis.auth.users import add_user, issue
from gis.ledger.db import Ledger


def test_the_app_keeps_serving_the_last_valid_layers(layers_copy, tmp_path):
    ledger = Ledger.in_dir(tmp_path / "data")
    add_user(ledger, by="tests", username="gis", role="gis_officer")
    token, _ = issue(ledger, "gis", kind="token")
    port = free_port()
    proc = start_server({"MIYUN_LAYERS": str(layers_copy), "MIYUN_DATA_DIR": str(tmp_path / "data")}, port)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", headers={"Authorization": f"Bearer {token}"},
                          timeout=120) as http:
            def village_names() -> set[str]:
                items = http.get("/collections/villages/items", params={"limit": 1000}).json()["features"]
                return {f["properties"]["name"] for f in items}

            original = village_names()
            good_grids = gpkg.read_layer(layers_copy, "grids")
            # a half-finished edit: two grids with one id (what a careless copy-paste in QGIS does)
            broken = good_grids.copy()
            broken.loc[broken.index[1], "grid_id"] = broken.loc[broken.index[0], "grid_id"]
            pyogrio.write_dataframe(broken, layers_copy, layer="grids", promote_to_multi=True,
                                    layer_options={"OVERWRITE": "YES"})
            assert village_names() == original  # still the last valid layers
            assert http.get("/collections/grids/items", params={"limit": 1}).json()["numberMatched"] == 160
            villages = gpkg.read_layer(layers_copy, "villages")
            villages.loc[villages.index[0], "name"] = "新改名村"
            source = tmp_path / "villages.geojson"
            villages.to_file(source, driver="GeoJSON")
            upload = {"file": ("villages.geojson", source.read_bytes())}
            refused = http.post("/api/layers/villages", files=upload)
            assert refused.status_code == 409  # the set as a whole (the grids) does not validate yet
            assert village_names() == original
            # the officer repairs the grids; the import now goes through and is served
            pyogrio.write_dataframe(good_grids, layers_copy, layer="grids", promote_to_multi=True,
                                    layer_options={"OVERWRITE": "YES"})
            accepted = http.post("/api/layers/villages", files=upload)
            assert accepted.status_code == 200 and accepted.json()["by"] == "gis"
            assert "新改名村" in village_names()
            audit = ledger.query("SELECT user, table_name, record_id, new FROM audit WHERE table_name = 'layers'")
            assert [(a["user"], a["record_id"]) for a in audit] == [("gis", "villages")]
            assert audit[0]["new"] == "158 features from villages.geojson"
    finally:
        proc.terminate()
        proc.wait(timeout=30)
