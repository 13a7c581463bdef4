package smooth

import (
	"context"
	"fmt"
	"sort"

	"github.com/posedistill/posedistill/dataset"
)

// FrameTime places an image in time: the video sequence it belongs to and its time in seconds.
type FrameTime struct {
	Sequence int64
	Time     float64
}

// FrameTimes returns the time of every image of d, keyed by image id. Images are grouped by
// SequenceID. A sequence in which some image has a non-zero Timestamp uses the timestamps (an
// absent timestamp reads as 0 s, the first frame's time); otherwise its frames are FrameIndex/fps
// seconds apart. A sequence of several images with neither timestamps nor fps > 0 is an error.
func FrameTimes(d *dataset.Dataset, fps float64) (map[int64]FrameTime, error) {
	stamped := map[int64]bool{}
	count := map[int64]int{}
	for _, im := range d.Images {
		count[im.SequenceID]++
		if im.Timestamp != 0 {
			stamped[im.SequenceID] = true
		}
	}
	times := make(map[int64]FrameTime, len(d.Images))
	for _, im := range d.Images {
		ft := FrameTime{Sequence: im.SequenceID}
		switch {
		case stamped[im.SequenceID]:
			ft.Time = im.Timestamp
		case fps > 0:
			ft.Time = float64(im.FrameIndex) / fps
		case count[im.SequenceID] > 1:
			return nil, fmt.Errorf("frame times: sequence %d has no timestamps and no frame rate was given", im.SequenceID)
		}
		times[im.ID] = ft
	}
	return times, nil
}

// IDFrameTimes returns frame times for results whose image ids are frame numbers of a single
// video at fps frames per second: image id n is at n/fps seconds.
func IDFrameTimes(results []dataset.Result, fps float64) (map[int64]FrameTime, error) {
	if !(fps > 0) {
		return nil, fmt.Errorf("frame times: frame rate %v must be positive", fps)
	}
	times := map[int64]FrameTime{}
	for _, r := range results {
		times[r.ImageID] = FrameTime{Time: float64(r.ImageID) / fps}
	}
	return times, nil
}

// ResultStats summarises SmoothResults.
type ResultStats struct {
	// Smoothed counts the detections filtered; Untracked those passed through unchanged because
	// they have no track id (0).
	Smoothed, Untracked int
	// Tracks counts distinct (sequence, track) pairs; Sequences distinct sequences.
	Tracks, Sequences int
}

// SmoothResults smooths per-frame COCO keypoint results of tracked people with cfg: detections
// sharing a sequence and a track id are filtered in time order, one KeypointFilter per sequence,
// with each keypoint's score as its confidence. times gives every image's sequence and time.
// The output keeps the input's order and fields; keypoints and their scores are replaced by the
// filter's. Detections without a track id (0) are copied unchanged. A result for an image
// missing from times, a track seen twice in one image, or a track whose keypoint count changes
// is an error.
func SmoothResults(ctx context.Context, results []dataset.Result, times map[int64]FrameTime, cfg KeypointConfig) ([]dataset.Result, ResultStats, error) {
	var st ResultStats
	out := make([]dataset.Result, len(results))
	copy(out, results)
	order := make([]int, 0, len(results))
	for i, r := range results {
		if r.TrackID == 0 {
			st.Untracked++
			continue
		}
		if _, ok := times[r.ImageID]; !ok {
			return nil, st, fmt.Errorf("smooth results: results[%d]: image %d has no frame time", i, r.ImageID)
		}
		if len(r.Keypoints) == 0 || len(r.Keypoints)%3 != 0 {
			return nil, st, fmt.Errorf("smooth results: results[%d] (image %d): %d keypoint values, want x, y, score triples", i, r.ImageID, len(r.Keypoints))
		}
		order = append(order, i)
	}
	sort.SliceStable(order, func(a, b int) bool {
		ta, tb := times[results[order[a]].ImageID], times[results[order[b]].ImageID]
		if ta.Sequence != tb.Sequence {
			return ta.Sequence < tb.Sequence
		}
		return ta.Time < tb.Time
	})

	type trackKey struct{ seq, track int64 }
	type lastSeen struct {
		image int64
		size  int
	}
	filters := map[int64]*KeypointFilter{}
	seen := map[trackKey]lastSeen{}
	for n, i := range order {
		if n%1024 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, st, fmt.Errorf("smooth results: %w", err)
			}
		}
		r := results[i]
		ft := times[r.ImageID]
		k := len(r.Keypoints) / 3
		key := trackKey{ft.Sequence, r.TrackID}
		if prev, ok := seen[key]; ok {
			if prev.image == r.ImageID {
				return nil, st, fmt.Errorf("smooth results: track %d appears twice in image %d", r.TrackID, r.ImageID)
			}
			if prev.size != k {
				return nil, st, fmt.Errorf("smooth results: track %d has %d keypoints in image %d and %d in image %d", r.TrackID, prev.size, prev.image, k, r.ImageID)
			}
		} else {
			st.Tracks++
		}
		seen[key] = lastSeen{r.ImageID, k}
		f := filters[ft.Sequence]
		if f == nil {
			var err error
			if f, err = NewKeypointFilter(cfg, k, 2); err != nil {
				return nil, st, fmt.Errorf("smooth results: %w", err)
			}
			filters[ft.Sequence] = f
			st.Sequences++
		} else if f.joints != k {
			return nil, st, fmt.Errorf("smooth results: image %d: %d keypoints, sequence %d has %d", r.ImageID, k, ft.Sequence, f.joints)
		}
		f.Prune(ft.Time)
		pts := make([]float64, 2*k)
		scores := make([]float64, k)
		for j := 0; j < k; j++ {
			pts[2*j], pts[2*j+1], scores[j] = r.Keypoints[3*j], r.Keypoints[3*j+1], r.Keypoints[3*j+2]
		}
		sp, ss, err := f.Update(r.TrackID, ft.Time, pts, scores)
		if err != nil {
			return nil, st, fmt.Errorf("smooth results: image %d: %w", r.ImageID, err)
		}
		kp := make([]float64, 3*k)
		for j := 0; j < k; j++ {
			kp[3*j], kp[3*j+1], kp[3*j+2] = sp[2*j], sp[2*j+1], ss[j]
		}
		out[i].Keypoints = kp
		st.Smoothed++
	}
	return out, st, nil
}
