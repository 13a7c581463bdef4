package pseudolabel

import (
	"context"
	"encoding/json"
	"fmt"
	"image"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/posedistill/posedistill/atomicfile"
	"github.com/posedistill/posedistill/blazepose"
	"github.com/posedistill/posedistill/dataset"
	"github.com/posedistill/posedistill/modelstore"
	"github.com/posedistill/posedistill/rundir"
	"github.com/posedistill/posedistill/video"
)

// RunOptions configure Run: where the unlabeled inputs are, how videos are sampled, and the
// distillation (Distill.Recipe's senior model labels the inputs).
type RunOptions struct {
	// Inputs are images, directories of images and videos, and videos (read through ffmpeg).
	Inputs []string
	// Frames is how many sampled frames of each video are used, Stride the sampling interval,
	// Holdout the trailing fraction of them held out for the agreement AP, DetectTile the side
	// of the square tiles video frames are scanned in for people (0: whole frame).
	Frames, Stride, DetectTile int
	Holdout                    float64
	// Distill is the distillation; its DataDir receives the pseudo labels (complete ones are
	// reused when Distill.Resume is set).
	Distill UnlabeledOptions
	// Log receives what was labelled (nil: nothing).
	Log io.Writer
	// LabelOnly stops after the pseudo labels are written (Run's result is then zero but for
	// the counts): a long labelling can run alone, niced, before any training.
	LabelOnly bool
}

// Counts are the images and people of the two pseudo-labelled splits.
type Counts struct {
	TrainImages, TrainPeople, ValImages, ValPeople int
}

// Run labels the inputs with the recipe's senior BlazePose model (or, resuming, reuses complete
// labels) and distills the student from the two BlazePose teachers on them (DistillUnlabeled).
func Run(ctx context.Context, o RunOptions) (UnlabeledResult, Counts, error) {
	var c Counts
	d := o.Distill
	log := o.Log
	if log == nil {
		log = io.Discard
	}
	if !(o.Holdout > 0 && o.Holdout < 1) || o.Frames <= 0 || o.Stride <= 0 {
		return UnlabeledResult{}, c, fmt.Errorf("holdout must be in (0, 1), frames and stride positive")
	}
	if d.Backend == nil {
		return UnlabeledResult{}, c, fmt.Errorf("distill unlabeled: no backend")
	}
	senior := d.seniorModel()
	if senior == "" {
		return UnlabeledResult{}, c, fmt.Errorf("distill unlabeled: no senior model (it labels the inputs)")
	}
	manifest := labelsManifest{Version: 3, Senior: senior, Frames: o.Frames, Stride: o.Stride, DetectTile: o.DetectTile, Holdout: o.Holdout}
	for _, in := range o.Inputs {
		if in = strings.TrimSpace(in); in != "" {
			abs, err := filepath.Abs(in)
			if err != nil {
				return UnlabeledResult{}, c, fmt.Errorf("input %s: %w", in, err)
			}
			manifest.Inputs = append(manifest.Inputs, abs)
		}
	}
	// One process at a time writes the pseudo labels and the run (train.Run re-enters the lock).
	lock, err := rundir.Acquire(d.OutDir)
	if err != nil {
		return UnlabeledResult{}, c, err
	}
	defer lock.Release()
	if labelsWritten(d.DataDir) && (d.Resume || sameManifest(d.DataDir, manifest)) {
		if c.TrainImages, c.TrainPeople, c.ValImages, c.ValPeople, err = countLabels(ctx, d.DataDir); err != nil {
			return UnlabeledResult{}, c, err
		}
		fmt.Fprintf(log, "reusing the pseudo labels in %s (same inputs and labelling options)\n", d.DataDir)
	} else {
		file, err := modelstore.BlazePoseLandmark(senior)
		if err != nil {
			return UnlabeledResult{}, c, err
		}
		cache, err := modelstore.DefaultCacheDir()
		if err != nil {
			return UnlabeledResult{}, c, err
		}
		pipe, err := blazepose.NewPipeline(d.Backend, cache, file)
		if err != nil {
			return UnlabeledResult{}, c, fmt.Errorf("%w (run 'posedistill models fetch blazepose' first)", err)
		}
		lab, err := NewPseudoLabeler(pipe, d.DataDir, PseudoOptions{})
		if err != nil {
			return UnlabeledResult{}, c, err
		}
		key, err := json.Marshal(manifest)
		if err != nil {
			return UnlabeledResult{}, c, err
		}
		// Progress is saved every 10 images: an interrupted labelling resumes where it stopped.
		if n, err := lab.Checkpoint(string(key), 10); err != nil {
			return UnlabeledResult{}, c, err
		} else if n > 0 {
			fmt.Fprintf(log, "resuming the labelling in %s: %d images done\n", d.DataDir, n)
		}
		if err := labelInputs(ctx, lab, o.Inputs, o.Frames, o.Stride, o.DetectTile, o.Holdout, log); err != nil {
			return UnlabeledResult{}, c, err
		}
		if err := lab.Finish(); err != nil {
			return UnlabeledResult{}, c, err
		}
		if err := atomicfile.WriteJSON(filepath.Join(d.DataDir, LabelsManifest), manifest); err != nil {
			return UnlabeledResult{}, c, err
		}
		c.TrainImages, c.TrainPeople, c.ValImages, c.ValPeople = lab.Counts()
	}
	fmt.Fprintf(log, "pseudo labels (%s): train %d images %d people, held out %d images %d people (%s)\n", senior, c.TrainImages, c.TrainPeople, c.ValImages, c.ValPeople, d.DataDir)
	if o.LabelOnly {
		return UnlabeledResult{}, c, nil
	}
	if c.TrainPeople < d.Config.BatchSize {
		// A few photos: every batch holds all of them rather than none (a loader needs a full batch).
		fmt.Fprintf(log, "batch size %d reduced to %d: the training split has %d people\n", d.Config.BatchSize, c.TrainPeople, c.TrainPeople)
		d.Config.BatchSize = c.TrainPeople
	}
	res, err := DistillUnlabeled(ctx, d)
	return res, c, err
}

