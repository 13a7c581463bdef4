package tflite

import (
	"context"
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/posedistill/posedistill/internal/peers"
	"github.com/posedistill/posedistill/modelcheck"
)

// TestRunnerReportsNonFiniteOutput: an imported model with a damaged weight (NaN) fails with a model error
// naming the model and the output (issue 16: the error blamed the JSON writer).
func TestRunnerReportsNonFiniteOutput(t *testing.T) {
	nan := float32(math.NaN())
	m, err := Parse(miniModel([]tspec{
		{shape: []int{1, 1, 1, 2}, typ: Float32},
		{shape: []int{2, 1, 1, 2}, typ: Float32, data: peers.Float32Bytes([]float32{1, 2, nan, -4})},
		{shape: []int{1, 1, 1, 2}, typ: Float32},
	}, []mop{{code: OpConv2D, in: []int{0, 1, -1}, out: []int{2}, optType: optConv2D,
		opts: fbTable{0: fbU8(PaddingValid), 1: fbI32(1), 2: fbI32(1), 3: fbU8(ActNone)}}}))
	if err != nil {
		t.Fatal(err)
	}
	net, err := NewNetwork(m)
	if err != nil {
		t.Fatal(err)
	}
	part, err := net.ImportNet("damaged", 0, -1)
	if err != nil {
		t.Fatal(err)
	}
	r := partRunner(t, part)
	r.Name = "damaged.tflite"
	_, err = r.Run(context.Background(), []float32{1, 1})
	if !errors.Is(err, modelcheck.ErrNonFinite) || !strings.Contains(err.Error(), "damaged.tflite") {
		t.Fatalf("got %v, want a non-finite output error naming the model", err)
	}
}
