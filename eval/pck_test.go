package eval

import (
	"math"
	"testing"

	"github.com/posedistill/posedistill/dataset"
	"github.com/posedistill/posedistill/skeleton"
)

// cocoPose returns 17 COCO keypoints (x, y, v) all at (100, 100) with v = 2, then applies set.
func cocoPose(set map[int][3]float64) []float64 {
	kp := make([]float64, 51)
	for j := 0; j < 17; j++ {
		kp[3*j], kp[3*j+1], kp[3*j+2] = 100, 100, 2
	}
	for j, v := range set {
		kp[3*j], kp[3*j+1], kp[3*j+2] = v[0], v[1], v[2]
	}
	return kp
}

// shifted returns kp with joint j moved by (dx, dy) and its third value set to score 1.
func shifted(kp []float64, moves map[int][2]float64) []float64 {
	out := append([]float64(nil), kp...)
	for j := 0; j < 17; j++ {
		out[3*j+2] = 1
	}
	for j, d := range moves {
		out[3*j] += d[0]
		out[3*j+1] += d[1]
	}
	return out
}

func TestPCKHandComputed(t *testing.T) {
	// Torso: left_shoulder (5) at (100, 100), right_hip (12) at (130, 140): length 50.
	// Head: ears (3, 4) at (90, 50) and (110, 50): length 20; eyes (1, 2) 8 apart.
	gt := cocoPose(map[int][3]float64{
		1: {96, 45, 2}, 2: {104, 45, 2},
		3: {90, 50, 2}, 4: {110, 50, 2},
		12: {130, 140, 2},
		16: {0, 0, 0}, // right_ankle unlabelled
	})
	// Errors: joint 0 by 9, joint 7 by 5 (3-4-5), joint 9 by 10.5,
	// joint 16 (unlabelled) by 1000. All others exact.
	pred := shifted(gt, map[int][2]float64{0: {9, 0}, 7: {3, 4}, 9: {0, 10.5}, 16: {1000, 0}})
	pair := PCKPair{Pred: pred, GT: gt, BBox: [4]float64{80, 40, 60, 120}} // max side 120
	tests := []struct {
		name    string
		cfg     PCKConfig
		correct int
	}{
		// Box: threshold α·120. α = 0.05 → 6: wrong 0 (9), 9 (10.5); 7 (5) right.
		{"box 0.05", PCKConfig{Alpha: 0.05, Norm: NormBox}, 14},
		// α = 0.1 → 12: all 16 labelled right.
		{"box 0.1", PCKConfig{Alpha: 0.1, Norm: NormBox}, 16},
		// Torso 50: α = 0.2 → 10: joint 9 (10.5) wrong, joint 0 (9) right.
		{"torso 0.2", PCKConfig{Alpha: 0.2, Norm: NormTorso}, 15},
		// Strictly below: α = 0.1 → 5: joint 7 at exactly 5 is wrong too.
		{"torso 0.1 strict", PCKConfig{Alpha: 0.1, Norm: NormTorso}, 13},
		// Head 20: PCKh@0.5 → 10: joint 9 wrong.
		{"head 0.5", PCKConfig{Alpha: 0.5, Norm: NormHead}, 15},
	}
	for _, tc := range tests {
		r, err := PCK([]PCKPair{pair}, tc.cfg)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if r.Labelled != 16 || r.Correct != tc.correct {
			t.Errorf("%s: %d/%d correct, want %d/16", tc.name, r.Correct, r.Labelled, tc.correct)
		}
		if want := float64(tc.correct) / 16; r.PCK != want {
			t.Errorf("%s: PCK %v, want %v", tc.name, r.PCK, want)
		}
		if !math.IsNaN(r.PerJoint[16]) || r.PerJointLabelled[16] != 0 {
			t.Errorf("%s: unlabelled joint 16 evaluated", tc.name)
		}
	}
}

