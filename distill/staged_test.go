package distill

import (
	"context"
	"testing"

	"github.com/posedistill/posedistill/topdown"
)

// callCounter returns heatmaps of ones and counts its calls.
type callCounter struct{ calls int }

func (c *callCounter) Predict(_ context.Context, images topdown.Tensor, h, w int) (TeacherOutput, error) {
	c.calls++
	n := images.Shape[0]
	out := TeacherOutput{Heatmaps: make([]float32, n*h*w*17), Mask: make([]float32, n*h*w)}
	for i := range out.Heatmaps {
		out.Heatmaps[i] = 1
	}
	return out, nil
}

func (c *callCounter) Close() {}

func TestStagedTeacher(t *testing.T) {
	stages := Stages{Order: Ordered, PrimarySteps: 3}
	tests := []struct {
		name   string
		gate   func(int) float64
		active []bool
	}{
		{"primary", stages.Primary(), []bool{true, true, true, false, false}},
		{"senior", stages.Senior(), []bool{false, false, false, true, true}},
	}
	images := topdown.Tensor{Shape: []int{2, 8, 8, 3}, Data: make([]float32, 2*8*8*3)}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			inner := &callCounter{}
			st := &stagedTeacher{Teacher: inner, active: tc.gate, joints: 17}
			calls := 0
			for step, want := range tc.active {
				out, err := st.Predict(context.Background(), images, 2, 2)
				if err != nil {
					t.Fatal(err)
				}
				if want {
					calls++
				}
				if inner.calls != calls {
					t.Fatalf("step %d: teacher ran %d times, want %d", step, inner.calls, calls)
				}
				if len(out.Heatmaps) != 2*2*2*17 || len(out.Mask) != 2*2*2 {
					t.Fatalf("step %d: %d heatmap, %d mask values", step, len(out.Heatmaps), len(out.Mask))
				}
				if got := out.Heatmaps[0] == 1; got != want {
					t.Errorf("step %d: teacher output %v, want teacher's: %v", step, out.Heatmaps[0], want)
				}
			}
		})
	}
}
