package topdown_test

import (
	"fmt"

	"github.com/posedistill/posedistill/codec"
	"github.com/posedistill/posedistill/dataset"
	"github.com/posedistill/posedistill/skeleton"
	"github.com/posedistill/posedistill/topdown"
)

// Build the evaluation crop of one COCO person, decode its heatmap targets as a perfect network
// would predict them, and map the joints back to the image.
func ExampleConfig_Build() {
	c, err := codec.New(codec.UDP, 192, 256, 48, 64, 2)
	if err != nil {
		panic(err)
	}
	cfg := topdown.NewConfig(c, skeleton.COCO17())
	kps := make([]float64, 3*17)
	kps[0], kps[1], kps[2] = 320.25, 140.5, 2 // the nose; the other joints are not labelled
	inst := topdown.Instance{Annotation: dataset.Annotation{
		ID: 1, ImageID: 9, BBox: [4]float64{280, 120, 80, 200}, Keypoints: kps,
	}}
	img := topdown.NewRGB(640, 480)
	s, err := cfg.Build(inst, img, nil, nil)
	if err != nil {
		panic(err)
	}
	preds, err := c.Decode(s.Heatmaps, 17)
	if err != nil {
		panic(err)
	}
	xy := topdown.ToImageKeypoints(preds, s.ToImage)
	fmt.Printf("crop box %.0f×%.0f at (%.0f, %.0f)\n", s.Box.W, s.Box.H, s.Box.CX, s.Box.CY)
	fmt.Printf("nose in the crop (%.2f, %.2f), back in the image (%.2f, %.2f)\n",
		s.Keypoints[0].X, s.Keypoints[0].Y, xy[0], xy[1])
	// Output:
	// crop box 188×250 at (320, 220)
	// nose in the crop (95.75, 46.41), back in the image (320.25, 140.50)
}
