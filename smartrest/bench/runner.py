"""One benchmark run: the plan of tasks, corpora and sizes, each contender's
result record, and the progress bar."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Optional, Tuple

from .contenders import TASKS, Contender, Task
from .corpora import Corpus, build_corpus
from .timing import measure_all


@dataclass
class Settings:
    """What one run measures, and how long (from the options of ``smartrest bench``)."""

    tasks: Tuple[str, ...]
    corpora: Tuple[str, ...]
    sizes: Tuple[str, ...]
    contenders: Optional[Tuple[str, ...]]
    totals: Dict[str, int]
    repeat: int
    min_time: float
    seed: int


@dataclass
class Result:
    """One contender on one task, corpus and size: its speed and correctness."""

    task: str
    corpus: str
    size: str
    contender: str
    label: str
    status: str  # "ok", "skipped" or "error"
    reason: Optional[str] = None
    seconds: Optional[float] = None
    bytes: int = 0
    rows: int = 0
    mb_per_s: Optional[float] = None
    rows_per_s: Optional[float] = None
    baseline: Optional[str] = None
    ratio: Optional[float] = None  # speed relative to the baseline
    correct: Optional[bool] = None
    exact_claimed: bool = True
    footnote: Optional[str] = None


class Progress:
    """Progress on stderr: a one-line bar on a terminal; elsewhere (a log, a
    pipe) one plain line per table as its timing starts; nothing when not
    ``enabled``."""

    def __init__(self, total: int, enabled: bool, terminal: bool = True) -> None:
        self.total = max(total, 1)
        self.done = 0
        self.enabled = enabled
        self.terminal = terminal

    def show(self, what: str) -> None:
        if not self.enabled or not self.terminal:
            return
        width = 24
        filled = width * self.done // self.total
        line = f"[{'#' * filled}{'.' * (width - filled)}] {self.done}/{self.total} {what}"
        sys.stderr.write("\r\x1b[K" + line[:110])
        sys.stderr.flush()

    def step(self, what: str) -> None:
        """A milestone: on a terminal the bar, elsewhere a line of its own."""
        if self.enabled and not self.terminal:
            sys.stderr.write(f"smartrest bench: [{self.done}/{self.total}] {what}\n")
            sys.stderr.flush()
        else:
            self.show(what)

    def clear(self) -> None:
        """Clear the bar before other output is written to the terminal."""
        if self.enabled and self.terminal:
            sys.stderr.write("\r\x1b[K")
            sys.stderr.flush()

    def advance(self) -> None:
        self.done += 1

    def finish(self) -> None:
        if self.enabled and self.terminal:
            sys.stderr.write("\r\x1b[K")
            sys.stderr.flush()


def _plan(settings: Settings) -> List[Tuple[Task, str, str]]:
    return [(task, name, size)
            for task in (TASKS[t] for t in settings.tasks)
            for name in task.corpora if name in settings.corpora
            for size in task.sizes if size in settings.sizes]


def _selected(task: Task, corpus: str, size: str, settings: Settings) -> List[Contender]:
    return [k for k in task.contenders if k.applies(corpus, size)
            and (settings.contenders is None or k.key in settings.contenders)]


def _prepare(task: Task, k: Contender, c: Corpus, expected: Any
             ) -> Tuple[Result, Optional[Callable[[], Any]]]:
    """The contender's result record and its timed call (None if it cannot run)."""
    result = Result(task.name, c.name, c.size, k.key, k.label, "ok", bytes=c.nbytes,
                    rows=len(c.rows), exact_claimed=k.exact, footnote=k.footnote)
    reason = k.missing()
    if reason is not None:
        result.status, result.reason = "skipped", reason
        return result, None
    try:
        call = k.make(c)
        result.correct = k.output(call()) == expected  # also the warm-up call
    except Exception as exc:  # a contender that breaks must not end the run
        result.status, result.reason = "error", f"{type(exc).__name__}: {exc}"
        return result, None
    return result, call


def benchmark(settings: Settings, progress: Progress,
              on_group: Optional[Callable[[List[Result], List[Corpus]], None]] = None
              ) -> Tuple[List[Corpus], List[Result]]:
    """Run every selected task, corpus, size and contender.

    The contenders of one task, corpus and size are timed with their rounds
    interleaved (:func:`measure_all`); ``on_group`` is called with their
    results (and the corpora so far) as soon as they are measured.
    """
    plan = _plan(settings)
    corpora: Dict[Tuple[str, str], Corpus] = {}
    progress.total = max(sum(len(_selected(*step, settings)) for step in plan), 1)
    results: List[Result] = []
    for task, name, size in plan:
        if (name, size) not in corpora:
            progress.show(f"generating {name} {size}")
            corpora[name, size] = build_corpus(name, size, settings.totals[size], settings.seed)
        c = corpora[name, size]
        expected = task.expected(c)
        group = []
        timed = []
        for k in _selected(task, name, size, settings):
            progress.show(f"{task.name} {name} {size}: {k.label}")
            result, call = _prepare(task, k, c, expected)
            group.append(result)
            if call is not None:
                timed.append((result, call))
            progress.advance()
        progress.step(f"{task.name} {name} {size}: timing {len(timed)} contenders")
        try:
            seconds = measure_all([call for _, call in timed], repeat=settings.repeat,
                                  min_time=settings.min_time)
        except Exception as exc:  # pragma: no cover - the warm-up call succeeded
            for result, _ in timed:
                result.status, result.reason = "error", f"{type(exc).__name__}: {exc}"
            seconds = []
        for (result, _), sec in zip(timed, seconds):
            result.seconds = sec
            result.mb_per_s = c.nbytes / sec / 1e6
            result.rows_per_s = len(c.rows) / sec
        base = next((r.seconds for r in group if r.contender == task.baseline), None)
        for r in group:
            if base is not None and r.seconds is not None:
                r.baseline = next(k.label for k in task.contenders if k.key == task.baseline)
                r.ratio = base / r.seconds
        results += group
        if on_group is not None:
            progress.clear()
            on_group(group, list(corpora.values()))
    progress.finish()
    return list(corpora.values()), results
