package render

import (
	"fmt"
	"image"
	"image/color"
	"strings"

	"github.com/posedistill/posedistill/dataset"
	"github.com/posedistill/posedistill/skeleton"
)

// Style sets the sizes and colours of an overlay.
type Style struct {
	// Left, Right and Middle colour the joints and bones by side; Occluded the rings of hidden
	// keypoints.
	Left, Right, Middle, Occluded color.RGBA
	// Bone is the bone line width, Point the keypoint radius.
	Bone, Point float64
	// MinScore hides keypoints (and their bones) whose third value is below it; for labels
	// (v in {0, 1, 2}) 0.5 hides the unlabelled ones.
	MinScore float64
	// Occlusion draws keypoints with v == 1 as hollow red circles (labels, not scores).
	Occlusion bool
}

// DefaultStyle returns a style scaled to an image of the given height.
func DefaultStyle(height int) Style {
	s := float64(height) / 256
	return Style{
		Left: color.RGBA{40, 220, 60, 255}, Right: color.RGBA{240, 120, 20, 255},
		Middle: color.RGBA{60, 140, 255, 255}, Occluded: color.RGBA{255, 40, 40, 255},
		Bone: 1.5 * s, Point: 2.2 * s, MinScore: 0.5, Occlusion: true,
	}
}

// sideColour returns the colour of a joint by its name's side.
func (st *Style) sideColour(name string) color.RGBA {
	switch {
	case strings.HasPrefix(name, "left_"):
		return st.Left
	case strings.HasPrefix(name, "right_"):
		return st.Right
	}
	return st.Middle
}

// Skeleton draws the bones and keypoints of one person: kps holds x, y and a visibility or
// score per joint of set.
func Skeleton(img *image.RGBA, set *skeleton.Set, kps []float64, st Style) error {
	if set == nil {
		return fmt.Errorf("render: nil keypoint set")
	}
	n := set.NumJoints()
	if len(kps) != 3*n {
		return fmt.Errorf("render: %d keypoint values for %s, want %d", len(kps), set.Name, 3*n)
	}
	shown := func(j int) bool { return kps[3*j+2] >= st.MinScore }
	for _, b := range set.Bones {
		if !shown(b[0]) || !shown(b[1]) {
			continue
		}
		c := st.sideColour(set.Joints[b[0]])
		if st.sideColour(set.Joints[b[1]]) != c {
			c = st.Middle
		}
		Line(img, kps[3*b[0]], kps[3*b[0]+1], kps[3*b[1]], kps[3*b[1]+1], st.Bone, c)
	}
	for j := range n {
		if !shown(j) {
			continue
		}
		x, y := kps[3*j], kps[3*j+1]
		if st.Occlusion && kps[3*j+2] < 1.5 {
			Circle(img, x, y, st.Point+0.5, 1.2, st.Occluded)
			continue
		}
		Disc(img, x, y, st.Point+0.8, color.RGBA{0, 0, 0, 255})
		Disc(img, x, y, st.Point, st.sideColour(set.Joints[j]))
	}
	return nil
}

// Box draws an annotation box (x, y, width, height).
func Box(img *image.RGBA, bbox [4]float64, width float64, c color.RGBA) {
	Rect(img, bbox[0], bbox[1], bbox[2], bbox[3], width, c)
}

// Mask tints the pixels of m with colour c at opacity alpha (0–1). The mask must have the
// image's size.
func Mask(img *image.RGBA, m *dataset.Mask, c color.RGBA, alpha float64) error {
	w, h := img.Rect.Dx(), img.Rect.Dy()
	if m.Width != w || m.Height != h || len(m.Pix) != w*h {
		return fmt.Errorf("render: mask %dx%d (%d pixels) does not fit image %dx%d", m.Width, m.Height, len(m.Pix), w, h)
	}
	for y := range h {
		for x := range w {
			if m.Pix[y*w+x] != 0 {
				blend(img, img.Rect.Min.X+x, img.Rect.Min.Y+y, c, alpha)
			}
		}
	}
	return nil
}

// Palette returns a distinct colour for instance i (for masks and boxes).
func Palette(i int) color.RGBA {
	p := [...]color.RGBA{
		{230, 25, 75, 255}, {60, 180, 75, 255}, {255, 225, 25, 255}, {0, 130, 200, 255},
		{245, 130, 48, 255}, {145, 30, 180, 255}, {70, 240, 240, 255}, {240, 50, 230, 255},
	}
	if i < 0 {
		i = -i
	}
	return p[i%len(p)]
}
