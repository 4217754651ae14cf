"""Per-article cache: an unchanged article is not parsed again.

An entry holds one article's rows of every per-article table, as Arrow. It is keyed by the
SHA-256 of the article's bytes and its source path (the doc_id derives from the path), inside a
namespace named after everything that decides the rows: `pipeline.pipeline_version()` (toolkit,
spaCy, model, scheme versions) and a digest of the toolkit's source code and scheme file, so
that editing a stage without bumping a version cannot serve stale rows. A cache-warm build
therefore writes exactly the bytes a clean build writes (a test checks this).

Layout: <root>/<namespace>/<key[:2]>/<key>.arrow
"""

from __future__ import annotations

import ast
import functools
import hashlib
import os
import struct
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from summit_corpus.build import faults, ingest

CACHE_DIR_NAME = ".corpus-cache"
# The toolkit package folder (summit_corpus/), whose module files the digest reads.
_ROOT = Path(__file__).resolve().parents[1]
# Toolkit modules whose edits cannot change an article's rows.
_NOT_STAGE = frozenset({"errors"})
# An entry is one Arrow IPC file of (table name, that table's rows as an IPC stream),
# compressed with zstd as a whole behind a small header. One zstd frame per entry, not one per
# column buffer: an entry of a few KB then decodes in ~0.6 ms instead of ~4.5 ms, which is most
# of a cache-warm rebuild. The format is part of the namespace, so entries of another format
# are never read.
#
# Format 3 layout: magic "SCCE", format (u16), SHA-256 of everything after it (32 bytes), then
# the body: uncompressed size (u64), the article's SHA-256 (32 bytes), the pipeline version's
# length (u16) and UTF-8 bytes, the zstd payload. The checksum is verified before any byte is
# decompressed or decoded (Arrow's IPC reader trusts its input: a flipped bit can crash it),
# and the article hash and pipeline version are compared with the article being built.
_FORMAT = 3
_MAGIC = b"SCCE"
_HEADER = struct.Struct("<4sH32s")
_BODY = struct.Struct("<Q32sH")
_ENTRY_SCHEMA = pa.schema(
    [
        pa.field("table", pa.string(), nullable=False),
        pa.field("ipc", pa.binary(), nullable=False),
    ]
)


def default_dir(out: Path) -> Path:
    """RETURNS (Path): The cache folder used when none is given: `.corpus-cache` beside `out`."""
    return out.resolve().parent / CACHE_DIR_NAME


def code_digest() -> str:
    """RETURNS (str): SHA-256 over the per-article stage's source files and the scheme file.

    The sources are `pipeline.py` and every toolkit module it imports, transitively, except
    `errors.py` (message texts do not change rows), so that editing, say, the publisher does
    not throw the cache away while editing the tokenizer's caller does.
    """
    digest = hashlib.sha256()
    files = list(stage_sources())
    try:
        from summit_corpus.core.scheme import SCHEME_PATH
        from summit_corpus.core.split_config import DEFAULT_CONFIG_PATH

        # The scheme decides the annotations; the split settings decide the fingerprints.
        files += [SCHEME_PATH, DEFAULT_CONFIG_PATH]
    except ImportError:  # the scheme module is optional for the cache itself
        pass
    for path in files:
        if path.is_file():
            digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def _module_file(module: str) -> Path | None:
    """RETURNS (Path | None): The source file of a toolkit module (`summit_corpus.a.b`)."""
    parts = module.split(".")[1:]
    for path in (_ROOT.joinpath(*parts).with_suffix(".py"), _ROOT.joinpath(*parts, "__init__.py")):
        if parts and path.is_file():
            return path
    return None


@functools.cache
def stage_sources(root: str = "summit_corpus.build.pipeline") -> tuple[Path, ...]:
    """RETURNS (tuple[Path, ...]): `root`'s module file and the toolkit modules it imports,
    sorted. Read once per process: the import graph of the installed code does not change
    (the files' bytes are hashed on every call)."""
    seen: dict[str, Path] = {}
    todo = [root]
    while todo:
        name = todo.pop()
        path = _module_file(name)
        if name in seen or name.rsplit(".", 1)[-1] in _NOT_STAGE or path is None:
            continue
        seen[name] = path
        todo += _imported(path)
    return tuple(seen[name] for name in sorted(seen))


@functools.cache
def _imported(path: Path) -> tuple[str, ...]:
    """RETURNS (tuple[str, ...]): The toolkit modules (and names that may be modules) the
    module file `path` imports when it runs. Parsed once per process, whichever stage's
    sources are asked for (they share most modules)."""
    found: list[str] = []
    for node in _runtime_nodes(ast.parse(path.read_bytes())):
        if isinstance(node, ast.ImportFrom) and node.module:
            if node.module.startswith("summit_corpus"):
                found.append(node.module)
                # `from summit_corpus.pkg import module` names modules too
                found += [f"{node.module}.{alias.name}" for alias in node.names]
        elif isinstance(node, ast.Import):
            found += [a.name for a in node.names if a.name.startswith("summit_corpus.")]
    return tuple(found)


