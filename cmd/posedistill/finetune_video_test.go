package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// TestFinetuneVideoFlags checks that bad uses of finetune-video fail with one clear line before
// any work (the run itself is measured in the README: minutes of CPU).
func TestFinetuneVideoFlags(t *testing.T) {
	cases := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"no out", []string{"finetune-video"}, 2, "--out is required"},
		{"student", []string{"finetune-video", "--out", t.TempDir(), "--student", "movenet-multipose"}, 1, "want movenet-lightning or movenet-thunder"},
		{"teacher", []string{"finetune-video", "--out", t.TempDir(), "--teacher", "blazepose-heavy"}, 1, "want movenet-lightning or movenet-thunder"},
		{"boxes", []string{"finetune-video", "--out", t.TempDir(), "--boxes", "movenet-thunder"}, 1, "--boxes"},
		{"holdout", []string{"finetune-video", "--out", t.TempDir(), "--holdout", "1"}, 1, "bad options"},
		{"stray argument", []string{"finetune-video", "--out", t.TempDir(), "extra"}, 2, "extra"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			if code := run(context.Background(), tc.args, &stdout, &stderr); code != tc.code {
				t.Fatalf("exit %d, want %d; stderr %q", code, tc.code, stderr.String())
			}
			if !strings.Contains(stderr.String(), tc.want) {
				t.Errorf("stderr lacks %q:\n%s", tc.want, stderr.String())
			}
		})
	}
}
