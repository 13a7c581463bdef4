package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/posedistill/posedistill/dataset"
	"github.com/posedistill/posedistill/pose"
	"github.com/posedistill/posedistill/serve"
)

// TestSamePosesEverywhere: on the same photo, every kind of model (a trained run, BlazePose,
// MoveNet single-person on the detector's people, MoveNet MultiPose) gives the same results
// through the CLI (predict), the Go API (pose.Estimator) and the server (POST /v1/pose), byte
// for byte; and the same poses (keypoints and scores, with track ids) on a one-frame lossless
// video of the photo through "video" and POST /v1/video. "serve --bench" measures the run.
func TestSamePosesEverywhere(t *testing.T) {
	needBlazePose(t, basketball1) // the people detector
	if _, err := exec.LookPath("ffmpeg"); err != nil {
		t.Skip("ffmpeg not installed")
	}
	_, run := exportTestRun(t)
	clip := filepath.Join(t.TempDir(), "still.mkv") // FFV1 RGB: the frame decodes to the photo's pixels
	if msg, err := exec.Command("ffmpeg", "-v", "error", "-i", basketball1, "-frames:v", "1", "-c:v", "ffv1", "-pix_fmt", "bgr0", clip).CombinedOutput(); err != nil {
		t.Fatalf("make test video: %v: %s", err, msg)
	}
	tests := []struct {
		name, model string
		moveNet     bool
	}{
		{"trained run", run, false},
		{"BlazePose", "blazepose-lite", false},
		{"MoveNet on the detector's people", "movenet-lightning", true},
		{"MoveNet MultiPose", "movenet-multipose", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.moveNet {
				needMoveNet(t)
			}
			samePoses(t, tt.model, clip)
		})
	}
	var stdout, stderr bytes.Buffer
	if err := runServe(context.Background(), []string{"--model", run, "--detector", "blazepose", "--detect-tiles", "none", "--bench", basketball1, "--requests", "3", "--concurrency", "2"}, &stdout, &stderr); err != nil {
		t.Fatalf("serve --bench: %v: %s", err, stderr.String())
	}
	if !strings.Contains(stdout.String(), "3 requests (0 failed)") || !strings.Contains(stdout.String(), "requests/s") {
		t.Errorf("serve --bench: %s", stdout.String())
	}
}

// samePoses checks that model, with the default people detector, gives on basketball1.png the same results through predict, the
// Go API and POST /v1/pose, and the same poses on clip (the photo as one video frame) through
// "video" and POST /v1/video, each with a track id.
func samePoses(t *testing.T, model, clip string) {
	t.Helper()
	out := filepath.Join(t.TempDir(), "res.json")
	var stdout, stderr bytes.Buffer
	if err := runPredict(context.Background(), []string{"--model", model, "--image", basketball1, "--out", out}, &stdout, &stderr); err != nil {
		t.Fatalf("predict: %v: %s", err, stderr.String())
	}
	cli, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	est, err := pose.Open(model, pose.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer est.Close()
	img, err := dataset.LoadImage(basketball1)
	if err != nil {
		t.Fatal(err)
	}
	people, err := est.Estimate(context.Background(), img)
	if err != nil {
		t.Fatal(err)
	}
	if len(people) == 0 {
		t.Fatal("no people")
	}
	var api bytes.Buffer
	if err := pose.EncodeRecords(&api, pose.Records(people, 1)); err != nil {
		t.Fatal(err)
	}
	srv, err := serve.New(est, serve.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	defer ts.Close()
	photo, err := os.ReadFile(basketball1)
	if err != nil {
		t.Fatal(err)
	}
	server := post(t, ts.URL+"/v1/pose", "image/png", photo)
	if !bytes.Equal(cli, api.Bytes()) || !bytes.Equal(server, api.Bytes()) {
		t.Errorf("results differ:\nCLI    %.300s\nAPI    %.300s\nserver %.300s", cli, api.Bytes(), server)
	}
	want := poseKeys(t, pose.Records(people, 1), false)

	// The photo as a video, through "video" and POST /v1/video.
	dir := filepath.Join(t.TempDir(), "video")
	if err := runVideo(context.Background(), []string{"--model", model, "--in", clip, "--out", dir, "--quiet"}, &stdout, &stderr); err != nil {
		t.Fatalf("video: %v: %s", err, stderr.String())
	}
	b, err := os.ReadFile(filepath.Join(dir, "results.json"))
	if err != nil {
		t.Fatal(err)
	}
	var recs []pose.Record
	if err := json.Unmarshal(b, &recs); err != nil {
		t.Fatal(err)
	}
	if got := poseKeys(t, recs, true); got != want {
		t.Errorf("video: poses\n%s\nwant (API)\n%s", got, want)
	}
	clipBytes, err := os.ReadFile(clip)
	if err != nil {
		t.Fatal(err)
	}
	var answer serve.VideoAnswer
	if err := json.Unmarshal(post(t, ts.URL+"/v1/video", "video/x-matroska", clipBytes), &answer); err != nil {
		t.Fatal(err)
	}
	if len(answer.Frames) != 1 {
		t.Fatalf("POST /v1/video: %d frames, want 1", len(answer.Frames))
	}
	if got := poseKeys(t, answer.Frames[0].People, true); got != want {
		t.Errorf("POST /v1/video: poses\n%s\nwant (API)\n%s", got, want)
	}
}

// post sends body to url and returns the answer, failing unless it is 200.
func post(t *testing.T, url, contentType string, body []byte) []byte {
	t.Helper()
	resp, err := http.Post(url, contentType, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("POST %s: %d %v: %s", url, resp.StatusCode, err, b)
	}
	return b
}

// poseKeys returns the keypoints and scores of records, one line per person, sorted (video
// orders people by track id, still images by score); for a video's records (video set) it fails
// unless each has its own positive track id.
func poseKeys(t *testing.T, recs []pose.Record, video bool) string {
	t.Helper()
	ids := map[int64]bool{}
	for _, r := range recs {
		if video && (r.TrackID <= 0 || ids[r.TrackID]) {
			t.Errorf("video record with track id %d (ids so far %v)", r.TrackID, ids)
		}
		ids[r.TrackID] = true
	}
	lines := make([]string, len(recs))
	for i, r := range recs {
		b, err := json.Marshal(struct {
			K []float64
			S float64
		}{r.Keypoints, r.Score})
		if err != nil {
			t.Fatal(err)
		}
		lines[i] = string(b)
	}
	sort.Strings(lines)
	return strings.Join(lines, "\n")
}

func TestServeUsage(t *testing.T) {
	for _, args := range [][]string{nil, {"--model", "m", "--max-bytes", "0"}, {"--model", "m", "--max-people", "-1"}, {"--model", "m", "--requests", "0"}} {
		var stdout, stderr bytes.Buffer
		if err := runServe(context.Background(), args, &stdout, &stderr); !errors.Is(err, errUsage) {
			t.Errorf("%v: err = %v, want a usage error", args, err)
		}
	}
	var stdout, stderr bytes.Buffer
	if err := runServe(context.Background(), []string{"--model", "m", "--bench", "/nonexistent.png"}, &stdout, &stderr); err == nil || !strings.Contains(err.Error(), "nonexistent") {
		t.Errorf("missing bench image: %v", err)
	}
}
