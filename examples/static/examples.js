// The examples' layout, in the browser: the header (examples/layout.html) is outside the live
// container, so live navigation does not re-render it; this moves aria-current="page" to the link
// of the new URL. The rule is examples/layout.py's is_current: the same path, a page under it
// (/table/15 under /table), or one of the link's data-also paths; "/" only on itself.
(function () {
  "use strict";
  function isCurrent(path, link) {
    var href = link.getAttribute("href");
    var also = (link.dataset.also || "").split(" ");
    return path === href || also.indexOf(path) >= 0 || (href !== "/" && path.indexOf(href + "/") === 0);
  }
  function markCurrent() {
    var path = window.location.pathname;
    document.querySelectorAll(".site-header a[href]").forEach(function (link) {
      if (isCurrent(path, link)) link.setAttribute("aria-current", "page");
      else link.removeAttribute("aria-current");
    });
  }
  window.addEventListener("phx:navigate", markCurrent);
  window.addEventListener("phx:page-loading-stop", markCurrent);
  window.addEventListener("popstate", markCurrent);
})();
