/*
 * Zonewatch measure tool: click points on the map, read the running length.
 *
 * Lengths are geodesic on the WGS84 ellipsoid (Vincenty's inverse formula,
 * good to well under a millimetre at district scale), never Leaflet's
 * spherical map.distance, which is up to 0.5 % off. While the tool is on,
 * markers, clusters and the canvas let clicks through to the map (CSS class
 * zw-measuring), so a click on a station adds a point there instead of
 * opening its popup; the map itself is never panned or zoomed by a click.
 * Words come from the page's config (maps/i18n.py); nothing here is HTML.
 *
 * Exports: window.zonewatchMeasure = { control(words, colour), distanceM(a, b) }.
 */
(function () {
  "use strict";

  var WGS84_A_M = 6378137, WGS84_F = 1 / 298.257223563;
  var WGS84_B_M = WGS84_A_M * (1 - WGS84_F);
  var MEAN_RADIUS_M = 6371008.8;  // IUGG mean Earth radius: fallback sphere only
  var RAD = Math.PI / 180;

  // longitude difference in radians, wrapped to [-pi, pi] (Leaflet's may pass 180 degrees)
  function lonDifference(lon1, lon2) {
    var d = ((lon2 - lon1) % 360 + 540) % 360 - 180;
    return d * RAD;
  }

  // Vincenty's iteration on the auxiliary sphere; null when it does not converge
  // (only for nearly antipodal points, more than ~19 900 km apart)
  function vincentyLoop(u1, u2, dLon) {
    var sinU1 = Math.sin(u1), cosU1 = Math.cos(u1), sinU2 = Math.sin(u2), cosU2 = Math.cos(u2);
    var lambda = dLon, previous, s = {};
    for (var i = 0; i < 200; i++) {
      var sinL = Math.sin(lambda), cosL = Math.cos(lambda);
      var a = cosU2 * sinL, b = cosU1 * sinU2 - sinU1 * cosU2 * cosL;
      s.sinSigma = Math.sqrt(a * a + b * b);
      if (s.sinSigma === 0) { return { sinSigma: 0 }; }  // the same point
      s.cosSigma = sinU1 * sinU2 + cosU1 * cosU2 * cosL;
      s.sigma = Math.atan2(s.sinSigma, s.cosSigma);
      var sinAlpha = cosU1 * cosU2 * sinL / s.sinSigma;
      s.cosSqAlpha = 1 - sinAlpha * sinAlpha;
      // on the equator cosSqAlpha is 0 and the term drops out
      s.cos2SigmaM = s.cosSqAlpha !== 0 ? s.cosSigma - 2 * sinU1 * sinU2 / s.cosSqAlpha : 0;
      var c = WGS84_F / 16 * s.cosSqAlpha * (4 + WGS84_F * (4 - 3 * s.cosSqAlpha));
      previous = lambda;
      lambda = dLon + (1 - c) * WGS84_F * sinAlpha * (s.sigma + c * s.sinSigma *
        (s.cos2SigmaM + c * s.cosSigma * (-1 + 2 * s.cos2SigmaM * s.cos2SigmaM)));
      if (Math.abs(lambda - previous) < 1e-12) { return s; }
    }
    return null;
  }

  function haversineM(lat1, lat2, dLon) {
    var h = Math.pow(Math.sin((lat2 - lat1) * RAD / 2), 2) +
      Math.cos(lat1 * RAD) * Math.cos(lat2 * RAD) * Math.pow(Math.sin(dLon / 2), 2);
    return 2 * MEAN_RADIUS_M * Math.asin(Math.min(1, Math.sqrt(h)));
  }

  // Geodesic distance in metres between two {lat, lng} points on the WGS84 ellipsoid
  function distanceM(p, q) {
    var dLon = lonDifference(p.lng, q.lng);
    var u1 = Math.atan((1 - WGS84_F) * Math.tan(p.lat * RAD));
    var u2 = Math.atan((1 - WGS84_F) * Math.tan(q.lat * RAD));
    var s = vincentyLoop(u1, u2, dLon);
    if (s === null) { return haversineM(p.lat, q.lat, dLon); }  // antipodes: sphere, < 0.5 %
    if (s.sinSigma === 0) { return 0; }
    var uSq = s.cosSqAlpha * (WGS84_A_M * WGS84_A_M - WGS84_B_M * WGS84_B_M) /
      (WGS84_B_M * WGS84_B_M);
    var bigA = 1 + uSq / 16384 * (4096 + uSq * (-768 + uSq * (320 - 175 * uSq)));
    var bigB = uSq / 1024 * (256 + uSq * (-128 + uSq * (74 - 47 * uSq)));
    var c2 = s.cos2SigmaM, c2Sq = c2 * c2;
    var deltaSigma = bigB * s.sinSigma * (c2 + bigB / 4 * (s.cosSigma * (-1 + 2 * c2Sq) -
      bigB / 6 * c2 * (-3 + 4 * s.sinSigma * s.sinSigma) * (-3 + 4 * c2Sq)));
    return WGS84_B_M * bigA * (s.sigma - deltaSigma);
  }

  // "850 米" under a kilometre, "4.21 千米" from there on
  function formatLength(lengthM, words) {
    if (lengthM < 1000) { return Math.round(lengthM) + " " + words.metres; }
    return (lengthM / 1000).toFixed(2) + " " + words.kilometres;
  }

  function el(tag, className, text) {
    var node = L.DomUtil.create(tag, className);
    if (text !== undefined) { node.textContent = text; }
    return node;
  }

  // a small ruler drawn as SVG: no image file, no icon font
  function rulerIcon() {
    var ns = "http://www.w3.org/2000/svg";
    var svg = document.createElementNS(ns, "svg");
    svg.setAttribute("viewBox", "0 0 20 20");
    svg.setAttribute("aria-hidden", "true");
    var path = document.createElementNS(ns, "path");
    path.setAttribute("d", "M2 13 L13 2 L18 7 L7 18 Z M5 10 l2 2 M7.5 7.5 l1.5 1.5 " +
      "M10 5 l2 2 M12.5 2.5 l1.5 1.5");
    path.setAttribute("fill", "none");
    path.setAttribute("stroke", "currentColor");
    path.setAttribute("stroke-width", "1.6");
    svg.appendChild(path);
    return svg;
  }

  function button(parent, className, label, handler, ctx) {
    var b = el("button", className, label);
    b.type = "button";
    parent.appendChild(b);
    L.DomEvent.on(b, "click", function (e) { L.DomEvent.stop(e); handler.call(ctx); });
    return b;
  }

  var Measure = L.Control.extend({
    options: { position: "topleft" },

    initialize: function (words, colour) {
      this._words = words;
      this._colour = colour;
      this._points = [];
      this.lengthM = 0;
      this.active = false;
    },

    onAdd: function (map) {
      var w = this._words, box = el("div", "zw-measure leaflet-bar");
      this._map = map;
      this._toggle = el("a", "zw-measure-toggle");
      this._toggle.href = "#";
      this._toggle.title = w.measure;
      this._toggle.setAttribute("role", "button");
      this._toggle.setAttribute("aria-label", w.measure);
      this._toggle.setAttribute("aria-pressed", "false");
      this._toggle.appendChild(rulerIcon());
      box.appendChild(this._toggle);
      L.DomEvent.on(this._toggle, "click", function (e) {
        L.DomEvent.stop(e);
        if (this.active) { this.finish(); } else { this.start(); }
      }, this);
      box.appendChild(this._buildPanel());
      L.DomEvent.disableClickPropagation(box);
      L.DomEvent.disableScrollPropagation(box);
      // its own pane above the markers and clusters, letting every click through to the map
      var pane = map.getPane("zwMeasure") || map.createPane("zwMeasure");
      pane.style.zIndex = 640;
      pane.style.pointerEvents = "none";
      var line = { interactive: false, weight: 3, color: this._colour.active, pane: "zwMeasure" };
      this._line = L.polyline([], line);
      this._rubber = L.polyline([], L.extend({}, line, { weight: 2, dashArray: "5 5" }));
      this._vertices = L.layerGroup();
      this._layer = L.layerGroup([this._line, this._rubber, this._vertices]).addTo(map);
      return box;
    },

    _buildPanel: function () {
      var w = this._words, panel = el("div", "zw-measure-panel");
      panel.hidden = true;
      var total = el("div", "zw-measure-total");
      total.appendChild(el("span", "zw-measure-label", w.measure_total + " "));
      this._value = el("output", "zw-measure-value", formatLength(0, w));
      this._value.setAttribute("aria-live", "polite");
      total.appendChild(this._value);
      panel.appendChild(total);
      this._hint = el("div", "zw-measure-hint", w.measure_hint);
      panel.appendChild(this._hint);
      var row = el("div", "zw-measure-buttons");
      this._finishButton = button(row, "zw-measure-finish", w.measure_finish, this.finish, this);
      button(row, "zw-measure-clear", w.measure_clear, this.clear, this);
      panel.appendChild(row);
      this._panel = panel;
      return panel;
    },

    start: function () {
      var map = this._map;
      if (this._points.length) { this.clear(); }  // a new measurement replaces the finished one
      this.active = true;
      this._zoomOnDblClick = map.doubleClickZoom.enabled();
      map.doubleClickZoom.disable();
      L.DomUtil.addClass(map.getContainer(), "zw-measuring");
      map.on("click", this._onClick, this);
      map.on("dblclick", this.finish, this);
      map.on("mousemove", this._onMove, this);
      L.DomEvent.on(document, "keydown", this._onKey, this);
      this._toggle.setAttribute("aria-pressed", "true");
      L.DomUtil.addClass(this._toggle, "zw-active");
      this._paint();
      this._show();
    },

    finish: function () {
      var map = this._map;
      if (!this.active) { return; }
      this.active = false;
      map.off("click", this._onClick, this);
      map.off("dblclick", this.finish, this);
      map.off("mousemove", this._onMove, this);
      L.DomEvent.off(document, "keydown", this._onKey, this);
      L.DomUtil.removeClass(map.getContainer(), "zw-measuring");
      if (this._zoomOnDblClick) { map.doubleClickZoom.enable(); }
      this._toggle.setAttribute("aria-pressed", "false");
      L.DomUtil.removeClass(this._toggle, "zw-active");
      this._paint();
      this._show();
    },

    clear: function () {
      this._points = [];
      this.lengthM = 0;
      this._line.setLatLngs([]);
      this._rubber.setLatLngs([]);
      this._vertices.clearLayers();
      this._show();
    },

    // the panel: hidden when idle, the hint and finish button only while measuring
    _show: function () {
      this._panel.hidden = !this.active && this._points.length === 0;
      this._hint.hidden = !this.active;
      this._finishButton.hidden = !this.active;
      this._value.textContent = formatLength(this.lengthM, this._words);
      this._value.setAttribute("data-metres", this.lengthM.toFixed(1));
    },

    _onClick: function (e) {
      var last = this._points[this._points.length - 1];
      // the two clicks of a double click land on one spot: count it once
      if (last && this._map.latLngToContainerPoint(last).distanceTo(e.containerPoint) < 3) {
        return;
      }
      if (last) { this.lengthM += distanceM(last, e.latlng); }
      this._points.push(e.latlng);
      this._line.addLatLng(e.latlng);
      this._vertices.addLayer(L.circleMarker(e.latlng, {
        radius: 4, weight: 2, color: this._colour.active, fillColor: "#ffffff",
        fillOpacity: 1, interactive: false, pane: "zwMeasure" }));
      this._show();
    },

    // a dashed line from the last point to the pointer, while measuring with a mouse
    _onMove: function (e) {
      var last = this._points[this._points.length - 1];
      if (last) { this._rubber.setLatLngs([last, e.latlng]); }
    },

    _paint: function () {
      var colour = this.active ? this._colour.active : this._colour.done;
      this._line.setStyle({ color: colour });
      this._vertices.eachLayer(function (v) { v.setStyle({ color: colour }); });
      if (!this.active) { this._rubber.setLatLngs([]); }
    },

    _onKey: function (e) {
      if (e.key === "Escape") { this.finish(); }
    }
  });

  window.zonewatchMeasure = {
    control: function (words, colour) { return new Measure(words, colour); },
    distanceM: distanceM,
    formatLength: formatLength
  };
}());
