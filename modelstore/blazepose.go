// Package modelstore fetches pretrained models that posedistill imports (MediaPipe BlazePose as
// TFLite models, MoveNet as TF.js graph models), verifies them against pinned SHA-256 digests and
// keeps them in a cache directory.
package modelstore

import (
	"context"
	"errors"
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

// packedAssets is the Emscripten data bundle of @mediapipe/pose that holds pose_detection.tflite,
// and packedAssetsLoader the script that says where.
const (
	packedAssets       = "pose_solution_packed_assets.data"
	packedAssetsLoader = "pose_solution_packed_assets_loader.js"
)

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

// BlazePosePack returns the BlazePose model files of @mediapipe/pose 0.5.1675469404 as a Pack.
func BlazePosePack() Pack {
	return Pack{
		Name: BlazePoseDir, NPMPackage: BlazePoseNPMPackage, NPMVersion: BlazePoseNPMVersion,
		Files: BlazePoseFiles(), extra: []string{packedAssets, packedAssetsLoader},
	}
}

// FetchBlazePose makes sure the four BlazePose model files are in cacheDir/blazepose with their
// pinned digests (see Pack.Fetch): from the pinned @mediapipe/pose npm package when from is empty,
// otherwise from a directory (the .tflite names, or an unpacked @mediapipe/pose package) or the
// package's .tgz tarball. Errors wrap ErrNPMUnavailable when npm cannot fetch.
func FetchBlazePose(ctx context.Context, cacheDir, from string) error {
	return BlazePosePack().Fetch(ctx, cacheDir, from)
}

// missingFiles lists the files of BlazePoseFiles absent from dir or with a wrong digest.
func missingFiles(dir string) []File { return BlazePosePack().missing(dir) }
