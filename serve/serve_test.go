package serve

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"hash/crc32"
	"io"
	"math"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/posedistill/posedistill/dataset"
	"github.com/posedistill/posedistill/internal/testkit"
	"github.com/posedistill/posedistill/pose"
	"github.com/posedistill/posedistill/train"
	"github.com/posedistill/posedistill/video"
)

func TestMain(m *testing.M) { testkit.Main(m) }

const basketball1 = "/usr/share/doc/opencv-doc/examples/data/basketball1.png"

var (
	estOnce sync.Once
	est     *pose.Estimator
	estErr  error
)

// estimator returns a tiny trained run (two training steps on tiny synthetic data: real, fast,
// its poses meaningless) behind the people detector on the whole image, once per test binary.
func estimator(t *testing.T) *pose.Estimator {
	t.Helper()
	if testing.Short() {
		t.Skip("model inference skipped in -short mode")
	}
	if _, err := os.Stat(basketball1); err != nil {
		t.Skipf("test photo absent: %v", err)
	}
	testkit.BlazePoseCache(t)
	testkit.MoveNetCache(t) // the default people detector
	estOnce.Do(func() {
		data := testkit.SynthData(t, testkit.Synth{Size: 64, MinPeople: 1, MaxPeople: 1, Images: 8, Seed: 5})
		root, err := os.MkdirTemp("", "posedistill-serve-test-")
		if err != nil {
			estErr = err
			return
		}
		run := filepath.Join(root, "run")
		c := train.DefaultConfig()
		c.Name = "tiny"
		c.Model = train.ModelConfig{Arch: "mobilenetv2", Width: 0.25, HeadChannels: 16}
		c.InputW, c.InputH, c.Sigma = 32, 64, 1
		c.BatchSize, c.Steps, c.WarmupSteps = 2, 2, 1
		c.CheckpointEvery, c.ValidateEvery = 2, 0
		c.FlipTest = false
		if _, estErr = train.Run(context.Background(), c, train.Options{DataDir: data, OutDir: run, Backend: testkit.Backend(t), NoValidation: true}); estErr != nil {
			return
		}
		est, estErr = pose.Open(run, pose.Options{Detector: pose.DetectorConfig{People: pose.DetectBlazePose, Tiles: []int{}}})
	})
	if estErr != nil {
		t.Fatal(estErr)
	}
	return est
}

func newServer(t *testing.T, o Options) *httptest.Server {
	t.Helper()
	s, err := New(estimator(t), o)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(ts.Close)
	return ts
}

func postImage(t *testing.T, url, contentType string, body []byte) (int, []byte) {
	t.Helper()
	resp, err := http.Post(url, contentType, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, b
}

// pngHeader returns the start of a PNG whose header claims w×h pixels (and no pixel data).
func pngHeader(w, h uint32) []byte {
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], w)
	binary.BigEndian.PutUint32(ihdr[4:], h)
	ihdr[8], ihdr[9] = 8, 2 // 8-bit RGB
	binary.Write(&b, binary.BigEndian, uint32(len(ihdr)))
	chunk := append([]byte("IHDR"), ihdr...)
	b.Write(chunk)
	binary.Write(&b, binary.BigEndian, crc32.ChecksumIEEE(chunk))
	return b.Bytes()
}

func multipartBody(t *testing.T, field string, data []byte) (string, []byte) {
	t.Helper()
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	fw, err := mw.CreateFormFile(field, "photo.png")
	if err != nil {
		t.Fatal(err)
	}
	fw.Write(data)
	mw.Close()
	return mw.FormDataContentType(), b.Bytes()
}