func TestPCKFallbacksAndSkips(t *testing.T) {
	// No ears: head size is twice the eye distance (8 → 16); threshold 8 at α 0.5.
	gt := cocoPose(map[int][3]float64{1: {96, 45, 2}, 2: {104, 45, 2}, 3: {0, 0, 0}})
	pred := shifted(gt, map[int][2]float64{0: {7.9, 0}, 5: {8, 0}})
	r, err := PCK([]PCKPair{{Pred: pred, GT: gt}}, PCKConfig{Alpha: 0.5, Norm: NormHead})
	if err != nil {
		t.Fatal(err)
	}
	if r.Correct != r.Labelled-1 || r.PerJointCorrect[0] != 1 || r.PerJointCorrect[5] != 0 {
		t.Errorf("eye fallback: %d/%d, joint 0 %d, joint 5 %d", r.Correct, r.Labelled, r.PerJointCorrect[0], r.PerJointCorrect[5])
	}
	// Torso fallback: left_shoulder unlabelled, right_shoulder (6) to left_hip (11) = 40.
	gt = cocoPose(map[int][3]float64{5: {0, 0, 0}, 6: {100, 100, 2}, 11: {124, 132, 2}})
	pred = shifted(gt, map[int][2]float64{0: {0, 7.9}, 1: {0, 8}})
	r, _ = PCK([]PCKPair{{Pred: pred, GT: gt}}, PCKConfig{Alpha: 0.2, Norm: NormTorso})
	if r.Labelled != 16 || r.Correct != 15 {
		t.Errorf("torso fallback: %d/%d, want 15/16", r.Correct, r.Labelled)
	}
	// No head joints (skipped) and a missed person (all 17 joints wrong).
	noHead := cocoPose(map[int][3]float64{1: {0, 0, 0}, 3: {0, 0, 0}})
	r, _ = PCK([]PCKPair{
		{Pred: shifted(noHead, nil), GT: noHead},
		{Pred: nil, GT: cocoPose(map[int][3]float64{3: {90, 50, 2}, 4: {110, 50, 2}})},
	}, PCKConfig{Alpha: 0.5, Norm: NormHead})
	if r.Skipped != 1 || r.Instances != 1 || r.Correct != 0 || r.Labelled != 17 {
		t.Errorf("skips: %+v", r)
	}
	if _, err := PCK([]PCKPair{{GT: make([]float64, 50)}}, PCKConfig{Alpha: 0.5}); err == nil {
		t.Error("wrong keypoint count accepted")
	}
	if _, err := PCK(nil, PCKConfig{Alpha: 0}); err == nil {
		t.Error("alpha 0 accepted")
	}
	if _, err := PCK(nil, PCKConfig{Alpha: 0.5, Norm: NormHead, Set: skeleton.H36M17()}); err == nil {
		t.Error("head norm on a set without ears accepted")
	}
	if r, _ := PCK(nil, PCKConfig{Alpha: 0.5, Norm: NormTorso, Set: skeleton.H36M17()}); !math.IsNaN(r.PCK) {
		t.Error("PCK of nothing should be NaN")
	}
}

func TestPairResults(t *testing.T) {
	a := cocoPose(nil)
	b := cocoPose(nil)
	for j := 0; j < 17; j++ {
		b[3*j] += 200
	}
	gt := &dataset.Dataset{Annotations: []dataset.Annotation{
		{ID: 1, ImageID: 1, Keypoints: a},
		{ID: 2, ImageID: 1, Keypoints: b},
		{ID: 3, ImageID: 1, Keypoints: cocoPose(nil), IsCrowd: 1},
		{ID: 4, ImageID: 2, Keypoints: a},
	}}
	results := []dataset.Result{
		{ImageID: 1, Keypoints: shifted(b, nil), Score: 0.9},
		{ImageID: 1, Keypoints: shifted(b, map[int][2]float64{0: {1, 1}}), Score: 0.5}, // duplicate, lower score
		{ImageID: 3, Keypoints: shifted(a, nil), Score: 0.9},                           // no ground truth
	}
	pairs, err := PairResults(gt, results)
	if err != nil {
		t.Fatal(err)
	}
	if len(pairs) != 3 {
		t.Fatalf("%d pairs, want 3 (crowd skipped)", len(pairs))
	}
	// The best result goes to person b; the duplicate then takes person a (the only one left).
	if pairs[1].Pred == nil || pairs[1].Pred[0] != b[0] || pairs[0].Pred == nil || pairs[2].Pred != nil {
		t.Errorf("pairing: %v / %v / %v", pairs[0].Pred != nil, pairs[1].Pred != nil, pairs[2].Pred != nil)
	}
	if _, err := PairResults(gt, []dataset.Result{{ImageID: 1, Keypoints: []float64{1, 2, 3}}}); err == nil {
		t.Error("short result accepted")
	}
}
