package distill

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/gomlx/compute"

	"github.com/posedistill/posedistill/atomicfile"
	"github.com/posedistill/posedistill/dataset"
	"github.com/posedistill/posedistill/train"
)

// EvaluateRun evaluates a trained run (e.g. a model of the zoo, trained on other data) on the val
// split of dataDir, top-down on the GT boxes with the flip test, and writes its predictions
// (train.ValResultsFile) and the Result (SummaryFile) to outDir, leaving the run untouched.
func EvaluateRun(ctx context.Context, runDir, dataDir, outDir string, be compute.Backend) (Result, error) {
	t, err := train.LoadTrained(runDir)
	if err != nil {
		return Result{}, err
	}
	res := Result{Name: t.Config.Name, Steps: t.Info.Step, Loss: t.Info.Loss, Params: t.Net.Params()}
	if f, err := t.Net.FLOPs(t.Config.InputH, t.Config.InputW); err == nil {
		res.FLOPs = f
	}
	p, err := t.Predictor(be)
	if err != nil {
		return res, fmt.Errorf("evaluate %s: %w", runDir, err)
	}
	defer p.Finalize()
	sc, err := t.SampleConfig()
	if err != nil {
		return res, fmt.Errorf("evaluate %s: %w", runDir, err)
	}
	split, err := train.ReadSplit(ctx, dataDir, "val.json")
	if err != nil {
		return res, err
	}
	results, rep, err := train.Validate(ctx, train.PredictorHeatmaps(p), sc, split, t.Config.BatchSize, true)
	if err != nil {
		return res, fmt.Errorf("evaluate %s: %w", runDir, err)
	}
	res.Val = rep.Stats
	if t.Net.Heads.Locations != "" && has3D(split) {
		p3, err := Evaluate3D(ctx, p, t.Config, dataDir)
		if err != nil {
			return res, fmt.Errorf("evaluate %s: %w", runDir, err)
		}
		res.Pose3D = &p3
	}
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		return res, fmt.Errorf("evaluate %s: %w", runDir, err)
	}
	if err := dataset.WriteResults(filepath.Join(outDir, train.ValResultsFile), results); err != nil {
		return res, err
	}
	return res, atomicfile.WriteJSON(filepath.Join(outDir, SummaryFile), res)
}

// has3D reports whether any person of the split has 3D joints.
func has3D(s *train.Split) bool {
	for _, in := range s.Instances {
		if len(in.Annotation.Joints3D) > 0 {
			return true
		}
	}
	return false
}
