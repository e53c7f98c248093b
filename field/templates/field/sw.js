/* Service worker of the field app: keeps the app shell (the page, its script, styles, icons and the
   map library) so that the app starts without signal. The API is never cached here: the app keeps
   its own data and its outbox in IndexedDB. Version {{ version }}. */
"use strict";
var CACHE = "citygrid-field-{{ version }}";
var SHELL = {{ shell_json|safe }};
var APP = SHELL[0];

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(CACHE).then(function (cache) {
    return Promise.all(SHELL.map(function (url) {
      return fetch(url, { credentials: "same-origin" }).then(function (response) {
        if (response.ok && !response.redirected) return cache.put(url, response);
      }).catch(function () {});
    }));
  }).then(function () { return self.skipWaiting(); }));
});

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (names) {
    return Promise.all(names.filter(function (name) {
      return name.indexOf("citygrid-field-") === 0 && name !== CACHE;
    }).map(function (name) { return caches.delete(name); }));
  }).then(function () { return self.clients.claim(); }));
});

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") return;
  var url = new URL(request.url);
  if (url.origin !== self.location.origin || url.pathname.indexOf("/api/") === 0) return;
  if (request.mode === "navigate" && url.pathname === APP) {
    // The page first from the network (a fresh CSRF token and person), the kept copy without signal.
    event.respondWith(fetch(request).then(function (response) {
      if (response.ok && !response.redirected) {
        var copy = response.clone();
        caches.open(CACHE).then(function (cache) { cache.put(APP, copy); });
      }
      return response;
    }).catch(function () { return caches.match(APP); }));
    return;
  }
  if (SHELL.indexOf(url.pathname) > 0) {
    event.respondWith(caches.match(url.pathname).then(function (hit) { return hit || fetch(request); }));
  }
});
