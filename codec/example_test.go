package codec_test

import (
	"fmt"

	"github.com/posedistill/posedistill/codec"
)

// A 192×256 input with 48×64 UDP heatmaps: encode two joints, decode them back.
func Example() {
	c, err := codec.New(codec.UDP, 192, 256, 48, 64, 2)
	if err != nil {
		panic(err)
	}
	kps := []codec.Keypoint{{X: 100.3, Y: 50.7, V: 2}, {X: 10, Y: 20, V: 0}}
	heatmaps := make([]float32, c.NumHeatPixels()*len(kps))
	weights := make([]float32, len(kps))
	if err := c.Encode(kps, heatmaps, weights); err != nil {
		panic(err)
	}
	preds, err := c.Decode(heatmaps, len(kps))
	if err != nil {
		panic(err)
	}
	fmt.Printf("weights %v\n", weights)
	fmt.Printf("joint 0 at (%.2f, %.2f), score %.2f\n", preds[0].X, preds[0].Y, preds[0].Score)
	// Output:
	// weights [1 0]
	// joint 0 at (100.30, 50.70), score 0.96
}
