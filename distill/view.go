package distill

import (
	"context"
	"fmt"
	"math"

	"github.com/posedistill/posedistill/codec"
	"github.com/posedistill/posedistill/topdown"
)

// View is where one student crop lies in its original image: the decoded image, the transform
// from the crop's pixels to the image's (the augmentation's, flip included: topdown.Sample.ToImage)
// and the crop's size. A teacher given a View looks at the same region of the original image,
// rendered at its own input size (RegionTeacher), never at a resample of the student's crop.
type View struct {
	Image *topdown.RGB
	// ToImage maps student-crop pixels to image pixels; the crop is CropW×CropH and its box spans
	// [0, CropW]×[0, CropH] in crop coordinates (topdown.WarpMatrix's convention).
	ToImage      topdown.Affine
	CropW, CropH int
	// Flipped tells that ToImage mirrors the image (the student's joint labels are swapped).
	Flipped bool
}

// TeacherToImage returns the transform from the coordinates of a tw×th teacher crop (box edges
// at 0 and tw, 0 and th) to image pixels for a teacher that sees the view's region: the student's
// crop grown around its centre to the teacher's aspect (a square for BlazePose and MoveNet, as
// MediaPipe's square ROI), under the same rotation, scale and flip.
func (v View) TeacherToImage(tw, th int) topdown.Affine {
	rw, rh := float64(v.CropW), float64(v.CropH) // region in student-crop pixels
	aspect := float64(tw) / float64(th)
	if rw > rh*aspect {
		rh = rw / aspect
	} else {
		rw = rh * aspect
	}
	s := rw / float64(tw)
	// teacher (x, y) ↦ student crop (W/2 + (x − tw/2)·s, H/2 + (y − th/2)·s) ↦ image.
	toCrop := topdown.Affine{s, 0, float64(v.CropW)/2 - float64(tw)/2*s, 0, s, float64(v.CropH)/2 - float64(th)/2*s}
	return toCrop.Then(v.ToImage)
}

// TeacherCrop renders the view's region for a teacher of input tw×th into raw 0–255 RGB values
// ([th, tw, 3]): pixel (u, v) samples the teacher coordinate (u + offset, v + offset) (offset 0:
// topdown's convention, the networks trained here; 0.5: MediaPipe's pixel centres). It returns
// the crop and TeacherToImage.
func (v View) TeacherCrop(tw, th int, offset float64) ([]float32, topdown.Affine, error) {
	t2i := v.TeacherToImage(tw, th)
	toCrop, err := topdown.Affine{1, 0, offset, 0, 1, offset}.Then(t2i).Inverse()
	if err != nil {
		return nil, t2i, fmt.Errorf("teacher crop: %w", err)
	}
	crop := make([]float32, tw*th*3)
	if err := topdown.WarpImage(v.Image, toCrop, tw, th, crop); err != nil {
		return nil, t2i, fmt.Errorf("teacher crop: %w", err)
	}
	return crop, t2i, nil
}

// Record is what a teacher says about one view, in the original image's coordinates, so that it
// can be stored once per person and warped to any augmented crop of it (Render).
type Record struct {
	// Keypoints are the student's joints in image pixels, V 2 where the teacher is confident
	// enough, else 0; Confidence (nil: all 1) scales each joint's target peak.
	Keypoints  []codec.Keypoint
	Confidence []float64
	// Mirrored tells that the teacher looked at a mirrored region: joint j is what the teacher
	// calls j in the mirrored picture (Render swaps labels when the student's flip differs).
	Mirrored bool
	// Maps are soft heatmaps [MapH, MapW, K] (a network teacher's own outputs), map pixel (x, y)
	// lying at image point MapToImage(x, y); nil for keypoint teachers.
	Maps       []float32
	MapW, MapH int
	MapToImage topdown.Affine
	// Mask holds person probabilities [MaskH, MaskW], mask pixel (x, y) at image point
	// MaskToImage(x, y); nil when the teacher has no mask.
	Mask         []float32
	MaskW, MaskH int
	MaskToImage  topdown.Affine
}

// RegionTeacher is a teacher that looks at the original image: given views, it renders each
// view's region at its own input size and aspect and returns what it sees as Records.
type RegionTeacher interface {
	Teacher
	Look(ctx context.Context, views []View) ([]Record, error)
	// ID names the teacher's weights and settings (a hash of its model file and options): the
	// key of its cached outputs.
	ID() string
}

// Targets are a teacher's outputs rendered for one student crop at heatmap size HeatH×HeatW:
// Heatmaps [HeatH, HeatW, K] and, when the record has one, Mask [HeatH, HeatW].
type Targets struct {
	Heatmaps, Mask []float32
}

