"""Search on PostgreSQL: the weighted tsvector and the pgvector column follow every write,
the GIN and HNSW indexes serve the queries, and every process sees the same vectors."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from django.db import connection
from django.utils import timezone

from paperwire.papers.models import Author, Paper
from paperwire.search import engine, pg_sql
from paperwire.search import plan as keyword_plan
from paperwire.search.backends import search_backend
from paperwire.search.backends.postgresql import pgvector, tsvector
from paperwire.search.backends.sqlite.vector_index import INDEX
from paperwire.search.embeddings import DIM, MODEL_KEY, Embedder
from paperwire.search.models import PaperVector
from paperwire.search.query import parse_query
from paperwire.search.related import related_ids
from paperwire.search.vectors import embed_missing, from_blob, to_blob


def keyword_search(q: Any, limit: int = keyword_plan.MAX_MATCHES) -> Any:
    return search_backend().keyword_search(q, limit)


def reindex() -> int:
    return search_backend().reindex()


pytestmark = [
    pytest.mark.django_db,
    pytest.mark.parametrize("backend", ["postgresql"], indirect=True),
]


def document(pk: int) -> dict[str, str]:
    """The paper's search document as {lexeme: weights}, e.g. {"quark": "A"}."""
    with connection.cursor() as cur:
        cur.execute(
            "SELECT lexeme, array_to_string(weights, '') FROM search_paper_doc, "
            "unnest(document) WHERE paper_id = %s",
            [pk],
        )
        return dict(cur.fetchall())


def kw_ids(raw: str) -> list[int]:
    return keyword_search(parse_query(raw))[0][0]


def plan(sql: str, params: list[Any]) -> str:
    """The planner's choice for a query, after what autovacuum does to new rows: fresh
    statistics, and the GIN index's pending list of new entries merged."""
    with connection.cursor() as cur:
        cur.execute("ANALYZE search_papervector, search_paper_doc, papers_paper")
        cur.execute("SELECT gin_clean_pending_list('search_paper_doc_gin'::regclass)")
        cur.execute("EXPLAIN " + sql, params)
        return "\n".join(row[0] for row in cur.fetchall())


@pytest.fixture
def more_papers(embedded: None) -> None:
    """3,000 filler papers with random unit vectors beside the demo: on 137 rows a
    sequential scan is cheapest, at a few thousand the indexes win (as in production)."""
    rng = np.random.default_rng(7)
    papers = Paper.objects.bulk_create(
        Paper(
            public_id=f"filler-{i}",
            title=f"Filler paper number {i}",
            title_key=f"filler paper number {i}",
            abstract="Text about nothing in particular, only here to make the tables larger.",
        )
        for i in range(3000)
    )
    vecs = rng.standard_normal((len(papers), DIM)).astype(np.float32)
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    now = timezone.now()
    PaperVector.objects.bulk_create(
        PaperVector(
            paper=p, model=MODEL_KEY, dim=DIM, vector=to_blob(v), text_hash="-", embedded_at=now
        )
        for p, v in zip(papers, vecs, strict=True)
    )


def test_document_weights_title_abstract_authors(import_rows: Callable[[list[Any]], Any]) -> None:
    import_rows(
        [
            {
                "title": "Quark matter",
                "summary": "Gluon plasma.",
                "authors": [{"name": "Zeta Boson"}],
            }
        ]
    )
    paper = Paper.objects.get(title="Quark matter")
    assert document(paper.pk) == {
        "quark": "A",
        "matter": "A",
        "gluon": "B",
        "plasma": "B",
        "zeta": "C",
        "boson": "C",
    }


