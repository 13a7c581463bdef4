package pose

import (
	"image"
	"image/draw"
	"sort"
)

// drawInto copies the part of src that dst covers into dst (dst's other pixels stay black).
func drawInto(dst *image.RGBA, src image.Image) {
	r := dst.Bounds().Intersect(src.Bounds())
	if !r.Empty() {
		draw.Draw(dst, r, src, r.Min, draw.Src)
	}
}

// sortByScore orders people most confident first (stable).
func sortByScore(people []Person) {
	sort.SliceStable(people, func(i, j int) bool { return people[i].Score > people[j].Score })
}
