/*
 * Zonewatch map: draws sources, monitoring points, radius circles, heat map
 * and the district/grid backdrop from the compact JSON of /map/data.json.
 * Every user text goes into the page as a DOM text node (textContent), never
 * as HTML, so names like "<img onerror=...>" show as text and run nothing.
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

  function markerStyle(cfg, style, priority) {
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
    this.data = data;
    this.src = data.sources;
    this.markers = [];
    this.groups = {};
    this.stationNames = {};
    this.popup = L.popup({ maxWidth: 360 });
  }

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
    box.appendChild(table);
    var id = cell(s, "id", i);
    box.appendChild(link(this.cfg.linkBase + "/collections/sources/items/" +
      encodeURIComponent(id), w.record + " · " + id));
    return box;
  };

  Ctx.prototype.stationPopup = function (st) {
    var w = this.words;
    var box = el("div", "zw-popup");
    box.appendChild(el("div", "zw-popup-title", st.name));
    var table = el("table");
    addRow(table, "ID", st.id);
    addRow(table, w.level, w.levels[st.level] || st.level);
    addRow(table, w.radius, Math.round(st.radius_m) + " " + w.metres);
    box.appendChild(table);
    box.appendChild(link(this.cfg.linkBase + "/reports/summary?by=station&station=" +
      encodeURIComponent(st.id) + "&f=html", w.report));
    return box;
  };

  Ctx.prototype.openSource = function (i) {
    this.popup.setLatLng(this.markers[i].getLatLng())
      .setContent(this.sourcePopup(i)).openOn(this.map);
  };

  Ctx.prototype.clusterIcon = function (colour) {
    return function (cluster) {
      var n = cluster.getChildCount();
      var size = n < 100 ? 30 : (n < 1000 ? 36 : 44);
      var dot = el("div", "zw-cluster-dot", n);
      dot.style.background = colour;
      return L.divIcon({ html: dot, className: "zw-cluster", iconSize: L.point(size, size) });
    };
  };

  Ctx.prototype.drawSources = function (control, done) {
    var s = this.src, cfg = this.cfg, self = this, n = s.lon.length;
    var byCat = {}, looks = {};
    for (var i = 0; i < n; i++) {
      var cat = cell(s, "category", i);
      var pri = s.priority[i] === 1;
      var key = cat + (pri ? "!" : "");
      // one options literal per look (Leaflet copies it into each marker), not one per source
      var look = looks[key] ||
        (looks[key] = markerStyle(cfg, cfg.styles[cat] || cfg.styles.other, pri));
      var m = L.circleMarker(L.latLng(s.lat[i], s.lon[i]), look);
      m.zwIndex = i;
      this.markers.push(m);
      (byCat[cat] = byCat[cat] || []).push(m);
    }
    var shapes = s.shapes, pending = 0;
    Object.keys(cfg.styles).forEach(function (cat) {
      var list = byCat[cat] || [];
      var colour = cfg.styles[cat].colour;
      var outlines = L.featureGroup();
      // radius 80 px (the plugin's default): fewer, calmer bubbles than 45, and a fifth
      // less main-thread time to cluster 1e5 sources (bench/README.md)
      var points = L.markerClusterGroup({
        chunkedLoading: true, chunkInterval: 150, chunkDelay: 5, maxClusterRadius: 80,
        disableClusteringAtZoom: 17,
        showCoverageOnHover: false, iconCreateFunction: self.clusterIcon(colour),
        chunkProgress: function (processed, total) {
          // onAdd reports an empty batch (0 of 0) first: count only real ones
          if (total > 0 && processed === total) { pending -= 1; if (pending === 0) { done(); } }
        }
      });
      points.on("click", function (e) { self.openSource(e.layer.zwIndex); });
      list.forEach(function (m) {
        var shape = shapes[String(m.zwIndex)];
        if (shape) {
          var outline = L.geoJSON(shape, { style: { color: colour, weight: 3, fillOpacity: 0.25 } });
          outline.on("click", function () { self.openSource(m.zwIndex); });
          outlines.addLayer(outline);
        }
      });
      var layer = L.layerGroup([outlines, points]);
      self.groups[cat] = points;
      if (list.length) {
        layer.addTo(self.map);
        pending += 1;
        points.addLayers(list, true);  // true: no "layeradd" event per marker, nobody listens
      }
      var swatch = '<span class="zw-swatch" style="background:' + colour + '"></span>';
      if (list.length) {  // an empty category has nothing to switch (nor a legend row)
        control.addOverlay(layer, swatch + self.words.categories[cat] + " (" + list.length + ")");
      }
    });
    if (pending === 0) { done(); }
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
      marker.bindPopup(function () { return self.stationPopup(st); });
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
  };

  Ctx.prototype.addLegend = function () {
    var cfg = this.cfg, w = this.words, counts = {};
    for (var i = 0; i < this.src.lon.length; i++) {
      var c = cell(this.src, "category", i);
      counts[c] = (counts[c] || 0) + 1;
    }
    var legend = L.control({ position: "bottomright" }), folded = compact(this.map);
    legend.onAdd = function () {
      var outer = el("div", "zw-legend leaflet-bar");
      var box = el("details");  // folds without script; open unless the screen is narrow
      box.open = !folded;
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
      [["zw-swatch zw-swatch-priority", w.priority], ["zw-swatch zw-swatch-station", w.stations],
       ["zw-swatch zw-swatch-zone", w.zones], ["zw-swatch zw-swatch-district", w.districts]]
        .forEach(function (pair) {
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

  Ctx.prototype.addSearch = function () {
    var self = this, names = this.src.name;
    var search = L.control({ position: "topleft" });
    search.onAdd = function () {
      var box = el("div", "zw-search leaflet-bar");
      var input = el("input");
      input.type = "search";
      input.placeholder = self.words.search;
      var list = el("ul", "zw-search-results");
      box.appendChild(input);
      box.appendChild(list);
      input.addEventListener("input", function () {
        list.textContent = "";
        var q = input.value.trim().toLowerCase();
        if (!q) { return; }
        var hits = 0;
        for (var i = 0; i < names.length && hits < 10; i++) {
          if (names[i] && names[i].toLowerCase().indexOf(q) >= 0) {
            hits += 1;
            list.appendChild(self.searchItem(i));
          }
        }
        if (!hits) { list.appendChild(el("li", "zw-search-none", self.words.no_match)); }
      });
      L.DomEvent.disableClickPropagation(box);
      L.DomEvent.disableScrollPropagation(box);
      return box;
    };
    search.addTo(this.map);
  };

  Ctx.prototype.searchItem = function (i) {
    var self = this, cat = cell(this.src, "category", i);
    var item = el("li", null, this.src.name[i]);
    item.appendChild(el("span", "zw-search-cat", " · " + (this.words.categories[cat] || cat)));
    item.addEventListener("click", function () { self.focus(i); });
    return item;
  };

  Ctx.prototype.focus = function (i) {
    var self = this, m = this.markers[i];
    var group = this.groups[cell(this.src, "category", i)];
    if (!this.map.hasLayer(group)) { group.addTo(this.map); }
    group.zoomToShowLayer(m, function () { self.openSource(i); });
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

  function addTools(map, words, cfg) {
    // Folium's zoom and scale controls speak English and miles: ours are translated, metric
    map.zoomControl = L.control.zoom({ position: "topleft", zoomInTitle: words.zoom_in,
      zoomOutTitle: words.zoom_out }).addTo(map);  // as Leaflet's own: full screen joins it
    L.control.scale({ imperial: false }).addTo(map);
    map.attributionControl.setPrefix('<a href="https://leafletjs.com">Leaflet</a>');  // no flag
    if (L.Control.FullScreen) {
      new L.Control.FullScreen({ position: "topleft", title: words.fullscreen,
        titleCancel: words.exit_fullscreen }).addTo(map);
    }
    // our own measure tool (zonewatch-measure.js): geodesic lengths, clicks never pan the map
    return window.zonewatchMeasure.control(words, { active: cfg.priorityColour,
      done: cfg.stationColour }).addTo(map);
  }

  function statusBox(map, words) {
    var box = el("div", "zw-status leaflet-bar", words.loading);
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
    state.measure = addTools(map, words, cfg);
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
        state.rendered = ctx.markers.length;
        status.textContent = fill(words.rendered, { n: state.rendered });
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
