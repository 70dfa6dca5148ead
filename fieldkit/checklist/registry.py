"""Where checklists are found: the search path, a cheap listing, and resolving an id or a path.

Search path, earliest first: the built-ins, the user's checklist folder, then `--checklists
DIR` (or, without it, `FIELDKIT_CHECKLISTS`, which may hold several folders separated by
`os.pathsep`). A file later on the path overrides an earlier one with the same `id`.

Listing must stay cheap (an engineer runs `fieldkit checklists list` often), so it does not
import pydantic or PyYAML when nothing changed: every file is read and hashed, and its summary
(id, kind, version, title, or its problems) comes from an index in the cache folder keyed by
the file's path and SHA-256 and by the validator's own files. A file whose bytes changed is
fully validated again, so the listing never shows a stale or wrong summary; an invalid file
is listed as invalid with its problems.

Commands that use a checklist call `open_checklist(name, checklists_dir)`, which resolves and
then loads through `load.load_checklist`, the one validating path.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeGuard

from fieldkit import __version__, paths
from fieldkit.checklist.ids import CHECKLIST_ID_PATTERN
from fieldkit.errors import UserInputError, ValidationFailed
from fieldkit.lang import Lang
from fieldkit.safeio import read_bounded

if TYPE_CHECKING:
    from fieldkit.checklist.load import LoadedChecklist

CHECKLIST_SUFFIXES = (".yaml", ".yml")
_INDEX_NAME = "checklist-index.json"
_MAX_INDEX_BYTES = 16 * 1024 * 1024  # a summary is ~300 bytes; this is 50,000 checklists
# The files whose code decides whether a checklist is valid: a change invalidates the index.
_VALIDATOR_FILES = (
    Path(__file__).with_name("models.py"),
    Path(__file__).with_name("semantics.py"),
    Path(__file__).with_name("load.py"),
    Path(__file__).with_name("ids.py"),
    Path(__file__).parent.parent / "yamlsafe.py",
    Path(__file__).parent.parent / "text.py",
)


@dataclass(frozen=True)
class ChecklistFolder:
    """One folder of the search path and the name of where it comes from."""

    path: Path
    origin: str  # built-in | user | --checklists | FIELDKIT_CHECKLISTS


@dataclass(frozen=True)
class ChecklistEntry:
    """One checklist file as listed. `problems` is non-empty when the file is invalid; then `id`
    is the file's `id` value if it could be read, else the file name without its ending."""

    id: str
    path: Path
    origin: str
    kind: str | None = None
    version: str | None = None
    title: dict[str, str] | None = None
    problems: tuple[str, ...] = ()
    overrides: tuple[Path, ...] = ()

    @property
    def valid(self) -> bool:
        return not self.problems

    def title_in(self, lang: Lang) -> str:
        return self.title[lang] if self.title else ""

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "version": self.version,
            "title": self.title,
            "origin": self.origin,
            "path": str(self.path),
            "valid": self.valid,
            "problems": list(self.problems),
            "overrides": [str(path) for path in self.overrides],
        }


def search_path(checklists_dir: str | os.PathLike[str] | None = None) -> list[ChecklistFolder]:
    """The folders to search, earliest first; an explicit or environment folder must exist."""
    folders = [ChecklistFolder(paths.builtin_checklists_dir(), "built-in")]
    user = paths.user_checklists_dir()
    if _is_dir(user):
        folders.append(ChecklistFolder(user, "user"))
    if checklists_dir:
        extra = [ChecklistFolder(Path(checklists_dir), "--checklists")]
    else:
        env = os.environ.get("FIELDKIT_CHECKLISTS", "")
        extra = [
            ChecklistFolder(Path(part), "FIELDKIT_CHECKLISTS")
            for part in env.split(os.pathsep)
            if part
        ]
    for folder in extra:
        if not _is_dir(folder.path):
            raise UserInputError(f"{folder.origin}: {folder.path} is not a folder")
    return folders + extra


def checklist_files(folder: Path) -> list[Path]:
    """The checklist files directly inside `folder`, sorted by name."""
    if not _is_dir(folder):
        return []
    try:
        names = sorted(folder.iterdir())
    except OSError as error:
        raise UserInputError(f"{folder}: cannot read: {error.strerror}") from None
    return [path for path in names if path.suffix.lower() in CHECKLIST_SUFFIXES and path.is_file()]


def _is_dir(path: Path) -> bool:
    """`path.is_dir()`, but a folder on the way that may not be entered is one line, exit 2."""
    try:
        return path.is_dir()
    except OSError as error:
        raise UserInputError(f"{path}: cannot read: {error.strerror}") from None


def list_checklists(checklists_dir: str | os.PathLike[str] | None = None) -> list[ChecklistEntry]:
    """Every checklist in effect, sorted by id; overridden files appear in `overrides`."""
    index = _Index.open()
    by_id: dict[str, ChecklistEntry] = {}
    for folder in search_path(checklists_dir):
        for path in checklist_files(folder.path):
            entry = index.entry(path, folder.origin)
            earlier = by_id.get(entry.id)
            if earlier is not None:
                entry = replace(entry, overrides=(*earlier.overrides, earlier.path))
            by_id[entry.id] = entry
    index.save()
    return sorted(by_id.values(), key=lambda entry: entry.id)


def looks_like_path(name: str) -> bool:
    """An argument with a folder separator or a YAML ending is a file, not an id."""
    return "/" in name or os.sep in name or name.lower().endswith(CHECKLIST_SUFFIXES)