// TestMalformedUploads: every malformed upload gets its 4xx and one clear message, and the
// server keeps serving good requests between them.
func TestMalformedUploads(t *testing.T) {
	ts := newServer(t, Options{MaxBytes: 1 << 20, MaxPixels: 4_000_000})
	photo, err := os.ReadFile(basketball1)
	if err != nil {
		t.Fatal(err)
	}
	formType, form := multipartBody(t, "image", photo)
	otherType, other := multipartBody(t, "file", photo)
	tests := []struct {
		name        string
		query       string
		contentType string
		body        []byte
		status      int
		msg         string // in the error message
	}{
		{"good PNG", "", "image/png", photo, 200, ""},
		{"good multipart form", "", formType, form, 200, ""},
		{"truncated image", "", "image/png", photo[:len(photo)/3], 400, "corrupt png image"},
		{"huge dimensions", "", "image/png", pngHeader(100_000, 100_000), 413, "at most 4000000 pixels"},
		{"wrong content type", "", "text/plain", []byte("hello"), 415, "want image/jpeg"},
		{"no content type", "", "", photo, 415, "Content-Type"},
		{"not an image", "", "image/jpeg", []byte("this is text"), 415, "not a JPEG or PNG"},
		{"a GIF", "", "image/jpeg", []byte("GIF89a\x01\x00\x01\x00\x00\x00\x00;"), 415, "want JPEG or PNG"},
		{"empty body", "", "image/png", nil, 400, "empty upload"},
		{"too large", "", "image/png", bytes.Repeat([]byte{0}, 2<<20), 413, "larger than 1048576 bytes"},
		{"form without image", "", otherType, other, 400, "without an \"image\" file"},
		{"bad image_id", "?image_id=x", "image/png", photo, 400, "image_id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body := postImage(t, ts.URL+"/v1/pose"+tt.query, tt.contentType, tt.body)
			if status != tt.status {
				t.Fatalf("status %d, want %d: %s", status, tt.status, body)
			}
			if tt.status == 200 {
				var recs []pose.Record
				if err := json.Unmarshal(body, &recs); err != nil || len(recs) == 0 || len(recs[0].Keypoints) != 51 {
					t.Fatalf("answer %.200s: %v", body, err)
				}
				return
			}
			var e struct{ Error string }
			if err := json.Unmarshal(body, &e); err != nil || !strings.Contains(e.Error, tt.msg) || strings.Contains(e.Error, "\n") {
				t.Errorf("body %q, want one line with %q", body, tt.msg)
			}
			// Still serving.
			if status, _ := postImage(t, ts.URL+"/v1/pose", "image/png", photo); status != 200 {
				t.Errorf("after %s: status %d", tt.name, status)
			}
		})
	}
	resp, err := http.Get(ts.URL + "/healthz")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("healthz: %v %v", resp, err)
	}
	resp.Body.Close()
}

// TestSameAsAPI: concurrent requests (run with -race) answer what the Go API gives.
func TestSameAsAPI(t *testing.T) {
	ts := newServer(t, Options{})
	photo, err := os.ReadFile(basketball1)
	if err != nil {
		t.Fatal(err)
	}
	img, err := dataset.LoadImage(basketball1)
	if err != nil {
		t.Fatal(err)
	}
	people, err := estimator(t).Estimate(context.Background(), img)
	if err != nil {
		t.Fatal(err)
	}
	var want bytes.Buffer
	if err := pose.EncodeRecords(&want, pose.Records(people, 5)); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	answers := make([][]byte, 3)
	codes := make([]int, 3)
	for i := range answers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, err := http.Post(ts.URL+"/v1/pose?image_id=5", "image/png", bytes.NewReader(photo))
			if err != nil {
				return
			}
			defer resp.Body.Close()
			codes[i] = resp.StatusCode
			answers[i], _ = io.ReadAll(resp.Body)
		}()
	}
	wg.Wait()
	for i, a := range answers {
		if codes[i] != 200 || !bytes.Equal(a, want.Bytes()) {
			t.Errorf("request %d: status %d, answer %.300s; want %.300s", i, codes[i], a, want.Bytes())
		}
	}
}

