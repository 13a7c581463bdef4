package eval

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// cocoPycocotoolsTimer times pycocotools on a fixture case inside one Python process: argv is
// the folder holding the pycocotools package, the case folder and the repetition count; it
// prints the seconds spent in load + evaluate + accumulate over all repetitions.
const cocoPycocotoolsTimer = `
import contextlib, io, sys, time
sys.path.insert(0, sys.argv[1])
import numpy as np
np.float = float  # removed in numpy 1.24; cocoapi@8c9bcc3 still uses it
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval
d, n = sys.argv[2], int(sys.argv[3])
t0 = time.perf_counter()
for _ in range(n):
    with contextlib.redirect_stdout(io.StringIO()):
        gt = COCO(d + "/gt.json")
        dt = gt.loadRes(d + "/dt.json")
        E = COCOeval(gt, dt, "keypoints")
        E.evaluate()
        E.accumulate()
print(time.perf_counter() - t0)
`

// BenchmarkCOCOBig times load + evaluate + accumulate on the 1,000-image "big" fixture, for
// posedistill (with dataset.Read / ReadResults; "evaluate-only" starts from decoded data) and, when POSEDISTILL_PYCOCOTOOLS names a folder holding a built pycocotools package
// (cocodataset/cocoapi's PythonAPI, built with "python3 setup.py build_ext --inplace"), for
// pycocotools in the same run (its ns/op is measured inside Python, without interpreter start-up).
func BenchmarkCOCOBig(b *testing.B) {
	cocoFixtureDirs(b)
	dir := filepath.Join(cocoFixtureRoot, "big")
	b.Run("posedistill", func(b *testing.B) {
		ctx := context.Background()
		for i := 0; i < b.N; i++ {
			gt, res := cocoLoadCase(b, dir)
			e, err := NewCOCOEvaluator(gt, res, DefaultCOCOParams())
			if err != nil {
				b.Fatal(err)
			}
			if err := e.Evaluate(ctx); err != nil {
				b.Fatal(err)
			}
			if _, err := e.Accumulate(ctx); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("posedistill-evaluate-only", func(b *testing.B) {
		ctx := context.Background()
		gt, res := cocoLoadCase(b, dir)
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			e, err := NewCOCOEvaluator(gt, res, DefaultCOCOParams())
			if err != nil {
				b.Fatal(err)
			}
			if err := e.Evaluate(ctx); err != nil {
				b.Fatal(err)
			}
			if _, err := e.Accumulate(ctx); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("pycocotools", func(b *testing.B) {
		pkg := os.Getenv("POSEDISTILL_PYCOCOTOOLS")
		if pkg == "" {
			b.Skip("set POSEDISTILL_PYCOCOTOOLS to a built cocoapi PythonAPI folder to time pycocotools")
		}
		abs, err := filepath.Abs(dir)
		if err != nil {
			b.Fatal(err)
		}
		out, err := exec.Command("/usr/bin/python3", "-c", cocoPycocotoolsTimer, pkg, abs, strconv.Itoa(b.N)).Output()
		if err != nil {
			b.Fatalf("pycocotools: %v", err)
		}
		sec, err := strconv.ParseFloat(strings.TrimSpace(string(out)), 64)
		if err != nil {
			b.Fatalf("pycocotools timer printed %q", out)
		}
		b.ReportMetric(sec*1e9/float64(b.N), "ns/op")
	})
}
