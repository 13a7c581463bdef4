package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"image"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/posedistill/posedistill/atomicfile"
	"github.com/posedistill/posedistill/blazepose"
	"github.com/posedistill/posedistill/dataset"
	"github.com/posedistill/posedistill/smooth"
)

// runVideo implements "posedistill video": BlazePose on every frame of a video, with MediaPipe's
// tracking (landmarks place the next crop; the detector runs when a track is lost), optional 1€
// smoothing per track, COCO results with track ids and timestamps, and an overlay video.
func runVideo(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("video", "video --model blazepose-full --in VIDEO --out DIR [--frames N] [--smooth]", stderr)
	model := fs.String("model", "blazepose-full", "blazepose-lite, blazepose-full or blazepose-heavy; or movenet-lightning, movenet-thunder, movenet-multipose")
	in := fs.String("in", "", "input video `file` (anything ffmpeg decodes)")
	out := fs.String("out", "", "output `directory`: results.json, overlay.mp4 (and overlay PNGs with --png-every)")
	frames := fs.Int("frames", 0, "process at most `n` frames (0: all)")
	smoothOn := fs.Bool("smooth", false, "apply the 1€ filter to each track's landmarks")
	minCutoff := fs.Float64("min-cutoff", 0.05, "1€ minimum cutoff (Hz)")
	beta := fs.Float64("beta", 80, "1€ speed coefficient, with speed in person sizes per second (as MediaPipe scales it)")
	people := fs.Int("people", 1, "track at most `n` people (1: MediaPipe's single-person tracking)")
	detectEvery := fs.Int("detect-every", 0, "also run the detector every `n` frames to find people entering (0: only when a track is lost)")
	tile := fs.Int("detect-tile", 0, "scan for people in square tiles of `side` pixels (0: the whole frame, as MediaPipe; about 300 finds pedestrians of 100–200 pixels)")
	pngEvery := fs.Int("png-every", 0, "also write every `n`th overlay frame as PNG (0: none)")
	multiPoseSize := fs.Int("multipose-size", 256, "movenet-multipose: the longer side frames are resized to (a multiple of 32; larger finds smaller people)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if isMoveNetModel(*model) {
		if *in == "" || *out == "" || *frames < 0 || *pngEvery < 0 || *smoothOn || *people != 1 || *detectEvery != 0 || *tile != 0 {
			fmt.Fprintln(stderr, "video: --in and --out are required; counts are not negative; --smooth, --people, --detect-every and --detect-tile are BlazePose's (MoveNet tracks by itself; movenet-multipose finds everyone)")
			fs.Usage()
			return errUsage
		}
		return videoMoveNet(ctx, *model, *in, *out, *frames, *pngEvery, *multiPoseSize, stdout)
	}
	if *in == "" || *out == "" || !isBlazePoseModel(*model) || *frames < 0 || *people < 1 || *detectEvery < 0 || *tile < 0 || *pngEvery < 0 {
		fmt.Fprintln(stderr, "video: --in and --out are required; --model is blazepose-lite, -full or -heavy; counts are not negative")
		fs.Usage()
		return errUsage
	}
	info, err := probeVideo(ctx, *in)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return fmt.Errorf("video: %w", err)
	}
	pipe, err := openBlazePose(*model)
	if err != nil {
		return err
	}
	tracker, err := blazepose.NewTracker(pipe, blazepose.TrackerConfig{MaxPeople: *people, DetectEvery: *detectEvery, DetectTile: *tile, MinPoseScore: minPoseScore})
	if err != nil {
		return err
	}
	var sm *trackSmoother
	if *smoothOn {
		if sm, err = newTrackSmoother(smooth.Params{MinCutoff: *minCutoff, Beta: *beta, DCutoff: 1}, info.fps); err != nil {
			return err
		}
	}
	dec, err := startDecoder(ctx, *in, info, *frames)
	if err != nil {
		return err
	}
	defer dec.abort()
	// The results and the overlay video are replaced together, or neither is.
	var outputs atomicfile.Group
	defer outputs.Abort()
	pngs := map[string]bool{}
	overlayPath := filepath.Join(*out, "overlay.mp4")
	enc, err := startEncoder(ctx, outputs.Path(overlayPath), info)
	if err != nil {
		return err
	}
	defer enc.abort()
	results := []blazepose.Result{}
	start := time.Now()
	n, tracks := 0, map[int64]bool{}
	for {
		frame, err := dec.next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		ts := float64(n) / info.fps
		found, err := tracker.Step(ctx, frame)
		if err != nil {
			return fmt.Errorf("%s: %w", *in, err)
		}
		for _, p := range found {
			if sm != nil {
				if err := sm.apply(&p, ts); err != nil {
					return fmt.Errorf("%s frame %d: %w", *in, n, err)
				}
			}
			r, err := p.Result(int64(n+1), 1)
			if err != nil {
				return fmt.Errorf("%s frame %d: %w", *in, n, err)
			}
			r.TrackID, r.Timestamp = p.TrackID, &ts
			if err := blazepose.Draw(frame, r, nil, int(p.TrackID-1)); err != nil {
				return err
			}
			results = append(results, r)
			tracks[p.TrackID] = true
		}
		if err := enc.write(frame); err != nil {
			return err
		}
		if *pngEvery > 0 && n%*pngEvery == 0 {
			png := filepath.Join(*out, fmt.Sprintf("overlay_%06d.png", n+1))
			if err := dataset.SaveImage(outputs.Path(png), frame); err != nil {
				return err
			}
			pngs[png] = true
		}
		n++
		if sm != nil {
			sm.prune(ts)
		}
	}
	if err := dec.close(); err != nil {
		return err
	}
	if err := enc.finish(); err != nil {
		return err
	}
	resultsPath := filepath.Join(*out, "results.json")
	if err := blazepose.WriteResults(outputs.Path(resultsPath), results); err != nil {
		return err
	}
	if err := outputs.Commit(); err != nil {
		return err
	}
	// Overlay frames of an earlier, longer run do not belong to these results.
	if old, err := filepath.Glob(filepath.Join(*out, "overlay_*.png")); err == nil {
		for _, p := range old {
			if !pngs[p] {
				os.Remove(p)
			}
		}
	}
	per := time.Duration(0)
	if n > 0 {
		per = time.Since(start) / time.Duration(n)
	}
	fmt.Fprintf(stdout, "video %s (%s): %d frames, %d poses, %d tracks, %v per frame; wrote %s and %s\n",
		*in, *model, n, len(results), len(tracks), per.Round(time.Millisecond), resultsPath, overlayPath)
	return nil
}

