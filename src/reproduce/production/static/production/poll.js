/* Live progress: poll a fragment with its ETag every ~10 s while the tab is visible.
 *
 * <div data-poll-url="…" data-poll-etag="…" data-poll-seconds="10">…fragment…</div>
 * The server answers 304 (no body) while nothing changed, else the new fragment and its
 * ETag. Hidden tabs do not poll; coming back polls at once. Errors back off to 2 minutes.
 * Requests go out one at a time, spread by a little jitter: no refresh storm.
 */
(function () {
  "use strict";

  function start(box) {
    var base = (parseInt(box.getAttribute("data-poll-seconds"), 10) || 10) * 1000;
    var delay = base;
    var timer = null;
    var busy = false;

    function schedule(ms) {
      clearTimeout(timer);
      timer = setTimeout(poll, ms + Math.floor(Math.random() * 1000));
    }

    function poll() {
      if (busy) return;
      if (document.visibilityState === "hidden") return; // resumed by visibilitychange
      busy = true;
      var headers = { "X-Requested-With": "fetch" };
      var etag = box.getAttribute("data-poll-etag");
      if (etag) headers["If-None-Match"] = etag;
      fetch(box.getAttribute("data-poll-url"), {
        headers: headers,
        credentials: "same-origin",
        cache: "no-store"
      }).then(function (response) {
        if (response.status === 304) return null;
        if (!response.ok) throw new Error("HTTP " + response.status);
        var next = response.headers.get("ETag");
        return response.text().then(function (html) {
          if (next) box.setAttribute("data-poll-etag", next);
          box.innerHTML = html;
        });
      }).then(function () {
        delay = base;
      }).catch(function () {
        delay = Math.min(delay * 2, 120000);
      }).then(function () {
        busy = false;
        schedule(delay);
      });
    }

    document.addEventListener("visibilitychange", function () {
      if (document.visibilityState === "visible") schedule(0);
      else clearTimeout(timer);
    });
    schedule(delay);
  }

  function init() {
    var boxes = document.querySelectorAll("[data-poll-url]");
    for (var i = 0; i < boxes.length; i++) {
      if (!boxes[i].hasAttribute("data-poll-started")) {
        boxes[i].setAttribute("data-poll-started", "");
        start(boxes[i]);
      }
    }
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
