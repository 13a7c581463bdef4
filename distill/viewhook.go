package distill

import (
	"context"
	"fmt"
	"io"
	"sync"

	"github.com/posedistill/posedistill/dataset"
	"github.com/posedistill/posedistill/topdown"
	"github.com/posedistill/posedistill/train"
)

// Images gives the decoded images of a split's instances by image ID, keeping the most recently
// used ones (Keep) in memory. It is safe for concurrent use.
type Images struct {
	paths map[int64]string
	keep  int
	mu    sync.Mutex
	cache map[int64]*topdown.RGB
	order []int64
}

// NewImages indexes the instances' image files; keep (0: 64) bounds the decoded images held.
func NewImages(instances []topdown.Instance, keep int) *Images {
	if keep <= 0 {
		keep = 64
	}
	s := &Images{paths: map[int64]string{}, keep: keep, cache: map[int64]*topdown.RGB{}}
	for _, in := range instances {
		s.paths[in.Image.ID] = in.ImagePath
	}
	return s
}

// Get returns image id, decoding it on first use.
func (s *Images) Get(id int64) (*topdown.RGB, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if m, ok := s.cache[id]; ok {
		return m, nil
	}
	path, ok := s.paths[id]
	if !ok {
		return nil, fmt.Errorf("teacher views: no image %d in the split", id)
	}
	img, err := dataset.LoadImage(path)
	if err != nil {
		return nil, fmt.Errorf("teacher views: %w", err)
	}
	m, err := topdown.ToRGB(img)
	if err != nil {
		return nil, fmt.Errorf("teacher views %s: %w", path, err)
	}
	if len(s.order) >= s.keep {
		delete(s.cache, s.order[0])
		s.order = s.order[1:]
	}
	s.cache[id], s.order = m, append(s.order, id)
	return m, nil
}

// PlainView returns the un-augmented view of an instance under sc: its box padded by sc.Padding
// at the crop's aspect, no rotation, no flip (the crop evaluation sees).
func PlainView(inst topdown.Instance, img *topdown.RGB, sc topdown.Config) (View, error) {
	c := sc.Codec
	box := topdown.BoxFromXYWH(inst.Annotation.BBox, float64(c.InputW)/float64(c.InputH), sc.Padding)
	toImage, err := topdown.WarpMatrix(box, 0, c.InputW, c.InputH, c.UDPScale()).Inverse()
	if err != nil {
		return View{}, fmt.Errorf("annotation %d: %w", inst.Annotation.ID, err)
	}
	return View{Image: img, ToImage: toImage, CropW: c.InputW, CropH: c.InputH}, nil
}

// CacheRecords returns teacher t's records of every instance, by annotation ID: read from the
// cache, or computed on the instance's un-augmented view (PlainView) and stored. progress, when
// set, receives a line per 100 computed records.
func CacheRecords(ctx context.Context, t RegionTeacher, instances []topdown.Instance, images *Images, sc topdown.Config, cache *RecordCache, progress io.Writer) (map[int64]Record, error) {
	if cache == nil || cache.Dir == "" {
		return nil, fmt.Errorf("teacher records: no cache directory")
	}
	out := make(map[int64]Record, len(instances))
	aspect := float64(sc.Codec.InputW) / float64(sc.Codec.InputH)
	computed := 0
	for _, inst := range instances {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		d, err := cache.imageDigest(inst.ImagePath)
		if err != nil {
			return nil, fmt.Errorf("teacher records: %w", err)
		}
		path := cache.recordKey(t.ID(), d, inst.Annotation.BBox, aspect, sc.Padding)
		if r, ok := cache.load(path); ok {
			cache.Hits++
			out[inst.Annotation.ID] = r
			continue
		}
		cache.Misses++
		img, err := images.Get(inst.Image.ID)
		if err != nil {
			return nil, err
		}
		v, err := PlainView(inst, img, sc)
		if err != nil {
			return nil, fmt.Errorf("teacher records: %w", err)
		}
		recs, err := t.Look(ctx, []View{v})
		if err != nil {
			return nil, fmt.Errorf("teacher records (annotation %d): %w", inst.Annotation.ID, err)
		}
		if err := cache.store(path, recs[0]); err != nil {
			return nil, err
		}
		out[inst.Annotation.ID] = recs[0]
		if computed++; progress != nil && computed%100 == 0 {
			fmt.Fprintf(progress, "teacher %s: %d records computed\n", t.ID(), computed)
		}
	}
	return out, nil
}

