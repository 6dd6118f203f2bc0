"""Reading and writing the files a project touches: bounded JSON reads and atomic writes.

Nothing here executes what it reads: JSON is parsed by the standard library (never pickle,
never ``eval``), and every write goes to a temporary file in the target's folder that replaces
the target only once it is complete and on disk, so a failure mid-save leaves the old file whole.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import socket
import stat
import time
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import IO

MAX_FILE_BYTES = 64 * 1024 * 1024
SHORT_LINE = 72  # objects and arrays whose JSON is at most this long stay on one line


class ProjectError(ValueError):
    """A project or weights file that cannot be used; the message names the field and problem."""


def field_path(path: str, key: str | int) -> str:
    """The path of ``key`` inside ``path``: ("network", "sizes") -> ``network.sizes``."""
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key


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
            # The size may change between fstat and read; reading at most limit + 1 bytes
            # tells.  (read(n) allocates n bytes first: ask only for what the file holds.)
            data = f.read(size + 1 if size else limit + 1)
            if size and len(data) > size:
                data += f.read(limit + 1 - len(data))
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
        doc = json.loads(text, object_pairs_hook=_reject_duplicates)
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
    if _SURROGATE_ESCAPE.search(text):
        _reject_lone_surrogates(doc, source)
    return doc


# JSON text can name half of a UTF-16 surrogate pair (\ud800) on its own; Python keeps it in the
# str, and every later save of that str fails (UTF-8 cannot encode it).  Raw UTF-8 cannot hold
# surrogates (the decode above refuses them), so only these escapes can bring one in.
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


def _reject_lone_surrogates(doc: object, source: str) -> None:
    """Raises ProjectError naming the first key or string of ``doc`` that UTF-8 cannot encode."""
    stack: list[tuple[str, object]] = [("", doc)]
    while stack:
        path, value = stack.pop()
        if isinstance(value, dict):
            for key in value:
                problem = utf8_problem(key)
                if problem:  # named by its object: the key itself cannot be printed everywhere
                    raise ProjectError(f"{source}: {path or 'the top level'}: a key {problem}")
            children = [(field_path(path, key), item) for key, item in value.items()]
        elif isinstance(value, list):
            children = [
                (field_path(path, i), item)
                for i, item in enumerate(value)
                if isinstance(item, (dict, list, str))  # not the numbers of a large data set
            ]
        else:
            problem = utf8_problem(value) if isinstance(value, str) else None
            if problem:
                raise ProjectError(f"{source}: {path or 'the document'}: {problem}")
            continue
        stack.extend(reversed(children))  # depth first, in the document's order


def utf8_problem(text: str) -> str | None:
    """Why ``text`` cannot be written as UTF-8 (a lone surrogate such as '\\ud800'), else None."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        return (
            f"holds {text[exc.start]!r} (half of a UTF-16 surrogate pair), which a UTF-8 "
            "file cannot store"
        )
    return None


def read_json(path: str | os.PathLike, limit: int | None = None) -> object:
    """Read and parse the JSON file ``path`` (size-limited); errors are ProjectErrors."""
    return parse_json(read_bytes(path, limit), str(path))


def dumps(obj: object, indent: int = 2) -> str:
    """JSON text with nested objects indented; lists of numbers and short values on one line.

    Floats are written with ``repr``, which reads back to the identical float64.  NaN and
    infinities are refused (ValueError), as JSON has no such numbers.  Each value's one-line
    form is made once, bottom-up, and reused by the values that hold it (re-encoding every
    subtree at each level took ~1 s for a trained 784-64-10 project, on the GUI thread).
    """

    def scalar(value: object) -> str:
        return json.dumps(value, ensure_ascii=False, allow_nan=False)

    def one_line(value: object) -> tuple[str, list | None]:
        # (the value on one line, its parts' (key,) one-line forms when it has nested parts)
        if isinstance(value, dict):
            parts = [(k, one_line(v)) for k, v in value.items()]
            text = ", ".join(f"{scalar(_json_key(k))}: {line[0]}" for k, line in parts)
            return "{" + text + "}", parts
        if isinstance(value, list) and any(isinstance(v, (dict, list)) for v in value):
            parts = [one_line(v) for v in value]
            return "[" + ", ".join(line[0] for line in parts) + "]", parts
        return scalar(value), None

    def layout(value: object, line: tuple[str, list | None], level: int) -> str:
        text, parts = line
        if parts is None or not value or len(text) <= SHORT_LINE:
            return text
        pad = " " * (indent * (level + 1))
        close = "\n" + " " * (indent * level)
        if isinstance(value, dict):
            # (keys of an object laid out over lines are \u-escaped, as they always were)
            items = (
                f"{pad}{json.dumps(str(k))}: {layout(value[k], p, level + 1)}" for k, p in parts
            )
            return "{\n" + ",\n".join(items) + close + "}"
        items = (pad + layout(v, p, level + 1) for v, p in zip(value, parts))
        return "[\n" + ",\n".join(items) + close + "]"

    return layout(obj, one_line(obj), 0) + "\n"


