package synth_test

import (
	"fmt"
	"log"

	"github.com/posedistill/posedistill/synth"
)

// Render one image of a dataset and read its labels: COCO-17 keypoints with visibility, the
// visible mask's box and area, and 3D joints in camera millimetres.
func ExampleRenderer_Still() {
	r, err := synth.NewRenderer(synth.Options{Width: 128, Height: 128, MinPeople: 2, MaxPeople: 2})
	if err != nil {
		log.Fatal(err)
	}
	f, err := r.Still(42, 0) // seed 42, image 0: always the same pixels and labels
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(f.Image.Rect.Dx(), f.Image.Rect.Dy())
	for _, p := range f.People {
		fmt.Println(len(p.Keypoints)/3, "keypoints,", len(p.Joints3D)/3, "3D joints, area > 0:", p.Area > 0)
	}
	// Output:
	// 128 128
	// 17 keypoints, 22 3D joints, area > 0: true
	// 17 keypoints, 22 3D joints, area > 0: true
}