// LabelsManifest is the file, in a pseudo-labelled dataset directory, that records the inputs
// and options it was labelled with: a later run with the same ones reuses the labels.
const LabelsManifest = "labels.json"

// labelsManifest is LabelsManifest's content.
type labelsManifest struct {
	Version    int      `json:"version"`
	Senior     string   `json:"senior"`
	Inputs     []string `json:"inputs"`
	Frames     int      `json:"frames"`
	Stride     int      `json:"stride"`
	DetectTile int      `json:"detect_tile"`
	Holdout    float64  `json:"holdout"`
}

// sameManifest reports whether dir's LabelsManifest is m.
func sameManifest(dir string, m labelsManifest) bool {
	b, err := os.ReadFile(filepath.Join(dir, LabelsManifest))
	if err != nil {
		return false
	}
	var old labelsManifest
	if json.Unmarshal(b, &old) != nil {
		return false
	}
	return reflect.DeepEqual(old, m)
}

// labelsWritten reports whether dir holds both splits of a finished PseudoLabeler (Finish
// writes val.json last).
func labelsWritten(dir string) bool {
	for _, name := range []string{"train.json", "val.json"} {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			return false
		}
	}
	return true
}

// countLabels returns the image and people counts of the pseudo-labelled splits in dir, as
// PseudoLabeler.Counts reports them.
func countLabels(ctx context.Context, dir string) (trainImages, trainPeople, valImages, valPeople int, err error) {
	var n [2][2]int
	for i, name := range []string{"train.json", "val.json"} {
		d, err := dataset.Read(ctx, filepath.Join(dir, name), dataset.ReadOptions{})
		if err != nil {
			return 0, 0, 0, 0, fmt.Errorf("resume: pseudo labels: %w", err)
		}
		n[i] = [2]int{len(d.Images), len(d.Annotations)}
	}
	return n[0][0], n[0][1], n[1][0], n[1][1], nil
}

// videoExts are the file extensions read as video through ffmpeg.
var videoExts = []string{".avi", ".mp4", ".mkv", ".mov", ".webm", ".mpg", ".mpeg"}

// imageExts are the file extensions read as images.
var imageExts = []string{".png", ".jpg", ".jpeg"}

