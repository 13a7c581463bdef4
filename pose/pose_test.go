package pose

import (
	"context"
	"fmt"
	"image"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"

	"github.com/posedistill/posedistill/blazepose"
	"github.com/posedistill/posedistill/dataset"
	"github.com/posedistill/posedistill/internal/testkit"
	"github.com/posedistill/posedistill/train"
)

func TestMain(m *testing.M) { testkit.Main(m) }

// Real photos from Debian's opencv-doc.
const (
	basketball1 = "/usr/share/doc/opencv-doc/examples/data/basketball1.png"
	messi5      = "/usr/share/doc/opencv-doc/examples/data/messi5.jpg"
)

// needModels skips in -short mode or without the photo, and fetches BlazePose and MoveNet (the
// default people detector is MoveNet MultiPose).
func needModels(t *testing.T, files ...string) {
	t.Helper()
	if testing.Short() {
		t.Skip("model inference skipped in -short mode")
	}
	for _, f := range files {
		if _, err := os.Stat(f); err != nil {
			t.Skipf("test input absent: %v", err)
		}
	}
	testkit.BlazePoseCache(t)
	testkit.MoveNetCache(t) // the default people detector, MoveNet MultiPose
}

func loadImage(t *testing.T, path string) image.Image {
	t.Helper()
	img, err := dataset.LoadImage(path)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

var (
	liteOnce sync.Once
	lite     *Estimator
	liteErr  error
)

// blazeLite returns BlazePose-lite with the detector on the whole image and tiles of 320 pixels
// (basketball1's people are large), opened once per test binary.
func blazeLite(t *testing.T) *Estimator {
	t.Helper()
	liteOnce.Do(func() {
		lite, liteErr = Open("blazepose-lite", Options{Detector: DetectorConfig{People: DetectBlazePose, Tiles: []int{320}}})
	})
	if liteErr != nil {
		t.Fatal(liteErr)
	}
	return lite
}

var (
	tinyOnce sync.Once
	tinyDir  string
	tinyErr  error
)

// tinyRun trains a tiny network for two steps on a tiny synthetic dataset, once per test binary,
// and returns its run directory: a real run, poses meaningless.
func tinyRun(t *testing.T) string {
	t.Helper()
	tinyOnce.Do(func() {
		data := testkit.SynthData(t, testkit.Synth{Size: 64, MinPeople: 1, MaxPeople: 1, Images: 8, Seed: 5})
		root, err := os.MkdirTemp("", "posedistill-pose-test-")
		if err != nil {
			tinyErr = err
			return
		}
		tinyDir = filepath.Join(root, "run")
		c := train.DefaultConfig()
		c.Name = "tiny"
		c.Model = train.ModelConfig{Arch: "mobilenetv2", Width: 0.25, HeadChannels: 16}
		c.InputW, c.InputH, c.Sigma = 32, 64, 1
		c.BatchSize, c.Steps, c.WarmupSteps = 2, 2, 1
		c.CheckpointEvery, c.ValidateEvery = 2, 0
		c.FlipTest = false
		_, tinyErr = train.Run(context.Background(), c, train.Options{DataDir: data, OutDir: tinyDir, Backend: testkit.Backend(t), NoValidation: true})
	})
	if tinyErr != nil {
		t.Fatalf("tiny run: %v", tinyErr)
	}
	return tinyDir
}

func TestSuppress(t *testing.T) {
	det := func(score, fx, fy, body float64) Detection {
		return Detection{Score: score, Face: [2]float64{fx, fy}, Box: [4]float64{fx - body/2, fy, body, body}}
	}
	tests := []struct {
		name string
		in   []Detection
		want []float64 // scores kept, in order
	}{
		{"same face from two tiles", []Detection{det(0.7, 100, 100, 100), det(0.9, 103, 101, 110)}, []float64{0.9}},
		{"two people side by side", []Detection{det(0.8, 100, 100, 100), det(0.7, 130, 100, 100)}, []float64{0.8, 0.7}},
		{"small face far from a big one", []Detection{det(0.6, 100, 100, 300), det(0.9, 100, 140, 40)}, []float64{0.9, 0.6}},
		{"none", nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := suppress(tt.in, 0.1)
			var scores []float64
			for _, d := range got {
				scores = append(scores, d.Score)
			}
			if len(scores) != len(tt.want) {
				t.Fatalf("kept %v, want %v", scores, tt.want)
			}
			for i := range scores {
				if scores[i] != tt.want[i] {
					t.Fatalf("kept %v, want %v", scores, tt.want)
				}
			}
		})
	}
}