// trackSmoother applies the 1€ filter to each track's landmarks (x, y, z), in units of the
// track's size when first seen, so that Beta means what MediaPipe's landmark smoothing means.
type trackSmoother struct {
	filter *smooth.KeypointFilter
	scale  map[int64]float64
}

func newTrackSmoother(p smooth.Params, fps float64) (*trackSmoother, error) {
	f, err := smooth.NewKeypointFilter(smooth.KeypointConfig{Params: p, Rate: fps, Missing: smooth.Hold}, blazepose.NumLandmarks, 3)
	if err != nil {
		return nil, fmt.Errorf("smoothing: %w", err)
	}
	return &trackSmoother{filter: f, scale: map[int64]float64{}}, nil
}

// apply replaces p's landmark positions with their filtered values at time t (seconds).
func (s *trackSmoother) apply(p *blazepose.Tracked, t float64) error {
	sc, ok := s.scale[p.TrackID]
	if !ok { // a track keeps the units of its first frame
		box, _ := blazepose.BBox(p.Landmarks, 0)
		sc = max((box[2]+box[3])/2, 1)
		s.scale[p.TrackID] = sc
	}
	pts := make([]float64, 0, 3*len(p.Landmarks))
	scores := make([]float64, 0, len(p.Landmarks))
	for _, l := range p.Landmarks {
		pts = append(pts, l.X/sc, l.Y/sc, l.Z/sc)
		scores = append(scores, l.Visibility)
	}
	f, _, err := s.filter.Update(p.TrackID, t, pts, scores)
	if err != nil {
		return err
	}
	lms := make([]blazepose.Landmark, len(p.Landmarks))
	for i, l := range p.Landmarks {
		l.X, l.Y, l.Z = f[3*i]*sc, f[3*i+1]*sc, f[3*i+2]*sc
		lms[i] = l
	}
	p.Landmarks = lms
	return nil
}

// prune forgets tracks unseen for longer than the filter's timeout.
func (s *trackSmoother) prune(t float64) { s.filter.Prune(t) }

// videoInfo is what ffprobe tells about a video's first stream.
type videoInfo struct {
	width, height int
	fps           float64
}

