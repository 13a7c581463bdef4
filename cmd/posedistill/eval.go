package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/posedistill/posedistill/atomicfile"
	"github.com/posedistill/posedistill/eval"
	"github.com/posedistill/posedistill/skeleton"
)

// runEval evaluates a COCO keypoint results file against ground truth with pycocotools'
// protocol: it prints the familiar ten-line summary and a per-keypoint error table, and with
// --json writes the ten numbers at full precision.
func runEval(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("eval", "eval --gt GT.json --dt RESULTS.json [--json OUT.json] [--sigmas coco17]", stderr)
	gtPath := fs.String("gt", "", "COCO keypoint ground-truth `file` (required)")
	dtPath := fs.String("dt", "", "COCO keypoint results `file`: a JSON list of detections (required)")
	jsonPath := fs.String("json", "", "write the ten stats (AP, AP50, AP75, APm, APl, AR, AR50, AR75, ARm, ARl) to this JSON `file`")
	sigmas := fs.String("sigmas", "coco17", "OKS sigmas: a keypoint set name (coco17) or comma-separated numbers, one per keypoint")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *gtPath == "" || *dtPath == "" {
		fmt.Fprintln(stderr, "eval: --gt and --dt are required")
		fs.Usage()
		return errUsage
	}
	p, err := evalParams(*sigmas)
	if err != nil {
		return err
	}

	gt, results, err := eval.LoadCOCO(ctx, *gtPath, *dtPath, func(msg string) {
		fmt.Fprintf(stderr, "warning: %s: %s\n", *gtPath, msg)
	})
	if err != nil {
		return err
	}
	if len(results) == 0 {
		return fmt.Errorf("results %s: no detections (an empty results file cannot be evaluated)", *dtPath)
	}
	rep, err := eval.EvaluateCOCO(ctx, gt, results, p)
	if err != nil {
		return fmt.Errorf("evaluate %s against %s: %w", *dtPath, *gtPath, err)
	}
	if rep.Dropped > 0 {
		fmt.Fprintf(stderr, "warning: %s: %d results of categories not in %s ignored\n", *dtPath, rep.Dropped, *gtPath)
	}

	if _, err := io.WriteString(stdout, rep.Stats.Summary(p)); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "\nPer-keypoint error of %d matched pairs at OKS 0.5 (error in units of the person's scale sqrt(area)):\n",
		rep.MatchedPairs)
	if err := eval.WriteCOCOKeypointTable(stdout, rep.Keypoints); err != nil {
		return err
	}
	pairs, err := eval.PairResults(gt, results)
	if err != nil {
		return fmt.Errorf("pair %s with %s: %w", *dtPath, *gtPath, err)
	}
	if p.Sigmas == nil || len(p.Sigmas) == skeleton.COCO17().NumJoints() {
		lr, err := eval.LeftRight(pairs, gt, eval.PCKConfig{Alpha: 0.1, Norm: eval.NormBox})
		if err != nil {
			return fmt.Errorf("evaluate %s: %w", *dtPath, err)
		}
		fmt.Fprintf(stdout, "\nLeft/right diagnosis of %d people (PCK normalised by the box's longer side; facing from the annotations' joints_3d):\n", len(pairs))
		if err := eval.WriteLeftRightTable(stdout, lr, 0.1); err != nil {
			return err
		}
	}
	if *jsonPath != "" {
		b, err := json.MarshalIndent(rep.Stats, "", "  ")
		if err != nil {
			return err
		}
		if err := atomicfile.WriteBytes(*jsonPath, append(b, '\n')); err != nil {
			return err
		}
	}
	return nil
}

// evalParams returns the COCO parameters for the --sigmas flag: a keypoint set name or a list of
// numbers (COCO-17's keypoint names are kept when there are 17 of them).
func evalParams(sigmas string) (eval.COCOParams, error) {
	if set, err := skeleton.ByName(sigmas); err == nil {
		p, err := eval.COCOParamsFor(set)
		if err != nil {
			return p, fmt.Errorf("--sigmas %s: %w", sigmas, err)
		}
		return p, nil
	}
	fields := strings.Split(sigmas, ",")
	values := make([]float64, len(fields))
	for i, f := range fields {
		v, err := strconv.ParseFloat(strings.TrimSpace(f), 64)
		if err != nil {
			return eval.COCOParams{}, fmt.Errorf("--sigmas %q: not a keypoint set name nor a list of numbers (%v)", sigmas, errors.Unwrap(err))
		}
		values[i] = v
	}
	p := eval.DefaultCOCOParams()
	if len(values) != len(p.Sigmas) {
		p.KeypointNames = nil
	}
	p.Sigmas = values
	if err := p.Validate(); err != nil {
		return p, fmt.Errorf("--sigmas: %w", err)
	}
	return p, nil
}
