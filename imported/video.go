package imported

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"io"
	"os"
	"path/filepath"
	"sort"
	"time"

	"github.com/gomlx/compute"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/posedistill/posedistill/atomicfile"
	"github.com/posedistill/posedistill/blazepose"
	"github.com/posedistill/posedistill/codec"
	"github.com/posedistill/posedistill/dataset"
	"github.com/posedistill/posedistill/eval"
	"github.com/posedistill/posedistill/modelstore"
	"github.com/posedistill/posedistill/movenet"
	"github.com/posedistill/posedistill/nets"
	"github.com/posedistill/posedistill/pseudolabel"
	"github.com/posedistill/posedistill/skeleton"
	"github.com/posedistill/posedistill/topdown"
	"github.com/posedistill/posedistill/train"
	"github.com/posedistill/posedistill/video"
)

// VideoOptions configure FineTuneOnVideo.
type VideoOptions struct {
	// Video is read through ffmpeg; Frames sampled frames (every Stride-th) are used, the
	// trailing Holdout fraction of them held out for evaluation.
	Video          string
	Frames, Stride int
	Holdout        float64
	// Boxes is the BlazePose landmark model (blazepose-lite, -full, -heavy) whose tracked people,
	// found in square tiles of DetectTile pixels, give the person boxes (package pseudolabel).
	Boxes      string
	DetectTile int
	// Student and Teacher are MoveNet models: the student is imported and fine-tuned on the
	// teacher's keypoints.
	Student, Teacher movenet.Model
	// Cache is the model cache; OutDir receives data/ (the labelled frames), imported/ (the
	// student as imported), tuned/ (the fine-tuned run) and finetune.json (the result).
	Cache, OutDir string
	// Codec is the student's codec ("" or "msra": heatmaps; "movenet": imported with its offset
	// and regression heads, trained with the codec's offset and regression terms and decoded as
	// MoveNet decodes, see ImportOptions).
	Codec string
	// Steps, Batch, LR and Seed configure the fine-tuning.
	Steps, Batch int
	LR           float64
	Seed         uint64
	// NoAugment trains on the plain crops of the people's boxes, without the training
	// pipeline's augmentation (flips, half bodies, scaling, rotation, shifts).
	NoAugment bool
	Backend   compute.Backend
	Log       io.Writer
}

// VideoResult is what FineTuneOnVideo measured, also written to OutDir/finetune.json.
type VideoResult struct {
	Video        string  `json:"video"`
	Student      string  `json:"student"`
	Teacher      string  `json:"teacher"`
	TrainImages  int     `json:"train_images"`
	TrainPeople  int     `json:"train_people"`
	ValImages    int     `json:"val_images"`
	ValPeople    int     `json:"val_people"`
	Codec        string  `json:"codec,omitempty"`
	NoAugment    bool    `json:"no_augment,omitempty"`
	Steps        int     `json:"steps"`
	Batch        int     `json:"batch"`
	LR           float64 `json:"lr"`
	TrainSeconds float64 `json:"train_seconds"`
	// Before and After are the student's OKS AP on the held-out frames with the teacher's
	// keypoints as ground truth, decoded from its heatmaps by the codec (the training pipeline's
	// decoding), before and after fine-tuning; Native is the imported student with MoveNet's own
	// decoding (heatmap, centre, offsets) on the same crops.
	Before eval.COCOStats `json:"before"`
	After  eval.COCOStats `json:"after"`
	Native eval.COCOStats `json:"native"`
	// BeforeMoveNetCrop and AfterMoveNetCrop (codec movenet only) are Before and After with the
	// student fed MoveNet's own crop of each box (movenet.CropAndResize, TensorFlow's
	// crop_and_resize grid, through which the teacher's labels were made) instead of the training
	// pipeline's, its keypoints mapped back as MoveNet maps them; decoded by the codec as Before.
	// The student is fine-tuned on the pipeline's crops, whose sampling grid sits about a quarter
	// pixel from MoveNet's: see the README's "Why the codec's decoding trails MoveNet's own".
	BeforeMoveNetCrop *eval.COCOStats `json:"before_movenet_crop,omitempty"`
	AfterMoveNetCrop  *eval.COCOStats `json:"after_movenet_crop,omitempty"`
	// StudentMS are median batch-1 wall times of the student's network before and after (the
	// same description; TimeRuns, alternating), TeacherMS of the teacher's whole graph on its crop
	// while it labels (the first inference, which compiles, included).
	StudentMSBefore float64 `json:"student_ms_before"`
	StudentMSAfter  float64 `json:"student_ms_after"`
	TeacherMS       float64 `json:"teacher_ms"`
}

