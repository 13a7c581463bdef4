package movenet

import (
	"context"
	"fmt"

	"github.com/gomlx/compute"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/posedistill/posedistill/codec"
	"github.com/posedistill/posedistill/nets"
	"github.com/posedistill/posedistill/topdown"
)

// singleNet runs Lightning or Thunder as an imported network and decodes its heads as MoveNet's
// graph does (codec.Codec.DecodeOffsets).
type singleNet struct {
	net   *nets.Net
	exec  *model.Exec
	codec *codec.Codec
	size  int
}

func newSingleNet(backend compute.Backend, path string, m Model) (*singleNet, error) {
	net, store, err := ImportNet(context.Background(), backend, path, m, true)
	if err != nil {
		return nil, err
	}
	size := m.InputSize()
	c, err := codec.New(codec.MoveNet, size, size, size/4, size/4, 2)
	if err != nil {
		return nil, fmt.Errorf("movenet: %w", err)
	}
	exec, err := model.NewExec(backend, store, func(scope *model.Scope, images *graph.Node) []*graph.Node {
		out, err := nets.Build(scope, net, images, false)
		if err != nil {
			panic(err)
		}
		return []*graph.Node{out.Heatmaps, out.Mask, out.Offsets, out.Regression}
	})
	if err != nil {
		return nil, fmt.Errorf("movenet: %w", err)
	}
	return &singleNet{net: net, exec: exec, codec: c, size: size}, nil
}

// infer runs the net on a size×size RGB image of int32 values in 0–255 and returns MoveNet's
// output: [17][3] (y, x in 0–1 of the input, confidence).
func (s *singleNet) infer(ctx context.Context, img []int32) ([]float32, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("movenet: %w", err)
	}
	x := make([]float32, len(img))
	for i, v := range img {
		x[i] = float32(v)
	}
	if err := topdown.Normalize(x, topdown.ImageNetMean(), topdown.ImageNetStd()); err != nil {
		return nil, fmt.Errorf("movenet: %w", err)
	}
	outs, err := s.exec.Call(tensors.FromFlatDataAndDimensions(x, 1, s.size, s.size, 3))
	if err != nil {
		return nil, fmt.Errorf("movenet %s: %w", s.net.Name, err)
	}
	var heads [4][]float32
	for i, t := range outs {
		heads[i], err = tensors.CopyFlatData[float32](t)
		t.FinalizeAll()
		if err != nil {
			return nil, fmt.Errorf("movenet %s: output %d: %w", s.net.Name, i, err)
		}
	}
	preds, err := s.codec.DecodeOffsets(codec.OffsetHeads{Heatmaps: heads[0], Centre: heads[1], Offsets: heads[2], Regression: heads[3]}, NumKeypoints)
	if err != nil {
		return nil, fmt.Errorf("movenet %s: %w", s.net.Name, err)
	}
	return Output(s.codec, preds), nil
}

// Output returns keypoints decoded by a MoveNet codec (codec.Codec.DecodeOffsets, in input-crop
// pixels) in the form of MoveNet's graph output: per joint y, x in 0–1 of the input and the
// confidence, computed as the graph does (cells times MoveNet's float16 1/h, codec.MoveNetScale).
func Output(c *codec.Codec, preds []codec.Prediction) []float32 {
	sx, sy := c.InputPerHeatPixel()
	scaleY, scaleX := codec.MoveNetScale(c.HeatH), codec.MoveNetScale(c.HeatW)
	out := make([]float32, 0, 3*len(preds))
	for _, p := range preds {
		out = append(out, float32(p.Y/sy)*scaleY, float32(p.X/sx)*scaleX, float32(p.Score))
	}
	return out
}
