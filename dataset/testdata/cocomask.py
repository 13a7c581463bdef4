"""An independent Python implementation of pycocotools' compressed RLE strings and polygon
rasterization (maskApi.c: rleToString, rleFrPoly, rleMerge), used by the Go tests as an oracle.
Reads JSON {"strings": [[counts...]...], "polys": [{"polys": [[x, y, ...]...], "h": h, "w": w}...]}
on stdin and writes {"strings": [str...], "polys": [[counts...]...]} on stdout."""
import json
import math
import sys


def to_string(counts):
    out = []
    for i, c in enumerate(counts):
        x = c - counts[i - 2] if i > 2 else c
        while True:
            group = x & 0x1F
            x >>= 5  # Python's >> on negative ints is arithmetic, like C's on long
            more = (x != -1) if group & 0x10 else (x != 0)
            out.append(chr((group | (0x20 if more else 0)) + 48))
            if not more:
                break
    return "".join(out)


def trace(x0, y0, x1, y1):
    """Upsampled boundary points from (x0, y0) to (x1, y1), as rleFrPoly walks an edge."""
    dx, dy = abs(x1 - x0), abs(y1 - y0)
    if dx == 0 and dy == 0:
        return [(x0, y0)]
    if dx >= dy:
        lo, hi = ((x1, y1), (x0, y0)) if x0 > x1 else ((x0, y0), (x1, y1))
        slope = (hi[1] - lo[1]) / dx
        pts = [(lo[0] + t, int(lo[1] + slope * t + 0.5)) for t in range(dx + 1)]
        return pts[::-1] if x0 > x1 else pts
    lo, hi = ((x1, y1), (x0, y0)) if y0 > y1 else ((x0, y0), (x1, y1))
    slope = (hi[0] - lo[0]) / dy
    pts = [(int(lo[0] + slope * t + 0.5), lo[1] + t) for t in range(dy + 1)]
    return pts[::-1] if y0 > y1 else pts


def from_poly(xy, h, w):
    k = len(xy) // 2
    xs = [int(5 * xy[2 * j] + 0.5) for j in range(k)]
    ys = [int(5 * xy[2 * j + 1] + 0.5) for j in range(k)]
    pts = []
    for j in range(k):
        pts += trace(xs[j], ys[j], xs[(j + 1) % k], ys[(j + 1) % k])
    marks = []
    for (ua, va), (ub, vb) in zip(pts, pts[1:]):
        if ub == ua:
            continue
        col = ((ub if ub < ua else ub - 1) + 0.5) / 5 - 0.5
        if math.floor(col) != col or col < 0 or col > w - 1:
            continue
        row = (min(vb, va) + 0.5) / 5 - 0.5
        row = math.ceil(min(max(row, 0), h))
        marks.append(int(col) * h + row)
    marks.append(h * w)
    marks.sort()
    deltas = [b - a for a, b in zip([0] + marks, marks)]
    counts = [deltas[0]]
    i = 1
    while i < len(deltas):
        if deltas[i] > 0:
            counts.append(deltas[i])
            i += 1
        else:
            i += 1
            if i < len(deltas):
                counts[-1] += deltas[i]
                i += 1
    return counts


def union(a, b, h, w):
    """Union by expanding to pixels (independent of rleMerge), re-encoded to runs."""
    def expand(counts):
        px, v = [], 0
        for c in counts:
            px += [v] * c
            v ^= 1
        return px
    pa, pb = expand(a), expand(b)
    px = [x | y for x, y in zip(pa, pb)]
    runs, cur, n = [], 0, 0
    for p in px:
        if p != cur:
            runs.append(n)
            n, cur = 0, p
        n += 1
    runs.append(n)
    return runs


def main():
    req = json.load(sys.stdin)
    out = {"strings": [to_string(c) for c in req["strings"]], "polys": []}
    for p in req["polys"]:
        h, w = p["h"], p["w"]
        rle = None
        for xy in p["polys"]:
            r = from_poly(xy, h, w)
            rle = r if rle is None else union(rle, r, h, w)
        out["polys"].append(rle)
    json.dump(out, sys.stdout)


main()
