package dataset

import "github.com/posedistill/posedistill/skeleton"

// NewCOCO17Category returns COCO's person category (id 1) with the 17 keypoint names and the
// 1-based skeleton of skeleton.COCO17, as person_keypoints files list it.
func NewCOCO17Category() Category {
	return CategoryFromSet(1, "person", skeleton.COCO17())
}

// CategoryFromSet returns a keypoint category for any keypoint set: the set's joint names and its
// bones as 1-based pairs, with supercategory "person".
func CategoryFromSet(id int, name string, set *skeleton.Set) Category {
	return Category{
		ID:            id,
		Name:          name,
		Supercategory: "person",
		Keypoints:     append([]string(nil), set.Joints...),
		Skeleton:      set.COCOSkeleton(),
	}
}

// BBoxFromKeypoints returns the tight box [x, y, width, height] around the labelled keypoints
// (v > 0) of an x, y, v list, and false when none is labelled. A trailing partial triple is
// ignored.
func BBoxFromKeypoints(keypoints []float64) ([4]float64, bool) {
	var x0, y0, x1, y1 float64
	found := false
	for i := 0; i+2 < len(keypoints); i += 3 {
		x, y, v := keypoints[i], keypoints[i+1], keypoints[i+2]
		if !(v > 0) {
			continue
		}
		if !found {
			x0, y0, x1, y1, found = x, y, x, y, true
			continue
		}
		x0, y0, x1, y1 = min(x0, x), min(y0, y), max(x1, x), max(y1, y)
	}
	if !found {
		return [4]float64{}, false
	}
	return [4]float64{x0, y0, x1 - x0, y1 - y0}, true
}

// CountLabelled returns how many keypoints of an x, y, v list are labelled (v > 0), the value
// COCO stores as num_keypoints.
func CountLabelled(keypoints []float64) int {
	n := 0
	for i := 2; i < len(keypoints); i += 3 {
		if keypoints[i] > 0 {
			n++
		}
	}
	return n
}