def test_document_follows_papers_authors_and_renames(
    small_feed: Any, import_rows: Callable[[list[Any]], Any]
) -> None:
    paper = Paper.objects.get(arxiv_id="2401.01234")
    assert {"lovelac", "ture"} <= set(document(paper.pk))
    import_rows(
        [
            {
                "id": "2401.01234",
                "title": "Structured State Spaces, Revisited Again",
                "summary": "Now about gazpacho.",
                "authors": [{"name": "Grace Hopper"}],
            }
        ]
    )
    assert kw_ids("gazpacho") == [paper.pk]
    assert kw_ids("hopper") == [paper.pk]
    assert kw_ids("lovelace") == []
    assert document(paper.pk)["gazpacho"] == "B"
    # Renaming an author re-indexes every paper of theirs.
    Author.objects.filter(name="Grace Hopper").update(name="Grace Brewster Murray")
    assert kw_ids("hopper") == []
    assert kw_ids("brewster") == [paper.pk]
    assert document(paper.pk)["brewster"] == "C"
    # Editing the abstract alone (the ORM's save) reaches the index too.
    paper.abstract = "A study of tapenade."
    paper.save()
    assert kw_ids("gazpacho") == [] and kw_ids("tapenade") == [paper.pk]
    paper.delete()
    assert document(paper.pk) == {}
    assert kw_ids("tapenade") == []


def test_title_match_outranks_abstract_match_outranks_author(
    import_rows: Callable[[list[Any]], Any],
) -> None:
    import_rows(
        [
            {"title": "Unrelated words", "summary": "nothing", "authors": [{"name": "Zeta Quark"}]},
            {"title": "Other things", "summary": "a quark appears here", "num_authors": 1},
            {"title": "Quark matter at scale", "summary": "nothing else", "num_authors": 1},
        ]
    )
    (ids, scores), total = keyword_search(parse_query("quark"))
    titles = [Paper.objects.get(pk=i).title for i in ids]
    assert titles == ["Quark matter at scale", "Other things", "Unrelated words"]
    assert total == 3 and scores[0] > scores[1] > scores[2] > 0


def test_reindex_rebuilds_documents_and_triggers(small_feed: Any) -> None:
    with connection.cursor() as cur:
        cur.execute("DELETE FROM search_paper_doc")
        cur.execute("DROP TRIGGER search_doc_paper_ai ON papers_paper")
    assert kw_ids("replays") == []
    assert reindex() == len(small_feed)
    assert len(kw_ids("replays")) == 1
    with connection.cursor() as cur:
        cur.execute(
            "SELECT count(*) FROM pg_trigger WHERE tgname = ANY(%s)", [list(pg_sql.TRIGGER_NAMES)]
        )
        assert cur.fetchone()[0] == len(pg_sql.TRIGGER_NAMES)


def test_query_language_becomes_a_tsquery_of_parameters(demo: None) -> None:
    built = tsvector.tsquery(parse_query('"state space" models -diagonal -"neural ode"'))
    assert built is not None
    sql, params = built
    assert params == ["state space", "models", "diagonal", "neural ode"]
    with connection.cursor() as cur:
        cur.execute(f"SELECT ({sql})::text", params)
        assert cur.fetchone()[0] == (
            "'state' <-> 'space' & 'model' & !( 'diagon' | 'neural' <-> 'ode' )"
        )
    ids = kw_ids('"state space" -diagonal')
    assert ids
    for pk in ids:
        words = document(pk)
        assert "diagon" not in words and {"state", "space"} <= set(words)


def test_keyword_query_uses_the_gin_index(more_papers: None) -> None:
    built = tsvector.keyword_sql(connection, parse_query("spiking -recurrent"))
    assert built is not None
    rank, where, params = built
    explained = plan(f"SELECT d.paper_id, {rank} FROM search_paper_doc d WHERE {where}", params)
    assert "search_paper_doc_gin" in explained, explained


def test_embeddings_are_the_stored_vectors_exactly(embedded: None) -> None:
    with connection.cursor() as cur:
        cur.execute("SELECT vector, embedding::text FROM search_papervector")
        rows = cur.fetchall()
    assert len(rows) == 137
    for blob, text in rows:
        assert np.array_equal(from_blob(blob), np.array(json.loads(text), dtype=np.float32))


