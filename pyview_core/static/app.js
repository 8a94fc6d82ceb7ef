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
  // No longPollFallbackMs on purpose: the server speaks WebSocket only (PROTOCOL.md §2.7).
  var liveSocket = new LiveView.LiveSocket("/live", Phoenix.Socket, {
    params: {_csrf_token: csrfToken},
    hooks: pyview.hooks,
    uploaders: pyview.uploaders,
  });
  liveSocket.connect();
  pyview.liveSocket = liveSocket;
})();
