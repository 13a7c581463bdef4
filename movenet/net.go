package movenet

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"

	"github.com/gomlx/compute"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/posedistill/posedistill/nets"
	"github.com/posedistill/posedistill/nets/layers"
	"github.com/posedistill/posedistill/tfjs"
	"github.com/posedistill/posedistill/topdown"
)

// AffineLayer is the name of an imported net's first layer, a 1×1 convolution that maps
// ImageNet-normalized crops (topdown.Normalize) to MoveNet's own input range.
const AffineLayer = "input_affine"

// normalizedImage is the node of the single-person graphs where the normalized image enters
// the network.
const normalizedImage = "StatefulPartitionedCall/sub_1"

// ImportNet imports the convolutional part of Lightning, Thunder or MultiPose (model.json at
// path) as a nets.Net with the model's weights in a store: it takes ImageNet-normalized images
// (its first layer, AffineLayer, maps them to MoveNet's range, exact at import: MoveNet's
// normalization is evaluated on backend on a black and a white image and checked to be one affine
// map per channel), its heatmap head is MoveNet's keypoint heatmaps (with MoveNet's sigmoid as the
// head's activation) and its mask head MoveNet's person-centre logits. With offsets, the net also
// has MoveNet's offset and keypoint-regression heads (nets.Heads.Offsets, Regression), which the
// codec's MoveNet kind decodes as the single-person models do (codec.Codec.DecodeOffsets);
// MultiPose's net then also has its two box heads as nets.Heads.Extra — first the boxes' height
// and width in cells, [h, w, 2], then their centres' y and x relative to the cell, [h, w, 2] —
// and DecodeMultiPose decodes its six heads as MultiPose's graph does. The net is described for
// the model's input size (InputSize) and is exact for any input whose sides are multiples of 32,
// which is what MultiPose takes.
func ImportNet(ctx context.Context, backend compute.Backend, path string, m Model, offsets bool) (*nets.Net, *model.Store, error) {
	net, store, _, err := importNet(ctx, backend, path, m, offsets)
	return net, store, err
}