def test_embedding_is_sent_by_the_app_and_decoded_for_other_writers(demo: None) -> None:
    """store_vectors sends `embedding` (the trigger keeps it, no SQL decode); a row
    written without it (the ORM, another client) or whose bytes change alone gets the
    bytes decoded by the trigger. Either way the column equals the bytes exactly."""
    rng = np.random.default_rng(3)
    a, b, c = (rng.standard_normal(DIM).astype(np.float32) for _ in range(3))
    p1, p2 = Paper.objects.order_by("pk").values_list("pk", flat=True)[:2]
    now = timezone.now()

    def embedding(pk: int) -> np.ndarray | None:
        with connection.cursor() as cur:
            cur.execute(
                "SELECT embedding::text, search_blob_to_vector(vector)::text = embedding::text "
                "FROM search_papervector WHERE paper_id = %s",
                [pk],
            )
            text, same = cur.fetchone()
        assert same
        return None if text is None else np.array(json.loads(text), dtype=np.float32)

    pgvector.store_vectors(connection, [(p1, MODEL_KEY, DIM, to_blob(a), "h", now)])
    assert np.array_equal(embedding(p1), a)  # type: ignore[arg-type]
    pgvector.store_vectors(connection, [(p1, MODEL_KEY, DIM, to_blob(b), "h2", now)])  # upsert
    assert np.array_equal(embedding(p1), b)  # type: ignore[arg-type]
    PaperVector.objects.create(
        paper_id=p2, model=MODEL_KEY, dim=DIM, vector=to_blob(a), text_hash="-", embedded_at=now
    )
    assert np.array_equal(embedding(p2), a)  # type: ignore[arg-type]
    PaperVector.objects.filter(paper_id=p1).update(vector=to_blob(c))  # bytes alone
    assert np.array_equal(embedding(p1), c)  # type: ignore[arg-type]
    with connection.cursor() as cur:  # the column alone cannot drift from the bytes
        cur.execute("UPDATE search_papervector SET embedding = NULL WHERE paper_id = %s", [p1])
    assert np.array_equal(embedding(p1), c)  # type: ignore[arg-type]


def test_a_bulk_copy_of_vectors_builds_the_hnsw_index_once(embedded: None) -> None:
    """`db copy` of many vectors: the index is dropped before and built after; a small
    copy keeps it; a copy killed in between gets it back on the next run."""
    import psycopg

    from paperwire.search.backends.postgresql import PgVectorColumns

    def has_index() -> bool:
        with connection.cursor() as cur:
            cur.execute("SELECT to_regclass('search_papervector_embedding_hnsw') IS NOT NULL")
            return bool(cur.fetchone()[0])

    hook = PgVectorColumns()
    connection.ensure_connection()
    with psycopg.Cursor(connection.connection) as cur:
        # The test's own transaction holds the fixture's deferred foreign-key checks,
        # which CREATE INDEX refuses to run beside (db copy commits before it builds).
        cur.execute("SET CONSTRAINTS ALL IMMEDIATE")
        hook.before_load(cur, 10)
        assert has_index()
        hook.before_load(cur, hook.BULK_ROWS)
        assert not has_index()
        hook.after_load(cur)
        assert has_index()
        hook.after_load(cur)  # already there: nothing to do
    first = PaperVector.objects.order_by("pk").first()
    assert first is not None
    assert pgvector.vector_search(connection, from_blob(first.vector), 1)[0] == [first.pk]


def test_vector_search_uses_the_hnsw_index(more_papers: None) -> None:
    vec = from_blob(PaperVector.objects.order_by("pk").first().vector)  # type: ignore[union-attr]
    sql, params, _ = pgvector.vector_sql(vec, 10)
    explained = plan(sql, params)
    assert "Index Scan using search_papervector_embedding_hnsw" in explained, explained
    # Filtered to a few papers: exact over just those rows, no graph walk.
    few = set(Paper.objects.values_list("pk", flat=True)[:5])
    sql, params, filtered_scan = pgvector.vector_sql(vec, 10, allowed=few)
    assert not filtered_scan
    assert "hnsw" not in plan(sql, params)