// standing returns a COCO-17 person whose keypoints fill the box [x, y, w, h].
func standing(x, y, w, h, score float64) Person {
	p := Person{Keypoints: make([]Keypoint, 17), Score: score}
	for i := range p.Keypoints {
		fx := float64(i % 2) // left and right alternate
		p.Keypoints[i] = Keypoint{X: x + fx*w, Y: y + float64(i)/16*h, Score: 0.9}
	}
	p.Box = keypointBox(p.Keypoints)
	return p
}

func TestDedupe(t *testing.T) {
	bounds := image.Rect(0, 0, 640, 480)
	e := &Estimator{opts: Options{MaxPeople: 20, MaxOverlap: 0.5}}
	tests := []struct {
		name   string
		people []Person
		want   []float64
	}{
		{"same box twice", []Person{standing(100, 100, 50, 200, 0.6), standing(102, 98, 50, 205, 0.8)}, []float64{0.8}},
		{"side by side", []Person{standing(100, 100, 50, 200, 0.6), standing(170, 100, 50, 200, 0.8)}, []float64{0.8, 0.6}},
		{"a partial pose inside a whole one: the more confident stays", []Person{standing(100, 100, 60, 300, 0.6), standing(110, 250, 40, 140, 0.9)}, []float64{0.9}},
		{"the one mostly outside the image loses", []Person{standing(500, 100, 400, 200, 0.9), standing(520, 100, 100, 200, 0.6)}, []float64{0.6}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := e.dedupe(tt.people, nil, bounds)
			if len(got) != len(tt.want) {
				t.Fatalf("kept %d people, want %d", len(got), len(tt.want))
			}
			for i, p := range got {
				if p.Score != tt.want[i] {
					t.Errorf("person %d: score %v, want %v", i, p.Score, tt.want[i])
				}
			}
		})
	}
	e.opts.MaxPeople = 1
	if got := e.dedupe([]Person{standing(0, 0, 10, 10, 0.5), standing(300, 0, 10, 10, 0.7)}, nil, bounds); len(got) != 1 || got[0].Score != 0.7 {
		t.Errorf("max people 1: kept %v", got)
	}
}

func TestWindows(t *testing.T) {
	tests := []struct {
		name   string
		b      image.Rectangle
		tiles  []int
		over   float64
		sides  []float64 // distinct window sides, in order
		counts []int
	}{
		{"auto on a 768×576 frame", image.Rect(0, 0, 768, 576), nil, 0, []float64{768, 384, 192, 128}, []int{1, 6, 20, 48}},
		{"auto on a 640×480 photo", image.Rect(0, 0, 640, 480), nil, 0, []float64{640, 320, 160}, []int{1, 6, 20}},
		{"auto on a small image", image.Rect(0, 0, 200, 150), nil, 0, []float64{200}, []int{1}},
		{"whole image only", image.Rect(0, 0, 768, 576), []int{}, 0, []float64{768}, []int{1}},
		{"one tile size, half overlap", image.Rect(0, 0, 768, 576), []int{153}, 0.5, []float64{768, 153}, []int{1, 70}},
		{"one tile size, quarter overlap", image.Rect(0, 0, 768, 576), []int{384}, 0, []float64{768, 384}, []int{1, 6}},
		{"one tile size, no overlap", image.Rect(0, 0, 640, 480), []int{160}, -1, []float64{640, 160}, []int{1, 12}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ws := DetectorConfig{Tiles: tt.tiles, Overlap: tt.over}.withDefaults().windows(tt.b)
			var sides []float64
			var counts []int
			for _, w := range ws {
				if len(sides) == 0 || sides[len(sides)-1] != w.W {
					sides, counts = append(sides, w.W), append(counts, 0)
				}
				counts[len(counts)-1]++
				if w.CX-w.W/2 < float64(tt.b.Min.X)-w.W && w.W < float64(tt.b.Dx()) {
					t.Errorf("window %+v outside %v", w, tt.b)
				}
			}
			if len(sides) != len(tt.sides) {
				t.Fatalf("sides %v counts %v, want %v %v", sides, counts, tt.sides, tt.counts)
			}
			for i := range sides {
				if sides[i] != tt.sides[i] || counts[i] != tt.counts[i] {
					t.Fatalf("sides %v counts %v, want %v %v", sides, counts, tt.sides, tt.counts)
				}
			}
		})
	}
}

