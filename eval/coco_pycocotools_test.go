package eval

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/posedistill/posedistill/dataset"
)

// cocoPycocotoolsStats prints, for every case folder given on the command line, pycocotools'
// ten keypoint stats as one JSON list per line.
const cocoPycocotoolsStats = `
import contextlib, io, json, sys
sys.path.insert(0, sys.argv[1])
import numpy as np
np.float = float  # removed in numpy 1.24; cocoapi@8c9bcc3 still uses it
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval
for d in sys.argv[2:]:
    with contextlib.redirect_stdout(io.StringIO()):
        gt = COCO(d + "/gt.json")
        dt = gt.loadRes(d + "/dt.json")
        E = COCOeval(gt, dt, "keypoints")
        E.evaluate()
        E.accumulate()
        E.summarize()
    print(json.dumps(list(E.stats)))
`

// TestCOCORandomAgainstPycocotools compares the stats of random cases (crowds, num_keypoints=0,
// areas on the range bounds, tied scores, shuffled images, more than 20 detections, a second
// category, annotation ids from 0) with pycocotools itself. It runs only when
// POSEDISTILL_PYCOCOTOOLS names a folder holding a built pycocotools package (cocodataset/cocoapi's
// PythonAPI after "python3 setup.py build_ext --inplace"); POSEDISTILL_PYCOCOTOOLS_CASES sets the
// number of cases (default 100).
func TestCOCORandomAgainstPycocotools(t *testing.T) {
	pkg := os.Getenv("POSEDISTILL_PYCOCOTOOLS")
	if pkg == "" {
		t.Skip("set POSEDISTILL_PYCOCOTOOLS to a built cocoapi PythonAPI folder to compare with pycocotools")
	}
	n := 100
	if s := os.Getenv("POSEDISTILL_PYCOCOTOOLS_CASES"); s != "" {
		if _, err := fmt.Sscan(s, &n); err != nil {
			t.Fatalf("POSEDISTILL_PYCOCOTOOLS_CASES=%q: %v", s, err)
		}
	}
	root := t.TempDir()
	args := []string{"-c", cocoPycocotoolsStats, pkg}
	for i := 0; i < n; i++ {
		dir := filepath.Join(root, fmt.Sprint(i))
		if err := os.Mkdir(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		gt, res := cocoRandomCase(uint64(i))
		for name, v := range map[string]any{"gt.json": gt, "dt.json": res} {
			b, err := json.Marshal(v)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		args = append(args, dir)
	}
	cmd := exec.Command("/usr/bin/python3", args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("pycocotools: %v\n%s", err, stderr.Bytes())
	}
	dec := json.NewDecoder(bytes.NewReader(out))
	for i := 0; i < n; i++ {
		var want []float64
		if err := dec.Decode(&want); err != nil {
			t.Fatalf("case %d: pycocotools output: %v", i, err)
		}
		gt, res, err := LoadCOCO(context.Background(), filepath.Join(root, fmt.Sprint(i), "gt.json"),
			filepath.Join(root, fmt.Sprint(i), "dt.json"), nil)
		if err != nil {
			t.Fatalf("case %d: %v", i, err)
		}
		rep, err := EvaluateCOCO(context.Background(), gt, res, DefaultCOCOParams())
		if err != nil {
			t.Fatalf("case %d: %v", i, err)
		}
		for k, g := range rep.Stats.Values() {
			if math.Abs(g-want[k]) > 1e-12 {
				t.Errorf("case %d: stat %d = %.17g, pycocotools %.17g", i, k, g, want[k])
			}
		}
	}
}

// cocoRandomCase draws a random evaluation case from seed.
func cocoRandomCase(seed uint64) (*dataset.Dataset, []dataset.Result) {
	rng := rand.New(rand.NewPCG(seed, 0x5eed))
	uni := func(a, b float64) float64 { return a + (b-a)*rng.Float64() }
	round := func(v float64, digits int) float64 {
		p := math.Pow(10, float64(digits))
		return math.Round(v*p) / p
	}
	const w, h = 640, 480
	gt := &dataset.Dataset{Annotations: []dataset.Annotation{}, Categories: []dataset.Category{{ID: 1, Name: "person"}}}
	if rng.Float64() < 0.3 {
		gt.Categories = append(gt.Categories, dataset.Category{ID: 2, Name: "other"})
	}
	nImg := 1 + rng.IntN(15)
	for i := 0; i < nImg; i++ {
		gt.Images = append(gt.Images, dataset.Image{ID: int64(3*i + 1), Width: w, Height: h})
	}
	rng.Shuffle(nImg, func(a, b int) { gt.Images[a], gt.Images[b] = gt.Images[b], gt.Images[a] })
	nextID := []int64{0, 1, 100}[rng.IntN(3)]
	var res []dataset.Result
	person := func() (x, y, pw, ph float64, kps []float64, labelled int) {
		ph = uni(20, 400)
		pw = ph * uni(0.3, 0.7)
		x, y = uni(0, w-pw), uni(0, h-ph)
		for k := 0; k < 17; k++ {
			v := []float64{0, 1, 2, 2, 2}[rng.IntN(5)]
			if v == 0 {
				kps = append(kps, 0, 0, 0)
				continue
			}
			kps = append(kps, math.Round(x+uni(0, pw)), math.Round(y+uni(0, ph)), v)
			labelled++
		}
		return
	}
	for _, im := range gt.Images {
		for p := rng.IntN(7); p > 0; p-- {
			x, y, pw, ph, kps, labelled := person()
			crowd := 0
			if rng.Float64() < 0.08 {
				crowd = 1
			}
			if rng.Float64() < 0.05 {
				labelled = 0
			}
			cat := gt.Categories[rng.IntN(len(gt.Categories))].ID
			area := round(pw*ph*uni(0.5, 1), 2)
			if rng.Float64() < 0.1 {
				area = []float64{1024, 9216}[rng.IntN(2)]
			}
			gt.Annotations = append(gt.Annotations, dataset.Annotation{
				ID: nextID, ImageID: im.ID, CategoryID: cat, IsCrowd: crowd, NumKeypoints: labelled, Area: area,
				BBox: [4]float64{round(x, 2), round(y, 2), round(pw, 2), round(ph, 2)}, Keypoints: kps,
			})
			nextID++
			for d := []int{0, 1, 1, 1, 2}[rng.IntN(5)]; d > 0; d-- {
				s := uni(0.5, 40)
				det := make([]float64, 0, 51)
				for k := 0; k < 17; k++ {
					gx, gy := x+pw/2, y+ph/2
					if kps[3*k+2] > 0 {
						gx, gy = kps[3*k], kps[3*k+1]
					}
					det = append(det, round(gx+s*rng.NormFloat64(), 2), round(gy+s*rng.NormFloat64(), 2), round(rng.Float64(), 3))
				}
				score := []float64{0.5, 0.9, round(rng.Float64(), 2)}[rng.IntN(3)]
				res = append(res, dataset.Result{ImageID: im.ID, CategoryID: cat, Keypoints: det, Score: score})
			}
		}
		fps := 2
		if rng.Float64() < 0.2 {
			fps = 25
		}
		for f := rng.IntN(fps + 1); f > 0; f-- {
			_, _, _, _, kps, _ := person()
			for k := 2; k < len(kps); k += 3 {
				kps[k] = 0.5
			}
			cat := gt.Categories[rng.IntN(len(gt.Categories))].ID
			res = append(res, dataset.Result{ImageID: im.ID, CategoryID: cat, Keypoints: kps, Score: round(rng.Float64(), 2)})
		}
	}
	if len(res) == 0 { // pycocotools cannot load an empty results file
		_, _, _, _, kps, _ := person()
		res = append(res, dataset.Result{ImageID: gt.Images[0].ID, CategoryID: 1, Keypoints: kps, Score: 0.3})
	}
	rng.Shuffle(len(res), func(a, b int) { res[a], res[b] = res[b], res[a] })
	return gt, res
}
