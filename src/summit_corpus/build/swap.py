"""Swap: the new corpus takes the old one's place in one step; a killed build's leftovers go.

At every instant `--out` is the whole old corpus or the whole new one:

- On Linux the two folders are exchanged by one `renameat2(RENAME_EXCHANGE)` system call
  (through ctypes; glibc 2.28+, and a file system that supports it: ext4, xfs, btrfs, tmpfs).
  When `--out` does not exist yet, the new folder is renamed with `RENAME_NOREPLACE`, so a folder
  that appeared meanwhile is never overwritten.
- Elsewhere (or when the file system refuses the exchange, or SUMMIT_SWAP=rename) the fallback
  is two renames: `--out` to `.<out>.old-PID`, then the new folder to `--out`. For the moment
  between the two, `--out` is missing; the next build finds `.<out>.old-PID` and restores it.

Every build holds `.<out>.lock` (fcntl.flock) from start to end, so two builds of one corpus
never interleave, and first `recover`s what a killed build left beside `--out`:
`.<out>.staging-PID`, `.<out>.tmp-PID` and `.<out>.old-PID` folders whose process is gone (an
`old` folder is put back when `--out` is missing), and `write_atomic`'s `.<name>.PID.*.tmp` files.
"""

from __future__ import annotations

import ctypes
import errno
import fcntl
import os
import re
import shutil
import sys
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

from summit_corpus.build import faults
from summit_corpus.core.errors import BuildError, Errors
from summit_corpus.core.io import pid_alive
from summit_corpus.core.layout import MANIFEST

SWAP_ENV = "SUMMIT_SWAP"  # "rename": use the two-rename fallback even where exchange works
KINDS = ("staging", "tmp", "old")
_AT_FDCWD = -100
_RENAME_NOREPLACE = 1
_RENAME_EXCHANGE = 2
# write_atomic's temp files: .<name>.<pid>.<random>.tmp
_TEMP_FILE = re.compile(r"^\..+\.(?P<pid>\d+)\.[A-Za-z0-9_]+\.tmp$")


def sibling(out: Path, kind: str, pid: int | None = None) -> Path:
    """RETURNS (Path): The build's folder of `kind` (staging, tmp, old) beside `out`."""
    return out.parent / f".{out.name}.{kind}-{os.getpid() if pid is None else pid}"


def lock_path(out: Path) -> Path:
    """RETURNS (Path): The lock file of the builds of `out` (it stays; it is tiny)."""
    return out.parent / f".{out.name}.lock"


