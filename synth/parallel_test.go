package synth

import (
	"context"
	"errors"
	"testing"
)

func TestParallelOrderAndErrors(t *testing.T) {
	tests := []struct {
		name    string
		n, w    int
		failAt  int
		wantErr bool
	}{
		{"one worker", 50, 1, -1, false},
		{"many workers", 200, 7, -1, false},
		{"empty", 0, 3, -1, false},
		{"work error", 100, 4, 37, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got []int
			err := Parallel(context.Background(), tc.n, tc.w, func(i int) (int, error) {
				if i == tc.failAt {
					return 0, errors.New("boom")
				}
				return i * i, nil
			}, func(i, v int) error {
				if v != i*i {
					t.Errorf("item %d got %d", i, v)
				}
				got = append(got, i)
				return nil
			})
			if (err != nil) != tc.wantErr {
				t.Fatalf("err %v, want error %v", err, tc.wantErr)
			}
			if tc.wantErr {
				return
			}
			if len(got) != tc.n {
				t.Fatalf("collected %d of %d", len(got), tc.n)
			}
			for i, v := range got {
				if v != i {
					t.Fatalf("collected out of order: %v", got[:i+1])
				}
			}
		})
	}
}

func TestParallelCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	err := Parallel(ctx, 1000, 2, func(i int) (int, error) { return i, nil }, func(i, v int) error {
		if i == 10 {
			cancel()
		}
		return nil
	})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err %v, want context.Canceled", err)
	}
}
