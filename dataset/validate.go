package dataset

import (
	"errors"
	"fmt"
	"math"
)

// maxProblems is how many problems an error lists before summarizing the rest.
const maxProblems = 10

// problems collects validation errors, keeping the first maxProblems.
type problems struct {
	errs  []error
	extra int
}

func (p *problems) addf(format string, args ...any) {
	if len(p.errs) < maxProblems {
		p.errs = append(p.errs, fmt.Errorf(format, args...))
		return
	}
	p.extra++
}

func (p *problems) err() error {
	if len(p.errs) == 0 {
		return nil
	}
	errs := p.errs
	if p.extra > 0 {
		errs = append(errs[:len(errs):len(errs)], fmt.Errorf("… and %d more problems", p.extra))
	}
	return errors.Join(errs...)
}

// Validate checks the dataset's consistency: unique image, annotation and category ids; every
// annotation's image and category listed; keypoints in x, y, v triples, as many as its category
// names; finite numbers; well-formed RLE masks. The error lists the first problems found, each
// naming the element and its id.
func (d *Dataset) Validate() error { return d.validate(false, nil) }

func (d *Dataset) validate(allowUnknown bool, warn func(string)) error {
	var p problems
	images := make(map[int64]int, len(d.Images))
	for i := range d.Images {
		im := &d.Images[i]
		if j, dup := images[im.ID]; dup {
			p.addf("image id %d appears twice (images[%d] and images[%d])", im.ID, j, i)
			continue
		}
		images[im.ID] = i
		if im.Width < 0 || im.Height < 0 {
			p.addf("image id %d (images[%d]): negative size %dx%d", im.ID, i, im.Width, im.Height)
		}
		if c := im.Camera; c != nil && !allFinite([]float64{c.Fx, c.Fy, c.Cx, c.Cy}) {
			p.addf("image id %d (images[%d]): camera has a NaN or infinite value", im.ID, i)
		}
	}
	cats := make(map[int]int, len(d.Categories))
	for i := range d.Categories {
		c := &d.Categories[i]
		if j, dup := cats[c.ID]; dup {
			p.addf("category id %d appears twice (categories[%d] and categories[%d])", c.ID, j, i)
			continue
		}
		cats[c.ID] = i
		for _, b := range c.Skeleton {
			if len(c.Keypoints) > 0 && (b[0] < 1 || b[1] < 1 || b[0] > len(c.Keypoints) || b[1] > len(c.Keypoints)) {
				p.addf("category id %d: skeleton pair %v outside 1…%d", c.ID, b, len(c.Keypoints))
				break
			}
		}
	}
	anns := make(map[int64]int, len(d.Annotations))
	for i := range d.Annotations {
		a := &d.Annotations[i]
		name := fmt.Sprintf("annotation id %d (annotations[%d])", a.ID, i)
		if j, dup := anns[a.ID]; dup {
			p.addf("annotation id %d appears twice (annotations[%d] and annotations[%d])", a.ID, j, i)
		} else {
			anns[a.ID] = i
		}
		if _, ok := images[a.ImageID]; !ok {
			if !allowUnknown {
				p.addf("%s: image_id %d is not in the images list", name, a.ImageID)
			} else if warn != nil {
				warn(fmt.Sprintf("%s: image_id %d is not in the images list", name, a.ImageID))
			}
		}
		if len(a.Keypoints)%3 != 0 {
			p.addf("%s: %d keypoint values, not x, y, v triples", name, len(a.Keypoints))
		}
		if ci, ok := cats[a.CategoryID]; !ok {
			if !allowUnknown {
				p.addf("%s: category_id %d is not in the categories list", name, a.CategoryID)
			} else if warn != nil {
				warn(fmt.Sprintf("%s: category_id %d is not in the categories list", name, a.CategoryID))
			}
		} else if c := &d.Categories[ci]; len(c.Keypoints) > 0 && len(a.Keypoints) > 0 && len(a.Keypoints) != 3*len(c.Keypoints) {
			p.addf("%s: %d keypoint values, category %d %q has %d keypoints (%d values)",
				name, len(a.Keypoints), c.ID, c.Name, len(c.Keypoints), 3*len(c.Keypoints))
		}
		if !allFinite(a.Keypoints) || !allFinite(a.BBox[:]) || !allFinite(a.Joints3D) || !allFinite([]float64{a.Area}) {
			p.addf("%s: NaN or infinite value in keypoints, bbox, area or joints_3d", name)
		}
		if len(a.Joints3D)%3 != 0 {
			p.addf("%s: %d joints_3d values, not x, y, z triples", name, len(a.Joints3D))
		}
		if s := a.Segmentation; s != nil {
			if s.RLE != nil {
				if err := s.RLE.Validate(); err != nil {
					p.addf("%s: segmentation: %w", name, err)
				}
			}
			for _, poly := range s.Polygons {
				if !allFinite(poly) {
					p.addf("%s: NaN or infinite polygon coordinate", name)
					break
				}
			}
		}
	}
	return p.err()
}

// allFinite reports whether no value is NaN or infinite.
func allFinite(v []float64) bool {
	for _, x := range v {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return false
		}
	}
	return true
}
