/* The field app (城管通 / 处置通): one page, screens drawn from the API. Everything the person sends
   goes through an outbox in IndexedDB with its own Idempotency-Key and leaves when there is signal,
   in the order it was made, each exactly once; drafts are saved as they are typed. */
(function () {
  "use strict";

  var CONFIG = JSON.parse(document.getElementById("field-config").textContent);
  var TEXTS = CONFIG.texts;
  var CSRF = document.querySelector("meta[name=csrf-token]").getAttribute("content");
  var view = document.getElementById("view");
  var isHandler = CONFIG.role === "handler";

  function t(key, params) {
    var text = TEXTS[key] || key;
    return params ? text.replace(/%\((\w+)\)s/g, function (m, name) { return params[name] == null ? "" : params[name]; }) : text;
  }

  function uuid() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    var bytes = crypto.getRandomValues(new Uint8Array(16));
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  /* --- DOM --------------------------------------------------------------------------------- */

  function h(tag, attrs, children) {
    var element = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) {
      var value = attrs[name];
      if (value == null || value === false) return;
      if (name.indexOf("on") === 0) element.addEventListener(name.slice(2), value);
      else if (name === "text") element.textContent = value;
      else if (name in element && name !== "list" && name !== "type") element[name] = value;
      else element.setAttribute(name, value === true ? "" : value);
    });
    (children || []).forEach(function (child) {
      if (child == null || child === false) return;
      element.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    });
    return element;
  }

  var toastTimer = null;
  function toast(message, bad) {
    var element = document.getElementById("toast");
    element.textContent = message;
    element.className = "toast" + (bad ? " bad" : "");
    element.hidden = false;
    clearTimeout(toastTimer);
    toastTimer = setTimeout(function () { element.hidden = true; }, 4000);
  }

  function meters(d) {
    if (d == null || isNaN(d)) return t("distance_unknown");
    return d >= 1000 ? t("kilometers", { n: (d / 1000).toFixed(1) }) : t("meters", { n: Math.round(d) });
  }

  function clock(iso) {
    if (!iso) return "";
    var d = new Date(iso);
    function two(n) { return ("0" + n).slice(-2); }
    return two(d.getMonth() + 1) + "-" + two(d.getDate()) + " " + two(d.getHours()) + ":" + two(d.getMinutes());
  }

  function duration(seconds) {
    seconds = Math.max(0, Math.round(seconds || 0));
    return t("hours_minutes", { h: Math.floor(seconds / 3600), m: Math.floor((seconds % 3600) / 60) });
  }

  /* --- IndexedDB ---------------------------------------------------------------------------- */

  var STORES = ["outbox", "drafts", "cache", "state", "sent"];
  var dbPromise = new Promise(function (resolve, reject) {
    // One database per person: a shared phone never sends one person's queue under another's login.
    var request = indexedDB.open("citygrid-field-" + CONFIG.uid, 1);
    request.onupgradeneeded = function () {
      var db = request.result;
      STORES.forEach(function (name) { db.createObjectStore(name, { keyPath: "key" }); });
      db.createObjectStore("points", { keyPath: "id", autoIncrement: true });
    };
    request.onsuccess = function () { resolve(request.result); };
    request.onerror = function () { reject(request.error); };
  });

  function store(names, mode, work) {
    return dbPromise.then(function (db) {
      return new Promise(function (resolve, reject) {
        var tx = db.transaction(names, mode);
        var result;
        tx.oncomplete = function () { resolve(result); };
        tx.onerror = tx.onabort = function () { reject(tx.error); };
        result = work(tx);
      });
    });
  }

  function asPromise(request) {
    return new Promise(function (resolve, reject) {
      request.onsuccess = function () { resolve(request.result); };
      request.onerror = function () { reject(request.error); };
    });
  }

  function dbGet(name, key) {
    return dbPromise.then(function (db) { return asPromise(db.transaction(name).objectStore(name).get(key)); });
  }
  function dbAll(name) {
    return dbPromise.then(function (db) { return asPromise(db.transaction(name).objectStore(name).getAll()); });
  }
  function dbPut(name, value) {
    return store([name], "readwrite", function (tx) { tx.objectStore(name).put(value); });
  }
  function dbDelete(name, key) {
    return store([name], "readwrite", function (tx) { tx.objectStore(name).delete(key); });
  }

  /* --- the outbox -------------------------------------------------------------------------- */

  var flushing = false;

  function enqueue(item) {
    item.key = item.key || uuid();
    item.created = item.created || new Date().toISOString();
    item.status = "waiting";
    item.attempts = 0;
    return dbPut("outbox", item).then(function () { badge(); flush(); return item; });
  }

  function outboxItems() {
    return dbAll("outbox").then(function (items) {
      return items.sort(function (a, b) { return a.created < b.created ? -1 : a.created > b.created ? 1 : 0; });
    });
  }

  function requestBody(item) {
    var headers = { "X-CSRFToken": CSRF, "Idempotency-Key": item.key, Accept: "application/json" };
    if (item.json) {
      headers["Content-Type"] = "application/json";
      return { headers: headers, body: JSON.stringify(item.json) };
    }
    var form = new FormData();
    Object.keys(item.form || {}).forEach(function (name) {
      if (item.form[name] != null && item.form[name] !== "") form.append(name, item.form[name]);
    });
    (item.files || []).forEach(function (file, index) {
      form.append(file.field, file.blob, file.field + "-" + (index + 1) + ".jpg");
    });
    return { headers: headers, body: form };
  }

  function send(item) {
    var request = requestBody(item);
    return fetch(item.url, { method: "POST", credentials: "same-origin", headers: request.headers, body: request.body })
      .then(function (response) {
        return response.json().catch(function () { return null; }).then(function (data) {
          return { status: response.status, ok: response.ok, data: data };
        });
      }, function () { return { status: 0 }; })
      .then(function (answer) {
        if (answer.ok) {
          return store(["outbox", "sent"], "readwrite", function (tx) {
            tx.objectStore("outbox").delete(item.key);
            tx.objectStore("sent").put({ key: item.key, label: item.label, kind: item.kind, at: new Date().toISOString(),
                                          summary: sentSummary(item, answer.data) });
          }).then(function () { sentTrim(); afterSent(item, answer.data); return "ok"; });
        }
        if (answer.status === 0 || answer.status >= 500 || answer.status === 408 || answer.status === 429) {
          item.attempts += 1;
          item.lastError = answer.status ? t("server_error", { status: answer.status }) : t("network_error");
          return dbPut("outbox", item).then(function () { return "later"; });
        }
        item.status = "failed";
        item.error = errorText(answer.data) || ("HTTP " + answer.status);
        return dbPut("outbox", item).then(function () { return "failed"; });
      });
  }

  function errorText(data) {
    if (!data) return "";
    if (typeof data.detail === "string") return data.detail;
    return Object.keys(data).map(function (name) {
      var value = data[name];
      return Array.isArray(value) ? value.join(" ") : String(value);
    }).join(" ");
  }

  function sentSummary(item, data) {
    if (!data) return "";
    if (data.number) return data.number;
    if (data.stored != null) return String(data.stored);
    if (data.distance_m != null) return meters(data.distance_m);
    return "";
  }

  function sentTrim() {
    dbAll("sent").then(function (rows) {
      rows.sort(function (a, b) { return a.at < b.at ? 1 : -1; });
      rows.slice(30).forEach(function (row) { dbDelete("sent", row.key); });
    });
  }

  // Sends what waits, oldest first; stops at the first that cannot get through (no signal, a server
  // error) so that later items never overtake it (a patrol's points after its going on duty).
  function flush() {
    if (flushing || !navigator.onLine) return Promise.resolve();
    flushing = true;
    return outboxItems().then(function (items) {
      var waiting = items.filter(function (item) { return item.status === "waiting"; });
      function next(index) {
        if (index >= waiting.length || !navigator.onLine) return null;
        return send(waiting[index]).then(function (outcome) { return outcome === "later" ? null : next(index + 1); });
      }
      return next(0);
    }).catch(function () {}).then(function () {
      flushing = false;
      badge();
      if (current && current.onQueueChange) current.onQueueChange();
    });
  }

  function badge() {
    outboxItems().then(function (items) {
      var failed = items.filter(function (item) { return item.status === "failed"; }).length;
      var waiting = items.length - failed;
      var element = document.getElementById("queue-badge");
      element.textContent = waiting || failed ? t("queue_badge", { waiting: waiting, failed: failed }) : "";
      element.classList.toggle("has-failed", failed > 0);
      element.dataset.waiting = waiting;
      element.dataset.failed = failed;
    });
  }

  function afterSent(item, data) {
    if (item.kind === "report" || item.kind === "self_handled") {
      toast(t("sent_report", { number: data && data.number ? data.number : "" }));
    }
    if (item.kind === "survey_finding") {
      toast(t("sent_report", { number: data && data.case_number ? data.case_number : "" }));
      cached("survey_tasks", "/api/surveys/tasks/mine/").catch(function () {});
    }
  }

  /* --- network and position ------------------------------------------------------------------ */

  function netShow() {
    var element = document.getElementById("net");
    element.textContent = navigator.onLine ? t("online") : t("offline");
    element.classList.toggle("off", !navigator.onLine);
  }

  window.addEventListener("online", function () { netShow(); flush(); });
  window.addEventListener("offline", netShow);

  function api(url) {
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } }).then(function (response) {
      return response.json().catch(function () { return null; }).then(function (data) {
        if (!response.ok) throw new Error(errorText(data) || "HTTP " + response.status);
        return data;
      });
    });
  }

  // Online: from the server, kept for the next time without signal. Offline: the kept copy.
  function cached(name, url) {
    if (!navigator.onLine) {
      return dbGet("cache", name).then(function (row) { return { data: row ? row.data : null, stale: true }; });
    }
    return api(url).then(function (data) {
      dbPut("cache", { key: name, data: data, at: new Date().toISOString() });
      return { data: data, stale: false };
    }, function (error) {
      return dbGet("cache", name).then(function (row) {
        if (!row) throw error;
        return { data: row.data, stale: true };
      });
    });
  }

  var lastPosition = null;

  function locate(fresh) {
    return new Promise(function (resolve, reject) {
      if (!navigator.geolocation) return reject(new Error(t("reasons_geo_unavailable")));
      navigator.geolocation.getCurrentPosition(function (position) {
        lastPosition = { lon: position.coords.longitude, lat: position.coords.latitude,
                         accuracy: Math.round(position.coords.accuracy || 0), at: new Date().toISOString() };
        resolve(lastPosition);
      }, function (error) {
        var reason = error.code === 1 ? "reasons_geo_denied" : error.code === 3 ? "reasons_geo_timeout" : "reasons_geo_unavailable";
        reject(new Error(t(reason)));
      }, { enableHighAccuracy: true, timeout: 15000, maximumAge: fresh ? 0 : 10000 });
    });
  }

  function distance(lon1, lat1, lon2, lat2) {
    var rad = Math.PI / 180, dLat = (lat2 - lat1) * rad, dLon = (lon2 - lon1) * rad;
    var a = Math.sin(dLat / 2) * Math.sin(dLat / 2) +
            Math.cos(lat1 * rad) * Math.cos(lat2 * rad) * Math.sin(dLon / 2) * Math.sin(dLon / 2);
    return 6371008.8 * 2 * Math.atan2(Math.sqrt(a), Math.sqrt(1 - a));
  }

  /* --- photos -------------------------------------------------------------------------------- */

  var MAX_SIDE = 1600;

  // The camera's photo made at most 1600 px on its long side, JPEG: a few hundred kB to send, not 5 MB.
  function compress(file) {
    var load = window.createImageBitmap ? createImageBitmap(file) : new Promise(function (resolve, reject) {
      var image = new Image();
      image.onload = function () { resolve(image); };
      image.onerror = reject;
      image.src = URL.createObjectURL(file);
    });
    return load.then(function (image) {
      var scale = Math.min(1, MAX_SIDE / Math.max(image.width, image.height));
      var canvas = document.createElement("canvas");
      canvas.width = Math.round(image.width * scale);
      canvas.height = Math.round(image.height * scale);
      canvas.getContext("2d").drawImage(image, 0, 0, canvas.width, canvas.height);
      return new Promise(function (resolve) { canvas.toBlob(resolve, "image/jpeg", 0.82); });
    });
  }

  // A camera button and the thumbnails of what it took; `list` is the draft's array of blobs.
  function cameraField(id, label, list, onChange) {
    var thumbs = h("div", { className: "thumbs" });
    var urls = [];
    function draw() {
      urls.forEach(function (url) { URL.revokeObjectURL(url); });
      urls = [];
      thumbs.textContent = "";
      list.forEach(function (blob, index) {
        var url = URL.createObjectURL(blob);
        urls.push(url);
        thumbs.appendChild(h("div", { className: "thumb" }, [
          h("img", { src: url, alt: label + " " + (index + 1) }),
          h("button", { type: "button", "aria-label": t("remove") + " " + (index + 1), text: "×", onclick: function () {
            list.splice(index, 1); draw(); onChange();
          } }),
        ]));
      });
    }
    var input = h("input", { id: id, type: "file", accept: "image/*", capture: "environment", multiple: true,
      onchange: function () {
        var files = Array.prototype.slice.call(input.files);
        input.value = "";
        Promise.all(files.map(compress)).then(function (blobs) {
          blobs.forEach(function (blob) { if (blob) list.push(blob); });
          draw(); onChange();
        });
      } });
    draw();
    return h("div", {}, [h("label", { className: "camera", htmlFor: id }, [label, input]), thumbs]);
  }

  /* --- maps ---------------------------------------------------------------------------------- */

  var maps = [];

  function mapCreate(element, lat, lon) {
    // The desk's basemap (citygrid/js/maps.js): the city's tiles, or the registry's own streets and
    // grids drawn offline; without signal the plain background stays.
    var map = window.citygridMaps ? window.citygridMaps.baseMap(element, CONFIG.tiles, { preferCanvas: false, tap: true })
      : L.map(element, { zoomControl: true, attributionControl: !!CONFIG.tiles, tap: true });
    if (!window.citygridMaps) {
      if (CONFIG.tiles) L.tileLayer(CONFIG.tiles, { maxZoom: 20 }).addTo(map);
      else element.classList.add("map-plain");
    }
    map.setView([lat, lon], 17);
    maps.push(map);
    return map;
  }

  function mapsClear() {
    maps.forEach(function (map) { map.remove(); });
    maps = [];
  }

  var gridCache = {};
  function gridAt(lon, lat) {
    if (!navigator.onLine) return Promise.resolve(null);
    return api("/api/grids/locate/?lon=" + lon + "&lat=" + lat).then(function (where) {
      var cached = gridCache[where.unit_grid_id];
      var geometry = cached ? Promise.resolve(cached) : api("/api/grids/unit-grids/" + where.unit_grid_id + "/").then(function (grid) {
        gridCache[where.unit_grid_id] = grid.geometry;
        return grid.geometry;
      });
      return geometry.then(function (g) { where.geometry = g; return where; });
    });
  }

  /* --- screens ------------------------------------------------------------------------------- */

  var current = null;

  function screen(title, children) {
    view.textContent = "";
    view.appendChild(h("h1", { text: title }));
    children.forEach(function (child) { if (child) view.appendChild(child); });
  }

  function staleNote(stale) {
    return stale ? h("p", { className: "muted small", text: t("offline_cached") }) : null;
  }

  function draftSaver(name, draft) {
    var timer = null;
    return function () {
      clearTimeout(timer);
      timer = setTimeout(function () { draft.key = name; dbPut("drafts", draft); }, 250);
    };
  }

  /* Report a problem (collector). */
  function reportScreen() {
    return Promise.all([dbGet("drafts", "report"), cached("classes", "/api/field/classes/").catch(function () { return { data: null }; })])
      .then(function (loaded) {
        var draft = loaded[0] || { key: "report", photos: [], after: [], description: "", address: "", selfHandled: false };
        var picker = loaded[1].data || { frequent: [], classes: [] };
        var save = draftSaver("report", draft);
        // A finding of a special survey (专项普查): the same report, sent to the survey's task.
        var survey = draft.survey || null;
        var byId = {};
        picker.classes.forEach(function (c) { byId[c.id] = c; });
        if (survey && survey.classes.length) {
          // The survey's classes are offered first (as the frequent ones).
          picker = { frequent: survey.classes.map(function (c) { return c.id; }), classes: picker.classes };
          survey.classes.forEach(function (c) { if (!byId[c.id]) byId[c.id] = { id: c.id, name: c.name, code: "", major_name: "" }; });
        }

        var positionText = h("p", { className: "small", id: "position-text", text: t("locating") });
        var gridText = h("p", { className: "small muted", id: "grid-text" });
        var mapElement = h("div", { className: "map", id: "report-map", role: "application", "aria-label": t("tap_to_move") });
        var map = null, marker = null, gridLayer = null;

        function mapOpen(lat, lon) {
          if (map) return;
          map = mapCreate(mapElement, lat, lon);
          map.on("click", function (event) { place(event.latlng.lng, event.latlng.lat, draft.accuracy, true); });
        }

        function place(lon, lat, accuracy, manual) {
          draft.lon = lon; draft.lat = lat; draft.accuracy = accuracy; draft.manual = manual;
          save();
          positionText.textContent = manual ? t("moved_by_hand") : t("accuracy", { m: accuracy });
          mapOpen(lat, lon);
          if (marker) marker.setLatLng([lat, lon]);
          else marker = L.circleMarker([lat, lon], { radius: 11, color: "#000", weight: 3, fillColor: "#e0201b", fillOpacity: 1 }).addTo(map);
          map.panTo([lat, lon]);
          gridText.textContent = navigator.onLine ? "" : t("grid_offline");
          gridAt(lon, lat).then(function (where) {
            if (!where) return;
            gridText.textContent = t("grid", { code: where.unit_grid_code,
              place: [where.street && where.street.name, where.community && where.community.name].filter(Boolean).join(" ") });
            if (gridLayer) map.removeLayer(gridLayer);
            gridLayer = L.geoJSON(where.geometry, { style: { color: "#0b3d6e", weight: 3, fillColor: "#7fb0e8", fillOpacity: 0.25 } }).addTo(map);
            marker.bringToFront();
            map.fitBounds(gridLayer.getBounds().extend([lat, lon]).pad(0.1), { maxZoom: 18 });
          }, function (error) { gridText.textContent = error.message; });
        }

        function relocate() {
          positionText.textContent = t("locating");
          locate(true).then(function (p) { place(p.lon, p.lat, p.accuracy, false); }, function (error) {
            if (draft.lon != null) return (positionText.textContent = t("no_position", { reason: error.message }));
            // No position (GPS off, refused, indoors): the map opens on the collector's own grids
            // (else their region, else the city) and a tap on it sets the point.
            positionText.textContent = t("no_position_tap") + "（" + error.message + "）";
            var area = CONFIG.area;
            if (!area || map) return;
            mapOpen((area[1] + area[3]) / 2, (area[0] + area[2]) / 2);
            map.fitBounds([[area[1], area[0]], [area[3], area[2]]], { maxZoom: 17 });
          });
        }

        // The class: the person's most used first, then a search over all.
        var chosen = h("p", { className: "chosen", id: "class-chosen", hidden: !draft.minor_id,
                              text: draft.minor_id ? t("chosen", { name: draft.minor_name }) : "" });
        function choose(c) {
          draft.minor_id = c.id; draft.minor_name = c.name; save();
          chosen.hidden = false; chosen.textContent = t("chosen", { name: c.name });
        }
        var frequent = h("div", { className: "chips", id: "class-frequent" });
        picker.frequent.forEach(function (id) {
          var c = byId[id];
          if (c) frequent.appendChild(h("button", { type: "button", text: c.name, onclick: function () { choose(c); } }));
        });
        var results = h("div", { className: "results", id: "class-results" });
        var search = h("input", { type: "search", id: "class-search", placeholder: t("search_class"), "aria-label": t("search_class"),
          oninput: function () {
            var q = search.value.trim().toLowerCase();
            results.textContent = "";
            if (!q) return;
            var found = picker.classes.filter(function (c) {
              return c.name.toLowerCase().indexOf(q) >= 0 || c.code.indexOf(q) === 0 || (c.major_name || "").indexOf(q) >= 0;
            }).slice(0, 12);
            if (!found.length) results.appendChild(h("p", { className: "muted", text: t("no_class_match") }));
            found.forEach(function (c) {
              results.appendChild(h("button", { type: "button", text: c.name + " · " + c.major_name, onclick: function () {
                choose(c); search.value = ""; results.textContent = "";
              } }));
            });
          } });

        var description = h("textarea", { id: "report-description", maxLength: 2000, value: draft.description,
          oninput: function () { draft.description = description.value; save(); } });
        var address = h("input", { type: "text", id: "report-address", maxLength: 200, value: draft.address,
          oninput: function () { draft.address = address.value; save(); } });
        var afterBox = h("div", { hidden: !draft.selfHandled }, [cameraField("report-after", t("after_photo"), draft.after, save)]);
        var selfHandled = h("input", { type: "checkbox", id: "report-self", checked: draft.selfHandled, onchange: function () {
          draft.selfHandled = selfHandled.checked; afterBox.hidden = !selfHandled.checked; save();
        } });

        function submit() {
          var missing = !draft.photos.length ? "need_photo" : draft.lon == null ? "need_position" : !draft.minor_id ? "need_class"
            : !draft.description.trim() ? "need_description" : draft.selfHandled && !draft.after.length ? "need_after_photo" : null;
          if (missing) return toast(t(missing), true);
          var files = draft.photos.map(function (blob) { return { field: "photos", blob: blob }; });
          if (draft.selfHandled) files = files.concat(draft.after.map(function (blob) { return { field: "after_photos", blob: blob }; }));
          var kind = survey ? "survey_finding" : draft.selfHandled ? "self_handled" : "report";
          enqueue({
            kind: kind, url: survey ? "/api/surveys/tasks/" + survey.task_id + "/findings/"
              : draft.selfHandled ? "/api/cases/self-handled/" : "/api/cases/",
            label: survey ? t("item_survey_finding", { name: draft.minor_name, grid: survey.grid })
              : t(draft.selfHandled ? "item_self_handled" : "item_report", { name: draft.minor_name }),
            form: { source: "collector", minor_id: draft.minor_id, lon: draft.lon.toFixed(7), lat: draft.lat.toFixed(7),
                    accuracy: draft.accuracy, description: draft.description.trim(), address: draft.address.trim() },
            files: files,
          }).then(function () {
            return dbDelete("drafts", "report");
          }).then(function () {
            toast(navigator.onLine ? t("sending") : t("queued"));
            if (survey) location.hash = "#survey/" + survey.task_id;
            else route();
          });
        }

        var surveyBanner = survey ? h("section", { className: "card survey-banner", id: "survey-banner" }, [
          h("p", { className: "item-head", text: t("survey_finding_for", { name: survey.name, grid: survey.grid }) }),
          h("button", { type: "button", id: "survey-cancel", text: t("survey_leave"), onclick: function () {
            delete draft.survey;
            dbPut("drafts", draft).then(route);
          } }),
        ]) : null;

        screen(survey ? t("survey_report_title") : t("report_title"), [surveyBanner,
          h("section", { className: "card" }, [h("h2", { text: t("photos") }), cameraField("report-photos", t("take_photo"), draft.photos, save)]),
          h("section", { className: "card" }, [
            h("h2", { text: t("position") }), mapElement, positionText, gridText,
            h("p", { className: "small muted", text: t("tap_to_move") }),
            h("button", { type: "button", id: "relocate", text: t("relocate"), onclick: relocate }),
          ]),
          h("section", { className: "card" }, [
            h("h2", { text: t("class") }), chosen,
            picker.frequent.length ? h("p", { className: "small muted", text: t("frequent") }) : null, frequent, search, results,
          ]),
          h("section", { className: "card" }, [
            h("label", { htmlFor: "report-description", text: t("description") }), description,
            h("label", { htmlFor: "report-address", text: t("address") }), address,
            survey ? null : h("label", { className: "switch", htmlFor: "report-self" }, [selfHandled, t("self_handled")]),
            survey ? null : afterBox,
          ]),
          h("div", { className: "sticky-submit" }, [h("button", { type: "button", id: "report-submit", className: "primary big",
                                                              text: t("submit_report"), onclick: submit })]),
        ]);
        // A position kept with a draft under way (photos taken, or moved by hand) stays; an untouched
        // one is taken again, where the person now stands.
        if (draft.lon != null && (draft.manual || draft.photos.length)) place(draft.lon, draft.lat, draft.accuracy, draft.manual);
        else relocate();
      });
  }

  /* Verify and check tasks (collector), nearest first. */
  function pendingAnswers() {
    return outboxItems().then(function (items) {
      var ids = {};
      items.forEach(function (item) { if (item.kind === "action" && item.meta && item.meta.task_id) ids[item.meta.task_id] = item.status; });
      return ids;
    });
  }

  function tasksScreen() {
    return Promise.all([cached("tasks", "/api/cases/tasks/"), pendingAnswers(),
                        cached("survey_tasks", "/api/surveys/tasks/mine/").catch(function () { return { data: [] }; })])
      .then(function (loaded) {
      var data = loaded[0].data || [];
      var surveyTasks = loaded[2].data || [];
      var tasks = Array.isArray(data) ? data : data.results || [];
      var pending = loaded[1];
      var list = h("ul", { className: "list", id: "task-list" });
      function draw(position) {
        tasks.forEach(function (task) {
          task.distance = position ? distance(position.lon, position.lat, task.lon, task.lat) : null;
        });
        tasks.sort(function (a, b) { return (a.distance == null ? 1e12 : a.distance) - (b.distance == null ? 1e12 : b.distance); });
        list.textContent = "";
        if (!tasks.length) list.appendChild(h("li", { className: "muted", text: t("no_tasks") }));
        tasks.forEach(function (task) {
          list.appendChild(h("li", {}, [h("a", { className: "item", href: "#task/" + task.id, "data-task": task.id }, [
            h("div", { className: "item-head" }, [
              h("span", { text: task.minor_name }), h("span", { className: "item-distance", text: task.distance == null ? meters(null) : t("distance", { d: meters(task.distance) }) })]),
            h("div", { text: task.address || task.case_number }),
            h("div", { className: "marks" }, [
              h("span", { className: "mark mark-kind", text: t(task.kind === "verify" ? "kind_verify" : "kind_check") }),
              h("span", { className: "mark", text: task.case_number }),
              h("span", { className: "mark", text: t("deadline", { t: clock(task.deadline) }) }),
              pending[task.id] ? h("span", { className: "mark mark-pending", text: t("answer_pending") }) : null,
            ]),
          ])]));
        });
      }
      var surveys = surveyTasks.length ? h("section", { className: "card", id: "survey-tasks" }, [
        h("h2", { text: t("survey_tasks") }),
        h("ul", { className: "list" }, surveyTasks.map(function (task) {
          return h("li", {}, [h("a", { className: "item", href: "#survey/" + task.id, "data-survey-task": task.id }, [
            h("div", { className: "item-head" }, [h("span", { text: task.survey_name }),
                                                   h("span", { className: "mark", text: task.outcome_label })]),
            h("div", { text: t("survey_grid", { code: task.unit_grid_code, n: task.finding_count }) }),
          ])]);
        })),
      ]) : null;
      screen(t("tasks_title"), [staleNote(loaded[0].stale), surveys, list]);
      draw(lastPosition);
      locate(false).then(draw, function () {});
    });
  }

  function taskScreen(id) {
    return Promise.all([dbGet("cache", "tasks"), dbGet("drafts", "task-" + id)]).then(function (loaded) {
      var rows = loaded[0] ? loaded[0].data : [];
      rows = Array.isArray(rows) ? rows : rows.results || [];
      var task = rows.filter(function (row) { return String(row.id) === String(id); })[0];
      if (!task) { location.hash = "#tasks"; return; }
      var draft = loaded[1] || { photos: [], note: "", result: null };
      var save = draftSaver("task-" + id, draft);
      var verify = task.kind === "verify";
      var choices = verify ? [["verify", true, "verify_true"], ["verify", false, "verify_false"]]
                           : [["check_pass", true, "check_pass"], ["check_fail", false, "check_fail"]];
      var buttons = choices.map(function (choice) {
        var button = h("button", { type: "button", "data-result": String(choice[1]), text: t(choice[2]),
                                   "aria-pressed": String(draft.result === choice[1]), onclick: function () {
          draft.result = choice[1]; save();
          buttons.forEach(function (b) { b.setAttribute("aria-pressed", String(b === button)); });
        } });
        return button;
      });
      var note = h("textarea", { id: "task-note", maxLength: 2000, value: draft.note, oninput: function () { draft.note = note.value; save(); } });
      var where = h("p", { className: "small", id: "task-distance" });
      locate(true).then(function (p) {
        where.textContent = t("answer_at", { d: meters(distance(p.lon, p.lat, task.lon, task.lat)) });
      }, function (error) { where.textContent = t("no_position", { reason: error.message }); });

      function submit() {
        if (draft.result == null) return toast(t(verify ? "verify_true" : "check_pass") + " / " + t(verify ? "verify_false" : "check_fail"), true);
        if (!draft.photos.length) return toast(t("need_photo"), true);
        if (draft.result === false && !draft.note.trim()) return toast(t("need_note"), true);
        var choice = choices.filter(function (c) { return c[1] === draft.result; })[0];
        locate(true).then(function (p) { return p; }, function () { return lastPosition; }).then(function (p) {
          var far = p ? distance(p.lon, p.lat, task.lon, task.lat) : null;
          if (far != null && far > CONFIG.answer_radius_m) toast(t("far_warning", { r: CONFIG.answer_radius_m }), true);
          var form = { note: draft.note.trim() };
          if (verify) form.is_true = draft.result ? "true" : "false";
          if (p) { form.lon = p.lon.toFixed(7); form.lat = p.lat.toFixed(7); form.accuracy = p.accuracy; }
          return enqueue({
            kind: "action", url: "/api/cases/" + task.case_id + "/actions/" + choice[0] + "/",
            label: t("item_action", { action: t(choice[2]), number: task.case_number }),
            meta: { task_id: task.id, case_id: task.case_id }, form: form,
            files: draft.photos.map(function (blob) { return { field: "photos", blob: blob }; }),
          });
        }).then(function () { return dbDelete("drafts", "task-" + id); }).then(function () {
          toast(navigator.onLine ? t("sending") : t("queued"));
          location.hash = "#tasks";
        });
      }

      screen(t(verify ? "kind_verify" : "kind_check") + " · " + task.case_number, [
        h("section", { className: "card" }, [
          h("p", { className: "item-head", text: task.minor_name }),
          h("p", { text: task.address }), h("p", { className: "muted", text: task.description }), where,
          h("a", { className: "btn nav-link", href: "geo:" + task.lat + "," + task.lon + "?q=" + task.lat + "," + task.lon, text: t("navigate") }),
        ]),
        h("section", { className: "card" }, [h("h2", { text: t("photos") }), cameraField("task-photos", t("take_photo"), draft.photos, save)]),
        h("section", { className: "card" }, [h("div", { className: "row" }, buttons),
                                             h("label", { htmlFor: "task-note", text: t("note") }), note]),
        h("div", { className: "sticky-submit" }, [h("button", { type: "button", id: "task-submit", className: "primary big",
                                                            text: t("kind_" + task.kind) + " · " + t("send_now"), onclick: submit })]),
      ]);
    });
  }

  /* A special survey's grid (专项普查): the grid on the map, its classes, and the two answers: a
     finding (the report screen, sent to the task) or "no problem here". */
  function surveyScreen(id) {
    return cached("survey_tasks", "/api/surveys/tasks/mine/").then(function (loaded) {
      var task = (loaded.data || []).filter(function (row) { return String(row.id) === String(id); })[0];
      if (!task) { location.hash = "#tasks"; return; }
      var mapElement = h("div", { className: "map", id: "survey-map", role: "img", "aria-label": t("survey_grid_map") });
      function finding() {
        dbGet("drafts", "report").then(function (draft) {
          draft = draft || { key: "report", photos: [], after: [], description: "", address: "" };
          draft.selfHandled = false;
          draft.survey = { task_id: task.id, name: task.survey_name, grid: task.unit_grid_code, classes: task.classes };
          return dbPut("drafts", draft);
        }).then(function () { location.hash = "#report"; });
      }
      function noProblem() {
        enqueue({ kind: "survey_no_problem", url: "/api/surveys/tasks/" + task.id + "/no-problem/",
                  label: t("item_survey_no_problem", { grid: task.unit_grid_code }), json: {} })
          .then(function () { toast(navigator.onLine ? t("sending") : t("queued")); location.hash = "#tasks"; });
      }
      screen(task.survey_name + " · " + task.unit_grid_code, [
        staleNote(loaded.stale),
        h("section", { className: "card" }, [
          h("p", { className: "item-head", text: task.outcome_label }),
          h("p", { text: t("survey_classes", { names: task.classes.map(function (c) { return c.name; }).join("、") || t("survey_any_class") }) }),
          h("p", { className: "muted", text: t("survey_until", { date: task.ends_on }) }),
          mapElement,
        ]),
        h("div", { className: "row" }, [
          h("button", { type: "button", id: "survey-finding", className: "primary big", text: t("survey_found"), onclick: finding }),
          task.outcome === "found" ? null
            : h("button", { type: "button", id: "survey-no-problem", className: "big", text: t("survey_no_problem"), onclick: noProblem }),
        ]),
      ]);
      var map = mapCreate(mapElement, task.center_lat, task.center_lon);
      var shape = L.geoJSON(task.geometry, { style: { color: "#0b3d6e", weight: 3, fillColor: "#7fb0e8", fillOpacity: 0.25 } }).addTo(map);
      map.fitBounds(shape.getBounds().pad(0.1), { maxZoom: 18 });
    });
  }

  /* Patrol (collector): on and off duty, the track, check-ins at posts, the day's work log. */
  var trackTimer = null, batchTimer = null;

  function duty() { return dbGet("state", "duty").then(function (row) { return row || { key: "duty", on: false }; }); }

  function tick() {
    return locate(true).then(function (p) {
      return store(["points"], "readwrite", function (tx) {
        tx.objectStore("points").add({ at: p.at, lon: p.lon, lat: p.lat, accuracy: p.accuracy });
      }).then(function () {
        return duty().then(function (state) {
          if (state.last) state.walked = (state.walked || 0) + distance(state.last.lon, state.last.lat, p.lon, p.lat);
          state.last = p; state.points = (state.points || 0) + 1;
          return dbPut("state", state);
        });
      }).then(function () { if (current && current.onTrack) current.onTrack(); });
    }, function () {});
  }

  // The points taken so far become one outbox item, in one transaction: none lost, none twice.
  function pointsBatch() {
    return store(["points", "outbox"], "readwrite", function (tx) {
      var points = tx.objectStore("points");
      points.getAll().onsuccess = function (event) {
        var rows = event.target.result;
        if (!rows.length) return;
        tx.objectStore("outbox").put({
          key: uuid(), kind: "points", url: "/api/patrol/points/", created: new Date().toISOString(), status: "waiting", attempts: 0,
          label: t("item_points", { n: rows.length }),
          json: { points: rows.map(function (r) { return { at: r.at, lon: r.lon, lat: r.lat, accuracy: r.accuracy }; }) },
        });
        points.clear();
      };
    }).then(function () { badge(); return flush(); });
  }

  function trackStart() {
    if (trackTimer) return;
    tick();
    trackTimer = setInterval(tick, CONFIG.track_interval_s * 1000);
    batchTimer = setInterval(pointsBatch, CONFIG.track_batch_s * 1000);
  }

  function trackStop() {
    clearInterval(trackTimer); clearInterval(batchTimer);
    trackTimer = batchTimer = null;
  }

  function dutySet(on) {
    return locate(true).catch(function () { return lastPosition; }).then(function (p) {
      var at = new Date().toISOString();
      var body = { on_duty: on, at: at };
      if (p) { body.lon = p.lon; body.lat = p.lat; }
      var before = on ? Promise.resolve() : tick().then(pointsBatch);
      return before.then(function () {
        if (!on) trackStop();
        return enqueue({ kind: "duty", url: "/api/patrol/duty/", label: t(on ? "item_duty_on" : "item_duty_off"), json: body });
      }).then(function () {
        return dbPut("state", { key: "duty", on: on, since: on ? at : null, points: 0, walked: 0, last: null });
      }).then(function () { if (on) trackStart(); });
    });
  }

  function patrolScreen() {
    return Promise.all([duty(), cached("posts", "/api/patrol/posts/").catch(function () { return { data: [] }; }),
                        outboxItems()]).then(function (loaded) {
      var state = loaded[0], posts = loaded[1].data || [], items = loaded[2];
      var checkinsPending = {};
      items.forEach(function (item) { if (item.kind === "checkin" && item.status === "waiting") checkinsPending[item.json.post_id] = true; });
      var stateText = h("p", { className: "duty-state", id: "duty-state" });
      var since = h("p", { className: "small" });
      var pointsText = h("p", { className: "small", id: "points-text" });
      var toggle = h("button", { type: "button", id: "duty-toggle", className: "big primary", onclick: function () {
        toggle.disabled = true;
        dutySet(!state.on).then(route, function () { toggle.disabled = false; });
      } });
      var card = h("section", { className: "card duty" + (state.on ? " on" : "") }, [stateText, since, pointsText, toggle]);
      function drawDuty() {
        duty().then(function (s) {
          state = s;
          stateText.textContent = s.on ? t("on_duty") : t("off_duty");
          toggle.textContent = s.on ? t("go_off_duty") : t("go_on_duty");
          since.textContent = s.on && s.since ? t("duty_since", { t: clock(s.since), d: duration((Date.now() - new Date(s.since)) / 1000) }) : "";
          pointsText.textContent = s.on ? t("points_recorded", { n: s.points || 0 }) + " · " + t("walked", { d: meters(s.walked || 0) }) : "";
          postsDraw();
        });
      }

      var postList = h("ul", { className: "list", id: "post-list" });
      function postsDraw() {
        postList.textContent = "";
        if (!posts.length) postList.appendChild(h("li", { className: "muted", text: t("no_posts") }));
        posts.forEach(function (post) {
          var d = lastPosition ? distance(lastPosition.lon, lastPosition.lat, post.lon, post.lat) : null;
          var done = post.checked_in_today || checkinsPending[post.id];
          postList.appendChild(h("li", { className: "card" }, [
            h("div", { className: "item-head" }, [h("span", { text: post.name }), h("span", { className: "item-distance", text: meters(d) })]),
            h("p", { className: "small muted", text: t("post_radius", { r: post.radius_m }) }),
            done ? h("p", { className: "ok", text: post.checked_in_today ? t("checked_in") : t("waiting") }) :
              h("button", { type: "button", className: "big", "data-post": post.id, text: t("check_in"), disabled: !state.on,
                            onclick: function () { checkIn(post); } }),
          ]));
        });
      }

      function checkIn(post) {
        locate(true).then(function (p) {
          var d = distance(p.lon, p.lat, post.lon, post.lat);
          if (d > post.radius_m + Math.min(p.accuracy || 0, 50)) {
            return toast(t("too_far_post", { d: meters(d), r: post.radius_m }), true);
          }
          checkinsPending[post.id] = true;
          return enqueue({ kind: "checkin", url: "/api/patrol/checkins/", label: t("item_checkin", { name: post.name }),
                           json: { post_id: post.id, lon: p.lon, lat: p.lat, accuracy: p.accuracy, at: p.at } })
            .then(postsDraw);
        }, function (error) { toast(t("no_position", { reason: error.message }), true); });
      }

      var log = h("div", { className: "stats", id: "worklog" });
      function logDraw() {
        if (!navigator.onLine) return;
        api("/api/patrol/today/").then(function (day) {
          log.textContent = "";
          [["log_on_duty", duration(day.on_duty_seconds)], ["log_distance", meters(day.distance_m)], ["log_reports", day.reports],
           ["log_tasks", day.tasks_done], ["log_checkins", day.checkins + " / " + day.checkins_due]].forEach(function (cell) {
            log.appendChild(h("div", {}, [h("span", { className: "small", text: t(cell[0]) }), h("b", { text: String(cell[1]) })]));
          });
        }, function () {});
      }

      screen(t("patrol_title"), [card, h("h2", { text: t("posts") }), staleNote(loaded[1].stale), postList,
                                 h("h2", { text: t("worklog") }), log]);
      drawDuty();
      logDraw();
      locate(false).then(postsDraw, function () {});
      current.onTrack = drawDuty;
      // A check-in that went out: the server's word (checked in today) replaces the phone's.
      current.onQueueChange = function () {
        logDraw();
        Promise.all([cached("posts", "/api/patrol/posts/"), outboxItems()]).then(function (fresh) {
          posts = fresh[0].data || posts;
          checkinsPending = {};
          fresh[1].forEach(function (item) { if (item.kind === "checkin" && item.status === "waiting") checkinsPending[item.json.post_id] = true; });
          postsDraw();
        }, function () {});
      };
    });
  }

  /* The outbox as the person sees it: what waits, what failed and why, what went. */
  function queueScreen() {
    return Promise.all([outboxItems(), dbAll("sent")]).then(function (loaded) {
      var items = loaded[0], sent = loaded[1].sort(function (a, b) { return a.at < b.at ? 1 : -1; });
      var list = h("ul", { className: "list", id: "queue-list" });
      if (!items.length) list.appendChild(h("li", { className: "muted", text: t("queue_empty") }));
      items.forEach(function (item) {
        var failed = item.status === "failed";
        list.appendChild(h("li", { className: "card queue-item" + (failed ? " failed" : ""), "data-status": item.status }, [
          h("div", { className: "item-head" }, [h("span", { text: item.label }), h("span", { className: "small", text: clock(item.created) })]),
          h("span", { className: "status " + (failed ? "error" : ""), text: failed ? t("failed") + "：" + item.error
            : t("waiting") + (item.lastError ? "（" + item.lastError + "）" : "") }),
          failed ? h("div", { className: "row" }, [
            h("button", { type: "button", text: t("retry"), onclick: function () {
              item.status = "waiting"; item.error = null;
              dbPut("outbox", item).then(flush).then(route);
            } }),
            h("button", { type: "button", className: "danger", text: t("discard"), onclick: function () {
              dbDelete("outbox", item.key).then(badge).then(route);
            } }),
          ]) : null,
        ]));
      });
      var recent = h("ul", { className: "list", id: "sent-list" });
      sent.slice(0, 10).forEach(function (row) {
        recent.appendChild(h("li", { className: "card" }, [h("div", { className: "item-head" }, [
          h("span", { text: row.label + (row.summary ? " · " + row.summary : "") }), h("span", { className: "small ok", text: clock(row.at) })])]));
      });
      screen(t("queue_title"), [list, h("button", { type: "button", className: "big primary", id: "send-now", text: t("send_now"),
                                                   disabled: !items.length, onclick: function () { flush().then(route); } }),
                                 h("h2", { text: t("recent_sent") }), recent]);
      current.onQueueChange = function () { if (current.name === "queue") route(); };
    });
  }

  /* The department's inbox (handler), overdue first, with the case's marks. */
  // The state marks come from the server (cases.marks: 挂账 until when, 督办, 返工, 延期), the same
  // words as the desk's lists; a suspended case's clock stands still, so it shows no deadline.
  var MARK_CLASSES = { suspended: "mark-suspended", urged: "mark-urged", reworked: "mark-rework", extended: "mark-extended" };
  function marks(c) {
    var server = (c.marks || []).map(function (m) {
      return h("span", { className: "mark " + (MARK_CLASSES[m.kind] || ""), text: m.label, title: m.title });
    });
    // An assisting department's case (协办) runs on its task's deadline, not the lead's.
    var due = c.assisting ? c.assist_deadline : c.current_deadline;
    return h("div", { className: "marks" }, [
      c.assisting ? h("span", { className: "mark mark-assisting", text: t("mark_assisting") }) : null,
      c.overdue ? h("span", { className: "mark mark-overdue", text: t("mark_overdue") }) : null,
    ].concat(server, [
      c.extension_pending ? h("span", { className: "mark mark-pending", text: t("mark_ext_pending") }) : null,
      c.suspension_pending ? h("span", { className: "mark mark-pending", text: t("mark_susp_pending") }) : null,
      due && c.state !== "suspended" ? h("span", { className: "mark", text: t("deadline", { t: clock(due) }) }) : null,
    ]));
  }

  function inboxScreen() {
    return cached("inbox", "/api/field/inbox/").then(function (loaded) {
      var cases = loaded.data || [];
      var list = h("ul", { className: "list", id: "inbox-list" });
      function draw() {
        list.textContent = "";
        if (!cases.length) list.appendChild(h("li", { className: "muted", text: t("inbox_empty") }));
        cases.forEach(function (c) {
          var d = lastPosition ? distance(lastPosition.lon, lastPosition.lat, c.lon, c.lat) : null;
          list.appendChild(h("li", {}, [h("a", { className: "item", href: "#case/" + c.id, "data-case": c.number }, [
            h("div", { className: "item-head" }, [h("span", { text: c.minor_name }), h("span", { className: "item-distance", text: meters(d) })]),
            h("div", { text: c.address || c.number }), h("div", { className: "small muted", text: c.number + " · " + c.state_display }),
            marks(c),
          ])]));
        });
      }
      screen(t("inbox_title"), [staleNote(loaded.stale), list]);
      draw();
      var shown = current;
      locate(false).then(function () { if (current === shown) draw(); }, function () {});
    });
  }

  function caseScreen(id) {
    return Promise.all([dbGet("cache", "inbox"), dbGet("drafts", "case-" + id),
                        navigator.onLine ? api("/api/cases/" + id + "/").catch(function () { return null; }) : null]).then(function (loaded) {
      var row = (loaded[0] ? loaded[0].data : []).filter(function (c) { return String(c.id) === String(id); })[0];
      var detail = loaded[2];
      var c = row || detail;
      if (!c) { location.hash = "#inbox"; return; }
      // Offline, the moves the inbox row implies: an assisting department (协办) reports its part
      // done, the lead handles, asks for time or suspends.
      var actions = detail ? detail.available_actions
        : row && row.assisting ? ["assist_done"] : ["report_handled", "request_extension", "request_suspension"];
      var draft = loaded[1] || { photos: [], note: "", until: "", extReason: "", suspReason: "" };
      var save = draftSaver("case-" + id, draft);
      var mapElement = h("div", { className: "map", id: "case-map" });

      function act(action, form, files, label) {
        return locate(true).catch(function () { return lastPosition; }).then(function (p) {
          if (p && action === "report_handled") { form.lon = p.lon.toFixed(7); form.lat = p.lat.toFixed(7); form.accuracy = p.accuracy; }
          return enqueue({ kind: "action", url: "/api/cases/" + c.id + "/actions/" + action + "/", meta: { case_id: c.id },
                           label: t("item_action", { action: label, number: c.number }), form: form, files: files });
        }).then(function () { return dbDelete("drafts", "case-" + id); }).then(function () {
          toast(navigator.onLine ? t("sending") : t("queued"));
          location.hash = "#inbox";
        });
      }

      var note = h("textarea", { id: "handled-note", maxLength: 2000, value: draft.note, oninput: function () { draft.note = note.value; save(); } });
      var handled = actions.indexOf("report_handled") >= 0 ? h("section", { className: "card", id: "handled-form" }, [
        h("h2", { text: t("handled_title") }), cameraField("handled-photos", t("take_photo"), draft.photos, save),
        h("label", { htmlFor: "handled-note", text: t("handled_note") }), note,
        h("button", { type: "button", id: "handled-submit", className: "big primary", text: t("submit_handled"), onclick: function () {
          if (!draft.photos.length) return toast(t("need_photo"), true);
          act("report_handled", { note: draft.note.trim() },
              draft.photos.map(function (blob) { return { field: "photos", blob: blob }; }), t("handled_title"));
        } }),
      ]) : null;

      var assistNote = h("textarea", { id: "assist-note", maxLength: 2000, value: draft.assistNote || "",
                                       oninput: function () { draft.assistNote = assistNote.value; save(); } });
      var assist = actions.indexOf("assist_done") >= 0 ? h("section", { className: "card", id: "assist-form" }, [
        h("h2", { text: t("assist_title") }), h("p", { className: "small muted", text: t("assist_hint") }),
        h("label", { htmlFor: "assist-note", text: t("assist_note") }), assistNote,
        h("button", { type: "button", id: "assist-submit", className: "big primary", text: t("assist_title"), onclick: function () {
          act("assist_done", { note: (draft.assistNote || "").trim() }, [], t("assist_title"));
        } }),
      ]) : null;

      var until = h("input", { type: "datetime-local", id: "ext-until", value: draft.until, oninput: function () { draft.until = until.value; save(); } });
      var extReason = h("textarea", { id: "ext-reason", value: draft.extReason, oninput: function () { draft.extReason = extReason.value; save(); } });
      var extension = actions.indexOf("request_extension") >= 0 ? h("details", { className: "card" }, [
        h("summary", { className: "btn big", text: t("extension_title") }),
        h("label", { htmlFor: "ext-until", text: t("extension_until") }), until,
        h("label", { htmlFor: "ext-reason", text: t("reason") }), extReason,
        h("button", { type: "button", id: "ext-submit", className: "big", text: t("submit_request"), onclick: function () {
          if (!draft.until) return toast(t("need_deadline"), true);
          if (!draft.extReason.trim()) return toast(t("need_note"), true);
          act("request_extension", { note: draft.extReason.trim(), requested_deadline: new Date(draft.until).toISOString() }, [],
              t("extension_title"));
        } }),
      ]) : null;
      var suspUntil = h("input", { type: "date", id: "susp-until", value: draft.suspUntil || "", oninput: function () { draft.suspUntil = suspUntil.value; save(); } });
      var suspReason = h("textarea", { id: "susp-reason", value: draft.suspReason, oninput: function () { draft.suspReason = suspReason.value; save(); } });
      var suspension = actions.indexOf("request_suspension") >= 0 ? h("details", { className: "card" }, [
        h("summary", { className: "btn big", text: t("suspension_title") }),
        h("label", { htmlFor: "susp-until", text: t("suspension_until") }), suspUntil,
        h("label", { htmlFor: "susp-reason", text: t("reason") }), suspReason,
        h("button", { type: "button", id: "susp-submit", className: "big", text: t("submit_request"), onclick: function () {
          if (!draft.suspUntil) return toast(t("need_until"), true);
          if (!draft.suspReason.trim()) return toast(t("need_note"), true);
          act("request_suspension", { note: draft.suspReason.trim(), until: draft.suspUntil }, [], t("suspension_title"));
        } }),
      ]) : null;

      screen(c.number, [
        h("section", { className: "card" }, [
          h("p", { className: "item-head", text: c.minor_name }), h("p", { text: c.address }),
          h("p", { className: "muted", text: c.description }), row ? marks(row) : null,
        ]),
        h("section", { className: "card" }, [mapElement,
          h("a", { className: "btn big nav-link", id: "navigate", href: "geo:" + c.lat + "," + c.lon + "?q=" + c.lat + "," + c.lon, text: t("navigate") })]),
        assist, handled, extension, suspension,
      ]);
      var map = mapCreate(mapElement, c.lat, c.lon);
      L.circleMarker([c.lat, c.lon], { radius: 11, color: "#000", weight: 3, fillColor: "#e0201b", fillOpacity: 1 }).addTo(map);
      if (lastPosition) {
        L.circleMarker([lastPosition.lat, lastPosition.lon], { radius: 8, color: "#fff", weight: 3, fillColor: "#1d5fb4", fillOpacity: 1 }).addTo(map);
        map.fitBounds(L.latLngBounds([[c.lat, c.lon], [lastPosition.lat, lastPosition.lon]]).pad(0.3), { maxZoom: 18 });
      }
    });
  }

  /* --- routing ------------------------------------------------------------------------------- */

  var SCREENS = isHandler ? { inbox: inboxScreen, "case": caseScreen, queue: queueScreen }
    : { report: reportScreen, tasks: tasksScreen, task: taskScreen, survey: surveyScreen, patrol: patrolScreen, queue: queueScreen };

  function route() {
    var parts = (location.hash.slice(1) || "").split("/");
    var name = SCREENS[parts[0]] ? parts[0] : isHandler ? "inbox" : "report";
    mapsClear();
    current = { name: name };
    var tab = { task: "tasks", survey: "tasks", "case": "inbox" }[name] || name;
    Array.prototype.forEach.call(document.querySelectorAll("#tabs a"), function (link) {
      if (link.dataset.tab === tab) link.setAttribute("aria-current", "page");
      else link.removeAttribute("aria-current");
    });
    var shown = current;
    return Promise.resolve(SCREENS[name](parts[1])).catch(function (error) {
      if (current === shown) screen(t("load_failed", { reason: error.message }), []);
    }).then(function () { view.dataset.screen = name; });
  }

  window.addEventListener("hashchange", function () { route(); window.scrollTo(0, 0); });

  // What the screens need without signal, kept while there is signal: tasks, classes and posts,
  // or the inbox. Refreshed every minute and when the signal comes back.
  function prefetch() {
    if (!navigator.onLine) return;
    var lists = isHandler ? [["inbox", "/api/field/inbox/"]]
      : [["tasks", "/api/cases/tasks/"], ["classes", "/api/field/classes/"], ["posts", "/api/patrol/posts/"],
         ["survey_tasks", "/api/surveys/tasks/mine/"]];
    lists.forEach(function (list) { cached(list[0], list[1]).catch(function () {}); });
  }

  window.addEventListener("online", prefetch);
  netShow();
  badge();
  route();
  flush();
  prefetch();
  setInterval(flush, 20000);
  setInterval(prefetch, 60000);
  if (!isHandler) duty().then(function (state) { if (state.on) trackStart(); });
  if ("serviceWorker" in navigator) navigator.serviceWorker.register(CONFIG.sw, { scope: CONFIG.sw.replace(/sw\.js$/, "") }).catch(function () {});
})();