def _runtime_nodes(tree: ast.Module) -> Iterator[ast.AST]:
    """YIELDS (ast.AST): The module's statements, except those that import nothing when the
    stage runs: `if TYPE_CHECKING:` blocks and a module `__getattr__` (PEP 562: it imports on
    first use of a name, which is how `build/__init__.py` keeps `build_corpus`, and so every
    later stage, out of the per-article stage's imports). Only statements are walked: an import
    is one, and expressions are nine nodes in ten."""
    todo: list[ast.AST] = [tree]
    while todo:
        node = todo.pop()
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            todo += node.orelse
            continue
        if isinstance(node, ast.FunctionDef) and node.name == "__getattr__":
            continue
        yield node
        for name in ("body", "orelse", "finalbody", "handlers", "cases"):
            block = getattr(node, name, None)
            if isinstance(block, list):
                todo += block


def namespace(pipeline_version: str) -> str:
    """RETURNS (str): Folder name for entries made by this pipeline version and this code."""
    key = f"{pipeline_version}\0{code_digest()}\0entry format {_FORMAT}"
    return hashlib.sha256(key.encode()).hexdigest()[:20]


def article_key(source_file: str, sha256: str) -> str:
    """RETURNS (str): The cache key of an article: hash of its source path and its bytes'
    hash (`sha256`)."""
    return hashlib.sha256(f"{source_file}\0{sha256}".encode()).hexdigest()


@dataclass(slots=True)
class ArticleCache:
    """Per-article rows on disk, keyed by content and pipeline version.

    root (Path): Cache folder (shared by pipeline versions; each has its own namespace).
    version (str): `pipeline.pipeline_version()` of the processes that make the rows.
    hits (int): Lookups answered from the cache so far.
    misses (int): Lookups not answered (damaged entries included).
    damaged (int): Entries found damaged (checksum, article hash or version wrong) and
        deleted.
    """

    root: Path
    version: str
    hits: int = 0
    misses: int = 0
    damaged: int = 0
    _folder: Path = field(init=False)

    def __post_init__(self) -> None:
        self._folder = self.root / namespace(self.version)

    def path(self, raw: ingest.ArticleSource) -> Path:
        """RETURNS (Path): Where `raw`'s entry lives (whether or not it exists)."""
        key = article_key(raw.source_file, raw.sha256)
        return self._folder / key[:2] / f"{key}.arrow"

    def get(self, raw: ingest.ArticleSource) -> dict[str, pa.Table] | None:
        """Read one article's rows, if its entry is intact and made for this article.

        raw (ingest.ArticleSource): The article.
        RETURNS (dict[str, pa.Table] | None): Table name -> rows; None when not cached or the
            entry is damaged (a damaged entry is deleted, counted in `damaged`, and the
            article parsed again).
        """
        path = self.path(raw)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            self.misses += 1
            return None
        try:
            entry = decode_entry(data, source_sha256=raw.sha256, version=self.version)
        except (pa.ArrowException, OSError, KeyError, ValueError):
            path.unlink(missing_ok=True)
            self.misses += 1
            self.damaged += 1
            return None
        self.hits += 1
        return entry

    def put(self, raw: ingest.ArticleSource, rows: Mapping[str, pa.Table]) -> None:
        """Store one article's rows (atomically: readers see the old entry or the new one).

        raw (ingest.ArticleSource): The article.
        rows (Mapping[str, pa.Table]): Table name -> this article's rows.
        """
        path = self.path(raw)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(
            prefix=f".{path.name}.{os.getpid()}.", suffix=".tmp", dir=path.parent
        )
        try:
            # No fsync: an entry torn by a power cut fails its checksum and is simply re-made.
            with os.fdopen(fd, "wb") as handle:
                handle.write(encode_entry(rows, source_sha256=raw.sha256, version=self.version))
            faults.point("cache.entry_written")
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise


