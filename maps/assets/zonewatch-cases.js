/*
 * Zonewatch open cases: every case neither closed nor rejected (/map/cases.json, worked out
 * by maps/cases_layer.py at the moment asked), as a circle marked by how its deadline stands.
 *
 * The four bands read from size and ring as well as colour, so they are told apart without
 * colour too: overdue is the largest, dark red with a heavy solid ring; due soon orange with
 * a dashed ring; on time green with a thin white ring; not dispatched (no deadline yet) pale
 * grey-blue with a dotted ring. Their legend shows how many cases each band holds.
 *
 * The layer "未结案件" starts switched on when some case is overdue or due soon (something to
 * chase now), else off: the layer control says how many cases are open either way, and the
 * legend shows while the layer is on. Its markers sit in a pane of their own above the
 * sources and their clusters, under the locate dot, tooltips and popups.
 *
 * The cases are asked for in the datum the page is drawn in (gcj02 on an Amap basemap), as
 * the sources are; a page written to disk has no casesUrl and no case layer. The data is
 * fetched again every minute while the page is in view, so colours follow the clock and
 * others' actions. Every text goes into the page as a DOM text node, never as HTML.
 */
(function () {
  "use strict";

  var BANDS = ["overdue", "due_soon", "on_time", "not_dispatched"];
  // lineCap butt keeps the dashes apart; round caps on a near-zero dash draw dots
  var LOOKS = {
    overdue: { radius: 9, weight: 3, color: "#3d0008", fillColor: "#a50f15", fillOpacity: 0.95 },
    due_soon: { radius: 8, weight: 2.5, color: "#7a3d00", dashArray: "4 3", lineCap: "butt",
      fillColor: "#f9a03f", fillOpacity: 0.95 },
    on_time: { radius: 7, weight: 1.5, color: "#ffffff", fillColor: "#1a9850", fillOpacity: 0.9 },
    not_dispatched: { radius: 7, weight: 2, color: "#35516f", dashArray: "0.1 4",
      lineCap: "round", fillColor: "#8fa8c4", fillOpacity: 0.45 }
  };
  var PANE = "zwCases";
  var REFRESH_MS = 60000;
  var BEIJING_MS = 8 * 3600 * 1000;  // China Standard Time is UTC+8 all year round
  var SVG_NS = "http://www.w3.org/2000/svg";

  function el(tag, className, value) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (value !== undefined && value !== null) { node.textContent = String(value); }
    return node;
  }

  function asHtml(value) {  // Leaflet writes layer names as HTML: ours go as text
    return el("span", null, value).innerHTML;
  }

  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (all, name) { return String(values[name]); });
  }

  // the band's look as a small SVG circle, for the legend, the layer list and the popup
  function swatch(band) {
    var look = LOOKS[band], svg = document.createElementNS(SVG_NS, "svg");
    svg.setAttribute("viewBox", "0 0 20 20");
    svg.setAttribute("class", "zw-case-swatch");
    svg.setAttribute("aria-hidden", "true");
    var dot = document.createElementNS(SVG_NS, "circle");
    var attrs = { cx: 10, cy: 10, r: look.radius - 1, fill: look.fillColor,
      "fill-opacity": look.fillOpacity, stroke: band === "on_time" ? "#1a9850" : look.color,
      "stroke-width": look.weight, "stroke-dasharray": look.dashArray || "none",
      "stroke-linecap": look.lineCap || "round" };
    Object.keys(attrs).forEach(function (k) { dot.setAttribute(k, String(attrs[k])); });
    svg.appendChild(dot);
    return svg;
  }

  function addRow(table, label, value) {
    var tr = el("tr");
    tr.appendChild(el("th", null, label));
    tr.appendChild(el("td", null, value === null || value === undefined || value === "" ? "—" : value));
    table.appendChild(tr);
    return tr;
  }

  // "2026-11-03T12:00:05Z" as the bureau reads it: "2026-11-03 20:00"
  function beijing(iso) {
    if (!iso) { return null; }
    return new Date(Date.parse(iso) + BEIJING_MS).toISOString().slice(0, 16).replace("T", " ");
  }

  // the datum the page asks its data in (zonewatch-map.js's own rule)
  function pageDatum(cfg) {
    if (cfg.data && cfg.data.datum) { return cfg.data.datum; }
    return /[?&]datum=gcj02(&|$)/.test(cfg.dataUrl || "") ? "gcj02" : "wgs84";
  }

  function fetchCases(cfg, datum) {
    var url = cfg.linkBase + cfg.casesUrl + "?datum=" + encodeURIComponent(datum);
    return fetch(url, { credentials: "same-origin", cache: "no-store",
      headers: { "Accept": "application/json" } }).then(function (r) {
      if (!r.ok) { throw new Error("HTTP " + r.status + " for " + url); }
      return r.json();
    });
  }

  function Cases(map, cfg, control, state) {
    this.map = map;
    this.cfg = cfg;
    this.control = control;
    this.words = cfg.labels.cases;
    this.data = null;
    this.fetchedAt = 0;
    this.markers = {};
    this.added = false;
    var pane = map.getPane(PANE) || map.createPane(PANE);
    pane.style.zIndex = 620;  // above the clusters' icons (600), under the locate dot (630)
    this.renderer = L.svg({ pane: PANE });
    this.layer = L.featureGroup();
    // a finger needs a larger target than a mouse
    this.bump = map.getContainer().clientWidth < 640 ||
      (window.matchMedia && window.matchMedia("(pointer: coarse)").matches) ? 3 : 0;
    var self = this;
    // what the page (and its tests) may read: zonewatch.cases
    this.api = state.cases = { ready: false, error: null, data: null, markers: {},
      layer: this.layer, open: function (id) { return self.open(id); },
      refresh: function () { return self.refresh(); } };
  }

  Cases.prototype.typeName = function (c) {
    return (this.cfg.lang === "en" ? c.type_en : c.type_zh) || c.event_type;
  };

  // A length of time in its two largest units (1小时20分, 2天3小时), as the case pages say it
  Cases.prototype.span = function (seconds) {
    var w = this.words, minutes = Math.floor(Math.abs(seconds) / 60);
    var units = [["day", Math.floor(minutes / 1440)], ["hour", Math.floor((minutes % 1440) / 60)],
      ["minute", minutes % 60]];
    var first = 0;
    while (first < 2 && !units[first][1]) { first += 1; }
    var shown = units.slice(first, first + 2).filter(function (u) { return u[1]; })
      .map(function (u) { return fill(w[u[0]], { n: u[1] }); });
    return shown.join(this.cfg.lang === "en" ? " " : "") || fill(w.minute, { n: 0 });
  };

  // 剩余 1小时20分 / 超期 3小时 / 未派遣: counted on from the server's moment of the data
  Cases.prototype.leftText = function (c) {
    var w = this.words;
    if (c.seconds_left === null || c.seconds_left === undefined) { return w.no_deadline; }
    var left = c.seconds_left - Math.floor((Date.now() - this.fetchedAt) / 1000);
    if (c.band === "overdue" || left < 0) { return fill(w.over, { span: this.span(left) }); }
    return left < 60 ? w.left_lt_min : fill(w.left, { span: this.span(left) });
  };

  Cases.prototype.popup = function (c) {
    var w = this.words, box = el("div", "zw-popup zw-case-popup");
    box.setAttribute("data-case", c.id);
    box.appendChild(el("div", "zw-popup-title", this.typeName(c)));
    var left = el("div", "zw-case-left zw-case-left-" + c.band);
    left.appendChild(swatch(c.band));
    left.appendChild(el("span", null, (c.band === "due_soon" ? w.bands.due_soon + " · " : "") +
      this.leftText(c)));
    box.appendChild(left);
    var table = el("table");
    addRow(table, w.id, c.id);
    addRow(table, w.status, w.statuses[c.status] || c.status);
    addRow(table, w.unit, c.unit);
    addRow(table, w.deadline, c.deadline ? fill(w.beijing, { t: beijing(c.deadline) }) : null);
    addRow(table, w.reported_at, c.reported_at ? fill(w.beijing, { t: beijing(c.reported_at) }) : null);
    addRow(table, w.address, c.address);
    if (c.rework) { addRow(table, w.rework, fill(w.rework_n, { n: c.rework })); }
    box.appendChild(table);
    if (c.description) { box.appendChild(el("div", "zw-case-description", c.description)); }
    var a = el("a", "zw-link zw-case-link", fill(w.open_case, { id: c.id }));
    a.href = this.cfg.linkBase + "/cases/" + encodeURIComponent(c.id);
    a.target = "_blank";
    a.rel = "noopener";
    box.appendChild(a);
    return box;
  };

  Cases.prototype.marker = function (c) {
    var self = this, look = LOOKS[c.band] || LOOKS.not_dispatched;
    var m = L.circleMarker([c.lat, c.lon], L.extend({}, look, {
      radius: look.radius + this.bump, renderer: this.renderer, pane: PANE,
      className: "zw-case zw-case-" + c.band
    }));
    m.bindPopup(function () { return self.popup(c); }, { maxWidth: 300, className: "zw-case-popup-box" });
    m.zwCase = c;
    return m;
  };

  // The markers of fresh data; the least urgent first, so an overdue one is drawn on top
  Cases.prototype.draw = function (data) {
    var self = this;
    this.data = data;
    this.fetchedAt = Date.now();
    this.layer.clearLayers();
    this.markers = {};
    data.cases.slice().reverse().forEach(function (c) {
      var m = self.marker(c);
      self.markers[c.id] = m;
      self.layer.addLayer(m);
    });
    if (!this.added && data.count) { this.addToMap(data); }
    if (this.added) { this.update(data); }
    this.api.data = data;
    this.api.markers = this.markers;
  };

  Cases.prototype.urgent = function (counts) {
    return (counts.overdue || 0) + (counts.due_soon || 0) > 0;
  };

  Cases.prototype.addToMap = function (data) {
    var self = this;
    this.added = true;
    this.legend = this.addLegend();
    this.map.on("overlayadd overlayremove", function (e) {
      if (e.layer === self.layer) { self.showLegend(); }
    });
    if (this.urgent(data.counts)) { this.layer.addTo(this.map); }
    this.showLegend();
  };

  Cases.prototype.label = function (n) {
    var icon = el("span", "zw-case-layer-swatch");
    icon.appendChild(swatch("overdue"));  // our own fixed markup; the words go as text
    return icon.outerHTML + asHtml(this.words.layer) + " (" + n + ")";
  };

  // Counts into the legend and the layer control (re-listed: it keeps no handle on a label)
  Cases.prototype.update = function (data) {
    var self = this;
    this.control.removeLayer(this.layer);
    this.control.addOverlay(this.layer, this.label(data.count));
    BANDS.forEach(function (band) {
      var n = self.legend.querySelector('[data-band="' + band + '"] .zw-cases-count');
      n.textContent = String(data.counts[band] || 0);
    });
  };

  Cases.prototype.addLegend = function () {
    var w = this.words, folded = this.map.getContainer().clientWidth < 640;
    var control = L.control({ position: "bottomright" });
    // classes of its own: the map's legend stays the one .zw-legend of the page
    var outer = el("div", "zw-cases-legend leaflet-bar");
    var box = el("details");  // folded on a phone, like the map's own legend
    box.open = !folded;
    box.appendChild(el("summary", "zw-cases-legend-title", w.legend));
    BANDS.forEach(function (band) {
      var row = el("div", "zw-cases-legend-row");
      row.setAttribute("data-band", band);
      row.appendChild(swatch(band));
      row.appendChild(el("span", "zw-cases-band", w.bands[band]));
      row.appendChild(el("span", "zw-cases-count", 0));
      box.appendChild(row);
    });
    outer.appendChild(box);
    L.DomEvent.disableClickPropagation(outer);
    L.DomEvent.disableScrollPropagation(outer);
    control.onAdd = function () { return outer; };
    control.addTo(this.map);
    return outer;
  };

  Cases.prototype.showLegend = function () {
    this.legend.hidden = !this.map.hasLayer(this.layer);
  };

  Cases.prototype.open = function (id) {
    var m = this.markers[id];
    if (!m) { return false; }
    if (!this.map.hasLayer(this.layer)) { this.layer.addTo(this.map); }
    m.openPopup();
    return true;
  };

  // /map?focus=ID of an open case: go there and open its popup
  Cases.prototype.go = function (id) {
    var m = this.markers[id];
    if (!this.map.hasLayer(this.layer)) { this.layer.addTo(this.map); }
    this.map.setView(m.getLatLng(), Math.max(this.map.getZoom(), 17), { animate: false });
    this.open(id);
  };

  Cases.prototype.refresh = function () {
    var self = this;
    return fetchCases(this.cfg, this.datum).then(function (data) { self.draw(data); });
  };

  Cases.prototype.failed = function (err) {
    this.api.error = String(err);
    var box = el("div", "zw-cases-note leaflet-bar", fill(this.words.load_failed, { error: err }));
    box.setAttribute("role", "alert");
    var control = L.control({ position: "bottomleft" });
    control.onAdd = function () { return box; };
    control.addTo(this.map);
  };

  // Fetch again every minute while the page is seen, unless one of our popups is open
  Cases.prototype.keepFresh = function (datum) {
    var self = this;
    this.datum = datum;
    window.setInterval(function () {
      var open = false;
      self.layer.eachLayer(function (m) { open = open || m.isPopupOpen(); });
      if (document.visibilityState === "visible" && !open) {
        self.refresh().catch(function () { /* the next minute tries again */ });
      }
    }, REFRESH_MS);
  };

  var started = null;
  (window.zonewatchPlugins = window.zonewatchPlugins || []).push({
    start: function (map, cfg, control, state) {
      if (!cfg.casesUrl) { return; }  // a map written to disk: no server to ask
      var cases = new Cases(map, cfg, control, state);
      var datum = pageDatum(cfg);
      started = { cases: cases, datum: datum, data: fetchCases(cfg, datum) };
      started.data.catch(function () { /* reported once the map is ready */ });
    },
    // drawn once the sources are, so the legends stack the same way on every load
    ready: function (ctx, control, state) {
      if (!started) { return; }
      var cases = started.cases, datum = state.datum || started.datum;
      var data = datum === started.datum ? started.data : fetchCases(cases.cfg, datum);
      data.then(function (d) {
        cases.draw(d);
        cases.keepFresh(datum);
        if (cases.cfg.focus && cases.markers[cases.cfg.focus]) { cases.go(cases.cfg.focus); }
        cases.api.ready = true;
      }).catch(function (err) {
        cases.failed(err);
        cases.api.ready = true;
      });
    }
  });
}());
