package synth

import (
	"context"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"math"
	"os"
	"path/filepath"

	"github.com/posedistill/posedistill/atomicfile"
	"github.com/posedistill/posedistill/dataset"
	"github.com/posedistill/posedistill/progress"
	"github.com/posedistill/posedistill/render"
	"github.com/posedistill/posedistill/skeleton"
)

// WriteOptions sets what WriteDataset renders and where it writes it.
type WriteOptions struct {
	// Dir receives images/, train.json, val.json, sequences.json and contact_sheet.png.
	Dir string
	// Seed selects the dataset: the same seed gives the same bytes.
	Seed uint64
	// Images is the number of still images; the last round(Images·ValFraction) go to val.json.
	Images      int
	ValFraction float64
	// Sequences is the number of video sequences of Sequence.Frames frames each.
	Sequences int
	Sequence  SequenceOptions
	// Format is "jpg" or "png".
	Format string
	// Workers is the number of images rendered at once (the output does not depend on it).
	Workers int
	// SheetImages is the number of images on the contact sheet (0: no sheet).
	SheetImages int
	// Progress, when set, receives a progress bar.
	Progress io.Writer
}

// Written describes one file WriteDataset wrote.
type Written struct {
	Path           string
	Images, People int
}

// splitSets holds the annotation files being filled.
type splitSets struct {
	train, val, seq *dataset.Dataset
	nextAnn         int64
}

// renderedItem is one rendered and saved image ready for its annotation file.
type renderedItem struct {
	image dataset.Image
	anns  []dataset.Annotation
	frame *Frame // kept only for the contact sheet
}

// Check validates the options.
func (wo *WriteOptions) Check() error {
	switch {
	case wo.Dir == "":
		return fmt.Errorf("synth: no output directory")
	case wo.Images < 0 || wo.Sequences < 0:
		return fmt.Errorf("synth: negative image (%d) or sequence (%d) count", wo.Images, wo.Sequences)
	case wo.Images+wo.Sequences == 0:
		return fmt.Errorf("synth: nothing to render: no images and no sequences")
	case !(wo.ValFraction >= 0 && wo.ValFraction <= 1):
		return fmt.Errorf("synth: val fraction %g outside [0, 1]", wo.ValFraction)
	case wo.Format != "jpg" && wo.Format != "png":
		return fmt.Errorf("synth: image format %q (want jpg or png)", wo.Format)
	}
	if wo.Sequences > 0 {
		return wo.Sequence.Validate()
	}
	return nil
}

