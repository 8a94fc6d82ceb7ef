// pyview's bootstrap: connects the official Phoenix LiveView client to this server.
//
// Add hooks from your own script, loaded before this one (the layout's `scripts`):
//   window.pyview = window.pyview || {hooks: {}};
//   window.pyview.hooks.Chart = {mounted() { ... }};
(function () {
  "use strict";
  var pyview = (window.pyview = window.pyview || {});
  pyview.hooks = pyview.hooks || {};
  var meta = document.querySelector("meta[name='csrf-token']");
  var csrfToken = meta ? meta.getAttribute("content") : null;
  // No longPollFallbackMs on purpose: the server speaks WebSocket only (PROTOCOL.md §2.7).
  var liveSocket = new LiveView.LiveSocket("/live", Phoenix.Socket, {
    params: {_csrf_token: csrfToken},
    hooks: pyview.hooks,
  });
  liveSocket.connect();
  pyview.liveSocket = liveSocket;
})();
