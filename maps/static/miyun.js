/* Dynamic layers of the Miyun pages: cases, heat, patrols, tracks, staff.
 * Data come from the app's own JSON routes; every user text is escaped before it reaches the DOM. */
(function () {
  "use strict";
  var ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"};
  function esc(value) {
    return String(value === null || value === undefined ? "" : value).replace(/[&<>"']/g, function (c) { return ENTITIES[c]; });
  }
  function note(text, isError) {
    var box = document.getElementById("miyun-status");
    if (!box) { return; }
    box.textContent = text;
    box.style.color = isError ? "#c00" : "#333";
  }
  function getJSON(url) {
    return fetch(url, {credentials: "same-origin"}).then(function (r) {
      return r.json().then(function (body) {
        if (!r.ok) { throw new Error((body.error && body.error.message) || r.statusText); }
        return body;
      });
    });
  }
  function casePopup(p, visits) {
    var rows = [["案件编号", p.case_id], ["类别", p.category_cn], ["状态", p.status_cn], ["镇", p.town],
                ["网格", p.grid_id || "网格外"], ["上报时间", p.reported_local], ["上报人", p.reporter],
                ["期限", p.deadline], ["逾期天数", p.days_overdue], ["应启动督办", p.escalation],
                ["轨迹到场核查", visits],
                ["屡拆屡建", p.repeat_of], ["情况", p.description]];
    return "<table class='miyun-popup'>" + rows.filter(function (r) { return r[1] !== null && r[1] !== undefined && r[1] !== ""; })
      .map(function (r) { return "<tr><th>" + esc(r[0]) + "</th><td>" + esc(r[1]) + "</td></tr>"; }).join("") + "</table>";
  }

  function visitsInto(popup, p) {  /* a construction case under a deadline: who came to the site (tracks, 50 m) */
    if (!p.self_due || popup.miyunVisits) { return; }
    popup.miyunVisits = true;
    getJSON("/api/cases/" + encodeURIComponent(p.case_id) + "/visits").then(function (v) {
      popup.setContent(casePopup(p, v.summary));
    }).catch(function () { popup.miyunVisits = false; });
  }

  function cases(map, control, opts) {
    var query = opts.passQuery ? window.location.search.replace(/^\?/, "") : "";
    var url = opts.url + (query ? (opts.url.indexOf("?") >= 0 ? "&" : "?") + query : "");
    getJSON(url).then(function (fc) {
      var groups = {}, heat = [];
      fc.features.forEach(function (f) {
        var p = f.properties, c = f.geometry.coordinates;
        var group = groups[p.category];
        if (!group) {
          group = groups[p.category] = {layer: opts.cluster ? L.markerClusterGroup({showCoverageOnHover: false}) : L.layerGroup(), n: 0};
        }
        group.n += 1;
        var colour = (opts.colours || {})[p.category] || "#d7191c";
        L.circleMarker([c[1], c[0]], {radius: 6, color: "#222", weight: 1, fillColor: colour, fillOpacity: 0.9})
          .bindPopup(casePopup(p), {maxWidth: 320}).on("popupopen", function (e) { visitsInto(e.popup, p); })
          .addTo(group.layer);
        heat.push([c[1], c[0], 1]);
      });
      Object.keys(groups).forEach(function (category) {
        var g = groups[category];
        g.layer.addTo(map);
        control.addOverlay(g.layer, "案件·" + esc((opts.labels || {})[category] || category) + "（" + g.n + "）");
      });
      if (opts.heat && heat.length && L.heatLayer) {
        var layer = L.heatLayer(heat, {radius: 25, blur: 20, minOpacity: 0.3}).addTo(map);
        control.addOverlay(layer, "案件热力图");
      }
      note((opts.title || "案件") + "：" + fc.features.length + " 件", false);
    }).catch(function (e) { note("案件加载失败：" + (e && (e.message || String(e))), true); });
  }

  function colourOf(value, stops) {
    for (var i = 0; i < stops.length; i++) { if (value <= stops[i][0]) { return stops[i][1]; } }
    return stops[stops.length - 1][1];
  }
  var COVERAGE = [[0.2, "#d7191c"], [0.4, "#fdae61"], [0.6, "#ffffbf"], [0.8, "#a6d96a"], [1.01, "#1a9641"]];
  var GAPS = [[0, "#1a9641"], [2, "#a6d96a"], [6, "#fdae61"], [24, "#d7191c"]];

  function gridPopup(id, f) {
    if (!f) { return "<b>" + esc(id) + "</b><br>当日无巡查数据"; }
    var rows = [["网格", id], ["到岗人数", f.staff_present], ["网格内巡查里程(公里)", f.patrol_km],
                ["网格内巡查时长(小时)", f.hours_inside], ["无人时段数(小时)", f.uncovered_hours],
                ["无人时段", f.uncovered_list], ["轨迹50米覆盖率", Math.round((f.coverage_50m || 0) * 100) + "%"],
                ["经过界桩", f.markers_passed + "/" + f.markers_total], ["经过进出口", f.gates_passed + "/" + f.gates_total],
                ["多半时间不在本网格", f.staff_away], ["虚假巡查疑点（待核实）", f.fake_suspects]];
    return "<table class='miyun-popup'>" + rows.map(function (r) {
      return "<tr><th>" + esc(r[0]) + "</th><td>" + esc(r[1]) + "</td></tr>"; }).join("") + "</table>";
  }

  function patrols(map, control, opts) {
    var params = new URLSearchParams(window.location.search);
    var day = params.get("date") || opts.today;
    var input = document.getElementById("miyun-date");
    if (input) { input.value = day; }
    Promise.all([getJSON("/collections/grids/items?limit=1000&simplify=5"), getJSON("/api/patrols/" + encodeURIComponent(day))])
      .then(function (results) {
        var grids = results[0], figures = {};
        results[1].grids.forEach(function (g) { figures[g.grid_id] = g; });
        function layer(title, styleOf) {
          var l = L.geoJSON(grids, {
            style: function (feature) {
              var f = figures[feature.properties.grid_id];
              return {color: "#333", weight: 1, fillOpacity: 0.65, fillColor: f ? styleOf(f) : "#999"};
            },
            onEachFeature: function (feature, lyr) {
              lyr.bindPopup(gridPopup(feature.properties.grid_id, figures[feature.properties.grid_id]), {maxWidth: 340});
            }
          });
          control.addOverlay(l, title);
          return l;
        }
        layer("网格：轨迹50米覆盖率", function (f) { return colourOf(f.coverage_50m || 0, COVERAGE); }).addTo(map);
        layer("网格：24小时无人时段", function (f) { return colourOf(f.uncovered_hours || 0, GAPS); });
        note(day + "：" + results[1].grids.length + " 个网格，" + results[1].staff + " 名保水员有轨迹", false);
        return getJSON("/api/patrols/" + encodeURIComponent(day) + "/tracks?tolerance=40");
      })
      .then(function (tracks) {
        var l = L.geoJSON(tracks, {style: {color: "#08519c", weight: 1, opacity: 0.6},
          onEachFeature: function (feature, lyr) { lyr.bindTooltip(esc(feature.properties.staff_id)); }});
        l.addTo(map);
        control.addOverlay(l, "当日轨迹（" + tracks.features.length + " 人）");
      })
      .catch(function (e) { note(day + "：" + e.message, true); });
  }

  function gridDetail(map, control, opts) {
    cases(map, control, {url: "/api/cases/geojson?open=true&grid=" + encodeURIComponent(opts.grid), labels: opts.labels,
                         colours: opts.colours, title: opts.grid + " 未结案件"});
    getJSON("/api/staff?grid_id=" + encodeURIComponent(opts.grid)).then(function (body) {
      var box = document.getElementById("miyun-staff");
      if (!box) { return; }
      var names = body.items.map(function (s) { return esc(s.staff_id) + (s.name ? " " + esc(s.name) : "") + (s.role === "leader" ? "（网格长）" : ""); });
      box.innerHTML = "<b>本网格保水员（" + body.count + " 人）</b>" + (body.basis ? "<br><small>" + esc(body.basis) + "</small>" : "") +
        "<div style='max-height:160px;overflow:auto'>" + names.join("<br>") + "</div>";
    }).catch(function (e) { note("保水员加载失败：" + e.message, true); });
    getJSON("/api/patrols/" + encodeURIComponent(opts.today) + "/tracks?grid=" + encodeURIComponent(opts.grid))
      .then(function (tracks) {
        var l = L.geoJSON(tracks, {style: {color: "#08519c", weight: 2, opacity: 0.7}}).addTo(map);
        control.addOverlay(l, "今日轨迹（" + tracks.features.length + " 人）");
      }).catch(function () { /* no tracks today is normal */ });
  }

  /* Geometry simplified per zoom: the page carries outlines simplified for the district's zoom levels;
   * closer in, the outlines of what is in view are fetched simplified to half a screen pixel. */
  function detail(map, control, opts) {
    var group = L.layerGroup(), pending = 0;
    control.addOverlay(group, "精细边界（放大后）");
    group.addTo(map);
    function refresh() {
      var ticket = ++pending;
      if (map.getZoom() < opts.minZoom) { group.clearLayers(); return; }
      var b = map.getBounds(), metresPerPixel = 156543 * Math.cos(map.getCenter().lat * Math.PI / 180) / Math.pow(2, map.getZoom());
      var bbox = [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map(function (v) { return v.toFixed(5); }).join(",");
      Promise.all(opts.layers.map(function (name) {
        return getJSON("/collections/" + name + "/items?limit=1000&bbox=" + bbox + "&simplify=" + (metresPerPixel / 2).toFixed(2));
      })).then(function (collections) {
        if (ticket !== pending) { return; }
        group.clearLayers();
        collections.forEach(function (fc) {
          L.geoJSON(fc, {interactive: false, style: {color: "#000", weight: 1.2, fill: false, opacity: 0.8}}).addTo(group);
        });
      }).catch(function () { /* keep the coarse outlines */ });
    }
    map.on("moveend", refresh);
    refresh();
  }

  window.miyun = {esc: esc, cases: cases, patrols: patrols, gridDetail: gridDetail, detail: detail};
})();
