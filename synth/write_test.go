package synth

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/posedistill/posedistill/dataset"
)

func TestWriteOptionsCheck(t *testing.T) {
	ok := WriteOptions{Dir: "d", Images: 3, Format: "jpg", ValFraction: 0.5}
	tests := []struct {
		name   string
		modify func(*WriteOptions)
		valid  bool
	}{
		{"ok", func(*WriteOptions) {}, true},
		{"no dir", func(w *WriteOptions) { w.Dir = "" }, false},
		{"nothing", func(w *WriteOptions) { w.Images = 0 }, false},
		{"negative", func(w *WriteOptions) { w.Images = -1 }, false},
		{"val fraction", func(w *WriteOptions) { w.ValFraction = 2 }, false},
		{"format", func(w *WriteOptions) { w.Format = "bmp" }, false},
		{"sequence without fps", func(w *WriteOptions) { w.Sequences = 1; w.Sequence = SequenceOptions{Frames: 3} }, false},
		{"sequences only", func(w *WriteOptions) {
			w.Images = 0
			w.Sequences = 1
			w.Sequence = SequenceOptions{Frames: 3, FPS: 25}
		}, true},
	}
	for _, tc := range tests {
		wo := ok
		tc.modify(&wo)
		if err := wo.Check(); (err == nil) != tc.valid {
			t.Errorf("%s: err %v, want valid=%v", tc.name, err, tc.valid)
		}
	}
}

func TestWriteDatasetSplitsAndIDs(t *testing.T) {
	r := mustRenderer(t, Options{Width: 40, Height: 40, MinPeople: 2, MaxPeople: 2})
	dir := t.TempDir()
	written, err := WriteDataset(context.Background(), r, WriteOptions{
		Dir: dir, Seed: 2, Images: 4, ValFraction: 0.25, Sequences: 1,
		Sequence: SequenceOptions{Frames: 2, FPS: 10}, Format: "png", Workers: 2, SheetImages: 3,
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(written) != 4 {
		t.Fatalf("wrote %+v", written)
	}
	anns := map[int64]bool{}
	for _, name := range []string{"train.json", "val.json", "sequences.json"} {
		d, err := dataset.Read(context.Background(), filepath.Join(dir, name), dataset.ReadOptions{})
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range d.Annotations {
			if anns[a.ID] {
				t.Errorf("%s: annotation id %d repeated", name, a.ID)
			}
			anns[a.ID] = true
		}
		want := map[string]int{"train.json": 3, "val.json": 1, "sequences.json": 2}[name]
		if len(d.Images) != want {
			t.Errorf("%s: %d images, want %d", name, len(d.Images), want)
		}
	}
	if _, err := ContactSheet(nil); err == nil {
		t.Error("empty contact sheet accepted")
	}
}
