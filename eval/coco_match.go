package eval

// cocoCellEval is the matching of one cell in one area range (pycocotools' evalImgs entry).
// Arrays indexed [t][d] or [t][g] are flattened row-major.
type cocoCellEval struct {
	gtOrder  []int   // ground-truth indices, non-ignored first (stable)
	gtIgnore []bool  // per ground truth, in gtOrder
	dtMatch  []int64 // [t][d]: id of the matched ground truth, 0 = unmatched (pycocotools' dtMatches)
	gtMatch  []int64 // [t][g]: id of the matched detection, 0 = unmatched, g in gtOrder
	dtIgnore []bool  // [t][d]
	dtGT     []int32 // [t][d]: position in gtOrder of the matched ground truth, -1 = none
}

// cocoMatch runs pycocotools' evaluateImg for one cell and one area range.
//
// For each OKS threshold, detections (highest score first) are matched greedily to ground truth
// (non-ignored first): a detection takes the ground truth of highest OKS ≥ min(t, 1-1e-10), later
// ground truth winning ties; ground truth already taken is skipped unless it is a crowd region;
// once a detection holds a regular ground truth the search stops at the first ignored one. A
// detection matched to ignored ground truth is ignored, and so is an unmatched detection whose
// area lies outside the range.
//
// Matches are recorded by id, as in pycocotools, where 0 means "unmatched": a detection matched
// to a ground truth whose id is 0 is therefore treated as unmatched (a false positive) by the
// accumulation, while that ground truth still counts as taken. This reproduces pycocotools' bug
// on purpose so that the numbers agree with it in every case (fixture quirk_gtid0); COCO's own
// annotation ids start at 1.
func cocoMatch(c *cocoCell, rng COCOAreaRange, thresholds []float64) cocoCellEval {
	g, d, t := len(c.gts), len(c.dts), len(thresholds)
	ev := cocoCellEval{
		gtOrder:  make([]int, g),
		gtIgnore: make([]bool, g),
		dtMatch:  make([]int64, t*d),
		gtMatch:  make([]int64, t*g),
		dtIgnore: make([]bool, t*d),
		dtGT:     make([]int32, t*d),
	}
	// Non-ignored ground truth first, each group in file order (numpy's stable argsort).
	pos := 0
	for pass := 0; pass < 2; pass++ {
		for j := range c.gts {
			gt := &c.gts[j]
			ig := gt.ignore || gt.area < rng.Min || gt.area > rng.Max
			if ig == (pass == 1) {
				ev.gtOrder[pos], ev.gtIgnore[pos] = j, ig
				pos++
			}
		}
	}
	for i := range ev.dtGT {
		ev.dtGT[i] = -1
	}

	if c.oks != nil {
		for ti, thr := range thresholds {
			gtm := ev.gtMatch[ti*g : (ti+1)*g]
			for di := range c.dts {
				best := min(thr, 1-1e-10)
				m := -1
				row := c.oks[di*g : (di+1)*g]
				for gi, j := range ev.gtOrder {
					if gtm[gi] > 0 && !c.gts[j].crowd {
						continue
					}
					if m > -1 && !ev.gtIgnore[m] && ev.gtIgnore[gi] {
						break
					}
					if row[j] < best {
						continue
					}
					best = row[j]
					m = gi
				}
				if m == -1 {
					continue
				}
				k := ti*d + di
				ev.dtIgnore[k] = ev.gtIgnore[m]
				ev.dtMatch[k] = c.gts[ev.gtOrder[m]].id
				ev.dtGT[k] = int32(m)
				gtm[m] = c.dts[di].id
			}
		}
	}

	for di := range c.dts {
		if a := c.dts[di].area; a < rng.Min || a > rng.Max {
			for ti := 0; ti < t; ti++ {
				if k := ti*d + di; ev.dtMatch[k] == 0 {
					ev.dtIgnore[k] = true
				}
			}
		}
	}
	return ev
}
