/* Mrasla service worker — generated at build time by mrasla_app.pwa (do not edit sw.js itself).
 *
 * - install: precache the app shell and static files listed from the build output (PRECACHE);
 * - pages: network first (with a timeout); when the network fails, the bilingual offline screen
 *   (which, on /deposit, shows the citizen's draft kept in IndexedDB);
 * - /assets/* (content-hashed), /fonts/*, /icons/*: cache first;
 * - other static files: network first, cache as fallback;
 * - never touched (no respondWith, never cached): /_event, /_upload, /api/, /healthz, /ping,
 *   non-GET requests and other origins.
 * - push: a Web Push message (JSON {title, body, url}, services.parapheur.push) is shown as a
 *   notification; a click focuses an open Mrasla tab on its page, or opens one.
 * - updates: a new version waits until the page asks it to take over (update prompt), then the
 *   page reloads on `controllerchange`; the very first install takes control at once.
 */
"use strict";

const VERSION = "__VERSION__";
const PRECACHE = __PRECACHE__;
const OFFLINE_URL = "__OFFLINE_URL__";
const SHELL_CACHE = "mrasla-shell-" + VERSION;
const RUNTIME_CACHE = "mrasla-runtime-" + VERSION;
const NEVER = /^\/(_event|_upload|api\/|healthz|ping|sw\.js)/;
const PAGE_TIMEOUT_MS = 10000;
const STATIC_TIMEOUT_MS = 5000;

self.addEventListener("install", (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(SHELL_CACHE);
    // The offline screen must be there; the rest is best effort (one 404 does not break install).
    await cache.addAll(PRECACHE.slice(0, 4).map((u) => new Request(u, { cache: "reload" })));
    await Promise.all(PRECACHE.slice(4).map((u) =>
      cache.add(new Request(u, { cache: "reload" })).catch(() => undefined)));
    if (!self.registration.active) {
      await self.skipWaiting(); // first install: nothing to replace
    }
  })());
});

self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    const keep = new Set([SHELL_CACHE, RUNTIME_CACHE]);
    for (const name of await caches.keys()) {
      if (name.startsWith("mrasla-") && !keep.has(name)) {
        await caches.delete(name);
      }
    }
    await self.clients.claim();
  })());
});

self.addEventListener("message", (event) => {
  if (event.data && event.data.type === "SKIP_WAITING") {
    self.skipWaiting();
  } else if (event.data && event.data.type === "VERSION" && event.ports[0]) {
    event.ports[0].postMessage({ version: VERSION, precache: PRECACHE.length });
  }
});

function timeout(promise, ms) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("timeout")), ms);
    promise.then((r) => { clearTimeout(timer); resolve(r); }, (e) => { clearTimeout(timer); reject(e); });
  });
}

async function fromCache(request) {
  return (await caches.match(request, { ignoreSearch: request.mode === "navigate" })) || undefined;
}

async function page(event) {
  try {
    const preload = event.preloadResponse ? await event.preloadResponse : undefined;
    if (preload) {
      return preload;
    }
    return await timeout(fetch(event.request), PAGE_TIMEOUT_MS);
  } catch (err) {
    const offline = await caches.match(OFFLINE_URL);
    return offline || new Response("Offline · غير متصل", {
      status: 503, headers: { "Content-Type": "text/plain; charset=utf-8" } });
  }
}

async function cacheFirst(request) {
  const hit = await fromCache(request);
  if (hit) {
    return hit;
  }
  const response = await fetch(request);
  if (response.ok && response.type === "basic") {
    const cache = await caches.open(RUNTIME_CACHE);
    cache.put(request, response.clone());
  }
  return response;
}

async function networkFirst(request) {
  try {
    const response = await timeout(fetch(request), STATIC_TIMEOUT_MS);
    if (response.ok && response.type === "basic" && PRECACHE.includes(new URL(request.url).pathname)) {
      const cache = await caches.open(SHELL_CACHE);
      cache.put(request, response.clone());
    }
    return response;
  } catch (err) {
    const hit = await fromCache(request);
    if (hit) {
      return hit;
    }
    throw err;
  }
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") {
    return;
  }
  const url = new URL(request.url);
  if (url.origin !== self.location.origin || NEVER.test(url.pathname)) {
    return; // straight to the network, never cached
  }
  if (request.mode === "navigate") {
    event.respondWith(page(event));
  } else if (/^\/(assets|fonts|icons)\//.test(url.pathname)) {
    event.respondWith(cacheFirst(request));
  } else {
    event.respondWith(networkFirst(request));
  }
});

self.addEventListener("push", (event) => {
  let data = {};
  try {
    data = event.data ? event.data.json() : {};
  } catch (err) {
    data = { body: event.data ? event.data.text() : "" };
  }
  const url = typeof data.url === "string" && data.url.startsWith("/") ? data.url : "/parapheur";
  event.waitUntil(self.registration.showNotification(data.title || "Mrasla · مراسلة", {
    body: data.body || "", icon: "/icons/icon-192.png", badge: "/icons/icon-192.png", tag: url,
    data: { url },
  }));
});

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  const url = (event.notification.data && event.notification.data.url) || "/parapheur";
  event.waitUntil((async () => {
    for (const client of await self.clients.matchAll({ type: "window", includeUncontrolled: true })) {
      if (new URL(client.url).origin === self.location.origin && "focus" in client) {
        await client.focus();
        return client.navigate ? client.navigate(url) : undefined;
      }
    }
    return self.clients.openWindow(url);
  })());
});