// ResultFile is the name of FineTuneOnVideo's result in OutDir.
const ResultFile = "finetune.json"

// FineTuneOnVideo shows an imported model fine-tuned on real footage: the people of the video's
// sampled frames (boxes from BlazePose, package pseudolabel, the trailing Holdout fraction of the
// frames held out) are labelled with the teacher's keypoints (the teacher run on a square crop of
// each box), the imported student is fine-tuned on the leading frames with train.Run (heatmap
// MSE to the teacher's keypoints: distillation through the teacher's outputs), and its agreement
// with the teacher on the held-out frames (OKS AP) is measured before and after, with the
// student's speed.
func FineTuneOnVideo(ctx context.Context, o VideoOptions) (VideoResult, error) {
	res := VideoResult{Video: o.Video, Student: string(o.Student), Teacher: string(o.Teacher), Codec: o.Codec, NoAugment: o.NoAugment,
		Steps: o.Steps, Batch: o.Batch, LR: o.LR}
	log := o.Log
	if log == nil {
		log = io.Discard
	}
	if o.Backend == nil || o.Frames < 2 || o.Stride < 1 || !(o.Holdout > 0 && o.Holdout < 1) || o.Steps < 1 || o.Batch < 1 || !(o.LR > 0) {
		return res, fmt.Errorf("fine-tune on video: bad options (frames ≥ 2, stride ≥ 1, holdout in (0, 1), steps, batch ≥ 1, lr > 0, a backend)")
	}
	dataDir := filepath.Join(o.OutDir, "data")
	if err := labelBoxes(ctx, o, dataDir, log); err != nil {
		return res, err
	}
	teacher, err := movenet.Open(o.Backend, o.Cache, o.Teacher)
	if err != nil {
		return res, err
	}
	var teacherMS []float64
	for _, split := range []string{"train.json", "val.json"} {
		ms, imgs, people, err := relabel(ctx, teacher, dataDir, split)
		if err != nil {
			return res, err
		}
		teacherMS = append(teacherMS, ms...)
		if split == "train.json" {
			res.TrainImages, res.TrainPeople = imgs, people
		} else {
			res.ValImages, res.ValPeople = imgs, people
		}
	}
	res.TeacherMS = median(teacherMS)
	fmt.Fprintf(log, "%s keypoints: train %d frames %d people, held out %d frames %d people (teacher %.0f ms per crop)\n",
		o.Teacher, res.TrainImages, res.TrainPeople, res.ValImages, res.ValPeople, res.TeacherMS)

	student, err := ImportWith(ctx, o.Backend, o.Cache, string(o.Student), ImportOptions{Codec: o.Codec})
	if err != nil {
		return res, err
	}
	importedDir := filepath.Join(o.OutDir, "imported")
	if err := os.RemoveAll(importedDir); err != nil {
		return res, err
	}
	if err := student.WriteRun(importedDir); err != nil {
		return res, err
	}
	val, err := train.ReadSplit(ctx, dataDir, "val.json")
	if err != nil {
		return res, err
	}
	if res.Before, err = evaluateRun(ctx, o.Backend, importedDir, val); err != nil {
		return res, err
	}
	if res.BeforeMoveNetCrop, err = evaluateOnMoveNetCrops(ctx, o.Backend, importedDir, dataDir, val); err != nil {
		return res, err
	}
	if res.Native, err = nativeAgreement(ctx, o, dataDir, val); err != nil {
		return res, err
	}
	fmt.Fprintf(log, "%s as imported: agreement AP %.3f (decoded by the codec, %s), %.3f (MoveNet's own decoding)\n", o.Student, res.Before.AP, student.Codec, res.Native.AP)

	cfg, err := train.ReadRunConfig(importedDir)
	if err != nil {
		return res, err
	}
	cfg = fineTuneConfig(cfg, o)
	tunedDir := filepath.Join(o.OutDir, "tuned")
	start := time.Now()
	sum, err := train.Run(ctx, cfg, train.Options{DataDir: dataDir, OutDir: tunedDir, Net: student.Net, Overwrite: true,
		Init: filepath.Join(importedDir, train.CheckpointFile), Progress: log})
	if err != nil {
		return res, err
	}
	res.TrainSeconds = time.Since(start).Seconds()
	if res.After, err = evaluateRun(ctx, o.Backend, tunedDir, val); err != nil {
		return res, err
	}
	if res.AfterMoveNetCrop, err = evaluateOnMoveNetCrops(ctx, o.Backend, tunedDir, dataDir, val); err != nil {
		return res, err
	}
	ms, err := TimeRuns(o.Backend, importedDir, tunedDir)
	if err != nil {
		return res, err
	}
	res.StudentMSBefore, res.StudentMSAfter = ms[0], ms[1]
	fmt.Fprintf(log, "%s fine-tuned (%d steps, loss %.4g, %.0f s): agreement AP %.3f, before %.3f; %.1f ms before, %.1f ms after\n",
		o.Student, sum.Steps, sum.Loss, res.TrainSeconds, res.After.AP, res.Before.AP, res.StudentMSBefore, res.StudentMSAfter)
	b, err := json.MarshalIndent(res, "", "  ")
	if err != nil {
		return res, err
	}
	return res, atomicfile.WriteBytes(filepath.Join(o.OutDir, ResultFile), append(b, '\n'))
}

