"""Adaptive resonance: a window of recent values that no learnt category resembles.

The ideas of ARTime (Mark Hampton, 2021; github.com/markNZed/ARTimeNAB.jl, the
published NAB detector that does best on the NAB categories outside our dev
set), re-built as an online detector over one value per window:

1. Downsample. Every ``step`` windows become one sample: the block's maximum,
   or its minimum when that is further from a running mean (so a spike either
   way survives), or the block's mean when the extreme is within 10 % of it.
   ``step`` = warmup // (window * 13): ARTime fits 13 feature windows in the
   warm-up (``windows_per_pb``).
2. Normalise by the range learnt so far, discretise to 80 levels, and "chomp"
   values within 0.075 of the running median to the median (noise near the
   typical level is ignored).
3. Features of the last ``window`` samples: their Haar wavelet transform
   (shape, scaled to 0..1) and the samples themselves (level), complement coded.
4. Dual-vigilance fuzzy ART (DVFA): each category is a hyper-box; the match of
   a feature vector is ``(|x ^ w| / |w|) ** 3 * energy ** 2`` with ``energy``
   the match on the newest sample alone. Every category matching at least the
   upper vigilance ``rho_ub`` learns (fast commit, the box grows); otherwise the
   best one above the lower vigilance ``rho_lb`` spawns a new category of the
   same cluster; below ``rho_lb`` the window founds a new cluster: a candidate
   anomaly, whose confidence falls with its match and its energy (ARTime's
   formula) and must reach ``threshold`` (0.317, ARTime's published NAB
   operating point).
5. Vigilance adapts: ``rho_ub`` is the running mean of the best match (capped
   at 0.97); ``rho_lb`` climbs 19 % of the way to the lowest recent match when
   every recent match cleared it, else falls by half the mean recent shortfall
   below ``rho_ub``, never below the mean match of past anomalies. Updates run
   every half warm-up and ``1.5 * window`` samples after an anomaly.
6. Masks (reset after an anomaly): for ``1.5 * window`` samples after an
   anomaly, and after any new cluster or vigilance update until ``1.5 * window``
   samples have passed without a new cluster, a new cluster alerts only if it
   matches worse than 0.9 (0.7 once the anomaly's mask ended) of the last
   anomaly's match.

Warm-up (online, no file length): the first ``warmup`` windows are buffered as
samples; at the end their range sets the normaliser, the initial vigilance is
ARTime's (train a DVFA at 0.8 on the warm-up features ordered from least to
most typical, take the mean best match of its second half), and the ART is
trained on them without alerting. Nothing flags during the warm-up.

Unlike ARTime: the range is the range seen so far, not the whole file's (when a
sample leaves it, the range widens and every stored quantity in normalised
units, the category boxes, the feature window and the median histogram, is
mapped to the new range exactly); the warm-up is a setting in windows, not 15 %
of a file whose length a stream does not know; the median is read from the
level histogram each sample instead of ARTime's approximate walker; categories
are capped at ``categories`` (the least recently resonating one is replaced);
there is no all-ones first category; past anomalies' matches are kept as a sum
and a count.

The verdict's score is the signed confidence (sign of the newest sample against
the median) of a window that founds a new cluster, else 0.

State: scalars, the current block (< step values), the warm-up buffer (<=
warmup / step samples, emptied after the warm-up), the feature window
(``window`` floats), the 81-count level histogram, the vigilance windows (<=
1.5 * warmup / step floats) and at most ``categories`` boxes of 4 * window
floats each (rounded to 5 decimals) with their last-use index: JSON size about
``categories * 4 * window * 9`` bytes at most (37 kB for 128 categories of
window 8) plus about 2 kB.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from veilwatch.transforms.anomaly.base import Detector, Observation, State, Verdict
from veilwatch.transforms.anomaly.params import bounded

# ARTime's constants (src/ARTime.jl, AdaptiveResonanceCompact.jl)
WINDOWS_PER_WARMUP = 13  # feature windows in the probationary period (windows_per_pb)
LEVELS = 80  # discretisation levels over the range (nlevels)
CHOMP = 0.075  # distance to the median below which a sample is the median (discretize_chomp)
SPIKE_SHARE = 0.1  # a block's extreme must differ from its mean by 10 % to be kept
INITIAL_RHO = 0.80  # vigilance of the DVFA that sets the initial vigilance
RHO_UB_CAP = 0.97
RHO_LB_RISE = 0.19
SHORTFALL_MIN, SHORTFALL_CAP = 0.05, 0.37
BELOW_LAST_MASKED, BELOW_LAST = 0.90, 0.70
CONFIDENCE_UB, CONFIDENCE_LB, CONFIDENCE_ENERGY = 0.35, 0.65, 1.5
DECIMALS = 5


@dataclass(frozen=True)
class ArtParams:
    """threshold: confidence (0..1) at or above which a window founding a new
    cluster flags (ARTime's NAB threshold 0.317); warmup: windows buffered
    before the first verdict, whose range and features set the normaliser and
    the initial vigilance (also sets the downsampling step, warmup // (window
    * 13)); window: samples per feature window (a power of two, for the Haar
    transform); categories: most ART categories kept (least recently resonating
    replaced)."""

    threshold: float = bounded(0.317, min=0.0, max=1.0, help="confidence at which a new cluster flags")
    warmup: int = bounded(600, min=16, max=100_000, help="windows learnt before any flag")
    window: int = bounded(8, min=4, max=32, help="samples per feature window (power of two)")
    categories: int = bounded(128, min=8, max=1024, help="most ART categories kept")


def is_power_of_two(n: int) -> bool:
    return n > 0 and n & (n - 1) == 0


def haar(values: list[float]) -> list[float]:
    """Full orthonormal Haar transform: [approximation, coarsest detail, ..., finest details]."""
    out: list[float] = []
    approx = list(values)
    r = 1 / math.sqrt(2)
    while len(approx) > 1:
        pairs = range(0, len(approx), 2)
        detail = [(approx[i] - approx[i + 1]) * r for i in pairs]
        approx = [(approx[i] + approx[i + 1]) * r for i in pairs]
        out = detail + out
    return approx + out


def unit(values: list[float]) -> list[float]:
    """Shift to a minimum of 0 and scale to a maximum of 1 (unchanged scale if flat)."""
    lo = min(values)
    shifted = [v - lo for v in values]
    hi = max(shifted)
    return [v / hi for v in shifted] if hi else shifted


def features(window: list[float]) -> list[float]:
    """ARTime's features: Haar transform of the min-max scaled window, then the window, complement coded."""
    f = unit(haar(unit(window))) + list(window)
    return f + [1.0 - v for v in f]