// Render turns a record into the targets of the student crop of view v: keypoints are mapped
// from the image into the crop and re-rendered with the student's codec c (peaks scaled by their
// confidence); soft maps and the mask are resampled bilinearly at each heatmap pixel's image
// position (zero outside what the teacher saw); joint labels are swapped through flipIndex when
// the record's mirroring and the view's flip differ.
func Render(rec Record, v View, c *codec.Codec, k int, flipIndex []int) (Targets, error) {
	var out Targets
	toCrop, err := v.ToImage.Inverse()
	if err != nil {
		return out, fmt.Errorf("render teacher record: %w", err)
	}
	swap := rec.Mirrored != v.Flipped
	if swap && len(flipIndex) != k {
		return out, fmt.Errorf("render teacher record: %d flip indices for %d joints", len(flipIndex), k)
	}
	hp := c.NumHeatPixels()
	switch {
	case rec.Maps != nil:
		if len(rec.Maps) != rec.MapW*rec.MapH*k {
			return out, fmt.Errorf("render teacher record: %d map values, want %d×%d×%d", len(rec.Maps), rec.MapH, rec.MapW, k)
		}
		out.Heatmaps = make([]float32, hp*k)
		if err := sampleMaps(out.Heatmaps, rec.Maps, rec.MapW, rec.MapH, k, rec.MapToImage, v.ToImage, c, swapIndex(swap, flipIndex, k)); err != nil {
			return out, err
		}
	case rec.Keypoints != nil:
		if len(rec.Keypoints) != k || (rec.Confidence != nil && len(rec.Confidence) != k) {
			return out, fmt.Errorf("render teacher record: %d keypoints (%d confidences) for %d joints", len(rec.Keypoints), len(rec.Confidence), k)
		}
		idx := swapIndex(swap, flipIndex, k)
		kps := make([]codec.Keypoint, k)
		for j, src := range idx {
			p := rec.Keypoints[src]
			x, y := toCrop.Apply(p.X, p.Y)
			kps[j] = codec.Keypoint{X: x, Y: y, V: p.V}
		}
		out.Heatmaps = make([]float32, hp*k)
		if err := c.Encode(kps, out.Heatmaps, make([]float32, k)); err != nil {
			return out, fmt.Errorf("render teacher record: %w", err)
		}
		if rec.Confidence != nil {
			for p := range hp {
				for j, src := range idx {
					out.Heatmaps[p*k+j] *= float32(rec.Confidence[src])
				}
			}
		}
	default:
		return out, fmt.Errorf("render teacher record: neither keypoints nor maps")
	}
	if rec.Mask != nil {
		if len(rec.Mask) != rec.MaskW*rec.MaskH {
			return out, fmt.Errorf("render teacher record: %d mask values, want %d×%d", len(rec.Mask), rec.MaskH, rec.MaskW)
		}
		out.Mask = make([]float32, hp)
		if err := sampleMaps(out.Mask, rec.Mask, rec.MaskW, rec.MaskH, 1, rec.MaskToImage, v.ToImage, c, []int{0}); err != nil {
			return out, err
		}
	}
	return out, nil
}

// swapIndex returns the source joint of each joint: flipIndex when swap, else the identity.
func swapIndex(swap bool, flipIndex []int, k int) []int {
	if swap {
		return flipIndex
	}
	idx := make([]int, k)
	for j := range idx {
		idx[j] = j
	}
	return idx
}

// sampleMaps fills dst [HeatH, HeatW, k] (c's heatmap grid of the crop whose pixels map to the
// image by cropToImage) with src [h, w, k] (whose pixels map to the image by srcToImage), bilinear,
// zero outside src; dst channel j takes src channel idx[j].
func sampleMaps(dst, src []float32, w, h, k int, srcToImage, cropToImage topdown.Affine, c *codec.Codec, idx []int) error {
	imageToSrc, err := srcToImage.Inverse()
	if err != nil {
		return fmt.Errorf("render teacher record: %w", err)
	}
	sx, sy := c.InputPerHeatPixel()
	heatToSrc := topdown.Affine{sx, 0, 0, 0, sy, 0}.Then(cropToImage).Then(imageToSrc)
	at := func(x, y, ch int) float32 {
		if x < 0 || y < 0 || x >= w || y >= h {
			return 0
		}
		return src[(y*w+x)*k+ch]
	}
	for hy := range c.HeatH {
		for hx := range c.HeatW {
			x, y := heatToSrc.Apply(float64(hx), float64(hy))
			fx, fy := math.Floor(x), math.Floor(y)
			o := dst[(hy*c.HeatW+hx)*k : (hy*c.HeatW+hx+1)*k]
			if !(fx >= -1 && fy >= -1 && fx < float64(w) && fy < float64(h)) {
				clear(o)
				continue
			}
			x0, y0 := int(fx), int(fy)
			ax, ay := float32(x-fx), float32(y-fy)
			for j, ch := range idx {
				o[j] = (1-ay)*((1-ax)*at(x0, y0, ch)+ax*at(x0+1, y0, ch)) + ay*((1-ax)*at(x0, y0+1, ch)+ax*at(x0+1, y0+1, ch))
			}
		}
	}
	return nil
}

// poolMask averages a size×size mask into size/f × size/f cells (f divides size).
func poolMask(m []float32, size, f int) []float32 {
	n := size / f
	out := make([]float32, n*n)
	inv := 1 / float32(f*f)
	for y := range size {
		for x := range size {
			out[(y/f)*n+x/f] += m[y*size+x] * inv
		}
	}
	return out
}