// fineTuneConfig returns the imported run's config cfg set up for FineTuneOnVideo's options o.
func fineTuneConfig(cfg train.Config, o VideoOptions) train.Config {
	// Adam moves every weight by about the learning rate in its first steps: a warmup over a
	// tenth of the run keeps the pretrained weights from being thrown off (3e-4 without one took
	// the agreement AP of a smoke run from 0.72 to 0 in two steps).
	cfg.Steps, cfg.BatchSize, cfg.LR, cfg.Seed, cfg.WarmupSteps = o.Steps, o.Batch, o.LR, o.Seed, o.Steps/10
	cfg.CheckpointEvery, cfg.ValidateEvery, cfg.FlipTest = 0, 0, false
	if o.NoAugment {
		cfg.Augment = train.AugmentConfig{}
	}
	return cfg
}

// labelBoxes writes dataDir's train.json and val.json with BlazePose's people in the video's
// sampled frames (the trailing Holdout fraction in val), unless both are there already.
func labelBoxes(ctx context.Context, o VideoOptions, dataDir string, log io.Writer) error {
	if _, err := os.Stat(filepath.Join(dataDir, "val.json")); err == nil {
		if _, err := os.Stat(filepath.Join(dataDir, "train.json")); err == nil {
			fmt.Fprintf(log, "reusing the labelled frames in %s\n", dataDir)
			return nil
		}
	}
	file, err := modelstore.BlazePoseLandmark(o.Boxes)
	if err != nil {
		return err
	}
	pipe, err := blazepose.NewPipeline(o.Backend, o.Cache, file)
	if err != nil {
		return fmt.Errorf("%w (run 'posedistill models fetch blazepose' first)", err)
	}
	lab, err := pseudolabel.NewPseudoLabeler(pipe, dataDir, pseudolabel.PseudoOptions{DetectTile: o.DetectTile})
	if err != nil {
		return err
	}
	info, err := video.Probe(ctx, o.Video)
	if err != nil {
		return err
	}
	dec, err := video.Decode(ctx, o.Video, info, o.Frames*o.Stride)
	if err != nil {
		return err
	}
	defer dec.Abort()
	firstHeld := o.Frames - int(float64(o.Frames)*o.Holdout+0.5)
	base := filepath.Base(o.Video)
	base = base[:len(base)-len(filepath.Ext(base))]
	used := 0
	for i := 0; used < o.Frames; i++ {
		img, err := dec.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return fmt.Errorf("%s frame %d: %w", o.Video, i, err)
		}
		if i%o.Stride != 0 {
			continue
		}
		if _, err := lab.Add(ctx, fmt.Sprintf("%s_%05d", base, i), img, used >= firstHeld); err != nil {
			return err
		}
		used++
	}
	if err := dec.Close(); err != nil {
		return err
	}
	if used <= firstHeld {
		return fmt.Errorf("%s: %d sampled frames, none held out (fewer frames than --frames × --stride)", o.Video, used)
	}
	fmt.Fprintf(log, "%s: %d sampled frames (from #%d held out), people boxes from %s\n", o.Video, used, firstHeld, o.Boxes)
	return lab.Finish()
}