// RegionHook returns a train.Options.BeforeStep function that adds every teacher's outputs to
// b.Extra as Hook does, with the teachers seeing the original image: a teacher with records (by
// annotation ID, CacheRecords) has them warped to each sample's crop (Render); a RegionTeacher
// without looks live at each sample's region (its image from images, the batch's ToImage and
// flip); any other teacher sees the batch's crops (Predict). A staged teacher outside its stage
// gives zeros without running.
func RegionHook(teachers []Attached, records map[string]map[int64]Record, images *Images, sc topdown.Config) func(ctx context.Context, step int, b *topdown.Batch) error {
	c := sc.Codec
	flipIndex := sc.Joints.FlipIndex()
	return func(ctx context.Context, step int, b *topdown.Batch) error {
		n, h, w, k, err := prepareBatch(b)
		if err != nil {
			return err
		}
		for _, a := range teachers {
			if err := ctx.Err(); err != nil {
				return err
			}
			if st, ok := a.Teacher.(*stagedTeacher); ok {
				st.atStep(step)
				if st.active(step) == 0 {
					if err := addOutputs(b, a, TeacherOutput{Heatmaps: make([]float32, n*h*w*k), Mask: make([]float32, n*h*w)}, n, h, w, k); err != nil {
						return err
					}
					continue
				}
			}
			recs, haveRecs := records[a.Name]
			rt, isRegion := regionOf(a.Teacher)
			if !haveRecs && !isRegion {
				out, err := a.Teacher.Predict(ctx, b.Images, h, w)
				if err != nil {
					return fmt.Errorf("teacher %s: %w", a.Name, err)
				}
				if err := addOutputs(b, a, out, n, h, w, k); err != nil {
					return err
				}
				continue
			}
			if h != c.HeatH || w != c.HeatW {
				return fmt.Errorf("teacher %s: batch heatmaps %dx%d, codec %dx%d", a.Name, w, h, c.HeatW, c.HeatH)
			}
			views := make([]View, n)
			for i := range views {
				views[i] = View{ToImage: b.ToImage[i], CropW: c.InputW, CropH: c.InputH, Flipped: b.Flipped[i]}
			}
			var rs []Record
			if haveRecs {
				rs = make([]Record, n)
				for i, id := range b.AnnotationIDs {
					r, ok := recs[id]
					if !ok {
						return fmt.Errorf("teacher %s: no record of annotation %d", a.Name, id)
					}
					rs[i] = r
				}
			} else {
				for i := range views {
					img, err := images.Get(b.ImageIDs[i])
					if err != nil {
						return err
					}
					views[i].Image = img
				}
				var err error
				if rs, err = rt.Look(ctx, views); err != nil {
					return fmt.Errorf("teacher %s: %w", a.Name, err)
				}
			}
			out := TeacherOutput{Heatmaps: make([]float32, 0, n*h*w*k)}
			for i, r := range rs {
				t, err := Render(r, views[i], c, k, flipIndex)
				if err != nil {
					return fmt.Errorf("teacher %s: %w", a.Name, err)
				}
				out.Heatmaps = append(out.Heatmaps, t.Heatmaps...)
				if t.Mask != nil {
					if out.Mask == nil {
						out.Mask = make([]float32, 0, n*h*w)
					}
					out.Mask = append(out.Mask, t.Mask...)
				}
			}
			if out.Mask != nil && len(out.Mask) != n*h*w {
				return fmt.Errorf("teacher %s: a mask for some samples only", a.Name)
			}
			if err := addOutputs(b, a, out, n, h, w, k); err != nil {
				return err
			}
		}
		return nil
	}
}

// teacherHook returns the BeforeStep of a run with the attached teachers: RegionHook when one of
// them sees the original image (with its records cached first when opts.TeacherRecords is set),
// else Hook.
func teacherHook(ctx context.Context, att []Attached, opts RunOptions, sc topdown.Config) (func(context.Context, int, *topdown.Batch) error, error) {
	var region []Attached
	for _, a := range att {
		if _, ok := regionOf(a.Teacher); ok {
			region = append(region, a)
		}
	}
	if len(region) == 0 {
		return Hook(att), nil
	}
	split, err := train.ReadSplit(ctx, opts.DataDir, "train.json")
	if err != nil {
		return nil, err
	}
	images := NewImages(split.Instances, 0)
	records := map[string]map[int64]Record{}
	if opts.TeacherRecords != nil {
		for _, a := range region {
			rt, _ := regionOf(a.Teacher)
			r, err := CacheRecords(ctx, rt, split.Instances, images, sc, opts.TeacherRecords, opts.Progress)
			if err != nil {
				return nil, fmt.Errorf("teacher %s: %w", a.Name, err)
			}
			records[a.Name] = r
		}
	}
	return RegionHook(att, records, images, sc), nil
}

// regionOf returns the RegionTeacher a teacher is (a staged one's inner teacher); a network
// teacher with location maps is not one (Look does not carry them).
func regionOf(t Teacher) (RegionTeacher, bool) {
	if st, ok := t.(*stagedTeacher); ok {
		t = st.Teacher
	}
	if nt, ok := t.(*NetTeacher); ok && (nt.Net.Heads.Locations != "" || nt.sample.Codec == nil) {
		return nil, false
	}
	rt, ok := t.(RegionTeacher)
	return rt, ok
}
