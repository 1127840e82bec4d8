/* Dynamic layers of the Miyun pages: cases, heat, patrols, tracks, staff; and the page furniture
 * (legend that follows the switched-on layers, collision-free labels, metric scale, collapsible panels).
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
        if (!r.ok) {
          var err = new Error((body.error && body.error.message) || r.statusText);
          err.status = r.status;
          throw err;
        }
        return body;
      });
    });
  }
  function blank(v) { return v === null || v === undefined || v === "" || (typeof v === "number" && isNaN(v)); }
  function table(rows) {
    return "<table class='miyun-popup'>" + rows.filter(function (r) { return !blank(r[1]); })
      .map(function (r) { return "<tr><th>" + esc(r[0]) + "</th><td" + (r[2] ? " class='" + r[2] + "'" : "") + ">" +
        esc(r[1]) + "</td></tr>"; }).join("") + "</table>";
  }

  /* Dates are shown and entered as YYYY-MM-DD whatever the browser's locale. */
  var DAY = /^\d{4}-\d{2}-\d{2}$/;
  function shiftDay(day, n) {
    var d = new Date(day + "T00:00:00Z");
    d.setUTCDate(d.getUTCDate() + n);
    return d.toISOString().slice(0, 10);
  }
  function todayLocal() {  /* Asia/Shanghai calendar day */
    return new Date(Date.now() + 8 * 3600 * 1000).toISOString().slice(0, 10);
  }
  function chosenDay(fallback) {
    var day = new URLSearchParams(window.location.search).get("date");
    return day && DAY.test(day) ? day : fallback;
  }
  function dateControl(day) {
    var input = document.getElementById("miyun-date");
    if (!input) { return; }
    input.value = day;
    Array.prototype.forEach.call(document.querySelectorAll("[data-shift]"), function (b) {
      b.addEventListener("click", function (e) {
        e.preventDefault();
        var base = DAY.test(input.value) ? input.value : day;
        input.value = shiftDay(base, parseInt(b.getAttribute("data-shift"), 10));
        input.form.submit();
      });
    });
  }

  /* -- legend: one entry per overlay that is switched on ------------------------------------- */
  var legendEntries = [];
  var legendMap = null;
  function swatch(s) {
    var stroke = s.stroke || "#555";
    if (s.shape === "line") {
      return "<i class='miyun-sw-line' style='border-top:3px " + (s.dash ? "dashed " : "solid ") + esc(stroke) + "'></i>";
    }
    if (s.shape === "dot") {
      return "<i class='miyun-sw-dot' style='background:" + esc(s.fill || "#fff") + ";border-color:" + esc(stroke) + "'></i>";
    }
    if (s.shape === "text") { return "<i class='miyun-sw-text'>" + esc(s.text || "Aa") + "</i>"; }
    if (s.shape === "ramp") {
      return "<i class='miyun-sw-ramp' style='background:linear-gradient(90deg," + s.colours.map(esc).join(",") + ")'></i>";
    }
    return "<i style='background:" + esc(s.fill || "transparent") + ";border:" + (s.width || 1) + "px " +
      (s.dash ? "dashed " : "solid ") + esc(stroke) + "'></i>";
  }
  function renderLegend() {
    var box = document.getElementById("miyun-legend-items");
    if (!box || !legendMap) { return; }
    box.innerHTML = legendEntries.filter(function (e) { return legendMap.hasLayer(e.layer); }).map(function (e) {
      var items = e.items || [];
      if (items.length === 1 && !items[0].label) {
        return "<div class='miyun-legend-entry' data-layer='" + esc(e.title) + "'>" + swatch(items[0]) + esc(e.title) + "</div>";
      }
      return "<div class='miyun-legend-entry" + (items.length > 3 ? " miyun-many" : "") + "' data-layer='" + esc(e.title) +
        "'><b>" + esc(e.title) + "</b>" + items.map(function (s) { return "<div>" + swatch(s) + esc(s.label) + "</div>"; }).join("") + "</div>";
    }).join("");
  }
  function legend(layer, title, items) {
    legendEntries.push({layer: layer, title: title, items: items});
    renderLegend();
  }
  /* Add a layer to the map's layer control and to the legend, with one title. */
  function overlay(map, control, layer, title, items, show) {
    control.addOverlay(layer, title);
    legend(layer, title, items);
    if (show !== false) { layer.addTo(map); }
    return layer;
  }

  /* -- grid labels: placed greedily in priority order, only where they fit at this zoom --------- */
  var LABEL_FONT = "11px sans-serif", LABEL_H = 14, LABEL_GAP = 3;
  function labels(map, control, opts) {
    var pane = map.getPane("miyunLabels");
    var ctx = document.createElement("canvas").getContext("2d");
    ctx.font = LABEL_FONT;
    var widths = opts.points.map(function (p) { return Math.ceil(ctx.measureText(p[2]).width) + 6; });
    var group = L.layerGroup();
    function place() {
      group.clearLayers();
      if (!map.hasLayer(group)) { return; }
      var size = map.getSize(), placed = [];
      opts.points.forEach(function (p, i) {
        var pt = map.latLngToContainerPoint([p[0], p[1]]), w = widths[i];
        var box = [pt.x - w / 2, pt.y - LABEL_H / 2, pt.x + w / 2, pt.y + LABEL_H / 2];
        if (box[2] < 0 || box[0] > size.x || box[3] < 0 || box[1] > size.y) { return; }
        for (var j = 0; j < placed.length; j++) {
          var b = placed[j];
          if (box[0] < b[2] + LABEL_GAP && b[0] < box[2] + LABEL_GAP && box[1] < b[3] + LABEL_GAP && b[1] < box[3] + LABEL_GAP) { return; }
        }
        placed.push(box);
        L.marker([p[0], p[1]], {pane: "miyunLabels", interactive: false, keyboard: false, icon: L.divIcon({
          className: "miyun-label", html: esc(p[2]), iconSize: [w, LABEL_H], iconAnchor: [w / 2, LABEL_H / 2]})}).addTo(group);
      });
    }
    overlay(map, control, group, opts.title, [{shape: "text", text: opts.points.length ? opts.points[0][2] : "XWZ-K01"}]);
    map.on("zoomend moveend overlayadd", place);
    map.whenReady(place);
    return pane;
  }

  /* -- the page: panes, scale, credits, collapsible panels, legend of the static layers --------- */
  function page(map, control, opts, layers, coarse) {
    legendMap = map;
    [["miyunHeat", 420], ["miyunLabels", 440], ["miyunCases", 460]].forEach(function (p) {
      var pane = map.createPane(p[0]);
      pane.style.zIndex = p[1];
      pane.style.pointerEvents = "none";  /* only the case markers themselves take clicks */
    });
    L.control.scale({metric: true, imperial: false, position: "bottomleft"}).addTo(map);
    if (opts.credits) { map.attributionControl.addAttribution(opts.credits); }
    layers.forEach(function (l) { legend(l.layer, l.title, l.items); });
    map.on("overlayadd overlayremove layeradd layerremove", renderLegend);
    var small = window.innerWidth < 760 || window.innerHeight < 560;
    var box = control.getContainer();
    var head = L.DomUtil.create("a", "miyun-layers-head", box);
    head.href = "#";
    head.textContent = "图层";
    box.insertBefore(head, box.firstChild);
    L.DomEvent.on(head, "click", function (e) {
      L.DomEvent.preventDefault(e);
      L.DomUtil.hasClass(box, "miyun-closed") ? L.DomUtil.removeClass(box, "miyun-closed") : L.DomUtil.addClass(box, "miyun-closed");
    });
    L.DomEvent.disableClickPropagation(box);
    if (small) {
      L.DomUtil.addClass(box, "miyun-closed");
      var details = document.getElementById("miyun-legend-box");
      if (details) { details.removeAttribute("open"); }
    }
    if (opts.labels) { labels(map, control, opts.labels); }
    var focused = focusTest(opts.focus), outlines = coarseOutlines(coarse || [], focused);
    if (opts.detail) { detail(map, control, opts.detail, outlines, focused); }
    window.miyunPage = {map: map, control: control};
    renderLegend();
  }

  /* The grids the page is about are outlined by the focus layer alone: their other outlines lose the stroke. */
  function focusTest(focus) {
    var ids = {};
    ((focus && focus.ids) || []).forEach(function (id) { ids[id] = true; });
    return function (feature) { return !!(feature && feature.properties && ids[feature.properties[focus.field]]); };
  }
  /* The coarse layers' style drops the stroke of the focused grids, and of all once the detail outlines are
   * drawn: a reset (zooming, the end of a hover highlight) keeps to it.  Returns the switch to the detail. */
  function coarseOutlines(coarse, focused) {
    var fine = false;
    coarse.forEach(function (l) {
      if (!l.resetStyle) { return; }
      var base = l.options.style;
      l.options.style = function (feature) {
        var s = L.extend({}, typeof base === "function" ? base(feature) : base);
        if (fine || focused(feature)) { s.stroke = false; }
        return s;
      };
      l.resetStyle();
    });
    return function (on) {
      fine = on;
      coarse.forEach(function (l) { if (l.resetStyle) { l.resetStyle(); } });
    };
  }

  /* -- cases ------------------------------------------------------------------------------------ */
  function caseDue(p) { return p.due || p.deadline; }
  function casePopup(p, visits) {
    var late = p.days_overdue > 0;
    return (late ? "<div class='miyun-overdue'>已逾期 " + esc(p.days_overdue) + " 天</div>" : "") +
      table([["案件编号", p.case_id], ["类别", p.category_cn], ["状态", p.status_cn], ["镇", p.town],
             ["网格", p.grid_id || "网格外"], ["上报时间", p.reported_local], ["上报人", p.reporter],
             ["期限", caseDue(p), late ? "miyun-late" : ""], ["逾期天数", late ? p.days_overdue : null, "miyun-late"],
             ["应办事项", p.next_action], ["应启动督办", p.escalation], ["轨迹到场核查", visits], ["屡拆屡建", p.repeat_of], ["情况", p.description]]);
  }
  var LIST_COLUMNS = [["case_id", "编号"], ["category_cn", "类别"], ["status_cn", "状态"], ["due", "期限"],
                      ["days_overdue", "逾期(天)"], ["grid_id", "网格"]];
  function caseList(map, rows) {
    var box = document.getElementById("miyun-case-list");
    if (!box) { return; }
    var key = "days_overdue", descending = true;
    function value(r, k) { return k === "due" ? caseDue(r.p) : r.p[k]; }
    function draw() {
      rows.sort(function (a, b) {
        var x = value(a, key), y = value(b, key);
        if (blank(x) && blank(y)) { return a.p.case_id < b.p.case_id ? -1 : 1; }
        if (blank(x)) { return 1; }
        if (blank(y)) { return -1; }
        return (x < y ? -1 : x > y ? 1 : 0) * (descending ? -1 : 1);
      });
      box.innerHTML = "<table class='miyun-list'><thead><tr>" + LIST_COLUMNS.map(function (c) {
        return "<th data-key='" + c[0] + "'>" + esc(c[1]) + (c[0] === key ? (descending ? " ▼" : " ▲") : "") + "</th>"; }).join("") +
        "</tr></thead><tbody>" + rows.map(function (r, i) {
          var late = r.p.days_overdue > 0;
          return "<tr data-row='" + i + "' data-case='" + esc(r.p.case_id) + "'" + (late ? " class='miyun-late'" : "") + ">" +
            LIST_COLUMNS.map(function (c) {
              var v = value(r, c[0]);
              if (c[0] === "days_overdue") { v = late ? "⚠ " + v : ""; }
              return "<td>" + esc(v) + "</td>";
            }).join("") + "</tr>";
        }).join("") + "</tbody></table>";
    }
    box.addEventListener("click", function (e) {
      var th = e.target.closest("th"), tr = e.target.closest("tr[data-row]");
      if (th) {
        var k = th.getAttribute("data-key");
        descending = k === key ? !descending : k === "days_overdue";
        key = k;
        draw();
      } else if (tr) {
        var r = rows[parseInt(tr.getAttribute("data-row"), 10)];
        select(r.p.case_id);
        var show = function () { r.marker.openPopup(); };
        if (r.group && r.group.zoomToShowLayer) { r.group.zoomToShowLayer(r.marker, show); }
        else { map.setView(r.marker.getLatLng(), Math.max(map.getZoom(), 14)); show(); }
      }
    });
    function select(caseId) {
      Array.prototype.forEach.call(box.querySelectorAll("tr.miyun-selected"), function (t) { t.classList.remove("miyun-selected"); });
      var tr = box.querySelector("tr[data-case='" + caseId.replace(/'/g, "") + "']");
      if (tr) { tr.classList.add("miyun-selected"); tr.scrollIntoView({block: "nearest"}); }
    }
    rows.forEach(function (r) { r.marker.on("click popupopen", function () { select(r.p.case_id); }); });
    draw();
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
    var renderer = L.svg({pane: "miyunCases"});
    Promise.all([getJSON(url), getJSON("/api/cases/overdue").catch(function () { return {items: []}; })]).then(function (results) {
      var fc = results[0], late = {}, groups = {}, heat = [], rows = [];
      (results[1].items || []).forEach(function (o) { late[o.case_id] = o; });
      fc.features.forEach(function (f) {
        var p = f.properties, c = f.geometry.coordinates, o = late[p.case_id];
        if (o) { p.days_overdue = o.days_overdue; p.due = o.due; p.next_action = o.next_action; p.escalation = o.escalation; }
        var group = groups[p.category];
        if (!group) {
          group = groups[p.category] = {layer: opts.cluster ? L.markerClusterGroup({showCoverageOnHover: false}) : L.layerGroup(), n: 0};
        }
        group.n += 1;
        var colour = (opts.colours || {})[p.category] || "#d7191c";
        var marker = L.circleMarker([c[1], c[0]], {radius: 7, color: p.days_overdue > 0 ? "#c00" : "#222",
          weight: p.days_overdue > 0 ? 3 : 1, fillColor: colour, fillOpacity: 0.95, pane: "miyunCases", renderer: renderer})
          .bindPopup(casePopup(p), {maxWidth: 320}).on("popupopen", function (e) { visitsInto(e.popup, p); })
          .addTo(group.layer);
        rows.push({p: p, marker: marker, group: opts.cluster ? group.layer : null});
        heat.push([c[1], c[0], 1]);
      });
      Object.keys(groups).forEach(function (category) {
        var g = groups[category], colour = (opts.colours || {})[category] || "#d7191c";
        overlay(map, control, g.layer, "案件·" + ((opts.labels || {})[category] || category) + "（" + g.n + "）",
                [{shape: "dot", fill: colour, stroke: "#222"}]);
      });
      if (opts.heat && heat.length && L.heatLayer) {
        overlay(map, control, L.heatLayer(heat, {radius: 25, blur: 20, minOpacity: 0.3, pane: "miyunHeat"}), "案件热力图",
                [{shape: "ramp", colours: ["#0000ff", "#00ffff", "#00ff00", "#ffff00", "#ff0000"]}]);
      }
      var overdue = rows.filter(function (r) { return r.p.days_overdue > 0; }).length;
      caseList(map, rows);
      note((opts.title || "案件") + "：" + fc.features.length + " 件" + (overdue ? "，其中逾期 " + overdue + " 件" : ""), false);
      if (opts.onCount) { opts.onCount(fc.features.length, overdue); }
    }).catch(function (e) { note("案件加载失败：" + (e && (e.message || String(e))), true); });
  }

  /* -- patrols ---------------------------------------------------------------------------------- */
  function colourOf(value, stops) {
    for (var i = 0; i < stops.length; i++) { if (value <= stops[i][0]) { return stops[i][1]; } }
    return stops[stops.length - 1][1];
  }
  var COVERAGE = [[0.2, "#d7191c"], [0.4, "#fdae61"], [0.6, "#ffffbf"], [0.8, "#a6d96a"], [1.01, "#1a9641"]];
  var COVERAGE_LABELS = ["≤ 20%", "20–40%", "40–60%", "60–80%", "> 80%"];
  var GAPS = [[0, "#1a9641"], [2, "#a6d96a"], [6, "#fdae61"], [24, "#d7191c"]];
  var GAP_LABELS = ["0 小时", "≤ 2 小时", "≤ 6 小时", "> 6 小时"];
  var NO_DATA = "#999999";
  function stopsLegend(stops, names) {
    return stops.map(function (s, i) { return {label: names[i], fill: s[1], stroke: "#333"}; })
      .concat([{label: "当日无数据", fill: NO_DATA, stroke: "#333"}]);
  }

  function gridPopup(id, f) {
    if (!f) { return "<b>" + esc(id) + "</b><br>当日无巡查数据"; }
    function ratio(a, b) { return blank(a) || blank(b) ? null : a + "/" + b; }
    return table([["网格", id], ["到岗人数", f.staff_present], ["网格内巡查里程(公里)", f.patrol_km],
                  ["网格内巡查时长(小时)", f.hours_inside], ["无人时段数(小时)", f.uncovered_hours],
                  ["无人时段", f.uncovered_list],
                  ["轨迹50米覆盖率", blank(f.coverage_50m) ? null : Math.round(f.coverage_50m * 100) + "%"],
                  ["经过界桩", ratio(f.markers_passed, f.markers_total)], ["经过进出口", ratio(f.gates_passed, f.gates_total)],
                  ["多半时间不在本网格", f.staff_away], ["虚假巡查疑点（待核实）", f.fake_suspects]]);
  }

  function patrols(map, control, opts) {
    var day = chosenDay(opts.latest || opts.today);
    dateControl(day);
    Promise.all([getJSON("/collections/grids/items?limit=1000&simplify=5"), getJSON("/api/patrols/" + encodeURIComponent(day)),
                 getJSON("/api/staff?limit=1").catch(function () { return null; })])
      .then(function (results) {
        var grids = results[0], figures = {}, roster = results[2];
        results[1].grids.forEach(function (g) { figures[g.grid_id] = g; });
        function layer(title, styleOf, items, show) {
          var l = L.geoJSON(grids, {
            style: function (feature) {
              var f = figures[feature.properties.grid_id];
              return {color: "#333", weight: 1, fillOpacity: 0.65, fillColor: f ? styleOf(f) : NO_DATA};
            },
            onEachFeature: function (feature, lyr) {
              lyr.bindPopup(gridPopup(feature.properties.grid_id, figures[feature.properties.grid_id]), {maxWidth: 340});
            }
          });
          return overlay(map, control, l, title, items, show);
        }
        layer("网格：轨迹50米覆盖率", function (f) { return colourOf(f.coverage_50m || 0, COVERAGE); }, stopsLegend(COVERAGE, COVERAGE_LABELS));
        layer("网格：24小时无人时段", function (f) { return colourOf(f.uncovered_hours || 0, GAPS); }, stopsLegend(GAPS, GAP_LABELS), false);
        var text = day + "：" + results[1].grids.length + " 个网格，" + results[1].staff + " 名保水员有轨迹";
        if (roster && roster.count > results[1].staff) {
          text += "；花名册 " + roster.count + " 人，" + (roster.count - results[1].staff) + " 人当日无轨迹";
        }
        note(text, false);
        var tiles = window.miyun.trackTiles && window.miyun.trackTiles(map, control, day, results[1].staff);
        if (tiles) {  /* the same title as the layer control gives it */
          legend(tiles, "当日轨迹（" + results[1].staff + " 人）", [{shape: "line", stroke: "#08519c"}]);
          return null;
        }
        return getJSON("/api/patrols/" + encodeURIComponent(day) + "/tracks?tolerance=40");
      })
      .then(function (tracks) {
        if (!tracks) { return; }  /* drawn as vector tiles (patrol_tiles.js) */
        var l = L.geoJSON(tracks, {style: {color: "#08519c", weight: 1, opacity: 0.6},
          onEachFeature: function (feature, lyr) { lyr.bindTooltip(esc(feature.properties.staff_id)); }});
        overlay(map, control, l, "当日轨迹（" + tracks.features.length + " 人）", [{shape: "line", stroke: "#08519c"}]);
      })
      .catch(function (e) { note(day + "：" + e.message, true); });
  }

  function staffList(opts) {
    var url = "/api/staff?limit=5000&" + (opts.grid ? "grid_id=" + encodeURIComponent(opts.grid) : "town=" + encodeURIComponent(opts.town));
    return getJSON(url);
  }

  /* The day's staff-days of the grid's own staff that carry evidence of a fake patrol, with the daily
   * report's reasons and score (the patrol map's popup names the same staff): suspicion for a manager
   * to check, never applied by itself.  The staff route is for offices; anyone else sees nothing here. */
  function fakeKinds(s, words) {
    return s.fake_kinds.split("，").filter(Boolean).map(function (k) { return words.kinds[k] || k; }).join("、");
  }
  function fakeEntry(s, words) {
    var reasons = s.fake_reasons.split("；").filter(Boolean).map(function (r) { return "<li>" + esc(r) + "</li>"; });
    return "<div class='miyun-fake' data-staff='" + esc(s.staff_id) + "'><b>" + esc(s.staff_id) + "</b> " +
      esc(words.score) + " <b class='miyun-fake-score'>" + esc(s.fake_score) + "</b> · " + esc(fakeKinds(s, words)) +
      "<ul>" + reasons.join("") + "</ul></div>";
  }
  function gridFakes(day, opts) {
    var box = document.getElementById("miyun-fakes"), words = opts.evidence;
    if (!box || !words) { return; }
    var head = "<b>" + esc(words.title) + "</b>";
    function line(text) { box.innerHTML = head + "<div class='miyun-fake-none'>" + esc(day + "：" + text) + "</div>"; }
    getJSON("/api/patrols/" + encodeURIComponent(day) + "/staff?grid=" + encodeURIComponent(opts.grid)).then(function (body) {
      var flagged = body.items.filter(function (s) { return s.fake_score > 0; }).sort(function (a, b) {
        return b.fake_score - a.fake_score || (a.staff_id < b.staff_id ? -1 : 1); });
      if (!body.items.length) { line("本网格保水员当日无轨迹，无从核查"); return; }
      if (!flagged.length) { line(body.items.length + " 人有轨迹，无疑点"); return; }
      box.innerHTML = head + "<div><small>" + esc(words.reasons) + "</small></div>" +
        flagged.map(function (s) { return fakeEntry(s, words); }).join("");
    }).catch(function (e) {
      if (e.status === 403) { box.innerHTML = ""; }
      else if (e.status === 404) { line("没有巡查轨迹，无从核查"); }
      else { line("疑点加载失败：" + e.message); }
    });
  }

  function gridDetail(map, control, opts) {
    var day = chosenDay(opts.latest || opts.today);
    dateControl(day);
    gridFakes(day, opts);
    cases(map, control, {url: "/api/cases/geojson?open=true&grid=" + encodeURIComponent(opts.grid), labels: opts.labels,
                         colours: opts.colours, title: opts.grid + " 未结案件"});
    staffList(opts).then(function (body) {
      var box = document.getElementById("miyun-staff");
      if (!box) { return; }
      var names = body.items.map(function (s) { return esc(s.staff_id) + (s.name ? " " + esc(s.name) : "") + (s.role === "leader" ? "（网格长）" : ""); });
      box.innerHTML = "<b>本网格保水员（" + body.count + " 人）</b>" + (body.basis ? "<br><small>" + esc(body.basis) + "</small>" : "") +
        "<div class='miyun-staff-list'>" + names.join("<br>") + "</div>";
    }).catch(function (e) { note("保水员加载失败：" + e.message, true); });
    var tracksNote = document.getElementById("miyun-tracks-note");
    getJSON("/api/patrols/" + encodeURIComponent(day) + "/tracks?grid=" + encodeURIComponent(opts.grid))
      .then(function (tracks) {
        var l = L.geoJSON(tracks, {style: {color: "#08519c", weight: 2, opacity: 0.7}});
        overlay(map, control, l, day + " 轨迹（" + tracks.features.length + " 人）", [{shape: "line", stroke: "#08519c"}]);
        if (tracksNote) { tracksNote.textContent = day + "：" + tracks.features.length + " 人有轨迹"; }
      }).catch(function () { if (tracksNote) { tracksNote.textContent = day + "：没有巡查轨迹"; } });
  }

  /* The town page's figures: grids and quota (in the page), roster, open cases, the latest day's coverage. */
  function townDetail(map, control, opts) {
    function put(id, text) { var e = document.getElementById(id); if (e) { e.textContent = text; } }
    cases(map, control, {url: "/api/cases/geojson?open=true&town=" + encodeURIComponent(opts.town), labels: opts.labels,
                         colours: opts.colours, cluster: true, title: opts.town + " 未结案件",
                         onCount: function (n, late) { put("miyun-town-cases", n + " 件" + (late ? "（逾期 " + late + " 件）" : "")); }});
    getJSON("/api/staff?limit=1&town=" + encodeURIComponent(opts.town))
      .then(function (b) { put("miyun-town-staff", b.count + " 人" + (b.basis && b.basis !== "花名册" ? "（" + b.basis + "）" : "")); })
      .catch(function () { put("miyun-town-staff", "—"); });
    if (!opts.latest) { put("miyun-town-coverage", "尚无巡查轨迹"); return; }
    getJSON("/api/patrols/" + encodeURIComponent(opts.latest)).then(function (b) {
      var mine = b.grids.filter(function (g) { return g.town === opts.town; });
      var sum = mine.reduce(function (s, g) { return s + (g.coverage_50m || 0); }, 0);
      put("miyun-town-coverage", opts.latest + "：" + (mine.length ? Math.round(100 * sum / mine.length) + "%" : "无数据"));
    }).catch(function () { put("miyun-town-coverage", opts.latest + "：无数据"); });
  }

  /* Geometry simplified per zoom: the page carries outlines simplified for the district's zoom levels;
   * closer in, the outlines of what is in view are fetched simplified to half a screen pixel and the
   * coarse outlines lose their stroke, so each boundary is drawn once. */
  function detail(map, control, opts, fineOutlines, focused) {
    var group = L.layerGroup(), pending = 0, fine = false;
    overlay(map, control, group, "精细边界（放大后）", [{shape: "line", stroke: "#000"}]);
    function strokes(on) {
      if (fine === !on) { return; }
      fine = !on;
      fineOutlines(fine);
    }
    function refresh() {
      var ticket = ++pending;
      if (map.getZoom() < opts.minZoom || !map.hasLayer(group)) { group.clearLayers(); strokes(true); return; }
      var b = map.getBounds(), metresPerPixel = 156543 * Math.cos(map.getCenter().lat * Math.PI / 180) / Math.pow(2, map.getZoom());
      var bbox = [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map(function (v) { return v.toFixed(5); }).join(",");
      Promise.all(opts.layers.map(function (name) {
        return getJSON("/collections/" + name + "/items?limit=1000&bbox=" + bbox + "&simplify=" + (metresPerPixel / 2).toFixed(2));
      })).then(function (collections) {
        if (ticket !== pending) { return; }
        group.clearLayers();
        collections.forEach(function (fc) {
          L.geoJSON(fc, {interactive: false, filter: function (f) { return !focused(f); },
                         style: {color: "#000", weight: 1.2, fill: false, opacity: 0.8}}).addTo(group);
        });
        strokes(false);
      }).catch(function () { strokes(true); /* keep the coarse outlines */ });
    }
    map.on("moveend overlayadd overlayremove", refresh);
    refresh();
  }

  window.miyun = {esc: esc, page: page, legend: legend, overlay: overlay, cases: cases, patrols: patrols,
                  gridDetail: gridDetail, townDetail: townDetail, detail: detail, labels: labels};
})();