// boxRegion is the square crop, 1.25 times the box's longer side, centred on box (x, y, w, h), in
// the normalized coordinates of a w×h image: the crop the training pipeline makes of the box for a
// square input.
func boxRegion(box [4]float64, w, h int) movenet.Region {
	side := 1.25 * max(box[2], box[3])
	cx, cy := box[0]+box[2]/2, box[1]+box[3]/2
	return movenet.Region{YMin: (cy - side/2) / float64(h), XMin: (cx - side/2) / float64(w),
		YMax: (cy + side/2) / float64(h), XMax: (cx + side/2) / float64(w)}
}

// estimate runs a single-person MoveNet model on the box's crop and returns COCO keypoints in
// image pixels (x, y, confidence) and the time the model took.
func estimate(ctx context.Context, e *movenet.Estimator, img image.Image, box [4]float64) ([movenet.NumKeypoints][3]float64, float64, error) {
	var kps [movenet.NumKeypoints][3]float64
	b := img.Bounds()
	r := boxRegion(box, b.Dx(), b.Dy())
	s := e.InputSize()
	crop := movenet.CropAndResize(img, r, s, s)
	start := time.Now()
	out, err := e.Infer(ctx, crop, s, s)
	ms := float64(time.Since(start).Microseconds()) / 1000
	if err != nil {
		return kps, ms, err
	}
	if len(out) != 3*movenet.NumKeypoints {
		return kps, ms, fmt.Errorf("%s gives %d values, want %d", e.Model(), len(out), 3*movenet.NumKeypoints)
	}
	for k := range movenet.NumKeypoints {
		y, x := float64(out[3*k]), float64(out[3*k+1])
		kps[k] = [3]float64{(r.XMin + x*(r.XMax-r.XMin)) * float64(b.Dx()), (r.YMin + y*(r.YMax-r.YMin)) * float64(b.Dy()), float64(out[3*k+2])}
	}
	return kps, ms, nil
}

// teacherMinScore is the teacher confidence from which a keypoint is labelled (MoveNet's demos
// draw keypoints above 0.3).
const teacherMinScore = 0.3

// relabel replaces the keypoints of every person of dataDir/split by the teacher's on the
// person's box (labelled v = 2 where the teacher's confidence reaches teacherMinScore, else
// unlabelled; people left with none are dropped), and returns the teacher's times and the split's
// images and people.
func relabel(ctx context.Context, teacher *movenet.Estimator, dataDir, split string) (ms []float64, images, people int, err error) {
	path := filepath.Join(dataDir, split)
	d, err := dataset.Read(ctx, path, dataset.ReadOptions{})
	if err != nil {
		return nil, 0, 0, err
	}
	files := map[int64]string{}
	for _, im := range d.Images {
		files[im.ID] = im.FileName
	}
	var kept []dataset.Annotation
	var cur int64 = -1
	var img image.Image
	withPeople := map[int64]bool{}
	for _, a := range d.Annotations {
		if a.ImageID != cur {
			if img, err = dataset.LoadImage(filepath.Join(dataDir, files[a.ImageID])); err != nil {
				return nil, 0, 0, err
			}
			cur = a.ImageID
		}
		kps, t, err := estimate(ctx, teacher, img, a.BBox)
		if err != nil {
			return nil, 0, 0, fmt.Errorf("%s annotation %d: %w", path, a.ID, err)
		}
		ms = append(ms, t)
		a.Keypoints, a.NumKeypoints = make([]float64, 3*movenet.NumKeypoints), 0
		for k, p := range kps {
			if p[2] >= teacherMinScore {
				a.Keypoints[3*k], a.Keypoints[3*k+1], a.Keypoints[3*k+2] = p[0], p[1], 2
				a.NumKeypoints++
			}
		}
		if a.NumKeypoints > 0 {
			kept = append(kept, a)
			withPeople[a.ImageID] = true
		}
	}
	d.Annotations = kept
	d.Info = map[string]any{"description": "people boxes from BlazePose, keypoints from " + string(teacher.Model()) + " (posedistill finetune-video)"}
	if err := dataset.Write(path, d); err != nil {
		return nil, 0, 0, err
	}
	return ms, len(withPeople), len(kept), nil
}

