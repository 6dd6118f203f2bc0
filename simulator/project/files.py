"""Reading and writing the files a project touches: bounded JSON reads and atomic writes.

Nothing here executes what it reads: JSON is parsed by the standard library (never pickle,
never ``eval``), and every write goes to a temporary file in the target's folder that replaces
the target only once it is complete and on disk, so a failure mid-save leaves the old file whole.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import IO

MAX_FILE_BYTES = 64 * 1024 * 1024
SHORT_LINE = 72  # objects and arrays whose JSON is at most this long stay on one line


class ProjectError(ValueError):
    """A project or weights file that cannot be used; the message names the field and problem."""


def _reject_duplicates(pairs: list[tuple[str, object]]) -> dict:
    out: dict = {}
    for key, value in pairs:
        if key in out:
            raise ProjectError(f"the key {key!r} appears twice in one object")
        out[key] = value
    return out


def read_bytes(path: str | os.PathLike, limit: int | None = None) -> bytes:
    """The contents of ``path``, refusing files over ``limit`` bytes (default MAX_FILE_BYTES).

    Raises ProjectError (naming the file) for a missing, unreadable or oversized file.
    """
    limit = MAX_FILE_BYTES if limit is None else limit
    try:
        with open(path, "rb") as f:
            size = os.fstat(f.fileno()).st_size
            if size > limit:
                raise ProjectError(f"{path}: the file is too large ({_sizes(size, limit)})")
            data = f.read(limit + 1)  # the size may change between fstat and read
    except FileNotFoundError:
        raise ProjectError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise ProjectError(f"{path}: is a folder, not a file") from None
    except PermissionError:
        raise ProjectError(f"{path}: permission denied") from None
    except OSError as exc:
        raise ProjectError(f"{path}: cannot read: {exc.strerror or exc}") from None
    if len(data) > limit:
        raise ProjectError(f"{path}: the file is too large (over {_mb(limit)})")
    return data


def _mb(n: int) -> str:
    return f"{n / (1024 * 1024):.1f} MB" if n >= 1024 * 1024 else f"{n:,} bytes"


def _sizes(size: int, limit: int) -> str:
    """ "70.2 MB; the limit is 64.0 MB", in bytes where megabytes would read the same."""
    big, most = _mb(size), _mb(limit)
    if big == most:
        big, most = f"{size:,} bytes", f"{limit:,} bytes"
    return f"{big}; the limit is {most}"


def parse_json(data: bytes, source: str) -> object:
    """Parse JSON text; errors (with line and column) become a ProjectError naming ``source``."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ProjectError(f"{source}: not UTF-8 text (byte {exc.start})") from None
    try:
        return json.loads(text, object_pairs_hook=_reject_duplicates)
    except json.JSONDecodeError as exc:
        raise ProjectError(
            f"{source}: not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}"
        ) from None
    except ProjectError as exc:
        raise ProjectError(f"{source}: not valid JSON: {exc}") from None
    except RecursionError:
        raise ProjectError(f"{source}: not valid JSON: nested too deeply") from None
    except ValueError as exc:  # e.g. an integer with more digits than Python converts
        raise ProjectError(f"{source}: not valid JSON: {exc}") from None


def read_json(path: str | os.PathLike, limit: int | None = None) -> object:
    """Read and parse the JSON file ``path`` (size-limited); errors are ProjectErrors."""
    return parse_json(read_bytes(path, limit), str(path))


def dumps(obj: object, indent: int = 2) -> str:
    """JSON text with nested objects indented; lists of numbers and short values on one line.

    Floats are written with ``repr``, which reads back to the identical float64.  NaN and
    infinities are refused (ValueError), as JSON has no such numbers.
    """

    def encode(value: object, level: int) -> str:
        if isinstance(value, (dict, list)) and value:
            compact = json.dumps(value, ensure_ascii=False, allow_nan=False)
            if len(compact) <= SHORT_LINE:
                return compact
        if isinstance(value, dict) and value:
            pad = " " * (indent * (level + 1))
            items = (f"{pad}{json.dumps(str(k))}: {encode(v, level + 1)}" for k, v in value.items())
            return "{\n" + ",\n".join(items) + "\n" + " " * (indent * level) + "}"
        if isinstance(value, list) and any(isinstance(v, (dict, list)) for v in value):
            pad = " " * (indent * (level + 1))
            items = (pad + encode(v, level + 1) for v in value)
            return "[\n" + ",\n".join(items) + "\n" + " " * (indent * level) + "]"
        return json.dumps(value, ensure_ascii=False, allow_nan=False)

    return encode(obj, 0) + "\n"


def write_atomic(path: str | os.PathLike, write: Callable[[IO[bytes]], None]) -> None:
    """Changes the file ``path``: ``write(f)`` fills a temporary file that then replaces it.

    The temporary file sits in the same folder (so ``os.replace`` is atomic), is flushed and
    fsynced before the replace, and is removed if anything fails; the old file is never
    touched until the new one is complete.  An existing file's permissions are kept.
    """
    target = Path(path)
    folder = target.parent
    tmp = folder / f".{target.name}.{secrets.token_hex(4)}.tmp"
    try:
        mode = target.stat().st_mode & 0o777
    except OSError:
        mode = 0o666  # the umask applies, as for any newly created file
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), mode)
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    _fsync_folder(folder)


def _fsync_folder(folder: Path) -> None:
    # Makes the rename itself durable; not possible on every platform (Windows), so best effort.
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def write_text_atomic(path: str | os.PathLike, text: str) -> None:
    """Changes the file ``path`` atomically to ``text`` (UTF-8)."""
    data = text.encode("utf-8")
    write_atomic(path, lambda f: f.write(data))
