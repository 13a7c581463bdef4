package eval

import (
	"context"
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/posedistill/posedistill/dataset"
	"github.com/posedistill/posedistill/skeleton"
)

// cocoTestPerson returns a 17-keypoint person standing in the box (x, y, w, h): joints spread on
// a grid inside the box, all visible.
func cocoTestPerson(x, y, w, h float64) []float64 {
	kps := make([]float64, 0, 51)
	for k := 0; k < 17; k++ {
		kps = append(kps, x+w*float64(k%3+1)/4, y+h*float64(k/3+1)/7, 2)
	}
	return kps
}

// cocoTestGT returns a small ground truth: two images, one person each (ids 1 and 2).
func cocoTestGT() *dataset.Dataset {
	return &dataset.Dataset{
		Images: []dataset.Image{{ID: 10, Width: 640, Height: 480}, {ID: 20, Width: 640, Height: 480}},
		Annotations: []dataset.Annotation{
			{ID: 1, ImageID: 10, CategoryID: 1, NumKeypoints: 17, Area: 100 * 200,
				BBox: [4]float64{50, 50, 100, 200}, Keypoints: cocoTestPerson(50, 50, 100, 200)},
			{ID: 2, ImageID: 20, CategoryID: 1, NumKeypoints: 17, Area: 80 * 160,
				BBox: [4]float64{300, 100, 80, 160}, Keypoints: cocoTestPerson(300, 100, 80, 160)},
		},
		Categories: []dataset.Category{{ID: 1, Name: "person"}},
	}
}

// cocoTestResult turns ground-truth keypoints into a result with the given shift and score.
func cocoTestResult(img int64, gtKps []float64, dx, dy, score float64) dataset.Result {
	kps := append([]float64(nil), gtKps...)
	for k := 0; k < len(kps); k += 3 {
		kps[k] += dx
		kps[k+1] += dy
		kps[k+2] = 0.9
	}
	return dataset.Result{ImageID: img, CategoryID: 1, Keypoints: kps, Score: score}
}