// ffmpegPath returns the path of an ffmpeg tool, or a clear error when it is not installed.
func ffmpegPath(tool string) (string, error) {
	p, err := exec.LookPath(tool)
	if err != nil {
		return "", fmt.Errorf("%s not found on PATH: install ffmpeg (e.g. apt-get install ffmpeg) to read and write videos", tool)
	}
	return p, nil
}

// ffmpegFile returns path as an argument ffmpeg and ffprobe read as a local file and nothing
// else: a "file:" URL, so that a name like "-report" is not an option and "pipe:0",
// "concat:…" or "http://…" are not protocols.
func ffmpegFile(path string) string { return "file:" + path }

// probeVideo reads the size and frame rate of the first video stream of path.
func probeVideo(ctx context.Context, path string) (videoInfo, error) {
	if _, err := os.Stat(path); err != nil {
		return videoInfo{}, fmt.Errorf("video: %w", err)
	}
	probe, err := ffmpegPath("ffprobe")
	if err != nil {
		return videoInfo{}, err
	}
	out, err := exec.CommandContext(ctx, probe, "-v", "error", "-select_streams", "v:0",
		"-show_entries", "stream=width,height,r_frame_rate", "-of", "csv=p=0", "-i", ffmpegFile(path)).Output()
	if err != nil {
		return videoInfo{}, fmt.Errorf("ffprobe %s: %w%s", path, err, stderrOf(err))
	}
	return parseProbe(path, string(out))
}

// parseProbe parses ffprobe's "width,height,num/den" line.
func parseProbe(path, s string) (videoInfo, error) {
	f := strings.Split(strings.TrimSpace(s), ",")
	if len(f) < 3 {
		return videoInfo{}, fmt.Errorf("ffprobe %s: no video stream (got %q)", path, strings.TrimSpace(s))
	}
	w, err1 := strconv.Atoi(f[0])
	h, err2 := strconv.Atoi(f[1])
	num, den, _ := strings.Cut(f[2], "/")
	fn, err3 := strconv.ParseFloat(num, 64)
	fd := 1.0
	var err4 error
	if den != "" {
		fd, err4 = strconv.ParseFloat(den, 64)
	}
	if err := errors.Join(err1, err2, err3, err4); err != nil || w <= 0 || h <= 0 || w > 1<<14 || h > 1<<14 || !(fn > 0) || !(fd > 0) || math.IsInf(fn/fd, 0) {
		return videoInfo{}, fmt.Errorf("ffprobe %s: unusable stream %q", path, strings.TrimSpace(s))
	}
	return videoInfo{width: w, height: h, fps: fn / fd}, nil
}

func stderrOf(err error) string {
	var ee *exec.ExitError
	if errors.As(err, &ee) && len(ee.Stderr) > 0 {
		return ": " + strings.TrimSpace(string(ee.Stderr))
	}
	return ""
}

// decoder streams RGB frames out of ffmpeg.
type decoder struct {
	cmd    *exec.Cmd
	r      *bufio.Reader
	info   videoInfo
	buf    []byte
	stderr strings.Builder
	done   bool
}

func startDecoder(ctx context.Context, path string, info videoInfo, frames int) (*decoder, error) {
	ff, err := ffmpegPath("ffmpeg")
	if err != nil {
		return nil, err
	}
	args := []string{"-v", "error", "-nostdin", "-i", ffmpegFile(path)}
	if frames > 0 {
		args = append(args, "-frames:v", strconv.Itoa(frames))
	}
	args = append(args, "-f", "rawvideo", "-pix_fmt", "rgb24", "-")
	d := &decoder{cmd: exec.CommandContext(ctx, ff, args...), info: info}
	d.cmd.Stderr = &d.stderr
	pipe, err := d.cmd.StdoutPipe()
	if err != nil {
		return nil, fmt.Errorf("ffmpeg decode %s: %w", path, err)
	}
	if err := d.cmd.Start(); err != nil {
		return nil, fmt.Errorf("ffmpeg decode %s: %w", path, err)
	}
	d.r = bufio.NewReaderSize(pipe, 1<<20)
	return d, nil
}

