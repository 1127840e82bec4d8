/* The patrol map's tracks as vector tiles (Leaflet.VectorGrid, vendored under static/vendor):
 * a full district day is ~2,000 lines of a few million fixes; tiles carry only what is in view,
 * simplified to half a pixel of the zoom (/api/patrols/{date}/tiles/{z}/{x}/{y}.pbf). */
(function () {
  "use strict";
  /* Leaflet 1.8+ dropped L.DomEvent.fakeStop, which VectorGrid 1.3 calls on clicks */
  if (L.DomEvent && !L.DomEvent.fakeStop) { L.DomEvent.fakeStop = function () { return true; }; }

  function trackTiles(map, control, day, staff) {
    if (!L.vectorGrid) { return null; }
    var url = "/api/patrols/" + encodeURIComponent(day) + "/tiles/{z}/{x}/{y}.pbf";
    var layer = L.vectorGrid.protobuf(url, {
      rendererFactory: L.canvas.tile,
      maxNativeZoom: 17,
      interactive: true,
      getFeatureId: function (f) { return f.properties.staff_id; },
      vectorTileLayerStyles: {tracks: {color: "#08519c", weight: 1, opacity: 0.6}},
      fetchOptions: {credentials: "same-origin"}
    });
    layer.on("click", function (e) {
      var p = (e.layer && e.layer.properties) || {};
      L.popup().setLatLng(e.latlng).setContent(window.miyun.esc(p.staff_id)).openOn(map);
    });
    layer.addTo(map);
    control.addOverlay(layer, "当日轨迹（" + staff + " 人）");
    return layer;
  }
  window.miyun = window.miyun || {};
  window.miyun.trackTiles = trackTiles;
})();
