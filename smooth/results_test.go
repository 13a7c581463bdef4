package smooth

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/posedistill/posedistill/dataset"
)

func TestFrameTimes(t *testing.T) {
	d := &dataset.Dataset{Images: []dataset.Image{
		{ID: 10, SequenceID: 1, FrameIndex: 0, Timestamp: 0},
		{ID: 11, SequenceID: 1, FrameIndex: 1, Timestamp: 0.04},
		{ID: 20, SequenceID: 2, FrameIndex: 0},
		{ID: 21, SequenceID: 2, FrameIndex: 3},
		{ID: 30, SequenceID: 3},
	}}
	got, err := FrameTimes(d, 25)
	if err != nil {
		t.Fatal(err)
	}
	want := map[int64]FrameTime{10: {1, 0}, 11: {1, 0.04}, 20: {2, 0}, 21: {2, 0.12}, 30: {3, 0}}
	for id, w := range want {
		if g := got[id]; g.Sequence != w.Sequence || math.Abs(g.Time-w.Time) > 1e-12 {
			t.Errorf("image %d: %+v, want %+v", id, g, w)
		}
	}
	if _, err := FrameTimes(d, 0); err == nil {
		t.Error("sequence 2 without timestamps or fps accepted")
	}
	ids, err := IDFrameTimes([]dataset.Result{{ImageID: 50}}, 10)
	if err != nil || ids[50].Time != 5 {
		t.Errorf("IDFrameTimes: %+v, %v", ids, err)
	}
	if _, err := IDFrameTimes(nil, 0); err == nil {
		t.Error("fps 0 accepted")
	}
}

// TestSmoothResults checks that results are filtered per (sequence, track) in time order
// whatever their order in the file, that the output keeps the input order, and that untracked
// detections pass unchanged.
func TestSmoothResults(t *testing.T) {
	const k = 3
	cfg := KeypointConfig{Params: Params{MinCutoff: 0.8, Beta: 0.01, DCutoff: 1}, MinScore: 0.2}
	times := map[int64]FrameTime{}
	var results []dataset.Result
	rng := rand.New(rand.NewPCG(1, 2))
	for f := 0; f < 40; f++ {
		for seq := int64(1); seq <= 2; seq++ {
			id := seq*1000 + int64(f)
			times[id] = FrameTime{Sequence: seq, Time: float64(f) / 30}
			for track := int64(1); track <= 2; track++ {
				kp := make([]float64, 3*k)
				for j := 0; j < k; j++ {
					kp[3*j] = 100*float64(track) + float64(f) + rng.NormFloat64()
					kp[3*j+1] = 50*float64(j) + rng.NormFloat64()
					kp[3*j+2] = 0.9
					if (f+j)%7 == 0 {
						kp[3*j+2] = 0.1 // low confidence: held
					}
				}
				results = append(results, dataset.Result{ImageID: id, CategoryID: 1, Keypoints: kp, Score: 0.8, TrackID: track})
			}
		}
	}
	results = append(results, dataset.Result{ImageID: 1005, Keypoints: []float64{1, 2, 3}, Score: 0.5}) // untracked
	shuffled := append([]dataset.Result(nil), results...)
	rng.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })

	out, st, err := SmoothResults(context.Background(), shuffled, times, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if st.Smoothed != 160 || st.Untracked != 1 || st.Tracks != 4 || st.Sequences != 2 {
		t.Errorf("stats %+v", st)
	}
	// Reference: one KeypointFilter per sequence fed in time order.
	want := map[[2]int64][]float64{} // (image, track) → keypoints
	for seq := int64(1); seq <= 2; seq++ {
		kf, _ := NewKeypointFilter(cfg, k, 2)
		for _, r := range results {
			if r.TrackID == 0 || times[r.ImageID].Sequence != seq {
				continue
			}
			pts, sc := make([]float64, 2*k), make([]float64, k)
			for j := 0; j < k; j++ {
				pts[2*j], pts[2*j+1], sc[j] = r.Keypoints[3*j], r.Keypoints[3*j+1], r.Keypoints[3*j+2]
			}
			p, s, err := kf.Update(r.TrackID, times[r.ImageID].Time, pts, sc)
			if err != nil {
				t.Fatal(err)
			}
			kp := make([]float64, 3*k)
			for j := 0; j < k; j++ {
				kp[3*j], kp[3*j+1], kp[3*j+2] = p[2*j], p[2*j+1], s[j]
			}
			want[[2]int64{r.ImageID, r.TrackID}] = kp
		}
	}
	changed := 0
	for i, r := range out {
		if r.ImageID != shuffled[i].ImageID || r.TrackID != shuffled[i].TrackID || r.Score != shuffled[i].Score {
			t.Fatalf("output %d is not input %d", i, i)
		}
		if r.TrackID == 0 {
			if r.Keypoints[0] != 1 || r.Keypoints[2] != 3 {
				t.Errorf("untracked detection changed: %v", r.Keypoints)
			}
			continue
		}
		w := want[[2]int64{r.ImageID, r.TrackID}]
		for c := range w {
			if r.Keypoints[c] != w[c] {
				t.Fatalf("image %d track %d value %d: %v, want %v", r.ImageID, r.TrackID, c, r.Keypoints[c], w[c])
			}
			if r.Keypoints[c] != shuffled[i].Keypoints[c] {
				changed++
			}
		}
	}
	if changed == 0 {
		t.Error("nothing was smoothed")
	}
	// The input is left untouched.
	if &out[0].Keypoints[0] == &shuffled[0].Keypoints[0] {
		t.Error("output shares keypoints with the input")
	}

	bad := []struct {
		name    string
		results []dataset.Result
	}{
		{"unknown image", []dataset.Result{{ImageID: 9, TrackID: 1, Keypoints: []float64{1, 2, 3}}}},
		{"twice in one image", []dataset.Result{{ImageID: 1000, TrackID: 1, Keypoints: []float64{1, 2, 3}}, {ImageID: 1000, TrackID: 1, Keypoints: []float64{1, 2, 3}}}},
		{"keypoint count changes", []dataset.Result{{ImageID: 1000, TrackID: 1, Keypoints: []float64{1, 2, 3}}, {ImageID: 1001, TrackID: 1, Keypoints: []float64{1, 2, 3, 4, 5, 6}}}},
		{"not triples", []dataset.Result{{ImageID: 1000, TrackID: 1, Keypoints: []float64{1, 2}}}},
	}
	for _, b := range bad {
		if _, _, err := SmoothResults(context.Background(), b.results, times, cfg); err == nil {
			t.Errorf("%s: accepted", b.name)
		}
	}
}
