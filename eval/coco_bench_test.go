package eval

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
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
t0, c0 = time.perf_counter(), time.process_time()
for _ in range(n):
    with contextlib.redirect_stdout(io.StringIO()):
        gt = COCO(d + "/gt.json")
        dt = gt.loadRes(d + "/dt.json")
        E = COCOeval(gt, dt, "keypoints")
        E.evaluate()
        E.accumulate()
print(time.perf_counter() - t0, time.process_time() - c0)
`

// BenchmarkCOCOBig times load + evaluate + accumulate on the 1,000-image "big" fixture, for
// posedistill (LoadCOCO, i.e. dataset.Read / ReadResults, then evaluation; "load-only" and
// "evaluate-only" time the two halves) and, when POSEDISTILL_PYCOCOTOOLS names a folder holding a built pycocotools package
// (cocodataset/cocoapi's PythonAPI, built with "python3 setup.py build_ext --inplace"), for
// pycocotools in the same run (its ns/op is measured inside Python, without interpreter start-up).
// Both also report cpu-ns/op, the process CPU time per operation, which a loaded machine distorts
// less than wall-clock time.
func BenchmarkCOCOBig(b *testing.B) {
	cocoFixtureDirs(b)
	dir := filepath.Join(cocoFixtureRoot, "big")
	b.Run("posedistill", func(b *testing.B) {
		ctx := context.Background()
		cpu0 := cocoCPUTime(b)
		for i := 0; i < b.N; i++ {
			gt, res, err := LoadCOCO(ctx, filepath.Join(dir, "gt.json"), filepath.Join(dir, "dt.json"), nil)
			if err != nil {
				b.Fatal(err)
			}
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
		b.ReportMetric(float64(cocoCPUTime(b)-cpu0)/float64(b.N), "cpu-ns/op")
	})
	b.Run("posedistill-load-only", func(b *testing.B) {
		ctx := context.Background()
		cpu0 := cocoCPUTime(b)
		for i := 0; i < b.N; i++ {
			if _, _, err := LoadCOCO(ctx, filepath.Join(dir, "gt.json"), filepath.Join(dir, "dt.json"), nil); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(cocoCPUTime(b)-cpu0)/float64(b.N), "cpu-ns/op")
	})
	b.Run("posedistill-evaluate-only", func(b *testing.B) {
		ctx := context.Background()
		gt, res := cocoLoadCase(b, dir)
		b.ResetTimer()
		cpu0 := cocoCPUTime(b)
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
		b.ReportMetric(float64(cocoCPUTime(b)-cpu0)/float64(b.N), "cpu-ns/op")
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
		fields := strings.Fields(string(out))
		if len(fields) != 2 {
			b.Fatalf("pycocotools timer printed %q", out)
		}
		for i, unit := range []string{"ns/op", "cpu-ns/op"} {
			sec, err := strconv.ParseFloat(fields[i], 64)
			if err != nil {
				b.Fatalf("pycocotools timer printed %q", out)
			}
			b.ReportMetric(sec*1e9/float64(b.N), unit)
		}
	})
}

// cocoCPUTime returns the CPU time (user + system) the process has used so far.
func cocoCPUTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
