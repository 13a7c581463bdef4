package main

import "testing"

func TestIsUnlabeledDistill(t *testing.T) {
	tests := []struct {
		args []string
		want bool
	}{
		{[]string{"--teacher", "blazepose-full", "--images", "v.avi"}, true},
		{[]string{"-teacher=blazepose-heavy", "-images=dir", "--out", "r"}, true},
		{[]string{"--images", "v.avi", "--teacher", "blazepose-lite"}, true},
		{[]string{"--teacher", "blazepose-full"}, false},
		{[]string{"--teacher", "runs/teacher", "--images", "v.avi"}, false},
		{[]string{"--config", "s.yaml", "--data", "d", "--out", "o", "--teacher", "runs/t"}, false},
		{[]string{"blazepose-full", "--images", "x"}, false},
	}
	for _, tc := range tests {
		if got := isUnlabeledDistill(tc.args); got != tc.want {
			t.Errorf("isUnlabeledDistill(%q) = %v, want %v", tc.args, got, tc.want)
		}
	}
}
