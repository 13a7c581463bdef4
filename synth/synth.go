// Package synth renders synthetic people with labels that are exact by construction: posed
// articulated bodies (the joints of skeleton.H36MFace) made of capsules and ellipsoids, with
// per-person proportions, clothing colours and textures, seen by a pinhole camera over
// procedural backgrounds with clutter and occluders, several people per image.
//
// Every image comes with COCO-17 keypoints (visibility from the depth buffer: 2 visible, 1
// hidden but inside the image, 0 with x = y = 0 outside it), the instance mask of each person's
// visible pixels, its box and area, 3D joints in camera coordinates (mm) and the intrinsics.
// Image coordinates are continuous: the image spans [0, W] × [0, H] and pixel (i, j) covers
// [i, i+1) × [j, j+1), so a keypoint at (x, y) lies in pixel (⌊x⌋, ⌊y⌋).
//
// Rendering is deterministic: an image depends only on the seed and its index (or its sequence
// and frame), never on how many workers render the set. (Bytes are identical across runs on one
// CPU architecture; compilers for other architectures may fuse floating-point operations.)
//
// The renderer is fast enough to feed training directly (Renderer.Still from a worker pool), or
// WriteDataset saves a COCO-format dataset to disk.
package synth

import (
	"fmt"
	"image"
	"sync"

	"github.com/posedistill/posedistill/dataset"
	"github.com/posedistill/posedistill/skeleton"
)

// Options configures the renderer.
type Options struct {
	// Width and Height are the image size in pixels.
	Width, Height int
	// MinPeople and MaxPeople bound the number of people per image (inclusive).
	MinPeople, MaxPeople int
	// HeavyOcclusion clusters people so they overlap strongly and adds more occluders in front
	// of them (OCHuman-like).
	HeavyOcclusion bool
	// LightOcclusion keeps the clutter behind the people (they still occlude one another and
	// are cut by the border): an easier dataset for short training runs.
	LightOcclusion bool
	// Photos are optional background photographs, which must show no people (they would be
	// unlabelled). A random crop of one of them replaces the procedural background in a fraction
	// PhotoFraction of the images.
	Photos        []image.Image
	PhotoFraction float64
	// MinHeight and MaxHeight bound each person's full-body height as a fraction of the image
	// height, drawn log-uniformly; zero values mean 0.14–2.5 (small, medium and large COCO
	// areas, close people cut by the border).
	MinHeight, MaxHeight float64
	// BackViews is the share of people whose torso faces away from the camera (within ±60° of
	// straight away); the others face it or are seen in profile. 0 means DefaultBackViews (real
	// photographs show people from behind less often than from the front); a negative value
	// renders no back views.
	BackViews float64
	// LimbClutter adds thin poles and sticks, shaped like limbs, to the clutter (harder data: a
	// model must tell them from arms and legs). Off by default.
	LimbClutter bool
}

// DefaultBackViews is the share of people seen from behind when Options.BackViews is 0.
const DefaultBackViews = 0.25

// backViews returns the share of back views, with the default filled in.
func (o Options) backViews() float64 {
	switch {
	case o.BackViews == 0:
		return DefaultBackViews
	case o.BackViews < 0:
		return 0
	}
	return o.BackViews
}

// heightRange returns the person-height range of o, with the defaults filled in.
func (o Options) heightRange() (lo, hi float64) {
	if o.MinHeight == 0 && o.MaxHeight == 0 {
		return 0.14, 2.5
	}
	return o.MinHeight, o.MaxHeight
}

// Validate reports whether the options describe a renderable image.
func (o Options) Validate() error {
	switch {
	case o.Width < 8 || o.Height < 8 || o.Width > 8192 || o.Height > 8192:
		return fmt.Errorf("synth: image size %dx%d outside 8..8192", o.Width, o.Height)
	case o.MinPeople < 0 || o.MaxPeople < o.MinPeople || o.MaxPeople > 50:
		return fmt.Errorf("synth: people range %d-%d invalid (want 0 <= min <= max <= 50)", o.MinPeople, o.MaxPeople)
	case !(o.PhotoFraction >= 0 && o.PhotoFraction <= 1):
		return fmt.Errorf("synth: photo fraction %g outside [0, 1]", o.PhotoFraction)
	case (o.MinHeight != 0 || o.MaxHeight != 0) && !(o.MinHeight > 0.01 && o.MaxHeight >= o.MinHeight && o.MaxHeight <= 10):
		return fmt.Errorf("synth: person height range %g-%g invalid (want 0.01 < min <= max <= 10 image heights)", o.MinHeight, o.MaxHeight)
	case !(o.BackViews <= 1):
		return fmt.Errorf("synth: back-view share %g above 1", o.BackViews)
	case o.HeavyOcclusion && o.LightOcclusion:
		return fmt.Errorf("synth: heavy and light occlusion are exclusive")
	case o.PhotoFraction > 0 && len(o.Photos) == 0:
		return fmt.Errorf("synth: photo fraction %g without photos", o.PhotoFraction)
	}
	return nil
}

