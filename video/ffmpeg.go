// Package video reads and writes videos through ffmpeg: Probe (size and frame rate), Decode (RGB
// frames) and Encode (H.264 MP4 written atomically); TrackPose, any pose model (pose.Estimator)
// over a video's frames with tracking, optional 1€ smoothing per track and an overlay video.
//
// The ffmpeg and ffprobe programs are $POSEDISTILL_FFMPEG and $POSEDISTILL_FFPROBE when set,
// else found on PATH.
package video

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
)

// Info is what ffprobe tells about a video's first stream.
type Info struct {
	Width, Height int
	FPS           float64
}

// ffmpegPath returns the path of an ffmpeg tool: $POSEDISTILL_FFMPEG or $POSEDISTILL_FFPROBE when
// set, else the tool on PATH; or a clear error when it is not installed.
func ffmpegPath(tool string) (string, error) {
	env := "POSEDISTILL_" + strings.ToUpper(tool)
	if p := os.Getenv(env); p != "" {
		return p, nil
	}
	p, err := exec.LookPath(tool)
	if err != nil {
		return "", fmt.Errorf("%s not found on PATH: install ffmpeg (e.g. apt-get install ffmpeg) to read and write videos, or set %s", tool, env)
	}
	return p, nil
}

// ffmpegFile returns path as an argument ffmpeg and ffprobe read as a local file and nothing
// else: a "file:" URL, so that a name like "-report" is not an option and "pipe:0",
// "concat:…" or "http://…" are not protocols.
func ffmpegFile(path string) string { return "file:" + path }

// Available reports whether ffmpeg and ffprobe are found (see ffmpegPath).
func Available() bool {
	_, err1 := ffmpegPath("ffmpeg")
	_, err2 := ffmpegPath("ffprobe")
	return err1 == nil && err2 == nil
}

// Probe reads the size and frame rate of the first video stream of path.
func Probe(ctx context.Context, path string) (Info, error) {
	if _, err := os.Stat(path); err != nil {
		return Info{}, fmt.Errorf("video: %w", err)
	}
	probe, err := ffmpegPath("ffprobe")
	if err != nil {
		return Info{}, err
	}
	out, err := exec.CommandContext(ctx, probe, "-v", "error", "-select_streams", "v:0",
		"-show_entries", "stream=width,height,r_frame_rate", "-of", "csv=p=0", "-i", ffmpegFile(path)).Output()
	if err != nil {
		return Info{}, fmt.Errorf("ffprobe %s: %w%s", path, err, stderrOf(err))
	}
	return parseProbe(path, string(out))
}

// parseProbe parses ffprobe's "width,height,num/den" line.
func parseProbe(path, s string) (Info, error) {
	f := strings.Split(strings.TrimSpace(s), ",")
	if len(f) < 3 {
		return Info{}, fmt.Errorf("ffprobe %s: no video stream (got %q)", path, strings.TrimSpace(s))
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
		return Info{}, fmt.Errorf("ffprobe %s: unusable stream %q", path, strings.TrimSpace(s))
	}
	return Info{Width: w, Height: h, FPS: fn / fd}, nil
}

// stderrOf returns the standard error of a failed command, after ": ".
func stderrOf(err error) string {
	var ee *exec.ExitError
	if errors.As(err, &ee) && len(ee.Stderr) > 0 {
		return ": " + strings.TrimSpace(string(ee.Stderr))
	}
	return ""
}

// Decoder streams RGB frames out of ffmpeg.
type Decoder struct {
	cmd    *exec.Cmd
	r      *bufio.Reader
	info   Info
	buf    []byte
	stderr strings.Builder
	done   bool
}

// Decode starts ffmpeg decoding the video at path (at most frames frames when positive).
func Decode(ctx context.Context, path string, info Info, frames int) (*Decoder, error) {
	return DecodeSampled(ctx, path, info, frames, 0)
}

// DecodeSampled is Decode at fps frames per second when fps is positive and below the video's
// own rate (ffmpeg's fps filter: frame n is the one shown at n / fps seconds; a video shorter
// than half a sampling interval still gives its first frame), else at every frame.
func DecodeSampled(ctx context.Context, path string, info Info, frames int, fps float64) (*Decoder, error) {
	ff, err := ffmpegPath("ffmpeg")
	if err != nil {
		return nil, err
	}
	args := []string{"-v", "error", "-nostdin", "-i", ffmpegFile(path)}
	if fps > 0 && fps < info.FPS {
		// eof_action=pass: without it, a one-frame 25 fps clip sampled at 5 fps gives no frame.
		args = append(args, "-vf", "fps="+strconv.FormatFloat(fps, 'g', 6, 64)+":eof_action=pass")
	}
	if frames > 0 {
		args = append(args, "-frames:v", strconv.Itoa(frames))
	}
	args = append(args, "-f", "rawvideo", "-pix_fmt", "rgb24", "-")
	d := &Decoder{cmd: exec.CommandContext(ctx, ff, args...), info: info}
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

// Next returns the next frame, or io.EOF after the last one.
func (d *Decoder) Next() (*image.RGBA, error) {
	w, h := d.info.Width, d.info.Height
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

// Close waits for ffmpeg (after draining the stream) and reports its failure.
func (d *Decoder) Close() error {
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

// Abort stops ffmpeg if the stream was not read to its end.
func (d *Decoder) Abort() {
	if d.done {
		return
	}
	d.done = true
	if d.cmd.Process != nil {
		_ = d.cmd.Process.Kill()
	}
	_ = d.cmd.Wait()
}

// Encoder writes RGB frames into an H.264 MP4 through ffmpeg, into a temporary file renamed
// into place by Finish.
type Encoder struct {
	cmd       *exec.Cmd
	w         io.WriteCloser
	tmp, path string
	buf       []byte
	stderr    strings.Builder
	done      bool
}

// Encode starts ffmpeg encoding frames of info's size and rate into an MP4 at path.
func Encode(ctx context.Context, path string, info Info) (*Encoder, error) {
	ff, err := ffmpegPath("ffmpeg")
	if err != nil {
		return nil, err
	}
	tmp := filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".tmp")
	// H.264 with yuv420p needs even sizes: pad by one pixel where needed.
	e := &Encoder{path: path, tmp: tmp, buf: make([]byte, info.Width*info.Height*3)}
	e.cmd = exec.CommandContext(ctx, ff, "-v", "error", "-y", "-f", "rawvideo", "-pix_fmt", "rgb24",
		"-s", fmt.Sprintf("%dx%d", info.Width, info.Height), "-r", strconv.FormatFloat(info.FPS, 'g', -1, 64),
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

// Write appends a frame of the video's size.
func (e *Encoder) Write(img *image.RGBA) error {
	for i, j := 0, 0; i < len(e.buf); i, j = i+3, j+4 {
		e.buf[i], e.buf[i+1], e.buf[i+2] = img.Pix[j], img.Pix[j+1], img.Pix[j+2]
	}
	if _, err := e.w.Write(e.buf); err != nil {
		return fmt.Errorf("ffmpeg encode %s: %w: %s", e.path, err, strings.TrimSpace(e.stderr.String()))
	}
	return nil
}

// Finish closes the stream, waits for ffmpeg and renames the video into place.
func (e *Encoder) Finish() error {
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

// Abort stops an unfinished encoding and removes its temporary file.
func (e *Encoder) Abort() {
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