func TestLowestScore(t *testing.T) {
	tests := []struct {
		name   string
		c      DetectorConfig
		beside bool
		want   float64
	}{
		{"defaults, BlazePose", DetectorConfig{}, true, 0.3},
		{"defaults, other models", DetectorConfig{}, false, 0.5},
		{"second looks turned off", DetectorConfig{MinScoreBeside: -1}, true, 0.5},
		{"beside above the threshold: no weaker detections", DetectorConfig{MinScore: 0.4, MinScoreBeside: 0.45}, true, 0.4},
		{"both set", DetectorConfig{MinScore: 0.6, MinScoreBeside: 0.2}, true, 0.2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.c.withDefaults().lowestScore(tt.beside); got != tt.want {
				t.Errorf("lowest score %v, want %v", got, tt.want)
			}
		})
	}
}

func TestOpenRejects(t *testing.T) {
	tests := []struct {
		name  string
		model string
		o     Options
	}{
		{"missing run directory", "/nonexistent/run", Options{}},
		{"unknown imported name", "blazepose-tiny", Options{}},
		{"negative max people", "blazepose-lite", Options{MaxPeople: -1}},
		{"detector score above 1", "blazepose-lite", Options{Detector: DetectorConfig{MinScore: 1.5}}},
		{"tiny tile", "blazepose-lite", Options{Detector: DetectorConfig{Tiles: []int{8}}}},
		{"tile overlap near 1", "blazepose-lite", Options{Detector: DetectorConfig{Overlap: 0.95}}},
		{"min score beside a person of 1", "blazepose-lite", Options{Detector: DetectorConfig{MinScoreBeside: 1}}},
		{"unknown people detector", "blazepose-lite", Options{Detector: DetectorConfig{People: "yolo"}}},
		{"multipose size not a multiple of 32", "blazepose-lite", Options{Detector: DetectorConfig{MultiPoseSizes: []int{300}}}},
		{"multipose score of 1", "blazepose-lite", Options{Detector: DetectorConfig{MinMultiPoseScore: 1}}},
		{"another detector for multipose", "movenet-multipose", Options{Detector: DetectorConfig{People: DetectBlazePose}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if e, err := Open(tt.model, tt.o); err == nil {
				e.Close()
				t.Fatal("want an error")
			}
		})
	}
}

// TestEstimateBlazePose: on basketball1.png (one player standing at x 30–170, y 80–480, and a
// second one cut by the right edge, x > 430) BlazePose-lite finds both, each once.
func TestEstimateBlazePose(t *testing.T) {
	needModels(t, basketball1)
	e := blazeLite(t)
	people, err := e.Estimate(context.Background(), loadImage(t, basketball1))
	if err != nil {
		t.Fatal(err)
	}
	if len(people) != 2 {
		t.Fatalf("%d people, want 2", len(people))
	}
	var left, right int
	for _, p := range people {
		if p.BlazePose == nil || len(p.Keypoints) != 17 || !(p.Score >= 0.25) {
			t.Errorf("person %+v: want BlazePose output, 17 keypoints, score ≥ 0.25", p.Box)
		}
		if nose := p.Keypoints[0]; nose.X > 40 && nose.X < 140 && nose.Y > 80 && nose.Y < 160 {
			left++
		} else if p.Box[0]+p.Box[2]/2 > 430 {
			right++
		}
	}
	if left != 1 || right != 1 {
		t.Errorf("%d people on the standing player's head, %d right of x 430; want 1 and 1", left, right)
	}
	// Given a box, only that person.
	boxed, err := e.EstimateBoxes(context.Background(), loadImage(t, basketball1), [][4]float64{{30, 80, 140, 400}})
	if err != nil {
		t.Fatal(err)
	}
	if len(boxed) != 1 || math.Abs(boxed[0].Keypoints[0].X-people[0].Keypoints[0].X) > 15 {
		t.Errorf("in the standing player's box: %d people", len(boxed))
	}
}

