// ridechat's service worker. It caches the app shell: the page, the module,
// the wasm and the stylesheet. A reload without a network therefore still
// opens the chat. The chat paints its history from IndexedDB and sends the
// queued messages once the server is back.
//
// Pages load network first and fall back to the cached page. The hashed
// assets load from the cache first, because a hash names one content.
// The API, the socket and the demo page always go to the network.
//
// NOTE: assets of earlier builds stay in the cache until the browser
// evicts it; nothing removes them yet.

const CACHE = "ridechat-shell-v1";
const SHELL = "/";
const LIVE_PREFIXES = ["/api/", "/socket/", "/demo"];
// How long a page request may wait for the network before the cached page
// is used instead, as on a link that stalls without failing.
const NETWORK_WAIT_MS = 3000;

self.addEventListener("install", (event) => {
  event.waitUntil(cacheShell().then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(self.clients.claim());
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin) {
    return;
  }
  if (LIVE_PREFIXES.some((prefix) => url.pathname.startsWith(prefix))) {
    return;
  }
  if (request.mode === "navigate") {
    event.respondWith(pageFromNetworkFirst(request));
  } else {
    event.respondWith(assetFromCacheFirst(request));
  }
});

// Fetches the page and every asset it names, and caches them.
async function cacheShell() {
  const cache = await caches.open(CACHE);
  const response = await fetch(SHELL, { cache: "no-cache" });
  if (!response.ok) {
    return;
  }
  const html = await response.clone().text();
  await cache.put(SHELL, response);
  const assets = [...html.matchAll(/["'](\/[\w.-]+\.(?:js|wasm|css))["']/g)].map(
    (match) => match[1],
  );
  await cache.addAll([...new Set(assets)]);
}

async function pageFromNetworkFirst(request) {
  const cache = await caches.open(CACHE);
  try {
    const response = await withTimeout(fetch(request), NETWORK_WAIT_MS);
    if (response.ok) {
      // Every app route serves the same page, cached under one key.
      await cache.put(SHELL, response.clone());
    }
    return response;
  } catch (error) {
    const cached = await cache.match(SHELL);
    if (cached) {
      return cached;
    }
    throw error;
  }
}

async function assetFromCacheFirst(request) {
  const cache = await caches.open(CACHE);
  const cached = await cache.match(request);
  if (cached) {
    return cached;
  }
  const response = await fetch(request);
  if (response.ok) {
    await cache.put(request, response.clone());
  }
  return response;
}

function withTimeout(promise, millis) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`no response within ${millis} ms`)),
      millis,
    );
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}
