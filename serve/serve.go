// Package serve is an HTTP service around a pose.Estimator: POST an image, get the people in it
// as COCO keypoint results (pose.Record), and a small web page that uploads an image and draws
// the skeletons on it, or a short video and plays it with the skeletons drawn on each frame.
//
// Endpoints:
//
//	GET  /          the web page
//	GET  /healthz   {"status": "ok", "model": …}
//	POST /v1/pose   body: a JPEG or PNG image (Content-Type image/jpeg or image/png, or a
//	                multipart form with the file in field "image"); query image_id (default 1).
//	                Answer: a JSON array of pose.Record, keypoints in image pixels.
//	POST /v1/video  body: a short video ffmpeg reads (Content-Type video/*, or a multipart form
//	                with the file in field "video"). Its frames are analysed at VideoFPS, at most
//	                MaxVideoFrames, people tracked through them (pose.Tracker). Answer: VideoAnswer,
//	                the people of each frame with their track ids.
//
// Bad requests get a 4xx status and a JSON body {"error": "…"} with one clear message: an empty
// or truncated image, a type other than JPEG or PNG, a body above MaxBytes, dimensions above
// MaxPixels. Requests run concurrently (the estimator serializes its inferences); at most
// MaxInFlight wait at once, more get 503.
package serve

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	_ "image/jpeg" // JPEG uploads
	_ "image/png"  // PNG uploads
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"strconv"
	"time"

	"github.com/posedistill/posedistill/pose"
	"github.com/posedistill/posedistill/skeleton"
)

// Options configure a Server. The zero value gives the defaults.
type Options struct {
	// MaxBytes bounds an upload's size (16 MiB when zero).
	MaxBytes int64
	// MaxPixels bounds an image's width × height (40 megapixels when zero), checked from its
	// header before it is decoded.
	MaxPixels int
	// Timeout bounds one request's estimation (60 s when zero); past it the answer is 503.
	Timeout time.Duration
	// MaxInFlight bounds the requests being served at once (16 when zero); more get 503.
	MaxInFlight int
	// MaxVideoBytes bounds a video upload's size (32 MiB when zero).
	MaxVideoBytes int64
	// MaxVideoFrames bounds the frames of a video that are analysed (50 when zero): the rest of
	// a longer video is not looked at.
	MaxVideoFrames int
	// VideoFPS is the rate at which a video's frames are analysed, when below the video's own
	// (5 frames per second when zero): 50 frames cover 10 seconds.
	VideoFPS float64
	// VideoTimeout bounds one video request (10 minutes when zero); past it the answer is 503.
	VideoTimeout time.Duration
}

func (o Options) withDefaults() Options {
	if o.MaxBytes == 0 {
		o.MaxBytes = 16 << 20
	}
	if o.MaxPixels == 0 {
		o.MaxPixels = 40_000_000
	}
	if o.Timeout == 0 {
		o.Timeout = 60 * time.Second
	}
	if o.MaxInFlight == 0 {
		o.MaxInFlight = 16
	}
	if o.MaxVideoBytes == 0 {
		o.MaxVideoBytes = 32 << 20
	}
	if o.MaxVideoFrames == 0 {
		o.MaxVideoFrames = 50
	}
	if o.VideoFPS == 0 {
		o.VideoFPS = 5
	}
	if o.VideoTimeout == 0 {
		o.VideoTimeout = 10 * time.Minute
	}
	return o
}

// Server answers pose requests with one estimator. It is safe for concurrent use.
type Server struct {
	est   *pose.Estimator
	opts  Options
	slots chan struct{}
	page  []byte
}

// New returns a server of est.
func New(est *pose.Estimator, o Options) (*Server, error) {
	o = o.withDefaults()
	if est == nil || o.MaxBytes < 0 || o.MaxPixels < 0 || o.Timeout < 0 || o.MaxInFlight < 0 ||
		o.MaxVideoBytes < 0 || o.MaxVideoFrames < 0 || !(o.VideoFPS > 0) || o.VideoTimeout < 0 {
		return nil, fmt.Errorf("serve: bad options %+v", o)
	}
	page, err := renderPage(est.Name(), skeleton.COCO17(), o.videoLimits())
	if err != nil {
		return nil, err
	}
	return &Server{est: est, opts: o, slots: make(chan struct{}, o.MaxInFlight), page: page}, nil
}

// Handler returns the server's routes.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write(s.page)
	})
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok", "model": s.est.Name()})
	})
	mux.HandleFunc("POST /v1/pose", s.pose)
	mux.HandleFunc("POST /v1/video", s.video)
	return mux
}

