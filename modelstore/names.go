package modelstore

import "fmt"

// blazePoseLandmarks maps the model names the CLI and recipes use to landmark model files.
var blazePoseLandmarks = map[string]string{
	"blazepose-lite":  PoseLandmarkLite,
	"blazepose-full":  PoseLandmarkFull,
	"blazepose-heavy": PoseLandmarkHeavy,
}

// BlazePoseLandmark returns the landmark model file of a model name (blazepose-lite,
// blazepose-full or blazepose-heavy).
func BlazePoseLandmark(name string) (string, error) {
	f, ok := blazePoseLandmarks[name]
	if !ok {
		return "", fmt.Errorf("model %q: want blazepose-lite, blazepose-full or blazepose-heavy", name)
	}
	return f, nil
}

// IsBlazePose reports whether name is a BlazePose landmark model name.
func IsBlazePose(name string) bool {
	_, ok := blazePoseLandmarks[name]
	return ok
}
