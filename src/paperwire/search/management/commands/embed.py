"""`paperwire embed`: compute the missing paper embeddings, in batches, resumably."""

from __future__ import annotations

import os
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TimeRemainingColumn

from paperwire.progresslines import lines_to
from paperwire.search.embeddings import (
    KERNELS,
    MODEL_KEY,
    Embedder,
    EmbedderPool,
    EmbeddingUnavailable,
)
from paperwire.search.vectors import count_missing, embed_missing


class Command(BaseCommand):
    help = (
        "Embed every paper without a current vector (new, changed, or made by another "
        "model). Each batch is committed: interrupt and re-run to resume."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch-size", type=int, default=64, help="papers per commit")
        parser.add_argument("--limit", type=int, default=None, help="embed at most N papers")
        parser.add_argument(
            "--processes",
            type=int,
            default=0,
            help="embedding processes (default: one a core; one when --threads is given)",
        )
        parser.add_argument(
            "--threads",
            type=int,
            default=0,
            help="ONNX Runtime threads in each process (default: 1, or every core in one process)",
        )
        parser.add_argument("--quiet", action="store_true", help="no progress bar")

    def handle(self, *args: Any, **opts: Any) -> None:
        if opts["batch_size"] < 1:
            raise CommandError("--batch-size must be at least 1")
        if opts["processes"] < 0 or opts["threads"] < 0:
            raise CommandError("--processes and --threads must be positive")
        todo = count_missing()
        if opts["limit"] is not None:
            todo = min(todo, opts["limit"])
        if not todo:
            self.stdout.write(f"Every paper has a current vector ({MODEL_KEY}).")
            return
        cores = os.cpu_count() or 1
        processes = opts["processes"] or (1 if opts["threads"] else cores)
        if KERNELS != "int8" and not opts["processes"]:
            processes = 1  # float32 kernels batch 16 texts a call: threads do as well
        embedder: Embedder | EmbedderPool
        try:
            if processes > 1:
                embedder = EmbedderPool(processes, threads=opts["threads"] or 1)
            else:
                embedder = Embedder(threads=opts["threads"] or cores)
        except EmbeddingUnavailable as exc:
            raise CommandError(f"cannot embed: {exc}") from exc
        try:
            done = self._embed(embedder, todo, opts)
        except KeyboardInterrupt:
            raise CommandError(
                "interrupted; every finished batch is saved: run `paperwire embed` again to resume"
            ) from None
        finally:
            if isinstance(embedder, EmbedderPool):
                embedder.close()
        self.stdout.write(f"Embedded {done} paper(s) with {MODEL_KEY}.")

    def _embed(self, embedder: Embedder | EmbedderPool, todo: int, opts: dict[str, Any]) -> int:
        if opts["quiet"]:
            done = embed_missing(opts["batch_size"], embedder=embedder, limit=opts["limit"])
        elif not Console().is_terminal:
            done = self._embed_logged(embedder, todo, opts)
        else:
            with Progress(
                "[progress.description]{task.description}",
                BarColumn(),
                MofNCompleteColumn(),
                # The time left while it runs; the time it took once done.
                TimeRemainingColumn(elapsed_when_finished=True),
            ) as bar:
                task = bar.add_task("embedding papers", total=todo)
                snap: list[TaskID] = []

                def snapshot_step(stage: str, done: int, total: int) -> None:
                    # Folding the vectors into the shared snapshot (minutes at 1M).
                    if not snap:
                        snap.append(bar.add_task(f"vector snapshot: {stage}", total=total))
                    bar.update(snap[0], description=f"vector snapshot: {stage}",
                               completed=done, total=total)  # fmt: skip

                done = embed_missing(
                    opts["batch_size"],
                    embedder=embedder,
                    limit=opts["limit"],
                    progress=lambda n, _total: bar.advance(task, n),
                    snapshot_progress=snapshot_step,
                )
        return done

    def _embed_logged(
        self, embedder: Embedder | EmbedderPool, todo: int, opts: dict[str, Any]
    ) -> int:
        """Off a terminal (a log, a pipe, cron): plain lines with the real elapsed time."""
        lines = lines_to(self.stdout)
        embedded = 0

        def step(n: int, _total: int) -> None:
            nonlocal embedded
            embedded += n
            lines.update("embedding papers", embedded, todo)

        done = embed_missing(
            opts["batch_size"],
            embedder=embedder,
            limit=opts["limit"],
            progress=step,
            snapshot_progress=lambda stage, done, total: lines.update(
                f"vector snapshot: {stage}", done, total
            ),
        )
        lines.finish()
        return done
