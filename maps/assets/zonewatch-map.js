/*
 * Zonewatch map: draws sources, monitoring points, radius circles, heat map
 * and the district/grid backdrop from the compact JSON of /map/data.json.
 * Every user text goes into the page as a DOM text node (textContent), never
 * as HTML, so names like "<img onerror=...>" show as text and run nothing.
 *
 * Priority targets (open sources inside a radius) wear a red ring, and every cluster says
 * how many of them it holds; "priority unclustered" takes them out of the clusters. Closed
 * sources inside a radius (the re-check list) wear a grey dashed ring, never the red one.
 */
(function () {
  "use strict";

  function el(tag, className, value) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (value !== undefined && value !== null) { node.textContent = String(value); }
    return node;
  }

  // Leaflet writes attributions and layer names as HTML: what comes from the config goes as text
  function asHtml(value) {
    return el("span", null, value).innerHTML;
  }

  // "{n} sources" style labels: word order and punctuation stay in the language's hands
  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (all, name) { return String(values[name]); });
  }

  function cell(columns, name, i) {
    var c = columns[name];
    if (Array.isArray(c)) { return c[i]; }
    var k = c.codes[i];
    return k < 0 ? null : c.values[k];
  }

  var RECHECK_COLOUR = "#4d4d4d";  // grey: a shut stall to look at again, not a target

  // kind: "priority" (red ring), "recheck" (grey dashed ring, pale fill) or "plain"
  function markerStyle(cfg, style, kind) {
    if (kind === "recheck") {
      return { radius: 7, weight: 2.5, color: RECHECK_COLOUR, dashArray: "4 3",
        fillColor: style.colour, fillOpacity: 0.2 };
    }
    var priority = kind === "priority";
    return {
      radius: priority ? 7 : 5, weight: priority ? 3 : 1,
      color: priority ? cfg.priorityColour : "#ffffff", fillColor: style.colour, fillOpacity: 0.9
    };
  }

  function addRow(table, label, value) {
    var tr = el("tr");
    tr.appendChild(el("th", null, label));
    tr.appendChild(el("td", null, value === null || value === undefined || value === "" ? "—" : value));
    table.appendChild(tr);
    return tr;
  }

  function link(href, label) {
    var a = el("a", "zw-link", label);
    a.href = href;
    a.target = "_blank";
    a.rel = "noopener";
    return a;
  }

  function Ctx(map, cfg, data) {
    this.map = map;
    this.cfg = cfg;
    this.words = cfg.labels;
    this.tools = cfg.labels.map_tools;
    this.data = data;
    this.src = data.sources;
    this.markers = [];
    this.groups = {};  // category -> its cluster group
    this.loose = {};  // category -> priority markers out of the clusters ("priority unclustered")
    this.layers = {};  // category -> what the layer control switches (outlines, clusters, loose)
    this.unclustered = false;
    this.stationNames = {};
    this.stationMarkers = {};
    this.popup = L.popup({ maxWidth: 360 });
  }

  // "priority", "recheck" or "plain": which ring source i wears
  Ctx.prototype.kindOf = function (i) {
    if (this.src.priority[i] === 1) { return "priority"; }
    return this.src.recheck && this.src.recheck[i] === 1 ? "recheck" : "plain";
  };

  // A fresh style literal for source i (the editing script restyles a source it changed)
  Ctx.prototype.lookOf = function (i) {
    var cat = cell(this.src, "category", i);
    return markerStyle(this.cfg, this.cfg.styles[cat] || this.cfg.styles.other, this.kindOf(i));
  };

  Ctx.prototype.sourcePopup = function (i) {
    var w = this.words, f = w.fields, s = this.src;
    var box = el("div", "zw-popup");
    box.appendChild(el("div", "zw-popup-title", cell(s, "name", i)));
    var table = el("table");
    var cat = cell(s, "category", i), status = cell(s, "status", i);
    var purifier = cell(s, "fume_purifier", i), dist = s.distance_m[i];
    var nearest = cell(s, "nearest_station", i);
    addRow(table, f.category, w.categories[cat] || cat);
    addRow(table, f.status, w.statuses[status] || status);
    addRow(table, f.fume_purifier, purifier ? (w.purifier[purifier] || purifier) : null);
    addRow(table, f.address, cell(s, "address", i));
    addRow(table, f.community, cell(s, "community", i));
    addRow(table, f.grid, cell(s, "grid", i));
    addRow(table, f.last_inspected, cell(s, "last_inspected", i));
    addRow(table, f.distance_m, dist === null ? null : nearest
      ? fill(w.distance_to, { m: dist, station: this.stationNames[nearest] || nearest })
      : dist + " " + w.metres);
    addRow(table, f.priority, s.priority[i] ? w.yes : w.no);
    if (this.kindOf(i) === "recheck") { addRow(table, this.tools.recheck_field, w.yes); }
    box.appendChild(table);
    var id = cell(s, "id", i);
    box.appendChild(link(this.cfg.linkBase + "/collections/sources/items/" +
      encodeURIComponent(id), w.record + " · " + id));
    var self = this;
    plugins("sourcePopup", function (p) { p.sourcePopup(self, i, box); });
    return box;
  };

  // The station's facts, what lies inside its radius (counted by the server, as /priority
  // counts), its report; the ledger's list of its targets sits beside, outside .zw-popup
  Ctx.prototype.stationPopup = function (st) {
    var w = this.words, t = this.tools;
    var wrap = el("div", "zw-station-popup"), box = el("div", "zw-popup");
    box.appendChild(el("div", "zw-popup-title", st.name));
    var table = el("table");
    addRow(table, "ID", st.id);
    addRow(table, w.level, w.levels[st.level] || st.level);
    addRow(table, w.radius, Math.round(st.radius_m) + " " + w.metres);
    box.appendChild(table);
    box.appendChild(this.insideTable(st));
    box.appendChild(link(this.cfg.linkBase + "/reports/summary?by=station&station=" +
      encodeURIComponent(st.id) + "&f=html", w.report));
    wrap.appendChild(box);
    var more = el("div", "zw-popup-links");
    var ledger = link(this.cfg.linkBase + "/ledger?station=" + encodeURIComponent(st.id) +
      "&priority=true", t.ledger_list);
    ledger.classList.add("zw-ledger-link");
    more.appendChild(ledger);
    wrap.appendChild(more);
    return wrap;
  };

  Ctx.prototype.insideTable = function (st) {
    var w = this.words, t = this.tools, counts = st.counts || {};
    var table = el("table", "zw-inside");
    table.appendChild(el("caption", null, t.inside_radius));
    Object.keys(this.cfg.styles).forEach(function (cat) {
      if (counts[cat]) { addRow(table, w.categories[cat], counts[cat]).dataset.count = cat; }
    });
    addRow(table, t.total, st.priority || 0).dataset.count = "priority";
    addRow(table, t.recheck_count, st.recheck || 0).dataset.count = "recheck";
    return table;
  };

  Ctx.prototype.openSource = function (i) {
    this.popup.setLatLng(this.markers[i].getLatLng())
      .setContent(this.sourcePopup(i)).openOn(this.map);
  };

  // how many priority targets a cluster holds (none while they are shown unclustered)
  Ctx.prototype.priorityIn = function (cluster) {
    var all = cluster.getAllChildMarkers(), pri = this.src.priority, n = 0;
    for (var k = 0; k < all.length; k++) { if (pri[all[k].zwIndex] === 1) { n += 1; } }
    return n;
  };

  Ctx.prototype.clusterIcon = function (colour) {
    var self = this;
    return function (cluster) {
      var n = cluster.getChildCount(), p = self.priorityIn(cluster);
      var size = n < 100 ? 30 : (n < 1000 ? 36 : 44);
      var dot = el("div", "zw-cluster-dot" + (p ? " zw-cluster-priority" : ""));
      dot.style.background = colour;
      dot.appendChild(el("span", "zw-cluster-count", n));
      if (p) {  // a red ring and badge: priority shows at every zoom, not only unclustered
        var badge = el("span", "zw-cluster-badge", p);
        badge.title = fill(self.tools.cluster_priority, { n: p });
        dot.appendChild(badge);
      }
      return L.divIcon({ html: dot, className: "zw-cluster", iconSize: L.point(size, size) });
    };
  };

  Ctx.prototype.buildMarkers = function () {
    var s = this.src, n = s.lon.length, byCat = {}, looks = {};
    for (var i = 0; i < n; i++) {
      var cat = cell(s, "category", i), kind = this.kindOf(i), key = cat + "!" + kind;
      // one options literal per look (Leaflet copies it into each marker), not one per source
      var look = looks[key] ||
        (looks[key] = markerStyle(this.cfg, this.cfg.styles[cat] || this.cfg.styles.other, kind));
      var m = L.circleMarker(L.latLng(s.lat[i], s.lon[i]), look);
      m.zwIndex = i;
      this.markers.push(m);
      (byCat[cat] = byCat[cat] || []).push(m);
    }
    return byCat;
  };

  Ctx.prototype.drawSources = function (control, done) {
    var cfg = this.cfg, self = this, byCat = this.buildMarkers(), pending = 1, called = false;
    // pending starts at 1 for this loop itself: a small category may finish while it runs
    // (markercluster adds a short list at once), and done must come once, after the last
    var finished = function () {
      pending -= 1;
      if (pending === 0 && !called) { called = true; done(); }
    };
    Object.keys(cfg.styles).forEach(function (cat) {
      var list = byCat[cat] || [];
      var layer = self.categoryLayer(cat, finished);
      if (list.length) {
        layer.addTo(self.map);
        pending += 1;
        self.groups[cat].addLayers(list, true);  // true: no "layeradd" event per marker
        var swatch = '<span class="zw-swatch" style="background:' + cfg.styles[cat].colour +
          '"></span>';  // an empty category has nothing to switch (nor a legend row)
        control.addOverlay(layer, swatch + asHtml(self.words.categories[cat]) +
          " (" + list.length + ")");
      }
    });
    this.addUnclusterToggle(control);
    this.foldLegendIfCrowded();  // the layer list has just grown by the categories
    this.map.on("resize", this.foldLegendIfCrowded, this);  // and a window may shrink
    finished();  // the loop's own count: done now if every category already finished
  };

  // One category: outlines of its areas and routes, its clusters, its unclustered priority
  Ctx.prototype.categoryLayer = function (cat, finished) {
    var self = this, colour = this.cfg.styles[cat].colour, shapes = this.src.shapes;
    // radius 80 px (the plugin's default): fewer, calmer bubbles than 45, and a fifth
    // less main-thread time to cluster 1e5 sources (bench/README.md)
    var points = L.markerClusterGroup({
      chunkedLoading: true, chunkInterval: 150, chunkDelay: 5, maxClusterRadius: 80,
      disableClusteringAtZoom: 17,
      showCoverageOnHover: false, iconCreateFunction: this.clusterIcon(colour),
      chunkProgress: function (processed, total) {
        // onAdd reports an empty batch (0 of 0) first: count only real ones
        if (total > 0 && processed === total) { finished(); }
      }
    });
    var loose = L.featureGroup(), outlines = L.featureGroup();
    points.on("click", function (e) { self.openSource(e.layer.zwIndex); });
    loose.on("click", function (e) { self.openSource(e.layer.zwIndex); });
    this.keepUnclustered(points);
    Object.keys(shapes).forEach(function (key) {
      var i = Number(key);
      if (cell(self.src, "category", i) !== cat) { return; }
      var outline = L.geoJSON(shapes[key], { style: { color: colour, weight: 3, fillOpacity: 0.25 } });
      outline.on("click", function () { self.openSource(i); });
      outlines.addLayer(outline);
    });
    this.groups[cat] = points;
    this.loose[cat] = loose;
    this.layers[cat] = L.layerGroup([outlines, points, loose]);
    return this.layers[cat];
  };

  // A layer-control switch that draws nothing: on, priority markers leave the clusters
  Ctx.prototype.addUnclusterToggle = function (control) {
    var self = this, toggle = L.layerGroup();
    toggle.on("add", function () { self.setUnclustered(true); });
    toggle.on("remove", function () { self.setUnclustered(false); });
    control.addOverlay(toggle, '<span class="zw-swatch zw-swatch-priority"></span>' +
      asHtml(this.tools.priority_unclustered));
    this.unclusterToggle = toggle;
  };

  Ctx.prototype.setUnclustered = function (on) {
    if (on === this.unclustered) { return; }
    var self = this, byCat = {};
    this.unclustered = on;
    this.markers.forEach(function (m, i) {
      if (m && self.src.priority[i] === 1) {
        var cat = cell(self.src, "category", i);
        (byCat[cat] = byCat[cat] || []).push(m);
      }
    });
    this.moving = true;  // our own moves: the watchers of keepUnclustered stand aside
    Object.keys(byCat).forEach(function (cat) {
      var list = byCat[cat], points = self.groups[cat], loose = self.loose[cat];
      if (on) {
        points.removeLayers(list);
        list.forEach(function (m) { loose.addLayer(m); });
      } else {
        list.forEach(function (m) { loose.removeLayer(m); });
        points.addLayers(list, true);
      }
    });
    this.moving = false;
    L.DomUtil[on ? "addClass" : "removeClass"](this.map.getContainer(), "zw-unclustered");
  };

  // A marker put into (or taken out of) a cluster group by someone else, e.g. the editing
  // script after a change, leaves every unclustered layer; while priority is unclustered,
  // a priority one moves out again once the group is done adding it: never drawn twice.
  Ctx.prototype.keepUnclustered = function (points) {
    var self = this, remove = points.removeLayer;
    function leaveLoose(m) {
      Object.keys(self.loose).forEach(function (cat) { self.loose[cat].removeLayer(m); });
    }
    // the group fires no event when asked to remove a marker it does not hold (one of ours)
    points.removeLayer = function (layer) {
      if (!self.moving) { leaveLoose(layer); }
      return remove.call(this, layer);
    };
    points.on("layeradd", function (e) {
      if (self.moving) { return; }
      var m = e.layer;
      leaveLoose(m);
      setTimeout(function () {
        var i = m.zwIndex;
        if (!self.unclustered || self.src.priority[i] !== 1 || !points.hasLayer(m)) { return; }
        points.removeLayer(m);
        self.loose[cell(self.src, "category", i)].addLayer(m);
      }, 0);
    });
  };

  Ctx.prototype.drawStations = function (control) {
    var self = this, cfg = this.cfg;
    var zones = L.featureGroup(), points = L.featureGroup();
    this.data.stations.forEach(function (st) {
      self.stationNames[st.id] = st.name;
      var chosen = self.data.station === st.id;
      var zone = L.circle([st.lat, st.lon], {
        radius: st.radius_m, color: cfg.stationColour, weight: chosen ? 3 : 1.5,
        dashArray: "8 5", fillColor: cfg.stationColour, fillOpacity: chosen ? 0.08 : 0.03,
        interactive: false
      });
      zone.zwStation = st.id;
      zones.addLayer(zone);
      var icon = L.divIcon({ className: "zw-station", html: "", iconSize: L.point(18, 18) });
      var marker = L.marker([st.lat, st.lon], { icon: icon, zIndexOffset: 1000 });
      marker.bindTooltip(el("span", null, st.name), { permanent: true, direction: "right",
        offset: L.point(10, 0), className: "zw-station-label" });
      marker.bindPopup(function () { return self.stationPopup(st); }, { maxWidth: 360 });
      marker.zwStation = st;
      self.stationMarkers[st.id] = marker;
      points.addLayer(marker);
    });
    zones.addTo(this.map);
    points.addTo(this.map);
    control.addOverlay(zones, this.words.zones);
    control.addOverlay(points, this.words.stations);
    this.zones = zones;
    this.stations = points;
  };

  Ctx.prototype.drawBackdrop = function (control) {
    var grids = L.geoJSON(this.data.grids, {
      style: { color: "#7a7a7a", weight: 0.6, fillColor: "#ffffff", fillOpacity: 0.15 },
      onEachFeature: function (feature, layer) {
        layer.bindTooltip(el("span", null, feature.properties.name), { sticky: true });
      }
    });
    var districts = L.geoJSON(this.data.districts, {
      style: { color: "#222222", weight: 3, fill: false }, interactive: false
    });
    grids.addTo(this.map);
    districts.addTo(this.map);
    control.addOverlay(districts, this.words.districts);
    control.addOverlay(grids, this.words.grids);
    this.districts = districts;
  };

  Ctx.prototype.drawHeat = function (control) {
    // the heat map starts hidden: its points (one per source) wait until it is switched on
    var s = this.src;
    var heat = L.heatLayer([], { radius: 14, blur: 18, maxZoom: 15, minOpacity: 0.25 });
    this.map.on("overlayadd", function (e) {
      if (e.layer !== heat || heat.zwFilled) { return; }
      var points = new Array(s.lon.length);
      for (var i = 0; i < s.lon.length; i++) { points[i] = [s.lat[i], s.lon[i], 1]; }
      heat.zwFilled = true;
      heat.setLatLngs(points);
    });
    control.addOverlay(heat, this.words.heat);
    this.heat = heat;
    this.heatNote = this.addHeatNote(heat, control);
  };

  // Above its maxZoom a density of 14-px blobs says nothing a street's own markers don't: the
  // layer control greys the heat map out there (Leaflet's rule for a layer's maxZoom) and its
  // canvas is hidden; a note says why, when it is on or its greyed row is tapped, and a heat
  // map asked for up close comes on once the map is zoomed out far enough.
  Ctx.prototype.addHeatNote = function (heat, control) {
    var map = this.map, maxZoom = heat.options.maxZoom, wished = false;
    var note = el("div", "zw-heat-note leaflet-bar", fill(this.tools.heat_high, { z: maxZoom }));
    note.setAttribute("role", "status");
    note.hidden = true;
    var box = L.control({ position: "bottomleft" });
    box.onAdd = function () { return note; };
    box.addTo(map);
    function update() {
      var high = map.getZoom() > maxZoom;
      if (!high && wished) { wished = false; map.addLayer(heat); }
      if (heat._canvas) { heat._canvas.style.display = high ? "none" : ""; }
      note.hidden = !(high && (wished || map.hasLayer(heat)));
    }
    L.DomEvent.on(control.getContainer(), "click", function (e) {
      var row = e.target.closest && e.target.closest("label");
      var input = row && row.querySelector("input");
      if (!input || !input.disabled || input.layerId !== L.stamp(heat)) { return; }
      wished = !wished;  // a second tap takes the wish back
      update();
    });
    map.on("zoomend", update);
    heat.on("add remove", update);
    return note;
  };

  Ctx.prototype.addLegend = function () {
    var self = this, cfg = this.cfg, w = this.words, counts = {};
    for (var i = 0; i < this.src.lon.length; i++) {
      var c = cell(this.src, "category", i);
      counts[c] = (counts[c] || 0) + 1;
    }
    var legend = L.control({ position: "bottomright" }), folded = compact(this.map);
    var marks = [["zw-swatch zw-swatch-priority", w.priority],
      ["zw-swatch zw-swatch-recheck", this.tools.recheck],
      ["zw-swatch zw-swatch-station", w.stations], ["zw-swatch zw-swatch-zone", w.zones],
      ["zw-swatch zw-swatch-district", w.districts]];
    legend.onAdd = function () {
      var outer = el("div", "zw-legend leaflet-bar");
      var box = el("details");  // folds without script; open unless the screen is narrow
      box.open = !folded;
      self.legendBox = box;
      box.appendChild(el("summary", "zw-legend-title", w.legend));
      outer.appendChild(box);
      Object.keys(cfg.styles).forEach(function (cat) {
        if (!counts[cat]) { return; }  // as in the layer control: only what the map shows
        var row = el("div", "zw-legend-row");
        var sw = el("span", "zw-swatch");
        sw.style.background = cfg.styles[cat].colour;
        row.appendChild(sw);
        row.appendChild(el("span", null, w.categories[cat] + " (" + counts[cat] + ")"));
        box.appendChild(row);
      });
      marks.forEach(function (pair) {
        var row = el("div", "zw-legend-row");
        row.appendChild(el("span", pair[0]));
        row.appendChild(el("span", null, pair[1]));
        box.appendChild(row);
      });
      L.DomEvent.disableClickPropagation(outer);
      return outer;
    };
    legend.addTo(this.map);
  };

  // A legend that would run into the panels above it starts folded: a short window
  Ctx.prototype.foldLegendIfCrowded = function () {
    var box = this.legendBox, corner = this.map.getContainer()
      .querySelector(".leaflet-top.leaflet-right");
    if (!box || !box.open || !corner) { return; }
    var above = 0;
    for (var k = 0; k < corner.children.length; k++) {
      above = Math.max(above, corner.children[k].getBoundingClientRect().bottom);
    }
    if (box.parentNode.getBoundingClientRect().top < above) { box.open = false; }
  };

  var SEARCH_PAGE = 10;  // rows shown at once; a "more" row brings the next ten

  Ctx.prototype.addSearch = function () {
    var self = this, search = L.control({ position: "topleft" });
    search.onAdd = function () {
      var box = el("div", "zw-search leaflet-bar");
      var input = el("input");
      input.type = "search";
      input.placeholder = self.tools.search;
      input.setAttribute("aria-label", self.tools.search);
      var list = el("ul", "zw-search-results");
      box.appendChild(input);
      box.appendChild(list);
      var run = function () { self.showHits(list, self.searchHits(input.value), SEARCH_PAGE); };
      input.addEventListener("input", run);
      input.addEventListener("focus", run);
      input.addEventListener("keydown", function (e) {
        if (e.key !== "Enter") { return; }
        e.preventDefault();
        if (!list.querySelector("li.zw-search-hit")) { run(); }  // a pick folded the list
        var first = list.querySelector("li.zw-search-hit");
        if (first) { first.click(); }
      });
      L.DomEvent.disableClickPropagation(box);
      L.DomEvent.disableScrollPropagation(box);
      return box;
    };
    search.addTo(this.map);
  };

  // Every hit, best first: stations by name or id, then sources whose id is the text, whose
  // name, id, address or community holds it (each source once, by its best field); null for
  // no text. Case does not matter; sources the editing script hid (name null) are skipped.
  Ctx.prototype.searchHits = function (text) {
    var q = text.trim().toLowerCase(), s = this.src;
    if (!q) { return null; }
    function has(value) { return value !== null && value !== undefined &&
      String(value).toLowerCase().indexOf(q) >= 0; }
    var hits = this.data.stations.filter(function (st) { return has(st.name) || has(st.id); })
      .map(function (st) { return { station: st }; });
    var ranked = [[], [], [], [], []];  // id itself, name, id, address, community
    var community = s.community.values.map(function (v) { return has(v); });
    for (var i = 0; i < s.id.length; i++) {
      var name = s.name[i], id = s.id[i], k = s.community.codes[i];
      if (name === null || name === undefined) { continue; }
      if (String(id).toLowerCase() === q) { ranked[0].push({ source: i, field: "id" }); }
      else if (has(name)) { ranked[1].push({ source: i, field: "name" }); }
      else if (has(id)) { ranked[2].push({ source: i, field: "id" }); }
      else if (has(s.address[i])) { ranked[3].push({ source: i, field: "address" }); }
      else if (k >= 0 && community[k]) { ranked[4].push({ source: i, field: "community" }); }
    }
    return hits.concat.apply(hits, ranked);
  };

  Ctx.prototype.showHits = function (list, hits, shown) {
    var self = this;
    list.textContent = "";
    if (hits === null) { return; }
    if (!hits.length) { list.appendChild(el("li", "zw-search-none", this.words.no_match)); }
    hits.slice(0, shown).forEach(function (hit) {
      var item = hit.station ? self.stationItem(hit.station) : self.searchItem(hit.source, hit.field);
      item.addEventListener("click", function () { list.textContent = ""; });
      list.appendChild(item);
    });
    if (hits.length > shown) {
      var more = el("li", "zw-search-more", fill(this.tools.search_more, { n: hits.length - shown }));
      more.addEventListener("click", function () { self.showHits(list, hits, shown + SEARCH_PAGE); });
      list.appendChild(more);
    }
  };

  Ctx.prototype.searchItem = function (i, field) {
    var self = this, s = this.src, cat = cell(s, "category", i);
    var item = el("li", "zw-search-hit", s.name[i]);
    var about = " · " + (this.words.categories[cat] || cat);
    var matched = field === "id" ? s.id[i] : (field === "address" ? s.address[i]
      : (field === "community" ? cell(s, "community", i) : null));
    if (matched) { about += " · " + matched; }
    item.appendChild(el("span", "zw-search-cat", about));
    item.dataset.source = s.id[i];
    item.addEventListener("click", function () { self.focus(i); });
    return item;
  };

  Ctx.prototype.stationItem = function (st) {
    var self = this, item = el("li", "zw-search-hit zw-search-station", st.name);
    item.appendChild(el("span", "zw-search-cat", " · " + this.words.stations + " · " + st.id));
    item.dataset.station = st.id;
    item.addEventListener("click", function () { self.flyToStation(st.id); });
    return item;
  };

  // A station found: fly to its whole circle, then open its popup
  Ctx.prototype.flyToStation = function (sid) {
    var map = this.map, marker = this.stationMarkers[sid], zone = null;
    this.zones.eachLayer(function (z) { if (z.zwStation === sid) { zone = z; } });
    if (!zone || !marker) { return; }
    var bounds = zone.getBounds();
    map.once("moveend", function () { marker.openPopup(); });
    map.flyToBounds(bounds, L.extend({ duration: 0.6 }, fitPadding(map, bounds)));
  };

  Ctx.prototype.focus = function (i) {
    var self = this, m = this.markers[i], cat = cell(this.src, "category", i);
    if (!this.map.hasLayer(this.layers[cat])) { this.layers[cat].addTo(this.map); }
    if (this.loose[cat].hasLayer(m)) {  // unclustered: no cluster to open, just go there
      this.map.once("moveend", function () { self.openSource(i); });
      this.map.setView(m.getLatLng(), Math.max(this.map.getZoom(), 17));
      return;
    }
    this.groups[cat].zoomToShowLayer(m, function () { self.openSource(i); });
  };

  // The area the map opens on: the requested station's whole circle, else the district
  Ctx.prototype.target = function () {
    var target = null, chosen = this.data.station;
    if (chosen) {
      this.zones.eachLayer(function (z) { if (z.zwStation === chosen) { target = z.getBounds(); } });
    }
    if (!target && this.districts.getLayers().length) { target = this.districts.getBounds(); }
    return target;
  };

  // Fit the target once the layout is known, and again when the window changes size
  // (a phone turned round) until the officer moves the map: the view is never a fixed zoom.
  Ctx.prototype.fit = function () {
    var self = this, map = this.map, target = this.target();
    if (!target) { return; }
    var refit = function () {
      self.fitting = true;
      map.fitBounds(target, L.extend({ animate: false }, fitPadding(map, target)));
      self.fitting = false;
    };
    map.invalidateSize({ pan: false });  // the container's real size, not the one at L.map
    refit();
    var moved = function () {
      if (self.fitting) { return; }
      map.off("resize", refit);
      map.off("zoomstart dragstart", moved);
    };
    map.on("zoomstart dragstart", moved);
    map.on("resize", refit);
  };

  // Fit padding that keeps the area clear of the controls: of those on either side (search
  // and tools on the left, layers and legend on the right) or of those above and below,
  // whichever shows the area larger, unless that would halve the map's scale: on a narrow
  // screen a larger map under a control serves better than a small one beside it.
  function fitPadding(map, target) {
    var box = map.getContainer(), size = map.getSize(), margin = 10;
    function most(selector, dimension) {
      var corners = box.querySelectorAll(selector), n = 0;
      for (var i = 0; i < corners.length; i++) { n = Math.max(n, corners[i][dimension]); }
      return n + margin;
    }
    function zoomWithin(topLeft, bottomRight) {
      var room = L.point(topLeft).add(bottomRight);
      if (room.x >= size.x || room.y >= size.y) { return -Infinity; }  // no room left at all
      return map.getBoundsZoom(target, false, room);
    }
    var left = most(".leaflet-left", "offsetWidth"), right = most(".leaflet-right", "offsetWidth");
    var top = most(".leaflet-top", "offsetHeight");
    var bottom = most(".leaflet-bottom", "offsetHeight");
    var options = [
      { paddingTopLeft: [left, margin], paddingBottomRight: [right, margin] },
      { paddingTopLeft: [margin, top], paddingBottomRight: [margin, bottom] }
    ];
    var plain = zoomWithin([margin, margin], [margin, margin]), best = null, bestZoom = -Infinity;
    options.forEach(function (o) {
      var z = zoomWithin(o.paddingTopLeft, o.paddingBottomRight);
      if (z > bestZoom) { best = o; bestZoom = z; }
    });
    return bestZoom >= plain ? best : { padding: [margin, margin] };
  }

  // a narrow map (a phone) starts with the layer list and the legend folded
  function compact(map) {
    return map.getContainer().clientWidth < 640;
  }

  // -- locate me: the browser's position (WGS84) as a blue dot with its accuracy circle ----

  // WGS84 -> GCJ-02 inside China's box, elsewhere the same point (as geo/crs.py), so the
  // dot sits right on an Amap basemap; the formula is the published one, constants and all
  var KRASOVSKY_A_M = 6378245.0, KRASOVSKY_EE = 0.00669342162296594323;

  function gcjOffsetM(x, y) {
    var pi = Math.PI, s = Math.sin;
    var ripple = 20 * s(6 * pi * x) + 20 * s(2 * pi * x);
    var east = 300 + x + 2 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * Math.sqrt(Math.abs(x)) +
      (2 / 3) * (ripple + 20 * s(pi * x) + 40 * s(pi * x / 3) + 150 * s(pi * x / 12) +
        300 * s(pi * x / 30));
    var north = -100 + 2 * x + 3 * y + 0.2 * y * y + 0.1 * x * y +
      0.2 * Math.sqrt(Math.abs(x)) +
      (2 / 3) * (ripple + 20 * s(pi * y) + 40 * s(pi * y / 3) + 160 * s(pi * y / 12) +
        320 * s(pi * y / 30));
    return [east, north];
  }

  function gcjForward(lon, lat) {
    if (lon < 72.004 || lon > 137.8347 || lat < 0.8293 || lat > 55.8271) { return [lon, lat]; }
    var offset = gcjOffsetM(lon - 105, lat - 35), phi = lat * Math.PI / 180;
    var w = 1 - KRASOVSKY_EE * Math.sin(phi) * Math.sin(phi);
    var meridianM = KRASOVSKY_A_M * (1 - KRASOVSKY_EE) / (w * Math.sqrt(w));
    var parallelM = KRASOVSKY_A_M / Math.sqrt(w) * Math.cos(phi);
    return [lon + offset[0] / parallelM * 180 / Math.PI, lat + offset[1] / meridianM * 180 / Math.PI];
  }
  window.zonewatchGcj02 = gcjForward;  // the editing tools place a GPS fix with it too

  // a crosshair drawn as SVG: no image file, no icon font
  function locateIcon() {
    var ns = "http://www.w3.org/2000/svg", svg = document.createElementNS(ns, "svg");
    svg.setAttribute("viewBox", "0 0 20 20");
    svg.setAttribute("aria-hidden", "true");
    var path = document.createElementNS(ns, "path");
    path.setAttribute("d", "M10 1 V5 M10 15 V19 M1 10 H5 M15 10 H19 M10 4.5 " +
      "A5.5 5.5 0 1 1 9.99 4.5 Z M10 8 A2 2 0 1 1 9.99 8 Z");
    path.setAttribute("fill", "none");
    path.setAttribute("stroke", "currentColor");
    path.setAttribute("stroke-width", "1.6");
    svg.appendChild(path);
    return svg;
  }

  var Locate = L.Control.extend({
    options: { position: "topleft" },

    // datum(): the datum the map is drawn in ("wgs84" or "gcj02") when the fix arrives
    initialize: function (words, datum) {
      this._words = words;
      this._datum = datum;
      this.latlng = null;
      this.accuracyM = null;
      this.error = null;
    },

    onAdd: function (map) {
      var w = this._words, box = el("div", "zw-locate leaflet-bar");
      var b = this._button = el("a", "zw-locate-button");
      b.href = "#";
      b.title = w.locate;
      b.setAttribute("role", "button");
      b.setAttribute("aria-label", w.locate);
      b.appendChild(locateIcon());
      this._note = el("div", "zw-locate-note");
      this._note.hidden = true;
      box.appendChild(b);
      box.appendChild(this._note);
      L.DomEvent.on(b, "click", function (e) { L.DomEvent.stop(e); this.locate(); }, this);
      L.DomEvent.on(this._note, "click", function () { this._note.hidden = true; }, this);
      L.DomEvent.disableClickPropagation(box);
      L.DomEvent.disableScrollPropagation(box);
      // its own pane above the clusters, letting every click through (as the measure tool's)
      var pane = map.getPane("zwLocate") || map.createPane("zwLocate");
      pane.style.zIndex = 630;
      pane.style.pointerEvents = "none";
      this._layer = L.layerGroup().addTo(map);
      this._map = map;
      return box;
    },

    say: function (text, alert) {
      this._note.textContent = text;
      this._note.setAttribute("role", alert ? "alert" : "status");
      this._note.className = "zw-locate-note" + (alert ? " zw-locate-failed" : "");
      this._note.hidden = !text;
    },

    locate: function () {
      var self = this, w = this._words;
      this.error = null;
      if (!navigator.geolocation) { return this.failed(w.locate_unsupported); }
      L.DomUtil.addClass(this._button, "zw-busy");
      this.say(w.locating, false);
      navigator.geolocation.getCurrentPosition(function (pos) { self.found(pos.coords); },
        function (err) { self.failed(self.reason(err)); },
        { enableHighAccuracy: true, timeout: 20000, maximumAge: 30000 });
    },

    reason: function (err) {
      var w = this._words;
      if (err.code === 1) {  // PERMISSION_DENIED: also what a page over plain http gets
        return window.isSecureContext === false ? w.locate_insecure : w.locate_denied;
      }
      return err.code === 3 ? w.locate_timeout : w.locate_unavailable;
    },

    failed: function (text) {
      L.DomUtil.removeClass(this._button, "zw-busy");
      this.error = text;
      this.say(text, true);
    },

    found: function (coords) {
      var lon = coords.longitude, lat = coords.latitude, map = this._map;
      if (this._datum() === "gcj02") { var g = gcjForward(lon, lat); lon = g[0]; lat = g[1]; }
      var at = L.latLng(lat, lon), accuracyM = Math.max(coords.accuracy || 0, 1);
      var renderer = this._renderer || (this._renderer = L.svg({ pane: "zwLocate" }));
      this._layer.clearLayers();
      var circle = L.circle(at, { radius: accuracyM, renderer: renderer, interactive: false,
        color: "#1a73e8", weight: 1, fillColor: "#1a73e8", fillOpacity: 0.12 });
      this._layer.addLayer(circle);
      this._layer.addLayer(L.circleMarker(at, { radius: 7, renderer: renderer, interactive: false,
        color: "#ffffff", weight: 2, fillColor: "#1a73e8", fillOpacity: 1,
        className: "zw-locate-dot" }));
      this.latlng = at;
      this.accuracyM = accuracyM;
      L.DomUtil.removeClass(this._button, "zw-busy");
      this.say(fill(this._words.located, { m: Math.round(accuracyM) }), false);
      map.fitBounds(circle.getBounds(), { maxZoom: 17 });
    }
  });

  function addTools(map, words, cfg, datum) {
    // Folium's zoom and scale controls speak English and miles: ours are translated, metric
    map.zoomControl = L.control.zoom({ position: "topleft", zoomInTitle: words.zoom_in,
      zoomOutTitle: words.zoom_out }).addTo(map);  // as Leaflet's own: full screen joins it
    L.control.scale({ imperial: false }).addTo(map);
    map.attributionControl.setPrefix('<a href="https://leafletjs.com">Leaflet</a>');  // no flag
    if (L.Control.FullScreen) {
      new L.Control.FullScreen({ position: "topleft", title: words.fullscreen,
        titleCancel: words.exit_fullscreen }).addTo(map);
    }
    var locate = new Locate(words.map_tools, datum).addTo(map);  // right under the zoom buttons
    // our own measure tool (zonewatch-measure.js): geodesic lengths, clicks never pan the map
    var measure = window.zonewatchMeasure.control(words, { active: cfg.priorityColour,
      done: cfg.stationColour }).addTo(map);
    return { locate: locate, measure: measure };
  }

  function statusBox(map, words) {
    var box = el("div", "zw-status leaflet-bar", words.loading);
    L.DomEvent.disableClickPropagation(box);  // a tap on the status is not a tap on the map
    var control = L.control({ position: "bottomleft" });
    control.onAdd = function () { return box; };
    control.addTo(map);
    return box;
  }

  function loadData(cfg) {
    if (cfg.data) { return Promise.resolve(cfg.data); }
    // a plain GET, so the browser reuses the <link rel="preload"> download
    return fetch(cfg.dataUrl).then(function (r) {
      if (!r.ok) { throw new Error("HTTP " + r.status + " for " + cfg.dataUrl); }
      return r.json();
    });
  }

  // Parts of the map that live in their own script (basemaps, editing) register an object
  // in window.zonewatchPlugins; each hook is optional: start(map, cfg, control, state) before
  // the data arrives, ready(ctx, control, state) once every source is drawn,
  // sourcePopup(ctx, i, box) to add to a source's popup.
  function plugins(hook, call) {
    (window.zonewatchPlugins || []).forEach(function (p) { if (p[hook]) { call(p); } });
  }

  window.zonewatchMap = function (map, configId) {
    var cfg = JSON.parse(document.getElementById(configId).textContent);
    var words = cfg.labels;
    var state = { ready: false, rendered: 0, count: null, error: null, map: map };
    window.zonewatch = state;
    document.documentElement.lang = words.html_lang;
    if (map.options.maxZoom === undefined) { map.setMaxZoom(19); }  // clusters need one
    var control = L.control.layers({}, {}, { collapsed: compact(map), position: "topright" });
    if (cfg.tiles) {
      var tiles = L.tileLayer(cfg.tiles.url, { attribution: asHtml(cfg.tiles.attribution),
        maxZoom: 19 });
      tiles.addTo(map);
      control.addBaseLayer(tiles, asHtml(cfg.tiles.name));
    }
    control.addTo(map);
    plugins("start", function (p) { p.start(map, cfg, control, state); });
    // the datum of the drawn map: the data's once it is here, else the one the page asks for
    var datum = function () {
      return state.datum || (cfg.data && cfg.data.datum) ||
        (/[?&]datum=gcj02(&|$)/.test(cfg.dataUrl || "") ? "gcj02" : "wgs84");
    };
    var tools = addTools(map, words, cfg, datum);
    state.measure = tools.measure;
    state.locate = tools.locate;
    state.distanceM = window.zonewatchMeasure.distanceM;
    var status = statusBox(map, words);
    state.timings = { start: performance.now() };
    loadData(cfg).then(function (data) {
      state.timings.data = performance.now();
      var ctx = new Ctx(map, cfg, data);
      state.ctx = ctx;
      state.count = data.count;
      state.datum = data.datum;
      ctx.drawBackdrop(control);
      ctx.drawStations(control);
      ctx.drawHeat(control);
      ctx.addLegend();
      ctx.addSearch();
      ctx.fit();  // after the controls: the fit keeps the district clear of them
      state.timings.backdrop = performance.now();
      ctx.drawSources(control, function () {
        state.timings.ready = performance.now();
        state.timings.readyCalls = (state.timings.readyCalls || 0) + 1;  // once, as tests check
        state.rendered = ctx.markers.length;
        status.textContent = fill(words.rendered, { n: state.rendered });
        plugins("ready", function (p) { p.ready(ctx, control, state); });
        var focused = cfg.focus ? data.sources.id.indexOf(cfg.focus) : -1;
        if (focused >= 0) { ctx.focus(focused); }  // /map?focus=ID: a case's is the cases layer's
        state.ready = true;
      });
      state.find = function (id) {
        var i = data.sources.id.indexOf(id);
        if (i < 0) { return null; }
        var ll = ctx.markers[i].getLatLng();
        return [ll.lat, ll.lng];
      };
      state.open = function (id) { ctx.openSource(data.sources.id.indexOf(id)); };
    }).catch(function (err) {
      state.error = String(err);
      status.textContent = fill(words.load_failed, { error: state.error });
      throw err;
    });
  };
}());
