package main

import (
	"fmt"

	"github.com/posedistill/posedistill/backend"
	"github.com/posedistill/posedistill/modelstore"
	"github.com/posedistill/posedistill/movenet"
)

// isMoveNetModel reports whether a --model value names a MoveNet model.
func isMoveNetModel(model string) bool {
	for _, m := range movenet.Models() {
		if string(m) == model {
			return true
		}
	}
	return false
}

// openMoveNet opens the go backend and a MoveNet model (movenet-lightning, -thunder or
// -multipose) from the cache ($POSEDISTILL_CACHE or the user cache).
func openMoveNet(model string) (*movenet.Estimator, error) {
	cache, err := modelstore.DefaultCacheDir()
	if err != nil {
		return nil, err
	}
	be, err := backend.New("go")
	if err != nil {
		return nil, err
	}
	e, err := movenet.Open(be, cache, movenet.Model(model))
	if err != nil {
		return nil, fmt.Errorf("%w (run 'posedistill models fetch movenet' first)", err)
	}
	return e, nil
}
