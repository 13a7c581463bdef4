package tflite

import (
	"reflect"
	"testing"

	"github.com/posedistill/posedistill/internal/testkit"
	"github.com/posedistill/posedistill/modelstore"
)

// blazePoseFile returns the path of a cached BlazePose model, fetching the models with npm the
// first time; the test is skipped only when npm cannot fetch them.
func blazePoseFile(t testing.TB, name string) string {
	t.Helper()
	cache := testkit.BlazePoseCache(t)
	return modelstore.BlazePosePath(cache, name)
}

func TestReadBlazePose(t *testing.T) {
	tests := []struct {
		file    string
		in      []int
		outs    [][]int
		opCount map[string]int
	}{
		{modelstore.PoseLandmarkLite, []int{1, 256, 256, 3},
			[][]int{{1, 195}, {1, 1}, {1, 256, 256, 1}, {1, 64, 64, 39}, {1, 117}},
			map[string]int{"CONV_2D": 54, "DEPTHWISE_CONV_2D": 34, "ADD": 25, "DEQUANTIZE": 176, "RESIZE_BILINEAR": 5}},
		{modelstore.PoseDetection, []int{1, 224, 224, 3},
			[][]int{{1, 2254, 12}, {1, 2254, 1}},
			map[string]int{"DENSIFY": 38, "DEPTH_TO_SPACE": 3, "CONCATENATION": 2, "CONV_2D": 45}},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			m, err := ReadFile(blazePoseFile(t, tc.file))
			if err != nil {
				t.Fatal(err)
			}
			sg := m.SubGraphs[0]
			if got := sg.Tensors[sg.Inputs[0]].Shape; !reflect.DeepEqual(got, tc.in) {
				t.Errorf("input shape %v, want %v", got, tc.in)
			}
			var outs [][]int
			for _, o := range sg.Outputs {
				outs = append(outs, sg.Tensors[o].Shape)
			}
			if !reflect.DeepEqual(outs, tc.outs) {
				t.Errorf("output shapes %v, want %v", outs, tc.outs)
			}
			counts := map[string]int{}
			for _, op := range sg.Operators {
				counts[m.OperatorCodes[op.OpcodeIndex].Builtin.String()]++
			}
			for name, n := range tc.opCount {
				if counts[name] != n {
					t.Errorf("%s: %d operators, want %d", name, counts[name], n)
				}
			}
			for i, op := range sg.Operators {
				switch m.OperatorCodes[op.OpcodeIndex].Builtin {
				case OpConv2D, OpDepthwiseConv, OpAdd, OpResizeBilinear, OpConcatenation, OpDepthToSpace:
					if op.Options == nil {
						t.Errorf("operator %d %v: options not decoded", i, m.OperatorCodes[op.OpcodeIndex].Builtin)
					}
				}
			}
		})
	}
}
