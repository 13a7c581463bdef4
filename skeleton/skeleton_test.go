package skeleton

import "testing"

func TestSetsAreConsistent(t *testing.T) {
	for _, s := range []*Set{COCO17(), H36M17(), H36MFace(), BlazePose33()} {
		t.Run(s.Name, func(t *testing.T) {
			seen := map[string]bool{}
			for _, n := range s.Joints {
				if seen[n] {
					t.Errorf("duplicate joint %q", n)
				}
				seen[n] = true
			}
			for _, b := range s.Bones {
				if b[0] < 0 || b[1] < 0 || b[0] >= s.NumJoints() || b[1] >= s.NumJoints() || b[0] == b[1] {
					t.Errorf("bad bone %v", b)
				}
			}
			if s.Sigmas != nil && len(s.Sigmas) != s.NumJoints() {
				t.Errorf("%d sigmas for %d joints", len(s.Sigmas), s.NumJoints())
			}
			flip := s.FlipIndex()
			for i := range flip {
				if flip[flip[i]] != i {
					t.Errorf("flip twice is not identity at %d", i)
				}
			}
		})
	}
}

func TestCOCOFlipPairs(t *testing.T) {
	want := [][2]int{{1, 2}, {3, 4}, {5, 6}, {7, 8}, {9, 10}, {11, 12}, {13, 14}, {15, 16}}
	got := COCO17().FlipPairs()
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("pair %d: got %v, want %v", i, got[i], want[i])
		}
	}
}

func TestCOCOSkeletonField(t *testing.T) {
	// The skeleton field exactly as person_keypoints_*.json ships it.
	want := [][2]int{{16, 14}, {14, 12}, {17, 15}, {15, 13}, {12, 13}, {6, 12}, {7, 13}, {6, 7},
		{6, 8}, {7, 9}, {8, 10}, {9, 11}, {2, 3}, {1, 2}, {1, 3}, {2, 4}, {3, 5}, {4, 6}, {5, 7}}
	got := COCO17().COCOSkeleton()
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("bone %d: got %v, want %v", i, got[i], want[i])
		}
	}
}

func TestMappingsToCOCO(t *testing.T) {
	tests := []struct {
		from *Set
		want []int
	}{
		{BlazePose33(), []int{0, 2, 5, 7, 8, 11, 12, 13, 14, 15, 16, 23, 24, 25, 26, 27, 28}},
		{H36MFace(), []int{17, 18, 19, 20, 21, 11, 14, 12, 15, 13, 16, 4, 1, 5, 2, 6, 3}},
	}
	for _, tc := range tests {
		m, err := NewMapping(tc.from, COCO17())
		if err != nil {
			t.Fatal(err)
		}
		for j, s := range m.Source {
			if s != tc.want[j] {
				t.Errorf("%s→coco17 joint %d: source %d, want %d", tc.from.Name, j, s, tc.want[j])
			}
		}
	}
	// H36M-17 alone lacks the face points.
	m, err := NewMapping(H36M17(), COCO17())
	if err != nil {
		t.Fatal(err)
	}
	for j := 0; j < 5; j++ {
		if m.Source[j] != -1 {
			t.Errorf("h36m17 has no %s but maps it from %d", COCO17().Joints[j], m.Source[j])
		}
	}
}

func TestMappingApply(t *testing.T) {
	m, _ := NewMapping(BlazePose33(), COCO17())
	vals := make([]float64, 33*2)
	for i := range vals {
		vals[i] = float64(i)
	}
	out, err := m.Apply(vals, 2)
	if err != nil {
		t.Fatal(err)
	}
	if out[2*11] != 46 || out[2*11+1] != 47 { // COCO left_hip ← BlazePose 23
		t.Errorf("left_hip = %v,%v", out[22], out[23])
	}
	if _, err := m.Apply(vals[:10], 2); err == nil {
		t.Error("wrong length accepted")
	}
}