// TestEstimateRunConcurrently runs a trained run (tiny) on the detected people of a real photo
// from several goroutines (run with -race), with both people detectors (BlazePose's on the whole
// image only): every call gives the same poses.
func TestEstimateRunConcurrently(t *testing.T) {
	needModels(t, messi5)
	run := tinyRun(t)
	e, err := Open(run, Options{MaxPeople: 2, Detector: DetectorConfig{People: DetectBoth, Tiles: []int{}}})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	img := loadImage(t, messi5)
	want, err := e.Estimate(context.Background(), img)
	if err != nil {
		t.Fatal(err)
	}
	// Messi, and maybe spectators: a run has no presence flag, every detection gives a pose.
	if len(want) < 1 || len(want[0].Keypoints) != 17 || want[0].BlazePose != nil {
		t.Fatalf("%d people (want Messi at least, 17 keypoints, no BlazePose output)", len(want))
	}
	var wg sync.WaitGroup
	errs := make([]error, 2)
	got := make([][]Person, 2)
	for i := range got {
		wg.Add(1)
		go func() {
			defer wg.Done()
			got[i], errs[i] = e.Estimate(context.Background(), img)
		}()
	}
	wg.Wait()
	for i := range got {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
		if len(got[i]) != len(want) || got[i][0].Keypoints[5] != want[0].Keypoints[5] {
			t.Errorf("goroutine %d: %d people, or other keypoints", i, len(got[i]))
		}
	}
}

// shifted returns img moved right by dx pixels (black where it came from).
func shifted(img image.Image, dx int) *image.RGBA {
	b := img.Bounds()
	out := image.NewRGBA(b)
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X-dx; x++ {
			out.Set(x+dx, y, img.At(x, y))
		}
	}
	return out
}

// TestTracker follows basketball1's standing player through frames shifted right 6 pixels each,
// detecting only on the first: the same track id in every frame, and a nose that moves with
// the frames.
func TestTracker(t *testing.T) {
	needModels(t, basketball1)
	e := blazeLite(t)
	tr, err := e.NewTracker(TrackerConfig{DetectEvery: 100})
	if err != nil {
		t.Fatal(err)
	}
	img := loadImage(t, basketball1)
	var first float64
	for f := range 4 {
		people, err := tr.Step(context.Background(), shifted(img, 6*f))
		if err != nil {
			t.Fatal(err)
		}
		var standing *Person
		for i, p := range people {
			if p.Box[0] < 250 {
				standing = &people[i]
			}
		}
		if standing == nil {
			t.Fatalf("frame %d: standing player lost (%d people)", f, len(people))
		}
		if standing.TrackID != 1 && standing.TrackID != 2 {
			t.Errorf("frame %d: track id %d", f, standing.TrackID)
		}
		nose := standing.Keypoints[0].X
		if f == 0 {
			first = nose
		} else if d := nose - first - float64(6*f); math.Abs(d) > 10 {
			t.Errorf("frame %d: nose moved %.1f pixels, want %d", f, nose-first, 6*f)
		}
	}
	if _, err := e.NewTracker(TrackerConfig{DetectEvery: -1}); err == nil {
		t.Error("negative DetectEvery: want error")
	}
}

func TestKeypointBoxAndRecord(t *testing.T) {
	p := standing(10, 20, 30, 160, 0.7)
	if p.Box != [4]float64{10, 20, 30, 160} {
		t.Errorf("box %v", p.Box)
	}
	p.TrackID = 3
	r := p.Record(9)
	if r.ImageID != 9 || r.TrackID != 3 || len(r.Keypoints) != 51 || r.BBox != p.Box || r.Landmarks != nil {
		t.Errorf("record %+v", r)
	}
	// A BlazePose person maps its landmarks to COCO-17 and carries them.
	lms := make([]blazepose.Landmark, blazepose.NumLandmarks)
	for i := range lms {
		lms[i] = blazepose.Landmark{X: float64(i), Y: 2 * float64(i), Visibility: 0.9, Presence: 0.9}
	}
	bp := blazepose.Person{Pose: &blazepose.Pose{Score: 0.8, World: make([][3]float64, 39)}, Landmarks: lms}
	q, err := FromBlazePose(bp, 0.5)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(q.Score-0.4) > 1e-12 || q.Keypoints[0].X != 0 || q.Keypoints[5].X != 11 { // COCO left shoulder = BlazePose 11
		t.Errorf("score %v, nose %v, left shoulder %v", q.Score, q.Keypoints[0], q.Keypoints[5])
	}
	if r := q.Record(1); len(r.Landmarks) != 33 || len(r.WorldLandmarks) != 33 {
		t.Errorf("record: %d landmarks, %d world", len(r.Landmarks), len(r.WorldLandmarks))
	}
}

