/*
 * Zonewatch basemaps: the basemap switcher and the layer of the office's own map file.
 *
 * The switcher lists every basemap the server offers (none, the local MBTiles/PMTiles file,
 * the intranet tile server, Tianditu, Amap, OSM). A basemap of another datum needs the
 * overlays in that datum (GCJ-02 for Amap), so choosing one reloads /map?basemap=NAME with
 * the other query parameters kept: the server then asks for the data in the right datum.
 *
 * The file's tiles come from /map/tiles/file/{z}/{x}/{y}: images go into a Leaflet tile
 * layer; vector tiles are drawn on canvas by protomaps-leaflet, loaded from our own assets
 * only when such a file is shown. Text from the file (its name, attribution) is text only.
 */
(function () {
  "use strict";

  // where this script was loaded from: protomaps-leaflet sits beside it
  var here = document.currentScript ? document.currentScript.src.replace(/[^/]*$/, "") : "";
  var RENDERER = "protomaps-leaflet/protomaps-leaflet.js";

  function el(tag, className, value) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (value !== undefined && value !== null) { node.textContent = String(value); }
    return node;
  }

  function asHtml(value) {  // Leaflet writes attributions as HTML
    return el("span", null, value).innerHTML;
  }

  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (all, name) { return String(values[name]); });
  }

  // this page's address with another basemap and every other parameter kept
  function switchUrl(name) {
    var params = new URLSearchParams(window.location.search);
    params.set("basemap", name);
    return window.location.pathname + "?" + params.toString();
  }

  function choiceLabel(words, choice) {
    return (words.basemaps[choice.name] || choice.name) +
      (choice.datum === "gcj02" ? words.basemap_gcj02 : "");
  }

  function addSwitcher(map, b, words) {
    var control = L.control({ position: "topright" });
    var note = el("div", "zw-basemap-note");
    control.onAdd = function () {
      var outer = el("div", "zw-basemaps leaflet-bar");
      var box = el("details");  // folded on a phone, like the legend
      box.open = map.getContainer().clientWidth >= 640;
      box.appendChild(el("summary", "zw-basemaps-title",
        fill(words.basemap, { name: words.basemaps[b.current] || b.current })));
      var list = el("ul", "zw-basemaps-list");
      b.choices.forEach(function (choice) {
        var item = el("li");
        var entry = el(choice.name === b.current ? "span" : "a", "zw-basemap",
          choiceLabel(words, choice));
        entry.setAttribute("data-basemap", choice.name);
        if (choice.name === b.current) {
          entry.setAttribute("aria-current", "true");
        } else {
          entry.href = switchUrl(choice.name);
        }
        item.appendChild(entry);
        list.appendChild(item);
      });
      box.appendChild(list);
      box.appendChild(note);
      outer.appendChild(box);
      L.DomEvent.disableClickPropagation(outer);
      L.DomEvent.disableScrollPropagation(outer);
      return outer;
    };
    control.addTo(map);
    return note;
  }

  function rasterLayer(file, options) {
    return L.tileLayer(file.url, L.extend(options, {
      // past the file's zoom levels its tiles are scaled, never asked for
      minNativeZoom: file.minZoom, maxNativeZoom: file.maxZoom
    }));
  }

  // Paint rules for any schema: each layer of the file by the kind its name suggests
  var KINDS = [
    [/water|ocean|lake|river|sea/i, { fill: "#aad3ec", line: "#7fb5da", width: 1.2 }],
    [/park|green|wood|forest|grass|landcover|natural|farm/i, { fill: "#d8ebc6", line: "#a9c98f", width: 0.8 }],
    [/building/i, { fill: "#ddd6cc", line: "#c4baa9", width: 0.6 }],
    [/road|street|highway|transport|rail|path/i, { fill: "#f4f1ea", line: "#ffffff", width: 2.2, casing: "#c9c1b2" }],
    [/boundar|admin|district/i, { fill: "#efe9f5", line: "#8a6fa8", width: 1.6, dash: [5, 3] }],
    [/.*/, { fill: "#e7e2d8", line: "#9a948a", width: 1 }]
  ];

  function kindOf(name) {
    for (var i = 0; i < KINDS.length; i++) { if (KINDS[i][0].test(name)) { return KINDS[i][1]; } }
    return KINDS[KINDS.length - 1][1];
  }

  function genericRules(P, layers, lang) {
    var paint = [], labels = [];
    var isPolygon = function (z, f) { return f.geomType === P.GeomType.Polygon; };
    var isPoint = function (z, f) { return f.geomType === P.GeomType.Point; };
    var names = lang === "zh" ? ["name:zh", "name_zh", "name:zh-Hans", "name"]
      : ["name:en", "name_en", "name"];
    layers.forEach(function (layer) {
      var k = kindOf(layer);
      paint.push({ dataLayer: layer, filter: isPolygon, symbolizer: new P.PolygonSymbolizer({
        fill: k.fill, opacity: 0.85 }) });
      if (k.casing) {
        paint.push({ dataLayer: layer, symbolizer: new P.LineSymbolizer({
          color: k.casing, width: k.width + 1.5 }) });
      }
      paint.push({ dataLayer: layer, symbolizer: new P.LineSymbolizer({
        color: k.line, width: k.width, dash: k.dash }) });
      paint.push({ dataLayer: layer, filter: isPoint, symbolizer: new P.CircleSymbolizer({
        radius: 2, fill: k.line }) });
      labels.push({ dataLayer: layer, filter: isPoint, symbolizer: new P.CenteredTextSymbolizer({
        labelProps: names, fill: "#444444", stroke: "#ffffff", width: 2,
        font: "12px sans-serif" }) });
    });
    return { paintRules: paint, labelRules: labels, backgroundColor: "#f2efe9" };
  }

  // a file in the Protomaps basemap schema gets its own style; any other a generic one
  function vectorStyle(P, file, lang) {
    var has = function (name) { return file.layers.indexOf(name) >= 0; };
    if (has("earth") && has("water") && has("roads")) {
      return { flavor: "light", lang: lang === "zh" ? "zh-Hans" : "en" };
    }
    return genericRules(P, file.layers, lang);
  }

  function vectorLayer(file, options, lang) {
    var P = window.protomapsL;
    return P.leafletLayer(L.extend(options, vectorStyle(P, file, lang), {
      url: file.url, maxDataZoom: file.maxZoom,
      // a data tile serves the display level above it (protomaps-leaflet's levelDiff of 1)
      minZoom: file.minZoom > 0 ? file.minZoom + 1 : 0
    }));
  }

  function loadRenderer() {
    if (window.protomapsL) { return Promise.resolve(); }
    return new Promise(function (resolve, reject) {
      var tag = document.createElement("script");
      tag.src = here + RENDERER;
      tag.onload = function () { resolve(); };
      tag.onerror = function () { reject(new Error(RENDERER + " did not load")); };
      document.head.appendChild(tag);
    });
  }

  function showFile(map, cfg, state, note) {
    var file = cfg.basemaps.file, words = cfg.labels;
    var options = { attribution: asHtml(file.attribution), maxZoom: 19,
      bounds: file.bounds ? L.latLngBounds(file.bounds) : undefined };
    var ready = file.vector ? loadRenderer().then(function () {
      return vectorLayer(file, options, cfg.lang);
    }) : Promise.resolve(rasterLayer(file, options));
    return ready.then(function (layer) {
      layer.addTo(map);
      layer.bringToBack();
      state.basemap.layer = layer;
    }).catch(function (err) {
      state.basemap.error = String(err);
      note.textContent = fill(words.basemap_failed, { error: state.basemap.error });
    });
  }

  var plugin = {
    start: function (map, cfg, control, state) {
      var b = cfg.basemaps;
      if (!b) { return; }  // a map written to disk: its basemap is fixed
      state.basemap = { name: b.current, datum: b.datum, layer: null, error: null };
      var note = addSwitcher(map, b, cfg.labels);
      if (b.file) {
        if (b.file.name) { note.textContent = b.file.name; }
        state.basemap.shown = showFile(map, cfg, state, note);
      }
    }
  };

  window.zonewatchPlugins = window.zonewatchPlugins || [];
  window.zonewatchPlugins.push(plugin);
}());