// evaluateRun returns a run's OKS AP stats on split (heatmaps decoded by the run's codec, no flip).
func evaluateRun(ctx context.Context, be compute.Backend, runDir string, split *train.Split) (eval.COCOStats, error) {
	run, err := train.LoadTrained(runDir)
	if err != nil {
		return eval.COCOStats{}, err
	}
	pred, err := run.Predictor(be)
	if err != nil {
		return eval.COCOStats{}, err
	}
	defer pred.Finalize()
	sc, err := run.SampleConfig()
	if err != nil {
		return eval.COCOStats{}, err
	}
	if run.Net.Heads.Offsets != "" && sc.Codec.Kind == codec.MoveNet {
		return evaluateOffsets(ctx, pred, sc, split)
	}
	_, rep, err := train.Validate(ctx, train.PredictorHeatmaps(pred), sc, split, 8, false)
	if err != nil {
		return eval.COCOStats{}, err
	}
	return rep.Stats, nil
}

// evaluateOffsets is evaluateRun for a run with MoveNet's heads and codec: every instance's crop
// (the run's plain crop of its box) decoded by codec.Codec.DecodeOffsets (heatmaps, offsets, and
// the centre and regression when the net has them).
func evaluateOffsets(ctx context.Context, pred *nets.Predictor, sc topdown.Config, split *train.Split) (eval.COCOStats, error) {
	sc.Augment = nil
	loader, err := topdown.NewLoader(topdown.LoaderConfig{Sample: sc, BatchSize: 8, Workers: 1, Epochs: 1}, split.Instances)
	if err != nil {
		return eval.COCOStats{}, err
	}
	it, err := loader.Start(ctx, 0, 0)
	if err != nil {
		return eval.COCOStats{}, err
	}
	defer it.Close()
	k := sc.Joints.NumJoints()
	var results []dataset.Result
	for {
		b, err := it.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return eval.COCOStats{}, err
		}
		p, err := pred.Predict(tensors.FromFlatDataAndDimensions(b.Images.Data, b.Images.Shape...))
		if err != nil {
			return eval.COCOStats{}, err
		}
		flat := func(t *tensors.Tensor) ([]float32, error) {
			if t == nil {
				return nil, nil
			}
			defer t.FinalizeAll()
			return tensors.CopyFlatData[float32](t)
		}
		var heads [4][]float32
		for i, t := range []*tensors.Tensor{p.Heatmaps, p.Offsets, p.Mask, p.Regression} {
			if heads[i], err = flat(t); err != nil {
				return eval.COCOStats{}, err
			}
		}
		n := b.Len()
		part := func(v []float32, i int) []float32 {
			if v == nil {
				return nil
			}
			per := len(v) / n
			return v[i*per : (i+1)*per]
		}
		for i := range n {
			o := codec.OffsetHeads{Heatmaps: part(heads[0], i), Offsets: part(heads[1], i)}
			if heads[2] != nil && heads[3] != nil {
				o.Centre, o.Regression = part(heads[2], i), part(heads[3], i)
			}
			preds, err := sc.Codec.DecodeOffsets(o, k)
			if err != nil {
				return eval.COCOStats{}, err
			}
			results = append(results, dataset.Result{ImageID: b.ImageIDs[i], CategoryID: 1,
				Keypoints: topdown.ToImageKeypoints(preds, b.ToImage[i]), Score: topdown.InstanceScore(preds, 1)})
		}
	}
	params, err := eval.COCOParamsFor(sc.Joints)
	if err != nil {
		return eval.COCOStats{}, err
	}
	rep, err := eval.EvaluateCOCO(ctx, split.Data, results, params)
	if err != nil {
		return eval.COCOStats{}, err
	}
	return rep.Stats, nil
}

