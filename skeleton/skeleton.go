// Package skeleton defines keypoint sets (COCO-17, Human3.6M-17, BlazePose-33 and the synthetic
// body's set), their joint names, bones, left/right flip pairs, COCO OKS sigmas, and mappings
// between sets.
//
// A Set is immutable after construction; the predefined sets are returned by functions so that
// callers never share mutable state.
package skeleton

import (
	"fmt"
	"strings"
)

// Set is a named list of keypoints with the bones that connect them.
type Set struct {
	// Name identifies the set, e.g. "coco17".
	Name string
	// Joints are the keypoint names in order; the index of a name is the keypoint index.
	Joints []string
	// Bones are pairs of joint indices (0-based) drawn as the skeleton.
	Bones [][2]int
	// Sigmas are the per-keypoint OKS sigmas (COCO's convention: OKS uses (2σ)²). Nil when the set
	// has no standard sigmas.
	Sigmas []float64
}

// NumJoints returns the number of keypoints in the set.
func (s *Set) NumJoints() int { return len(s.Joints) }

// Index returns the index of the named joint, or -1 if the set has no such joint.
func (s *Set) Index(name string) int {
	for i, n := range s.Joints {
		if n == name {
			return i
		}
	}
	return -1
}

// FlipPairs returns the left/right pairs of the set: every joint named "left_X" paired with the
// joint named "right_X". Each pair is listed once, left first.
func (s *Set) FlipPairs() [][2]int {
	var pairs [][2]int
	for i, n := range s.Joints {
		if rest, ok := strings.CutPrefix(n, "left_"); ok {
			if j := s.Index("right_" + rest); j >= 0 {
				pairs = append(pairs, [2]int{i, j})
			}
		}
	}
	return pairs
}

// FlipIndex returns, for each joint, the index of its mirror image under a horizontal flip (its
// own index for joints on the midline).
func (s *Set) FlipIndex() []int {
	idx := make([]int, len(s.Joints))
	for i := range idx {
		idx[i] = i
	}
	for _, p := range s.FlipPairs() {
		idx[p[0]], idx[p[1]] = p[1], p[0]
	}
	return idx
}

// COCOSkeleton returns the bones as 1-based index pairs, the form used in the "skeleton" field of
// COCO category entries.
func (s *Set) COCOSkeleton() [][2]int {
	out := make([][2]int, len(s.Bones))
	for i, b := range s.Bones {
		out[i] = [2]int{b[0] + 1, b[1] + 1}
	}
	return out
}

// COCO17 returns the 17 keypoints of COCO person_keypoints with COCO's OKS sigmas and skeleton.
func COCO17() *Set {
	return &Set{
		Name: "coco17",
		Joints: []string{
			"nose", "left_eye", "right_eye", "left_ear", "right_ear",
			"left_shoulder", "right_shoulder", "left_elbow", "right_elbow",
			"left_wrist", "right_wrist", "left_hip", "right_hip",
			"left_knee", "right_knee", "left_ankle", "right_ankle",
		},
		// COCO's skeleton field, converted to 0-based indices.
		Bones: [][2]int{
			{15, 13}, {13, 11}, {16, 14}, {14, 12}, {11, 12}, {5, 11}, {6, 12}, {5, 6}, {5, 7},
			{6, 8}, {7, 9}, {8, 10}, {1, 2}, {0, 1}, {0, 2}, {1, 3}, {2, 4}, {3, 5}, {4, 6},
		},
		Sigmas: []float64{
			.026, .025, .025, .035, .035, .079, .079, .072, .072,
			.062, .062, .107, .107, .087, .087, .089, .089,
		},
	}
}

// H36M17 returns the 17 joints of Human3.6M as used by VNect/MoVNect-style 3D pose work
// (pelvis-rooted; joint 9 is the neck, 10 the head top).
func H36M17() *Set {
	return &Set{
		Name: "h36m17",
		Joints: []string{
			"pelvis", "right_hip", "right_knee", "right_ankle", "left_hip", "left_knee", "left_ankle",
			"spine", "thorax", "neck", "head_top",
			"left_shoulder", "left_elbow", "left_wrist", "right_shoulder", "right_elbow", "right_wrist",
		},
		Bones: [][2]int{
			{0, 1}, {1, 2}, {2, 3}, {0, 4}, {4, 5}, {5, 6}, {0, 7}, {7, 8}, {8, 9}, {9, 10},
			{8, 11}, {11, 12}, {12, 13}, {8, 14}, {14, 15}, {15, 16},
		},
	}
}

