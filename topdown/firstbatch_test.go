package topdown

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestFirstBatch checks that FirstBatch gives the bytes of a loader's first batch, collated
// independently from SampleAt, for shuffled and ordered configurations, and that it reports bad
// configurations, cancellation and unreadable images.
func TestFirstBatch(t *testing.T) {
	paths := writeImages(t, t.TempDir(), 2)
	insts := testInstances(paths, 6)
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	missing := slices.Clone(insts)
	missing[0].ImagePath = filepath.Join(t.TempDir(), "missing.png")
	tests := []struct {
		name      string
		edit      func(*LoaderConfig)
		ctx       context.Context
		instances []Instance
		wantLen   int
		wantErr   string // empty: success
	}{
		{name: "shuffled, 2 workers", edit: func(c *LoaderConfig) {}, wantLen: 4},
		{name: "ordered, 1 worker", edit: func(c *LoaderConfig) { c.Shuffle, c.Workers = false, 1 }, wantLen: 4},
		{name: "batch beyond the instances", edit: func(c *LoaderConfig) { c.BatchSize = 10 }, wantLen: 6},
		{name: "no instances", edit: func(c *LoaderConfig) {}, instances: []Instance{}, wantErr: "no instances"},
		{name: "zero batch", edit: func(c *LoaderConfig) { c.BatchSize = 0 }, wantErr: "batch size 0"},
		{name: "cancelled", edit: func(c *LoaderConfig) {}, ctx: cancelled, wantErr: context.Canceled.Error()},
		{name: "missing image", edit: func(c *LoaderConfig) { c.Shuffle = false }, instances: missing, wantErr: "missing.png"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := testLoaderConfig(t, 2)
			tc.edit(&cfg)
			ctx := tc.ctx
			if ctx == nil {
				ctx = context.Background()
			}
			in := tc.instances
			if in == nil {
				in = insts
			}
			got, err := FirstBatch(ctx, cfg, in)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want one containing %q", err, tc.wantErr)
				}
				if tc.ctx != nil && !errors.Is(err, context.Canceled) {
					t.Errorf("err = %v, want context.Canceled", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.Len() != tc.wantLen {
				t.Fatalf("batch of %d, want %d", got.Len(), tc.wantLen)
			}
			l, err := NewLoader(cfg, in)
			if err != nil {
				t.Fatal(err)
			}
			samples := make([]*Sample, tc.wantLen)
			for pos := range samples {
				if samples[pos], err = l.SampleAt(context.Background(), 0, pos); err != nil {
					t.Fatal(err)
				}
			}
			want, err := cfg.Sample.Collate(samples)
			if err != nil {
				t.Fatal(err)
			}
			if err := sameBatch(got, want); err != nil {
				t.Error(err)
			}
		})
	}
}
