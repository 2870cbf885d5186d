"""The report's plots as inline SVG, drawn on the server: no script, no library, nothing fetched.

Every piece is built by _tag, which escapes each text value put into it with markupsafe, so task
ids and criterion names from record files cannot break out of an attribute or a <title>."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Sequence

from markupsafe import Markup, escape

from harness.view.model import OUTCOMES, Episode
from harness.view.summary import Group

# Okabe-Ito colours: told apart with the common kinds of colour blindness.
COLOURS = {"passed": "#0072B2", "failed": "#D55E00", "ungraded": "#999999", "unverified": "#CC79A7",
           "error": "#E69F00", "not graded": "#DDDDDD"}
MET, FAILED, MIXED, UNDECIDED = "#0072B2", "#D55E00", "#F0E442", "#999999"
_FONT = 'font-family="system-ui, sans-serif" font-size="12"'


def _tag(template: str, *args: object, **kwargs: object) -> Markup:
    """``template`` (a constant) filled with ``args``: text escaped, Markup kept, numbers formatted.
    str.format with markupsafe's escape, rather than Markup.format, because it is ten times faster
    and a heat map draws a thousand cells."""
    def safe(value: object) -> object:
        return escape(value) if isinstance(value, str) else value

    return Markup(template.format(*[safe(a) for a in args], **{k: safe(v) for k, v in kwargs.items()}))


def _svg(width: float, height: float, label: str, body: Markup) -> Markup:
    return _tag('<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="{label}" width="{w:.0f}" '
                'height="{h:.0f}" viewBox="0 0 {w:.0f} {h:.0f}" ' + _FONT + '><title>{label}</title>{body}</svg>',
                label=label, w=width, h=height, body=body)


def _text(x: float, y: float, text: str, anchor: str = "start", extra: str = "") -> Markup:
    return _tag('<text x="{:.1f}" y="{:.1f}" text-anchor="{}"{}>{}</text>', x, y, anchor, Markup(extra), text)


def legend(entries: Sequence[tuple[str, str]]) -> Markup:
    """A legend as HTML (it wraps with the page), one swatch per (label, colour)."""
    items = Markup("").join(
        _tag('<span class="swatch"><svg width="12" height="12" aria-hidden="true"><rect width="12" height="12" '
             'fill="{}"/></svg>{}</span>', colour, label) for label, colour in entries)
    return _tag('<p class="legend">{}</p>', items)


def outcome_legend(outcomes: Sequence[str]) -> Markup:
    return legend([(o, COLOURS[o]) for o in OUTCOMES if o in outcomes])


def pass_rate_bars(groups: Sequence[Group], title: str) -> Markup:
    """Horizontal bars of pass rate with 95 % interval whiskers, one per group."""
    left, bar, row = 170, 280, 26
    height = 30 + row * len(groups)
    parts = [_tag('<line x1="{0}" y1="8" x2="{0}" y2="{1}" stroke="#ccc"/>', left + bar * t / 4, height - 18)
             for t in range(5)]
    parts += [_text(left + bar * t / 4, height - 4, f"{25 * t} %", "middle") for t in range(5)]
    for i, g in enumerate(groups):
        y = 10 + row * i
        parts.append(_text(left - 8, y + 13, g.name, "end"))
        if g.pass_rate is None:
            parts.append(_text(left + 4, y + 13, f"no graded episodes ({g.episodes})", extra=' fill="#555"'))
            continue
        parts.append(_tag('<rect x="{}" y="{}" width="{:.1f}" height="16" fill="{}"><title>{}: {:.1f} % of {} '
                          'graded</title></rect>', left, y + 2, bar * g.pass_rate, COLOURS["passed"], g.name,
                          100 * g.pass_rate, g.graded))
        if g.pass_interval is not None:
            lo, hi = left + bar * g.pass_interval.low, left + bar * g.pass_interval.high
            parts.append(_tag('<path d="M{0:.1f} {1} V{2} M{0:.1f} {3} H{4:.1f} M{4:.1f} {1} V{2}" stroke="#222" '
                              'stroke-width="1.5" fill="none"/>', lo, y + 4, y + 16, y + 10, hi))
        parts.append(_text(left + bar + 8, y + 13, f"{100 * g.pass_rate:.0f} % (n={g.graded})"))
    return _svg(left + bar + 110, height, title, Markup("").join(parts))


def _cell_colour(verdicts: list[bool | None]) -> tuple[str, str]:
    decided = [v for v in verdicts if v is not None]
    met = sum(decided)
    text = f"met {met}, failed {len(decided) - met}, ungraded {len(verdicts) - len(decided)}"
    if not decided:
        return UNDECIDED, text
    return (MET if met == len(decided) else FAILED if met == 0 else MIXED), text


def heatmap(episodes: Sequence[Episode], title: str) -> Markup:
    """Tasks (columns, grouped by category) by criteria (rows, in rubric order): met, failed, mixed
    over trials, or ungraded. Each cell links to the task's first episode."""
    verdicts: dict[str, dict[int, list[bool | None]]] = defaultdict(lambda: defaultdict(list))
    names: dict[tuple[str, int], str] = {}
    first: dict[str, Episode] = {}
    for e in episodes:
        first.setdefault(e.task_id, e)
        for position, criterion in enumerate(e.grade.criteria if e.grade else []):
            verdicts[e.task_id][position].append(criterion.met)
            names.setdefault((e.task_id, position), criterion.id)
    tasks = sorted(first, key=lambda t: (first[t].category, t))
    rows = max((len(v) for v in verdicts.values()), default=0)
    if not tasks or not rows:
        return Markup('<p class="muted">No criteria graded yet.</p>')
    cell = max(4.0, min(16.0, 1100 / len(tasks)))
    top, left = 8, 34
    parts = [_text(left - 6, top + cell * r + cell * 0.75, f"c{r + 1}", "end", ' font-size="10"') for r in range(rows)
             if cell >= 8 or r % 2 == 0]
    for column, task in enumerate(tasks):
        x = left + column * cell
        for position, found in sorted(verdicts[task].items()):
            colour, text = _cell_colour(found)
            parts.append(_tag('<a href="#{}" tabindex="-1"><rect x="{:.1f}" y="{:.1f}" width="{:.1f}" height="{:.1f}" '
                              'fill="{}" stroke="#fff" stroke-width="0.5"><title>{} · {}: {}</title></rect></a>',
                              first[task].anchor, x, top + position * cell, cell, cell, colour, task,
                              names[(task, position)], text))
    bottom = top + rows * cell + 4
    start = 0
    for column in range(1, len(tasks) + 1):  # a bracket and a name under each category's columns
        if column == len(tasks) or first[tasks[column]].category != first[tasks[start]].category:
            x0, x1 = left + start * cell, left + column * cell
            parts.append(_tag('<path d="M{:.1f} {} H{:.1f}" stroke="#555"/>', x0 + 1, bottom, x1 - 1))
            parts.append(_text((x0 + x1) / 2, bottom + 14, first[tasks[start]].category, "middle", ' font-size="11"'))
            start = column
    return _svg(left + len(tasks) * cell + 10, bottom + 22, title, Markup("").join(parts))


