// Package modelstore fetches pretrained models that posedistill imports (the MediaPipe BlazePose
// TFLite models), verifies them against pinned SHA-256 digests and keeps them in a cache directory.
package modelstore

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// BlazePoseNPMPackage is the npm package that ships the MediaPipe BlazePose models.
const BlazePoseNPMPackage = "@mediapipe/pose"

// BlazePoseNPMVersion is the pinned version of BlazePoseNPMPackage whose files the digests below match.
const BlazePoseNPMVersion = "0.5.1675469404"

// BlazePoseDir is the sub-directory of a cache directory that holds the BlazePose models.
const BlazePoseDir = "blazepose"

// File is one model file: its name in the cache and the SHA-256 (hex) of its content.
type File struct {
	Name   string
	SHA256 string
}

// Names of the BlazePose model files in the cache.
const (
	PoseLandmarkLite  = "pose_landmark_lite.tflite"
	PoseLandmarkFull  = "pose_landmark_full.tflite"
	PoseLandmarkHeavy = "pose_landmark_heavy.tflite"
	PoseDetection     = "pose_detection.tflite"
)

// packedAssets is the Emscripten data bundle of @mediapipe/pose that holds pose_detection.tflite.
const packedAssets = "pose_solution_packed_assets.data"

// BlazePoseFiles returns the BlazePose model files with their pinned digests (from
// @mediapipe/pose 0.5.1675469404).
func BlazePoseFiles() []File {
	return []File{
		{PoseLandmarkLite, "f17bfbecadb61c3be1baa8b8d851cc6619c870a87167b32848ad20db306b9d61"},
		{PoseLandmarkFull, "e9a5c5cb17f736fafd4c2ec1da3b3d331d6edbe8a0d32395855aeb2cdfd64b9f"},
		{PoseLandmarkHeavy, "59e42d71bcd44cbdbabc419f0ff76686595fd265419566bd4009ef703ea8e1fe"},
		{PoseDetection, "a63c614bef30d35947f13be361820b1e4e3bec9cfeebf4d11216a18373108e85"},
	}
}

// BlazePosePath returns where the model file name lives in cacheDir.
func BlazePosePath(cacheDir, name string) string {
	return filepath.Join(cacheDir, BlazePoseDir, name)
}

// ErrNPMUnavailable reports that the npm client is missing or could not reach its registry.
var ErrNPMUnavailable = errors.New("npm unavailable")

// FetchBlazePose makes sure the four BlazePose model files are in cacheDir/blazepose with their
// pinned digests. Files already cached with the right digest are kept. If from is empty the
// files come from the pinned @mediapipe/pose npm package (fetched with "npm pack"); otherwise
// from is a directory holding the files (the .tflite names, or an unpacked @mediapipe/pose
// package) or the package's .tgz tarball. Errors wrap ErrNPMUnavailable when npm cannot fetch.
func FetchBlazePose(ctx context.Context, cacheDir, from string) error {
	dir := filepath.Join(cacheDir, BlazePoseDir)
	missing := missingFiles(dir)
	if len(missing) == 0 {
		return nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("fetch blazepose: %w", err)
	}
	var src source
	var err error
	switch {
	case from == "":
		var cleanup func()
		src, cleanup, err = npmPack(ctx, BlazePoseNPMPackage+"@"+BlazePoseNPMVersion)
		if cleanup != nil {
			defer cleanup()
		}
	default:
		src, err = openSource(from)
	}
	if err != nil {
		return fmt.Errorf("fetch blazepose: %w", err)
	}
	for _, f := range missing {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("fetch blazepose: %w", err)
		}
		data, err := src.get(f.Name)
		if err != nil {
			return fmt.Errorf("fetch blazepose %s: %w", f.Name, err)
		}
		if err := checkDigest(f, data); err != nil {
			return fmt.Errorf("fetch blazepose: %w", err)
		}
		if err := writeFile(filepath.Join(dir, f.Name), data); err != nil {
			return fmt.Errorf("fetch blazepose: %w", err)
		}
	}
	return nil
}

// missingFiles lists the files of BlazePoseFiles absent from dir or with a wrong digest.
func missingFiles(dir string) []File {
	var out []File
	for _, f := range BlazePoseFiles() {
		data, err := os.ReadFile(filepath.Join(dir, f.Name))
		if err != nil || checkDigest(f, data) != nil {
			out = append(out, f)
		}
	}
	return out
}
