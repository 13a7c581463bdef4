package blazepose

import (
	"fmt"
	"image"

	"github.com/posedistill/posedistill/dataset"
	"github.com/posedistill/posedistill/render"
	"github.com/posedistill/posedistill/skeleton"
)

// MinDrawVisibility hides landmarks (and their bones) less visible than this in overlays.
const MinDrawVisibility = 0.3

// Draw paints one result onto img: the segmentation mask tinted (when mask is not nil), the
// landmark box and the 33-landmark skeleton (landmarks at least MinDrawVisibility visible), the
// mask and box in the colour of palette entry colour.
func Draw(img *image.RGBA, r Result, mask *dataset.Mask, colour int) error {
	c := render.Palette(colour)
	if mask != nil {
		if err := render.Mask(img, mask, c, 0.35); err != nil {
			return fmt.Errorf("blazepose overlay: %w", err)
		}
	}
	// Line widths follow the person's size, so that people far away stay readable.
	size := min(float64(img.Rect.Dy()), max(1.5*max(r.BBox[2], r.BBox[3]), 128))
	st := render.DefaultStyle(int(size))
	st.MinScore, st.Occlusion = MinDrawVisibility, false
	render.Box(img, r.BBox, st.Bone, c)
	if len(r.Landmarks) != NumLandmarks {
		return fmt.Errorf("blazepose overlay: %d landmarks, want %d", len(r.Landmarks), NumLandmarks)
	}
	kps := make([]float64, 0, 3*NumLandmarks)
	for _, l := range r.Landmarks {
		kps = append(kps, l[0], l[1], l[3])
	}
	if err := render.Skeleton(img, skeleton.BlazePose33(), kps, st); err != nil {
		return fmt.Errorf("blazepose overlay: %w", err)
	}
	return nil
}