class BuildLock:
    """Hold `.<out>.lock` for one build; a second build of the same corpus is refused.

    out (Path): The corpus folder (its parent must exist).
    """

    def __init__(self, out: Path) -> None:
        self.out = out
        self.path = lock_path(out)
        self._fd: int | None = None

    def __enter__(self) -> BuildLock:
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode("ascii", "replace").strip() or "unknown"
            os.close(fd)
            raise BuildError(
                Errors.E106.format(out=self.out, pid=holder, lock=self.path), []
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        self._fd = fd
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._fd is not None:
            os.ftruncate(self._fd, 0)
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None


def recover(out: Path) -> list[str]:
    """Put back or remove what killed builds of `out` left beside it (call under BuildLock).

    out (Path): The corpus folder.
    RETURNS (list[str]): One line per folder restored or removed.
    """
    pattern = re.compile(rf"^\.{re.escape(out.name)}\.(?P<kind>{'|'.join(KINDS)})-(?P<pid>\d+)$")
    found: dict[str, list[Path]] = {kind: [] for kind in KINDS}
    for entry in sorted(out.parent.iterdir()) if out.parent.is_dir() else []:
        match = pattern.match(entry.name)
        if match and not pid_alive(int(match["pid"])):
            found[match["kind"]].append(entry)
    lines: list[str] = []
    whole = [p for p in found["old"] if (p / MANIFEST).is_file()]
    if whole and not out.exists() and not out.is_symlink():
        # The newest one is the corpus that was at --out when a fallback swap was killed.
        newest = max(whole, key=lambda p: p.stat().st_mtime_ns)
        os.rename(newest, out)
        found["old"].remove(newest)
        lines.append(f"recovered: restored {out} from {newest.name}, left by a killed build")
    for kind in KINDS:
        for path in found[kind]:
            remove_tree(path)
            lines.append(f"recovered: removed {path.name}, left by a killed build")
    return lines


def remove_dead_temps(folder: Path) -> list[str]:
    """Remove write_atomic's temp files in `folder` whose writing process is gone.

    folder (Path): Where the files were being written.
    RETURNS (list[str]): One line per file removed.
    """
    lines = []
    try:
        entries = sorted(folder.iterdir())
    except (FileNotFoundError, NotADirectoryError):
        return []
    for entry in entries:
        match = _TEMP_FILE.match(entry.name)
        if match and entry.is_file() and not pid_alive(int(match["pid"])):
            entry.unlink(missing_ok=True)
            lines.append(f"recovered: removed {entry}, left by a killed build")
    return lines


def remove_tree(path: Path, fault_point: str | None = None) -> None:
    """Delete a folder; never raises (what is left is a leftover the next build removes).

    path (Path): The folder.
    fault_point (str | None): A fault point reached once part of the folder is deleted.
    """
    if fault_point is not None:
        children = sorted(path.iterdir()) if path.is_dir() else []
        if children:
            if children[0].is_dir():
                shutil.rmtree(children[0], ignore_errors=True)
            else:
                children[0].unlink(missing_ok=True)
            faults.point(fault_point)
    shutil.rmtree(path, ignore_errors=True)


def swap_in(new: Path, out: Path) -> Path | None:
    """Put the folder `new` at `out` in one step; the old corpus is moved aside, not deleted.

    new (Path): The complete, validated new corpus (beside `out`).
    out (Path): The corpus folder.
    RETURNS (Path | None): Where the old corpus now is (the caller deletes it with
        `remove_tree`), or None when `out` did not exist.
    RAISES (BuildError): `out` appeared during the build (the new corpus is not installed).
    """
    faults.point("swap.begin")
    if out.is_dir() and not (out / MANIFEST).is_file() and any(out.iterdir()):
        # Written meanwhile by something that does not take the lock: not ours to delete.
        raise BuildError(Errors.E108.format(out=out, lock=lock_path(out)), [])
    try:
        if not out.exists() and not out.is_symlink():
            _rename_noreplace(new, out)
            faults.point("swap.exchanged")
            return None
        if _exchange(new, out):
            faults.point("swap.exchanged")
            return new
    except OSError as error:
        if error.errno in (errno.EEXIST, errno.ENOTEMPTY):
            raise BuildError(Errors.E108.format(out=out, lock=lock_path(out)), []) from None
        raise
    old = sibling(out, "old")
    os.rename(out, old)
    faults.point("swap.moved_old")
    try:
        os.rename(new, out)
    except OSError as error:
        os.rename(old, out)
        if error.errno in (errno.EEXIST, errno.ENOTEMPTY):
            raise BuildError(Errors.E108.format(out=out, lock=lock_path(out)), []) from None
        raise
    faults.point("swap.exchanged")
    return old


def _renameat2() -> Callable[..., int] | None:
    """RETURNS: libc's renameat2, or None where there is none (not Linux, old glibc)."""
    if sys.platform != "linux" or os.environ.get(SWAP_ENV) == "rename":
        return None
    try:
        function = ctypes.CDLL(None, use_errno=True).renameat2
    except (AttributeError, OSError):
        return None
    function.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p]
    function.argtypes += [ctypes.c_uint]
    function.restype = ctypes.c_int
    return function


def _call_renameat2(source: Path, target: Path, flags: int) -> bool:
    """RETURNS (bool): False when renameat2 or the flag is unsupported here; raises OSError."""
    function = _renameat2()
    if function is None:
        return False
    result = function(_AT_FDCWD, os.fsencode(source), _AT_FDCWD, os.fsencode(target), flags)
    if result == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP):
        return False
    raise OSError(code, os.strerror(code), str(source), None, str(target))


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths atomically. RETURNS (bool): False where the system cannot."""
    return _call_renameat2(a, b, _RENAME_EXCHANGE)


def _rename_noreplace(source: Path, target: Path) -> None:
    """Rename, failing with FileExistsError if `target` exists (atomically where possible)."""
    if _call_renameat2(source, target, _RENAME_NOREPLACE):
        return
    if target.exists() or target.is_symlink():
        raise FileExistsError(errno.EEXIST, os.strerror(errno.EEXIST), str(target))
    os.rename(source, target)
