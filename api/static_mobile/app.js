/* The mobile page: my grid, report, patrol, and the queue of what waits to be sent.
   Everything the user makes is saved in IndexedDB first and sent when there is a network;
   the server keeps one case per report id and one set of fixes per batch id. */
(function () {
  "use strict";
  const $ = (id) => document.getElementById(id);
  const BATCH_SIZE = 20;
  const state = {me: null, map: null, position: null, patrol: null, sending: false, grid: null};
  window.miyun = {ready: false, state: state};

  // -- IndexedDB: the queue --------------------------------------------------------------------
  let dbPromise = null;
  function db() {
    if (!dbPromise) {
      dbPromise = new Promise((resolve, reject) => {
        const open = indexedDB.open("miyun-m", 1);
        open.onupgradeneeded = () => open.result.createObjectStore("queue", {keyPath: "id"});
        open.onsuccess = () => resolve(open.result);
        open.onerror = () => reject(open.error);
      });
    }
    return dbPromise;
  }
  async function store(mode, work) {
    const conn = await db();
    return new Promise((resolve, reject) => {
      const tx = conn.transaction("queue", mode);
      const result = work(tx.objectStore("queue"));
      tx.oncomplete = () => resolve(result && "result" in result ? result.result : undefined);
      tx.onerror = () => reject(tx.error);
    });
  }
  const putItem = (item) => store("readwrite", (s) => s.put(item));
  const allItems = async () => ((await store("readonly", (s) => s.getAll())) || [])
    .sort((a, b) => a.created - b.created);
  const newId = () => (crypto.randomUUID ? crypto.randomUUID()
    : Date.now().toString(36) + "-" + Math.random().toString(36).slice(2, 12));
  window.miyun.queue = allItems;

  // -- the network -----------------------------------------------------------------------------
  function csrf() {
    const hit = document.cookie.split("; ").find((c) => c.startsWith("miyun_csrf="));
    return hit ? decodeURIComponent(hit.split("=")[1]) : "";
  }
  function showNet() {
    const on = navigator.onLine;
    $("net").textContent = on ? "在线" : "离线";
    $("net").className = on ? "net" : "net off";
  }
  async function getJSON(url) {
    const response = await fetch(url, {credentials: "same-origin"});
    if (!response.ok) throw new Error(response.status);
    return response.json();
  }

  // -- sending the queue -----------------------------------------------------------------------
  async function sendItem(item) {
    let response;
    if (item.kind === "report") {
      const form = new FormData();
      for (const [k, v] of Object.entries(item.fields)) if (v !== null && v !== undefined) form.append(k, v);
      form.append("client_id", item.id);
      if (item.photo) form.append("photo", item.photo, item.photoName || "photo.jpg");
      response = await fetch("/api/mobile/reports", {method: "POST", body: form, credentials: "same-origin",
                                                       headers: {"X-CSRF-Token": csrf()}});
    } else {
      response = await fetch("/api/mobile/patrols/batches", {
        method: "POST", credentials: "same-origin",
        headers: {"Content-Type": "application/json", "X-CSRF-Token": csrf()},
        body: JSON.stringify({batch_id: item.id, fixes: item.fixes})});
    }
    let body = null;
    try { body = await response.json(); } catch (err) { body = null; }
    return {status: response.status, body: body};
  }

  function explain(result) {
    const message = result.body && result.body.error ? result.body.error.message : "";
    if (result.status === 401) return "登录已过期：请重新登录，登录后自动发送";
    if (result.status === 403) return "没有权限：" + message;
    if (result.status === 413) return "内容过大：" + message;
    return message || ("服务器拒收（" + result.status + "）");
  }

  async function flush() {
    if (state.sending || !navigator.onLine) return;
    state.sending = true;
    try {
      for (const item of await allItems()) {
        if (item.state !== "waiting") continue;
        let result;
        try {
          result = await sendItem(item);
        } catch (err) {  // no network, or the connection dropped: try again later
          item.tries = (item.tries || 0) + 1;
          item.message = "发送中断，稍后自动重试（第 " + item.tries + " 次）";
          await putItem(item);
          break;
        }
        if (result.status >= 200 && result.status < 300) {
          item.state = "sent";
          item.sent = Date.now();
          item.message = item.kind === "report"
            ? "已登记为案件 " + result.body.case_id + (result.body.duplicate ? "（重发，未重复登记）" : "")
            : "已上传，新存 " + result.body.stored + " 个点" + (result.body.duplicates ? "，重复 " + result.body.duplicates + " 个未重复存" : "");
          item.photo = null;
        } else if (result.status === 401 || result.status === 429 || result.status >= 500) {
          item.message = explain(result) + "；稍后自动重试";
          await putItem(item);
          break;
        } else {
          item.state = "error";
          item.message = explain(result);
        }
        await putItem(item);
      }
    } finally {
      state.sending = false;
      await showQueue();
    }
  }
  window.miyun.flush = flush;

  async function showQueue() {
    const items = await allItems();
    const count = (s) => items.filter((i) => i.state === s).length;
    $("badge").textContent = count("waiting");
    $("queue-summary").textContent = "待发送 " + count("waiting") + " 项，已发送 " + count("sent") + " 项，出错 "
      + count("error") + " 项" + (navigator.onLine ? "" : "（现在离线，有网络后自动发送）");
    const list = $("queue");
    list.textContent = "";
    for (const item of items.slice().reverse()) {
      const li = document.createElement("li");
      li.className = item.state;
      li.dataset.id = item.id;
      const when = new Date(item.created).toLocaleString("zh-CN", {hour12: false});
      const what = item.kind === "report" ? "上报：" + (item.label || item.fields.category)
        : "巡查轨迹：" + item.fixes.length + " 个点";
      const label = {waiting: "待发送", sent: "已发送", error: "出错"}[item.state];
      li.innerHTML = "<span class='state'></span> <span class='what'></span><br><small></small>";
      li.querySelector(".state").textContent = label;
      li.querySelector(".what").textContent = what + " · " + when;
      li.querySelector("small").textContent = item.message || "";
      list.appendChild(li);
    }
  }

  // -- my grid -------------------------------------------------------------------------------------
  function drawMap(data) {
    if (!state.map) {
      state.map = L.map("map", {zoomControl: true, attributionControl: false});
      state.map.on("click", (e) => setPosition(e.latlng.lat, e.latlng.lng, null, "地图点选"));
    }
    const map = state.map;
    if (data.hillshade) L.imageOverlay(data.hillshade[0], data.hillshade[1], {opacity: 0.6}).addTo(map);
    const grids = L.geoJSON(data.grids, {style: (f) => f.properties.own
      ? {color: "#0b6e4f", weight: 3, fillOpacity: 0.12} : {color: "#678", weight: 1, dashArray: "4 4", fillOpacity: 0.03},
      onEachFeature: (f, layer) => layer.bindTooltip(f.properties.grid_id)}).addTo(map);
    L.geoJSON(data.contour_155m, {style: {color: "#c0392b", weight: 2}}).addTo(map);
    L.geoJSON(data.markers, {pointToLayer: (f, ll) => L.circleMarker(ll, {radius: 4, color: "#c0392b", weight: 1,
      fillOpacity: 0.9}).bindTooltip("界桩 " + (f.properties.number || ""))}).addTo(map);
    L.geoJSON(data.gates, {pointToLayer: (f, ll) => L.circleMarker(ll, {radius: 6, color: "#1f4e9c", weight: 2,
      fillOpacity: 0.6}).bindTooltip("进出口 " + f.properties.gate_id)}).addTo(map);
    const own = data.grids.features.filter((f) => f.properties.own);
    map.fitBounds(L.geoJSON({type: "FeatureCollection", features: own.length ? own : data.grids.features}).getBounds());
    if (data.sample_mark) { $("sample").hidden = false; $("sample").textContent = data.sample_mark; }
    state.grid = grids;
  }

  function showToday(today) {
    if (!today) { $("today").textContent = "今日还没有轨迹数据"; return; }
    const cover = today.grid_coverage_50m === null ? "—" : Math.round(today.grid_coverage_50m * 100) + "%";
    $("today").textContent = "今日（" + today.date + "）：巡查 " + today.distance_km.toFixed(2) + " 公里，在岗 "
      + today.on_duty_hours.toFixed(1) + " 小时；本网格轨迹 50 米覆盖 " + cover;
  }

  let here = null;
  function setPosition(lat, lon, accuracy, how) {
    state.position = {lat: lat, lon: lon, accuracy: accuracy};
    $("where").textContent = how + "：" + lat.toFixed(6) + ", " + lon.toFixed(6)
      + (accuracy ? "（精度约 " + Math.round(accuracy) + " 米）" : "");
    if (state.map) {
      if (here) here.setLatLng([lat, lon]); else here = L.circleMarker([lat, lon], {radius: 8, color: "#e67e22",
        weight: 3, fillOpacity: 0.8}).addTo(state.map);
    }
  }

  function locate() {
    if (!navigator.geolocation) { $("where").textContent = "这台手机不支持定位，请在地图上点选位置"; return; }
    $("where").textContent = "正在定位…";
    navigator.geolocation.getCurrentPosition(
      (p) => setPosition(p.coords.latitude, p.coords.longitude, p.coords.accuracy, "手机定位"),
      (err) => { $("where").textContent = "定位失败（" + err.message + "）：请到开阔处重试，或在地图上点选位置"; },
      {enableHighAccuracy: true, timeout: 20000, maximumAge: 10000});
  }

  // -- report ---------------------------------------------------------------------------------------
  async function saveReport() {
    const category = $("category").value;
    if (!state.position) { $("report-msg").textContent = "请先确定位置（定位或在地图上点选）"; return; }
    const file = $("photo").files[0] || null;
    const item = {id: newId(), kind: "report", state: "waiting", created: Date.now(),
                  label: $("category").selectedOptions[0].textContent,
                  fields: {category: category, lon: state.position.lon, lat: state.position.lat,
                           accuracy: state.position.accuracy, note: $("note").value,
                           reported_at: new Date().toISOString()},
                  photo: file, photoName: file ? file.name : null, message: ""};
    await putItem(item);
    $("report-msg").textContent = navigator.onLine ? "已保存，正在发送…" : "已保存在手机上，有网络后自动发送";
    $("note").value = "";
    $("photo").value = "";
    await showQueue();
    flush();
  }

  // -- patrol ---------------------------------------------------------------------------------------
  async function queueBatch(fixes) {
    if (!fixes.length) return;
    await putItem({id: newId(), kind: "batch", state: "waiting", created: Date.now(), fixes: fixes, message: ""});
    await showQueue();
    flush();
  }

  async function startPatrol() {
    if (!navigator.geolocation) { $("patrol-status").textContent = "这台手机不支持定位，无法记录巡查"; return; }
    const patrol = {fixes: [], total: 0, watch: null, lock: null, started: Date.now()};
    state.patrol = patrol;
    patrol.watch = navigator.geolocation.watchPosition((p) => {
      patrol.fixes.push({time: new Date(p.timestamp).toISOString(), lat: p.coords.latitude, lon: p.coords.longitude,
                         accuracy: p.coords.accuracy, speed: p.coords.speed, heading: p.coords.heading,
                         altitude: p.coords.altitude});
      patrol.total += 1;
      setPosition(p.coords.latitude, p.coords.longitude, p.coords.accuracy, "巡查中");
      $("patrol-status").textContent = "巡查中：已记录 " + patrol.total + " 个点"
        + (patrol.lock ? "（屏幕保持常亮）" : "（请勿锁屏）");
      if (patrol.fixes.length >= BATCH_SIZE) queueBatch(patrol.fixes.splice(0));
    }, (err) => { $("patrol-status").textContent = "定位出错（" + err.message + "），仍在尝试…"; },
    {enableHighAccuracy: true, maximumAge: 0, timeout: 60000});
    try {
      if ("wakeLock" in navigator) patrol.lock = await navigator.wakeLock.request("screen");
    } catch (err) { patrol.lock = null; }
    $("patrol-start").hidden = true;
    $("patrol-stop").hidden = false;
    $("patrol-status").textContent = "巡查中：等待定位…";
  }

  async function stopPatrol() {
    const patrol = state.patrol;
    if (!patrol) return;
    navigator.geolocation.clearWatch(patrol.watch);
    if (patrol.lock) { try { await patrol.lock.release(); } catch (err) { /* already released */ } }
    state.patrol = null;
    await queueBatch(patrol.fixes.splice(0));
    $("patrol-start").hidden = false;
    $("patrol-stop").hidden = true;
    $("patrol-status").textContent = "巡查结束：共 " + patrol.total + " 个点，已放入待发送";
  }

  document.addEventListener("visibilitychange", async () => {  // the wake lock ends when the page is hidden
    const patrol = state.patrol;
    if (patrol && document.visibilityState === "visible" && "wakeLock" in navigator) {
      try { patrol.lock = await navigator.wakeLock.request("screen"); } catch (err) { patrol.lock = null; }
    }
  });
  window.addEventListener("pagehide", () => {
    if (state.patrol && state.patrol.fixes.length) queueBatch(state.patrol.fixes.splice(0));
  });

  // -- start ---------------------------------------------------------------------------------------
  function tabs() {
    for (const button of document.querySelectorAll("nav button")) {
      button.addEventListener("click", () => {
        for (const b of document.querySelectorAll("nav button")) b.classList.toggle("on", b === button);
        for (const s of document.querySelectorAll("main section")) s.hidden = s.id !== "tab-" + button.dataset.tab;
        if (button.dataset.tab === "grid" && state.map) state.map.invalidateSize();
        if (button.dataset.tab === "queue") showQueue();
      });
    }
  }

  async function start() {
    tabs();
    showNet();
    window.addEventListener("online", () => { showNet(); flush(); });
    window.addEventListener("offline", () => { showNet(); showQueue(); });
    $("locate").addEventListener("click", locate);
    $("save").addEventListener("click", saveReport);
    $("patrol-start").addEventListener("click", startPatrol);
    $("patrol-stop").addEventListener("click", stopPatrol);
    $("send-now").addEventListener("click", flush);
    try {
      state.me = await getJSON("/api/mobile/me");
      $("who").textContent = state.me.label + (state.me.staff_id ? "" : "（此账号没有保水员编号，不能上传巡查轨迹）");
      const select = $("category");
      for (const duty of state.me.duties) {
        const option = document.createElement("option");
        option.value = duty.code;
        option.textContent = duty.label;
        option.title = duty.detail;
        select.appendChild(option);
      }
      showToday(state.me.today);
      drawMap(await getJSON("/api/mobile/map"));
    } catch (err) {
      $("who").textContent = "离线且没有缓存的网格数据：联网打开一次本页后即可离线使用";
    }
    if ("serviceWorker" in navigator) {
      try {
        await navigator.serviceWorker.register("/m/sw.js", {scope: "/m/"});
        await navigator.serviceWorker.ready;
      } catch (err) { /* the page still works online */ }
    }
    await showQueue();
    setInterval(flush, 5000);
    flush();
    window.miyun.ready = true;
  }
  start();
})();
