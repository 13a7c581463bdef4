package export_test

import (
	"bytes"
	"fmt"

	"github.com/posedistill/posedistill/export"
)

func ExampleEncodeSafetensors() {
	var buf bytes.Buffer
	tensors := []export.Tensor{
		export.Float32Tensor("conv/weights", []float32{1, 2, 3, 4, 5, 6}, 1, 1, 2, 3),
		export.Float32Tensor("conv/biases", []float32{0.5, -0.5, 0}, 3),
	}
	if err := export.EncodeSafetensors(&buf, tensors, map[string]string{"net": "demo"}); err != nil {
		fmt.Println(err)
		return
	}
	read, meta, err := export.DecodeSafetensors(buf.Bytes())
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, t := range read {
		v, _ := t.Float32s()
		fmt.Println(t.Name, t.DType, t.Shape, v)
	}
	fmt.Println(meta["net"], buf.Len(), "bytes")
	// Output:
	// conv/biases F32 [3] [0.5 -0.5 0]
	// conv/weights F32 [1 1 2 3] [1 2 3 4 5 6]
	// demo 212 bytes
}