// Frame is one rendered image with its labels.
type Frame struct {
	Image  *image.RGBA
	Camera dataset.Camera
	// People holds the annotated people: those with at least one visible pixel.
	People []Person
}

// Person is the exact labels of one rendered person.
type Person struct {
	// Index is the person's index in the scene (stable across the frames of a sequence).
	Index int
	// Keypoints are COCO-17 x, y, v triplets.
	Keypoints    []float64
	NumKeypoints int
	// Joints3D are x, y, z in millimetres, camera coordinates, in skeleton.H36MFace order.
	Joints3D []float64
	// BBox is x, y, width, height of the visible mask; Area its pixel count.
	BBox [4]float64
	Area float64
	// Mask is the person's visible pixels.
	Mask dataset.Mask
	// TrackID identifies the person across the frames of a sequence (0 for still images).
	TrackID int64
}

// Annotation converts the person's labels into a COCO annotation (category 1, mask as
// compressed RLE).
func (p *Person) Annotation(id, imageID int64) (dataset.Annotation, error) {
	rle, err := dataset.EncodeMask(&p.Mask)
	if err != nil {
		return dataset.Annotation{}, fmt.Errorf("annotation %d: %w", id, err)
	}
	rle.Compressed = true // pycocotools' string form, as COCO ships instance masks
	return dataset.Annotation{
		ID: id, ImageID: imageID, CategoryID: 1,
		NumKeypoints: p.NumKeypoints, Area: p.Area, BBox: p.BBox,
		Keypoints:    append([]float64(nil), p.Keypoints...),
		Segmentation: &dataset.Segmentation{RLE: rle},
		Joints3D:     append([]float64(nil), p.Joints3D...),
		TrackID:      p.TrackID,
	}, nil
}

// Category returns the COCO person category with the COCO-17 keypoints and skeleton.
func Category() dataset.Category {
	s := skeleton.COCO17()
	return dataset.Category{ID: 1, Name: "person", Supercategory: "person", Keypoints: s.Joints, Skeleton: s.COCOSkeleton()}
}

// Renderer renders images with fixed options. It is safe for concurrent use.
type Renderer struct {
	opt    Options
	toCOCO *skeleton.Mapping
	photos []photo
	pool   sync.Pool // of *scratch
}

// NewRenderer checks the options and returns a renderer.
func NewRenderer(opt Options) (*Renderer, error) {
	if err := opt.Validate(); err != nil {
		return nil, err
	}
	m, err := skeleton.NewMapping(skeleton.H36MFace(), skeleton.COCO17())
	if err != nil {
		return nil, fmt.Errorf("synth: %w", err)
	}
	r := &Renderer{opt: opt, toCOCO: m}
	for i, img := range opt.Photos {
		p, err := newPhoto(img)
		if err != nil {
			return nil, fmt.Errorf("synth: photo %d: %w", i, err)
		}
		r.photos = append(r.photos, p)
	}
	return r, nil
}

// Options returns the renderer's options.
func (r *Renderer) Options() Options { return r.opt }

// Still renders still image number index of the set generated from seed.
func (r *Renderer) Still(seed uint64, index int) (*Frame, error) {
	rng := newRand(seed, streamStill, uint64(index))
	s := sampleStill(rng, &r.opt, r.photos)
	f, err := r.render(&s, rng.Uint32())
	if err != nil {
		return nil, fmt.Errorf("synth: image %d: %w", index, err)
	}
	return f, nil
}

// render draws a scene and labels it.
func (r *Renderer) render(s *sceneSpec, salt uint32) (*Frame, error) {
	w, h := s.Cam.Width, s.Cam.Height
	pl := s.place()
	sc := r.getScratch(w, h)
	defer r.pool.Put(sc)
	pix := sc.pix
	shadows := make([]shadow, len(s.People))
	for i, p := range s.People {
		shadows[i] = shadow{X: p.Pos.X, Z: p.Pos.Z, R: 0.3 * p.Shape.Height, Dark: s.ShadowDark}
	}
	if c := s.Photo; c.On && c.Index < len(r.photos) {
		c.paint(&r.photos[c.Index], w, h, pix)
		s.BG.paintShapes(w, h, pix)
	} else {
		s.BG.paint(&s.Cam, pix, sc.grid, shadows)
	}
	zb := &sc.zb
	rasterize(&s.Cam, pl.Prims, zb)
	copy(sc.tmp, pix) // the background, for the anti-aliased edges
	shade(s, pl.Prims, zb, pix)
	antialias(s, pl.Prims, zb, pix, sc.tmp)
	people, err := labelPeople(s, &pl, zb, r.toCOCO)
	if err != nil {
		return nil, err
	}
	img := finish(pix, sc.tmp, w, h, s.Blur, s.Noise, salt)
	return &Frame{Image: img, Camera: s.Cam.Intr, People: people}, nil
}
