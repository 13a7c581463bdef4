package distill

import (
	"fmt"

	"github.com/posedistill/posedistill/nets"
)

// WithMaskHead returns a copy of net with a light segmentation head: one 1×1 convolution to a
// single logit map, reading the same features as the heatmap head (so it costs C+1 parameters
// and one multiply-add per feature channel and pixel). A net that has a mask head is returned
// unchanged.
func WithMaskHead(net *nets.Net) (*nets.Net, error) {
	if net.Heads.Mask != "" {
		return net, nil
	}
	var from string
	for _, l := range net.Layers {
		if l.Name == net.Heads.Heatmaps && len(l.Inputs) == 1 {
			from = l.Inputs[0]
		}
	}
	if from == "" {
		return nil, fmt.Errorf("net %s: heatmap head %q is not a one-input layer", net.Name, net.Heads.Heatmaps)
	}
	out := *net
	out.Name = net.Name + "-mask"
	out.Layers = append(append([]nets.Layer(nil), net.Layers...),
		nets.Layer{Name: "mask_head", Op: nets.OpConv, Inputs: []string{from}, Out: 1, Kernel: 1, Bias: true})
	out.Heads.Mask = "mask_head"
	m := max(1, out.InputMultiple)
	if _, err := out.Shapes(4*m, 4*m); err != nil {
		return nil, err
	}
	return &out, nil
}
