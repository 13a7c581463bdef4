package tflite

import (
	"context"
	"fmt"

	"github.com/posedistill/posedistill/backend"
	"github.com/posedistill/posedistill/internal/peers"
)

// Example parses a TFLite model (here a tiny one written in memory: x → CONV_2D 1×1 with
// weights [[1 2] [3 −4]] and RELU → y), imports it as a network description with its weights
// and runs it on GoMLX's go backend.
func Example() {
	data := miniModel([]tspec{
		{shape: []int{1, 1, 1, 2}, typ: Float32},
		{shape: []int{2, 1, 1, 2}, typ: Float32, data: peers.Float32Bytes([]float32{1, 2, 3, -4})},
		{shape: []int{1, 1, 1, 2}, typ: Float32},
	}, []mop{{code: OpConv2D, in: []int{0, 1, -1}, out: []int{2}, optType: optConv2D,
		opts: fbTable{0: fbU8(PaddingValid), 1: fbI32(1), 2: fbI32(1), 3: fbU8(ActRelu)}}})

	m, err := Parse(data) // or ReadFile("pose_landmark_lite.tflite")
	if err != nil {
		fmt.Println(err)
		return
	}
	net, err := NewNetwork(m)
	if err != nil {
		fmt.Println(err)
		return
	}
	part, err := net.ImportNet("tiny", 0, -1) // output 0 is the heatmap head, no mask
	if err != nil {
		fmt.Println(err)
		return
	}
	store, err := part.NewStore()
	if err != nil {
		fmt.Println(err)
		return
	}
	be, err := backend.New("go")
	if err != nil {
		fmt.Println(err)
		return
	}
	r, err := NewNetRunner(be, part, store)
	if err != nil {
		fmt.Println(err)
		return
	}
	outs, err := r.Run(context.Background(), []float32{1, 1})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(part.Net.Layers[0].Op, net.Inputs()[0].Shape, "→", net.Outputs()[0].Shape, outs[0])
	// Output: conv [1 1 1 2] → [1 1 1 2] [3 0]
}
