package pseudolabel

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/posedistill/posedistill/atomicfile"
	"github.com/posedistill/posedistill/dataset"
)

// LabelProgress is the file, in a pseudo-labelled dataset directory, that holds an unfinished
// labelling (PseudoLabeler.Checkpoint): the images labelled so far and their people, saved every
// few images, so that a labelling interrupted by a crash, a signal or the end of a session
// resumes where it stopped. Finish removes it.
const LabelProgress = "labels-partial.json"

// labelProgress is LabelProgress's content. Key names what is being labelled (the inputs and
// options): progress saved under another key is not resumed.
type labelProgress struct {
	Key       string          `json:"key"`
	Done      []string        `json:"done"`
	Train     dataset.Dataset `json:"train"`
	Val       dataset.Dataset `json:"val"`
	NextImage int64           `json:"next_image"`
	NextAnn   int64           `json:"next_ann"`
}

// Checkpoint makes the labeler save its progress to Dir/LabelProgress after every `every` images
// given to Add (0: 10), under key (what is being labelled: the inputs and the labelling options),
// and resumes from that file when it was saved under the same key: the images it names are
// skipped by Add, their people kept. It returns how many images were resumed.
func (l *PseudoLabeler) Checkpoint(key string, every int) (int, error) {
	if every <= 0 {
		every = 10
	}
	l.progressKey, l.progressEvery = key, every
	path := filepath.Join(l.Dir, LabelProgress)
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("pseudo labels: resume: %w", err)
	}
	var p labelProgress
	if err := json.Unmarshal(b, &p); err != nil {
		return 0, fmt.Errorf("pseudo labels: resume %s: %w (remove it to label afresh)", path, err)
	}
	if p.Key != key {
		return 0, nil // labelled with other inputs or options: start afresh (the file is overwritten)
	}
	for _, im := range append(append([]dataset.Image{}, p.Train.Images...), p.Val.Images...) {
		if _, err := os.Stat(filepath.Join(l.Dir, im.FileName)); err != nil {
			return 0, fmt.Errorf("pseudo labels: resume %s: image %s: %w (remove %s to label afresh)", l.Dir, im.FileName, err, LabelProgress)
		}
	}
	l.train.Images, l.train.Annotations = p.Train.Images, p.Train.Annotations
	l.val.Images, l.val.Annotations = p.Val.Images, p.Val.Annotations
	l.nextImage, l.nextAnn = p.NextImage, p.NextAnn
	l.done = make(map[string]bool, len(p.Done))
	for _, name := range p.Done {
		l.done[name] = true
	}
	l.doneOrder = p.Done
	return len(p.Done), nil
}

// Resumed reports whether Add skips the image called name (labelled before a Checkpoint resume).
func (l *PseudoLabeler) Resumed(name string) bool { return l.done[name] }

// markDone records that the image called name was labelled and saves the progress every
// progressEvery images.
func (l *PseudoLabeler) markDone(name string) error {
	if l.progressKey == "" {
		return nil
	}
	if l.done == nil {
		l.done = map[string]bool{}
	}
	l.done[name] = true
	l.doneOrder = append(l.doneOrder, name)
	l.sinceSave++
	if l.sinceSave < l.progressEvery {
		return nil
	}
	return l.saveProgress()
}

// saveProgress writes Dir/LabelProgress.
func (l *PseudoLabeler) saveProgress() error {
	l.sinceSave = 0
	p := labelProgress{Key: l.progressKey, Done: l.doneOrder, Train: l.train, Val: l.val, NextImage: l.nextImage, NextAnn: l.nextAnn}
	if err := atomicfile.WriteJSON(filepath.Join(l.Dir, LabelProgress), p); err != nil {
		return fmt.Errorf("pseudo labels: save progress: %w", err)
	}
	return nil
}
