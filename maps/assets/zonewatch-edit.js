/*
 * Zonewatch map editing, for a signed-in editor: add a source by a click or at my position,
 * move a point (confirmed first), draw or reshape areas and routes (Leaflet-Geoman), close,
 * reopen and record an inspection from a source's popup.
 *
 * Only an editor's page loads this script and carries cfg.edit (the session's CSRF token).
 * Every change goes through the OGC API Part 4 routes, as any program's would: the session
 * cookie plus X-CSRF-Token, and If-Match with the ETag read (GET) when the change began. A
 * 412 (someone else changed the source meanwhile) is shown and the source reloaded: never
 * overwritten. Coordinates go as the map shows them, with their label: on a GCJ-02 map
 * (Amap) crs=gcj02, so the server's own converter turns them back into WGS84; a GPS position
 * is sent as WGS84. After a write the map data is fetched again and the source redrawn.
 * Every text goes into the page as a DOM text node, never as HTML.
 */
(function () {
  "use strict";

  var ITEMS = "/collections/sources/items";
  var DECIMALS = 7;  // as the API's GeoJSON: about a centimetre

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    return node;
  }

  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (all, name) { return String(values[name]); });
  }

  // a cell of the map's column data (as zonewatch-map.js reads it)
  function cell(columns, name, i) {
    var c = columns[name];
    if (!c) { return null; }
    if (Array.isArray(c)) { return c[i]; }
    var k = c.codes[i];
    return k < 0 || k === undefined ? null : c.values[k];
  }

  function button(label, className, handler) {
    var b = el("button", className, label);
    b.type = "button";
    L.DomEvent.on(b, "click", function (e) { L.DomEvent.stop(e); handler(); });
    return b;
  }

  function round(value) {
    var f = Math.pow(10, DECIMALS);
    return Math.round(value * f) / f;
  }

  function pointOf(latlng) {
    return { type: "Point", coordinates: [round(latlng.lng), round(latlng.lat)] };
  }

  // WGS84 -> GCJ-02, to show a GPS position on an Amap basemap: zonewatch-map.js's own
  function gcjForward(lon, lat) { return window.zonewatchGcj02(lon, lat); }

  // -- HTTP: the OGC API Part 4 routes, through the session -------------------------------

  function send(cfg, method, path, body, etag) {
    var headers = { "Accept": "application/geo+json, application/problem+json",
      "X-CSRF-Token": cfg.edit.csrfToken };
    if (body !== undefined) {
      headers["Content-Type"] = method === "PATCH" ? "application/merge-patch+json"
        : "application/geo+json";
    }
    if (etag) { headers["If-Match"] = etag; }
    return fetch(cfg.linkBase + path, {
      method: method, headers: headers, credentials: "same-origin", cache: "no-store",
      body: body === undefined ? undefined : JSON.stringify(body)
    }).then(function (r) {
      return r.text().then(function (text) {
        var parsed = null;
        try { parsed = text ? JSON.parse(text) : null; } catch (ignored) { parsed = null; }
        return { ok: r.ok, status: r.status, etag: r.headers.get("ETag"), body: parsed };
      });
    });
  }

  function itemPath(id, crs) {
    return ITEMS + "/" + encodeURIComponent(id) + (crs && crs !== "wgs84" ? "?crs=" + crs : "");
  }

  // -- bringing one source of fresh map data into the drawn map ---------------------------

  // Copy source j of the fresh columns into row i of the drawn ones (a new row when i is the
  // row count), in place: the search, popups and zonewatch.find read these same arrays.
  function copyRow(src, fresh, j, i) {
    Object.keys(fresh).forEach(function (name) {
      if (name === "shapes") { return; }
      var from = fresh[name];
      if (Array.isArray(from)) {
        (src[name] = src[name] || [])[i] = from[j];
        return;
      }
      var to = src[name] = src[name] || { codes: [], values: [] };
      var value = from.codes[j] < 0 ? null : from.values[from.codes[j]];
      var k = value === null ? -1 : to.values.indexOf(value);
      if (value !== null && k < 0) { k = to.values.push(value) - 1; }
      to.codes[i] = k;
    });
  }

  // The look of source i: the map's own (ctx.lookOf), else its plain rule
  function lookOf(ctx, i) {
    if (ctx.lookOf) { return ctx.lookOf(i); }
    var style = ctx.cfg.styles[cell(ctx.src, "category", i)] || ctx.cfg.styles.other;
    var pri = ctx.src.priority[i] === 1;
    return { radius: pri ? 7 : 5, weight: pri ? 3 : 1, fillOpacity: 0.9, fillColor: style.colour,
      color: pri ? ctx.cfg.priorityColour : "#ffffff" };
  }

  // Source i's marker where and as the fresh data has it, in its category's cluster group
  // (the map moves a priority one out again while priority is shown unclustered)
  function placeMarker(ctx, i, oldCat) {
    var s = ctx.src, m = ctx.markers[i], look = lookOf(ctx, i), cat = cell(s, "category", i);
    var at = L.latLng(s.lat[i], s.lon[i]), group = ctx.groups[cat];
    if (m) {
      [ctx.groups, ctx.loose || {}].forEach(function (by) {
        if (by[oldCat]) { by[oldCat].removeLayer(m); }
      });
      m.setLatLng(at);
      m.setStyle(look);
      m.setRadius(look.radius);
    } else {
      m = ctx.markers[i] = L.circleMarker(at, look);
      m.zwIndex = i;
    }
    var shown = ctx.layers ? ctx.layers[cat] : group;
    if (!ctx.map.hasLayer(shown)) { shown.addTo(ctx.map); }  // an empty category's first source
    group.addLayer(m);
  }

  // The outline of a line or area: the drawn one (its GeoJSON layer keeps the very geometry
  // object of the data as feature.geometry) gets the new shape; a new one is drawn here.
  function placeShape(ctx, i, oldShape, newShape) {
    var found = null;
    if (oldShape) {
      ctx.map.eachLayer(function (layer) {
        if (layer.feature && layer.feature.geometry === oldShape) { found = layer; }
      });
    }
    if (found && newShape && found.setLatLngs) {
      var depth = { LineString: 0, MultiLineString: 1, Polygon: 1, MultiPolygon: 2 };
      found.setLatLngs(L.GeoJSON.coordsToLatLngs(newShape.coordinates, depth[newShape.type]));
      found.feature.geometry = newShape;
    } else if (newShape) {
      var colour = (ctx.cfg.styles[cell(ctx.src, "category", i)] || ctx.cfg.styles.other).colour;
      var outline = L.geoJSON(newShape, { style: { color: colour, weight: 3, fillOpacity: 0.25 } });
      outline.on("click", function () { ctx.openSource(i); });
      outline.addTo(ctx.map);
    }
    if (newShape) {
      ctx.src.shapes[String(i)] = newShape;
    } else {
      delete ctx.src.shapes[String(i)];
    }
  }

  // Source `id` of fresh map data onto the map; its row, or -1 when the map's filter leaves it out
  function applySource(ctx, fresh, id) {
    var s = ctx.src, f = fresh.sources, j = f.id.indexOf(id), i = s.id.indexOf(id);
    if (j < 0) {
      if (i >= 0 && ctx.markers[i]) {
        var cat = cell(s, "category", i);
        [ctx.groups, ctx.loose || {}].forEach(function (by) {
          if (by[cat]) { by[cat].removeLayer(ctx.markers[i]); }
        });
        s.name[i] = null;  // the search skips it
      }
      return -1;
    }
    var oldCat = i < 0 ? null : cell(s, "category", i);
    var oldShape = i < 0 ? null : s.shapes[String(i)];
    if (i < 0) { i = s.id.length; }
    copyRow(s, f, j, i);
    placeMarker(ctx, i, oldCat);
    placeShape(ctx, i, oldShape, f.shapes[String(j)] || null);
    return i;
  }

  // -- the editor: one mode at a time (add, draw, move, reshape), a bar to start and end it --

  function Editor(map, cfg, state) {
    this.map = map;
    this.cfg = cfg;
    this.words = cfg.labels.edit;
    this.labels = cfg.labels;
    this.state = state;
    this.ctx = null;
    this.mode = null;
    this.cleanup = null;
    this.addBar();
  }

  Editor.prototype.addBar = function () {
    var self = this, w = this.words, bar = L.control({ position: "bottomleft" });
    bar.onAdd = function () {
      var box = self.box = el("div", "zw-edit leaflet-bar");
      box.appendChild(el("div", "zw-edit-title", fill(w.bar, { user: self.cfg.edit.user })));
      var tools = self.tools = el("div", "zw-edit-tools");
      tools.appendChild(button(w.add_point, "zw-edit-add", function () { self.startAdd(); }));
      tools.appendChild(button(w.add_here, "zw-edit-here", function () { self.startHere(); }));
      tools.appendChild(button(w.draw_area, "zw-edit-area",
        function () { self.startDraw("Polygon"); }));
      tools.appendChild(button(w.draw_line, "zw-edit-line",
        function () { self.startDraw("Line"); }));
      box.appendChild(tools);
      self.panel = el("div", "zw-edit-mode");
      self.panel.hidden = true;
      box.appendChild(self.panel);
      self.noteBox = el("p", "zw-edit-note");
      self.noteBox.setAttribute("role", "status");
      self.noteBox.hidden = true;
      box.appendChild(self.noteBox);
      L.DomEvent.disableClickPropagation(box);
      L.DomEvent.disableScrollPropagation(box);
      self.enable(false);
      return box;
    };
    bar.addTo(this.map);
  };

  Editor.prototype.enable = function (on) {
    var buttons = this.tools.querySelectorAll("button");
    for (var k = 0; k < buttons.length; k++) { buttons[k].disabled = !on; }
  };

  // Start a mode: what was going on ends first (its cleanup runs), then the hint and buttons show
  Editor.prototype.setMode = function (name, hint, actions, cleanup) {
    this.endMode();
    this.map.closePopup();  // a source's popup would stand in the way
    this.mode = name;
    this.cleanup = cleanup || null;
    this.showMode(hint, actions);
  };

  Editor.prototype.showMode = function (hint, actions) {
    var panel = this.panel;
    panel.textContent = "";
    panel.appendChild(el("p", "zw-edit-hint", hint));
    var row = el("div", "zw-edit-buttons");
    actions.forEach(function (a) { row.appendChild(button(a[0], a[2] || "", a[1])); });
    panel.appendChild(row);
    panel.hidden = false;
    L.DomUtil.addClass(this.box, "zw-edit-busy");
  };

  Editor.prototype.endMode = function () {
    var cleanup = this.cleanup;
    this.cleanup = null;
    this.mode = null;
    this.panel.hidden = true;
    this.panel.textContent = "";
    L.DomUtil.removeClass(this.box, "zw-edit-busy");
    if (cleanup) { cleanup(); }
  };

  Editor.prototype.cancelAction = function () {
    var self = this;
    return [this.words.cancel, function () { self.endMode(); }, "zw-edit-cancel"];
  };

  Editor.prototype.note = function (text, kind) {
    this.noteBox.textContent = text;
    this.noteBox.className = "zw-edit-note" + (kind ? " zw-edit-" + kind : "");
    this.noteBox.setAttribute("role", kind === "error" ? "alert" : "status");
    this.noteBox.hidden = !text;
  };

  // What an answer that is not a success says to the officer
  Editor.prototype.failure = function (answer) {
    if (answer.status === 401) { return this.words.signed_out; }
    var b = answer.body || {};
    return fill(this.words.failed, { error: b.detail || b.title || "HTTP " + answer.status });
  };

  // The label of the coordinates the map shows: those of its data
  Editor.prototype.crs = function () {
    return this.ctx && this.ctx.data.datum === "gcj02" ? "gcj02" : "wgs84";
  };

  // While places are being tapped, two quick taps are two places, not a zoom (Leaflet takes
  // any two taps within 250 ms for a double tap); returns what gives the zoom back
  Editor.prototype.holdDoubleTap = function () {
    var handler = this.map.doubleClickZoom, was = handler.enabled();
    handler.disable();
    return function () { if (was) { handler.enable(); } };
  };

  // -- adding a source --------------------------------------------------------------------

  Editor.prototype.startAdd = function () {
    var self = this, map = this.map, box = map.getContainer();
    var picked = function (e) {
      self.endMode();
      self.openForm(e.latlng, pointOf(e.latlng), self.crs(), "catering");
    };
    var zoom = this.holdDoubleTap();
    this.setMode("add", this.words.hint_point, [this.cancelAction()], function () {
      map.off("click", picked);
      L.DomUtil.removeClass(box, "zw-picking");
      zoom();
    });
    L.DomUtil.addClass(box, "zw-picking");
    map.on("click", picked);
  };

  // At the GPS position: sent as WGS84, shown where the basemap has it
  Editor.prototype.startHere = function () {
    var self = this, w = this.words;
    if (!navigator.geolocation) { this.note(fill(w.no_position, { error: "—" }), "error"); return; }
    this.setMode("here", w.locating, [this.cancelAction()]);
    navigator.geolocation.getCurrentPosition(function (pos) {
      if (self.mode !== "here") { return; }  // cancelled meanwhile
      self.endMode();
      var lon = pos.coords.longitude, lat = pos.coords.latitude;
      var shown = self.crs() === "gcj02" ? gcjForward(lon, lat) : [lon, lat];
      var at = L.latLng(shown[1], shown[0]);
      self.map.setView(at, Math.max(self.map.getZoom(), 17));
      self.openForm(at, pointOf(L.latLng(lat, lon)), "wgs84", "bbq");
    }, function (err) {
      self.endMode();
      self.note(fill(w.no_position, { error: err.message || err.code }), "error");
    }, { enableHighAccuracy: true, timeout: 20000, maximumAge: 10000 });
  };

  // Draw an area (Polygon) or a route (Line) with Geoman, then describe it in the form
  Editor.prototype.startDraw = function (shape) {
    var self = this, map = this.map, w = this.words, line = shape === "Line";
    var created = function (e) {
      var drawn = e.layer, latlngs = line ? drawn.getLatLngs() : null;
      var at = line ? latlngs[latlngs.length - 1] : drawn.getCenter();
      setTimeout(function () {  // after Geoman has finished its own handling of the event
        self.endMode();
        self.openForm(at, drawn.toGeoJSON(DECIMALS).geometry, self.crs(),
          line ? "muck_route" : "construction_site", function () { map.removeLayer(drawn); });
      }, 0);
    };
    var finish = function () { map.pm.Draw[shape]._finishShape(); };  // as Geoman's own button
    var zoom = this.holdDoubleTap();
    this.setMode("draw", line ? w.hint_line : w.hint_area,
      [[w.finish, finish, "zw-edit-finish"], this.cancelAction()], function () {
        map.off("pm:create", created);
        if (map.pm.globalDrawModeEnabled()) { map.pm.disableDraw(); }
        L.DomUtil.removeClass(map.getContainer(), "zw-drawing");
        zoom();
      });
    L.DomUtil.addClass(map.getContainer(), "zw-drawing");
    map.on("pm:create", created);
    var colour = this.cfg.priorityColour;
    map.pm.enableDraw(shape, { snappable: false, allowSelfIntersection: false, tooltips: true,
      templineStyle: { color: colour }, hintlineStyle: { color: colour, dashArray: "5 5" },
      pathOptions: { color: colour, weight: 3, fillOpacity: 0.2 } });
  };

  function field(form, label, control) {
    var row = el("label", "zw-edit-field");
    row.appendChild(el("span", null, label));
    row.appendChild(control);
    form.appendChild(row);
    return control;
  }

  function choice(name, names, chosen) {
    var select = el("select");
    select.name = name;
    Object.keys(names).forEach(function (code) {
      var option = el("option", null, names[code]);
      option.value = code;
      option.selected = code === chosen;
      select.appendChild(option);
    });
    return select;
  }

  // On a narrow screen the controls span its width: the form opens below the top ones and
  // above the bottom ones (a wide screen's corners leave the middle free)
  function clearOfControls(map) {
    var box = map.getContainer();
    if (box.clientWidth >= 640) { return {}; }
    function most(selector) {
      var corners = box.querySelectorAll(selector), n = 0;
      for (var k = 0; k < corners.length; k++) { n = Math.max(n, corners[k].offsetHeight); }
      return n + 8;
    }
    return { autoPanPaddingTopLeft: L.point(8, most(".leaflet-top")),
      autoPanPaddingBottomRight: L.point(8, most(".leaflet-bottom")) };
  }

  // The new source's form, in a popup at `at`: name, category and status
  Editor.prototype.openForm = function (at, geometry, crs, category, closed) {
    var self = this, w = this.words, words = this.labels, form = el("form", "zw-edit-form");
    form.appendChild(el("div", "zw-popup-title", w.new_source));
    var name = field(form, words.fields.name, el("input"));
    name.name = "name";
    name.maxLength = 200;
    name.autocomplete = "off";
    var cat = field(form, words.fields.category, choice("category", words.categories, category));
    var status = field(form, words.fields.status, choice("status", words.statuses, "operating"));
    var message = el("p", "zw-edit-error");
    message.setAttribute("role", "alert");
    form.appendChild(message);
    var row = el("div", "zw-edit-buttons");
    var save = row.appendChild(el("button", "zw-edit-save", w.save));
    save.type = "submit";
    row.appendChild(button(w.cancel, "zw-edit-cancel",
      function () { self.map.closePopup(popup); }));
    form.appendChild(row);
    var popup = L.popup(L.extend({ maxWidth: 300, minWidth: 220, closeOnClick: false,
      className: "zw-edit-popup" }, clearOfControls(this.map)))
      .setLatLng(at).setContent(form).openOn(this.map);
    if (closed) { popup.on("remove", closed); }
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      var props = { name: name.value.trim(), category: cat.value, status: status.value };
      if (!props.name) { message.textContent = w.name_required; name.focus(); return; }
      self.create(geometry, crs, props, { popup: popup, message: message, save: save });
    });
    name.focus();
  };

  Editor.prototype.create = function (geometry, crs, props, form) {
    var self = this;
    form.save.disabled = true;
    form.message.textContent = this.words.saving;
    var body = { type: "Feature", properties: props, geometry: geometry };
    var query = crs !== "wgs84" ? "?crs=" + crs : "";
    send(this.cfg, "POST", ITEMS + query, body).then(function (answer) {
      if (answer.status !== 201) {
        form.save.disabled = false;
        form.message.textContent = self.failure(answer);
        return null;
      }
      self.map.closePopup(form.popup);
      return self.written(answer.body.id, props.name);
    }).catch(function (err) {
      form.save.disabled = false;
      form.message.textContent = fill(self.words.failed, { error: String(err) });
    });
  };

  // -- changing a source: read it (its ETag), change, write with If-Match ------------------

  // GET the source; calls next(etag, feature) or says why not
  Editor.prototype.read = function (id, next) {
    var self = this;
    return send(this.cfg, "GET", itemPath(id)).then(function (answer) {
      if (!answer.ok) { self.endMode(); self.note(self.failure(answer), "error"); return null; }
      return next(answer.etag, answer.body);
    }).catch(function (err) {
      self.endMode();
      self.note(fill(self.words.failed, { error: String(err) }), "error");
    });
  };

  Editor.prototype.write = function (id, name, etag, patch, crs) {
    var self = this;
    this.showMode(this.words.saving, []);
    return send(this.cfg, "PATCH", itemPath(id, crs), patch, etag).then(function (answer) {
      self.endMode();
      if (answer.status === 412) { return self.conflict(id, name); }
      if (!answer.ok) { self.note(self.failure(answer), "error"); return null; }
      return self.written(id, name);
    }).catch(function (err) {
      self.endMode();
      self.note(fill(self.words.failed, { error: String(err) }), "error");
    });
  };

  // Someone else's change came first: say so, show the source as it is now, keep theirs
  Editor.prototype.conflict = function (id, name) {
    var self = this;
    this.note(fill(this.words.conflict, { name: name }), "error");
    return this.refresh(id).then(function (i) { if (i >= 0) { self.ctx.openSource(i); } },
      function () { return -1; });  // the message stands; the next load shows the source
  };

  Editor.prototype.written = function (id, name) {
    var self = this;
    var saved = function (i) {
      self.note(fill(i === -1 ? self.words.hidden : self.words.saved, { name: name }), "ok");
      if (i >= 0) { self.ctx.openSource(i); }
      return i;
    };
    // stored either way: a map that could not be refreshed still says so
    return this.refresh(id).then(saved, function () { return saved(null); });
  };

  // Fetch the map data again (revalidated by its ETag) and redraw source `id` from it
  Editor.prototype.refresh = function (id) {
    var self = this, url = this.cfg.dataUrl;
    return fetch(url, { cache: "no-cache", credentials: "same-origin" }).then(function (r) {
      if (!r.ok) { throw new Error("HTTP " + r.status + " for " + url); }
      return r.json();
    }).then(function (fresh) {
      var i = applySource(self.ctx, fresh, id);
      self.state.rendered = self.ctx.markers.length;
      return i;
    });
  };

  Editor.prototype.setStatus = function (i, status) {
    var self = this, s = this.ctx.src, id = cell(s, "id", i), name = cell(s, "name", i);
    var shown = cell(s, "status", i);
    this.map.closePopup();
    this.setMode("status", this.words.saving, []);
    this.read(id, function (etag, feature) {
      // the popup said `shown`: if that is no longer so, the officer decided on old facts
      if (feature.properties.status !== shown) { self.endMode(); return self.conflict(id, name); }
      return self.write(id, name, etag, { properties: { status: status } });
    });
  };

  // Move a point: a handle to drag, then a confirmation with the distance
  Editor.prototype.startMove = function (i) {
    var self = this, map = this.map, s = this.ctx.src;
    var id = cell(s, "id", i), name = cell(s, "name", i), from = this.ctx.markers[i].getLatLng();
    var handle = L.marker(from, { draggable: true, autoPan: true, zIndexOffset: 2000,
      icon: L.divIcon({ className: "zw-edit-handle", iconSize: L.point(34, 34) }) });
    map.closePopup();
    this.setMode("move", this.words.move_hint, [this.cancelAction()],
      function () { map.removeLayer(handle); });
    this.read(id, function (etag) {
      if (self.mode !== "move") { return; }
      handle.addTo(map);
      handle.on("dragend", function () { self.confirmMove(id, name, etag, from, handle); });
    });
  };

  Editor.prototype.confirmMove = function (id, name, etag, from, handle) {
    var self = this, to = handle.getLatLng();
    var metres = Math.round(window.zonewatchMeasure.distanceM(from, to));
    this.showMode(fill(this.words.move_confirm, { name: name, m: metres }), [
      [this.words.confirm_move, function () {
        self.write(id, name, etag, { geometry: pointOf(to) }, self.crs());
      }, "zw-edit-confirm"],
      this.cancelAction()]);
  };

  // Reshape an area or route: Geoman's vertex editing on a copy, saved as one PATCH
  Editor.prototype.startReshape = function (i) {
    var self = this, map = this.map, s = this.ctx.src;
    var id = cell(s, "id", i), name = cell(s, "name", i);
    var shape = L.GeoJSON.geometryToLayer(s.shapes[String(i)], { pmIgnore: false });
    shape.setStyle({ color: this.cfg.priorityColour, weight: 3, fillOpacity: 0.15 });
    map.closePopup();
    this.setMode("reshape", fill(this.words.reshape_hint, { name: name }), [this.cancelAction()],
      function () { shape.pm.disable(); map.removeLayer(shape); });
    this.read(id, function (etag) {
      if (self.mode !== "reshape") { return; }
      shape.addTo(map);
      shape.pm.enable({ allowSelfIntersection: false, snappable: false, draggable: false });
      self.showMode(fill(self.words.reshape_hint, { name: name }), [
        [self.words.save, function () {
          self.write(id, name, etag, { geometry: shape.toGeoJSON(DECIMALS).geometry }, self.crs());
        }, "zw-edit-save"],
        self.cancelAction()]);
    });
  };

  // Buttons under a source's popup: move or reshape, close or reopen, record an inspection
  Editor.prototype.popupActions = function (ctx, i, box) {
    var self = this, w = this.words, s = ctx.src;
    var id = cell(s, "id", i), closed = cell(s, "status", i) === "closed";
    var shaped = Boolean(s.shapes[String(i)]), row = el("div", "zw-edit-actions");
    row.appendChild(button(shaped ? w.reshape : w.move, shaped ? "zw-edit-reshape" : "zw-edit-move",
      function () { if (shaped) { self.startReshape(i); } else { self.startMove(i); } }));
    row.appendChild(button(closed ? w.reopen : w.close, closed ? "zw-edit-reopen" : "zw-edit-close",
      function () { self.setStatus(i, closed ? "operating" : "closed"); }));
    var inspect = el("a", "zw-edit-inspect", w.inspect);
    inspect.href = this.cfg.linkBase + "/ledger/" + encodeURIComponent(id) + "/inspect";
    row.appendChild(inspect);
    box.appendChild(row);
  };

  Editor.prototype.ready = function (ctx) {
    this.ctx = ctx;
    this.enable(true);
  };

  var editor = null;
  (window.zonewatchPlugins = window.zonewatchPlugins || []).push({
    start: function (map, cfg, control, state) {
      if (!cfg.edit || !map.pm) { return; }
      // Geoman gives every layer made from now on an editor of its own unless opted in: the
      // map's 1e5 source markers need none, only the shapes this script edits (pmIgnore: false)
      L.PM.setOptIn(true);
      map.pm.setLang(cfg.lang === "zh" ? "zh" : "en");
      editor = new Editor(map, cfg, state);
      state.edit = editor;
    },
    ready: function (ctx) { if (editor) { editor.ready(ctx); } },
    sourcePopup: function (ctx, i, box) {
      if (editor && editor.ctx) { editor.popupActions(ctx, i, box); }
    }
  });
}());
