/* The mobile page's Service Worker: the page and its scripts from the cache first (they work with
   no network), the grid's map data and today's figures from the network first (the cached copy when
   offline).  Reports and patrol fixes are not sent from here: the page queues them in IndexedDB. */
const VERSION = "miyun-m-1";
const SHELL = ["/m/", "/m/app.js", "/m/app.css", "/m/manifest.webmanifest", "/m/icon.svg",
               "/static/leaflet/leaflet.js", "/static/leaflet/leaflet.css"];
const NETWORK_FIRST = ["/api/mobile/map", "/api/mobile/me"];

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(VERSION).then((cache) => cache.addAll(SHELL)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(caches.keys()
    .then((keys) => Promise.all(keys.filter((k) => k !== VERSION).map((k) => caches.delete(k))))
    .then(() => self.clients.claim()));
});

function keep(request, response) {
  if (response.ok && !response.redirected && response.type === "basic") {
    const copy = response.clone();
    caches.open(VERSION).then((cache) => cache.put(request, copy));
  }
  return response;
}

async function cacheFirst(request) {
  const hit = await caches.match(request, {ignoreSearch: false});
  const fresh = fetch(request).then((r) => keep(request, r)).catch(() => null);
  return hit || (await fresh) || new Response("离线：此内容尚未缓存", {status: 503,
    headers: {"Content-Type": "text/plain; charset=utf-8"}});
}

async function networkFirst(request) {
  try {
    return keep(request, await fetch(request));
  } catch (err) {
    const hit = await caches.match(request);
    if (hit) return hit;
    return new Response(JSON.stringify({error: {code: "offline", message: "离线，且没有缓存的数据"}}),
                        {status: 503, headers: {"Content-Type": "application/json"}});
  }
}

self.addEventListener("fetch", (event) => {
  const url = new URL(event.request.url);
  if (event.request.method !== "GET" || url.origin !== self.location.origin) return;
  if (NETWORK_FIRST.some((p) => url.pathname.startsWith(p))) {
    event.respondWith(networkFirst(event.request));
  } else if (url.pathname.startsWith("/m/") || url.pathname.startsWith("/static/")) {
    event.respondWith(cacheFirst(event.request));
  }
});
