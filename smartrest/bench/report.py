"""The report of a run: the machine, the tables as text, JSON and a plot."""

from __future__ import annotations

import importlib
import os
import platform
from typing import Any, Dict, List, Optional, Sequence, Tuple

import smartrest

from .contenders import FOOTNOTES, TASKS, c_missing
from .corpora import SIZES, Corpus
from .runner import Result, Settings


def machine() -> Dict[str, Any]:
    """CPU model, cores, Python and library versions."""
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    versions = {}
    for name in ("numpy", "pyarrow"):
        try:
            versions[name] = importlib.import_module(name).__version__
        except ImportError:
            versions[name] = None
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "platform": platform.platform(),
        "smartrest": smartrest.__version__,
        "c_extension": c_missing() is None,
        "c_extension_note": c_missing(),
        "default_implementation": smartrest.IMPLEMENTATION,
        **versions,
    }


def _rate(x: Optional[float]) -> str:
    if x is None:
        return ""
    if x >= 1e6:
        return f"{x / 1e6:.2f} M"
    if x >= 1e3:
        return f"{x / 1e3:.1f} k"
    return f"{x:.0f}"


def format_header(info: Dict[str, Any], settings: Settings) -> str:
    """The lines above the tables: machine, versions, how times are taken."""
    lines = [
        "smartrest bench",
        f"CPU: {info['cpu']} ({info['cores']} cores)",
        f"Python: {info['python']} on {info['platform']}",
        f"smartrest {info['smartrest']}: C extension "
        f"{'in use' if info['c_extension'] else 'off (' + info['c_extension_note'] + ')'}; "
        f"numpy {info['numpy'] or '-'}, "
        f"pyarrow {info['pyarrow'] or '-'}",
        f"Timing: best of {settings.repeat} interleaved rounds of at least {settings.min_time:g} s each, "
        "GC off.",
        "MB/s counts payload bytes (MB = 10^6 bytes), rows/s the rows of the exact decode; "
        "vs: speed ratio to the baseline, above 1 is faster.",
    ]
    return "\n".join(lines) + "\n"


def format_group(group: Sequence[Result], corpora: Sequence[Corpus], notes: List[str]) -> str:
    """The table of one task, corpus and size (``group``, non-empty).

    ``notes`` collects the footnotes in the order they are first used, across
    tables; each label carries the number of its footnote.
    """
    described = {(c.name, c.size): c for c in corpora}
    first = group[0]
    task = TASKS[first.task]
    lines = ["", f"{first.task} · {first.corpus} · {first.size}: {task.title}",
             f"  {described[first.corpus, first.size].describe()}"]
    base = next((k.label for k in task.contenders if k.key == task.baseline), "")
    table: List[List[str]] = [["contender", f"vs {base}", "MB/s", "rows/s", "exact"]]
    for r in group:
        label = r.label
        if r.footnote:
            if r.footnote not in notes:
                notes.append(r.footnote)
            label += f" [{notes.index(r.footnote) + 1}]"
        if r.status != "ok":
            table.append([label, "", "", "", f"{r.status}: {r.reason}"])
            continue
        table.append([label, f"{r.ratio:.2f}x" if r.ratio else "", f"{r.mb_per_s:,.1f}",
                      _rate(r.rows_per_s), "yes" if r.correct else "no"])
    # The last column is left open: it holds the reason a contender did not run.
    widths = [max(len(row[i]) for row in table) for i in range(len(table[0]) - 1)]
    widths.append(len(table[0][-1]))
    for n, row in enumerate(table):
        cells = [row[0].ljust(widths[0])] + [cell.rjust(w) for cell, w in
                                              zip(row[1:-1], widths[1:-1])]
        lines.append("  " + "  ".join(cells + [row[-1]]).rstrip())
        if n == 0:
            lines.append("  " + "-" * (sum(widths) + 2 * (len(widths) - 1)))
    return "\n".join(lines) + "\n"


def format_footer(notes: Sequence[str], targets: Sequence[Dict[str, Any]] = ()) -> str:
    """The lines below the tables: what "exact" means, the footnotes, the
    ``targets`` (from :func:`smartrest.bench.targets.target_ratios`) if any."""
    lines = ["", "exact: the output equals the rows the payloads were encoded from "
             "(encode: the exact decode of the output gives the input rows back)."]
    lines += [f"[{i + 1}] {FOOTNOTES[n]}" for i, n in enumerate(notes)]
    if targets:
        lines += ["", "Targets (speed ratios from this run, above 1 is faster):"]
    for t in targets:
        ratio = f"{t['ratio']:.2f}x" if t["ratio"] is not None else f"n/a ({t['reason']})"
        lines.append(f"  {t['label']}, {t['corpus']} {t['size']}: {ratio}")
    return "\n".join(lines) + "\n"


def groups(results: Sequence[Result]) -> List[List[Result]]:
    """``results`` cut into runs of one task, corpus and size."""
    out: List[List[Result]] = []
    for r in results:
        if not out or (r.task, r.corpus, r.size) != (out[-1][0].task, out[-1][0].corpus,
                                                     out[-1][0].size):
            out.append([])
        out[-1].append(r)
    return out


def format_report(info: Dict[str, Any], corpora: Sequence[Corpus],
                  results: Sequence[Result], settings: Settings,
                  targets: Sequence[Dict[str, Any]] = ()) -> str:
    """The whole report as text: :func:`format_header`, one table per task,
    corpus and size (:func:`format_group`), :func:`format_footer`."""
    notes: List[str] = []
    body = "".join(format_group(g, corpora, notes) for g in groups(results))
    return format_header(info, settings) + body + format_footer(notes, targets)


def report_json(info: Dict[str, Any], corpora: Sequence[Corpus], results: Sequence[Result],
                settings: Settings, targets: Sequence[Dict[str, Any]] = ()) -> Dict[str, Any]:
    """The run as a JSON-ready dict (schema 1); ``targets`` as for
    :func:`format_report` (an empty list when there are none)."""
    return {
        "schema": 1,
        "machine": info,
        "settings": {"repeat": settings.repeat, "min_time": settings.min_time,
                     "seed": settings.seed, "totals": settings.totals},
        "corpora": [c.summary() for c in corpora],
        "results": [vars(r) for r in results],
        "targets": list(targets),
        "footnotes": FOOTNOTES,
    }


def plot(results: Sequence[Result], path: str) -> None:
    """Bar charts of MB/s per contender and payload size, one per task and corpus.

    Raises:
        ImportError: matplotlib is not installed.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    groups: Dict[Tuple[str, str], List[Result]] = {}
    for r in results:
        if r.mb_per_s is not None:
            groups.setdefault((r.task, r.corpus), []).append(r)
    fig, axes = plt.subplots(max(len(groups), 1), 1, figsize=(11, 3.2 * max(len(groups), 1)),
                             squeeze=False)
    for ax, ((task, name), group) in zip(axes.flat, groups.items()):
        sizes = [s for s in SIZES if any(r.size == s for r in group)]
        labels = list(dict.fromkeys(r.label for r in group))
        width = 0.8 / len(labels)
        for i, label in enumerate(labels):
            by_size = {r.size: r.mb_per_s for r in group if r.label == label}
            xs = [j + i * width for j, s in enumerate(sizes) if s in by_size]
            ax.bar(xs, [by_size[s] for s in sizes if s in by_size], width, label=label)
        ax.set_xticks([j + 0.4 - width / 2 for j in range(len(sizes))], sizes)
        ax.set_yscale("log")
        ax.set_ylabel("MB/s (log)")
        ax.set_title(f"{task} · {name}")
        ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1))
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
