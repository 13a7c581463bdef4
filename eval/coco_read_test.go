package eval

import (
	"encoding/json"
	"fmt"
	"os"

	"github.com/posedistill/posedistill/dataset"
)

// cocoTestReadGT reads a COCO ground-truth file for the tests.
// TODO(integration): replace with dataset.Read once the dataset package provides it.
func cocoTestReadGT(path string) (*dataset.Dataset, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var d dataset.Dataset
	if err := json.Unmarshal(b, &d); err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	return &d, nil
}

// cocoTestReadResults reads a COCO results file for the tests.
// TODO(integration): replace with dataset.ReadResults once the dataset package provides it.
func cocoTestReadResults(path string) ([]dataset.Result, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var r []dataset.Result
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	return r, nil
}
