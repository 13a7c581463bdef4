package video

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/posedistill/posedistill/internal/testkit"
	"github.com/posedistill/posedistill/pose"
)

func TestMain(m *testing.M) { testkit.Main(m) }

// TestTrackPoseStopsCleanly makes a 6-frame video of a photo, runs BlazePose-lite over it and
// cancels the context (as Ctrl-C does) after the second frame: the results and the overlay
// video hold the two frames processed, one person with one track id, and Interrupted is set.
func TestTrackPoseStopsCleanly(t *testing.T) {
	const photo = "/usr/share/doc/opencv-doc/examples/data/basketball1.png"
	if testing.Short() {
		t.Skip("model inference skipped in -short mode")
	}
	if _, err := os.Stat(photo); err != nil {
		t.Skipf("test photo absent: %v", err)
	}
	if !Available() {
		t.Skip("ffmpeg not installed")
	}
	testkit.BlazePoseCache(t)
	testkit.MoveNetCache(t) // the default people detector
	dir := t.TempDir()
	in := filepath.Join(dir, "still.mp4")
	if msg, err := exec.Command("ffmpeg", "-v", "error", "-loop", "1", "-framerate", "10", "-i", photo,
		"-frames:v", "6", "-pix_fmt", "yuv420p", in).CombinedOutput(); err != nil {
		t.Fatalf("make test video: %v: %s", err, msg)
	}
	est, err := pose.Open("blazepose-lite", pose.Options{MaxPeople: 1, Detector: pose.DetectorConfig{People: pose.DetectBlazePose, Tiles: []int{}}})
	if err != nil {
		t.Fatal(err)
	}
	defer est.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out := filepath.Join(dir, "out")
	var progress strings.Builder
	r, err := TrackPose(ctx, PoseOptions{In: in, OutDir: out, Estimator: est, Progress: &progress,
		OnFrame: func(n int, people []pose.Person) {
			if n == 1 {
				cancel()
			}
		}})
	if err != nil {
		t.Fatal(err)
	}
	if !r.Interrupted || r.Frames != 2 || r.Poses != 2 || r.Tracks != 1 {
		t.Errorf("result %+v: want interrupted after 2 frames, 2 poses, 1 track", r)
	}
	b, err := os.ReadFile(r.ResultsPath)
	if err != nil {
		t.Fatal(err)
	}
	var recs []pose.Record
	if err := json.Unmarshal(b, &recs); err != nil {
		t.Fatal(err)
	}
	if len(recs) != 2 || recs[0].ImageID != 1 || recs[1].ImageID != 2 || recs[0].TrackID != 1 || recs[1].TrackID != 1 ||
		recs[1].Timestamp == nil || *recs[1].Timestamp != 0.1 {
		t.Errorf("records: %s", b)
	}
	n, err := exec.Command("ffprobe", "-v", "error", "-count_frames", "-select_streams", "v:0",
		"-show_entries", "stream=nb_read_frames", "-of", "csv=p=0", r.OverlayPath).Output()
	if err != nil || strings.TrimSpace(string(n)) != "2" {
		t.Errorf("overlay video frames: %q, %v; want 2", n, err)
	}
	if !strings.Contains(progress.String(), "frames") {
		t.Errorf("progress: %q", progress.String())
	}
}
