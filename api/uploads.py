"""Uploaded files on disk: size checks, private folders, and uploads staged for a preview.

An upload is written under a name Zonewatch chooses (``upload<suffix>``:
only the suffix of the client's name is kept), stopped with 413 as soon
as it passes the size limit, inside a folder only this process's user can
read (mode 0700).

``POST /import`` reads its upload in a throw-away folder
(:func:`upload_folder`). The import page keeps a file between its preview
and the confirmation (:func:`stage_upload`): one folder per upload, named
by a random token, under :func:`staging_root`, holding the file and
``staged.json`` (layer, coordinate label, mode, SHA-256, the person's file
name, who staged it, when). Staged folders older than
:data:`STAGING_MAX_AGE_S` are removed whenever a new one is made.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import os
import re
import secrets
import shutil
import stat
import tempfile
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from fastapi import Request
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException

from geo.errors import InputError, NotFoundError
from geo.io.readers import detect_format

__all__ = [
    "STAGING_MAX_AGE_S",
    "StagedUpload",
    "check_declared_size",
    "claim_staged",
    "file_sha256",
    "find_staged",
    "release_staged",
    "remove_staged",
    "save_upload",
    "stage_upload",
    "staging_root",
    "upload_folder",
]

_SUFFIX = re.compile(r"\.[A-Za-z0-9]{1,8}$")
_CHUNK = 1 << 20
#: A multipart body adds a boundary and part headers (and, for a form, its fields).
_MULTIPART_SLACK_BYTES = 16 * 1024
#: Staged uploads older than this are removed when a new one is made.
STAGING_MAX_AGE_S = 3600
_TOKEN = re.compile(r"[A-Za-z0-9_-]{20,64}")
_META = "staged.json"
_BUSY = ".busy"  # the suffix of a folder a confirmation is importing


def check_declared_size(request: Request, limit_bytes: int) -> None:
    """Refuse an upload before its body is read: 411 without Content-Length, 413 above the limit.

    Raises
    ------
    HTTPException
        411 when ``Content-Length`` is missing, 413 when it passes ``limit_bytes``.
    """
    declared = request.headers.get("content-length", "")
    if not declared.isdigit():
        raise HTTPException(411, "uploads need a Content-Length header")
    if int(declared) > limit_bytes + _MULTIPART_SLACK_BYTES:
        raise HTTPException(413, f"upload is larger than {limit_bytes} bytes")


def save_upload(upload: UploadFile, folder: Path, limit_bytes: int) -> Path:
    """Copy the upload into ``folder`` as ``upload<suffix>`` and return its path.

    Raises
    ------
    InputError
        The client's file name has no suffix, or one Zonewatch does not import.
    HTTPException
        413 as soon as the copy passes ``limit_bytes``.
    """
    match = _SUFFIX.search(upload.filename or "")
    if match is None:
        raise InputError("the uploaded file needs a name with a suffix such as .csv or .zip")
    path = folder / f"upload{match.group(0).lower()}"
    detect_format(path)
    size = 0
    with path.open("wb") as out:
        while chunk := upload.file.read(_CHUNK):
            size += len(chunk)
            if size > limit_bytes:
                raise HTTPException(413, f"upload is larger than {limit_bytes} bytes")
            out.write(chunk)
    return path


@contextlib.contextmanager
def upload_folder() -> Iterator[Path]:
    """Yield a new private folder (mode 0700) for one request's upload; removed afterwards."""
    folder = Path(tempfile.mkdtemp(prefix="zonewatch-upload-"))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def file_sha256(path: Path) -> str:
    """Return the SHA-256 of the file at ``path`` as hex."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


# -- staged uploads ----------------------------------------------------------------------


@dataclass(frozen=True)
class StagedUpload:
    """An upload kept between the import page's preview and its confirmation.

    ``file`` is the staged file's name inside ``folder``; ``filename`` the
    name the person's file had; ``actor`` who staged it (only they may
    confirm it); ``created`` an ISO 8601 UTC time.
    """

    token: str
    folder: Path
    file: str
    layer: str
    crs: str | None
    mode: str
    sha256: str
    filename: str
    actor: str
    created: str

    @property
    def path(self) -> Path:
        """The staged file."""
        return self.folder / self.file


def staging_root() -> Path:
    """Return the folder staged uploads live in, made private (0700) for this user.

    Raises
    ------
    RuntimeError
        When the folder exists but is a link, another user's, or open to others.
    """
    uid = os.getuid() if hasattr(os, "getuid") else 0
    root = Path(tempfile.gettempdir()) / f"zonewatch-import-staging-{uid}"
    root.mkdir(mode=0o700, exist_ok=True)
    # a shared temp folder: someone else may have made this name first
    info = os.lstat(root)
    foreign = hasattr(os, "getuid") and info.st_uid != os.getuid()
    if not stat.S_ISDIR(info.st_mode) or foreign or info.st_mode & 0o077:
        raise RuntimeError(f"{root} is not a private folder of this user; remove it")
    return root


def stage_upload(
    upload: UploadFile, *, limit_bytes: int, layer: str, crs: str | None, mode: str, actor: str
) -> StagedUpload:
    """Save ``upload`` in a new staging folder with what the confirmation needs.

    Removes staged folders older than :data:`STAGING_MAX_AGE_S` first. On any
    error the new folder is removed again.
    """
    root = staging_root()
    _sweep(root)
    token = secrets.token_urlsafe(24)
    folder = root / token
    folder.mkdir(mode=0o700)
    try:
        path = save_upload(upload, folder, limit_bytes)
        staged = StagedUpload(
            token=token, folder=folder, file=path.name, layer=layer, crs=crs, mode=mode,
            sha256=file_sha256(path), filename=upload.filename or path.name, actor=actor,
            created=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"))
        meta = {k: v for k, v in asdict(staged).items() if k not in ("token", "folder")}
        (folder / _META).write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return staged


def find_staged(token: str, *, actor: str) -> StagedUpload:
    """Return the upload staged under ``token`` by ``actor``.

    Raises
    ------
    NotFoundError
        No such token, an expired one, or one another account staged (which
        is not told apart, so tokens cannot be probed).
    """
    missing = NotFoundError("no staged upload of yours by that token; upload the file again")
    if _TOKEN.fullmatch(token) is None:
        raise missing
    folder = staging_root() / token
    try:
        meta = json.loads((folder / _META).read_text(encoding="utf-8"))
        age_s = time.time() - folder.stat().st_mtime
    except (OSError, ValueError):
        raise missing from None
    if meta.get("actor") != actor or age_s > STAGING_MAX_AGE_S:
        raise missing
    return StagedUpload(token=token, folder=folder, **meta)


def claim_staged(staged: StagedUpload) -> StagedUpload:
    """Take ``staged`` for one confirmation: a second, concurrent one finds nothing.

    Raises
    ------
    NotFoundError
        Another confirmation took it first.
    """
    busy = staged.folder.with_name(staged.token + _BUSY)
    try:
        staged.folder.rename(busy)  # atomic: exactly one request wins
    except OSError:
        raise NotFoundError("this upload is already being imported") from None
    return replace(staged, folder=busy)


def release_staged(claimed: StagedUpload) -> None:
    """Give a claimed upload back (its import failed), so it may be confirmed again."""
    with contextlib.suppress(OSError):
        claimed.folder.rename(claimed.folder.with_name(claimed.token))


def remove_staged(staged: StagedUpload) -> None:
    """Delete a staged upload's folder and everything in it."""
    shutil.rmtree(staged.folder, ignore_errors=True)


def _sweep(root: Path) -> None:
    """Remove staged folders older than :data:`STAGING_MAX_AGE_S`."""
    now = time.time()
    for child in root.iterdir():
        try:
            old = now - child.lstat().st_mtime > STAGING_MAX_AGE_S
        except OSError:
            continue  # removed meanwhile by another request
        if old:
            shutil.rmtree(child, ignore_errors=True)
