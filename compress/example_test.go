package compress_test

import (
	"fmt"

	"github.com/posedistill/posedistill/compress"
)

func ExampleSchedule_SparsityAt() {
	s := compress.Schedule{Initial: 0, Final: 0.8, Begin: 1000, End: 5000, Every: 1000}
	for _, step := range []int{0, 1000, 2500, 3000, 4999, 6000} {
		fmt.Printf("step %d: %.3f\n", step, s.SparsityAt(step))
	}
	// Output:
	// step 0: 0.000
	// step 1000: 0.000
	// step 2500: 0.463
	// step 3000: 0.700
	// step 4999: 0.788
	// step 6000: 0.800
}

func ExampleQuantize() {
	w := []float32{0.5, -1, 0.25, 0.1, 2, -0.3} // [3, 2]: two output channels
	q, err := compress.Quantize("w", w, []int{3, 2}, compress.QuantOptions{Format: compress.Int4, PerChannel: true})
	if err != nil {
		fmt.Println(err)
		return
	}
	back, _ := q.Dequantize()
	fmt.Printf("%d bytes of codes, scales %.4f\n", len(q.Packed), q.Scale)
	fmt.Printf("%.4f\n", back)
	// Output:
	// 3 bytes of codes, scales [0.2857 0.1429]
	// [0.5714 -1.0000 0.2857 0.1429 2.0000 -0.2857]
}

func ExampleFactorizeMatrix() {
	// A 3×2 matrix of rank 1 is exactly the product of a 3×1 and a 1×2 factor.
	a := []float32{1, 2, 2, 4, 3, 6}
	f, err := compress.FactorizeMatrix(a, 3, 2, 1)
	if err != nil {
		fmt.Println(err)
		return
	}
	for i := range 3 {
		fmt.Printf("%.3f %.3f\n", f.U[i]*f.V[0], f.U[i]*f.V[1])
	}
	fmt.Printf("singular values %.3f\n", f.Singular)
	// Output:
	// 1.000 2.000
	// 2.000 4.000
	// 3.000 6.000
	// singular values [8.367 0.000]
}