// evaluateOnMoveNetCrops is evaluateRun for a run with MoveNet's heads and codec (nil for any
// other run) on MoveNet's own crops: each held-out person's square crop (boxRegion) cut by
// movenet.CropAndResize, as the teacher's labels and nativeAgreement's row were made, normalized
// as the run's crops are, decoded by codec.Codec.DecodeOffsets, and mapped back to the image as
// MoveNet maps its output (estimate).
func evaluateOnMoveNetCrops(ctx context.Context, be compute.Backend, runDir, dataDir string, split *train.Split) (*eval.COCOStats, error) {
	results, joints, err := moveNetCropResults(ctx, be, runDir, dataDir, split)
	if err != nil || results == nil {
		return nil, err
	}
	params, err := eval.COCOParamsFor(joints)
	if err != nil {
		return nil, err
	}
	rep, err := eval.EvaluateCOCO(ctx, split.Data, results, params)
	if err != nil {
		return nil, err
	}
	return &rep.Stats, nil
}

// moveNetCropResults returns evaluateOnMoveNetCrops's keypoints, one result per annotation of
// split in order, and the run's joints (nil results for a run without MoveNet's heads and codec).
func moveNetCropResults(ctx context.Context, be compute.Backend, runDir, dataDir string, split *train.Split) ([]dataset.Result, *skeleton.Set, error) {
	run, err := train.LoadTrained(runDir)
	if err != nil {
		return nil, nil, err
	}
	sc, err := run.SampleConfig()
	if err != nil {
		return nil, nil, err
	}
	if run.Net.Heads.Offsets == "" || run.Net.Heads.Regression == "" || run.Net.Heads.Mask == "" || sc.Codec.Kind != codec.MoveNet {
		return nil, nil, nil
	}
	if sc.Codec.InputW != sc.Codec.InputH {
		return nil, nil, fmt.Errorf("%s: MoveNet's crops are square, the run's input is %dx%d", runDir, sc.Codec.InputW, sc.Codec.InputH)
	}
	pred, err := run.Predictor(be)
	if err != nil {
		return nil, nil, err
	}
	defer pred.Finalize()
	files := map[int64]string{}
	for _, im := range split.Data.Images {
		files[im.ID] = im.FileName
	}
	size, k := sc.Codec.InputW, sc.Joints.NumJoints()
	var results []dataset.Result
	var cur int64 = -1
	var img image.Image
	for _, a := range split.Data.Annotations {
		if a.ImageID != cur {
			if img, err = dataset.LoadImage(filepath.Join(dataDir, files[a.ImageID])); err != nil {
				return nil, nil, err
			}
			cur = a.ImageID
		}
		b := img.Bounds()
		r := boxRegion(a.BBox, b.Dx(), b.Dy())
		raw := movenet.CropAndResize(img, r, size, size)
		x := make([]float32, len(raw))
		for i, v := range raw {
			x[i] = float32(v)
		}
		if err := topdown.Normalize(x, sc.Mean, sc.Std); err != nil {
			return nil, nil, err
		}
		p, err := pred.Predict(tensors.FromFlatDataAndDimensions(x, 1, size, size, 3))
		if err != nil {
			return nil, nil, fmt.Errorf("%s annotation %d: %w", runDir, a.ID, err)
		}
		var heads [4][]float32
		for i, t := range []*tensors.Tensor{p.Heatmaps, p.Offsets, p.Mask, p.Regression} {
			heads[i], err = tensors.CopyFlatData[float32](t)
			t.FinalizeAll()
			if err != nil {
				return nil, nil, err
			}
		}
		preds, err := sc.Codec.DecodeOffsets(codec.OffsetHeads{Heatmaps: heads[0], Offsets: heads[1], Centre: heads[2], Regression: heads[3]}, k)
		if err != nil {
			return nil, nil, fmt.Errorf("%s annotation %d: %w", runDir, a.ID, err)
		}
		out := movenet.Output(sc.Codec, preds)
		res := dataset.Result{ImageID: a.ImageID, CategoryID: a.CategoryID}
		for j := range k {
			y, x := float64(out[3*j]), float64(out[3*j+1])
			res.Keypoints = append(res.Keypoints, (r.XMin+x*(r.XMax-r.XMin))*float64(b.Dx()), (r.YMin+y*(r.YMax-r.YMin))*float64(b.Dy()), float64(out[3*j+2]))
		}
		res.Score = topdown.InstanceScore(preds, 1)
		results = append(results, res)
	}
	return results, sc.Joints, nil
}

