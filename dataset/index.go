package dataset

// Index answers lookups by id into one Dataset: images, annotations, categories, and the
// annotations of each image. Build it with NewIndex after the dataset is complete; it does not
// see later changes. The pointers it returns point into the dataset's own slices.
type Index struct {
	d       *Dataset
	images  map[int64]int
	anns    map[int64]int
	cats    map[int]int
	byImage map[int64][]int
}

// NewIndex indexes d. With duplicate ids, the first element wins (Read rejects duplicates).
func NewIndex(d *Dataset) *Index {
	x := &Index{
		d:       d,
		images:  make(map[int64]int, len(d.Images)),
		anns:    make(map[int64]int, len(d.Annotations)),
		cats:    make(map[int]int, len(d.Categories)),
		byImage: make(map[int64][]int, len(d.Images)),
	}
	for i := range d.Images {
		if _, dup := x.images[d.Images[i].ID]; !dup {
			x.images[d.Images[i].ID] = i
		}
	}
	for i := range d.Categories {
		if _, dup := x.cats[d.Categories[i].ID]; !dup {
			x.cats[d.Categories[i].ID] = i
		}
	}
	for i := range d.Annotations {
		a := &d.Annotations[i]
		if _, dup := x.anns[a.ID]; !dup {
			x.anns[a.ID] = i
		}
		x.byImage[a.ImageID] = append(x.byImage[a.ImageID], i)
	}
	return x
}

// Image returns the image with the given id.
func (x *Index) Image(id int64) (*Image, bool) {
	i, ok := x.images[id]
	if !ok {
		return nil, false
	}
	return &x.d.Images[i], true
}

// Annotation returns the annotation with the given id.
func (x *Index) Annotation(id int64) (*Annotation, bool) {
	i, ok := x.anns[id]
	if !ok {
		return nil, false
	}
	return &x.d.Annotations[i], true
}

// Category returns the category with the given id.
func (x *Index) Category(id int) (*Category, bool) {
	i, ok := x.cats[id]
	if !ok {
		return nil, false
	}
	return &x.d.Categories[i], true
}

// AnnotationsOf returns the annotations of an image in file order (none for an unknown id).
func (x *Index) AnnotationsOf(imageID int64) []*Annotation {
	idx := x.byImage[imageID]
	out := make([]*Annotation, len(idx))
	for k, i := range idx {
		out[k] = &x.d.Annotations[i]
	}
	return out
}