// importNet is ImportNet, also returning the graph's weights (MultiPose's decoding constants are
// checked against them).
func importNet(ctx context.Context, backend compute.Backend, path string, m Model, offsets bool) (*nets.Net, *model.Store, map[string]*tfjs.Tensor, error) {
	if _, err := m.File(); err != nil {
		return nil, nil, nil, err
	}
	mdl, w, err := tfjs.ReadFile(path)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("movenet: %w", err)
	}
	g, err := tfjs.NewGraph(mdl, w)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("movenet: import %s: %w", path, err)
	}
	size := m.InputSize()
	var heatmap, center, regress, offset, boxScale, boxOffset string
	for _, h := range g.Heads(normalizedImage) {
		switch {
		case strings.Contains(h, "box_scale"):
			boxScale = h
		case strings.Contains(h, "box_offset"):
			boxOffset = h
		case strings.Contains(h, "kpt_heatmap"):
			heatmap = h
		case strings.Contains(h, "center_0"):
			center = h
		case strings.Contains(h, "kpt_regress"):
			regress = h
		case strings.Contains(h, "kpt_offset"):
			offset = h
		}
	}
	if heatmap == "" || center == "" || (offsets && (regress == "" || offset == "")) {
		return nil, nil, nil, fmt.Errorf("movenet: import %s: no keypoint heatmap, centre, regression and offset heads after %s", path, normalizedImage)
	}
	multi := m == MultiPose
	if offsets && multi && (boxScale == "" || boxOffset == "") {
		return nil, nil, nil, fmt.Errorf("movenet: import %s: no box scale and offset heads after %s", path, normalizedImage)
	}
	to := []string{heatmap, center}
	if offsets {
		to = append(to, regress, offset)
		if multi {
			to = append(to, boxScale, boxOffset)
		}
	}
	part, err := g.ImportNet(string(m), normalizedImage, to, heatmap, center, NumKeypoints, size, size)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("movenet: import %s: %w", path, err)
	}
	net := part.Net
	if offsets {
		net.Heads.Offsets, net.Heads.Regression = part.Layer[offset], part.Layer[regress]
		if multi {
			net.Heads.Extra = []string{part.Layer[boxScale], part.Layer[boxOffset]}
		}
	}
	for i := range net.Layers {
		if l := &net.Layers[i]; l.Name == net.Heads.Heatmaps {
			if l.Act != layers.Linear {
				return nil, nil, nil, fmt.Errorf("movenet: import %s: heatmap layer %s has activation %q, want none (MoveNet applies its sigmoid after)", path, l.Name, l.Act)
			}
			l.Act = layers.Sigmoid
		}
	}
	a, b, err := normalization(ctx, backend, mdl, w, size)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("movenet: import %s: %w", path, err)
	}
	// TensorFlow folded the batch norms into the convolutions: channels rescaled (the same
	// function) to weights of a fresh layer's size, which Adam's first steps do not throw off
	// (tfjs.NetPart.Balance).
	if _, err := part.Balance(); err != nil {
		return nil, nil, nil, fmt.Errorf("movenet: import %s: %w", path, err)
	}
	store, err := part.NewStore()
	if err != nil {
		return nil, nil, nil, fmt.Errorf("movenet: import %s: %w", path, err)
	}
	mean, std := topdown.ImageNetMean(), topdown.ImageNetStd()
	// MoveNet: u = a·x + b for raw x; x = v·std + mean for a normalized v.
	var aa, bb [3]float64
	for c := range 3 {
		aa[c], bb[c] = a[c]*float64(std[c]), a[c]*float64(mean[c])+b[c]
	}
	if err := nets.PrependAffine(net, store, AffineLayer, aa, bb); err != nil {
		return nil, nil, nil, fmt.Errorf("movenet: import %s: %w", path, err)
	}
	if _, err := net.Shapes(size, size); err != nil {
		return nil, nil, nil, fmt.Errorf("movenet: import %s: %w", path, err)
	}
	return net, store, w, nil
}

// InputSize returns the side of the square input of a single-person model (Lightning 192,
// Thunder 256), and MultiPose's default longer side (256).
func (m Model) InputSize() int {
	if m == Lightning {
		return 192
	}
	return 256
}

// normalization evaluates MoveNet's graph from its int32 image to its normalized image on an
// image of zeros and one of 255s and returns the per-channel affine map it applies, checking
// every pixel agrees.
func normalization(ctx context.Context, backend compute.Backend, mdl *tfjs.Model, w map[string]*tfjs.Tensor, size int) (a, b [3]float64, err error) {
	m2 := *mdl
	m2.Outputs = []tfjs.TensorInfo{{Name: normalizedImage}}
	g2, err := tfjs.NewGraph(&m2, w)
	if err != nil {
		return a, b, err
	}
	r, err := tfjs.NewRunner(backend, g2)
	if err != nil {
		return a, b, err
	}
	var vals [2][]float32
	for i, v := range []int32{0, 255} {
		img := make([]int32, size*size*3)
		for j := range img {
			img[j] = v
		}
		outs, err := r.Run(ctx, tensors.FromFlatDataAndDimensions(img, 1, size, size, 3))
		if err != nil {
			return a, b, fmt.Errorf("normalization: %w", err)
		}
		vals[i] = outs[0].Values
	}
	if len(vals[0]) != size*size*3 {
		return a, b, fmt.Errorf("normalization: %d values, want %d", len(vals[0]), size*size*3)
	}
	for c := range 3 {
		b[c] = float64(vals[0][c])
		a[c] = (float64(vals[1][c]) - b[c]) / 255
	}
	for j := range vals[0] {
		c := j % 3
		if math.Abs(float64(vals[0][j])-b[c]) > 1e-6 || math.Abs(float64(vals[1][j])-(a[c]*255+b[c])) > 1e-5 {
			return a, b, errors.New("normalization: the image's normalization is not one affine map per channel")
		}
	}
	return a, b, nil
}