// labelInputs feeds the labeler every video's sampled frames (scanned in tiles of side tile, the
// trailing holdout fraction held out) and every image (scanned whole), in the order given.
// Directories are listed sorted by name; the trailing holdout fraction of a directory's images
// (at least one when it has two or more; photos named by a camera sort by time) is held out, so
// that a directory of photos alone is enough input. Images named one by one are training images.
func labelInputs(ctx context.Context, lab *PseudoLabeler, inputs []string, frames, stride, tile int, holdout float64, stderr io.Writer) error {
	type input struct {
		path    string
		heldOut bool
	}
	var files []input
	for _, in := range inputs {
		in = strings.TrimSpace(in)
		if in == "" {
			continue
		}
		st, err := os.Stat(in)
		if err != nil {
			return fmt.Errorf("inputs: %w", err)
		}
		if !st.IsDir() {
			files = append(files, input{path: in})
			continue
		}
		entries, err := os.ReadDir(in)
		if err != nil {
			return fmt.Errorf("inputs: %w", err)
		}
		var images, videos []string
		for _, e := range entries {
			ext := strings.ToLower(filepath.Ext(e.Name()))
			switch {
			case e.IsDir():
			case slices.Contains(imageExts, ext):
				images = append(images, filepath.Join(in, e.Name()))
			case slices.Contains(videoExts, ext):
				videos = append(videos, filepath.Join(in, e.Name()))
			}
		}
		if len(images)+len(videos) == 0 {
			return fmt.Errorf("input %s: no image (%s) or video (%s) in the directory", in, strings.Join(imageExts, " "), strings.Join(videoExts, " "))
		}
		firstHeld := len(images) - heldOutCount(len(images), holdout)
		for i, f := range images {
			files = append(files, input{path: f, heldOut: i >= firstHeld})
		}
		for _, f := range videos {
			files = append(files, input{path: f})
		}
	}
	for i, in := range files {
		f := in.path
		base := fmt.Sprintf("%03d_%s", i, strings.TrimSuffix(filepath.Base(f), filepath.Ext(f)))
		ext := strings.ToLower(filepath.Ext(f))
		if slices.Contains(videoExts, ext) {
			lab.Options.DetectTile = tile
			if err := labelVideo(ctx, lab, f, base, frames, stride, holdout, stderr); err != nil {
				return err
			}
			continue
		}
		if !slices.Contains(imageExts, ext) {
			return fmt.Errorf("input %s: not an image (%s) or a video (%s)", f, strings.Join(imageExts, " "), strings.Join(videoExts, " "))
		}
		lab.Options.DetectTile = 0
		if lab.Resumed(base) {
			continue
		}
		img, err := dataset.LoadImage(f)
		if err != nil {
			return err
		}
		n, err := lab.Add(ctx, base, img, in.heldOut)
		if err != nil {
			return err
		}
		split := "train"
		if in.heldOut {
			split = "held out"
		}
		fmt.Fprintf(stderr, "%s: %d people (%s)\n", f, n, split)
	}
	return nil
}

// heldOutCount is how many of n images a directory holds out: the fraction holdout of them,
// rounded, at least one when n ≥ 2 and never all.
func heldOutCount(n int, holdout float64) int {
	if n < 2 {
		return 0
	}
	return min(max(int(float64(n)*holdout+0.5), 1), n-1)
}

// labelVideo labels every stride-th frame of a video, up to frames of them; the last
// holdout fraction of them go to val.
func labelVideo(ctx context.Context, lab *PseudoLabeler, path, base string, frames, stride int, holdout float64, stderr io.Writer) error {
	info, err := video.Probe(ctx, path)
	if err != nil {
		return err
	}
	dec, err := video.Decode(ctx, path, info, frames*stride)
	if err != nil {
		return err
	}
	defer dec.Abort()
	firstHeld := frames - int(float64(frames)*holdout+0.5)
	// The video's people are tracked from frame to frame, as MediaPipe does: each landmark crop
	// is placed by the previous frame's landmarks, and the (tiled) detector runs on the first
	// sampled frame, whenever a track is lost, and every 8th sampled frame for newcomers.
	o := lab.Options.withDefaults()
	tr, err := blazepose.NewTracker(lab.Pipeline, blazepose.TrackerConfig{MinPoseScore: o.MinScore, MaxPeople: o.MaxPeople, DetectTile: o.DetectTile, DetectEvery: 8})
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if lab.Find == nil {
		lab.Find = func(ctx context.Context, img image.Image) ([]blazepose.Person, error) {
			tracked, err := tr.Step(ctx, img)
			if err != nil {
				return nil, err
			}
			people := make([]blazepose.Person, len(tracked))
			for i, p := range tracked {
				people[i] = p.Person
			}
			return people, nil
		}
		defer func() { lab.Find = nil }()
	}
	used, people, labelled := 0, 0, 0
	start := time.Now()
	for i := 0; used < frames; i++ {
		img, err := dec.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return fmt.Errorf("%s frame %d: %w", path, i, err)
		}
		if i%stride != 0 {
			continue
		}
		name := fmt.Sprintf("%s_%05d", base, i)
		resumed := lab.Resumed(name)
		n, err := lab.Add(ctx, name, img, used >= firstHeld)
		if err != nil {
			return err
		}
		used, people = used+1, people+n
		if !resumed {
			if labelled++; labelled%25 == 0 {
				fmt.Fprintf(stderr, "%s: sampled frame %d/%d labelled, %.1f s a frame\n", path, used, frames, time.Since(start).Seconds()/float64(labelled))
			}
		}
	}
	if err := dec.Close(); err != nil {
		return err
	}
	fmt.Fprintf(stderr, "%s: %d sampled frames, %d people (sampled frames #%d on held out)\n", path, used, people, firstHeld)
	return nil
}
