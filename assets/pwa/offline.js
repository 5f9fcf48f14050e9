/* Mrasla — offline support in plain JS (independent of Reflex's websocket).
 *
 * Loaded on every page (and on the offline screen /offline.html):
 *  1. registers the service worker /sw.js and offers a new version with an update prompt
 *     (the page reloads on `controllerchange` once the user accepts);
 *  2. shows a bilingual connection indicator: "disconnected" while the browser is offline or the
 *     Reflex websocket is failing (marker #mr-conn[data-state], rendered by the app), "reconnected"
 *     when it comes back; Reflex keeps queued events in memory, so the message says not to reload;
 *  3. on /deposit, keeps the citizen's draft (fields AND attachments) in IndexedDB while they type
 *     in the wizard, with an idempotency key generated once per draft;
 *  4. when offline (or on the offline screen), shows the draft in a plain HTML form; "send when
 *     online" queues it, and as soon as the network is back it is POSTed once to
 *     /api/v1/deposits with its Idempotency-Key (a retry returns the same deposit), then the
 *     receipt (registry number + receipt link) is shown and the draft erased.
 * Texts come from /pwa/strings.json, generated from the i18n catalogues at build time.
 */
(function () {
  "use strict";
  if (window.__mrasla_pwa) {
    return;
  }
  window.__mrasla_pwa = true;

  var DEPOSITS_API = "/api/v1/deposits";
  var DIRECTORY_API = "/api/v1/administrations";
  var MAX_FILES = 10;
  var MAX_MB = 10;
  var TYPES = { "application/pdf": 1, "image/jpeg": 1, "image/png": 1,  // + Office, converted by the server
               "application/vnd.openxmlformats-officedocument.wordprocessingml.document": 1,
               "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": 1,
               "application/vnd.oasis.opendocument.text": 1, "application/vnd.oasis.opendocument.spreadsheet": 1 };
  var FIELDS = ["full_name", "id_kind", "id_value", "email", "phone", "subject", "message", "unit"];
  var onOfflinePage = !!document.documentElement.querySelector("[data-mr-offline-page]") ||
    location.pathname === "/offline.html";

  // --- strings -------------------------------------------------------------------------------
  var STR = { ar: {}, fr: {}, en: {} };
  var ready = fetch("/pwa/strings.json", { credentials: "same-origin" })
    .then(function (r) { return r.ok ? r.json() : STR; })
    .then(function (j) { STR = j; }, function () { /* keys stay visible */ });

  function lang() { var l = document.documentElement.lang; return l === "ar" || l === "en" ? l : "fr"; }
  function tr(key, params) {
    var s = (STR[lang()] && STR[lang()][key]) || (STR.fr && STR.fr[key]) || key;
    if (params) {
      Object.keys(params).forEach(function (k) { s = s.split("{" + k + "}").join(String(params[k])); });
    }
    return s;
  }
  // Elements built here carry data-mr-k (text) / data-mr-aria (aria-label) / data-mr-p (params)
  // so that a language switch re-translates them in place.
  function retranslate(root) {
    (root || document).querySelectorAll("[data-mr-k]").forEach(function (el) {
      var p = el.getAttribute("data-mr-p");
      el.textContent = tr(el.getAttribute("data-mr-k"), p ? JSON.parse(p) : null);
    });
    (root || document).querySelectorAll("[data-mr-aria]").forEach(function (el) {
      el.setAttribute("aria-label", tr(el.getAttribute("data-mr-aria")));
    });
  }
  function h(tag, attrs, children) {
    var el = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      var v = attrs[k];
      if (v === null || v === undefined || v === false) { return; }
      if (k === "k") { el.setAttribute("data-mr-k", v); el.textContent = tr(v); }
      else if (k === "p") { el.setAttribute("data-mr-p", JSON.stringify(v)); }
      else if (k === "aria") { el.setAttribute("data-mr-aria", v); el.setAttribute("aria-label", tr(v)); }
      else if (k === "text") { el.textContent = v; }
      else if (k.slice(0, 2) === "on") { el.addEventListener(k.slice(2), v); }
      else if (v === true) { el.setAttribute(k, ""); }
      else { el.setAttribute(k, v); }
    });
    (children || []).forEach(function (c) { if (c) { el.appendChild(typeof c === "string" ? document.createTextNode(c) : c); } });
    if (el.hasAttribute("data-mr-p") && el.hasAttribute("data-mr-k")) {
      el.textContent = tr(el.getAttribute("data-mr-k"), JSON.parse(el.getAttribute("data-mr-p")));
    }
    return el;
  }
  new MutationObserver(function () {
    retranslate();
    var tools = document.getElementById("mr-offline-tools");
    if (tools) { renderLangButton(tools); }
  }).observe(document.documentElement, { attributes: true, attributeFilter: ["lang"] });

  // --- IndexedDB ------------------------------------------------------------------------------
  var dbp = null;
  function db() {
    if (!dbp) {
      dbp = new Promise(function (resolve, reject) {
        var req = indexedDB.open("mrasla-offline", 1);
        req.onupgradeneeded = function () { req.result.createObjectStore("kv"); };
        req.onsuccess = function () { resolve(req.result); };
        req.onerror = function () { reject(req.error); };
      });
    }
    return dbp;
  }
  function tx(mode, fn) {
    return db().then(function (d) {
      return new Promise(function (resolve, reject) {
        var t = d.transaction("kv", mode);
        var out = fn(t.objectStore("kv"));
        t.oncomplete = function () { resolve(out && out.result); };
        t.onerror = t.onabort = function () { reject(t.error); };
      });
    });
  }
  function idbGet(key) { return tx("readonly", function (s) { return s.get(key); }); }
  function idbPut(key, value) { return tx("readwrite", function (s) { s.put(value, key); }); }
  function idbDel(keys) { return tx("readwrite", function (s) { keys.forEach(function (k) { s.delete(k); }); }); }

  function newKey() {
    if (window.crypto && crypto.randomUUID) { return crypto.randomUUID(); }
    var a = new Uint8Array(16);
    crypto.getRandomValues(a);
    return Array.prototype.map.call(a, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  // The draft: {key, fields, administration, adm_name, queued, updated}; files under "draft-files".
  var draft = null;
  var draftFiles = [];
  var isLoaded = false;
  // Only a draft already stored when the page loaded (an earlier visit) may be offered for resuming:
  // what the user types now, online, creates a draft too, but it is not "an unsent deposit".
  var resumable = false;
  var loaded = Promise.all([idbGet("draft"), idbGet("draft-files")]).then(function (v) {
    draft = v[0] || null;
    draftFiles = v[1] || [];
    resumable = hasContent(draft);
  }, function () { draft = null; draftFiles = []; }).then(function () { isLoaded = true; });
  // Every change to the draft waits for the stored one: typing before it is read loses nothing.
  function withDraft(fn) {
    if (isLoaded) { fn(ensureDraft()); return; }
    loaded.then(function () { fn(ensureDraft()); });
  }

  function ensureDraft() {
    if (!draft) {
      draft = { key: newKey(), fields: { id_kind: "CIN" }, administration: "", adm_name: "", queued: false };
    }
    return draft;
  }
  // Written at once (a closed tab or a reload right after typing loses nothing); changes made
  // while a write is in flight are coalesced into one more write.
  var writing = null;
  var dirty = false;
  function saveDraft() {
    dirty = true;
    if (!writing) {
      writing = (function loop() {
        if (!dirty || !draft) { writing = null; return Promise.resolve(); }
        dirty = false;
        draft.updated = Date.now();
        return idbPut("draft", draft).then(flashSaved, function () {}).then(loop);
      })();
    }
    return writing;
  }
  function saveFiles() { return idbPut("draft-files", draftFiles).catch(function () {}); }
  function clearDraft() {
    draft = null;
    draftFiles = [];
    return idbDel(["draft", "draft-files"]).catch(function () {});
  }
  function hasContent(d) {
    if (!d) { return false; }
    return !!(d.administration || draftFiles.length || FIELDS.some(function (f) {
      return f !== "id_kind" && d.fields && d.fields[f];
    }));
  }

  // --- files ------------------------------------------------------------------------------------
  function sizeText(n) {
    if (n < 1024 * 1024) { return Math.max(1, Math.round(n / 1024)) + "\u00a0" + tr("common.unit_kb"); }
    return (n / (1024 * 1024)).toFixed(1) + "\u00a0" + tr("common.unit_mb");
  }
  function addFiles(list, onError) {
    var added = 0;
    Array.prototype.forEach.call(list || [], function (f) {
      if (draftFiles.length >= MAX_FILES) { return; }
      if (draftFiles.some(function (g) { return g.name === f.name && g.size === f.size && g.modified === f.lastModified; })) {
        return; // the same file picked twice
      }
      if (!TYPES[f.type]) { onError && onError(tr("pwa.file_type", { name: f.name })); return; }
      if (f.size > MAX_MB * 1024 * 1024) { onError && onError(tr("pwa.file_too_large", { name: f.name, max: MAX_MB })); return; }
      draftFiles.push({ name: f.name, type: f.type, size: f.size, modified: f.lastModified, blob: f });
      added++;
    });
    if (added) { ensureDraft(); saveDraft(); }
    return saveFiles();
  }

  // --- capture from the Reflex wizard (online) --------------------------------------------------
  function onDepositPage() { return /^\/deposit\/?$/.test(location.pathname); }
  function inWizard(el) { return onDepositPage() && el && el.closest && !el.closest("#mr-offline-deposit"); }

  function capture(event) {
    var el = event.target;
    if (!inWizard(el)) { return; }
    var m = /^deposit-(\w+)$/.exec(el.id || "");
    if (el.type === "file") {
      if (event.type === "change" && el.closest("[data-testid=deposit-files]")) {
        var picked = Array.prototype.slice.call(el.files || []);
        withDraft(function () { addFiles(picked); });
      }
      return;
    }
    var value = el.value;
    if (el.name === "id_kind" && el.checked) {
      withDraft(function (d) { d.fields.id_kind = value; saveDraft(); });
    } else if (m && FIELDS.indexOf(m[1]) >= 0) {
      withDraft(function (d) { d.fields[m[1]] = value; saveDraft(); });
    }
  }
  document.addEventListener("input", capture, true);
  document.addEventListener("change", capture, true);
  document.addEventListener("drop", function (event) {
    var zone = event.target && event.target.closest && event.target.closest("[data-testid=deposit-files]");
    if (zone && inWizard(zone) && event.dataTransfer) {
      var dropped = Array.prototype.slice.call(event.dataTransfer.files || []);
      withDraft(function () { addFiles(dropped); });
    }
  }, true);
  document.addEventListener("click", function (event) {
    var t = event.target;
    if (!inWizard(t)) { return; }
    var adm = t.closest("[data-testid=adm-result]");
    if (adm) {
      var code = adm.getAttribute("data-code") || "";
      var name = adm.querySelector(".adm-name");
      var label = name ? name.textContent : code;
      withDraft(function (d) {
        d.administration = code;
        d.adm_name = label;
        d.fields.unit = "";
        saveDraft();
      });
      return;
    }
    if (t.closest("[data-testid=adm-change]")) {
      withDraft(function (d) { d.administration = ""; d.adm_name = ""; saveDraft(); });
      return;
    }
    var remove = t.closest("[data-testid=deposit-file-remove]");
    if (remove) {
      var rows = Array.prototype.slice.call(document.querySelectorAll("[data-testid=deposit-file]"));
      var index = rows.indexOf(remove.closest("[data-testid=deposit-file]"));
      withDraft(function () {
        if (index >= 0 && rows.length === draftFiles.length) {
          draftFiles.splice(index, 1);
          saveFiles();
        }
      });
    }
  }, true);

  // The wizard deposited it itself (its receipt page): this draft is done.
  var lastPath = location.pathname;
  function watchPath() {
    if (location.pathname !== lastPath) {
      lastPath = location.pathname;
      if (/^\/deposit\/done\/?$/.test(lastPath) && draft && !draft.queued) { clearDraft(); }
      route();
    }
  }
  setInterval(watchPath, 500);
  window.addEventListener("popstate", watchPath);

  // --- status line (connection indicator, update prompt, "draft saved") -------------------------
  var bar = null;
  function statusBar() {
    if (!bar) {
      bar = h("div", { id: "mr-status", class: "mr-status", role: "status", "aria-live": "polite",
                       "data-testid": "connection-status" });
      document.body.appendChild(bar);
    }
    return bar;
  }
  var hideTimer = null;
  function showStatus(kind, key, action) {
    var b = statusBar();
    clearTimeout(hideTimer);
    b.className = "mr-status mr-status-" + kind + " is-visible";
    b.setAttribute("data-state", kind);
    b.textContent = "";
    b.appendChild(h("span", { k: key }));
    if (action) { b.appendChild(action); }
    if (kind === "up" || kind === "saved") {
      hideTimer = setTimeout(function () { b.className = "mr-status"; b.setAttribute("data-state", "idle"); }, 4000);
    }
  }
  function flashSaved() {
    var el = document.getElementById("mr-draft-saved");
    if (el) { el.hidden = false; }
  }

  var connDown = false;
  var updateShown = false;
  function socketDown() {
    var marker = document.getElementById("mr-conn");
    return !!marker && marker.getAttribute("data-state") === "down";
  }
  function refreshConnection() {
    var down = !navigator.onLine || socketDown();
    if (down === connDown || onOfflinePage) {
      connDown = down;
      return;
    }
    connDown = down;
    if (down) {
      var act = onDepositPage() ? h("button", { type: "button", class: "btn btn-small btn-secondary",
        k: "pwa.continue_offline", "data-testid": "continue-offline", onclick: function () { showOfflineDeposit(); } }) : null;
      showStatus("down", "pwa.conn_down", act);
      if (onDepositPage() && !navigator.onLine) { showOfflineDeposit(); }
    } else if (!updateShown) {
      showStatus("up", "pwa.conn_up");
    }
  }
  window.addEventListener("online", function () { refreshConnection(); onOnline(); });
  window.addEventListener("offline", refreshConnection);
  function watchMarker() {
    var marker = document.getElementById("mr-conn");
    if (marker && !marker.__mrWatched) {
      marker.__mrWatched = true;
      new MutationObserver(function () {
        // A failed attempt during a normal reconnect flickers: confirm after a moment.
        setTimeout(refreshConnection, socketDown() ? 2500 : 0);
      }).observe(marker, { attributes: true, attributeFilter: ["data-state"] });
    }
  }

  // --- service worker ---------------------------------------------------------------------------
  // Registered once the page has loaded: installing it precaches the app shell (≈ 40 files), which
  // must not compete with the page's own scripts on a slow first visit.
  function registerServiceWorkerAfterLoad() {
    if (document.readyState === "complete") {
      registerServiceWorker();
    } else {
      window.addEventListener("load", registerServiceWorker);
    }
  }
  function registerServiceWorker() {
    if (!("serviceWorker" in navigator)) { return; }
    var hadController = !!navigator.serviceWorker.controller;
    var reloading = false;
    navigator.serviceWorker.addEventListener("controllerchange", function () {
      if (!hadController) { hadController = true; return; } // first install: nothing was stale
      if (reloading) { return; }
      reloading = true;
      location.reload();
    });
    navigator.serviceWorker.register("/sw.js", { scope: "/" }).then(function (reg) {
      function prompt() {
        if (!reg.waiting || !navigator.serviceWorker.controller) { return; }
        updateShown = true;
        showStatus("update", "pwa.update_ready", h("button", {
          type: "button", class: "btn btn-small btn-primary", k: "pwa.update_reload", "data-testid": "update-reload",
          onclick: function () { reg.waiting && reg.waiting.postMessage({ type: "SKIP_WAITING" }); } }));
      }
      prompt();
      reg.addEventListener("updatefound", function () {
        var w = reg.installing;
        if (w) {
          w.addEventListener("statechange", function () { if (w.state === "installed") { prompt(); } });
        }
      });
      setInterval(function () { if (navigator.onLine) { reg.update().catch(function () {}); } }, 30 * 60 * 1000);
    }, function () { /* dev server: no sw.js */ });
  }

  // --- the offline deposit form -----------------------------------------------------------------
  var panel = null;
  var sending = false;

  function mountPoint() {
    var spot = document.getElementById("mr-offline-deposit");
    if (spot) { return spot; }
    spot = h("div", { id: "mr-offline-deposit", class: "mr-offline-overlay" });
    document.body.appendChild(spot);
    document.body.classList.add("mr-offline-mode");
    return spot;
  }

  function inputField(name, labelKey, attrs) {
    var id = "offline-" + name;
    var control = name === "message"
      ? h("textarea", Object.assign({ id: id, name: name, class: "input textarea", rows: "5", dir: "auto" }, attrs || {}))
      : h("input", Object.assign({ id: id, name: name, class: "input", type: "text" }, attrs || {}));
    control.value = (draft && draft.fields[name]) || "";
    control.setAttribute("data-testid", id);
    control.addEventListener("input", function () {
      ensureDraft().fields[name] = control.value;
      clearError(name);
      saveDraft();
    });
    return h("div", { class: "field" }, [
      h("label", { for: id, class: "label", k: labelKey }),
      control,
      h("p", { id: id + "-error", class: "field-error", role: "alert", hidden: true }),
    ]);
  }
  function clearError(name) {
    var el = document.getElementById("offline-" + name + "-error");
    var input = document.getElementById("offline-" + name);
    if (el) { el.hidden = true; el.textContent = ""; }
    if (input) { input.removeAttribute("aria-invalid"); input.removeAttribute("aria-describedby"); }
  }
  function setError(name, text) {
    var el = document.getElementById("offline-" + name + "-error");
    var input = document.getElementById("offline-" + name);
    if (!el) { el = document.getElementById("offline-message-box"); name = ""; }
    if (!el) { return; }
    el.hidden = false;
    el.textContent = text;
    if (input) { input.setAttribute("aria-invalid", "true"); input.setAttribute("aria-describedby", el.id); }
  }

  function administrationField(directory) {
    var id = "offline-administration";
    var current = (draft && draft.administration) || "";
    var control;
    if (directory && directory.length) {
      control = h("select", { id: id, name: "administration", class: "input select" }, [
        h("option", { value: "", k: "common.select" }),
      ].concat(directory.map(function (a) {
        var o = h("option", { value: a.code, text: (lang() === "ar" ? a.name_ar : a.name_fr) + " (" + a.code + ")" });
        return o;
      })));
      if (current && !directory.some(function (a) { return a.code === current; })) {
        control.appendChild(h("option", { value: current, text: (draft.adm_name || current) + " (" + current + ")" }));
      }
    } else {
      control = h("input", { id: id, name: "administration", class: "input", type: "text", dir: "ltr",
                             autocapitalize: "characters" });
    }
    control.value = current;
    control.setAttribute("data-testid", id);
    control.addEventListener("change", function () {
      var d = ensureDraft();
      d.administration = control.value.trim().toUpperCase();
      d.adm_name = control.tagName === "SELECT" && control.selectedOptions[0] ? control.selectedOptions[0].textContent : d.administration;
      clearError("administration");
      saveDraft();
    });
    return h("div", { class: "field" }, [
      h("label", { for: id, class: "label", k: directory && directory.length ? "deposit.administration" : "pwa.administration_code" }),
      control,
      h("p", { id: id + "-error", class: "field-error", role: "alert", hidden: true }),
    ]);
  }

  function idKindField() {
    var current = (draft && draft.fields.id_kind) || "CIN";
    return h("fieldset", { class: "field fieldset" }, [
      h("legend", { class: "label", k: "deposit.id_kind" }),
      h("div", { class: "segmented" }, ["CIN", "ICE"].map(function (v) {
        var input = h("input", { type: "radio", name: "offline_id_kind", value: v, id: "offline-id_kind-" + v,
                                 class: "segment-input", "data-testid": "offline-id_kind-" + v });
        input.checked = current === v;
        input.addEventListener("change", function () { if (input.checked) { ensureDraft().fields.id_kind = v; saveDraft(); } });
        return h("label", { class: "segment", for: "offline-id_kind-" + v }, [input, h("span", { k: "deposit.id_kind." + v })]);
      })),
    ]);
  }

  function filesField() {
    var list = h("ul", { class: "file-list", "data-testid": "offline-files" });
    var errors = h("p", { id: "offline-files-error", class: "field-error", role: "alert", hidden: true });
    function render() {
      list.textContent = "";
      if (!draftFiles.length) {
        list.appendChild(h("li", { class: "muted", k: "deposit.files_none" }));
      }
      draftFiles.forEach(function (f, i) {
        list.appendChild(h("li", { class: "file-row", "data-testid": "offline-file" }, [
          h("span", { class: "file-body" }, [
            h("span", { class: "file-name", dir: "auto", text: f.name }),
            h("span", { class: "file-meta", text: sizeText(f.size) }),
          ]),
          h("button", { type: "button", class: "btn btn-ghost btn-icon", aria: "common.remove", k: "common.remove",
                        onclick: function () { draftFiles.splice(i, 1); saveFiles().then(render); } }),
        ]));
      });
    }
    function picker(id, labelKey, attrs, primary) {
      var input = h("input", Object.assign({ id: id, type: "file", class: "sr-only",
                                             accept: "application/pdf,image/jpeg,image/png,.docx,.xlsx,.odt,.ods" }, attrs));
      input.addEventListener("change", function () {
        errors.hidden = true;
        addFiles(input.files, function (text) { errors.hidden = false; errors.textContent = text; }).then(render);
        input.value = "";
      });
      return h("label", { for: id, class: "btn " + (primary ? "btn-secondary" : "btn-ghost") }, [input, h("span", { k: labelKey })]);
    }
    render();
    return h("div", { class: "field files-field" }, [
      h("p", { class: "label", k: "deposit.files" }),
      h("p", { class: "hint", k: "deposit.files_hint" }),
      h("div", { class: "actions" }, [
        picker("offline-files-input", "pwa.choose_files", { multiple: true }, true),
        picker("offline-camera-input", "pwa.take_photo", { accept: "image/*", capture: "environment" }, false),
      ]),
      errors,
      list,
    ]);
  }

  function loadDirectory() {
    if (!navigator.onLine) { return idbGet("directory").catch(function () { return null; }); }
    return fetch(DIRECTORY_API, { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); })
      .then(function (j) {
        var items = (Array.isArray(j) ? j : (j.items || j.administrations || [])).map(function (a) {
          return { code: a.code, name_ar: a.name_ar || a.name || a.code, name_fr: a.name_fr || a.name || a.code };
        });
        idbPut("directory", items).catch(function () {});
        return items;
      })
      .catch(function () { return idbGet("directory").catch(function () { return null; }); });
  }

  function showOfflineDeposit() {
    return Promise.all([ready, loaded, loadDirectory()]).then(function (v) { renderForm(v[2]); });
  }

  function renderForm(directory) {
    var spot = mountPoint();
    ensureDraft();
    spot.textContent = "";
    var sendButton = h("button", { type: "submit", class: "btn btn-primary btn-wide", "data-testid": "offline-send",
                                   k: navigator.onLine ? "pwa.send" : "pwa.send_when_online" });
    panel = h("section", { class: "card mr-offline-card", "aria-labelledby": "offline-deposit-title",
                           "data-testid": "offline-deposit" }, [
      h("h2", { id: "offline-deposit-title", class: "section-title", k: "pwa.deposit_offline" }),
      h("p", { class: "hint", k: "pwa.draft_text" }),
      h("p", { id: "mr-draft-saved", class: "note", hidden: !hasContent(draft), k: "pwa.draft_saved",
               "data-testid": "offline-draft-saved" }),
      h("div", { id: "offline-message-box", class: "msg msg-error", role: "alert", hidden: true }),
      h("div", { id: "offline-queue", class: "msg msg-ok", role: "status", hidden: !draft.queued,
                 "data-testid": "offline-queued" }, [h("span", { k: "pwa.queued" })]),
      h("form", { class: "form", novalidate: true, onsubmit: function (e) { e.preventDefault(); queueAndSend(); } }, [
        administrationField(directory),
        inputField("full_name", "deposit.full_name", { autocomplete: "name", maxlength: "150", dir: "auto" }),
        idKindField(),
        inputField("id_value", "deposit.id_value", { dir: "ltr", maxlength: "20", autocapitalize: "characters" }),
        h("p", { class: "hint", k: "deposit.contact_hint" }),
        inputField("email", "deposit.email", { type: "email", autocomplete: "email", inputmode: "email", dir: "ltr" }),
        inputField("phone", "deposit.phone", { type: "tel", autocomplete: "tel", inputmode: "tel", dir: "ltr" }),
        inputField("subject", "deposit.subject", { maxlength: "255", dir: "auto" }),
        inputField("message", "deposit.message"),
        filesField(),
        h("div", { class: "wizard-nav" }, [
          h("button", { type: "button", class: "btn btn-ghost", k: "pwa.discard", "data-testid": "offline-discard",
                        onclick: function () {
                          if (window.confirm(tr("pwa.discard_confirm"))) { clearDraft().then(function () { showOfflineDeposit(); }); }
                        } }),
          sendButton,
        ]),
      ]),
    ]);
    spot.appendChild(panel);
    window.addEventListener("online", function () { sendButton.setAttribute("data-mr-k", "pwa.send"); retranslate(panel); });
    window.addEventListener("offline", function () { sendButton.setAttribute("data-mr-k", "pwa.send_when_online"); retranslate(panel); });
  }

  function renderReceipt(receipt) {
    var spot = mountPoint();
    spot.textContent = "";
    // Sent: "you are offline" (the offline screen's heading, the status line) no longer applies.
    document.querySelectorAll(".offline-section").forEach(function (s) { s.hidden = true; });
    if (bar && bar.getAttribute("data-state") === "down") { bar.className = "mr-status"; bar.setAttribute("data-state", "idle"); }
    spot.appendChild(h("section", { class: "card done mr-offline-card", "data-testid": "offline-receipt" }, [
      h("h2", { class: "section-title", k: "deposit.done_title" }),
      h("p", { class: "label", k: "deposit.number" }),
      h("p", { class: "big-number", dir: "ltr", "data-testid": "offline-deposit-number", text: receipt.registry_number }),
      h("div", { class: "done-actions" }, [
        h("a", { class: "btn btn-primary btn-block", href: receipt.receipt_url, download: "", k: "deposit.download",
                 "data-testid": "offline-receipt-link" }),
        h("a", { class: "btn btn-secondary btn-block", href: receipt.tracking_url, k: "deposit.track" }),
      ]),
      h("p", { class: "muted", k: "deposit.keep_link" }),
      h("a", { class: "btn btn-ghost", href: "/deposit", k: "deposit.new",
               onclick: function () { idbDel(["receipt"]); } }),
    ]));
  }

  function validate() {
    var d = ensureDraft();
    var ok = true;
    if (!d.administration) { setError("administration", tr("pwa.required")); ok = false; }
    ["full_name", "id_value", "subject"].forEach(function (f) {
      if (!(d.fields[f] || "").trim()) { setError(f, tr("pwa.required")); ok = false; }
    });
    return ok;
  }

  function queueAndSend() {
    if (!validate()) { return; }
    draft.queued = true;
    saveDraft().then(function () {
      var q = document.getElementById("offline-queue");
      if (q) { q.hidden = false; }
      trySend();
    });
  }

  var retryTimer = null;
  function scheduleRetry() {
    clearTimeout(retryTimer);
    retryTimer = setTimeout(trySend, 15000);
  }
  function onOnline() { loaded.then(function () { if (draft && draft.queued) { trySend(); } }); }

  function trySend() {
    if (sending || !draft || !draft.queued) { return Promise.resolve(); }
    if (!navigator.onLine) { scheduleRetry(); return Promise.resolve(); }
    sending = true;
    var d = draft;
    var body = new FormData();
    body.append("administration", d.administration);
    FIELDS.forEach(function (f) { if (f !== "unit" || /^\d+$/.test(d.fields.unit || "")) { body.append(f, d.fields[f] || ""); } });
    body.append("lang", lang());
    draftFiles.forEach(function (f) { body.append("files", f.blob, f.name); });
    var q = document.getElementById("offline-queue");
    if (q) { q.hidden = false; q.firstChild.setAttribute("data-mr-k", "pwa.sending"); retranslate(q); }
    var run = function () {
      return fetch(DEPOSITS_API, { method: "POST", body: body, credentials: "same-origin",
                                   headers: { "Idempotency-Key": d.key, "Accept": "application/json" } })
        .then(function (r) {
          return r.json().catch(function () { return {}; }).then(function (j) { return { status: r.status, body: j }; });
        })
        .then(function (res) {
          sending = false;
          if (res.status === 201 || res.status === 200) {
            var receipt = res.body;
            receipt.saved_at = Date.now();
            return idbPut("receipt", receipt).catch(function () {}).then(clearDraft).then(function () {
              renderReceipt(receipt);
            });
          }
          if (res.status === 422 || res.status === 400 || res.status === 413) {
            d.queued = false;
            saveDraft();
            if (q) { q.hidden = true; }
            var fields = (res.body && res.body.fields) || {};
            var any = false;
            Object.keys(fields).forEach(function (name) {
              var m = fields[name].message || {};
              setError(name, m[lang()] || m.fr || fields[name].error);
              any = true;
            });
            if (!any) {
              var m = (res.body && res.body.message) || {};
              setError("", m[lang()] || m.fr || tr("pwa.refused"));
            } else {
              setError("", tr("pwa.refused"));
            }
            return;
          }
          showFailure(String(res.status));
        }, function (err) {
          sending = false;
          showFailure(err && err.message ? err.message : "network");
        });
    };
    // One sender across tabs (the idempotency key protects the server side anyway).
    if (navigator.locks && navigator.locks.request) {
      return navigator.locks.request("mrasla-deposit-send", run);
    }
    return run();
  }
  function showFailure(reason) {
    var q = document.getElementById("offline-queue");
    if (q) {
      q.firstChild.setAttribute("data-mr-k", "pwa.failed");
      q.firstChild.setAttribute("data-mr-p", JSON.stringify({ error: reason }));
      retranslate(q);
    }
    scheduleRetry();
  }

  // --- language switch on the offline screen ---------------------------------------------------
  function renderLangButton(tools) {
    tools.textContent = "";
    tools.appendChild(h("button", {
      type: "button", class: "btn btn-ghost lang-switch", k: "lang.other", aria: "lang.switch_label",
      lang: lang() === "ar" ? "fr" : "ar", "data-testid": "lang-switch",
      onclick: function () {
        var next = lang() === "ar" ? "fr" : "ar";
        try { localStorage.setItem("mrasla_lang", next); } catch (e) { /* private mode */ }
        document.documentElement.lang = next;
        document.documentElement.dir = next === "ar" ? "rtl" : "ltr";
      } }));
  }

  // --- what each page shows ---------------------------------------------------------------------
  function route() {
    if (onOfflinePage) { return; }
    if (onDepositPage()) {
      loaded.then(function () {
        if (draft && draft.queued) {
          showOfflineDeposit().then(trySend);
        } else if (!navigator.onLine) {
          showOfflineDeposit();
        } else if (resumable && hasContent(draft) && !document.getElementById("mr-resume")) {
          showResume();
        }
        if (navigator.onLine) { loadDirectory(); } // kept in IndexedDB for the offline form

      });
    }
  }
  function showResume() {
    ready.then(function () {
      var b = statusBar();
      clearTimeout(hideTimer);
      b.className = "mr-status mr-status-update is-visible";
      b.setAttribute("data-state", "draft");
      b.textContent = "";
      b.appendChild(h("span", { k: "pwa.resume_title", id: "mr-resume" }));
      b.appendChild(h("button", { type: "button", class: "btn btn-small btn-primary", k: "pwa.resume",
        "data-testid": "resume-draft", onclick: function () { b.className = "mr-status"; showOfflineDeposit(); } }));
    });
  }

  function start() {
    registerServiceWorkerAfterLoad();
    if (onOfflinePage) {
      var tools = document.getElementById("mr-offline-tools");
      ready.then(function () { if (tools) { renderLangButton(tools); } });
      document.querySelectorAll("[data-mr-retry]").forEach(function (a) {
        a.addEventListener("click", function (e) { e.preventDefault(); location.reload(); });
      });
      if (/^\/deposit\/?$/.test(location.pathname)) {
        showOfflineDeposit().then(function () { if (draft && draft.queued) { trySend(); } });
      } else {
        // Any other page: come back by itself when the network does.
        window.addEventListener("online", function () { setTimeout(function () { location.reload(); }, 500); });
      }
      return;
    }
    ready.then(function () {
      watchMarker();
      setInterval(watchMarker, 1000); // the marker mounts with the React tree
      refreshConnection();
      route();
      if (navigator.onLine) {
        // A receipt obtained by the offline path stays on /deposit for an hour (or until "new deposit").
        idbGet("receipt").then(function (r) {
          if (r && onDepositPage() && Date.now() - (r.saved_at || 0) < 3600 * 1000) { renderReceipt(r); }
        }, function () {});
      }
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
