package dataset_test

import (
	"fmt"

	"github.com/posedistill/posedistill/dataset"
)

func ExampleEncodeMask() {
	// 3 pixels wide, 2 high:  . # #
	//                         . . #
	m := &dataset.Mask{Width: 3, Height: 2, Pix: []uint8{0, 1, 1, 0, 0, 1}}
	r, err := dataset.EncodeMask(m)
	if err != nil {
		panic(err)
	}
	// From the fourth count on, the string holds differences: 2−1 is written as '1'.
	fmt.Println(r.Counts, r.CompressedCounts(), r.Area(), r.BBox())
	// Output: [2 1 1 2] 2111 3 [1 0 2 2]
}

func ExamplePolygonRLE() {
	// COCO's pixel convention: the square from (0, 0) to (10, 10) covers 10×10 pixels.
	r, err := dataset.PolygonRLE([]float64{0, 0, 10, 0, 10, 10, 0, 10}, 20, 20)
	if err != nil {
		panic(err)
	}
	fmt.Println(r.Area(), r.BBox())
	// Output: 100 [0 0 10 10]
}

func ExampleBBoxFromKeypoints() {
	box, ok := dataset.BBoxFromKeypoints([]float64{10, 20, 2, 0, 0, 0, 30, 5, 1})
	fmt.Println(box, ok)
	// Output: [10 5 20 15] true
}
