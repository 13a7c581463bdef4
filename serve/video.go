package serve

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"os"
	"strings"

	"github.com/posedistill/posedistill/pose"
	"github.com/posedistill/posedistill/video"
)

// VideoAnswer is the answer of POST /v1/video: the people in each analysed frame, tracked
// through the video.
type VideoAnswer struct {
	// Width and Height are the video's frame size in pixels (keypoints are in these pixels).
	Width  int `json:"width"`
	Height int `json:"height"`
	// FPS is the rate of the analysed frames: the video's own, or Options.VideoFPS when lower.
	FPS float64 `json:"fps"`
	// Frames are the analysed frames, in order; frame i is the one shown at i / FPS seconds.
	Frames []VideoFrame `json:"frames"`
}

// VideoFrame is the people in one analysed frame of a video.
type VideoFrame struct {
	// Time is the frame's time in the video, in seconds.
	Time float64 `json:"time"`
	// People are the people found, with their track ids (image_id is the frame number from 1).
	People []pose.Record `json:"people"`
}

// videoType reports whether ct is a Content-Type accepted as a video body; ffprobe decides what is readable.
func videoType(ct string) bool {
	return strings.HasPrefix(ct, "video/") || ct == "application/octet-stream"
}

// video answers POST /v1/video: the upload is written to a temporary file, probed and decoded
// by ffmpeg at most VideoFPS frames per second and MaxVideoFrames frames, and each frame goes
// through a pose.Tracker (detection every few frames, tracking in between, track ids).
func (s *Server) video(w http.ResponseWriter, r *http.Request) {
	release, ok := s.acquire(w)
	if !ok {
		return
	}
	defer release()
	if !video.Available() {
		writeError(w, fail(http.StatusNotImplemented, "video needs ffmpeg and ffprobe, not installed on the server"))
		return
	}
	path, err := s.saveVideo(w, r)
	if path != "" {
		defer os.Remove(path)
	}
	if err != nil {
		writeError(w, err)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), s.opts.VideoTimeout)
	defer cancel()
	ans, err := s.trackVideo(ctx, path)
	if err != nil {
		var he *httpError
		switch {
		case errors.As(err, &he):
			writeError(w, he)
		case ctx.Err() != nil:
			writeError(w, fail(http.StatusServiceUnavailable, "video not analysed within %v", s.opts.VideoTimeout))
		default:
			writeError(w, fail(http.StatusInternalServerError, "video: %v", err))
		}
		return
	}
	b, err := json.Marshal(ans)
	if err != nil {
		writeError(w, fail(http.StatusInternalServerError, "encoding results: %v", err))
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Write(b)
}

// saveVideo writes the uploaded video (a video/* body or the multipart form's "video" file) to a
// temporary file and returns its path (also with an error, when the file was created).
func (s *Server) saveVideo(w http.ResponseWriter, r *http.Request) (string, error) {
	body := http.MaxBytesReader(w, r.Body, s.opts.MaxVideoBytes)
	ct, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || !(videoType(ct) || ct == "multipart/form-data") {
		return "", fail(http.StatusUnsupportedMediaType, "Content-Type %q: want video/* or multipart/form-data", r.Header.Get("Content-Type"))
	}
	var src io.Reader = body
	if ct == "multipart/form-data" {
		if src, err = videoPart(multipart.NewReader(body, params["boundary"])); err != nil {
			return "", err
		}
	}
	f, err := os.CreateTemp("", "posedistill-upload-*")
	if err != nil {
		return "", fail(http.StatusInternalServerError, "temporary file: %v", err)
	}
	n, err := io.Copy(f, src)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return f.Name(), fail(http.StatusRequestEntityTooLarge, "upload larger than %d bytes", s.opts.MaxVideoBytes)
		}
		return f.Name(), fail(http.StatusBadRequest, "reading upload: %v", err)
	}
	if n == 0 {
		return f.Name(), fail(http.StatusBadRequest, "empty upload: send a video")
	}
	return f.Name(), nil
}

// videoPart returns the reader of the form's "video" file.
func videoPart(mr *multipart.Reader) (io.Reader, error) {
	for {
		p, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			return nil, fail(http.StatusBadRequest, "multipart form without a \"video\" file")
		}
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return nil, fail(http.StatusRequestEntityTooLarge, "upload larger than bytes limit")
		}
		if err != nil {
			return nil, fail(http.StatusBadRequest, "reading form: %v", err)
		}
		if p.FormName() == "video" {
			return p, nil
		}
	}
}

// trackVideo analyses the video at path.
func (s *Server) trackVideo(ctx context.Context, path string) (VideoAnswer, error) {
	info, err := video.Probe(ctx, path)
	if err != nil {
		if ctx.Err() != nil {
			return VideoAnswer{}, err
		}
		return VideoAnswer{}, fail(http.StatusUnsupportedMediaType, "not a video ffmpeg can read")
	}
	if int64(info.Width)*int64(info.Height) > int64(s.opts.MaxPixels) {
		return VideoAnswer{}, fail(http.StatusRequestEntityTooLarge, "video of %d×%d pixels: at most %d pixels a frame", info.Width, info.Height, s.opts.MaxPixels)
	}
	fps := info.FPS
	if s.opts.VideoFPS < fps {
		fps = s.opts.VideoFPS
	}
	dec, err := video.DecodeSampled(ctx, path, info, s.opts.MaxVideoFrames, fps)
	if err != nil {
		return VideoAnswer{}, err
	}
	defer dec.Abort()
	tracker, err := s.est.NewTracker(pose.TrackerConfig{})
	if err != nil {
		return VideoAnswer{}, err
	}
	ans := VideoAnswer{Width: info.Width, Height: info.Height, FPS: fps, Frames: []VideoFrame{}}
	for n := 0; ; n++ {
		frame, err := dec.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			if ctx.Err() != nil {
				return VideoAnswer{}, ctx.Err()
			}
			if n == 0 {
				return VideoAnswer{}, fail(http.StatusUnsupportedMediaType, "not a video ffmpeg can decode")
			}
			return VideoAnswer{}, fail(http.StatusBadRequest, "corrupt video after %d frames", n)
		}
		people, err := tracker.Step(ctx, frame)
		if err != nil {
			return VideoAnswer{}, err
		}
		t := float64(n) / fps
		recs := pose.Records(people, int64(n+1))
		for i := range recs {
			recs[i].Timestamp = &t
		}
		ans.Frames = append(ans.Frames, VideoFrame{Time: t, People: recs})
	}
	if len(ans.Frames) == 0 {
		return VideoAnswer{}, fail(http.StatusBadRequest, "no decodable frame in the video (empty or truncated)")
	}
	if err := dec.Close(); err != nil && ctx.Err() == nil && len(ans.Frames) < s.opts.MaxVideoFrames {
		return VideoAnswer{}, fail(http.StatusBadRequest, "corrupt video: %v", firstLine(err.Error()))
	}
	return ans, nil
}

// firstLine returns s up to its first newline.
func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return s
}

// videoLimits formats the video limits for the page.
func (o Options) videoLimits() string {
	return fmt.Sprintf("at most %d frames at %g frames per second, %d MiB", o.MaxVideoFrames, o.VideoFPS, o.MaxVideoBytes>>20)
}
