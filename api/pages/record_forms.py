"""What every editable record's pages share: the form, saving it, and the conflict page.

Sources, stations and inspections are edited alike. A :class:`RecordForm`
says, for one layer, which fields its form posts, where its pages live and
how the typed text becomes a record (a :mod:`geo.forms` function). From it
:func:`create_record` and :func:`edit_record` store what was posted through
:mod:`geo.writes` with the signed-in account as actor, answer 422 with the
form again and a message beside each wrong field, and, when the version the
form was opened at is no longer the stored one, :func:`conflict_page`
answers 409: who saved since and when, both versions side by side, nothing
overwritten unless the person applies theirs over the new one.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from fastapi import Request
from fastapi.responses import RedirectResponse, Response
from shapely.geometry.base import BaseGeometry

from api.deps import get_store
from api.html import render
from api.sessions import Caller
from geo import writes
from geo.errors import ValidationError, VersionMismatchError
from geo.forms import FormErrors
from geo.ledger import Feature
from geo.store.base import Store

__all__ = ["COORD_LABELS", "PLACE_FIELDS", "RecordForm", "conflict_page", "create_record",
           "edit_record", "form_page", "form_values", "parse_version", "stored_values"]

#: Coordinate labels offered by the forms, most used first (staff copy from Amap).
COORD_LABELS = ("gcj02", "bd09", "wgs84", "cgcs2000")
#: The inputs of a form's place: pasted ``coords`` or ``lon``/``lat``, and their label.
PLACE_FIELDS = ("coords", "lon", "lat", "crs")

#: Typed form text (and the record edited, if any) -> properties and new geometry.
Parse = Callable[[Mapping[str, str], Feature | None],
                 tuple[dict[str, object], BaseGeometry | None]]


@dataclass(frozen=True)
class RecordForm:
    """How one layer's records are edited in the workspace.

    Attributes
    ----------
    layer : str
        The layer (``sources``, ``stations``, ``inspections``).
    fields : tuple of str
        The layer's fields the form posts, in form order.
    base : str
        Where the records' pages live: ``{base}/{id}`` and ``{base}/{id}/edit``.
    template : str
        The form's template.
    parse : callable
        ``parse(fields, stored)`` -> ``(properties, geometry)``, raising
        :class:`geo.forms.FormErrors` (a :mod:`geo.forms` function).
    active : str or None
        The navigation entry its pages mark.
    point : bool
        Whether the form carries a place (:data:`PLACE_FIELDS`).
    coded : tuple of str
        Fields holding codes, shown by their label.
    options : mapping
        Field -> the codes its select offers.
    context : callable, optional
        ``context(store, feature)`` -> more values for the form's template.
    """

    layer: str
    fields: tuple[str, ...]
    base: str
    template: str
    parse: Parse
    active: str | None = None
    point: bool = True
    coded: tuple[str, ...] = ()
    options: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    context: Callable[[Store, Feature | None], dict[str, Any]] | None = None

    def href(self, fid: str) -> str:
        """Return the path of record ``fid``'s page."""
        return f"{self.base}/{quote(fid, safe='')}"

    def edit_href(self, fid: str) -> str:
        """Return the path of record ``fid``'s edit form."""
        return self.href(fid) + "/edit"

    @property
    def compared(self) -> tuple[str, ...]:
        """The values the conflict page sets side by side (the place as lon/lat)."""
        return (*self.fields, "lon", "lat") if self.point else self.fields


def form_values(spec: RecordForm, form: Mapping[str, Any]) -> dict[str, str]:
    """Return what a posted form holds for ``spec``'s fields, place and version, as text."""
    names = (*spec.fields, *(PLACE_FIELDS if spec.point else ()), "version")
    return {name: str(form.get(name) or "") for name in names}


def stored_values(spec: RecordForm, feature: Feature) -> dict[str, str]:
    """Return a stored record as its edit form shows it (a point as WGS84 lon/lat, 7 decimals)."""
    props = feature.properties
    values = {name: "" if props.get(name) is None or props[name] != props[name]
              else _text(props[name]) for name in spec.fields}
    geom = feature.geometry
    if spec.point and geom is not None and geom.geom_type == "Point":
        values.update(lon=f"{geom.x:.7f}", lat=f"{geom.y:.7f}", crs="wgs84")
    values["version"] = str(feature.version or "")
    return values


