package tfjs

import (
	"fmt"
	"math"

	"slices"

	"github.com/posedistill/posedistill/nets"
	"github.com/posedistill/posedistill/nets/layers"
)

// Balance rescales the imported network's channels so that every convolution whose output may be
// rescaled has weights of the size a freshly initialized one has (He's: a root mean square of
// √(2/fan-in) per output channel), without changing what the network computes.
//
// TensorFlow folds each batch norm into the convolution before it, so an imported network's
// weights carry the batch norms' scales: MoveNet's feature pyramid has pointwise convolutions
// whose weights are about 1e-3 while their inputs are about 50 to 350. Adam moves every weight by
// about the learning rate in its first steps, whatever its size: 5e-5 is 2–4 % of those weights
// and moves the features the heads read by a fifth, where in the network as trained (with its
// batch norms) the same step was a small fraction of a percent. One Adam step at 5e-5 took
// Lightning's agreement AP with Thunder from 0.852 to 0.410 (finetune-video --codec movenet
// --steps 1).
//
// A channel c of a layer whose output is linear or ReLU (both positively homogeneous) is divided
// by a power of two s_c: its weights and bias for that output channel are divided by s_c and the
// weights of every convolution that reads it, for that input channel, multiplied by s_c. Sums,
// upsampling and max pooling pass the scale through (the inputs of a sum share one scale per
// channel). Powers of two make the change exact in floating point: each product and each sum is
// the original one times a power of two, so the outputs are the same bits (barring under- or
// overflow, which the scales' range of 2^±20 keeps away from MoveNet's weights). Layers that
// stay as they are: the heads and any other output (a layer no layer reads), layers with a ReLU6 or sigmoid, and what
// reads or feeds a layer of another kind (concatenation, channel padding, transposed
// convolution, batch norm, grouped but not depthwise convolution).
//
// It returns the number of channels rescaled.
func (p *NetPart) Balance() (int, error) {
	net := p.Net
	index := make(map[string]int, len(net.Layers))
	for i, l := range net.Layers {
		index[l.Name] = i
	}
	// Union-find over tensors (layer outputs, and the input) that must share one scale.
	parent := map[string]string{}
	var find func(string) string
	find = func(a string) string {
		if parent[a] == "" || parent[a] == a {
			return a
		}
		r := find(parent[a])
		parent[a] = r
		return r
	}
	union := func(a, b string) { parent[find(a)] = find(b) }
	chans := map[string]int{nets.Input: net.InputChannels}
	fixedTensor := map[string]bool{nets.Input: true}
	homogeneous := func(a layers.Activation) bool { return a == layers.Linear || a == layers.ReLU }
	for _, l := range net.Layers {
		if len(l.Inputs) == 0 {
			return 0, fmt.Errorf("tfjs balance %s: layer %s has no input", net.Name, l.Name)
		}
		for _, in := range l.Inputs {
			if _, ok := chans[in]; !ok {
				return 0, fmt.Errorf("tfjs balance %s: layer %s reads %q, not an earlier layer", net.Name, l.Name, in)
			}
		}
		in := l.Inputs[0]
		switch l.Op {
		case nets.OpConv:
			chans[l.Name] = l.Out
			groups := max(1, l.Groups)
			if l.BN || (groups > 1 && (groups != chans[in] || groups != l.Out)) {
				fixedTensor[in], fixedTensor[l.Name] = true, true
			}
			if !homogeneous(l.Act) {
				fixedTensor[l.Name] = true
			}
			if _, ok := p.Weights["/"+l.Name+"/weights"]; !ok {
				return 0, fmt.Errorf("tfjs balance %s: conv layer %s has no weights", net.Name, l.Name)
			}
		case nets.OpAdd:
			chans[l.Name] = chans[in]
			for _, x := range l.Inputs {
				union(x, l.Name)
			}
			if !homogeneous(l.Act) {
				fixedTensor[l.Name] = true
			}
		case nets.OpUpsample, nets.OpMaxPool:
			chans[l.Name] = chans[in]
			union(in, l.Name)
		default: // concat, pad, deconv, anything new: left as they are, with what they read
			chans[l.Name] = l.Out
			if l.Op == nets.OpConcat {
				chans[l.Name] = 0
				for _, x := range l.Inputs {
					chans[l.Name] += chans[x]
				}
			}
			for _, x := range l.Inputs {
				fixedTensor[x] = true
			}
			fixedTensor[l.Name] = true
		}
	}
	for _, h := range []string{net.Heads.Heatmaps, net.Heads.Locations, net.Heads.Mask, net.Heads.Offsets, net.Heads.Regression} {
		if h != "" {
			fixedTensor[h] = true
		}
	}
	for _, h := range net.Heads.Extra {
		fixedTensor[h] = true
	}
	read := map[string]bool{}
	for _, l := range net.Layers {
		for _, in := range l.Inputs {
			read[in] = true
		}
	}
	for _, l := range net.Layers {
		if !read[l.Name] { // an output, head or not
			fixedTensor[l.Name] = true
		}
	}
	fixed := map[string]bool{}
	for t := range fixedTensor {
		fixed[find(t)] = true
	}
	// Each group's producers (the convolutions whose outputs it holds), its scale decided once
	// its last producer is reached, in the layers' order: per channel, the power of two nearest
	// the largest ratio of a producer's weights' RMS (its inputs' scales applied) to He's.
	producers := map[string][]int{}
	for i, l := range net.Layers {
		if l.Op == nets.OpConv {
			producers[find(l.Name)] = append(producers[find(l.Name)], i)
		}
	}
	scale := map[string][]float64{} // by group; absent: all ones
	scaleOf := func(tensor string, c int) float64 {
		if s, ok := scale[find(tensor)]; ok {
			return s[c]
		}
		return 1
	}
	groups := make([]string, 0, len(producers))
	for g := range producers {
		if !fixed[g] {
			groups = append(groups, g)
		}
	}
	slices.SortFunc(groups, func(a, b string) int { return slices.Max(producers[a]) - slices.Max(producers[b]) })
	rescaled := 0
	for _, g := range groups {
		out := net.Layers[producers[g][0]].Out
		s := make([]float64, out)
		for o := range out {
			ratio := 0.0
			for _, i := range producers[g] {
				l := net.Layers[i]
				w := p.Weights["/"+l.Name+"/weights"]
				k := max(1, l.Kernel)
				per := chans[l.Inputs[0]] / max(1, l.Groups) // input channels per output channel
				if per < 1 || l.Out != out || len(w.Values) != k*k*per*out {
					return 0, fmt.Errorf("tfjs balance %s: layer %s has %d weights, want %d×%d×%d×%d", net.Name, l.Name, len(w.Values), k, k, per, out)
				}
				var ss float64
				for t := range k * k {
					for j := range per {
						c := j
						if l.Groups > 1 {
							c = o // depthwise: output channel o reads input channel o
						}
						v := w.Values[(t*per+j)*out+o] * scaleOf(l.Inputs[0], c)
						ss += v * v
					}
				}
				rms := math.Sqrt(ss / float64(k*k*per))
				ratio = max(ratio, rms/math.Sqrt(2/float64(k*k*per)))
			}
			s[o] = 1
			if ratio > 0 && !math.IsInf(ratio, 0) {
				s[o] = math.Exp2(math.Max(-20, math.Min(20, math.Round(math.Log2(ratio)))))
			}
			if s[o] != 1 {
				rescaled++
			}
		}
		scale[g] = s
	}
	// Apply: every convolution's weights by its input's scale over its output's.
	for _, l := range net.Layers {
		if l.Op != nets.OpConv {
			continue
		}
		wpath, bpath := "/"+l.Name+"/weights", "/"+l.Name+"/biases"
		w := p.Weights[wpath]
		out, in := l.Out, chans[l.Inputs[0]]
		per := in / max(1, l.Groups)
		if per < 1 || out < 1 || len(w.Values)%(per*out) != 0 {
			return 0, fmt.Errorf("tfjs balance %s: layer %s has %d weights, not a multiple of %d×%d", net.Name, l.Name, len(w.Values), per, out)
		}
		// New tensors: the part's weights may be the graph's own.
		nw := &Tensor{DType: w.DType, Shape: w.Shape, Values: append([]float64(nil), w.Values...)}
		for idx := range nw.Values {
			o := idx % out
			c := (idx / out) % per
			if l.Groups > 1 {
				c = o
			}
			nw.Values[idx] *= scaleOf(l.Inputs[0], c) / scaleOf(l.Name, o)
		}
		p.Weights[wpath] = nw
		if b, ok := p.Weights[bpath]; ok {
			nb := &Tensor{DType: b.DType, Shape: b.Shape, Values: append([]float64(nil), b.Values...)}
			for o := range nb.Values {
				nb.Values[o] /= scaleOf(l.Name, o)
			}
			p.Weights[bpath] = nb
		}
	}
	return rescaled, nil
}
