/* Mrasla — the signature book's touch helpers, in plain JS (loaded by the staff pages' layout, acting only
 * where their elements are):
 *  1. comment pins: a tap/click on a rendered page (img[data-pin-surface="1"]) fills the comment form's
 *     page/x/y fields (x, y as fractions of the page from the top left), shows the pending pin and
 *     focuses the comment box; changing the page number by hand or turning the page drops the pin;
 *  2. the PIN pad: big digit keys ([data-pin-key]) type into the PIN field (#pf-pin), one thumb;
 *  3. Web Push: window.mraslaPush.subscribe(publicKey) asks the browser's permission and returns
 *     the subscription as JSON ("unsupported" / "denied" otherwise), for the account page.
 */
(function () {
  "use strict";
  if (window.__mrasla_parapheur) {
    return;
  }
  window.__mrasla_parapheur = true;

  function field(name) {
    var form = document.getElementById("pf-note-form");
    return form ? form.elements.namedItem(name) : null;
  }

  function dropPending() {
    var marker = document.getElementById("pf-pin-new");
    if (marker) {
      marker.hidden = true;
    }
    ["x", "y"].forEach(function (n) { var f = field(n); if (f) { f.value = ""; } });
  }

  document.addEventListener("click", function (event) {
    var target = event.target;
    var img = target && target.closest ? target.closest('img[data-pin-surface="1"]') : null;
    if (img) {
      var r = img.getBoundingClientRect();
      var x = (event.clientX - r.left) / r.width;
      var y = (event.clientY - r.top) / r.height;
      if (!(x >= 0 && x <= 1 && y >= 0 && y <= 1) || !field("page")) {
        return;
      }
      field("page").value = img.getAttribute("data-page");
      field("x").value = x.toFixed(4);
      field("y").value = y.toFixed(4);
      var marker = document.getElementById("pf-pin-new");
      if (marker) {
        marker.style.left = (x * 100).toFixed(2) + "%";
        marker.style.top = (y * 100).toFixed(2) + "%";
        marker.hidden = false;
      }
      var box = document.getElementById("pf-note");
      if (box) {
        box.focus({ preventScroll: true });
        box.scrollIntoView({ block: "center", behavior: "smooth" });
      }
      return;
    }
    var key = target && target.closest ? target.closest("[data-pin-key]") : null;
    if (key) {
      var pin = document.getElementById("pf-pin");
      if (!pin) {
        return;
      }
      var k = key.getAttribute("data-pin-key");
      if (k === "back") {
        pin.value = pin.value.slice(0, -1);
      } else if (k === "clear") {
        pin.value = "";
      } else if (pin.value.length < 12) {
        pin.value += k;
      }
      var dots = document.getElementById("pf-pin-count");
      if (dots) {
        dots.textContent = "•".repeat(pin.value.length);
      }
    }
  });

  document.addEventListener("input", function (event) {
    if (event.target && event.target.id === "pf-note-page") {
      dropPending();
    } else if (event.target && event.target.id === "pf-pin") {
      var dots = document.getElementById("pf-pin-count");
      if (dots) {
        dots.textContent = "•".repeat(event.target.value.length);
      }
    }
  });

  // the comment is sent: its pin comes back from the server, the pending one goes
  document.addEventListener("submit", function (event) {
    if (event.target && event.target.id === "pf-note-form") {
      var marker = document.getElementById("pf-pin-new");
      if (marker) {
        marker.hidden = true;
      }
    }
  }, true);

  // a new page image: the pending pin belonged to the previous page
  document.addEventListener("load", function (event) {
    if (event.target && event.target.matches && event.target.matches('img[data-pin-surface="1"]')) {
      var marker = document.getElementById("pf-pin-new");
      var page = field("page");
      if (marker && !marker.hidden && page && page.value !== event.target.getAttribute("data-page")) {
        dropPending();
      }
    }
  }, true);

  function keyBytes(base64url) {
    var s = base64url.replace(/-/g, "+").replace(/_/g, "/");
    var raw = atob(s + "===".slice((s.length + 3) % 4));
    var out = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) {
      out[i] = raw.charCodeAt(i);
    }
    return out;
  }

  window.mraslaPush = {
    subscribe: function (publicKey) {
      if (!("serviceWorker" in navigator) || !("PushManager" in window) || !("Notification" in window)) {
        return Promise.resolve("unsupported");
      }
      return Notification.requestPermission().then(function (permission) {
        if (permission !== "granted") {
          return "denied";
        }
        return navigator.serviceWorker.ready.then(function (reg) {
          return reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: keyBytes(publicKey) });
        }).then(function (sub) { return JSON.stringify(sub.toJSON()); });
      }).catch(function () { return "unsupported"; });
    },
  };
})();