def _bins(values: Sequence[float], most: int = 30) -> tuple[float, int]:
    """A bin width (whole numbers for counts) and how many bins cover 0 .. max(values)."""
    top = max(values, default=0)
    width = max(1, math.ceil((top + 1) / most)) if all(float(v).is_integer() for v in values) else (top or 1) / most
    return width, max(1, math.floor(top / width) + 1)


def histogram(episodes: Sequence[Episode], value: Callable[[Episode], float], title: str, unit: str) -> Markup:
    """How many episodes fall in each bin of ``value``, stacked by outcome."""
    width, count = _bins([value(e) for e in episodes])
    stacks: list[dict[str, int]] = [defaultdict(int) for _ in range(count)]
    for e in episodes:
        stacks[min(count - 1, int(value(e) // width))][e.outcome] += 1
    tallest = max((sum(s.values()) for s in stacks), default=1) or 1
    left, plot_w, plot_h, top = 36, 380, 120, 8
    bar = plot_w / count
    parts = [_text(left - 4, top + 10, str(tallest), "end"), _text(left - 4, top + plot_h, "0", "end"),
             _tag('<line x1="{0}" y1="{1}" x2="{2}" y2="{1}" stroke="#555"/>', left, top + plot_h, left + plot_w)]
    for i, stack in enumerate(stacks):
        y: float = top + plot_h
        low = i * width
        span = f"{low:g}" if width == 1 else f"{low:g}–{low + width:g}"
        for outcome in OUTCOMES:
            n = stack.get(outcome, 0)
            if not n:
                continue
            h = plot_h * n / tallest
            y -= h
            parts.append(_tag('<rect x="{:.1f}" y="{:.1f}" width="{:.1f}" height="{:.1f}" fill="{}"><title>{} {}: {} '
                              '{} episode(s)</title></rect>', left + i * bar + 0.5, y, max(bar - 1, 1), h,
                              COLOURS[outcome], span, unit, n, outcome))
    for i in range(0, count, max(1, count // 6)):
        parts.append(_text(left + (i + 0.5) * bar, top + plot_h + 14, f"{i * width:g}", "middle"))
    parts.append(_text(left + plot_w / 2, top + plot_h + 30, unit, "middle", ' fill="#555"'))
    return _svg(left + plot_w + 10, top + plot_h + 36, title, Markup("").join(parts))


def cost_bars(episodes: Sequence[Episode], title: str) -> Markup:
    """Each episode's cost, most expensive first, coloured by outcome."""
    costly = sorted((e for e in episodes if e.record is not None), key=lambda e: -e.cost)
    if not costly or costly[0].cost <= 0:
        return Markup('<p class="muted">No cost recorded: every episode cost $0 (a scripted model, or no price known).</p>')
    left, plot_w, plot_h, top = 56, 600, 120, 8
    bar = plot_w / len(costly)
    peak = costly[0].cost
    parts = [_text(left - 4, top + 10, f"${peak:.4g}", "end"), _text(left - 4, top + plot_h, "$0", "end")]
    for i, e in enumerate(costly):
        h = plot_h * e.cost / peak
        parts.append(_tag('<a href="#{}" tabindex="-1"><rect x="{:.2f}" y="{:.1f}" width="{:.2f}" height="{:.1f}" '
                          'fill="{}"><title>{}: ${:.4f} ({})</title></rect></a>', e.anchor, left + i * bar,
                          top + plot_h - h, max(bar - 0.3, 0.5), h, COLOURS[e.outcome], e.key, e.cost, e.outcome))
    parts.append(_text(left + plot_w / 2, top + plot_h + 16, f"{len(costly)} episodes, most expensive first", "middle",
                       ' fill="#555"'))
    return _svg(left + plot_w + 10, top + plot_h + 24, title, Markup("").join(parts))
