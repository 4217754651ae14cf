"""Staged sets: the per-article stage's output of a whole corpus, kept for the next build.

A build whose articles are all unchanged (a pull that changed only annotations, or a rebuild
after editing the publisher) would read thousands of cache entries only to write the same
staging files again. So after the per-article stage, its staging files are kept in the cache
folder under a key made of every article's cache key (in doc_id order) and the code that writes
staging files; a build whose articles give the same key takes the files as they are and runs no
per-article stage at all (not even spaCy's loading). A build that adds, edits or removes a
few articles stages only those (from their entries, or parsed) and merges their rows with the
rows the set holds for the others (`newest`, `merge`), instead of reading every entry again.

One set is kept per cache namespace (the newest), beside the per-article entries:
<cache>/<namespace>/staged/<key>/<table>.parquet, SHA256SUMS and ARTICLES. The checksums
are verified before a set is used; a damaged or incomplete set is deleted and the articles are
staged again from their entries.

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
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
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
from summit_corpus.build.staging import ROW_GROUP_ROWS, StagingWriter, read_staged
from summit_corpus.core import io, tables

SUMS = "SHA256SUMS.json"
# The set's articles, [doc_id, cache key] in doc_id order: the set's key is made of them and
# the staging code, so recomputing it checks the list and that this code staged the set.
ARTICLES = "ARTICLES.json"
# New or edited articles a build merges into a kept set at most (their rows are held at once:
# a few batches' worth).
MERGE_MAX_ARTICLES = 256
# Modules whose code decides the staged bytes beyond the per-article rows (which the cache
# namespace already covers): how windows are emitted and how staging files are written.
_CODE = ("engines.py", "staging.py", "reuse.py")


def staged_key(raws: Sequence[ingest.ArticleSource]) -> str:
    """RETURNS (str): The key of a corpus's staged set: its articles and the staging code."""
    return set_key(article_keys(raws))


def article_keys(raws: Sequence[ingest.ArticleSource]) -> list[tuple[str, str]]:
    """RETURNS (list[tuple[str, str]]): (doc_id, cache key) of each article, in doc_id order
    (the order of the staged rows)."""
    ordered = sorted(raws, key=lambda r: (r.doc_id, r.source_file))
    return [(raw.doc_id, article_key(raw.source_file, raw.sha256)) for raw in ordered]


def set_key(articles: Sequence[tuple[str, str]]) -> str:
    """RETURNS (str): `staged_key` of the articles `article_keys` gave."""
    digest = hashlib.sha256()
    here = Path(__file__).resolve().parent
    for name in _CODE:
        digest.update(name.encode() + b"\0" + (here / name).read_bytes() + b"\0")
    for _doc_id, key in articles:
        digest.update(key.encode() + b"\n")
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


def keep(
    staged: Staged, cache: ArticleCache, key: str, articles: Sequence[tuple[str, str]]
) -> Staged:
    """Move a finished stage's files into the cache as the set of `key` (replacing the
    namespace's older sets), with the list of its articles (`article_keys`), which lets a
    later build with other articles take the rows of those it shares (`newest`, `merge`).

    RETURNS (Staged): The same set, at its new place."""
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
    (temp / ARTICLES).write_text(json.dumps([list(a) for a in articles]), encoding="utf-8")
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


@dataclass(frozen=True, slots=True)
class KeptSet:
    """The staged set a build kept, as a later build with other articles finds it.

    staged (Staged): Its files (checksums verified).
    articles (dict[str, str]): doc_id -> cache key of each article it holds.
    """

    staged: Staged
    articles: dict[str, str]

    def unchanged(self, articles: Sequence[tuple[str, str]]) -> set[str]:
        """RETURNS (set[str]): The doc_ids of `articles` (`article_keys`) whose rows the set
        holds: same doc_id, same cache key (same path and bytes)."""
        return {doc_id for doc_id, key in articles if self.articles.get(doc_id) == key}


