// pyview's bootstrap: connects the official Phoenix LiveView client to this server.
//
// Hooks: put them in a file beside the view's module, `<module>.js` (e.g. `examples/js/js.js` for
// `examples/js/js.py`), as named exports of an ES module:
//   export const Chart = {mounted() { ... }};
// The server serves every view's file and one entry module that adds their exports to
// `window.pyview.hooks`; the page loads it as `<script type="module">` just before this script,
// so it has run by now (module and deferred scripts run in document order). See
// pyview_core/colocated.py.
//
// Or add hooks from your own script, loaded before this one (the layout's `scripts`):
//   window.pyview = window.pyview || {hooks: {}};
//   window.pyview.hooks.Chart = {mounted() { ... }};
(function () {
  "use strict";
  var pyview = (window.pyview = window.pyview || {});
  pyview.hooks = pyview.hooks || {};
  // The entry sets pyview.colocated when it ran; if it is on the page and did not, one of the files
  // failed to load or parse (the browser logged why just above) and their hooks are unknown.
  var entry = document.querySelector("script[type=module][src*='/static/pyview/hooks/entry']");
  if (entry && !pyview.colocated) {
    console.error("pyview: the colocated hooks (" + entry.src + ") did not run before app.js: " +
      "see the error above; phx-hook elements naming them will not mount");
  }
  pyview.uploaders = pyview.uploaders || {};
  // External uploads (allow_upload(..., external=presign)): "S3" posts each file straight to an
  // S3-compatible store with the presigned POST the server made (meta: {uploader, url, fields}).
  // Register your own uploader under another name the same way, before this script runs.
  if (!pyview.uploaders.S3) {
    pyview.uploaders.S3 = function (entries, onViewError) {
      entries.forEach(function (entry) {
        var form = new FormData();
        var fields = entry.meta.fields || {};
        Object.keys(fields).forEach(function (name) { form.append(name, fields[name]); });
        form.append("file", entry.file); // the policy fields first: S3 ignores fields after the file
        var request = new XMLHttpRequest();
        onViewError(function () { request.abort(); });
        request.upload.addEventListener("progress", function (event) {
          if (!event.lengthComputable) return;
          var percent = Math.floor((event.loaded * 100) / event.total);
          if (percent < 100) entry.progress(percent); // 100 only once the store said yes
        });
        request.onload = function () {
          if (request.status >= 200 && request.status < 300) entry.progress(100);
          else entry.error("the store answered " + request.status);
        };
        request.onerror = function () { entry.error("the store could not be reached"); };
        request.open("POST", entry.meta.url, true);
        request.send(form);
      });
    };
  }
  var meta = document.querySelector("meta[name='csrf-token']");
  var csrfToken = meta ? meta.getAttribute("content") : null;
  // A development page (never a production one) has this meta: the views then join saying that this
  // page shows the development overlay and applies live reloads (see installDevLoop below).
  var development = !!document.querySelector("meta[name='pyview-dev']");
  var params = development ? {_csrf_token: csrfToken, _pyview_dev: 1} : {_csrf_token: csrfToken};
  // No longPollFallbackMs on purpose: the server speaks WebSocket only (PROTOCOL.md §2.7).
  var liveSocket = new LiveView.LiveSocket("/live", Phoenix.Socket, {
    params: params,
    hooks: pyview.hooks,
    uploaders: pyview.uploaders,
  });
  liveSocket.connect();
  pyview.liveSocket = liveSocket;

  // Development only: the dead render puts <meta name="pyview-dev"> in development pages, never in
  // production ones. The server's development loop (pyview_core/dev_errors.py, dev_reload.py) sends
  // push events, which the client dispatches on window as phx:<name>.
  if (development) {
    installDevLoop(liveSocket);
  }

  function installDevLoop(liveSocket) {
    var OVERLAY_CSS =
      ":host{all:initial;position:fixed;inset:0;z-index:2147483647}" +
      ".backdrop{position:absolute;inset:0;background:rgba(20,20,20,.45)}" +
      ".panel{position:absolute;inset:1.5rem;overflow:auto;background:#fafafa;border-radius:8px;" +
      "box-shadow:0 10px 40px rgba(0,0,0,.35);font:15px/1.5 system-ui,-apple-system,'Segoe UI',sans-serif;color:#1d1d1f}" +
      ".close{position:absolute;top:.75rem;right:.75rem;z-index:1;border:0;background:transparent;font-size:1.6rem;" +
      "line-height:1;cursor:pointer;color:#a50e0e;padding:.25rem .5rem}" +
      ".panel>footer{padding:0 2rem 1.5rem}";
    var host = null;

    // An error: its message, source lines and caret, as the server built them (HTML-escaped there),
    // in a shadow root so that neither the page's styles nor the overlay's leak into the other.
    function show(detail) {
      hide();
      host = document.createElement("div");
      host.id = "pyview-dev-overlay";
      host.setAttribute("role", "alertdialog");
      host.setAttribute("aria-label", detail.title || "error");
      var root = host.attachShadow({mode: "open"});
      root.innerHTML = "<style>" + OVERLAY_CSS + (detail.css || "") + "</style>" +
        '<div class="backdrop"></div><div class="panel">' +
        '<button type="button" class="close" title="Close (Escape)" aria-label="Close">\u00d7</button>' +
        (detail.html || "") +
        "<footer>Development only: press Escape to close. The next successful render after a file change removes it.</footer>" +
        "</div>";
      root.querySelector(".close").addEventListener("click", hide);
      root.querySelector(".backdrop").addEventListener("click", hide);
      document.body.appendChild(host);
      console.error("pyview: " + (detail.title || "error"));
    }

    function hide() {
      if (host) {
        host.remove();
        host = null;
      }
    }

    // A stylesheet changed: each matching <link rel=stylesheet> is replaced by a copy whose URL has a
    // cache-busting query; the old one goes once the new one has loaded (no flash of unstyled page).
    // paths: URL paths, or null for every same-origin stylesheet (also when none matches).
    function reloadStylesheets(paths) {
      var links = Array.prototype.slice.call(document.querySelectorAll("link[rel~='stylesheet'][href]"));
      var local = links.filter(function (link) {
        return new URL(link.href, window.location.href).origin === window.location.origin;
      });
      var chosen = paths ? local.filter(function (link) {
        return paths.indexOf(new URL(link.href, window.location.href).pathname) >= 0;
      }) : local;
      if (!chosen.length) chosen = local;
      chosen.forEach(function (link) {
        var url = new URL(link.href, window.location.href);
        url.searchParams.set("pyview_reload", String(Date.now()));
        var next = link.cloneNode(false);
        next.href = url.pathname + url.search + url.hash;
        var done = function () { if (link.parentNode) link.parentNode.removeChild(link); };
        next.addEventListener("load", done);
        next.addEventListener("error", done);
        link.parentNode.insertBefore(next, link.nextSibling);
      });
    }

    window.addEventListener("phx:pyview:dev-error", function (e) { show(e.detail || {}); });
    window.addEventListener("phx:pyview:dev-clear", hide);
    window.addEventListener("keydown", function (e) {
      if (e.key === "Escape" && host) hide();
    });
    // Every view of the page gets the event: act once per batch.
    var pendingAssets = null;
    window.addEventListener("phx:pyview:dev-assets", function (e) {
      var detail = e.detail || {};
      if (detail.reload) {
        window.location.reload(); // scripts and hooks have run and hold state: they cannot be swapped
        return;
      }
      if (pendingAssets) return;
      pendingAssets = setTimeout(function () {
        pendingAssets = null;
        reloadStylesheets(detail.css || null);
      }, 0);
    });
    // The socket opened again: the server restarted (a Python file changed), so the error shown
    // is from the code before; the rejoin's own error, if any, comes with its join reply.
    var opened = 0;
    liveSocket.getSocket().onOpen(function () {
      if (opened++ > 0) hide();
    });
    pyview.dev = {show: show, hide: hide, reloadStylesheets: reloadStylesheets};
  }
})();
