/* Scan a lot's QR code with the phone camera into the lot code field.
 *
 * Progressive enhancement: without JavaScript (or a camera) the code is typed. With a
 * camera, the "Scan the QR code" button opens it (getUserMedia, back camera), decodes each
 * frame with the browser's BarcodeDetector when it has one, else with jsQR (vendored), and
 * puts the code in the field. A label's QR code holds a URL (…/01/<gtin>/10/<lot> or
 * …/lot/<code>): the server reads the lot code out of either, so the text goes in as is.
 * With ``data-scan-submit`` on the root, the form is sent as soon as a code is read (the
 * trace search); otherwise the quantity field gets the focus (consuming a lot).
 *
 * Markup: a root with data-scan-target (the field's id) and the messages data-scan-starting,
 * -aim, -found, -denied; inside it [data-scan-start], [data-scan-box] holding a <video> and
 * [data-scan-stop], and [data-scan-status]. Load vendor/jsqr/jsQR.js before this file.
 */
(function () {
  "use strict";

  function setup(root) {
    var button = root.querySelector("[data-scan-start]");
    var stopButton = root.querySelector("[data-scan-stop]");
    var box = root.querySelector("[data-scan-box]");
    var video = root.querySelector("video");
    var status = root.querySelector("[data-scan-status]");
    var field = document.getElementById(root.getAttribute("data-scan-target"));
    var scanned = document.getElementById(root.getAttribute("data-scan-flag"));
    if (!button || !video || !field) return;
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) return; // typing only
    button.hidden = false;

    var stream = null;
    var detector = null;
    var canvas = document.createElement("canvas");
    var context = canvas.getContext("2d", { willReadFrequently: true });
    var running = false;

    if ("BarcodeDetector" in window) {
      try { detector = new window.BarcodeDetector({ formats: ["qr_code"] }); } catch (e) { detector = null; }
    }

    function say(text) { if (status) status.textContent = text; }

    function stop() {
      running = false;
      if (stream) stream.getTracks().forEach(function (t) { t.stop(); });
      stream = null;
      box.hidden = true;
      button.hidden = false;
    }

    function found(text) {
      field.value = text.trim();
      if (scanned) scanned.value = "on";
      stop();
      say(root.getAttribute("data-scan-found"));
      if (root.hasAttribute("data-scan-submit")) { root.closest("form").submit(); return; }
      var quantity = root.closest("form").querySelector("[name=quantity]");
      (quantity || field).focus();
    }

    function decodeWithJsQR() {
      if (!window.jsQR || !video.videoWidth) return null;
      canvas.width = video.videoWidth;
      canvas.height = video.videoHeight;
      context.drawImage(video, 0, 0, canvas.width, canvas.height);
      var image = context.getImageData(0, 0, canvas.width, canvas.height);
      var code = window.jsQR(image.data, image.width, image.height, { inversionAttempts: "dontInvert" });
      return code ? code.data : null;
    }

    function tick() {
      if (!running) return;
      if (video.readyState < 2) { requestAnimationFrame(tick); return; }
      if (detector) {
        detector.detect(video).then(function (codes) {
          if (codes.length) found(codes[0].rawValue);
          else setTimeout(tick, 150);
        }).catch(function () { detector = null; setTimeout(tick, 150); });
        return;
      }
      var text = decodeWithJsQR();
      if (text) found(text);
      else setTimeout(tick, 150);
    }

    button.addEventListener("click", function () {
      say(root.getAttribute("data-scan-starting"));
      navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false })
        .then(function (s) {
          stream = s;
          video.srcObject = s;
          video.setAttribute("playsinline", "");
          box.hidden = false;
          button.hidden = true;
          running = true;
          return video.play();
        })
        .then(function () { say(root.getAttribute("data-scan-aim")); tick(); })
        .catch(function () { stop(); say(root.getAttribute("data-scan-denied")); field.focus(); });
    });
    if (stopButton) stopButton.addEventListener("click", stop);
    field.addEventListener("input", function () { if (scanned) scanned.value = ""; });
  }

  function init() {
    var roots = document.querySelectorAll("[data-scan-target]");
    for (var i = 0; i < roots.length; i++) setup(roots[i]);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