// vtestFrame writes frame n of opencv-doc's vtest.avi (768×576 pedestrians) as a PNG, skipping
// where the video or ffmpeg is absent.
func vtestFrame(t *testing.T, n int) image.Image {
	t.Helper()
	const vtest = "/usr/share/doc/opencv-doc/examples/data/vtest.avi"
	needModels(t, vtest)
	ff, err := exec.LookPath("ffmpeg")
	if err != nil {
		t.Skip("ffmpeg not installed")
	}
	out := filepath.Join(t.TempDir(), "frame.png")
	cmd := exec.Command(ff, "-v", "error", "-nostdin", "-i", vtest, "-vf", fmt.Sprintf("select=eq(n\\,%d)", n), "-frames:v", "1", out)
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("ffmpeg: %v: %s", err, msg)
	}
	return loadImage(t, out)
}

// pedestrians are the people of vtest.avi frames, and the known false people there.
type pedestrians struct {
	frame   int
	walkers [][4]float64 // x0, y0, x1, y1 of each person's box centre's allowed region
	objects [][4]float64 // objects the detector and the landmark model take for a person
}

// TestCountsPedestrians: BlazePose-lite, -full, -heavy and MoveNet Thunder with the default people
// detector (MoveNet MultiPose) find each clearly visible pedestrian of vtest.avi frames 100 and
// 400 exactly once, and nothing else. Frame 400: three pedestrians (one walking away, about 65
// pixels tall). Frame 100: four people apart, a woman walking away beside a man who faces the
// camera, and a person about 35 pixels tall far behind (top left); a man half hidden by the sign
// is not clearly visible and may be missed. Two objects in the foreground are known false people
// that BlazePose's detector and the landmark model take for a person: the tripod and the yellow
// cloth on the grass; MultiPose finds neither, and a pose anywhere but on a pedestrian or the
// man behind the sign fails.
func TestCountsPedestrians(t *testing.T) {
	frames := []pedestrians{
		{400, [][4]float64{{274, 200, 302, 285}, {590, 140, 618, 203}, {688, 300, 745, 412}}, nil},
		{100, [][4]float64{{590, 160, 620, 235}, {375, 185, 410, 255}, {490, 155, 512, 220}, {350, 205, 377, 275}, {514, 155, 540, 220}, {220, 60, 240, 95}},
			[][4]float64{{425, 190, 450, 260}}},
	}
	images := make([]image.Image, len(frames))
	for i, f := range frames {
		images[i] = vtestFrame(t, f.frame)
	}
	for _, model := range []string{"blazepose-lite", "blazepose-full", "blazepose-heavy", "movenet-thunder"} {
		t.Run(model, func(t *testing.T) {
			e, err := Open(model, Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer e.Close()
			for i, f := range frames {
				people, err := e.Estimate(context.Background(), images[i])
				if err != nil {
					t.Fatal(err)
				}
				checkPedestrians(t, f, people)
			}
		})
	}
}

// checkPedestrians fails unless each walker of f is found once and every other person is on
// one of f's objects.
func checkPedestrians(t *testing.T, f pedestrians, people []Person) {
	t.Helper()
	in := func(p Person, b [4]float64) bool {
		cx, cy := p.Box[0]+p.Box[2]/2, p.Box[1]+p.Box[3]/2
		return cx >= b[0] && cx <= b[2] && cy >= b[1] && cy <= b[3]
	}
	found := make([]int, len(f.walkers))
	for _, p := range people {
		matched := false
		for i, w := range f.walkers {
			if in(p, w) {
				found[i]++
				matched = true
			}
		}
		for _, o := range f.objects {
			matched = matched || in(p, o)
		}
		if !matched {
			t.Errorf("frame %d: a person at %.0f, score %.2f, where no one is", f.frame, p.Box, p.Score)
		}
	}
	for i, n := range found {
		if n != 1 {
			t.Errorf("frame %d: pedestrian %d at %v found %d times, want once", f.frame, i, f.walkers[i], n)
		}
	}
}
