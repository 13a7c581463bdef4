package distill

import (
	"context"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/gomlx/compute"
	"github.com/gomlx/gomlx/core/tensors"

	"github.com/posedistill/posedistill/codec"
	"github.com/posedistill/posedistill/modelstore"
	"github.com/posedistill/posedistill/movenet"
	"github.com/posedistill/posedistill/nets"
	"github.com/posedistill/posedistill/topdown"
	"github.com/posedistill/posedistill/train"
)

// TeacherOutput is what a teacher predicts for a batch of n crops, in the student's heatmap
// resolution h×w: Heatmaps [n, h, w, K], and where the teacher has them Locations [n, h, w, 3K]
// and Mask [n, h, w] probabilities (nil otherwise).
type TeacherOutput struct {
	Heatmaps, Locations, Mask []float32
}

// Teacher is anything that, given the student's input crops [N, H, W, 3] (normalised as the
// student's are), returns heatmaps (and location maps, mask) at the student's heatmap size
// heatH×heatW.
type Teacher interface {
	Predict(ctx context.Context, images topdown.Tensor, heatH, heatW int) (TeacherOutput, error)
	// Close releases the teacher's resources.
	Close()
}

// NetTeacher is a network trained here (a checkpoint of Train or of train.Run) used as a teacher.
// Crops are resampled bilinearly to its input size when it differs from the student's, and its
// outputs resampled to the student's heatmap size. The maps of an integral teacher (logits) are
// given as its probabilities scaled to a peak of 1 (see probabilityMaps), so that every teacher's
// maps are non-negative blobs whatever the student's codec.
//
// Look (RegionTeacher), what training uses, renders instead its own crop of the original image
// at its input size and aspect (View.TeacherCrop) and returns its soft heatmaps (probability
// maps for an integral teacher) and mask warped to image coordinates.
type NetTeacher struct {
	Net            *nets.Net
	InputW, InputH int
	// Integral marks a teacher trained with the integral codec.
	Integral  bool
	predictor *nets.Predictor
	// sample is the teacher's own crop configuration (codec, normalisation), id its weights.
	sample topdown.Config
	id     string
}

// LoadTeacher loads the teacher of a run directory (train.LoadTrained: its best checkpoint, else
// its latest).
func LoadTeacher(runDir string, backend compute.Backend) (*NetTeacher, error) {
	t, err := train.LoadTrained(runDir)
	if err != nil {
		return nil, fmt.Errorf("teacher: %w", err)
	}
	p, err := t.Predictor(backend)
	if err != nil {
		return nil, fmt.Errorf("teacher %s: %w", runDir, err)
	}
	sc, err := t.Config.SampleConfigWith(false, train.TargetsConfig{})
	if err != nil {
		p.Finalize()
		return nil, fmt.Errorf("teacher %s: %w", runDir, err)
	}
	d, err := fileDigest(t.Checkpoint)
	if err != nil {
		p.Finalize()
		return nil, fmt.Errorf("teacher %s: %w", runDir, err)
	}
	return &NetTeacher{Net: t.Net, InputW: t.Config.InputW, InputH: t.Config.InputH,
		Integral: t.Config.Codec == "integral", predictor: p, sample: sc, id: "net-" + d[:16]}, nil
}

// ID names the teacher's checkpoint (its SHA-256).
func (t *NetTeacher) ID() string { return t.id }

// SampleConfig returns the teacher's own crop configuration (its run's input size, codec and
// normalisation, without augmentation): what decodes its Outputs. Its Codec is nil for a teacher
// not loaded with LoadTeacher.
func (t *NetTeacher) SampleConfig() topdown.Config { return t.sample }

