package video

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

func TestParseProbe(t *testing.T) {
	for _, c := range []struct {
		in   string
		want Info
		ok   bool
	}{
		{"768,576,10/1\n", Info{768, 576, 10}, true},
		{"640,480,30000/1001", Info{640, 480, 30000.0 / 1001}, true},
		{"320,240,25", Info{320, 240, 25}, true},
		{"", Info{}, false},
		{"640,480,0/0", Info{}, false},
		{"0,480,25/1", Info{}, false},
		{"a,b,c", Info{}, false},
		{"99999,480,25/1", Info{}, false},
		{"640,480,1e300/1e-300", Info{}, false},
	} {
		got, err := parseProbe("v.mp4", c.in)
		if (err == nil) != c.ok || (c.ok && got != c.want) {
			t.Errorf("parseProbe(%q) = %+v, %v; want %+v, ok %v", c.in, got, err, c.want, c.ok)
		}
	}
}

// FuzzParseProbe checks that any ffprobe output either parses into a usable size and rate or
// fails cleanly.
func FuzzParseProbe(f *testing.F) {
	for _, s := range []string{"768,576,10/1\n", "640,480,30000/1001", "1,1,1", ",,", "5,5,1/0", "-3,4,25/1", "5,5,1e300/1e-300"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := parseProbe("v", s)
		if err == nil && (v.Width <= 0 || v.Height <= 0 || !(v.FPS > 0) || v.FPS > 1e300) {
			t.Fatalf("parseProbe(%q) = %+v without error", s, v)
		}
	})
}

// TestVideoNamedLikeAnOption: a video called "-report" (or "pipe:0") is read as a file by ffprobe
// and ffmpeg, not as an option or protocol (issue 16: ffprobe took "-report" as its option).
func TestVideoNamedLikeAnOption(t *testing.T) {
	if _, err := exec.LookPath("ffmpeg"); err != nil {
		t.Skip("ffmpeg not installed")
	}
	dir := t.TempDir()
	t.Chdir(dir)
	if msg, err := exec.Command("ffmpeg", "-v", "error", "-f", "lavfi", "-i", "color=c=red:s=32x24:r=5",
		"-frames:v", "3", "-pix_fmt", "yuv420p", "-f", "mp4", "file:-report").CombinedOutput(); err != nil {
		t.Fatalf("make test video: %v: %s", err, msg)
	}
	os.Rename("-report", "pipe:0")
	for _, name := range []string{"pipe:0"} {
		info, err := Probe(context.Background(), name)
		if err != nil || info.Width != 32 || info.Height != 24 {
			t.Fatalf("probe %q: %+v, %v", name, info, err)
		}
		dec, err := Decode(context.Background(), name, info, 0)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for ; ; n++ {
			if _, err := dec.Next(); err != nil {
				break
			}
		}
		if err := dec.Close(); err != nil || n != 3 {
			t.Errorf("decode %q: %d frames, %v", name, n, err)
		}
	}
	os.Rename("pipe:0", "-report")
	if info, err := Probe(context.Background(), "-report"); err != nil || info.Width != 32 {
		t.Errorf("probe -report: %+v, %v", info, err)
	}
	if logs, _ := filepath.Glob("ffprobe-*.log"); len(logs) > 0 {
		t.Errorf("ffprobe took -report as an option: %v", logs)
	}
}
