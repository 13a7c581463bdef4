package video

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
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

// TestDecodeSampled decodes short red clips at 5 frames per second: frame n is the one shown at
// n / 5 s, and a clip shorter than half a sampling interval still gives its one frame.
func TestDecodeSampled(t *testing.T) {
	if _, err := exec.LookPath("ffmpeg"); err != nil {
		t.Skip("ffmpeg not installed")
	}
	tests := []struct {
		name   string
		rate   int // the clip's frames per second
		frames int // the clip's frames
		want   int // frames decoded at 5 per second
	}{
		{"one frame at 25 fps (0.04 s)", 25, 1, 1},
		{"ten frames at 25 fps (0.4 s)", 25, 10, 2},
		{"thirty frames at 10 fps (3 s)", 10, 30, 15},
		{"three frames at 5 fps: every frame", 5, 3, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clip := filepath.Join(t.TempDir(), "clip.mkv")
			src := "color=c=red:s=32x24:r=" + strconv.Itoa(tt.rate)
			if msg, err := exec.Command("ffmpeg", "-v", "error", "-f", "lavfi", "-i", src, "-frames:v", strconv.Itoa(tt.frames),
				"-c:v", "ffv1", clip).CombinedOutput(); err != nil {
				t.Fatalf("make test video: %v: %s", err, msg)
			}
			info, err := Probe(context.Background(), clip)
			if err != nil {
				t.Fatal(err)
			}
			dec, err := DecodeSampled(context.Background(), clip, info, 0, 5)
			if err != nil {
				t.Fatal(err)
			}
			n := 0
			for ; ; n++ {
				img, err := dec.Next()
				if err != nil {
					break
				}
				if c := img.RGBAAt(5, 5); c.R < 200 || c.G > 50 {
					t.Errorf("frame %d: pixel %v, want red", n, c)
				}
			}
			if err := dec.Close(); err != nil || n != tt.want {
				t.Errorf("%d frames, %v; want %d", n, err, tt.want)
			}
		})
	}
}