// H36MFace returns Human3.6M-17 followed by the five COCO face points (nose, eyes, ears): the
// joint set of posedistill's synthetic bodies, from which COCO-17 labels are derived exactly.
func H36MFace() *Set {
	h := H36M17()
	face := []string{"nose", "left_eye", "right_eye", "left_ear", "right_ear"}
	joints := append(append([]string{}, h.Joints...), face...)
	bones := append([][2]int{}, h.Bones...)
	bones = append(bones, [2]int{9, 17}, [2]int{17, 18}, [2]int{17, 19}, [2]int{18, 20}, [2]int{19, 21})
	return &Set{Name: "h36m_face", Joints: joints, Bones: bones}
}

// BlazePose33 returns the 33 landmarks of MediaPipe BlazePose in the model's output order.
func BlazePose33() *Set {
	return &Set{
		Name: "blazepose33",
		Joints: []string{
			"nose", "left_eye_inner", "left_eye", "left_eye_outer",
			"right_eye_inner", "right_eye", "right_eye_outer", "left_ear", "right_ear",
			"mouth_left", "mouth_right", "left_shoulder", "right_shoulder",
			"left_elbow", "right_elbow", "left_wrist", "right_wrist",
			"left_pinky", "right_pinky", "left_index", "right_index", "left_thumb", "right_thumb",
			"left_hip", "right_hip", "left_knee", "right_knee", "left_ankle", "right_ankle",
			"left_heel", "right_heel", "left_foot_index", "right_foot_index",
		},
		Bones: [][2]int{
			{0, 1}, {1, 2}, {2, 3}, {3, 7}, {0, 4}, {4, 5}, {5, 6}, {6, 8}, {9, 10},
			{11, 12}, {11, 13}, {13, 15}, {15, 17}, {15, 19}, {15, 21}, {17, 19},
			{12, 14}, {14, 16}, {16, 18}, {16, 20}, {16, 22}, {18, 20},
			{11, 23}, {12, 24}, {23, 24}, {23, 25}, {24, 26}, {25, 27}, {26, 28},
			{27, 29}, {28, 30}, {29, 31}, {30, 32}, {27, 31}, {28, 32},
		},
	}
}

// ByName returns the predefined set with the given name ("coco17", "h36m17", "h36m_face",
// "blazepose33").
func ByName(name string) (*Set, error) {
	switch name {
	case "coco17", "coco":
		return COCO17(), nil
	case "h36m17", "h36m":
		return H36M17(), nil
	case "h36m_face":
		return H36MFace(), nil
	case "blazepose33", "blazepose":
		return BlazePose33(), nil
	}
	return nil, fmt.Errorf("unknown keypoint set %q (known: coco17, h36m17, h36m_face, blazepose33)", name)
}

// Mapping maps the joints of one set onto another: target joint j is source joint Source[j], or
// has no counterpart when Source[j] is -1.
type Mapping struct {
	From, To *Set
	// Source holds, for each joint of To, the index of the corresponding joint of From or -1.
	Source []int
}

// NewMapping builds the mapping from one set to another by joint name. It fails if no joint of
// to is found in from.
func NewMapping(from, to *Set) (*Mapping, error) {
	m := &Mapping{From: from, To: to, Source: make([]int, to.NumJoints())}
	found := 0
	for j, name := range to.Joints {
		m.Source[j] = from.Index(name)
		if m.Source[j] >= 0 {
			found++
		}
	}
	if found == 0 {
		return nil, fmt.Errorf("keypoint sets %s and %s share no joint names", from.Name, to.Name)
	}
	return m, nil
}

// Apply maps per-joint values of the From set (dim values per joint, e.g. 2 for x,y or 3 for
// x,y,v) to the To set. Joints without a counterpart are left zero.
func (m *Mapping) Apply(values []float64, dim int) ([]float64, error) {
	if len(values) != m.From.NumJoints()*dim {
		return nil, fmt.Errorf("mapping %s→%s: got %d values, want %d joints × %d",
			m.From.Name, m.To.Name, len(values), m.From.NumJoints(), dim)
	}
	out := make([]float64, m.To.NumJoints()*dim)
	for j, s := range m.Source {
		if s >= 0 {
			copy(out[j*dim:(j+1)*dim], values[s*dim:(s+1)*dim])
		}
	}
	return out, nil
}
