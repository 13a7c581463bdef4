package movenet

import (
	"image"

	"github.com/posedistill/posedistill/render"
	"github.com/posedistill/posedistill/skeleton"
)

// Draw draws the people's skeletons (keypoints with confidence ≥ minScore) and boxes on img,
// colouring the boxes by index.
func Draw(img *image.RGBA, people []Person, minScore float64) error {
	st := render.DefaultStyle(img.Rect.Dy())
	st.MinScore, st.Occlusion = minScore, false
	for i, p := range people {
		if err := render.Skeleton(img, skeleton.COCO17(), p.Result(0).Keypoints, st); err != nil {
			return err
		}
		render.Box(img, p.Box, st.Bone, render.Palette(i))
	}
	return nil
}
