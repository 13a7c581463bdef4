package modelcheck

import (
	"errors"
	"math"
	"strings"
	"testing"
)

func TestFloat32s(t *testing.T) {
	if err := Float32s("m", "0", []float32{0, -1, 3e38}); err != nil {
		t.Errorf("finite: %v", err)
	}
	nan, inf := float32(math.NaN()), float32(math.Inf(-1))
	err := Float32s("pose_landmark_full.tflite", "Identity", []float32{1, nan, 2, inf})
	var ne *NonFiniteError
	if !errors.As(err, &ne) || !errors.Is(err, ErrNonFinite) || ne.Index != 1 || ne.Count != 2 {
		t.Fatalf("%#v", err)
	}
	if !strings.Contains(err.Error(), "pose_landmark_full.tflite") || !strings.Contains(err.Error(), "Identity") {
		t.Errorf("message %q names neither the model nor the output", err)
	}
	if Float64("m", "loss", math.Inf(1)) == nil || Float64("m", "loss", 1) != nil {
		t.Error("Float64")
	}
}
