/* ReProduce: the network map (Leaflet + leaflet.markercluster, both vendored).
 *
 * Works without any tile server: the 19 communes of Brussels are drawn from the GeoJSON the
 * platform serves; a tile layer is added only when the operator configured one.
 *
 * One element per map:
 *   <div data-network-map
 *        data-communes-url="…"           communes GeoJSON (network:communes_geojson)
 *        data-features="map-data"         id of the json_script holding the sites (FeatureCollection)
 *        data-communes="map-communes"     id of the json_script: NIS → {name, lat, lon}
 *        data-strings="map-strings"       id of the json_script with the translated texts
 *        data-filter-form="map-filters"   optional: clicking a commune filters this form by it
 *        data-point="[lat, lon]"          optional: a single site (site page), instead of features
 *        data-point-label="…"
 *        data-tile-url="" data-tile-attribution=""
 *        data-icon-url="…" data-icon-retina-url="…" data-shadow-url="…">
 * Every text a person reads comes from the page (translated there), never from this file.
 * After an htmx swap, the sites are redrawn from the json_script found in the new fragment.
 */
(function () {
  "use strict";

  // Loaded (deferred, in the head) once per page; htmx history restores swap the body only.
  var L = window.L;
  if (!L || !L.markerClusterGroup) { return; }

  var REGION = [[50.7637, 4.2447], [50.9137, 4.4823]]; // the Brussels-Capital Region
  var COLOURS = {
    border: "#4d5b53",       // 7.0:1 on the commune fill
    fill: "#ffffff",
    selectedBorder: "#17573a",
    selectedFill: "#cfe8d8",
    hoverFill: "#e3f1e8"
  };

  function readJSON(id) {
    var el = id && document.getElementById(id);
    if (!el) { return null; }
    try { return JSON.parse(el.textContent); } catch (e) { return null; }
  }

  function text(tag, className, value) {
    var el = document.createElement(tag);
    if (className) { el.className = className; }
    if (value !== undefined && value !== null) { el.textContent = value; }
    return el;
  }

  function escapeHTML(value) {
    var el = document.createElement("span");
    el.textContent = value;
    return el.innerHTML;
  }

  function format(template, count) {
    return String(template || "").replace("%(count)s", String(count));
  }

  function NetworkMap(el) {
    this.el = el;
    this.strings = readJSON(el.dataset.strings) || {};
    this.communes = readJSON(el.dataset.communes) || {};
    this.featuresId = el.dataset.features || "";
    this.featuresEl = null;
    this.form = el.dataset.filterForm ? document.getElementById(el.dataset.filterForm) : null;
    this.setUpIcons();
    this.map = L.map(el, {
      zoomControl: false,
      minZoom: 10,
      maxZoom: 18,
      maxBounds: L.latLngBounds(REGION).pad(0.6),
      attributionControl: true
    });
    L.control.zoom({
      zoomInTitle: this.strings.zoom_in || "+",
      zoomOutTitle: this.strings.zoom_out || "-"
    }).addTo(this.map);
    // No external link in the attribution (the product works offline).
    this.map.attributionControl.setPrefix(false);
    this.map.fitBounds(REGION);
    if (el.dataset.tileUrl) {
      L.tileLayer(el.dataset.tileUrl, {
        attribution: el.dataset.tileAttribution || "",
        maxZoom: 19
      }).addTo(this.map);
    }
    this.labels = L.layerGroup();
    this.clusters = L.markerClusterGroup({
      showCoverageOnHover: false,
      maxClusterRadius: 40,
      spiderfyOnMaxZoom: true,
      iconCreateFunction: this.clusterIcon.bind(this)
    });
    this.map.addLayer(this.clusters);
    this.map.on("popupopen", this.labelPopupClose.bind(this));
    this.map.on("zoomend", this.toggleLabels.bind(this));
    this.loadCommunes();
    this.draw(true);
  }

  NetworkMap.prototype.setUpIcons = function () {
    // Images of the vendored Leaflet, by their full static URLs (hashed names in production).
    L.Icon.Default.imagePath = "";
    var options = {};
    if (this.el.dataset.iconUrl) { options.iconUrl = this.el.dataset.iconUrl; }
    if (this.el.dataset.iconRetinaUrl) { options.iconRetinaUrl = this.el.dataset.iconRetinaUrl; }
    if (this.el.dataset.shadowUrl) { options.shadowUrl = this.el.dataset.shadowUrl; }
    L.Icon.Default.mergeOptions(options);
  };

  NetworkMap.prototype.clusterIcon = function (cluster) {
    var count = cluster.getChildCount();
    var size = count < 5 ? "small" : (count < 15 ? "medium" : "large");
    // The icon is a focusable button: its name is the hidden text ("3 sites"), not the digit.
    var label = escapeHTML(format(this.strings.cluster, count));
    return L.divIcon({
      html: '<div><span aria-hidden="true">' + count + '</span><span class="visually-hidden">' +
        label + "</span></div>",
      className: "marker-cluster marker-cluster-" + size,
      iconSize: L.point(40, 40)
    });
  };

  NetworkMap.prototype.labelPopupClose = function (event) {
    var button = event.popup.getElement().querySelector(".leaflet-popup-close-button");
    if (button && this.strings.close) {
      button.setAttribute("aria-label", this.strings.close);
      button.setAttribute("title", this.strings.close);
    }
  };

  NetworkMap.prototype.selectedCommune = function () {
    var field = this.form && this.form.elements.namedItem("commune");
    return field ? field.value : "";
  };

  NetworkMap.prototype.communeStyle = function (feature) {
    var selected = feature.properties.nis === this.selectedCommune();
    return {
      color: selected ? COLOURS.selectedBorder : COLOURS.border,
      weight: selected ? 3 : 1.2,
      fillColor: selected ? COLOURS.selectedFill : COLOURS.fill,
      fillOpacity: this.el.dataset.tileUrl ? 0.25 : 0.85
    };
  };

  NetworkMap.prototype.communeName = function (props) {
    var known = this.communes[props.nis];
    var lang = (document.documentElement.lang || "fr").slice(0, 2);
    return (known && known.name) || (lang === "nl" ? props.name_nl : props.name_fr) || "";
  };

  NetworkMap.prototype.loadCommunes = function () {
    var self = this;
    var url = this.el.dataset.communesUrl;
    if (!url || !window.fetch) { return; }
    fetch(url, { credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (geojson) { if (geojson) { self.drawCommunes(geojson); } })
      .catch(function () { /* the list of results stays usable without the outlines */ });
  };

  NetworkMap.prototype.drawCommunes = function (geojson) {
    var self = this;
    this.communeLayer = L.geoJSON(geojson, {
      style: this.communeStyle.bind(this),
      onEachFeature: function (feature, layer) {
        var name = self.communeName(feature.properties);
        layer.bindTooltip(name, { sticky: true, className: "commune-tooltip" });
        layer.on("mouseover", function () { layer.setStyle({ fillColor: COLOURS.hoverFill }); });
        layer.on("mouseout", function () { self.communeLayer.resetStyle(layer); });
        if (self.form) {
          layer.on("click", function () { self.filterByCommune(feature.properties.nis); });
        }
        self.addLabel(feature.properties.nis, name, layer);
      }
    }).addTo(this.map);
    this.communeLayer.bringToBack();
    this.toggleLabels();
  };

  NetworkMap.prototype.addLabel = function (nis, name, layer) {
    var known = this.communes[nis];
    var at = known ? L.latLng(known.lat, known.lon) : layer.getBounds().getCenter();
    L.marker(at, {
      icon: L.divIcon({ className: "commune-label", html: "", iconSize: null }),
      interactive: false,
      keyboard: false
    }).on("add", function (event) {
      var node = event.target.getElement();
      if (node) { node.textContent = name; node.setAttribute("aria-hidden", "true"); }
    }).addTo(this.labels);
  };

  NetworkMap.prototype.toggleLabels = function () {
    // Commune names are written on the map when they fit; the tooltip gives them at any zoom.
    var show = this.map.getZoom() >= 12;
    if (show && !this.map.hasLayer(this.labels)) { this.labels.addTo(this.map); }
    if (!show && this.map.hasLayer(this.labels)) { this.map.removeLayer(this.labels); }
  };

  NetworkMap.prototype.filterByCommune = function (nis) {
    var field = this.form.elements.namedItem("commune");
    if (!field) { return; }
    field.value = field.value === nis ? "" : nis; // a second click removes the filter
    if (this.form.requestSubmit) { this.form.requestSubmit(); } else { this.form.submit(); }
  };

  NetworkMap.prototype.popup = function (props) {
    var box = text("div", "map-popup");
    var title = text("p", "map-popup-title");
    var link = text("a", null, props.name);
    link.href = props.url;
    title.appendChild(link);
    box.appendChild(title);
    var where = [props.organization, props.commune].filter(Boolean).join(" · ");
    if (where) { box.appendChild(text("p", "map-popup-where", where)); }
    if (props.machines && props.machines.length) {
      box.appendChild(text("p", "map-popup-label", this.strings.machines || ""));
      var machines = text("ul", "map-popup-machines");
      props.machines.forEach(function (name) { machines.appendChild(text("li", null, name)); });
      box.appendChild(machines);
    }
    if (props.reasons && props.reasons.length) {
      var reasons = text("ul", "reasons");
      props.reasons.forEach(function (reason) { reasons.appendChild(text("li", null, reason)); });
      box.appendChild(reasons);
    }
    var more = text("a", "map-popup-more", this.strings.site_page || props.name);
    more.href = props.url;
    var line = text("p");
    line.appendChild(more);
    box.appendChild(line);
    return box;
  };

  NetworkMap.prototype.pointFeatures = function () {
    var point = this.el.dataset.point ? JSON.parse(this.el.dataset.point) : null;
    if (!point) { return null; }
    return { type: "FeatureCollection", single: true, features: [{
      type: "Feature",
      geometry: { type: "Point", coordinates: [point[1], point[0]] },
      properties: { name: this.el.dataset.pointLabel || "" }
    }] };
  };

  NetworkMap.prototype.features = function () {
    var point = this.pointFeatures();
    if (point) { return point; }
    this.featuresEl = this.featuresId ? document.getElementById(this.featuresId) : null;
    return readJSON(this.featuresId) || { type: "FeatureCollection", features: [] };
  };

  NetworkMap.prototype.draw = function (first) {
    var self = this;
    var data = this.features();
    this.clusters.clearLayers();
    var markers = (data.features || []).map(function (feature) {
      var c = feature.geometry.coordinates;
      var props = feature.properties || {};
      var marker = L.marker([c[1], c[0]], { title: props.name, alt: props.name, riseOnHover: true });
      if (props.url) { marker.bindPopup(self.popup(props), { maxWidth: 300 }); }
      return marker;
    });
    this.clusters.addLayers(markers);
    if (this.communeLayer) { this.communeLayer.setStyle(this.communeStyle.bind(this)); }
    if (data.single && markers.length) {
      this.map.setView(markers[0].getLatLng(), this.el.dataset.tileUrl ? 16 : 13, { animate: false });
    } else if (markers.length) {
      // Without tiles there is little to see past the streets' scale: stay at commune level.
      var maxZoom = this.el.dataset.tileUrl ? 16 : 14;
      this.map.fitBounds(this.clusters.getBounds(), { padding: [40, 40], maxZoom: maxZoom, animate: !first });
    } else if (!first) {
      this.map.fitBounds(REGION);
    }
  };

  NetworkMap.prototype.refreshAfterSwap = function () {
    if (!document.body.contains(this.el)) { return; }
    var current = this.featuresId ? document.getElementById(this.featuresId) : null;
    if (current && current !== this.featuresEl) { this.draw(false); }
  };

  // A page restored by htmx from its history cache holds a copy of Leaflet's DOM, without
  // its behaviour: empty the container so that a fresh map can be built in it.
  function resetContainer(el) {
    Array.prototype.slice.call(el.children).forEach(function (child) {
      if (/(^|\s)leaflet-/.test(child.className)) { el.removeChild(child); }
    });
    el.className = el.className.split(/\s+/).filter(function (c) {
      return c.indexOf("leaflet-") !== 0;
    }).join(" ");
  }

  // A snapshot keeps the HTML of the filters, not what was chosen in them since: after a
  // restore, set them back from the address, which htmx pushed with every search.
  function syncFormsWithAddress() {
    var params = new URLSearchParams(window.location.search);
    document.querySelectorAll("form[hx-push-url]").forEach(function (form) {
      Array.prototype.forEach.call(form.elements, function (field) {
        if (field.name && field.type !== "submit" && field.type !== "button") {
          field.value = params.get(field.name) || "";
        }
      });
    });
  }

  var maps = [];

  function start() {
    maps = maps.filter(function (m) { return document.body.contains(m.el); });
    document.querySelectorAll("[data-network-map]").forEach(function (el) {
      if (el.networkMap) { return; }
      resetContainer(el);
      el.networkMap = new NetworkMap(el);
      maps.push(el.networkMap);
    });
  }

  function listen() {
    document.body.addEventListener("htmx:afterSettle", function () {
      maps.forEach(function (m) { m.refreshAfterSwap(); });
      // Say how many results the new fragment holds, in a live region that was not replaced.
      var status = document.getElementById("results-status");
      var count = document.querySelector("[data-results-count]");
      if (status && count) { status.textContent = count.textContent.trim(); }
    });
    document.body.addEventListener("htmx:historyRestore", function () {
      syncFormsWithAddress();
      start();
    });
    start();
  }

  // Should the script run twice, the first copy keeps listening.
  if (window.reproduceNetworkMap) { window.reproduceNetworkMap.start(); return; }
  window.reproduceNetworkMap = { start: start };
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", listen);
  } else {
    listen();
  }
}());