// next returns the next frame, or io.EOF after the last one.
func (d *decoder) next() (*image.RGBA, error) {
	w, h := d.info.width, d.info.height
	if d.buf == nil {
		d.buf = make([]byte, w*h*3)
	}
	buf := d.buf
	if _, err := io.ReadFull(d.r, buf); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, io.EOF
		}
		return nil, fmt.Errorf("ffmpeg decode: truncated frame: %w", err)
	}
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for i, j := 0, 0; i < len(buf); i, j = i+3, j+4 {
		img.Pix[j], img.Pix[j+1], img.Pix[j+2], img.Pix[j+3] = buf[i], buf[i+1], buf[i+2], 255
	}
	return img, nil
}

// close waits for ffmpeg (after draining the stream) and reports its failure.
func (d *decoder) close() error {
	if d.done {
		return nil
	}
	d.done = true
	_, _ = io.Copy(io.Discard, d.r)
	if err := d.cmd.Wait(); err != nil {
		return fmt.Errorf("ffmpeg decode: %w: %s", err, strings.TrimSpace(d.stderr.String()))
	}
	return nil
}

// abort stops ffmpeg if the stream was not read to its end.
func (d *decoder) abort() {
	if d.done {
		return
	}
	d.done = true
	if d.cmd.Process != nil {
		_ = d.cmd.Process.Kill()
	}
	_ = d.cmd.Wait()
}

// encoder writes RGB frames into an H.264 MP4 through ffmpeg, into a temporary file renamed
// into place by finish.
type encoder struct {
	cmd       *exec.Cmd
	w         io.WriteCloser
	tmp, path string
	buf       []byte
	stderr    strings.Builder
	done      bool
}

func startEncoder(ctx context.Context, path string, info videoInfo) (*encoder, error) {
	ff, err := ffmpegPath("ffmpeg")
	if err != nil {
		return nil, err
	}
	tmp := filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".tmp")
	// H.264 with yuv420p needs even sizes: pad by one pixel where needed.
	e := &encoder{path: path, tmp: tmp, buf: make([]byte, info.width*info.height*3)}
	e.cmd = exec.CommandContext(ctx, ff, "-v", "error", "-y", "-f", "rawvideo", "-pix_fmt", "rgb24",
		"-s", fmt.Sprintf("%dx%d", info.width, info.height), "-r", strconv.FormatFloat(info.fps, 'g', -1, 64),
		"-i", "-", "-vf", "pad=ceil(iw/2)*2:ceil(ih/2)*2", "-c:v", "libx264", "-pix_fmt", "yuv420p",
		"-crf", "23", "-preset", "veryfast", "-f", "mp4", ffmpegFile(tmp))
	e.cmd.Stderr = &e.stderr
	if e.w, err = e.cmd.StdinPipe(); err != nil {
		return nil, fmt.Errorf("ffmpeg encode %s: %w", path, err)
	}
	if err := e.cmd.Start(); err != nil {
		return nil, fmt.Errorf("ffmpeg encode %s: %w", path, err)
	}
	return e, nil
}

func (e *encoder) write(img *image.RGBA) error {
	for i, j := 0, 0; i < len(e.buf); i, j = i+3, j+4 {
		e.buf[i], e.buf[i+1], e.buf[i+2] = img.Pix[j], img.Pix[j+1], img.Pix[j+2]
	}
	if _, err := e.w.Write(e.buf); err != nil {
		return fmt.Errorf("ffmpeg encode %s: %w: %s", e.path, err, strings.TrimSpace(e.stderr.String()))
	}
	return nil
}

// finish closes the stream, waits for ffmpeg and renames the video into place.
func (e *encoder) finish() error {
	e.done = true
	if err := e.w.Close(); err != nil {
		return fmt.Errorf("ffmpeg encode %s: %w", e.path, err)
	}
	if err := e.cmd.Wait(); err != nil {
		os.Remove(e.tmp)
		return fmt.Errorf("ffmpeg encode %s: %w: %s", e.path, err, strings.TrimSpace(e.stderr.String()))
	}
	if err := os.Rename(e.tmp, e.path); err != nil {
		os.Remove(e.tmp)
		return fmt.Errorf("ffmpeg encode %s: %w", e.path, err)
	}
	return nil
}

// abort stops an unfinished encoding and removes its temporary file.
func (e *encoder) abort() {
	if e.done {
		return
	}
	e.done = true
	e.w.Close()
	if e.cmd.Process != nil {
		_ = e.cmd.Process.Kill()
	}
	_ = e.cmd.Wait()
	os.Remove(e.tmp)
}