def test_hnsw_results_match_exact_cosines(
    embedded: None, caching_embedder: Embedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids, blobs = zip(*PaperVector.objects.values_list("paper_id", "vector"), strict=True)
    matrix = np.stack([from_blob(b) for b in blobs])
    year_2023 = set(Paper.objects.filter(published_at__year=2023).values_list("pk", flat=True))
    for text in ("state space models", "video generation", "reinforcement learning"):
        vec = caching_embedder.encode_query(text)
        sims = matrix @ vec
        exact = [ids[i] for i in np.argsort(-sims)[:10]]
        got, scores = pgvector.vector_search(connection, vec, 10)
        assert got == exact
        assert np.allclose(scores, np.sort(sims)[::-1][:10], atol=1e-5)
        # Filtered, both ways: exact over the allowed rows, and the iterative HNSW scan.
        allowed = [i for i in exact if i in year_2023] or exact[:1]
        expected = [i for i in (ids[j] for j in np.argsort(-sims)) if i in year_2023][:5]
        assert pgvector.vector_search(connection, vec, 5, allowed=year_2023)[0] == expected
        monkeypatch.setattr(pgvector, "EXACT_FILTERED_MAX", 0)
        assert pgvector.vector_search(connection, vec, 5, allowed=year_2023)[0] == expected
        monkeypatch.undo()
        assert allowed


def test_superseded_vectors_do_not_shorten_the_results(
    embedded: None, caching_embedder: Embedder
) -> None:
    """Every re-embedding (a model change, a title edit) leaves the old row's entry in the
    HNSW index until VACUUM, and so does every rolled-back write; ef_search counts those
    entries too. The k nearest that readers can see must still come back, all k."""
    rows = list(
        PaperVector.objects.values_list(
            "paper_id", "model", "dim", "vector", "text_hash", "embedded_at"
        )
    )
    for _ in range(12):  # more copies than an HNSW element holds (10), each as near
        with connection.cursor() as cur:
            cur.execute(f"DELETE FROM {pg_sql.VECTOR_TABLE}")
        pgvector.store_vectors(connection, rows)
    vec = caching_embedder.encode_query("energy efficient spiking")
    k = len(rows) - 7
    with connection.cursor() as cur:
        # As at scale, or on a table whose statistics were taken at scale: the index.
        cur.execute("SET LOCAL enable_seqscan = off")
        cur.execute("SET LOCAL enable_sort = off")
    sql, params, _ = pgvector.vector_sql(vec, k)
    assert "Index Scan using search_papervector_embedding_hnsw" in plan(sql, params)
    got, scores = pgvector.vector_search(connection, vec, k)
    assert len(got) == k == len(set(got))
    assert scores == sorted(scores, reverse=True)


def test_related_papers_come_from_the_database_index(embedded: None) -> None:
    paper = Paper.objects.get(title__startswith="Efficiently Modeling Long Sequences")
    (ids, scores), method = related_ids(paper, 5)
    assert method == "embedding" and len(ids) == 5 and paper.pk not in ids
    assert scores == sorted(scores, reverse=True)
    # Nothing was loaded into this process: the in-memory index stays empty.
    assert INDEX._state is None


def test_missing_extension_is_a_clear_error() -> None:
    with connection.cursor() as cur, pytest.raises(pg_sql.PgvectorUnavailable) as err:
        pg_sql.ensure_pgvector(cur, extension="vector_not_on_this_server")
    assert str(err.value).startswith(
        "the pgvector extension is not installed on this server; install pgvector ≥ 0.5"
    )
    with connection.cursor() as cur:
        assert pg_sql.ensure_pgvector(cur) >= "0.5"


@pytest.mark.parametrize(
    "raw",
    ["'", "a & b | !c", "state:* <-> space", "(((", "\\", "x" * 10_000, '"state space'],
)
def test_tsquery_syntax_in_the_box_is_just_words(demo: None, raw: str) -> None:
    res = engine.search(raw, semantic=False)
    assert res.mode in {"keyword", "filter", "empty"}


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_another_process_searches_the_same_current_index(
    embedded: None,
    caching_embedder: Embedder,
    cli: Callable[..., Any],
    backend_database_url: str,
    tmp_path: Any,
) -> None:
    paper = Paper.objects.get(title__startswith="SpikeGPT")
    paper.abstract = "Gazpacho, a cold soup of tomatoes, cucumbers and peppers."
    paper.save()
    assert embed_missing(embedder=caching_embedder) == 1
    done = cli(
        "search",
        "cold tomato soup",
        "--json",
        "--limit",
        "3",
        data_dir=tmp_path,
        PAPERWIRE_DATABASE_URL=backend_database_url,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)[0]["paper"]["title"].startswith("SpikeGPT")


def test_hyphenated_words_match_as_on_sqlite(import_rows: Callable[[list[Any]], Any]) -> None:
    import_rows(
        [
            {"title": "Hunyuan", "summary": "A large mixture-of-experts model.", "num_authors": 1},
            {"title": "Evaluating GPT-4 on state-space tasks", "summary": "x", "num_authors": 1},
        ]
    )
    hunyuan = Paper.objects.get(title="Hunyuan").pk
    gpt = Paper.objects.get(title__startswith="Evaluating").pk
    assert kw_ids('"large mixture"') == [hunyuan]
    assert kw_ids('"mixture of experts"') == [hunyuan]
    assert kw_ids("gpt-4") == [gpt]
    assert kw_ids('"state space"') == [gpt]


def test_common_words_are_pruned_in_large_indexes(
    small_feed: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Pretend the index is large and "a word in 2 papers" is common; the probes and the
    # window of the newest papers cover the (pretended) whole index.
    monkeypatch.setattr(keyword_plan, "COMMON_DOCS", 2)
    monkeypatch.setattr(keyword_plan, "PROBE_WINDOW", 10**6)
    monkeypatch.setattr(keyword_plan, "RECENT_WINDOW", 10**6)
    tsvector.STATS.reset()
    monkeypatch.setattr(tsvector.STATS, "_size", (10**6, 1e12))
    q = parse_query("state replays")  # "state" is in 2 titles, "replays" in 1
    pruned, mode, _ = keyword_plan.plan_or_query(q, tsvector.STATS, connection)
    assert pruned.terms == ["replays"] and mode == "or"
    (ids, _), _ = keyword_search(q)
    assert [Paper.objects.get(pk=i).title for i in ids] == ["Esports Replays at Scale"]
    (ids, _), total = keyword_search(parse_query("state spaces"))
    assert total >= 1
    assert all("Spaces" in Paper.objects.get(pk=i).title for i in ids)


def test_bounded_keyword_search_equals_the_unbounded_one_on_few_matches(
    demo: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Bounding is on (the index holds more than 4 x COMMON_DOCS papers), but when every
    word is rare and the matches fit the score budget nothing is cut: the results are
    exactly the unbounded query's."""
    queries = ["spiking recurrent", "mamba selective", "diffusion video", '"state space"']
    unbounded = {raw: keyword_search(parse_query(raw)) for raw in queries}
    monkeypatch.setattr(keyword_plan, "COMMON_DOCS", 30)
    tsvector.STATS.reset()
    assert tsvector.STATS.size(connection) > 4 * keyword_plan.COMMON_DOCS
    for raw in queries:
        _, mode, low = keyword_plan.plan_or_query(parse_query(raw), tsvector.STATS, connection)
        assert mode == "or" and low is None, raw
        assert keyword_search(parse_query(raw)) == unbounded[raw], raw
    # A window of the newest papers (when the matches exceed the score budget): only
    # those are ranked, in the same order as in the unbounded ranking.
    (all_ids, _), _ = unbounded["diffusion video"]
    low = sorted(all_ids)[len(all_ids) // 2]
    monkeypatch.setattr(tsvector, "plan_or_query", lambda q, *_: (q, "or", low))
    (ids, _), total = keyword_search(parse_query("diffusion video"))
    assert ids == [i for i in all_ids if i > low] and total == len(ids)
    assert 0 < len(ids) < len(all_ids)


def test_common_words_are_bounded_by_the_newest_papers(
    more_papers: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A word in every filler paper is common: beside a rare word it is dropped; with
    only common words they are all required among the newest RECENT_WINDOW papers,
    without ts_rank (titles holding every word first)."""
    monkeypatch.setattr(keyword_plan, "COMMON_DOCS", 100)
    monkeypatch.setattr(keyword_plan, "RECENT_WINDOW", 500)
    tsvector.STATS.reset()
    top = Paper.objects.order_by("-pk").values_list("pk", flat=True).first()
    assert top is not None
    # "filler" and "particular" are in all 3,000 filler papers; "spiking" in demo papers.
    (ids, _), _ = keyword_search(parse_query("filler spiking"))
    assert ids and all("Filler" not in Paper.objects.get(pk=i).title for i in ids)
    (ids, scores), total = keyword_search(parse_query("filler particular"), limit=50)
    assert len(ids) == 50 and total == 50
    assert min(ids) > top - 500 and ids == sorted(ids, reverse=True)
    assert set(scores) == {1.0}  # "particular" is only in the abstracts
    (ids, scores), _ = keyword_search(parse_query("filler paper"), limit=50)
    assert len(ids) == 50 and min(ids) > top - 500 and set(scores) == {2.0}
    # The plan reads the window through the primary key, not every match.
    built = tsvector.tsquery(parse_query("filler particular"), "and")
    assert built is not None
    explained = plan(
        f"SELECT paper_id FROM search_paper_doc d WHERE d.document @@ {built[0]} "
        "AND d.paper_id > %s ORDER BY d.paper_id DESC LIMIT 50",
        [*built[1], top - 500],
    )
    assert "search_paper_doc_pkey" in explained, explained


def test_papers_columns_can_still_change_type(import_rows: Callable[[list[Any]], Any]) -> None:
    """The triggers name no columns, so a later migration may widen them."""
    with connection.cursor() as cur:
        cur.execute("ALTER TABLE papers_paper ALTER COLUMN title TYPE varchar(2000)")
        cur.execute("ALTER TABLE papers_author ALTER COLUMN name TYPE varchar(400)")
        cur.execute("ALTER TABLE papers_paperauthor ALTER COLUMN position TYPE bigint")
    import_rows([{"title": "Gazpacho soup", "summary": "x", "authors": [{"name": "Ada"}]}])
    paper = Paper.objects.get()
    assert kw_ids("gazpacho") == [paper.pk] and kw_ids("ada") == [paper.pk]
    Paper.objects.filter(pk=paper.pk).update(hidden=True)  # no text changed
    assert document(paper.pk)["gazpacho"] == "A"


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_cli_embed_and_search_on_postgresql(
    cli: Callable[..., Any], backend_database_url: str, tmp_path: Any
) -> None:
    def run(*args: str) -> Any:
        done = cli(
            *args, data_dir=tmp_path, timeout=180, PAPERWIRE_DATABASE_URL=backend_database_url
        )
        assert done.returncode == 0, done.stdout + done.stderr
        return done

    run("load-demo")
    out = run("search", "temporal reasoning")
    assert "keyword search" in out.stdout and "embedding" in out.stderr
    assert "Embedded 137" in run("embed", "--quiet").stdout
    assert search_backend().vector_count() == 137
    out = run("search", "brain-inspired energy efficient text generator")
    assert "hybrid search" in out.stdout
    assert "SpikeGPT" in out.stdout.splitlines()[1]
    run("search", '"NEAR(* ^ & | !')


def _watch_vector_threads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the threads pgvector queries run in, from now on."""
    import threading

    threads: list[str] = []
    real = pgvector.vector_search

    def watched(*args: Any, **kwargs: Any) -> Any:
        threads.append(threading.current_thread().name)
        return real(*args, **kwargs)

    monkeypatch.setattr(pgvector, "vector_search", watched)
    return threads


@pytest.mark.django_db(transaction=True)
def test_the_semantic_half_runs_beside_the_keyword_half(
    embedded: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Outside a transaction the vector query runs in the embedding thread, on its own
    connection, while this one runs the keyword query; the results are the same."""
    import threading

    from django.db import DatabaseError

    queries = [
        "state space models",
        "video generation",
        "spiking neural networks",
        "cat:cs.CV video",
    ]
    real = pgvector.vector_search
    threads = _watch_vector_threads(monkeypatch)
    beside = {q: (engine.search(q).ids[:10], engine.search(q).mode) for q in queries}
    assert threads and {t.startswith("paperwire-query-embed") for t in threads[:2]} == {True}
    # With a filter (its allowed ids come from this connection) it stays on this thread.
    assert not threads[-1].startswith("paperwire-query-embed")

    monkeypatch.setattr(engine, "_dense_beside_ok", lambda q: False)
    assert {q: (engine.search(q).ids[:10], engine.search(q).mode) for q in queries} == beside
    assert all(beside[q][1] == "hybrid" for q in queries[:3])

    # A failing connection in the thread: this thread searches instead, same results.
    monkeypatch.setattr(engine, "_dense_beside_ok", lambda q: True)
    failed: list[int] = []

    def broken(*args: Any, **kwargs: Any) -> Any:
        if threading.current_thread().name.startswith("paperwire-query-embed"):
            failed.append(1)
            raise DatabaseError("server closed the connection unexpectedly")
        return real(*args, **kwargs)

    monkeypatch.setattr(pgvector, "vector_search", broken)
    assert engine.search(queries[0]).ids[:10] == beside[queries[0]][0]
    assert failed == [1]


def test_inside_a_transaction_the_semantic_half_stays_on_this_connection(
    embedded: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another connection would not see this transaction's writes (here: the demo)."""
    import threading

    threads = _watch_vector_threads(monkeypatch)
    assert connection.in_atomic_block
    res = engine.search("state space models")
    assert res.mode == "hybrid" and res.ids
    assert threads == [threading.current_thread().name]


def test_a_rare_word_counts_for_more_than_a_common_one(db: None) -> None:
    """Each word's ts_rank is weighted by its idf: ts_rank alone ranked papers with a
    common word in the title above the one paper with the query's rare word."""
    from paperwire.search.engine import reset_caches

    def paper(n: int, title: str, abstract: str) -> Paper:
        return Paper.objects.create(
            public_id=f"idf-{n}", title=title, title_key=f"idf {n}", abstract=abstract
        )

    common = [
        paper(i, f"Transformer transformer study {i}", "A transformer for transformers.")
        for i in range(8)
    ]
    rare = paper(99, "A study of marsupials", "We count every quokka on one island.")
    reset_caches()
    ids, scores = keyword_search(parse_query("transformer quokka"))[0]
    assert ids[0] == rare.pk, "the paper with the rare word comes first"
    assert set(ids) == {rare.pk, *(p.pk for p in common)}
    assert scores == sorted(scores, reverse=True)
    # What ts_rank alone gave: every common-word title above the rare word.
    with connection.cursor() as cur:
        either = "to_tsquery('english', 'transformer | quokka')"
        cur.execute(
            f"SELECT paper_id FROM search_paper_doc d WHERE d.document @@ {either} "
            f"ORDER BY ts_rank('{tsvector.RANK_WEIGHTS}', d.document, {either}, 1) DESC"
        )
        plain = [r[0] for r in cur.fetchall()]
    assert plain.index(rare.pk) == len(common)
    assert tsvector.idf(9, 1) > 4 * tsvector.idf(9, 8)