def newest(cache: ArticleCache) -> KeptSet | None:
    """The set the namespace holds (a build keeps one, the newest), for a build whose
    articles are not all the set's.

    RETURNS (KeptSet | None): The set; None when there is none, its article list does not
        give its key (another staging code made it, or the list is damaged), or a file does
        not match its checksum (then the set is deleted, as `load` does).
    """
    parent = _folder(cache)
    try:
        names = [p.name for p in parent.iterdir() if not p.name.startswith(".")]
    except FileNotFoundError:
        return None
    if len(names) != 1:
        return None
    articles = _listed_articles(parent / names[0])
    if articles is None:
        return None
    staged = load(cache, names[0])
    return KeptSet(staged, dict(articles)) if staged is not None else None


def worth_merging(base: KeptSet, unchanged: int, articles: int) -> bool:
    """Whether a build of `articles` articles, `unchanged` of them held by `base`, should
    merge (`merge`) rather than stage every article from its entry.

    Merging reads the whole set, so it pays while the set is mostly this corpus's articles;
    and it holds the other articles' rows in memory, so it takes at most MERGE_MAX_ARTICLES
    of them (beyond that, staging every article costs little next to parsing those).
    """
    return 2 * unchanged >= len(base.articles) and articles - unchanged <= MERGE_MAX_ARTICLES


def merge(base: KeptSet, unchanged: set[str], new: Staged, folder: Path) -> Staged:
    """The staged set of a corpus made of the rows `base` holds for the articles `unchanged`
    and the rows of the others, staged in `new` (from their cache entries, or parsed).

    The rows are written in doc_id order through a `StagingWriter`, whose row groups depend
    only on the rows, so the files have the bytes a staging of every article from its cache
    entry gives; `base` is read a row group at a time.

    base (KeptSet): The set a build kept.
    unchanged (set[str]): doc_ids whose rows are taken from `base` (`KeptSet.unchanged`).
    new (Staged): The other articles' rows (no doc_id of `unchanged`, no errors).
    folder (Path): Where the merged files are written.
    RETURNS (Staged): The merged set; its articles count as cache hits.
    """
    keep_ids = (
        pa.array(sorted(unchanged), pa.string()) if len(unchanged) < len(base.articles) else None
    )
    writer = StagingWriter(folder, pipeline.PER_ARTICLE_TABLES)

    def merge_table(definition: tables.Table) -> None:
        added = read_staged(new.files[definition.name], definition)
        kept = base.staged.files[definition.name]
        for rows in _merged(kept, keep_ids, added, definition):
            writer.write(definition.name, rows)

    # Each table's file is read and written by one thread, so its bytes do not depend on the
    # threads; Arrow decodes and compresses without the GIL, so two tables merge side by
    # side, the largest first (tokens: most of the time).
    largest_first = sorted(
        pipeline.PER_ARTICLE_TABLES, key=lambda t: -base.staged.files[t.name].stat().st_size
    )
    try:
        with ThreadPoolExecutor(max_workers=min(2, os.cpu_count() or 1)) as pool:
            for done in pool.map(merge_table, largest_first):
                del done
    except BaseException:
        writer.abort()
        raise
    files = writer.close()
    return Staged(
        files=files,
        rows=dict(writer.rows),
        errors=[],
        cache_hits=len(unchanged) + new.cache_hits,
        parsed=new.parsed,
        cache_repaired=new.cache_repaired,
    )


