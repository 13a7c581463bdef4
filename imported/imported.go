// Package imported turns pretrained models posedistill imports — MediaPipe BlazePose (TFLite) and
// Google's MoveNet (TF.js graph models) — into trainable networks: a nets.Net description with the
// model's weights as its variables, fed the crops posedistill's training pipeline makes, and saved
// as a run directory that the commands which load runs (train.LoadTrained: export, eval,
// compress, train's and distill's --init) take like a trained one.
//
// The description starts with one 1×1 convolution, "input_affine", that maps the pipeline's
// ImageNet-normalized crops to the value range the model was trained on (MoveNet: [−1, 1],
// BlazePose: [0, 1]); it is exact at import and trains with the rest. The heatmap head is the
// model's own: MoveNet's 17 COCO keypoint heatmaps (sigmoid, a quarter of the input), BlazePose's
// 39 heatmaps of its own landmarks (33 and 6 auxiliary points) with its landmark vectors as extra
// heads.
package imported

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"

	"github.com/gomlx/compute"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/posedistill/posedistill/atomicfile"
	"github.com/posedistill/posedistill/blazepose"
	"github.com/posedistill/posedistill/modelstore"
	"github.com/posedistill/posedistill/movenet"
	"github.com/posedistill/posedistill/nets"
	"github.com/posedistill/posedistill/nets/layers"
	"github.com/posedistill/posedistill/tfjs"
	"github.com/posedistill/posedistill/topdown"
	"github.com/posedistill/posedistill/train"
)

// Model is an imported model as a trainable network.
type Model struct {
	// Name is the model's name (movenet-lightning, blazepose-full, …).
	Name string
	Net  *nets.Net
	// Store holds the network's variables: the model's weights.
	Store *model.Store
	// InputSize is the side of the square input the model was made for.
	InputSize int
}

// AffineLayer is the name of the first layer, which maps ImageNet-normalized crops to the
// model's input range.
const AffineLayer = "input_affine"

// Names lists the models Import takes.
func Names() []string {
	return []string{string(movenet.Lightning), string(movenet.Thunder), "blazepose-lite", "blazepose-full", "blazepose-heavy"}
}

// Import imports the model called name (see Names) from the model cache cacheDir (posedistill
// models fetch); backend evaluates MoveNet's input normalization once.
func Import(ctx context.Context, backend compute.Backend, cacheDir, name string) (*Model, error) {
	if modelstore.IsBlazePose(name) {
		file, err := modelstore.BlazePoseLandmark(name)
		if err != nil {
			return nil, err
		}
		return ImportBlazePose(modelstore.BlazePosePath(cacheDir, file))
	}
	m := movenet.Model(name)
	if m == movenet.MultiPose {
		return nil, fmt.Errorf("import %s: MultiPose has no single-person heatmap head to train; want %s", name, strings.Join(Names(), ", "))
	}
	file, err := m.File()
	if err != nil {
		return nil, fmt.Errorf("import %s: want one of %s", name, strings.Join(Names(), ", "))
	}
	return ImportMoveNet(ctx, backend, modelstore.MoveNetPath(cacheDir, file), m)
}

// ImportBlazePose imports a pose_landmark_*.tflite model (see blazepose.ImportLandmarkNet).
func ImportBlazePose(path string) (*Model, error) {
	part, err := blazepose.ImportLandmarkNet(path)
	if err != nil {
		return nil, err
	}
	store, err := part.NewStore()
	if err != nil {
		return nil, err
	}
	// The model reads RGB in [0, 1]: x/255 = v·std/255 + mean/255 for a normalized value v.
	mean, std := topdown.ImageNetMean(), topdown.ImageNetStd()
	var a, b [3]float64
	for c := range 3 {
		a[c], b[c] = float64(std[c])/255, float64(mean[c])/255
	}
	net := part.Net
	if err := prependAffine(net, store, a, b); err != nil {
		return nil, fmt.Errorf("import %s: %w", path, err)
	}
	return &Model{Name: net.Name, Net: net, Store: store, InputSize: net.InputMultiple}, nil
}

// ImportMoveNet imports the convolutional part of MoveNet Lightning or Thunder (model.json at
// path) from its normalized image to its keypoint heatmaps (with MoveNet's sigmoid as the head's
// activation; the heatmap head) and centre logits (the mask head). MoveNet's own normalization of
// the image is evaluated on backend on a black and a white image and checked to be one affine map
// per channel before it becomes the input_affine layer.
func ImportMoveNet(ctx context.Context, backend compute.Backend, path string, m movenet.Model) (*Model, error) {
	mdl, w, err := tfjs.ReadFile(path)
	if err != nil {
		return nil, err
	}
	g, err := tfjs.NewGraph(mdl, w)
	if err != nil {
		return nil, fmt.Errorf("import %s: %w", path, err)
	}
	size := 192
	if m == movenet.Thunder {
		size = 256
	}
	const from = "StatefulPartitionedCall/sub_1"
	var heatmap, center string
	for _, h := range g.Heads(from) {
		switch {
		case strings.Contains(h, "kpt_heatmap"):
			heatmap = h
		case strings.Contains(h, "center_0"):
			center = h
		}
	}
	if heatmap == "" || center == "" {
		return nil, fmt.Errorf("import %s: no keypoint heatmap and centre heads after %s", path, from)
	}
	part, err := g.ImportNet(string(m), from, []string{heatmap, center}, heatmap, center, movenet.NumKeypoints, size, size)
	if err != nil {
		return nil, fmt.Errorf("import %s: %w", path, err)
	}
	net := part.Net
	for i := range net.Layers {
		if l := &net.Layers[i]; l.Name == net.Heads.Heatmaps {
			if l.Act != layers.Linear {
				return nil, fmt.Errorf("import %s: heatmap layer %s has activation %q, want none (MoveNet applies its sigmoid after)", path, l.Name, l.Act)
			}
			l.Act = layers.Sigmoid
		}
	}
	store, err := part.NewStore()
	if err != nil {
		return nil, fmt.Errorf("import %s: %w", path, err)
	}
	a, b, err := moveNetNormalization(ctx, backend, mdl, w, from, size)
	if err != nil {
		return nil, fmt.Errorf("import %s: %w", path, err)
	}
	mean, std := topdown.ImageNetMean(), topdown.ImageNetStd()
	// MoveNet: u = a·x + b for raw x; x = v·std + mean for a normalized v.
	var aa, bb [3]float64
	for c := range 3 {
		aa[c], bb[c] = a[c]*float64(std[c]), a[c]*float64(mean[c])+b[c]
	}
	if err := prependAffine(net, store, aa, bb); err != nil {
		return nil, fmt.Errorf("import %s: %w", path, err)
	}
	return &Model{Name: string(m), Net: net, Store: store, InputSize: size}, nil
}

