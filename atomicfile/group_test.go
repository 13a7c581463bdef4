package atomicfile

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestGroupReplacesTogether: files that belong together are all replaced, or (a failure before
// Commit) none is (issue 16: predict replaced its JSON and kept an old overlay).
func TestGroupReplacesTogether(t *testing.T) {
	dir := t.TempDir()
	js, png := filepath.Join(dir, "r.json"), filepath.Join(dir, "r.png")
	WriteBytes(js, []byte("old json"))
	WriteBytes(png, []byte("old png"))
	var g Group
	if err := WriteBytes(g.Path(js), []byte("new json")); err != nil {
		t.Fatal(err)
	}
	if p := g.Path(png); filepath.Ext(p) != ".png" || !IsTemp(filepath.Base(p)) {
		t.Errorf("staged name %s loses the extension or is not recognisable", p)
	}
	g.Abort() // the overlay failed
	for p, want := range map[string]string{js: "old json", png: "old png"} {
		if b, _ := os.ReadFile(p); string(b) != want {
			t.Errorf("%s: %q after a failed group, want %q", p, b, want)
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 2 {
		t.Errorf("staged files left: %v", entries)
	}
	g = Group{}
	WriteBytes(g.Path(js), []byte("new json"))
	WriteBytes(g.Path(png), []byte("new png"))
	if err := g.Commit(); err != nil {
		t.Fatal(err)
	}
	for p, want := range map[string]string{js: "new json", png: "new png"} {
		if b, _ := os.ReadFile(p); string(b) != want {
			t.Errorf("%s: %q, want %q", p, b, want)
		}
	}
}

// TestReplaceDirSwapsOnlyOnSuccess: a fill that fails half way leaves the old folder untouched (issue
// 16: a failed synth rerun left the old train.json over new images); a folder with files the
// command did not write is refused; a success replaces everything, stale files included.
func TestReplaceDirSwapsOnlyOnSuccess(t *testing.T) {
	parent := t.TempDir()
	dir := filepath.Join(parent, "synth")
	owned := []string{"train.json", "images"}
	write := func(json, img string, fail bool) error {
		return ReplaceDir(dir, owned, func(tmp string) error {
			os.Mkdir(filepath.Join(tmp, "images"), 0o755)
			os.WriteFile(filepath.Join(tmp, "images", img), []byte(img), 0o644)
			if fail {
				return errors.New("disk full")
			}
			return os.WriteFile(filepath.Join(tmp, "train.json"), []byte(json), 0o644)
		})
	}
	if err := write("v1", "a.jpg", false); err != nil {
		t.Fatal(err)
	}
	if err := write("v2", "b.jpg", true); err == nil {
		t.Fatal("failure not reported")
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "train.json")); string(b) != "v1" {
		t.Errorf("train.json %q after a failed rerun", b)
	}
	if _, err := os.Stat(filepath.Join(dir, "images", "b.jpg")); !os.IsNotExist(err) {
		t.Error("a failed rerun's image leaked into the dataset")
	}
	if err := write("v3", "c.jpg", false); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "images", "a.jpg")); !os.IsNotExist(err) {
		t.Error("stale image of the previous run kept")
	}
	if entries, _ := os.ReadDir(parent); len(entries) != 1 {
		t.Errorf("leftovers beside the folder: %v", entries)
	}
	os.WriteFile(filepath.Join(dir, "notes.txt"), nil, 0o644)
	if err := write("v4", "d.jpg", false); err == nil || !strings.Contains(err.Error(), "notes.txt") {
		t.Errorf("folder with foreign files: %v", err)
	}
	// A leftover of a killed replacement (pid gone) is cleaned.
	dead := filepath.Join(parent, ".synth.new-999999999")
	os.Mkdir(dead, 0o755)
	os.Remove(filepath.Join(dir, "notes.txt"))
	if err := write("v5", "e.jpg", false); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dead); !os.IsNotExist(err) {
		t.Error("leftover of a killed replacement kept")
	}
}