def resolve(name: str, checklists_dir: str | os.PathLike[str] | None = None) -> tuple[Path, str]:
    """The file and origin for `name`, a checklist id or a path to a file."""
    if looks_like_path(name):
        return Path(name), "file"
    entries = list_checklists(checklists_dir)
    for entry in entries:
        if entry.id == name:
            return entry.path, entry.origin
    if Path(name).is_file():
        return Path(name), "file"
    known = [entry.id for entry in entries]
    message = f"no checklist with id {name!r}"
    import difflib  # only for a mistyped id: not on every listing's start-up path

    suggestion = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
    if suggestion:
        message += f" (did you mean {suggestion[0]!r}?)"
    raise UserInputError(f"{message}; known: {', '.join(known)}")


def open_checklist(
    name: str, checklists_dir: str | os.PathLike[str] | None = None
) -> LoadedChecklist:
    """Resolve `name` (an id or a path) and load it fully validated; problems raise
    ValidationFailed with the same lines as `fieldkit checklists validate`."""
    from fieldkit.checklist.load import load_checklist

    path, origin = resolve(name, checklists_dir)
    return load_checklist(path, origin=origin)


class _Index:
    """The cached summaries, as JSON in the cache folder; any trouble with it means a miss."""

    def __init__(self, file: Path, fingerprint: str, summaries: dict[str, Any]) -> None:
        self.file = file
        self.fingerprint = fingerprint
        self.summaries = summaries
        self.changed = False

    @classmethod
    def open(cls) -> _Index:
        file = paths.cache_dir() / _INDEX_NAME
        fingerprint = _validator_fingerprint()
        summaries: dict[str, Any] = {}
        # A corrupt cache is a miss: json.loads, not pydantic, keeps a listing light.
        with contextlib.suppress(OSError, ValueError, RecursionError):
            stored = json.loads(read_bounded(file, _MAX_INDEX_BYTES))
            if isinstance(stored, dict) and stored.get("fingerprint") == fingerprint:
                summaries = stored.get("files", {})
        return cls(file, fingerprint, summaries if isinstance(summaries, dict) else {})

    def entry(self, path: Path, origin: str) -> ChecklistEntry:
        try:
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
        except OSError as error:
            problem = f"{path}:1:1: cannot read: {error.strerror}"
            return ChecklistEntry(id=path.stem, path=path, origin=origin, problems=(problem,))
        key = str(path)
        summary = self.summaries.get(key)
        if not _is_summary(summary) or summary.get("sha256") != digest:
            summary = {"sha256": digest, **_summarise(path)}
            self.summaries[key] = summary
            self.changed = True
        return ChecklistEntry(
            id=summary["id"],
            path=path,
            origin=origin,
            kind=summary.get("kind"),
            version=summary.get("version"),
            title=summary.get("title"),
            problems=tuple(summary.get("problems", ())),
        )

    def save(self) -> None:
        if not self.changed:
            return
        files = {key: value for key, value in self.summaries.items() if Path(key).is_file()}
        payload = json.dumps({"fingerprint": self.fingerprint, "files": files}, ensure_ascii=False)
        import tempfile  # only on a miss: listing an unchanged folder stays light

        # A read-only or missing cache folder only costs speed: never fail a listing over it.
        with contextlib.suppress(OSError):
            self.file.parent.mkdir(parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(dir=self.file.parent, suffix=".tmp")
            try:
                with os.fdopen(handle, "w", encoding="utf-8") as stream:
                    stream.write(payload)
                os.replace(temporary, self.file)
            finally:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(temporary)


def _validator_fingerprint() -> str:
    parts = [__version__]
    for file in _VALIDATOR_FILES:
        with contextlib.suppress(OSError):
            stat = file.stat()
            parts.append(f"{file.name}:{stat.st_mtime_ns}:{stat.st_size}")
    return "|".join(parts)


def _is_summary(summary: Any) -> TypeGuard[dict[str, Any]]:
    """Whether a cached summary has the shape `_summarise` gives (the cache may be corrupt or
    edited: anything else is a miss, never a traceback)."""

    def text_or_none(value: Any) -> bool:
        return value is None or isinstance(value, str)

    if not isinstance(summary, dict) or not isinstance(summary.get("id"), str):
        return False
    title, problems = summary.get("title"), summary.get("problems", [])
    return (
        text_or_none(summary.get("kind"))
        and text_or_none(summary.get("version"))
        and (title is None or (isinstance(title, dict) and all(
            isinstance(key, str) and isinstance(value, str) for key, value in title.items()
        )))
        and isinstance(problems, list)
        and all(isinstance(problem, str) for problem in problems)
    )


def _summarise(path: Path) -> dict[str, Any]:
    """Validate `path` fully (the slow path) and keep what a listing shows."""
    from fieldkit.checklist.load import load_checklist

    try:
        checklist = load_checklist(path).checklist
    except ValidationFailed as failure:
        return {"id": _readable_id(path), "problems": failure.problems}
    return {
        "id": checklist.id,
        "kind": checklist.kind,
        "version": checklist.version,
        "title": {"zh": checklist.title.zh, "en": checklist.title.en},
        "problems": [],
    }


def _readable_id(path: Path) -> str:
    """The `id` of an invalid file if its YAML still reads, so it overrides what it means to."""
    import re

    from fieldkit import yamlsafe

    with contextlib.suppress(ValidationFailed):
        data = yamlsafe.load_yaml(path).data
        found = data.get("id") if isinstance(data, dict) else None
        if isinstance(found, str) and re.match(CHECKLIST_ID_PATTERN, found):
            return found
    return path.stem
