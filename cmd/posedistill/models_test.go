package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/posedistill/posedistill/nets"
)

func TestModelsCommand(t *testing.T) {
	dir := t.TempDir()
	cases := []struct {
		name     string
		args     []string
		code     int
		contains []string
	}{
		{"table", []string{"models", "--input", "128x96"}, 0, []string{"movnect", "32x24x17", "simplebaseline-res50", "34.00M"}},
		{"default input", []string{"models"}, 0, []string{"256x192", "64x48x17"}},
		{"bad size", []string{"models", "--input", "128by96"}, 2, nil},
		{"size not a multiple", []string{"models", "--input", "100x50"}, 1, nil},
		{"size some architectures take", []string{"models", "--input", "64x48"}, 0, nil},
		{"arch without out", []string{"models", "--arch", "movnect"}, 2, nil},
		{"unknown arch", []string{"models", "--arch", "nope", "--out", filepath.Join(dir, "x.json")}, 1, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			if code := run(context.Background(), tc.args, &stdout, &stderr); code != tc.code {
				t.Fatalf("exit %d, want %d; stderr %q", code, tc.code, stderr.String())
			}
			for _, s := range tc.contains {
				if !strings.Contains(stdout.String(), s) {
					t.Errorf("output lacks %q:\n%s", s, stdout.String())
				}
			}
		})
	}
}

func TestModelsWritesDescription(t *testing.T) {
	path := filepath.Join(t.TempDir(), "movnect.json")
	var stdout, stderr bytes.Buffer
	if code := run(context.Background(), []string{"models", "--arch", "movnect-3d", "--out", path}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var got nets.Net
	if err := json.Unmarshal(data, &got); err != nil {
		t.Fatal(err)
	}
	want, err := nets.ByName("movnect-3d")
	if err != nil {
		t.Fatal(err)
	}
	if got.Params() != want.Params() || !reflect.DeepEqual(got.Heads, want.Heads) || len(got.Layers) != len(want.Layers) {
		t.Errorf("round trip: %d params, heads %+v, %d layers; want %d, %+v, %d", got.Params(), got.Heads, len(got.Layers), want.Params(), want.Heads, len(want.Layers))
	}
	if _, err := got.FLOPs(256, 192); err != nil {
		t.Errorf("decoded description invalid: %v", err)
	}
}