def _merged(
    path: Path, keep_ids: pa.Array | None, added: pa.Table, definition: tables.Table
) -> Iterator[pa.Table]:
    """YIELDS (pa.Table): The rows of the staged file `path` whose doc_id is in `keep_ids`
    (None: all), with `added` (sorted, other doc_ids) slotted in, in the table's order."""
    for batch in io.open_parquet(path).iter_batches(batch_size=ROW_GROUP_ROWS):
        rows = pa.Table.from_batches([batch]).cast(definition.schema)
        if keep_ids is not None:
            rows = rows.filter(pc.is_in(rows.column("doc_id"), value_set=keep_ids))
        if rows.num_rows == 0:
            continue
        # The added documents that sort before this group's last one belong in it (no doc_id
        # is in both, so the stable sort keeps each document's rows as they are).
        before = pc.sum(pc.less(added.column("doc_id"), rows.column("doc_id")[-1])).as_py()
        if before:
            rows = definition.sorted(pa.concat_tables([rows, added.slice(0, before)]))
            added = added.slice(before)
        yield rows
    if added.num_rows:
        yield added


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
    folder = _kept_folder(staged)
    if folder is None:
        return None
    digest = hashlib.sha256()
    for path in stage_sources(module):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return folder / f"{name}-{digest.hexdigest()[:24]}.entry"


def set_articles(staged: Staged) -> list[tuple[str, str]] | None:
    """RETURNS (list[tuple[str, str]] | None): (doc_id, cache key) of the articles of a kept
    staged set (as `article_keys` gave them); None when `staged` is not a kept set."""
    folder = _kept_folder(staged)
    return _listed_articles(folder) if folder is not None else None


def _listed_articles(folder: Path) -> list[tuple[str, str]] | None:
    """RETURNS (list[tuple[str, str]] | None): The articles a kept set's ARTICLES lists;
    None when the list does not give the set's key (another staging code made the set, or
    the list is damaged)."""
    try:
        listed = json.loads((folder / ARTICLES).read_text(encoding="utf-8"))
        articles = [(str(doc_id), str(key)) for doc_id, key in listed]
    except (OSError, ValueError, TypeError):
        return None
    return articles if set_key(articles) == folder.name else None


def namespace_memo_path(staged: Staged, name: str, module: str) -> Path | None:
    """As `memo_path`, but in the cache namespace's folder, beside the kept sets rather than
    in one: for a result that a build with other articles can partly take (it names the
    articles it was computed from)."""
    path = memo_path(staged, name, module)
    return path.parent.parent.parent / path.name if path is not None else None


def _kept_folder(staged: Staged) -> Path | None:
    """RETURNS (Path | None): The folder of a kept staged set; None for another staged set."""
    folders = {path.parent for path in staged.files.values()}
    if len(folders) != 1:
        return None
    folder = folders.pop()
    if not (folder / SUMS).is_file() or folder.parent.name != "staged":
        return None
    return folder


def recall(path: Path | None) -> pa.Table | None:
    """RETURNS (pa.Table | None): The result kept at `path` (`memo_path`); None when there is
    none, or it is damaged (then it is deleted, and the caller computes it again)."""
    kept = recall_tables(path)
    return kept["result"] if kept is not None and "result" in kept else None


def recall_tables(path: Path | None) -> dict[str, pa.Table] | None:
    """RETURNS (dict[str, pa.Table] | None): The tables kept at `path` (`remember_tables`), as
    `recall` does."""
    if path is None:
        return None
    try:
        return decode_entry(path.read_bytes(), version=path.name)
    except FileNotFoundError:
        return None
    except (pa.ArrowException, OSError, KeyError, ValueError):
        path.unlink(missing_ok=True)
        return None


def remember(path: Path | None, result: pa.Table) -> None:
    """Keep `result` at `path` (`memo_path`; None keeps nothing), atomically: a reader sees
    the whole entry or none."""
    remember_tables(path, {"result": result})


def remember_tables(path: Path | None, results: dict[str, pa.Table]) -> None:
    """Keep named tables at `path`, as `remember` does."""
    if path is None:
        return
    fd, temp = tempfile.mkstemp(
        prefix=f".{path.name}.{os.getpid()}.", suffix=".tmp", dir=path.parent
    )
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(encode_entry(results, version=path.name))
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