// Look runs the network on its own crop of each view's region (see RegionTeacher): soft
// heatmaps at its heatmap size and, with a mask head, the mask probabilities, both placed in
// the image through its codec's heatmap-to-input mapping. Location maps are not carried (a 3D
// network teacher goes through Predict).
func (t *NetTeacher) Look(ctx context.Context, views []View) ([]Record, error) {
	if t.sample.Codec == nil {
		return nil, fmt.Errorf("teacher %s: no crop configuration (load it with LoadTeacher)", t.Net.Name)
	}
	n := len(views)
	if n == 0 {
		return nil, nil
	}
	w, h := t.InputW, t.InputH
	data := make([]float32, 0, n*h*w*3)
	t2is := make([]topdown.Affine, n)
	for i, v := range views {
		crop, t2i, err := v.TeacherCrop(w, h, 0)
		if err != nil {
			return nil, fmt.Errorf("teacher %s: %w", t.Net.Name, err)
		}
		if err := topdown.Normalize(crop, t.sample.Mean, t.sample.Std); err != nil {
			return nil, err
		}
		data, t2is[i] = append(data, crop...), t2i
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	pred, err := t.predictor.Predict(tensors.FromFlatDataAndDimensions(data, n, h, w, 3))
	if err != nil {
		return nil, fmt.Errorf("teacher %s: %w", t.Net.Name, err)
	}
	hm, err := tensors.CopyFlatData[float32](pred.Heatmaps)
	if err != nil {
		return nil, fmt.Errorf("teacher %s: %w", t.Net.Name, err)
	}
	d := pred.Heatmaps.Shape().Dimensions
	hh, hw, k := d[1], d[2], d[3]
	if t.Integral {
		probabilityMaps(hm, n, hh*hw, k)
	}
	var mask []float32
	if pred.Mask != nil {
		if mask, err = tensors.CopyFlatData[float32](pred.Mask); err != nil {
			return nil, fmt.Errorf("teacher %s: %w", t.Net.Name, err)
		}
		if len(mask) != n*hh*hw {
			return nil, fmt.Errorf("teacher %s: mask of %d values for %d×%d×%d", t.Net.Name, len(mask), n, hh, hw)
		}
	}
	sx, sy := t.sample.Codec.InputPerHeatPixel()
	heatToCrop := topdown.Affine{sx, 0, 0, 0, sy, 0}
	recs := make([]Record, n)
	for i, v := range views {
		per := hh * hw * k
		m2i := heatToCrop.Then(t2is[i])
		recs[i] = Record{Maps: append([]float32(nil), hm[i*per:(i+1)*per]...), MapW: hw, MapH: hh, MapToImage: m2i, Mirrored: v.Flipped}
		if mask != nil {
			m := make([]float32, hh*hw)
			for p, l := range mask[i*hh*hw : (i+1)*hh*hw] {
				m[p] = float32(1 / (1 + math.Exp(-float64(l))))
			}
			recs[i].Mask, recs[i].MaskW, recs[i].MaskH, recs[i].MaskToImage = m, hw, hh, m2i
		}
	}
	return recs, nil
}

// Close releases the compiled graphs.
func (t *NetTeacher) Close() { t.predictor.Finalize() }

// Predict runs the network on the crops (see Teacher): Outputs, with an integral teacher's maps
// turned into probability maps.
func (t *NetTeacher) Predict(ctx context.Context, images topdown.Tensor, heatH, heatW int) (TeacherOutput, error) {
	out, err := t.Outputs(ctx, images, heatH, heatW)
	if err == nil && t.Integral {
		n := images.Shape[0]
		probabilityMaps(out.Heatmaps, n, heatH*heatW, len(out.Heatmaps)/(n*heatH*heatW))
	}
	return out, err
}

// Outputs runs the network on the crops and returns its outputs resampled to heatH×heatW: the
// maps as the network gives them (in its own codec: integral logits stay logits, for decoding),
// the mask as a probability.
func (t *NetTeacher) Outputs(_ context.Context, images topdown.Tensor, heatH, heatW int) (TeacherOutput, error) {
	var out TeacherOutput
	if len(images.Shape) != 4 || images.Shape[3] != 3 {
		return out, fmt.Errorf("teacher %s: images shape %v", t.Net.Name, images.Shape)
	}
	n, h, w := images.Shape[0], images.Shape[1], images.Shape[2]
	data := images.Data
	if h != t.InputH || w != t.InputW {
		var err error
		if data, err = resizeNHWC(data, n, h, w, 3, t.InputH, t.InputW); err != nil {
			return out, fmt.Errorf("teacher %s: %w", t.Net.Name, err)
		}
	}
	pred, err := t.predictor.Predict(tensors.FromFlatDataAndDimensions(data, n, t.InputH, t.InputW, 3))
	if err != nil {
		return out, fmt.Errorf("teacher %s: %w", t.Net.Name, err)
	}
	resize := func(tt *tensors.Tensor) ([]float32, error) {
		d := tt.Shape().Dimensions
		v, err := tensors.CopyFlatData[float32](tt)
		if err != nil {
			return nil, err
		}
		return resizeNHWC(v, d[0], d[1], d[2], d[3], heatH, heatW)
	}
	if out.Heatmaps, err = resize(pred.Heatmaps); err != nil {
		return out, fmt.Errorf("teacher %s heatmaps: %w", t.Net.Name, err)
	}
	if pred.Locations != nil {
		if out.Locations, err = resize(pred.Locations); err != nil {
			return out, fmt.Errorf("teacher %s locations: %w", t.Net.Name, err)
		}
	}
	if pred.Mask != nil {
		if out.Mask, err = resize(pred.Mask); err != nil {
			return out, fmt.Errorf("teacher %s mask: %w", t.Net.Name, err)
		}
		for i, v := range out.Mask {
			out.Mask[i] = float32(1 / (1 + math.Exp(-float64(v))))
		}
	}
	return out, nil
}

// probabilityMaps replaces n samples of [pix, k] logits, in place, by each joint's spatial softmax
// divided by its maximum: the integral codec's distribution with a peak of 1.
func probabilityMaps(maps []float32, n, pix, k int) {
	for s := range n {
		m := maps[s*pix*k : (s+1)*pix*k]
		for c := range k {
			top := float32(math.Inf(-1))
			for p := range pix {
				top = max(top, m[p*k+c])
			}
			for p := range pix {
				m[p*k+c] = float32(math.Exp(float64(m[p*k+c] - top))) // peak exp(0) = 1
			}
		}
	}
}

// Attached is a teacher under the name its extra tensors carry ("<Name>/heatmaps", …).
type Attached struct {
	Name    string
	Teacher Teacher
	// Binarize adds "<Name>/binary", the binarized heatmaps.
	Binarize *Binarization
}

// stepAware is a teacher whose outputs depend on the training step (stagedTeacher): Hook tells
// it the step before each Predict, so a resumed run sees the outputs an uninterrupted one does.
type stepAware interface{ atStep(step int) }

// Hook returns a train.Options.BeforeStep function that runs every teacher on the batch's crops
// (the same augmented crops the student sees) and adds its outputs to b.Extra: heatmaps,
// binarized heatmaps when asked, location maps, the mask probability and its DilateMask dilation.
func Hook(teachers []Attached) func(ctx context.Context, step int, b *topdown.Batch) error {
	return func(ctx context.Context, step int, b *topdown.Batch) error {
		n, h, w, k, err := prepareBatch(b)
		if err != nil {
			return err
		}
		for _, a := range teachers {
			if err := ctx.Err(); err != nil {
				return err
			}
			if s, ok := a.Teacher.(stepAware); ok {
				s.atStep(step)
			}
			out, err := a.Teacher.Predict(ctx, b.Images, h, w)
			if err != nil {
				return fmt.Errorf("teacher %s: %w", a.Name, err)
			}
			if err := addOutputs(b, a, out, n, h, w, k); err != nil {
				return err
			}
		}
		return nil
	}
}

// prepareBatch returns the batch's heatmap dimensions [n, h, w, k] (the size teachers' outputs
// take) and makes sure it has an Extra map for them.
func prepareBatch(b *topdown.Batch) (n, h, w, k int, err error) {
	if len(b.Heatmaps.Shape) != 4 {
		return 0, 0, 0, 0, fmt.Errorf("teacher hook: batch heatmaps shape %v", b.Heatmaps.Shape)
	}
	if b.Extra == nil {
		b.Extra = map[string]topdown.Tensor{}
	}
	d := b.Heatmaps.Shape
	return d[0], d[1], d[2], d[3], nil
}

// addOutputs adds one teacher's outputs for the n samples of b to b.Extra: heatmaps, binarized
// heatmaps when asked, location maps, the mask probability and its DilateMask dilation.
func addOutputs(b *topdown.Batch, a Attached, out TeacherOutput, n, h, w, k int) error {
	if len(out.Heatmaps) != n*h*w*k {
		return fmt.Errorf("teacher %s: %d heatmap values, want %d×%d×%d×%d", a.Name, len(out.Heatmaps), n, h, w, k)
	}
	b.Extra[a.Name+SuffixHeatmaps] = topdown.Tensor{Shape: []int{n, h, w, k}, Data: out.Heatmaps}
	if a.Binarize != nil {
		bin := make([]float32, len(out.Heatmaps))
		if err := a.Binarize.Apply(bin, out.Heatmaps, n, k); err != nil {
			return fmt.Errorf("teacher %s: %w", a.Name, err)
		}
		b.Extra[a.Name+SuffixBinary] = topdown.Tensor{Shape: []int{n, h, w, k}, Data: bin}
	}
	if out.Locations != nil {
		b.Extra[a.Name+SuffixLocations] = topdown.Tensor{Shape: []int{n, h, w, 3 * k}, Data: out.Locations}
	}
	if out.Mask != nil {
		if len(out.Mask) != n*h*w {
			return fmt.Errorf("teacher %s: %d mask values, want %d×%d×%d", a.Name, len(out.Mask), n, h, w)
		}
		d := make([]float32, len(out.Mask))
		if err := DilateMask(d, out.Mask, n, h, w); err != nil {
			return fmt.Errorf("teacher %s: %w", a.Name, err)
		}
		b.Extra[a.Name+SuffixMask] = topdown.Tensor{Shape: []int{n, h, w, 1}, Data: out.Mask}
		b.Extra[a.Name+SuffixMaskDilated] = topdown.Tensor{Shape: []int{n, h, w, 1}, Data: d}
	}
	return nil
}

// OpenTeacher opens a recipe's teacher for a student whose crops follow sc: a run trained here
// (LoadTeacher) or an imported model from the model cache (modelstore.DefaultCacheDir):
// BlazePose (blazepose-lite, -full, -heavy; BlazePoseTeacher) or MoveNet (movenet-lightning,
// movenet-thunder, movenet-multipose: the person the crop is centred on; MoveNetTeacher).
func OpenTeacher(ref TeacherRef, be compute.Backend, sc topdown.Config) (Teacher, error) {
	if ref.Run != "" {
		return LoadTeacher(ref.Run, be)
	}
	cache, err := modelstore.DefaultCacheDir()
	if err != nil {
		return nil, err
	}
	if m := movenet.Model(ref.Model); m == movenet.Lightning || m == movenet.Thunder || m == movenet.MultiPose {
		file, err := m.File()
		if err != nil {
			return nil, err
		}
		t, err := NewMoveNetTeacher(be, modelstore.MoveNetPath(cache, file), m, sc)
		if err != nil {
			return nil, fmt.Errorf("teacher %s (%s): %w (run 'posedistill models fetch movenet' first)", ref.Name, ref.Model, err)
		}
		return t, nil
	}
	file, err := modelstore.BlazePoseLandmark(ref.Model)
	if err != nil {
		return nil, fmt.Errorf("teacher %s: %w (or movenet-lightning, movenet-thunder, movenet-multipose)", ref.Name, err)
	}
	t, err := NewBlazePoseTeacher(be, modelstore.BlazePosePath(cache, file), sc)
	if err != nil {
		return nil, fmt.Errorf("teacher %s (%s): %w (run 'posedistill models fetch blazepose' first)", ref.Name, ref.Model, err)
	}
	return t, nil
}

// attach returns the recipe's teachers under their names with their binarization: those of
// opened by name, the others opened (and closed by the returned function); staged wraps each of
// two teachers in its stage (stagedTeacher).
func attach(r Recipe, opened map[string]Teacher, staged bool, be compute.Backend, sc topdown.Config) ([]Attached, func(), error) {
	var closers []func()
	closeAll := func() {
		for _, c := range closers {
			c()
		}
	}
	st := r.Stages()
	var att []Attached
	for i, ref := range r.Teachers {
		t, ok := opened[ref.Name]
		if !ok {
			var err error
			if t, err = OpenTeacher(ref, be, sc); err != nil {
				closeAll()
				return nil, nil, err
			}
			closers = append(closers, t.Close)
		}
		if staged && len(r.Teachers) == 2 {
			gate := st.Primary()
			if i == 1 {
				gate = st.Senior()
			}
			t = &stagedTeacher{Teacher: t, active: gate, joints: sc.Joints.NumJoints()}
		}
		att = append(att, Attached{Name: ref.Name, Teacher: t, Binarize: ref.Binarize})
	}
	return att, closeAll, nil
}

// stagedTeacher runs its teacher only at the steps where active is non-zero and returns empty
// outputs elsewhere, where its loss terms weigh nothing: ODKD's two stages then cost one teacher
// each. Hook sets the step before each call (atStep); without it, calls count the steps from 0.
type stagedTeacher struct {
	Teacher
	active func(int) float64
	joints int
	step   int
}

// atStep sets the step of the next Predict call.
func (t *stagedTeacher) atStep(step int) { t.step = step }

// Predict runs the teacher in its stage, and returns zero heatmaps and mask outside it.
func (t *stagedTeacher) Predict(ctx context.Context, images topdown.Tensor, heatH, heatW int) (TeacherOutput, error) {
	step := t.step
	t.step++
	if t.active(step) != 0 {
		return t.Teacher.Predict(ctx, images, heatH, heatW)
	}
	if len(images.Shape) != 4 {
		return TeacherOutput{}, fmt.Errorf("staged teacher: images shape %v", images.Shape)
	}
	n := images.Shape[0]
	return TeacherOutput{Heatmaps: make([]float32, n*heatH*heatW*t.joints), Mask: make([]float32, n*heatH*heatW)}, nil
}

// RunLatency returns the median wall time of runs (0: 20) batch-1 inferences of a run's network
// with its weights (LoadTeacher), in milliseconds.
func RunLatency(be compute.Backend, runDir string, runs int) (float64, error) {
	t, err := LoadTeacher(runDir, be)
	if err != nil {
		return 0, err
	}
	defer t.Close()
	return t.Latency(runs)
}

// Latency returns the median wall time of runs (0: 20) batch-1 inferences at the teacher's input
// size, in milliseconds, after one warm-up call.
func (t *NetTeacher) Latency(runs int) (float64, error) {
	img := tensors.FromFlatDataAndDimensions(make([]float32, t.InputH*t.InputW*3), 1, t.InputH, t.InputW, 3)
	return MedianMS(runs, func() error {
		_, err := t.predictor.Predict(img)
		return err
	})
}

// MedianMS returns the median wall time in milliseconds of runs (0: 20) calls of f, after one
// warm-up call.
func MedianMS(runs int, f func() error) (float64, error) {
	if runs <= 0 {
		runs = 20
	}
	if err := f(); err != nil {
		return 0, err
	}
	ts := make([]float64, runs)
	for i := range ts {
		t := time.Now()
		if err := f(); err != nil {
			return 0, err
		}
		ts[i] = float64(time.Since(t).Microseconds()) / 1000
	}
	slices.Sort(ts)
	if runs%2 == 1 {
		return ts[runs/2], nil
	}
	return (ts[runs/2-1] + ts[runs/2]) / 2, nil
}

// HeatmapTeacher adapts a heatmap function at the student's heatmap size (e.g. the uncompressed
// network through train.PredictorHeatmaps) to a Teacher with heatmaps only.
func HeatmapTeacher(f train.HeatmapFunc) Teacher { return heatmapTeacher{f} }

// heatmapTeacher is HeatmapTeacher's Teacher.
type heatmapTeacher struct{ f train.HeatmapFunc }

// Predict returns f's heatmaps of the crops; Hook checks their size.
func (t heatmapTeacher) Predict(_ context.Context, images topdown.Tensor, _, _ int) (TeacherOutput, error) {
	h, err := t.f(images)
	return TeacherOutput{Heatmaps: h}, err
}

// Close releases nothing.
func (heatmapTeacher) Close() {}

// keypointHeatmaps is the Predict of a teacher that gives keypoints, not heatmaps (an imported
// model): it checks that images [N, InputH, InputW, 3] are crops of codec c, asks each for its k
// joints in crop pixels (and optionally their confidences, which scale each joint's gaussian),
// encodes them with c and resizes the [N, HeatH, HeatW, k] result to heatH × heatW. name labels
// errors.
func keypointHeatmaps(ctx context.Context, name string, c *codec.Codec, k int, images topdown.Tensor, heatH, heatW int,
	each func(i int, crop []float32, h, w int) ([]codec.Keypoint, []float64, error)) ([]float32, error) {
	if len(images.Shape) != 4 || images.Shape[3] != 3 {
		return nil, fmt.Errorf("%s: images shape %v", name, images.Shape)
	}
	n, h, w := images.Shape[0], images.Shape[1], images.Shape[2]
	if h != c.InputH || w != c.InputW {
		return nil, fmt.Errorf("%s: crops %dx%d, codec input %dx%d", name, w, h, c.InputW, c.InputH)
	}
	hp := c.NumHeatPixels()
	heat := make([]float32, n*hp*k)
	weights := make([]float32, k)
	for i := range n {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		kps, conf, err := each(i, images.Data[i*h*w*3:(i+1)*h*w*3], h, w)
		if err != nil {
			return nil, err
		}
		hm := heat[i*hp*k : (i+1)*hp*k]
		if err := c.Encode(kps, hm, weights); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		if conf != nil {
			for p := range hp {
				for j := range k {
					hm[p*k+j] *= float32(conf[j])
				}
			}
		}
	}
	return resizeNHWC(heat, n, c.HeatH, c.HeatW, k, heatH, heatW)
}
