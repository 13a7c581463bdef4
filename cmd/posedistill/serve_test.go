package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/posedistill/posedistill/dataset"
	"github.com/posedistill/posedistill/pose"
	"github.com/posedistill/posedistill/serve"
)

// TestSamePosesEverywhere: on the same photo, a trained run gives the same results through the
// CLI (predict), the Go API (pose.Estimator) and the server (POST /v1/pose), byte for byte; and
// "serve --bench" measures it.
func TestSamePosesEverywhere(t *testing.T) {
	needBlazePose(t, basketball1) // the people detector
	_, run := exportTestRun(t)
	out := filepath.Join(t.TempDir(), "res.json")
	var stdout, stderr bytes.Buffer
	if err := runPredict(context.Background(), []string{"--model", run, "--image", basketball1, "--out", out, "--detect-tiles", "none"}, &stdout, &stderr); err != nil {
		t.Fatalf("%v: %s", err, stderr.String())
	}
	cli, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	est, err := pose.Open(run, pose.Options{Detector: pose.DetectorConfig{Tiles: []int{}}})
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
	resp, err := http.Post(ts.URL+"/v1/pose", "image/png", bytes.NewReader(photo))
	if err != nil {
		t.Fatal(err)
	}
	server, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("server: %d %v: %s", resp.StatusCode, err, server)
	}
	if !bytes.Equal(cli, api.Bytes()) || !bytes.Equal(server, api.Bytes()) {
		t.Errorf("results differ:\nCLI    %.300s\nAPI    %.300s\nserver %.300s", cli, api.Bytes(), server)
	}
	stdout.Reset()
	if err := runServe(context.Background(), []string{"--model", run, "--detect-tiles", "none", "--bench", basketball1, "--requests", "3", "--concurrency", "2"}, &stdout, &stderr); err != nil {
		t.Fatalf("serve --bench: %v: %s", err, stderr.String())
	}
	if !strings.Contains(stdout.String(), "3 requests (0 failed)") || !strings.Contains(stdout.String(), "requests/s") {
		t.Errorf("serve --bench: %s", stdout.String())
	}
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
