"""Simulations of the disparity check, shared by tests/core/test_disparity.py (small, seeded)
and bench/bench_disparity.py (large): outcomes drawn from a calibrated score, so no group can
be mis-graded, and one group planted over-graded."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from eventrisk.demo import PLANT_STRENGTH
from eventrisk.disparity import judge


def true_curve(scores: np.ndarray) -> np.ndarray:
    """A calibrated score-to-trouble curve that is not a logistic in the score (so the desk's
    fitted curve never matches it by construction), with about the demo's trouble rate (one
    event in five)."""
    return np.clip(0.05 + 0.6 * (np.asarray(scores, dtype=float) / 200) ** 1.4, 0.0, 0.95)


@dataclass
class Layout:
    """A desk's events: score, borough and event type indices, and which are planted."""

    scores: np.ndarray
    borough: np.ndarray
    event_type: np.ndarray
    planted: np.ndarray  # bool

    @property
    def groups(self) -> list[np.ndarray]:
        return [self.borough, self.event_type]


def synthetic_layout(rng: np.random.Generator, boroughs: int = 12, types: int = 4,
                     planted_events: int = 0) -> Layout:
    """Boroughs of 40 to 700 events whose scores (and so trouble rates) differ widely, event
    types that shift the score, and, with ``planted_events``, one more borough of that many
    events scored like the rest of the desk."""
    sizes = rng.integers(40, 700, boroughs)
    means = rng.uniform(25, 115, boroughs)
    shift = rng.uniform(-15, 15, types)
    borough = np.repeat(np.arange(boroughs), sizes)
    centre = means[borough]
    if planted_events:
        borough = np.concatenate([borough, np.full(planted_events, boroughs)])
        centre = np.concatenate([centre, rng.choice(means, planted_events)])
    event_type = rng.integers(0, types, len(borough))
    scores = np.clip(np.rint(centre + shift[event_type] + rng.normal(0, 30, len(borough))),
                     0, 200)
    return Layout(scores, borough, event_type, borough == boroughs if planted_events
                  else np.zeros(len(borough), dtype=bool))


def draw(rng: np.random.Generator, layout: Layout, curve=true_curve,
         strength: float = PLANT_STRENGTH) -> np.ndarray:
    """Outcomes: each event has trouble with its score's chance on ``curve``; a planted event
    with ``strength`` times that (it is over-graded: less trouble than its score says)."""
    chance = curve(layout.scores) * np.where(layout.planted, strength, 1.0)
    return rng.random(len(chance)) < chance


def runs(seed: int, count: int, layout_of, curve=true_curve,
         strength: float = PLANT_STRENGTH) -> tuple[float, float, int]:
    """(share of runs naming any innocent group, share naming the planted group over-graded,
    groups judged in the last run).  ``layout_of(rng)`` gives each run's layout."""
    rng = np.random.default_rng(seed)
    false_alarm = found = 0
    judged = 0
    for _ in range(count):
        layout = layout_of(rng)
        outcomes = draw(rng, layout, curve, strength)
        verdict = judge(layout.scores, outcomes, layout.groups)
        judged = int(verdict.judged.sum())
        sizes = [int(g.max()) + 1 for g in layout.groups]
        planted_index = int(layout.borough[layout.planted][0]) if layout.planted.any() else -1
        innocent = np.ones(sum(sizes), dtype=bool)
        if planted_index >= 0:
            innocent[planted_index] = False
        false_alarm += bool((verdict.named[innocent] != 0).any())
        found += planted_index >= 0 and verdict.named[planted_index] == -1
    return false_alarm / count, found / count, judged
