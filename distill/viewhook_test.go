package distill

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/posedistill/posedistill/train"
)

// TestCacheRecordsReused computes a region teacher's records of every training person once,
// reads them back from a new cache on the same directory without running the teacher, and
// recomputes them for a teacher of another ID.
func TestCacheRecordsReused(t *testing.T) {
	ctx := context.Background()
	split, err := train.ReadSplit(ctx, testData(t), "train.json")
	if err != nil {
		t.Fatal(err)
	}
	sc, err := SampleConfig(tinyConfig("records", 0.25, 16), false, false, false)
	if err != nil {
		t.Fatal(err)
	}
	n := len(split.Instances)
	images := NewImages(split.Instances, 4)
	dir := t.TempDir()
	for _, tc := range []struct {
		name               string
		id                 string
		wantLooks, wantHit int
	}{
		{"first run computes", "a", n, 0},
		{"second run reads", "a", 0, n},
		{"another teacher computes", "b", n, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			teacher := &centreTeacher{id: tc.id}
			cache := &RecordCache{Dir: dir}
			recs, err := CacheRecords(ctx, teacher, split.Instances, images, sc, cache, nil)
			if err != nil {
				t.Fatal(err)
			}
			if teacher.looked != tc.wantLooks || cache.Hits != tc.wantHit || len(recs) != n {
				t.Fatalf("looked at %d crops, %d cache hits, %d records; want %d, %d, %d", teacher.looked, cache.Hits, len(recs), tc.wantLooks, tc.wantHit, n)
			}
			for _, in := range split.Instances {
				r := recs[in.Annotation.ID]
				v, err := PlainView(in, nil, sc)
				if err != nil {
					t.Fatal(err)
				}
				x, y := v.ToImage.Apply(float64(v.CropW)/2, float64(v.CropH)/2)
				if len(r.Keypoints) != 17 || r.Keypoints[0].X != x || r.Keypoints[0].Y != y {
					t.Fatalf("annotation %d: record %+v, want joint 0 at the crop centre (%v, %v)", in.Annotation.ID, r.Keypoints, x, y)
				}
			}
		})
	}
}

// TestTrainRegionTeacher distills from a region teacher with and without the record cache: with
// it the teacher looks at each training person once (and not at all in a second run on the same
// cache), without it at every sample of every step.
func TestTrainRegionTeacher(t *testing.T) {
	ctx := context.Background()
	data := testData(t)
	split, err := train.ReadSplit(ctx, data, "train.json")
	if err != nil {
		t.Fatal(err)
	}
	cfg := tinyConfig("region", 0.25, 16)
	cfg.Steps = 3
	cfg.Augment = train.DefaultConfig().Augment
	rec := Recipe{Teachers: []TeacherRef{{Name: PrimaryName, Model: "blazepose-lite"}}, Alpha: 0.5}
	cacheDir := t.TempDir()
	for _, tc := range []struct {
		name      string
		cache     bool
		wantLooks int
	}{
		{"live", false, cfg.Steps * cfg.BatchSize},
		{"cached", true, len(split.Instances)},
		{"cached again", true, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			teacher := &centreTeacher{id: "centre"}
			opts := RunOptions{Config: cfg, Recipe: rec, DataDir: data, OutDir: filepath.Join(t.TempDir(), "run"),
				Teachers: map[string]Teacher{PrimaryName: teacher}, Backend: testBackend(t)}
			if tc.cache {
				opts.TeacherRecords = &RecordCache{Dir: cacheDir}
			}
			res, err := Train(ctx, opts)
			if err != nil {
				t.Fatal(err)
			}
			if res.Steps != cfg.Steps {
				t.Errorf("%d steps", res.Steps)
			}
			if teacher.looked != tc.wantLooks {
				t.Errorf("teacher looked at %d crops, want %d", teacher.looked, tc.wantLooks)
			}
		})
	}
}
