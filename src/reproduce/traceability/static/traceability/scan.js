// Scan a lot label's QR code with the phone camera (BarcodeDetector, where the browser has
// it) and trace the lot: the QR code holds the lot's address, the form reads the code from it.
(function () {
  "use strict";
  var script = document.currentScript;
  var button = document.getElementById("scan-button");
  var area = document.getElementById("scan-area");
  var video = document.getElementById("scan-video");
  var status = document.getElementById("scan-status");
  var stop = document.getElementById("scan-stop");
  var input = document.querySelector(".trace-search input[type=text]");
  if (!button || !area || !video || !input) return;
  if (!("BarcodeDetector" in window) || !navigator.mediaDevices) return;
  button.hidden = false;
  var stream = null;
  var running = false;

  function halt() {
    running = false;
    if (stream) stream.getTracks().forEach(function (t) { t.stop(); });
    stream = null;
    area.hidden = true;
  }

  function loop(detector) {
    if (!running) return;
    detector.detect(video).then(function (codes) {
      if (codes.length && codes[0].rawValue) {
        input.value = codes[0].rawValue;
        halt();
        input.form.submit();
        return;
      }
      window.setTimeout(function () { loop(detector); }, 250);
    }).catch(function () { window.setTimeout(function () { loop(detector); }, 500); });
  }

  button.addEventListener("click", function () {
    var detector = new window.BarcodeDetector({ formats: ["qr_code"] });
    area.hidden = false;
    status.textContent = script.dataset.looking;
    navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } }).then(function (s) {
      stream = s;
      video.srcObject = s;
      return video.play();
    }).then(function () {
      running = true;
      loop(detector);
    }).catch(function () {
      status.textContent = script.dataset.denied;
      if (stream) stream.getTracks().forEach(function (t) { t.stop(); });
    });
  });
  stop.addEventListener("click", halt);
})();
