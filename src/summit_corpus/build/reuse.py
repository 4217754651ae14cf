"""Staged sets: the per-article stage's output of a whole corpus, kept for the next build.

A build whose articles are all unchanged (a pull that changed only annotations, or a rebuild
after editing the publisher) would read thousands of cache entries only to write the same
staging files again. So after the per-article stage, its staging files are kept in the cache
folder under a key made of every article's cache key (in doc_id order) and the code that writes
staging files; a build whose articles give the same key takes the files as they are and runs no
per-article stage at all (not even spaCy's loading).

One set is kept per cache namespace (the newest), beside the per-article entries:
<cache>/<namespace>/staged/<key>/<table>.parquet and SHA256SUMS. The checksums are verified
before a set is used; a damaged or incomplete set is deleted and the articles are staged again
from their entries.

What a later stage computes from a kept set alone (the split assignment, the control
characters per file) is kept in the set's folder too (`recall`, `remember`), as one checksummed
cache entry named after the code that computed it, so a build after a pull that changed only
annotations takes it instead of computing it again, and an edit of that code computes it anew.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from summit_corpus.build import ingest, pipeline
from summit_corpus.build.cache import (
    ArticleCache,
    article_key,
    decode_entry,
    encode_entry,
    namespace,
    stage_sources,
)
from summit_corpus.build.engines import Staged
from summit_corpus.core import tables

SUMS = "SHA256SUMS.json"
# Modules whose code decides the staged bytes beyond the per-article rows (which the cache
# namespace already covers): how windows are emitted and how staging files are written.
_CODE = ("engines.py", "staging.py", "reuse.py")


def staged_key(raws: Sequence[ingest.RawArticle]) -> str:
    """RETURNS (str): The key of a corpus's staged set: its articles and the staging code."""
    digest = hashlib.sha256()
    here = Path(__file__).resolve().parent
    for name in _CODE:
        digest.update(name.encode() + b"\0" + (here / name).read_bytes() + b"\0")
    for raw in sorted(raws, key=lambda r: (r.doc_id, r.source_file)):
        digest.update(article_key(raw.source_file, raw.data).encode() + b"\n")
    return digest.hexdigest()[:32]


def _folder(cache: ArticleCache) -> Path:
    return cache.root / namespace(cache.version) / "staged"


def load(cache: ArticleCache, key: str) -> Staged | None:
    """The staged set of `key`, if it is there and intact.

    cache (ArticleCache): The per-article cache the set was kept in.
    key (str): `staged_key` of the corpus being built.
    RETURNS (Staged | None): The set (as `process_corpus` would return it, every article a
        cache hit); None when there is none or it was damaged (then it is deleted).
    """
    folder = _folder(cache) / key
    sums_path = folder / SUMS
    try:
        sums: dict[str, str] = json.loads(sums_path.read_text(encoding="utf-8"))
        files = {t.name: folder / f"{t.name}.parquet" for t in pipeline.PER_ARTICLE_TABLES}
        for name, path in files.items():
            if _sha256(path) != sums[name]:
                raise ValueError(f"{path} does not match its checksum")
        rows = {name: pq.ParquetFile(path).metadata.num_rows for name, path in files.items()}
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError):
        shutil.rmtree(folder, ignore_errors=True)
        return None
    documents = rows[tables.DOCUMENTS.name]
    return Staged(files=files, rows=rows, errors=[], cache_hits=documents, parsed=0)


def keep(staged: Staged, cache: ArticleCache, key: str) -> Staged:
    """Move a finished stage's files into the cache as the set of `key` (replacing the
    namespace's older sets). RETURNS (Staged): The same set, at its new place."""
    parent = _folder(cache)
    parent.mkdir(parents=True, exist_ok=True)
    target = parent / key
    temp = Path(tempfile.mkdtemp(prefix=f".{key}.{os.getpid()}.", dir=parent))
    files = {}
    for name, path in staged.files.items():
        files[name] = target / path.name
        shutil.move(path, temp / path.name)
    sums = {name: _sha256(temp / path.name) for name, path in files.items()}
    (temp / SUMS).write_text(json.dumps(sums, sort_keys=True), encoding="utf-8")
    for old in parent.iterdir():  # one set per namespace: the newest
        if old != temp:
            shutil.rmtree(old, ignore_errors=True)
    os.replace(temp, target)
    return Staged(
        files=files,
        rows=staged.rows,
        errors=staged.errors,
        cache_hits=staged.cache_hits,
        parsed=staged.parsed,
        cache_repaired=staged.cache_repaired,
    )


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def drop(cache: ArticleCache) -> None:
    """Delete the namespace's staged sets (the next build stages from the entries)."""
    shutil.rmtree(_folder(cache), ignore_errors=True)


def memo_path(staged: Staged, name: str, module: str) -> Path | None:
    """Where a result computed from a kept staged set alone is kept, beside the set.

    staged (Staged): The staged set the result is computed from.
    name (str): What the result is ("assignment").
    module (str): The module that computes it (`summit_corpus.publish.splits`): its source and
        that of every toolkit module it imports name the file, so edited code misses it.
    RETURNS (Path | None): The file (whether or not it exists); None when `staged` is not a
        kept set (no cache, or a build that rejected files).
    """
    folders = {path.parent for path in staged.files.values()}
    if len(folders) != 1:
        return None
    folder = folders.pop()
    if not (folder / SUMS).is_file() or folder.parent.name != "staged":
        return None
    digest = hashlib.sha256()
    for path in stage_sources(module):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return folder / f"{name}-{digest.hexdigest()[:24]}.entry"


def recall(path: Path | None) -> pa.Table | None:
    """RETURNS (pa.Table | None): The result kept at `path` (`memo_path`); None when there is
    none, or it is damaged (then it is deleted, and the caller computes it again)."""
    if path is None:
        return None
    try:
        return decode_entry(path.read_bytes(), version=path.name)["result"]
    except FileNotFoundError:
        return None
    except (pa.ArrowException, OSError, KeyError, ValueError):
        path.unlink(missing_ok=True)
        return None


def remember(path: Path | None, result: pa.Table) -> None:
    """Keep `result` at `path` (`memo_path`; None keeps nothing), atomically: a reader sees
    the whole entry or none."""
    if path is None:
        return
    fd, temp = tempfile.mkstemp(
        prefix=f".{path.name}.{os.getpid()}.", suffix=".tmp", dir=path.parent
    )
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(encode_entry({"result": result}, version=path.name))
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