// TimeRuns returns the median batch-1 inference wall times, in milliseconds, of the runs in dirs,
// measured in rounds that alternate between them (5 rounds of 5 inferences each, after one that
// compiles), so that a change in the machine's load weighs on all alike.
func TimeRuns(be compute.Backend, dirs ...string) ([]float64, error) {
	type timed struct {
		pred interface {
			Predict(*tensors.Tensor) (nets.Prediction, error)
		}
		x  *tensors.Tensor
		ms []float64
	}
	runs := make([]*timed, len(dirs))
	for i, d := range dirs {
		run, err := train.LoadTrained(d)
		if err != nil {
			return nil, err
		}
		pred, err := run.Predictor(be)
		if err != nil {
			return nil, err
		}
		defer pred.Finalize()
		cfg := run.Config
		runs[i] = &timed{pred: pred, x: tensors.FromFlatDataAndDimensions(make([]float32, cfg.InputH*cfg.InputW*3), 1, cfg.InputH, cfg.InputW, 3)}
	}
	once := func(r *timed) (float64, error) {
		start := time.Now()
		p, err := r.pred.Predict(r.x)
		if err != nil {
			return 0, err
		}
		p.Heatmaps.FinalizeAll()
		return float64(time.Since(start).Microseconds()) / 1000, nil
	}
	for _, r := range runs {
		if _, err := once(r); err != nil { // compiles
			return nil, err
		}
	}
	for range 5 {
		for _, r := range runs {
			for range 5 {
				ms, err := once(r)
				if err != nil {
					return nil, err
				}
				r.ms = append(r.ms, ms)
			}
		}
	}
	out := make([]float64, len(runs))
	for i, r := range runs {
		out[i] = median(r.ms)
	}
	return out, nil
}

// nativeAgreement is the student as MoveNet runs it (its whole graph, its own decoding) on the same
// square crops of the held-out people, scored against the teacher's keypoints.
func nativeAgreement(ctx context.Context, o VideoOptions, dataDir string, val *train.Split) (eval.COCOStats, error) {
	e, err := movenet.Open(o.Backend, o.Cache, o.Student)
	if err != nil {
		return eval.COCOStats{}, err
	}
	files := map[int64]string{}
	for _, im := range val.Data.Images {
		files[im.ID] = im.FileName
	}
	var results []dataset.Result
	var cur int64 = -1
	var img image.Image
	for _, a := range val.Data.Annotations {
		if a.ImageID != cur {
			if img, err = dataset.LoadImage(filepath.Join(dataDir, files[a.ImageID])); err != nil {
				return eval.COCOStats{}, err
			}
			cur = a.ImageID
		}
		kps, _, err := estimate(ctx, e, img, a.BBox)
		if err != nil {
			return eval.COCOStats{}, err
		}
		r := dataset.Result{ImageID: a.ImageID, CategoryID: a.CategoryID}
		var score float64
		for _, p := range kps {
			r.Keypoints = append(r.Keypoints, p[0], p[1], p[2])
			score += p[2] / movenet.NumKeypoints
		}
		r.Score = score
		results = append(results, r)
	}
	params, err := eval.COCOParamsFor(skeleton.COCO17())
	if err != nil {
		return eval.COCOStats{}, err
	}
	rep, err := eval.EvaluateCOCO(ctx, val.Data, results, params)
	if err != nil {
		return eval.COCOStats{}, err
	}
	return rep.Stats, nil
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	return s[len(s)/2]
}

// RetimeVideoResult times the student of a finished FineTuneOnVideo in outDir before and after
// (TimeRuns) and updates the result file with the times.
func RetimeVideoResult(be compute.Backend, outDir string) (before, after float64, err error) {
	path := filepath.Join(outDir, ResultFile)
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, 0, fmt.Errorf("retime: %w", err)
	}
	var res VideoResult
	if err := json.Unmarshal(b, &res); err != nil {
		return 0, 0, fmt.Errorf("retime: %s: %w", path, err)
	}
	ms, err := TimeRuns(be, filepath.Join(outDir, "imported"), filepath.Join(outDir, "tuned"))
	if err != nil {
		return 0, 0, fmt.Errorf("retime: %w", err)
	}
	res.StudentMSBefore, res.StudentMSAfter = ms[0], ms[1]
	if b, err = json.MarshalIndent(res, "", "  "); err != nil {
		return 0, 0, err
	}
	return ms[0], ms[1], atomicfile.WriteBytes(path, append(b, '\n'))
}
