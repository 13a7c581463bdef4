package video

import (
	"context"
	"errors"
	"fmt"
	"image"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/posedistill/posedistill/atomicfile"
	"github.com/posedistill/posedistill/dataset"
)

// process decodes the video in (info from Probe; at most frames frames when positive), calls step
// on every frame with its index and timestamp in seconds (step may draw on the frame), encodes the
// frames into outDir/overlay.mp4 and every pngEvery-th one as overlay_NNNNNN.png, and then calls
// writeResults with the path results.json is to be written to. The results, the video and the
// PNGs are replaced together or not at all (atomicfile.Group); overlay PNGs of an earlier, longer
// run are removed. The returned TrackResult has Frames, PerFrame and the paths set.
func process(ctx context.Context, info Info, in, outDir string, frames, pngEvery int,
	step func(n int, ts float64, frame *image.RGBA) error, writeResults func(path string) error) (TrackResult, error) {
	var res TrackResult
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		return res, fmt.Errorf("video: %w", err)
	}
	dec, err := Decode(ctx, in, info, frames)
	if err != nil {
		return res, err
	}
	defer dec.Abort()
	var outputs atomicfile.Group
	defer outputs.Abort()
	pngs := map[string]bool{}
	overlayPath := filepath.Join(outDir, "overlay.mp4")
	enc, err := Encode(ctx, outputs.Path(overlayPath), info)
	if err != nil {
		return res, err
	}
	defer enc.Abort()
	start := time.Now()
	n := 0
	for {
		frame, err := dec.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return res, err
		}
		if err := step(n, float64(n)/info.FPS, frame); err != nil {
			return res, err
		}
		if err := enc.Write(frame); err != nil {
			return res, err
		}
		if pngEvery > 0 && n%pngEvery == 0 {
			png := filepath.Join(outDir, fmt.Sprintf("overlay_%06d.png", n+1))
			if err := dataset.SaveImage(outputs.Path(png), frame); err != nil {
				return res, err
			}
			pngs[png] = true
		}
		n++
	}
	if err := dec.Close(); err != nil {
		return res, err
	}
	if err := enc.Finish(); err != nil {
		return res, err
	}
	resultsPath := filepath.Join(outDir, "results.json")
	if err := writeResults(outputs.Path(resultsPath)); err != nil {
		return res, err
	}
	if err := outputs.Commit(); err != nil {
		return res, err
	}
	// Overlay frames of an earlier, longer run do not belong to these results.
	if old, err := filepath.Glob(filepath.Join(outDir, "overlay_*.png")); err == nil {
		for _, p := range old {
			if !pngs[p] {
				os.Remove(p)
			}
		}
	}
	res.Frames, res.ResultsPath, res.OverlayPath = n, resultsPath, overlayPath
	if n > 0 {
		res.PerFrame = time.Since(start) / time.Duration(n)
	}
	return res, nil
}