func TestEvaluateCOCOBadInput(t *testing.T) {
	gt := cocoTestGT()
	good := cocoTestResult(10, gt.Annotations[0].Keypoints, 0, 0, 0.9)
	with := func(f func(r *dataset.Result)) []dataset.Result {
		r := good
		r.Keypoints = append([]float64(nil), good.Keypoints...)
		f(&r)
		return []dataset.Result{good, r}
	}
	dupGT := cocoTestGT()
	dupGT.Annotations[1].ID = 1
	negArea := cocoTestGT()
	negArea.Annotations[0].Area = -5
	shortGT := cocoTestGT()
	shortGT.Annotations[1].Keypoints = shortGT.Annotations[1].Keypoints[:30]
	nanGT := cocoTestGT()
	nanGT.Annotations[0].Keypoints[4] = math.NaN()
	badParams := DefaultCOCOParams()
	badParams.Sigmas[3] = 0

	tests := []struct {
		name    string
		gt      *dataset.Dataset
		results []dataset.Result
		p       COCOParams
		want    []string // substrings of the error
	}{
		{"unknown image", gt, with(func(r *dataset.Result) { r.ImageID = 99 }), DefaultCOCOParams(),
			[]string{"result 1", "image_id 99", "not in the ground truth"}},
		{"short keypoints", gt, with(func(r *dataset.Result) { r.Keypoints = r.Keypoints[:48] }), DefaultCOCOParams(),
			[]string{"result 1", "48 keypoint values, want 51"}},
		{"NaN coordinate", gt, with(func(r *dataset.Result) { r.Keypoints[7] = math.NaN() }), DefaultCOCOParams(),
			[]string{"result 1", "keypoint 2", "not finite"}},
		{"infinite score", gt, with(func(r *dataset.Result) { r.Score = math.Inf(1) }), DefaultCOCOParams(),
			[]string{"result 1", "score is +Inf"}},
		{"duplicate annotation id", dupGT, []dataset.Result{good}, DefaultCOCOParams(),
			[]string{"annotations 0 and 1 share id 1"}},
		{"negative GT area", negArea, []dataset.Result{good}, DefaultCOCOParams(),
			[]string{"annotation 0 (id 1", "area is -5"}},
		{"GT keypoint count", shortGT, []dataset.Result{good}, DefaultCOCOParams(),
			[]string{"annotation 1 (id 2", "30 keypoint values"}},
		{"GT NaN keypoint", nanGT, []dataset.Result{good}, DefaultCOCOParams(),
			[]string{"annotation 0 (id 1", "keypoint 1", "not finite"}},
		{"nil ground truth", nil, []dataset.Result{good}, DefaultCOCOParams(), []string{"no ground truth"}},
		{"bad sigma", gt, []dataset.Result{good}, badParams, []string{"sigma 3"}},
		{"no thresholds", gt, []dataset.Result{good}, COCOParams{Sigmas: badParams.Sigmas[:1]}, []string{"coco params"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := EvaluateCOCO(context.Background(), tc.gt, tc.results, tc.p)
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}

func TestEvaluateCOCOSmallCases(t *testing.T) {
	gt := cocoTestGT()
	p1, p2 := gt.Annotations[0].Keypoints, gt.Annotations[1].Keypoints
	tests := []struct {
		name    string
		results []dataset.Result
		wantAP  float64
		wantAR  float64
		dropped int
	}{
		{"perfect", []dataset.Result{cocoTestResult(10, p1, 0, 0, 0.9), cocoTestResult(20, p2, 0, 0, 0.8)}, 1, 1, 0},
		{"empty results", nil, 0, 0, 0},
		{"one of two found", []dataset.Result{cocoTestResult(10, p1, 0, 0, 0.9)}, 51.0 / 101, 0.5, 0},
		{"unknown category dropped", []dataset.Result{
			cocoTestResult(10, p1, 0, 0, 0.9), cocoTestResult(20, p2, 0, 0, 0.8),
			{ImageID: 20, CategoryID: 7, Keypoints: p2, Score: 1},
		}, 1, 1, 1},
		{"far away is a false positive", []dataset.Result{cocoTestResult(10, p1, 300, 0, 0.9)}, 0, 0, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rep, err := EvaluateCOCO(context.Background(), gt, tc.results, DefaultCOCOParams())
			if err != nil {
				t.Fatal(err)
			}
			if math.Abs(rep.Stats.AP-tc.wantAP) > 1e-12 || math.Abs(rep.Stats.AR-tc.wantAR) > 1e-12 {
				t.Errorf("AP %v AR %v, want %v %v", rep.Stats.AP, rep.Stats.AR, tc.wantAP, tc.wantAR)
			}
			if rep.Dropped != tc.dropped {
				t.Errorf("dropped %d, want %d", rep.Dropped, tc.dropped)
			}
			// Both persons are large (area > 96²): no valid medium ground truth → -1.
			if rep.Stats.APm != -1 || rep.Stats.ARm != -1 {
				t.Errorf("APm %v ARm %v, want -1 (no medium persons)", rep.Stats.APm, rep.Stats.ARm)
			}
		})
	}
}

// TestCOCOGroundTruthIDZero documents the choice to reproduce pycocotools' id-0 bug: a detection
// matched to ground truth id 0 is recorded as dtMatches = 0 and counted as a false positive.
func TestCOCOGroundTruthIDZero(t *testing.T) {
	tests := []struct {
		id     int64
		wantAP float64
	}{
		{1, 1},
		{0, 0}, // the perfect detection of the only person counts as a false positive
	}
	for _, tc := range tests {
		gt := cocoTestGT()
		gt.Annotations = gt.Annotations[:1]
		gt.Annotations[0].ID = tc.id
		res := []dataset.Result{cocoTestResult(10, gt.Annotations[0].Keypoints, 0, 0, 0.9)}
		rep, err := EvaluateCOCO(context.Background(), gt, res, DefaultCOCOParams())
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(rep.Stats.AP-tc.wantAP) > 1e-12 {
			t.Errorf("GT id %d: AP %v, want %v", tc.id, rep.Stats.AP, tc.wantAP)
		}
		// The diagnostics look at geometry, not ids: the pair is reported either way.
		if rep.Keypoints[0].Count != 1 || rep.Keypoints[0].MeanError != 0 {
			t.Errorf("GT id %d: nose diagnostics %+v, want one exact match", tc.id, rep.Keypoints[0])
		}
	}
}

func TestCOCOKeypointErrors(t *testing.T) {
	gt := cocoTestGT()
	a := gt.Annotations[0]
	res := cocoTestResult(10, a.Keypoints, 0, 0, 0.9)
	// Move the left wrist (index 9) by a tenth of the person's scale sqrt(area).
	shift := 0.1 * math.Sqrt(a.Area)
	res.Keypoints[3*9] += shift
	// Hide the right ankle (index 16) in the ground truth: it must not be counted.
	a.Keypoints[3*16+2] = 0
	a.NumKeypoints = 16
	gt.Annotations[0] = a
	rep, err := EvaluateCOCO(context.Background(), gt, []dataset.Result{res}, DefaultCOCOParams())
	if err != nil {
		t.Fatal(err)
	}
	if rep.MatchedPairs != 1 {
		t.Errorf("%d matched pairs, want 1", rep.MatchedPairs)
	}
	sigma := DefaultCOCOParams().Sigmas[9]
	tests := []struct {
		k       int
		name    string
		count   int
		err     float64
		simil   float64
		epsilon float64
	}{
		{0, "nose", 1, 0, 1, 0},
		{9, "left_wrist", 1, 0.1, math.Exp(-0.01 / (8 * sigma * sigma)), 1e-12},
		{16, "right_ankle", 0, 0, 0, 0},
	}
	for _, tc := range tests {
		got := rep.Keypoints[tc.k]
		if got.Name != tc.name || got.Count != tc.count ||
			math.Abs(got.MeanError-tc.err) > 1e-12 || math.Abs(got.MeanSimilarity-tc.simil) > tc.epsilon+1e-12 {
			t.Errorf("keypoint %d = %+v, want %s count %d error %v similarity %v", tc.k, got, tc.name, tc.count, tc.err, tc.simil)
		}
	}
	var b strings.Builder
	if err := WriteCOCOKeypointTable(&b, rep.Keypoints); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "left_wrist") || !strings.Contains(b.String(), "0.1000") {
		t.Errorf("table does not show the wrist error:\n%s", b.String())
	}
}

func TestCOCOLinspace(t *testing.T) {
	tests := []struct {
		start, stop float64
		num, i      int
		want        float64
	}{
		{0, 1, 101, 35, 0.35000000000000003}, // numpy: 35*0.01, not 0.35
		{0, 1, 101, 100, 1},
		{0.5, 0.95, 10, 8, 0.8999999999999999},
		{0.5, 0.95, 10, 5, 0.75},
		{3, 3, 1, 0, 3},
	}
	for _, tc := range tests {
		if got := cocoLinspace(tc.start, tc.stop, tc.num)[tc.i]; got != tc.want {
			t.Errorf("linspace(%v, %v, %d)[%d] = %v, want %v", tc.start, tc.stop, tc.num, tc.i, got, tc.want)
		}
	}
}

// TestCOCOPairwiseSum checks the sums against numpy 1.24's np.sum, which differ from a plain loop.
func TestCOCOPairwiseSum(t *testing.T) {
	fill := func(n int, f func(i int) float64) []float64 {
		a := make([]float64, n)
		for i := range a {
			a[i] = f(i)
		}
		return a
	}
	tenth := func(int) float64 { return 0.1 }
	tests := []struct {
		name string
		a    []float64
		want float64
	}{
		{"10 tenths", fill(10, tenth), 1.0},
		{"17 tenths", fill(17, tenth), 1.7000000000000002},
		{"200 tenths", fill(200, tenth), 20.0},
		{"1010 tenths", fill(1010, tenth), 101.00000000000001},
		{"arange/7", fill(299, func(i int) float64 { return float64(i+1) / 7 }), 6407.142857142858},
		{"empty", nil, 0},
	}
	for _, tc := range tests {
		if got := cocoPairwiseSum(tc.a); got != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestCOCOParamsFor(t *testing.T) {
	tests := []struct {
		set     *skeleton.Set
		wantK   int
		wantErr bool
	}{
		{skeleton.COCO17(), 17, false},
		{skeleton.H36M17(), 0, true}, // no standard sigmas
		{nil, 0, true},
		{&skeleton.Set{Name: "two", Joints: []string{"a", "b"}, Sigmas: []float64{0.05, 0.07}}, 2, false},
	}
	for _, tc := range tests {
		p, err := COCOParamsFor(tc.set)
		if (err != nil) != tc.wantErr {
			t.Errorf("%v: error %v, want error %v", tc.set, err, tc.wantErr)
			continue
		}
		if err == nil && len(p.Sigmas) != tc.wantK {
			t.Errorf("%s: %d sigmas, want %d", tc.set.Name, len(p.Sigmas), tc.wantK)
		}
	}
}

func TestCOCOEvaluatorOrderAndCancel(t *testing.T) {
	gt := cocoTestGT()
	e, err := NewCOCOEvaluator(gt, nil, DefaultCOCOParams())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Accumulate(context.Background()); !errors.Is(err, errCOCONotEvaluated) {
		t.Errorf("Accumulate before Evaluate: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := e.Evaluate(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("Evaluate with a cancelled context: %v", err)
	}
}

func TestCOCOSkipBelow(t *testing.T) {
	tests := []struct {
		ts   []float64
		want float64
	}{
		{DefaultCOCOParams().OKSThresholds, 0.5 * (1 - 1e-9)},
		{[]float64{0.7, 1.2}, 0.7 * (1 - 1e-9)},
		{[]float64{0, 0.5}, 0},
		{[]float64{-1}, 0},
		{nil, 0},
	}
	for _, tc := range tests {
		if got := cocoSkipBelow(tc.ts); got != tc.want {
			t.Errorf("cocoSkipBelow(%v) = %v, want %v", tc.ts, got, tc.want)
		}
	}
}

// TestCOCOOKSSkipIsSafe checks on a sweep of shifted detections that an OKS is skipped only
// when its exact value is below the threshold, and computed bit-identically otherwise.
func TestCOCOOKSSkipIsSafe(t *testing.T) {
	gt := cocoTestGT()
	p := DefaultCOCOParams()
	exact := newCOCOOKSComputer(p.Sigmas)
	fast := newCOCOOKSComputer(p.Sigmas)
	fast.skipBelow = cocoSkipBelow(p.OKSThresholds)
	skipped := 0
	for _, a := range gt.Annotations {
		g, err := cocoNewGT(&a, 17)
		if err != nil {
			t.Fatal(err)
		}
		for shift := 0.0; shift < 120; shift += 0.5 {
			dt := cocoTestResult(10, a.Keypoints, shift, shift/3, 1).Keypoints
			want, got := exact.oks(&g, dt), fast.oks(&g, dt)
			switch {
			case got == cocoOKSSkipped:
				skipped++
				if want >= fast.skipBelow {
					t.Fatalf("shift %v: skipped an OKS of %v", shift, want)
				}
			case got != want:
				t.Fatalf("shift %v: OKS %v, want %v", shift, got, want)
			}
		}
	}
	if skipped == 0 {
		t.Error("the sweep never skipped an OKS")
	}
}

func TestCOCOParamsValidate(t *testing.T) {
	mod := func(f func(p *COCOParams)) COCOParams {
		p := DefaultCOCOParams()
		f(&p)
		return p
	}
	tests := []struct {
		name string
		p    COCOParams
		want string // "" = valid
	}{
		{"default", DefaultCOCOParams(), ""},
		{"no sigmas", mod(func(p *COCOParams) { p.Sigmas = nil }), "no OKS sigmas"},
		{"NaN sigma", mod(func(p *COCOParams) { p.Sigmas[2] = math.NaN() }), "sigma 2"},
		{"names", mod(func(p *COCOParams) { p.KeypointNames = p.KeypointNames[:3] }), "3 keypoint names for 17 sigmas"},
		{"no names is fine", mod(func(p *COCOParams) { p.KeypointNames = nil }), ""},
		{"NaN OKS threshold", mod(func(p *COCOParams) { p.OKSThresholds[1] = math.NaN() }), "OKS threshold 1"},
		{"no recall thresholds", mod(func(p *COCOParams) { p.RecallThresholds = nil }), "no recall thresholds"},
		{"inf recall threshold", mod(func(p *COCOParams) { p.RecallThresholds[4] = math.Inf(1) }), "recall threshold 4"},
		{"no areas", mod(func(p *COCOParams) { p.AreaRanges = nil }), "no area ranges"},
		{"NaN area", mod(func(p *COCOParams) { p.AreaRanges[1].Max = math.NaN() }), `area range "medium"`},
		{"max dets", mod(func(p *COCOParams) { p.MaxDets = 0 }), "MaxDets is 0"},
	}
	for _, tc := range tests {
		err := tc.p.Validate()
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s: %v", tc.name, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%s: error %v, want one mentioning %q", tc.name, err, tc.want)
		}
	}
}

func TestLoadCOCOErrorsNameTheFile(t *testing.T) {
	cocoFixtureDirs(t)
	dir := t.TempDir()
	missing := dir + "/missing.json"
	tests := []struct{ gt, dt string }{
		{missing, missing + "2"},
		{cocoFixtureRoot + "/tiny/gt.json", missing},
	}
	for _, tc := range tests {
		_, _, err := LoadCOCO(context.Background(), tc.gt, tc.dt, nil)
		if err == nil || !strings.Contains(err.Error(), "missing.json") {
			t.Errorf("LoadCOCO(%s, %s): error %v, want one naming the missing file", tc.gt, tc.dt, err)
		}
	}
}
