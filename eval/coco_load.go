package eval

import (
	"context"
	"sync"

	"github.com/posedistill/posedistill/dataset"
)

// LoadCOCO reads a ground-truth file and a results file for EvaluateCOCO, both at once (on two
// goroutines: decoding JSON is most of an evaluation's time). The ground truth is read as
// pycocotools loads it: annotations of images or categories the file does not list are accepted
// (and never evaluated), with a message to warn when it is set. Errors name the file.
func LoadCOCO(ctx context.Context, gtPath, resultsPath string, warn func(msg string)) (*dataset.Dataset, []dataset.Result, error) {
	var (
		wg      sync.WaitGroup
		results []dataset.Result
		errRes  error
	)
	wg.Add(1)
	go func() {
		defer wg.Done()
		results, errRes = dataset.ReadResults(resultsPath)
	}()
	gt, errGT := dataset.Read(ctx, gtPath, dataset.ReadOptions{AllowUnknownIDs: true, Warn: warn})
	wg.Wait()
	if errGT != nil {
		return nil, nil, errGT
	}
	if errRes != nil {
		return nil, nil, errRes
	}
	return gt, results, nil
}