func TestLoadTest(t *testing.T) {
	ts := newServer(t, Options{})
	photo, err := os.ReadFile(basketball1)
	if err != nil {
		t.Fatal(err)
	}
	r, err := LoadTest(context.Background(), ts.URL+"/v1/pose", photo, "image/png", 4, 2, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if r.Requests != 4 || r.Failed != 0 || !(r.PerSecond > 0) || r.P50 <= 0 || r.P99 < r.P50 {
		t.Errorf("load test: %v", r)
	}
	if _, err := LoadTest(context.Background(), ts.URL+"/v1/pose", []byte("x"), "text/plain", 2, 1, time.Minute); err == nil || !strings.Contains(err.Error(), "415") {
		t.Errorf("failing requests: err = %v, want the 415", err)
	}
}

// TestPageInChromium loads the web page in headless Chromium with an image of the server's
// origin (?image=), waits for the answer and checks that the page drew the people: the DOM
// reports their number, and a screenshot is written (set POSEDISTILL_SCREENSHOT to keep it).
func TestPageInChromium(t *testing.T) {
	chromium, err := exec.LookPath("chromium")
	if err != nil {
		t.Skip("chromium not installed")
	}
	s, err := New(estimator(t), Options{})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/", s.Handler())
	mux.HandleFunc("GET /photo.png", func(w http.ResponseWriter, r *http.Request) { http.ServeFile(w, r, basketball1) })
	ts := httptest.NewServer(mux)
	defer ts.Close()
	shot := os.Getenv("POSEDISTILL_SCREENSHOT")
	if shot == "" {
		shot = filepath.Join(t.TempDir(), "page.png")
	}
	dir := t.TempDir()
	args := []string{"--headless", "--no-sandbox", "--disable-gpu", "--user-data-dir=" + dir, "--window-size=800,900",
		"--virtual-time-budget=120000", "--run-all-compositor-stages-before-draw"}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	// Chromium's virtual time budget does not always cover a slow answer (under load it once
	// failed three tries in a row, 1.5 s each): up to six tries.
	var dom []byte
	drawn := func() bool {
		return strings.Contains(string(dom), `data-people="`) && !strings.Contains(string(dom), `data-people="0"`)
	}
	for try := 0; try < 6 && !drawn(); try++ {
		if dom, err = exec.CommandContext(ctx, chromium, append(args, "--dump-dom", ts.URL+"/?image=/photo.png")...).Output(); err != nil {
			t.Fatalf("chromium --dump-dom: %v", err)
		}
	}
	if !drawn() {
		i := strings.Index(string(dom), `id="status"`)
		t.Fatalf("page did not draw people; status: %.300s", dom[max(i, 0):])
	}
	if msg, err := exec.CommandContext(ctx, chromium, append(args, "--screenshot="+shot, ts.URL+"/?image=/photo.png")...).CombinedOutput(); err != nil {
		t.Fatalf("chromium --screenshot: %v: %s", err, msg)
	}
	img, err := dataset.LoadImage(shot)
	if err != nil {
		t.Fatal(err)
	}
	if b := img.Bounds(); b.Dx() != 800 || b.Dy() != 900 {
		t.Errorf("screenshot %v", b)
	}
}

// clip makes a 2-second video (10 frames a second, 384×288, VP8 in WebM, which Chromium plays)
// of basketball1.png panned from left to right, in dir; it skips where ffmpeg cannot.
func clip(t *testing.T, dir string) string {
	t.Helper()
	if !video.Available() {
		t.Skip("ffmpeg not installed")
	}
	out := filepath.Join(dir, "clip.webm")
	cmd := exec.Command("ffmpeg", "-v", "error", "-nostdin", "-loop", "1", "-i", basketball1, "-t", "2",
		"-vf", "fps=10,crop=560:420:40*t:30,scale=384:288", "-c:v", "libvpx", "-b:v", "1M", "-an", out)
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Skipf("ffmpeg cannot write a VP8 clip: %v: %s", err, msg)
	}
	return out
}