// WriteDataset renders the still images and sequences, saves the images under Dir/images, and
// writes COCO files train.json and val.json (still images), sequences.json (video frames, with
// sequence ids, frame indices, timestamps and track ids) and a contact sheet. Image and
// annotation ids are unique across the three files. It returns the files written.
func WriteDataset(ctx context.Context, r *Renderer, wo WriteOptions) ([]Written, error) {
	if err := wo.Check(); err != nil {
		return nil, err
	}
	imgDir := filepath.Join(wo.Dir, "images")
	if err := os.MkdirAll(imgDir, 0o755); err != nil {
		return nil, fmt.Errorf("create %s: %w", imgDir, err)
	}
	frames := 0
	if wo.Sequences > 0 {
		frames = wo.Sequence.Frames
	}
	total := wo.Images + wo.Sequences*frames
	nTrain := wo.Images - int(math.Round(float64(wo.Images)*wo.ValFraction))
	sets := splitSets{train: r.newSet("train", wo.Seed), val: r.newSet("val", wo.Seed), seq: r.newSet("sequences", wo.Seed)}
	sheetN := min(wo.SheetImages, total)

	work := func(i int) (renderedItem, error) {
		img := dataset.Image{ID: int64(i + 1), Width: r.opt.Width, Height: r.opt.Height}
		var f *Frame
		var err error
		if i < wo.Images {
			f, err = r.Still(wo.Seed, i)
			img.FileName = fmt.Sprintf("images/%06d.%s", i+1, wo.Format)
		} else {
			k := i - wo.Images
			seq, fr := k/frames, k%frames
			f, err = r.SequenceFrame(wo.Seed, seq, fr, wo.Sequence)
			img.FileName = fmt.Sprintf("images/seq%03d_%05d.%s", seq+1, fr, wo.Format)
			img.SequenceID, img.FrameIndex, img.Timestamp = int64(seq+1), fr, float64(fr)/wo.Sequence.FPS
		}
		if err != nil {
			return renderedItem{}, err
		}
		cam := f.Camera
		img.Camera = &cam
		if err := dataset.SaveImage(filepath.Join(wo.Dir, img.FileName), f.Image); err != nil {
			return renderedItem{}, err
		}
		it := renderedItem{image: img}
		for _, p := range f.People {
			a, err := p.Annotation(0, img.ID)
			if err != nil {
				return renderedItem{}, fmt.Errorf("%s: %w", img.FileName, err)
			}
			it.anns = append(it.anns, a)
		}
		if i < sheetN {
			it.frame = f
		}
		return it, nil
	}
	bar := progress.New(wo.Progress, total, "synth")
	var sheet []*Frame
	collect := func(i int, it renderedItem) error {
		set := sets.seq
		switch {
		case i < nTrain:
			set = sets.train
		case i < wo.Images:
			set = sets.val
		}
		set.Images = append(set.Images, it.image)
		for _, a := range it.anns {
			sets.nextAnn++
			a.ID = sets.nextAnn
			set.Annotations = append(set.Annotations, a)
		}
		if it.frame != nil {
			sheet = append(sheet, it.frame)
		}
		bar.Add(1)
		return nil
	}
	err := Parallel(ctx, total, wo.Workers, work, collect)
	bar.Done()
	if err != nil {
		return nil, err
	}
	var out []Written
	for _, o := range []struct {
		name string
		d    *dataset.Dataset
		want bool
	}{{"train.json", sets.train, wo.Images > 0}, {"val.json", sets.val, wo.Images > 0}, {"sequences.json", sets.seq, wo.Sequences > 0}} {
		if !o.want {
			continue
		}
		path := filepath.Join(wo.Dir, o.name)
		if err := dataset.Write(path, o.d); err != nil {
			return nil, err
		}
		out = append(out, Written{Path: path, Images: len(o.d.Images), People: len(o.d.Annotations)})
	}
	if len(sheet) > 0 {
		path := filepath.Join(wo.Dir, "contact_sheet.png")
		grid, err := ContactSheet(sheet)
		if err != nil {
			return nil, fmt.Errorf("contact sheet %s: %w", path, err)
		}
		if err := atomicfile.Write(path, func(w io.Writer) error { return png.Encode(w, grid) }); err != nil {
			return nil, err
		}
		people := 0
		for _, f := range sheet {
			people += len(f.People)
		}
		out = append(out, Written{Path: path, Images: len(sheet), People: people})
	}
	return out, nil
}

// newSet returns an empty annotation file for a split, with the renderer's settings in "info".
func (r *Renderer) newSet(split string, seed uint64) *dataset.Dataset {
	occlusion := "normal"
	if r.opt.HeavyOcclusion {
		occlusion = "heavy"
	}
	info := map[string]any{
		"description":  "posedistill synthetic people",
		"split":        split,
		"seed":         seed,
		"size":         fmt.Sprintf("%dx%d", r.opt.Width, r.opt.Height),
		"people":       fmt.Sprintf("%d-%d", r.opt.MinPeople, r.opt.MaxPeople),
		"occlusion":    occlusion,
		"keypoints_3d": skeleton.H36MFace().Joints,
	}
	return &dataset.Dataset{Info: info, Images: []dataset.Image{}, Annotations: []dataset.Annotation{},
		Categories: []dataset.Category{Category()}}
}

// ContactSheet draws each frame's instance masks, boxes and COCO skeletons (visible keypoints
// filled, occluded ones as red rings) and lays the frames out in a square-ish grid.
func ContactSheet(frames []*Frame) (*image.RGBA, error) {
	if len(frames) == 0 {
		return nil, fmt.Errorf("synth: contact sheet of no frames")
	}
	coco := skeleton.COCO17()
	imgs := make([]image.Image, 0, len(frames))
	for _, f := range frames {
		im := image.NewRGBA(f.Image.Rect)
		copy(im.Pix, f.Image.Pix)
		st := render.DefaultStyle(im.Rect.Dy())
		for k, p := range f.People {
			if err := render.Mask(im, &p.Mask, render.Palette(k), 0.3); err != nil {
				return nil, err
			}
			render.Box(im, p.BBox, st.Bone*0.7, render.Palette(k))
			if err := render.Skeleton(im, coco, p.Keypoints, st); err != nil {
				return nil, err
			}
		}
		imgs = append(imgs, im)
	}
	cols := int(math.Ceil(math.Sqrt(float64(len(imgs)))))
	b := frames[0].Image.Rect
	return render.Grid(imgs, cols, b.Dx(), b.Dy(), 4, color.RGBA{255, 255, 255, 255})
}