def _text(value: Any) -> str:
    # a whole number stored as a float (a radius of 3000.0, a round of 2.0) reads as typed
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def parse_version(text: str) -> int | None:
    """Return the version a form was opened at (None when it sent none).

    Examples
    --------
    >>> parse_version(" 3 "), parse_version("")
    (3, None)
    """
    return int(text) if text.strip().isdigit() else None


def form_page(request: Request, spec: RecordForm, values: Mapping[str, str], *,
              feature: Feature | None, errors: Mapping[str, str] | None = None,
              status_code: int = 200) -> Response:
    """Render ``spec``'s form with ``values`` (and a message beside each field of ``errors``)."""
    extra = spec.context(get_store(request), feature) if spec.context else {}
    point_editable = spec.point and (feature is None or feature.geometry is None
                                     or feature.geometry.geom_type == "Point")
    options = {**spec.options, "crs": COORD_LABELS} if spec.point else dict(spec.options)
    return render(request, spec.template, status_code=status_code, active=spec.active,
                  feature=feature, values=values, errors=dict(errors or {}), options=options,
                  point_editable=point_editable, spec=spec, **extra)


def _field_of(spec: RecordForm, exc: ValidationError) -> str:
    """Return the form field a record's problem is shown beside."""
    if exc.field == "geometry":
        return "coords"
    shown = (*spec.fields, *(PLACE_FIELDS if spec.point else ()))
    return exc.field if exc.field is not None and exc.field in shown else spec.fields[0]


def create_record(request: Request, spec: RecordForm, caller: Caller,
                  values: Mapping[str, str]) -> Response:
    """Store a new record from ``values`` and go to its page; 422 with the form when wrong."""
    try:
        properties, geometry = spec.parse(values, None)
        stored = writes.create(get_store(request), spec.layer,
                               Feature(None, properties, geometry), actor=caller.actor)
    except FormErrors as exc:
        return form_page(request, spec, values, feature=None, errors=exc.errors,
                         status_code=422)
    except ValidationError as exc:
        return form_page(request, spec, values, feature=None, status_code=422,
                         errors={_field_of(spec, exc): str(exc)})
    return RedirectResponse(spec.href(str(stored.id)), status_code=303)


def edit_record(request: Request, spec: RecordForm, caller: Caller, fid: str,
                values: Mapping[str, str]) -> Response:
    """Save an edit made at the version sent; a newer stored version answers the conflict page."""
    store = get_store(request)
    feature = store.get(spec.layer, fid)
    try:
        properties, geometry = spec.parse(values, feature)
        writes.update(store, spec.layer, fid, properties, geometry,
                      expected_version=parse_version(values.get("version") or ""),
                      actor=caller.actor)
    except FormErrors as exc:
        return form_page(request, spec, values, feature=feature, errors=exc.errors,
                         status_code=422)
    except VersionMismatchError:
        return conflict_page(request, spec, store, fid, values)
    except ValidationError as exc:
        return form_page(request, spec, values, feature=feature, status_code=422,
                         errors={_field_of(spec, exc): str(exc)})
    return RedirectResponse(spec.href(fid), status_code=303)


def conflict_page(request: Request, spec: RecordForm, store: Store, fid: str,
                  mine: Mapping[str, str]) -> Response:
    """Answer the 409 page: who saved since, when, and both versions side by side."""
    current = store.get(spec.layer, fid)
    last = store.history(spec.layer, fid)[-1]
    theirs = stored_values(spec, current)
    differing = [name for name in spec.compared
                 if (mine.get(name) or "") != (theirs.get(name) or "")]
    return render(request, "ledger/conflict.html", status_code=409, active=spec.active,
                  feature=current, last=last, mine=dict(mine), theirs=theirs,
                  differing=differing, fields=spec.compared, coded=spec.coded,
                  record_href=spec.href(fid), action=spec.edit_href(fid))