func TestVideoUploads(t *testing.T) {
	ts := newServer(t, Options{MaxVideoFrames: 4, VideoFPS: 5, MaxVideoBytes: 1 << 20})
	clipPath := clip(t, t.TempDir())
	data, err := os.ReadFile(clipPath)
	if err != nil {
		t.Fatal(err)
	}
	formType, form := multipartBody(t, "video", data)
	otherType, other := multipartBody(t, "file", data)
	tests := []struct {
		name        string
		contentType string
		body        []byte
		status      int
		msg         string
	}{
		{"good WebM", "video/webm", data, 200, ""},
		{"good multipart form", formType, form, 200, ""},
		{"truncated video", "video/webm", data[:len(data)/10], 400, "no decodable frame"},
		{"not a video", "video/mp4", []byte("this is text, not a video"), 415, "not a video"},
		{"an image", "video/mp4", pngHeader(64, 64), 415, "not a video"},
		{"wrong content type", "text/plain", data, 415, "want video/*"},
		{"empty body", "video/webm", nil, 400, "empty upload"},
		{"too large", "video/webm", bytes.Repeat([]byte{0}, 2<<20), 413, "larger than 1048576 bytes"},
		{"form without video", otherType, other, 400, "without a \"video\" file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body := postImage(t, ts.URL+"/v1/video", tt.contentType, tt.body)
			if status != tt.status {
				t.Fatalf("status %d, want %d: %.300s", status, tt.status, body)
			}
			if tt.status != 200 {
				var e struct{ Error string }
				if err := json.Unmarshal(body, &e); err != nil || !strings.Contains(e.Error, tt.msg) || strings.Contains(e.Error, "\n") {
					t.Errorf("body %q, want one line with %q", body, tt.msg)
				}
				return
			}
			var ans VideoAnswer
			if err := json.Unmarshal(body, &ans); err != nil {
				t.Fatal(err)
			}
			if ans.Width != 384 || ans.Height != 288 || ans.FPS != 5 || len(ans.Frames) != 4 {
				t.Fatalf("answer %dx%d at %v fps, %d frames; want 384x288 at 5, 4 frames (MaxVideoFrames)", ans.Width, ans.Height, ans.FPS, len(ans.Frames))
			}
			for i, f := range ans.Frames {
				if math.Abs(f.Time-float64(i)/5) > 1e-9 {
					t.Errorf("frame %d at %v s", i, f.Time)
				}
				for _, p := range f.People {
					if p.ImageID != int64(i+1) || p.TrackID < 1 || p.Timestamp == nil || len(p.Keypoints) != 51 {
						t.Errorf("frame %d: record image %d track %d keypoints %d", i, p.ImageID, p.TrackID, len(p.Keypoints))
					}
				}
			}
			if len(ans.Frames[0].People) == 0 {
				t.Error("no one in the first frame")
			}
		})
	}
	if status, _ := postImage(t, ts.URL+"/v1/video", "video/webm", data); status != 200 {
		t.Errorf("after the bad uploads: status %d", status)
	}
}

// TestVideoPageInChromium loads the web page with a video of the server's origin (?video=) and
// checks that it analysed the frames and drew the first one; the screenshot is kept with
// POSEDISTILL_SCREENSHOT_VIDEO.
func TestVideoPageInChromium(t *testing.T) {
	chromium, err := exec.LookPath("chromium")
	if err != nil {
		t.Skip("chromium not installed")
	}
	s, err := New(estimator(t), Options{MaxVideoFrames: 3})
	if err != nil {
		t.Fatal(err)
	}
	clipPath := clip(t, t.TempDir())
	mux := http.NewServeMux()
	mux.Handle("/", s.Handler())
	mux.HandleFunc("GET /clip.webm", func(w http.ResponseWriter, r *http.Request) { http.ServeFile(w, r, clipPath) })
	ts := httptest.NewServer(mux)
	defer ts.Close()
	shot := os.Getenv("POSEDISTILL_SCREENSHOT_VIDEO")
	if shot == "" {
		shot = filepath.Join(t.TempDir(), "page.png")
	}
	args := []string{"--headless", "--no-sandbox", "--disable-gpu", "--user-data-dir=" + t.TempDir(), "--window-size=800,900",
		"--virtual-time-budget=120000", "--run-all-compositor-stages-before-draw", "--autoplay-policy=no-user-gesture-required"}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	var dom []byte
	drawn := func() bool {
		return strings.Contains(string(dom), `data-frames="3"`) && strings.Contains(string(dom), `data-drawn="1"`)
	}
	for try := 0; try < 6 && !drawn(); try++ {
		if dom, err = exec.CommandContext(ctx, chromium, append(args, "--dump-dom", ts.URL+"/?video=/clip.webm")...).Output(); err != nil {
			t.Fatalf("chromium --dump-dom: %v", err)
		}
	}
	if !drawn() {
		i := strings.Index(string(dom), `<body`)
		j := strings.Index(string(dom), `id="status"`)
		t.Fatalf("page did not draw the video: %.200s … %.300s", dom[max(i, 0):], dom[max(j, 0):])
	}
	if msg, err := exec.CommandContext(ctx, chromium, append(args, "--screenshot="+shot, ts.URL+"/?video=/clip.webm")...).CombinedOutput(); err != nil {
		t.Fatalf("chromium --screenshot: %v: %s", err, msg)
	}
	if _, err := dataset.LoadImage(shot); err != nil {
		t.Fatal(err)
	}
}
