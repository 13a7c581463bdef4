package movenet

import (
	"bytes"
	"context"
	"encoding/json"
	"image"
	"image/draw"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/posedistill/posedistill/dataset"
	"github.com/posedistill/posedistill/internal/peers"
	"github.com/posedistill/posedistill/modelstore"
)

// poseDetectionPackages are TF.js pose-detection (Google's JavaScript MoveNet pipeline: crops,
// tracking, MultiPose resizing) and the TensorFlow.js it runs on.
var poseDetectionPackages = []string{"@tensorflow/tfjs@4.22.0", "@tensorflow/tfjs-backend-wasm@4.22.0", "@tensorflow-models/pose-detection@2.1.3"}

// poseDetectionModules returns the node_modules directory holding pose-detection, installing the
// npm packages under the cache the first time; it skips the test when node or npm cannot.
func poseDetectionModules(t testing.TB) string {
	t.Helper()
	// --legacy-peer-deps: pose-detection names the MediaPipe runtime and the WebGL/WebGPU
	// backends as peers; the MoveNet detector needs none of them.
	return peers.NPM{Dir: "pose-detection-2.1.3", Packages: poseDetectionPackages, Flags: []string{"--legacy-peer-deps"},
		Probes: []string{"@tensorflow-models/pose-detection/dist/movenet/detector.js"}}.Modules(t)
}

type jsPose struct {
	Score     float64
	Keypoints [][3]float64
}

// runPoseDetection runs pose-detection's MoveNet detector on img frames times.
func runPoseDetection(t *testing.T, mods string, m Model, img image.Image, frames int) [][]jsPose {
	t.Helper()
	file, err := m.File()
	if err != nil {
		t.Fatal(err)
	}
	cache, err := modelstore.DefaultCacheDir()
	if err != nil {
		t.Fatal(err)
	}
	types := map[Model]string{Lightning: "SinglePose.Lightning", Thunder: "SinglePose.Thunder", MultiPose: "MultiPose.Lightning"}
	b := img.Bounds()
	rgbPath := filepath.Join(t.TempDir(), "img.rgb")
	if err := os.WriteFile(rgbPath, toRGB(img), 0o644); err != nil {
		t.Fatal(err)
	}
	script, err := filepath.Abs(filepath.Join("testdata", "posedetection_run.js"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("node", script, mods, modelstore.MoveNetPath(cache, file), types[m], rgbPath,
		strconv.Itoa(b.Dy()), strconv.Itoa(b.Dx()), strconv.Itoa(frames), "wasm", "256")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("posedetection_run.js: %v: %s", err, stderr.String())
	}
	var res struct{ Frames [][]jsPose }
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatalf("posedetection_run.js output %q: %v", out, err)
	}
	return res.Frames
}

// TestAgreesWithPoseDetection runs this package's Tracker and TF.js pose-detection's MoveNet
// detector on the same frames and compares every keypoint: three frames of a square crop of the
// photo around Messi for the single-person models (the first from the whole frame, the others
// from the crop the previous keypoints and the low-pass filter give; on a square frame
// pose-detection's first crop is the whole frame too), one frame of each photo for MultiPose.
func TestAgreesWithPoseDetection(t *testing.T) {
	mods := poseDetectionModules(t)
	photo := loadPhoto(t)
	square := image.NewRGBA(image.Rect(0, 0, 342, 342))
	draw.Draw(square, square.Bounds(), photo, image.Point{X: 90, Y: 0}, draw.Src)
	cases := []struct {
		m      Model
		img    image.Image
		name   string
		frames int
	}{
		{Lightning, square, "messi square", 3},
		{Thunder, square, "messi square", 3},
		{MultiPose, photo, "messi5.jpg", 1},
	}
	if f, err := os.Open(basketball1); err == nil {
		f.Close()
		bb, err := dataset.LoadImage(basketball1)
		if err != nil {
			t.Fatal(err)
		}
		cases = append(cases, struct {
			m      Model
			img    image.Image
			name   string
			frames int
		}{MultiPose, bb, "basketball1.png", 1})
	}
	for _, tc := range cases {
		e := open(t, tc.m)
		want := runPoseDetection(t, mods, tc.m, tc.img, tc.frames)
		tr := e.NewTracker()
		var worst, worstScore float64
		for f := range tc.frames {
			got, err := tr.Next(context.Background(), tc.img)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(want[f]) {
				t.Fatalf("%s on %s frame %d: %d poses, pose-detection %d", tc.m, tc.name, f+1, len(got), len(want[f]))
			}
			for i, p := range got {
				worstScore = math.Max(worstScore, math.Abs(p.Score-want[f][i].Score))
				for k, kp := range p.Keypoints {
					w := want[f][i].Keypoints[k]
					worst = math.Max(worst, math.Max(math.Abs(kp[0]-w[0]), math.Abs(kp[1]-w[1])))
					worstScore = math.Max(worstScore, math.Abs(kp[2]-w[2]))
				}
			}
		}
		t.Logf("%s on %s, %d frame(s): max keypoint difference %.3g px, max score difference %.3g", tc.m, tc.name, tc.frames, worst, worstScore)
		if worst > 0.1 || worstScore > 2e-3 {
			t.Errorf("%s on %s: differs from pose-detection by %.3g px, %.3g in scores", tc.m, tc.name, worst, worstScore)
		}
	}
}
