package main

import (
	"context"
	"errors"
	"io"
)

// runSynth is replaced by the synth renderer's command.
func runSynth(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return errors.New("synth: not built yet")
}