def match(x: list[float], w: list[float], newest: int) -> tuple[float, float, list[float]]:
    """DVFA match of ``x`` with category box ``w``: (match, energy, x ^ w)."""
    m = [a if a < b else b for a, b in zip(x, w, strict=True)]
    nw = sum(w) or 0.001
    half = len(x) // 2
    we = w[newest] + w[newest + half]
    energy = (m[newest] + m[newest + half]) / we if we else 0.0
    return (sum(m) / nw) ** 3 * energy**2, energy, m


def similarity(a: list[float], b: list[float]) -> float:
    """ARTime's near-cosine similarity of two feature vectors (used to order the warm-up)."""
    na, nb = math.sqrt(sum(v * v for v in a)), math.sqrt(sum(v * v for v in b))
    if na == 0.0:
        return 1 - nb
    if nb == 0.0:
        return 1 - na
    return sum(x * y for x, y in zip(a, b, strict=True)) / (na * nb)


class Art(Detector):
    """ARTime's fuzzy ART over windows of recent values; a window founding a new cluster is anomalous."""

    name = "art"

    def __init__(self, params: ArtParams = ArtParams()):
        if not is_power_of_two(params.window):
            raise ValueError("window must be a power of two")
        self.params = params
        self.step = max(1, params.warmup // (params.window * WINDOWS_PER_WARMUP))
        self.trend = max(params.window + 2, params.warmup // self.step)  # warm-up length in samples
        self.mask = int(params.window * 1.5)

    def initial_state(self) -> State:
        return {"n": 0, "block": [], "ds": 0, "ma": 0.0, "warm": [], "range": None}

    # ---- sample preparation -------------------------------------------------------------------------
    def _downsample(self, state: State, block: list[float]) -> float:
        mean = sum(block) / len(block)
        ma = mean if state["ds"] == 0 else (state["ma"] + mean) / 2
        state["ma"] = ma
        hi, lo = max(block), min(block)
        ds = lo if abs(hi - ma) < abs(lo - ma) else hi
        return mean if abs(ds - mean) < SPIKE_SHARE * abs(mean) else ds

    @staticmethod
    def _median(hist: list[int]) -> int:
        half, seen = (sum(hist) + 1) // 2, 0
        for lvl, c in enumerate(hist):
            seen += c
            if seen >= half:
                return lvl
        return 0

    def _level(self, state: State, raw: float) -> float:
        """Normalise, discretise, count in the histogram, chomp to the median."""
        lo, hi = state["range"]
        x = (raw - lo) / (hi - lo) if hi > lo else 0.0
        lvl = min(LEVELS, max(0, round(x * LEVELS)))
        state["hist"][lvl] += 1
        x = lvl / LEVELS
        med = self._median(state["hist"]) / LEVELS
        return med if abs(x - med) < CHOMP else x

    def _widen(self, state: State, raw: float) -> None:
        """Widen the range to ``raw`` and map everything kept in normalised units onto the new range."""
        lo, hi = state["range"]
        nlo, nhi = min(lo, raw), max(hi, raw)
        if (nlo, nhi) == (lo, hi):
            return
        a, b = (hi - lo) / (nhi - nlo), (lo - nlo) / (nhi - nlo)
        state["range"] = [nlo, nhi]
        state["fw"] = [v * a + b for v in state["fw"]]
        hist = [0] * (LEVELS + 1)
        for lvl, c in enumerate(state["hist"]):
            if c:
                hist[min(LEVELS, round((lvl / LEVELS * a + b) * LEVELS))] += c
        state["hist"] = hist
        w, full = self.params.window, 2 * self.params.window
        cats = []
        for box in state["cats"]:
            box = list(box)
            for k in range(w, full):  # the level part; the Haar part is scale free
                low, high = box[k] * a + b, (1.0 - box[k + full]) * a + b
                box[k], box[k + full] = round(low, DECIMALS), round(1.0 - high, DECIMALS)
            cats.append(box)
        state["cats"] = cats

    # ---- the DVFA ----------------------------------------------------------------------------------
    def _train(self, art: dict, x: list[float], now: int, learning: bool = True) -> tuple[bool, float, float]:
        """One DVFA step; returns (founded a new cluster, best match, its energy)."""
        newest = 2 * self.params.window - 1
        scored = sorted(
            ((*match(x, w, newest), j) for j, w in enumerate(art["cats"])), key=lambda t: t[0], reverse=True
        )
        best, best_e = (scored[0][0], scored[0][1]) if scored else (0.0, 0.0)
        if not learning:
            return False, best, best_e
        lb, ub = art["rho"]
        resonated, new_cat = False, False
        for m, _, meet, j in scored:
            if m >= ub:
                art["cats"][j] = [round(v, DECIMALS) for v in meet]
                art["used"][j] = now
                resonated = True
            elif m >= lb and not resonated:
                new_cat = True
                break
            else:
                break
        if new_cat or not resonated:
            box = [round(v, DECIMALS) for v in x]
            if len(art["cats"]) >= self.params.categories:
                j = min(range(len(art["used"])), key=art["used"].__getitem__)
                art["cats"][j], art["used"][j] = box, now
            else:
                art["cats"].append(box)
                art["used"].append(now)
        return not resonated and not new_cat, best, best_e

    def _initial_rho(self, feats: list[list[float]]) -> float:
        """ARTime's init_rho: DVFA at 0.8 over the warm-up features, least typical first; mean late match."""
        raw = [f[: len(f) // 2] for f in feats]
        n = len(raw)
        sims = [[1.0] * n for _ in range(n)]
        for i in range(n):
            for j in range(i):
                sims[i][j] = sims[j][i] = similarity(raw[i], raw[j])
        order = sorted(range(n), key=lambda i: sum(sims[i]))
        art = {"cats": [], "used": [], "rho": [INITIAL_RHO, INITIAL_RHO]}
        matches = []
        for k, i in enumerate(order):
            matches.append(self._train(art, feats[i], k)[1])
        tail = matches[n // 2 :] or matches
        return sum(tail) / len(tail)

    # ---- ARTime's detect! --------------------------------------------------------------------------
    def _detect(self, s: State, x: list[float] | None, i: int, live: bool) -> tuple[bool, float]:
        """One sample (``i`` counts samples from 1); returns (anomaly, confidence)."""
        mask = self.mask
        after_anomaly = (i - s["last_i"]) == mask
        for_trend = (i - s["rho_i"]) >= self.trend // 2
        masked_after_anomaly = (i - s["last_i"]) <= mask
        if i > self.trend + mask and s["mask_cat"] and s["no_new"] >= mask:
            s["mask_cat"] = False
        if x is None:  # no complete feature window yet (only in the warm-up): nothing learnt or measured
            new_cluster, best, energy = True, 0.0, 0.0
        else:
            new_cluster, best, energy = self._train(s, x, i)
            s["ubm"] = [s["ubm"][0] + 1, s["ubm"][1] + (best - s["ubm"][1]) / (s["ubm"][0] + 1)]
            s["simw"] = s["simw"][1:] + [best]
            s["diffw"] = s["diffw"][1:] + [s["rho"][1] - best]
        s["no_new"] = 0 if new_cluster else s["no_new"] + 1
        if (i - s["last_i"]) < mask and s["anom"][1]:  # the smallest match while the anomaly's mask lasts
            if best < s["anom"][2]:
                s["anom"] = [s["anom"][0] + best - s["anom"][2], s["anom"][1], best]
        masking = s["mask_cat"] or masked_after_anomaly
        below_last = best < s["last_sim"] * (BELOW_LAST_MASKED if masked_after_anomaly else BELOW_LAST)
        anomaly, conf = False, 0.0
        if live and new_cluster and (not masking or below_last):
            conf = self._confidence(best, energy, s["rho"])
            anomaly = True
            s["anom"] = [s["anom"][0] + best, s["anom"][1] + 1, best]
            s["last_sim"], s["last_i"] = best, i
        s["mask_cat"] = new_cluster or s["mask_cat"]
        if live and (after_anomaly or for_trend):
            self._adapt(s, i)
        return anomaly, conf

    def _adapt(self, s: State, i: int) -> None:
        lb, _ = s["rho"]
        ub = min(RHO_UB_CAP, s["ubm"][1])
        low = min(s["simw"])
        if lb <= low:
            lb += (low - lb) * RHO_LB_RISE
        else:
            decr = 0.0
            if i > self.trend * 2:
                short = [min(SHORTFALL_CAP, d) for d in s["diffw"] if d > SHORTFALL_MIN]
                decr = sum(short) / len(short) if short else 0.0
            lb -= max(0.01, decr) / 2
            if s["anom"][1]:
                lb = max(s["anom"][0] / s["anom"][1], lb)
        s["rho"] = [min(ub, lb), ub]
        s["rho_i"] = i
        s["mask_cat"] = True

    @staticmethod
    def _confidence(best: float, energy: float, rho: list[float]) -> float:
        best = min(0.999, best)
        ub = ((1 - best) - (1 - rho[1])) / (1 - best)
        lb = ((1 - best) - (1 - rho[0])) / (1 - best)
        return min(1.0, ub * CONFIDENCE_UB + lb * CONFIDENCE_LB + (1.0 - energy) * CONFIDENCE_ENERGY)

    def _sample(self, s: State, raw: float, live: bool) -> tuple[bool, float, float]:
        """Push one downsampled sample through level, features and detection: (anomaly, confidence, level)."""
        x = self._level(s, raw)
        s["fw"] = (s["fw"] + [x])[-self.params.window :]
        s["ds"] += 1
        i = s["ds"]
        feats = features(s["fw"]) if len(s["fw"]) == self.params.window else None
        anomaly, conf = self._detect(s, feats, i, live)
        return anomaly, conf, x

    def _finish_warmup(self, s: State) -> None:
        """ARTime's probation, online: range, initial vigilance, then the ART trained on the warm-up."""
        warm = s.pop("warm")
        finite = [v for v in warm if math.isfinite(v)]
        s.update(
            range=[min(finite), max(finite)],
            hist=[0] * (LEVELS + 1),
            fw=[],
            cats=[],
            used=[],
            rho=[0.0, 0.0],
            ubm=[0, 0.0],
            simw=[1.0] * (self.trend // 2 + 1),
            diffw=[0.0] * (self.trend + 1),
            anom=[0.0, 0, 0.0],
            last_i=0,
            last_sim=0.0,
            rho_i=0,
            mask_cat=False,
            no_new=0,
            ds=0,
        )
        probe = dict(s, hist=list(s["hist"]), fw=[])
        feats = []
        for raw in finite:
            x = self._level(probe, raw)
            probe["fw"] = (probe["fw"] + [x])[-self.params.window :]
            if len(probe["fw"]) == self.params.window:
                feats.append(features(probe["fw"]))
        rho = self._initial_rho(feats) if feats else INITIAL_RHO
        s["rho"] = [rho, rho]
        for raw in finite:
            self._sample(s, raw, live=False)

    def observe(self, state: State, obs: Observation) -> tuple[Verdict, State]:
        p = self.params
        value = obs.value
        s = dict(state)
        s["n"] += 1
        if not math.isfinite(value):  # a non-finite value is neither learnt nor flagged
            return self._verdict(value, None, 0.0, False, "non-finite value ignored"), s
        block = s["block"] + [value]
        if len(block) < self.step:
            s["block"] = block
            return self._verdict(value, self._expected(s), 0.0, False, self._basis(s)), s
        s["block"] = []
        raw = self._downsample(s, block)
        if s["range"] is None:
            s["warm"] = s["warm"] + [raw]
            if len(s["warm"]) >= self.trend:
                self._finish_warmup(s)
                return self._verdict(value, self._expected(s), 0.0, False, self._basis(s)), s
            return self._verdict(value, None, 0.0, False, self._basis(s)), s
        s.update(hist=list(s["hist"]), cats=list(s["cats"]), used=list(s["used"]))  # never mutate the input
        self._widen(s, raw)
        anomaly, conf, x = self._sample(s, raw, live=True)
        med = self._median(s["hist"]) / LEVELS
        score = (conf if x >= med else -conf) if anomaly else 0.0
        flagged = anomaly and conf >= p.threshold
        return self._verdict(value, self._expected(s), score, flagged, self._basis(s)), s

    def _expected(self, s: State) -> float | None:
        if s.get("range") is None:
            return None
        lo, hi = s["range"]
        return lo + self._median(s["hist"]) / LEVELS * (hi - lo)

    def _basis(self, s: State) -> str:
        if s.get("range") is None:
            return f"learning ({s['n']} of {self.params.warmup} windows)"
        lb, ub = s.get("rho", (0.0, 0.0))
        return (
            f"{len(s.get('cats', []))} ART categories, vigilance {lb:.2f}-{ub:.2f}, every {self.step} windows"
        )

    def _verdict(self, value: float, expected, score: float, flagged: bool, basis: str) -> Verdict:
        return Verdict(value, expected, None, score, self.params.threshold, flagged, self.name, basis=basis)