// NewHTTPServer returns an http.Server for addr serving s, with read, write and idle timeouts
// that bound slow clients.
func (s *Server) NewHTTPServer(addr string) *http.Server {
	return &http.Server{Addr: addr, Handler: s.Handler(), ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout: 120 * time.Second, WriteTimeout: max(s.opts.Timeout, s.opts.VideoTimeout) + 30*time.Second, IdleTimeout: 120 * time.Second,
		MaxHeaderBytes: 64 << 10}
}

// httpError is an error with the status it answers.
type httpError struct {
	status int
	msg    string
}

func (e *httpError) Error() string { return e.msg }

func fail(status int, format string, args ...any) error {
	return &httpError{status, fmt.Sprintf(format, args...)}
}

// acquire takes one of the MaxInFlight request slots, or answers 503 and reports false; the caller
// calls release when done.
func (s *Server) acquire(w http.ResponseWriter) (release func(), ok bool) {
	select {
	case s.slots <- struct{}{}:
		return func() { <-s.slots }, true
	default:
		writeError(w, fail(http.StatusServiceUnavailable, "busy: %d requests in flight, try again", s.opts.MaxInFlight))
		return nil, false
	}
}

func (s *Server) pose(w http.ResponseWriter, r *http.Request) {
	release, ok := s.acquire(w)
	if !ok {
		return
	}
	defer release()
	imageID := int64(1)
	if v := r.URL.Query().Get("image_id"); v != "" {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			writeError(w, fail(http.StatusBadRequest, "image_id %q is not an integer", v))
			return
		}
		imageID = id
	}
	img, err := s.readImage(w, r)
	if err != nil {
		writeError(w, err)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), s.opts.Timeout)
	defer cancel()
	people, err := s.est.Estimate(ctx, img)
	if err != nil {
		if ctx.Err() != nil {
			writeError(w, fail(http.StatusServiceUnavailable, "estimation did not finish within %v", s.opts.Timeout))
			return
		}
		writeError(w, fail(http.StatusInternalServerError, "estimation failed: %v", err))
		return
	}
	var buf bytes.Buffer
	if err := pose.EncodeRecords(&buf, pose.Records(people, imageID)); err != nil {
		writeError(w, fail(http.StatusInternalServerError, "encoding results: %v", err))
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Write(buf.Bytes())
}

// readImage reads and decodes the uploaded image, checking its size, type and dimensions.
func (s *Server) readImage(w http.ResponseWriter, r *http.Request) (image.Image, error) {
	body := http.MaxBytesReader(w, r.Body, s.opts.MaxBytes)
	ct, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil {
		return nil, fail(http.StatusUnsupportedMediaType, "Content-Type %q: want image/jpeg, image/png or multipart/form-data", r.Header.Get("Content-Type"))
	}
	var data []byte
	switch ct {
	case "image/jpeg", "image/png":
		data, err = io.ReadAll(body)
	case "multipart/form-data":
		data, err = readPart(multipart.NewReader(body, params["boundary"]))
	default:
		return nil, fail(http.StatusUnsupportedMediaType, "Content-Type %q: want image/jpeg, image/png or multipart/form-data", ct)
	}
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return nil, fail(http.StatusRequestEntityTooLarge, "upload larger than %d bytes", s.opts.MaxBytes)
		}
		var he *httpError
		if errors.As(err, &he) {
			return nil, he
		}
		return nil, fail(http.StatusBadRequest, "reading upload: %v", err)
	}
	if len(data) == 0 {
		return nil, fail(http.StatusBadRequest, "empty upload: send a JPEG or PNG image")
	}
	cfg, format, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return nil, fail(http.StatusUnsupportedMediaType, "not a JPEG or PNG image: %v", err)
	}
	if format != "jpeg" && format != "png" {
		return nil, fail(http.StatusUnsupportedMediaType, "%s image: want JPEG or PNG", format)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 || int64(cfg.Width)*int64(cfg.Height) > int64(s.opts.MaxPixels) {
		return nil, fail(http.StatusRequestEntityTooLarge, "image of %d×%d pixels: at most %d pixels", cfg.Width, cfg.Height, s.opts.MaxPixels)
	}
	img, _, err := image.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, fail(http.StatusBadRequest, "corrupt %s image: %v", format, err)
	}
	return img, nil
}

// readPart returns the content of the form's "image" file.
func readPart(mr *multipart.Reader) ([]byte, error) {
	for {
		p, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			return nil, fail(http.StatusBadRequest, "multipart form without an \"image\" file")
		}
		if err != nil {
			return nil, err
		}
		if p.FormName() == "image" {
			return io.ReadAll(p)
		}
	}
}

func writeError(w http.ResponseWriter, err error) {
	status, msg := http.StatusInternalServerError, err.Error()
	var he *httpError
	if errors.As(err, &he) {
		status = he.status
	}
	writeJSON(w, status, map[string]string{"error": msg})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}
