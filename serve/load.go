package serve

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"sort"
	"sync"
	"time"
)

// LoadResult is what a load test measured.
type LoadResult struct {
	// Requests were answered 200; Failed got another status or no answer.
	Requests, Failed int
	Elapsed          time.Duration
	// PerSecond is Requests / Elapsed.
	PerSecond float64
	// P50 and P99 are the latency percentiles of the answered requests.
	P50, P99 time.Duration
}

// String formats the result as one line.
func (r LoadResult) String() string {
	return fmt.Sprintf("%d requests (%d failed) in %v: %.2f requests/s, latency p50 %v, p99 %v",
		r.Requests, r.Failed, r.Elapsed.Round(time.Millisecond), r.PerSecond, r.P50.Round(time.Millisecond), r.P99.Round(time.Millisecond))
}

// LoadTest POSTs body (of contentType) to url from concurrency clients until requests requests
// were sent or maxTime passed (whichever first), and measures throughput and latency.
func LoadTest(ctx context.Context, url string, body []byte, contentType string, requests, concurrency int, maxTime time.Duration) (LoadResult, error) {
	if requests < 1 || concurrency < 1 || maxTime <= 0 {
		return LoadResult{}, fmt.Errorf("load test: want positive requests, concurrency and time")
	}
	ctx, cancel := context.WithTimeout(ctx, maxTime)
	defer cancel()
	jobs := make(chan struct{}, requests)
	for range requests {
		jobs <- struct{}{}
	}
	close(jobs)
	var mu sync.Mutex
	var lat []time.Duration
	failed := 0
	var firstErr error
	start := time.Now()
	var wg sync.WaitGroup
	for range concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range jobs {
				if ctx.Err() != nil {
					return
				}
				t0 := time.Now()
				err := post(ctx, url, body, contentType)
				d := time.Since(t0)
				mu.Lock()
				if err != nil {
					if ctx.Err() == nil {
						failed++
						if firstErr == nil {
							firstErr = err
						}
					}
				} else {
					lat = append(lat, d)
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	res := LoadResult{Requests: len(lat), Failed: failed, Elapsed: time.Since(start)}
	if len(lat) == 0 {
		if firstErr == nil {
			firstErr = fmt.Errorf("no request finished within %v", maxTime)
		}
		return res, fmt.Errorf("load test: %w", firstErr)
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	pct := func(p float64) time.Duration { return lat[min(len(lat)-1, int(p*float64(len(lat))))] }
	res.P50, res.P99 = pct(0.50), pct(0.99)
	res.PerSecond = float64(res.Requests) / res.Elapsed.Seconds()
	return res, nil
}

func post(ctx context.Context, url string, body []byte, contentType string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", contentType)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("status %d: %s", resp.StatusCode, bytes.TrimSpace(msg))
	}
	return nil
}
