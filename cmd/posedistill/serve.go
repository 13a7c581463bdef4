package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/posedistill/posedistill/serve"
)

// runServe implements "posedistill serve": an HTTP pose service (package serve) for any model,
// or with --bench a load test of it on loopback.
func runServe(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("serve", "serve --model MODEL [--addr :8080] | serve --model MODEL --bench IMAGE [--requests N --concurrency C --max-time D]", stderr)
	var pf poseFlags
	pf.register(fs, "")
	addr := fs.String("addr", ":8080", "address to listen on")
	maxBytes := fs.Int64("max-bytes", 16<<20, "largest upload accepted (bytes)")
	maxPixels := fs.Int("max-pixels", 40_000_000, "largest image accepted (width × height)")
	timeout := fs.Duration("timeout", 60*time.Second, "longest estimation of one image request")
	maxVideoBytes := fs.Int64("max-video-bytes", 32<<20, "largest video upload accepted (bytes)")
	maxVideoFrames := fs.Int("max-video-frames", 50, "video uploads: analyse at most this many frames")
	videoFPS := fs.Float64("video-fps", 5, "video uploads: analyse this many frames per second (when below the video's rate)")
	videoTimeout := fs.Duration("video-timeout", 10*time.Minute, "longest analysis of one video request")
	bench := fs.String("bench", "", "load test instead of serving: POST this JPEG or PNG to a server on a loopback port and report requests/s and latency")
	requests := fs.Int("requests", 40, "--bench: requests to send")
	concurrency := fs.Int("concurrency", 4, "--bench: concurrent clients")
	maxTime := fs.Duration("max-time", 2*time.Minute, "--bench: stop sending after this long")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	pf.noteSet(fs)
	if pf.model == "" || *maxBytes <= 0 || *maxPixels <= 0 || *timeout <= 0 || *requests < 1 || *concurrency < 1 || *maxTime <= 0 ||
		*maxVideoBytes <= 0 || *maxVideoFrames < 1 || !(*videoFPS > 0) || *videoTimeout <= 0 {
		fmt.Fprintln(stderr, "serve: --model is required; sizes, counts and durations are positive")
		fs.Usage()
		return errUsage
	}
	if _, err := pf.options(); err != nil {
		fmt.Fprintln(stderr, "serve:", err)
		return errUsage
	}
	var body []byte
	var contentType string
	if *bench != "" {
		var err error
		if body, err = os.ReadFile(*bench); err != nil {
			return fmt.Errorf("bench image: %w", err)
		}
		switch strings.ToLower(filepath.Ext(*bench)) {
		case ".jpg", ".jpeg":
			contentType = "image/jpeg"
		case ".png":
			contentType = "image/png"
		default:
			return fmt.Errorf("bench image %s: want a .jpg or .png file", *bench)
		}
	}
	est, err := pf.open()
	if err != nil {
		return err
	}
	defer est.Close()
	srv, err := serve.New(est, serve.Options{MaxBytes: *maxBytes, MaxPixels: *maxPixels, Timeout: *timeout,
		MaxVideoBytes: *maxVideoBytes, MaxVideoFrames: *maxVideoFrames, VideoFPS: *videoFPS, VideoTimeout: *videoTimeout})
	if err != nil {
		return err
	}
	listenAddr := *addr
	if *bench != "" {
		listenAddr = "127.0.0.1:0"
	}
	ln, err := net.Listen("tcp", listenAddr)
	if err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	hs := srv.NewHTTPServer(listenAddr)
	done := make(chan error, 1)
	go func() { done <- hs.Serve(ln) }()
	defer hs.Close()
	url := "http://" + ln.Addr().String()
	if *bench != "" {
		// One request first: compiles the graphs, so that the test measures serving.
		if _, err := serve.LoadTest(ctx, url+"/v1/pose", body, contentType, 1, 1, *maxTime); err != nil {
			return err
		}
		r, err := serve.LoadTest(ctx, url+"/v1/pose", body, contentType, *requests, *concurrency, *maxTime)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "serve --bench %s (%s, %d clients): %s\n", *bench, pf.model, *concurrency, r)
		return nil
	}
	fmt.Fprintf(stdout, "serving %s on %s (page at /, POST images to /v1/pose, health at /healthz); Ctrl-C stops\n", pf.model, url)
	select {
	case err := <-done:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	shut, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := hs.Shutdown(shut); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve: shutdown: %w", err)
	}
	return nil
}
