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
// heads. MoveNet MultiPose imports at 256×256 like the single-person models and trains as they
// do, top-down: on person-centred crops its heatmaps are taught that one person's joints, and the
// codec's MoveNet kind decodes it as the single-person models (the person centre that MoveNet's
// centre weighting prefers, its regressed joints weighting the heatmaps); its box heads ride along
// unused.
package imported

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/gomlx/compute"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/posedistill/posedistill/atomicfile"
	"github.com/posedistill/posedistill/blazepose"
	"github.com/posedistill/posedistill/modelstore"
	"github.com/posedistill/posedistill/movenet"
	"github.com/posedistill/posedistill/nets"
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
	// Codec is the codec kind its runs train and decode with (codec.ParseKind's names): "msra",
	// or "movenet" for a MoveNet imported with its offset and regression heads (ImportOptions).
	Codec string
}

// ImportOptions are Import's choices.
type ImportOptions struct {
	// Codec "movenet" imports MoveNet with its offset and regression heads (nets.Heads.Offsets,
	// Regression) for the codec's MoveNet kind, which decodes keypoints as MoveNet does; "" or
	// "msra" imports the heatmap and centre heads only, decoded from the heatmaps. BlazePose
	// takes "" or "msra".
	Codec string
}

// AffineLayer is the name of the first layer, which maps ImageNet-normalized crops to the
// model's input range.
const AffineLayer = movenet.AffineLayer

// Names lists the models Import takes.
func Names() []string {
	return []string{string(movenet.Lightning), string(movenet.Thunder), string(movenet.MultiPose), "blazepose-lite", "blazepose-full", "blazepose-heavy"}
}

// Import imports the model called name (see Names) from the model cache cacheDir (posedistill
// models fetch); backend evaluates MoveNet's input normalization once.
func Import(ctx context.Context, backend compute.Backend, cacheDir, name string) (*Model, error) {
	return ImportWith(ctx, backend, cacheDir, name, ImportOptions{})
}

// ImportWith is Import with options.
func ImportWith(ctx context.Context, backend compute.Backend, cacheDir, name string, opt ImportOptions) (*Model, error) {
	offsets := false
	switch opt.Codec {
	case "", "msra":
	case "movenet":
		offsets = true
	default:
		return nil, fmt.Errorf("import %s: codec %q: want msra or movenet", name, opt.Codec)
	}
	if modelstore.IsBlazePose(name) {
		if offsets {
			return nil, fmt.Errorf("import %s: codec movenet needs MoveNet's offset head; BlazePose has none", name)
		}
		file, err := modelstore.BlazePoseLandmark(name)
		if err != nil {
			return nil, err
		}
		return ImportBlazePose(modelstore.BlazePosePath(cacheDir, file))
	}
	m := movenet.Model(name)
	file, err := m.File()
	if err != nil {
		return nil, fmt.Errorf("import %s: want one of %s", name, strings.Join(Names(), ", "))
	}
	path := modelstore.MoveNetPath(cacheDir, file)
	if offsets {
		return ImportMoveNetOffsets(ctx, backend, path, m)
	}
	return ImportMoveNet(ctx, backend, path, m)
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
	if err := nets.PrependAffine(net, store, AffineLayer, a, b); err != nil {
		return nil, fmt.Errorf("import %s: %w", path, err)
	}
	return &Model{Name: net.Name, Net: net, Store: store, InputSize: net.InputMultiple, Codec: "msra"}, nil
}

// ImportMoveNet imports the convolutional part of MoveNet Lightning, Thunder or MultiPose
// (model.json at path) from its normalized image to its keypoint heatmaps (with MoveNet's sigmoid as the head's
// activation; the heatmap head) and centre logits (the mask head). MoveNet's own normalization of
// the image is evaluated on backend on a black and a white image and checked to be one affine map
// per channel before it becomes the input_affine layer.
func ImportMoveNet(ctx context.Context, backend compute.Backend, path string, m movenet.Model) (*Model, error) {
	return importMoveNet(ctx, backend, path, m, false)
}

// ImportMoveNetOffsets is ImportMoveNet with MoveNet's offset and regression heads as the net's
// Offsets and Regression heads, for the codec's MoveNet kind (Model.Codec "movenet"): decoded by
// codec.Codec.DecodeOffsets with the centre (the mask head), they give the original model's
// keypoints.
func ImportMoveNetOffsets(ctx context.Context, backend compute.Backend, path string, m movenet.Model) (*Model, error) {
	return importMoveNet(ctx, backend, path, m, true)
}

func importMoveNet(ctx context.Context, backend compute.Backend, path string, m movenet.Model, offsets bool) (*Model, error) {
	net, store, err := movenet.ImportNet(ctx, backend, path, m, offsets)
	if err != nil {
		return nil, err
	}
	kind := "msra"
	if offsets {
		kind = "movenet"
	}
	return &Model{Name: string(m), Net: net, Store: store, InputSize: m.InputSize(), Codec: kind}, nil
}

// Config returns the training configuration of a run of the model saved in runDir (WriteRun):
// the run's net.json as the network, the model's input size, heatmaps with sigma 2 at a quarter
// of it in the model's codec (MSRA, or MoveNet's with the offset head), fine-tuning defaults
// (Adam 1e-4, constant).
func (m *Model) Config(runDir string) (train.Config, error) {
	abs, err := filepath.Abs(filepath.Join(runDir, train.NetFile))
	if err != nil {
		return train.Config{}, err
	}
	cfg := train.DefaultConfig()
	cfg.Name = m.Name
	cfg.Model = train.ModelConfig{File: abs}
	cfg.InputW, cfg.InputH = m.InputSize, m.InputSize
	if m.Codec != "" {
		cfg.Codec = m.Codec
	}
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