def _json_key(key: object) -> str:
    """A dict key as json.dumps writes it (True -> "true", 1 -> "1"): keys are str in files."""
    if isinstance(key, str):
        return key
    return next(iter(json.loads(json.dumps({key: None}))))


# A temporary file is named ".{target}.{pid}-{host}.{token}.tmp": who writes it is in its name,
# so that a later save can tell a leftover of a killed save from another save in progress.
_HOST = f"{zlib.crc32(socket.gethostname().encode('utf-8', 'replace')):08x}"
_TEMP_TAG = re.compile(r"(?:(?P<pid>[0-9]{1,10})-(?P<host>[0-9a-f]{8})\.)?[0-9a-f]{8}")
STALE_AFTER = 3600.0  # seconds without a change after which any leftover is removed


def write_atomic(path: str | os.PathLike, write: Callable[[IO[bytes]], None]) -> None:
    """Changes the file ``path``: ``write(f)`` fills a temporary file that then replaces it.

    The temporary file sits in the same folder (so ``os.replace`` is atomic), is flushed and
    fsynced before the replace, and is removed if anything fails; the old file is never
    touched until the new one is complete.  An existing file's permissions are kept.
    Temporary files that an earlier, killed save of ``path`` left behind are removed first
    (see :func:`remove_stale_temporaries`).
    """
    target = Path(path)
    folder = target.parent
    remove_stale_temporaries(target)
    tag = f"{os.getpid()}-{_HOST}.{secrets.token_hex(4)}"
    tmp = folder / f".{target.name}.{tag}.tmp"
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


def remove_stale_temporaries(target: str | os.PathLike) -> list[str]:
    """Changes ``target``'s folder: deletes the temporary files of saves of ``target`` that died.

    A save killed between creating its temporary file and the rename leaves the file behind
    (the target itself stays whole).  Such a leftover is deleted when

    - its name says it was written on this computer by a process that no longer runs (POSIX:
      ``kill(pid, 0)`` finds no such process), or
    - it has not changed for ``STALE_AFTER`` seconds (an hour; this also covers files written
      by other computers on a shared folder, and the names of older versions without a pid).

    Neither rule can catch a save in progress: its process runs, and it writes its file within
    seconds (the data is prepared before the file is opened).  A process id reused since the
    writer died only keeps a leftover until the hour is up.  Our own process's files are left
    to the age rule too (another thread may be saving the same file).  Only regular files whose
    whole name matches the pattern are considered; every error is ignored (cleaning up must
    never make a save fail).  Returns the names deleted.
    """
    target = Path(target)
    prefix = f".{target.name}."
    removed = []
    now = time.time()
    try:
        entries = list(os.scandir(target.parent))
    except OSError:
        return removed
    for entry in entries:
        name = entry.name
        if not (name.startswith(prefix) and name.endswith(".tmp")):
            continue
        match = _TEMP_TAG.fullmatch(name[len(prefix) : -len(".tmp")])
        if match is None:
            continue
        try:
            info = entry.stat(follow_symlinks=False)
        except OSError:
            continue
        if not stat.S_ISREG(info.st_mode):
            continue
        if _writer_is_gone(match) or now - info.st_mtime > STALE_AFTER:
            try:
                os.unlink(entry.path)
            except OSError:
                continue
            removed.append(name)
    return removed


def _writer_is_gone(match: re.Match) -> bool:
    if match["pid"] is None or match["host"] != _HOST or os.name != "posix":
        return False  # (on Windows, os.kill would end the process rather than probe it)
    pid = int(match["pid"])
    if pid <= 0 or pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except (OSError, OverflowError, ValueError):
        return False  # PermissionError: it runs, as another user; otherwise: cannot tell
    return False


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