def encode_entry(
    rows: Mapping[str, pa.Table], *, source_sha256: str = "0" * 64, version: str = ""
) -> bytes:
    """An article's tables as one checksummed, zstd-compressed Arrow IPC entry.

    rows (Mapping[str, pa.Table]): Table name -> rows (stored in sorted name order).
    source_sha256 (str): SHA-256 (hex) of the article's bytes.
    version (str): The pipeline version that made the rows.
    RETURNS (bytes): The entry.
    """
    names = sorted(rows)
    payloads = [_ipc_stream(rows[name]) for name in names]
    container = pa.table({"table": names, "ipc": payloads}, schema=_ENTRY_SCHEMA)
    sink = pa.BufferOutputStream()
    with pa.ipc.new_file(sink, _ENTRY_SCHEMA) as writer:
        writer.write_table(container)
    raw_body = sink.getvalue()
    packed: bytes = pa.compress(raw_body, codec="zstd", asbytes=True)
    label = version.encode("utf-8")
    body = _BODY.pack(raw_body.size, bytes.fromhex(source_sha256), len(label)) + label + packed
    return _HEADER.pack(_MAGIC, _FORMAT, hashlib.sha256(body).digest()) + body


def decode_entry(
    data: bytes, *, source_sha256: str | None = None, version: str | None = None
) -> dict[str, pa.Table]:
    """The tables `encode_entry` stored, once the entry's checksum is verified.

    data (bytes): The entry.
    source_sha256 (str | None): If given, the article hash the entry must name.
    version (str | None): If given, the pipeline version the entry must name.
    RETURNS (dict[str, pa.Table]): Table name -> rows.
    RAISES (ValueError): The entry is damaged, of another format, or made for other bytes or
        another pipeline.
    """
    if len(data) < _HEADER.size + _BODY.size:
        raise ValueError("not a summit-corpus cache entry (too short)")
    magic, form, checksum = _HEADER.unpack_from(data)
    if magic != _MAGIC or form != _FORMAT:
        raise ValueError("not a summit-corpus cache entry of this format")
    body = memoryview(data)[_HEADER.size :]
    if hashlib.sha256(body).digest() != checksum:
        raise ValueError("cache entry checksum mismatch")
    size, article, length = _BODY.unpack_from(body)
    label = bytes(body[_BODY.size : _BODY.size + length]).decode("utf-8")
    if source_sha256 is not None and article != bytes.fromhex(source_sha256):
        raise ValueError("cache entry made for other article bytes")
    if version is not None and label != version:
        raise ValueError("cache entry made by another pipeline version")
    packed = body[_BODY.size + length :]
    decoded = pa.decompress(packed, decompressed_size=size, codec="zstd")
    container = pa.ipc.open_file(decoded).read_all()
    if container.schema != _ENTRY_SCHEMA:
        raise ValueError("not a summit-corpus cache entry")
    names = container.column("table").to_pylist()
    payloads = container.column("ipc").combine_chunks()
    return {
        name: pa.ipc.open_stream(payload.as_buffer()).read_all()
        for name, payload in zip(names, payloads, strict=True)
    }


def split_by_article(
    tables: Mapping[str, pa.Table], doc_ids: Iterable[str]
) -> dict[str, dict[str, pa.Table]]:
    """Cut a batch's tables into one set of tables per article.

    A table whose rows come grouped by doc_id (every per-article table: each is sorted by a
    key that starts with doc_id) is filtered with masks made from where each doc_id's run
    starts and ends, instead of comparing every row's doc_id once per article (that took
    more time than the filters). Filtered, not sliced: a slice shares the batch's buffers and
    would change the entries' bytes.

    tables (Mapping[str, pa.Table]): Table name -> rows of several articles (a `doc_id` column).
    doc_ids (Iterable[str]): The articles to cut out.
    RETURNS (dict[str, dict[str, pa.Table]]): doc_id -> table name -> that article's rows.
    """
    wanted = list(doc_ids)
    out: dict[str, dict[str, pa.Table]] = {doc_id: {} for doc_id in wanted}
    for name, table in tables.items():
        runs = _runs(table)
        for doc_id in wanted:
            if runs is None:
                mask: pa.Array | pa.ChunkedArray = pc.equal(table.column("doc_id"), doc_id)
            else:
                start, end = runs.get(doc_id, (0, 0))
                selected = np.zeros(table.num_rows, dtype=bool)
                selected[start:end] = True
                mask = pa.array(selected)
            out[doc_id][name] = table.filter(mask)
    return out


def _runs(table: pa.Table) -> dict[str, tuple[int, int]] | None:
    """RETURNS (dict | None): doc_id -> (first row, end row) of its rows, or None when some
    doc_id's rows are not contiguous (or the column has nulls)."""
    column = table.column("doc_id")
    if column.null_count:
        return None
    if table.num_rows == 0:
        return {}
    encoded = pc.run_end_encode(column.combine_chunks())
    ends = encoded.run_ends.to_pylist()
    values = encoded.values.to_pylist()
    runs = dict(zip(values, zip([0, *ends[:-1]], ends, strict=True), strict=True))
    return runs if len(runs) == len(values) else None


def _ipc_stream(table: pa.Table) -> bytes:
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return bytes(sink.getvalue().to_pybytes())