// moveNetNormalization evaluates MoveNet's graph from its int32 image to node from on an image of
// zeros and one of 255s and returns the per-channel affine map it applies, checking every pixel
// agrees.
func moveNetNormalization(ctx context.Context, backend compute.Backend, mdl *tfjs.Model, w map[string]*tfjs.Tensor, from string, size int) (a, b [3]float64, err error) {
	m2 := *mdl
	m2.Outputs = []tfjs.TensorInfo{{Name: from}}
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

// prependAffine puts a 1×1 convolution y_c = a_c·x_c + b_c before every layer that reads the
// network's input, its weights in store.
func prependAffine(net *nets.Net, store *model.Store, a, b [3]float64) error {
	if net.InputChannels != 3 {
		return fmt.Errorf("net %s takes %d channels, want 3", net.Name, net.InputChannels)
	}
	for i := range net.Layers {
		for j, in := range net.Layers[i].Inputs {
			if in == nets.Input {
				net.Layers[i].Inputs[j] = AffineLayer
			}
		}
	}
	l := nets.Layer{Name: AffineLayer, Op: nets.OpConv, Inputs: []string{nets.Input}, Out: 3, Kernel: 1, Bias: true}
	net.Layers = append([]nets.Layer{l}, net.Layers...)
	k := make([]float32, 9) // [1, 1, in, out]
	bias := make([]float32, 3)
	for c := range 3 {
		k[c*3+c], bias[c] = float32(a[c]), float32(b[c])
	}
	if _, err := store.CreateVariable("/"+AffineLayer+"/weights", tensors.FromFlatDataAndDimensions(k, 1, 1, 3, 3)); err != nil {
		return err
	}
	if _, err := store.CreateVariable("/"+AffineLayer+"/biases", tensors.FromFlatDataAndDimensions(bias, 3)); err != nil {
		return err
	}
	return nil
}

// Config returns the training configuration of a run of the model saved in runDir (WriteRun):
// the run's net.json as the network, the model's input size, MSRA heatmaps with sigma 2 at a
// quarter of it, fine-tuning defaults (Adam 1e-4, constant).
func (m *Model) Config(runDir string) (train.Config, error) {
	abs, err := filepath.Abs(filepath.Join(runDir, train.NetFile))
	if err != nil {
		return train.Config{}, err
	}
	cfg := train.DefaultConfig()
	cfg.Name = m.Name
	cfg.Model = train.ModelConfig{File: abs}
	cfg.InputW, cfg.InputH = m.InputSize, m.InputSize
	cfg.LR, cfg.Schedule, cfg.WarmupSteps = 1e-4, "constant", 0
	cfg.BatchSize, cfg.Steps = 8, 200
	return cfg, nil
}

// WriteRun saves the model as a run directory: net.json, checkpoint.ckpt at step 0 and
// config.json (Config), which train.LoadTrained, the train command (--config DIR/config.json
// --init DIR/checkpoint.ckpt) and distill's --init, and the export, compress, eval and predict
// commands read. It refuses a directory that already holds a run.
func (m *Model) WriteRun(dir string) error {
	cfg, err := m.Config(dir)
	if err != nil {
		return fmt.Errorf("write run %s: %w", dir, err)
	}
	if _, err := os.Stat(filepath.Join(dir, train.ConfigFile)); err == nil {
		return fmt.Errorf("write run %s: it already holds a run (%s)", dir, train.ConfigFile)
	}
	if _, err := m.Net.Shapes(cfg.InputH, cfg.InputW); err != nil {
		return fmt.Errorf("write run %s: %w", dir, err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("write run %s: %w", dir, err)
	}
	if err := train.SaveCheckpoint(filepath.Join(dir, train.CheckpointFile), m.Store, train.CheckpointInfo{Net: m.Net}); err != nil {
		return fmt.Errorf("write run %s: %w", dir, err)
	}
	for _, f := range []struct {
		name string
		v    any
	}{{train.NetFile, m.Net}, {train.ConfigFile, cfg}} {
		b, err := json.MarshalIndent(f.v, "", "  ")
		if err != nil {
			return fmt.Errorf("write run %s: %w", dir, err)
		}
		if err := atomicfile.WriteBytes(filepath.Join(dir, f.name), append(b, '\n')); err != nil {
			return fmt.Errorf("write run %s: %w", dir, err)
		}
	}
	return nil
}
