package graft

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/gomlx/compute"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/posedistill/posedistill/export"
	"github.com/posedistill/posedistill/internal/testkit"
	"github.com/posedistill/posedistill/nets"
	"github.com/posedistill/posedistill/train"
)

func TestMain(m *testing.M) { testkit.Main(m) }

// kerasName returns the name an imported Keras MobileNetV2 gives MoVNect's trunk layer (as TF.js
// graph models name their ops), or name itself for the layers outside the trunk.
func kerasName(name string) string {
	var block int
	var part string
	if name == "features_0" {
		return "model.Conv1_relu.Relu6"
	}
	if _, err := fmt.Sscanf(strings.ReplaceAll(name, "_", " "), "features %d %s", &block, &part); err != nil {
		return name
	}
	suffix := map[string]string{"expand": "_expand_relu.Relu6", "dw": "_depthwise.depthwise", "project": "_project_BN.FusedBatchNormV3", "add": "_add.add"}[part]
	if block == 1 {
		return "model.expanded_conv" + suffix
	}
	return fmt.Sprintf("model.block_%d%s", block-1, suffix)
}

// importedMoVNect returns a MoVNect dressed as an imported model: its trunk renamed as Keras names
// it, with biases instead of batch norm and TensorFlow's SAME padding, random weights, and an input
// affine x ↦ a·x + b in front.
func importedMoVNect(t *testing.T, backend compute.Backend, opt nets.MoVNectOptions, a, b [3]float64) (*nets.Net, *model.Store) {
	t.Helper()
	net, err := nets.MoVNect(opt)
	if err != nil {
		t.Fatal(err)
	}
	for i := range net.Layers {
		l := &net.Layers[i]
		if strings.HasPrefix(l.Name, "features_") && l.Op == nets.OpConv {
			l.BN, l.Bias, l.Pad = false, true, nets.PadSame
		}
		l.Name = kerasName(l.Name)
		for j := range l.Inputs {
			l.Inputs[j] = kerasName(l.Inputs[j])
		}
	}
	store := model.NewStore()
	store.SetParam(model.ParamInitialSeed, int64(7))
	p, err := nets.NewPredictor(backend, store, net)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Predict(testkit.RandomImages(1, 1, 16, 16, 3)); err != nil {
		t.Fatal(err)
	}
	p.Finalize()
	testkit.RandomizeStatistics(t, store, 3)
	if err := nets.PrependAffine(net, store, "input_affine", a, b); err != nil {
		t.Fatal(err)
	}
	return net, store
}

// heatmaps runs net on images and returns its heatmaps, flattened.
func heatmaps(t *testing.T, backend compute.Backend, net *nets.Net, store *model.Store, images *tensors.Tensor) []float32 {
	t.Helper()
	p, err := nets.NewPredictor(backend, store, net)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Finalize()
	pred, err := p.Predict(images)
	if err != nil {
		t.Fatal(err)
	}
	return tensors.MustCopyFlatData[float32](pred.Heatmaps)
}

// copyLayers copies the variables of the named layers from src to dst.
func copyLayers(t *testing.T, src, dst *model.Store, names map[string]bool) {
	t.Helper()
	for v := range src.IterVariables() {
		if !names[nets.LayerOf(v.Path())] {
			continue
		}
		value, err := v.Value()
		if err != nil {
			t.Fatal(err)
		}
		c, err := value.Clone()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := dst.CreateVariable(v.Path(), c); err != nil {
			t.Fatal(err)
		}
	}
}

// At the teacher's own width, the grafted trunk computes what the teacher's does: with the
// teacher's head copied over, student and teacher give the same heatmaps (the input affine, a pure
// scale here, folded into the first convolution).
func TestGraftAtTheTeachersWidthComputesTheTeacher(t *testing.T) {
	backend := testkit.Backend(t)
	opt := nets.MoVNectOptions{Width: 0.25, HeadChannels: 16, Joints: 5}
	teacher, tstore := importedMoVNect(t, backend, opt, [3]float64{0.5, 2, -1.5}, [3]float64{})
	g, err := MoVNect(teacher, tstore, opt)
	if err != nil {
		t.Fatal(err)
	}
	if g.From["features_13_project"] != "model.block_12_project_BN.FusedBatchNormV3" || g.From["features_0"] != "model.Conv1_relu.Relu6" {
		t.Errorf("layer mapping %v", g.From)
	}
	var stages []string
	for i, h := range g.Hints {
		stages = append(stages, h.Student)
		for c, got := range h.Channels {
			if got != c {
				t.Errorf("hint %d (%s): channel %d is the teacher's %d; at the teacher's width every channel is kept in place", i, h.Student, c, got)
				break
			}
		}
	}
	if want := []string{"features_3_add", "features_6_add", "features_10_add", "features_13_add"}; !slices.Equal(stages, want) {
		t.Errorf("hints on %v, want the trunk's stage outputs %v", stages, want)
	}
	head := map[string]bool{}
	for _, l := range g.Net.Layers {
		if _, trunk := g.From[l.Name]; !trunk {
			head[l.Name] = true
		}
	}
	copyLayers(t, tstore, g.Store, head)
	images := testkit.RandomImages(5, 2, 32, 48, 3)
	want := heatmaps(t, backend, teacher, tstore, images)
	got := heatmaps(t, backend, g.Net, g.Store, images)
	var d, m float64
	for i := range want {
		d = max(d, math.Abs(float64(got[i]-want[i])))
		m = max(m, math.Abs(float64(want[i])))
	}
	if d > 1e-5*max(m, 1) {
		t.Errorf("grafted student's heatmaps differ from the teacher's by %g (max %g)", d, m)
	}
}

// A thinner student keeps the channels of largest filter norm: its first expansion's output
// channels are the teacher's of largest L1 norm, and its input channels are those the previous
// projection kept.
func TestGraftKeepsTheStrongestChannels(t *testing.T) {
	backend := testkit.Backend(t)
	teacher, tstore := importedMoVNect(t, backend, nets.MoVNectOptions{Width: 0.5, HeadChannels: 16, Joints: 5}, [3]float64{1, 1, 1}, [3]float64{})
	g, err := MoVNect(teacher, tstore, nets.MoVNectOptions{Width: 0.25, HeadChannels: 16, Joints: 5})
	if err != nil {
		t.Fatal(err)
	}
	want, err := nets.MoVNect(nets.MoVNectOptions{Width: 0.25, HeadChannels: 16, Joints: 5})
	if err != nil {
		t.Fatal(err)
	}
	if g.Net.Params() > want.Params() || len(g.Net.Layers) != len(want.Layers) {
		t.Errorf("grafted net: %d layers, %d parameters; MoVNect 0.25: %d, %d", len(g.Net.Layers), g.Net.Params(), len(want.Layers), want.Params())
	}
	read := func(store *model.Store, layer, name string) ([]float32, []int) {
		data, dims, err := export.ReadFloat32(store, export.VariablePath("", layer, name))
		if err != nil {
			t.Fatal(err)
		}
		return data, dims
	}
	// Output channels of the teacher's block_1_expand, strongest first.
	tw, td := read(tstore, "model.block_1_expand_relu.Relu6", "weights")
	in, out := td[2], td[3]
	norms := make([]float64, out)
	for i, v := range tw {
		norms[i%out] += math.Abs(float64(v))
	}
	order := make([]int, out)
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(i, j int) bool { return norms[order[i]] > norms[order[j]] })
	sw, sd := read(g.Store, "features_2_expand", "weights")
	keptOut := slices.Clone(order[:sd[3]])
	slices.Sort(keptOut)
	// The kept input channels: match each student input row against the teacher's rows.
	for i := range sd[2] {
		found := false
		for ti := range in {
			same := true
			for o, to := range keptOut {
				if sw[i*sd[3]+o] != tw[ti*out+to] {
					same = false
					break
				}
			}
			if same {
				found = true
				break
			}
		}
		if !found {
			t.Fatalf("student features_2_expand input channel %d is not a teacher channel restricted to its %d strongest outputs %v", i, sd[3], keptOut)
		}
	}
}

// An input affine with a shift moves into the first convolution's bias: away from the border
// (where the two zero paddings differ) the student's first layer computes the teacher's.
func TestGraftFoldsTheInputShift(t *testing.T) {
	backend := testkit.Backend(t)
	teacher := &nets.Net{Name: "stem", InputChannels: 3, InputMultiple: 2, Joints: 8, Layers: []nets.Layer{
		{Name: "model.Conv1_relu.Relu6", Op: nets.OpConv, Inputs: []string{nets.Input}, Out: 8, Kernel: 3, Stride: 2, Bias: true, Pad: nets.PadSame},
	}, Heads: nets.Heads{Heatmaps: "model.Conv1_relu.Relu6"}}
	tstore := model.NewStore()
	tstore.SetParam(model.ParamInitialSeed, int64(2))
	images := testkit.RandomImages(9, 1, 12, 12, 3)
	heatmaps(t, backend, teacher, tstore, images)
	if err := nets.PrependAffine(teacher, tstore, "input_affine", [3]float64{0.5, -2, 1}, [3]float64{0.7, -0.3, 1.2}); err != nil {
		t.Fatal(err)
	}
	student := &nets.Net{Name: "student", InputChannels: 3, InputMultiple: 2, Joints: 8, Layers: []nets.Layer{
		{Name: "features_0", Op: nets.OpConv, Inputs: []string{nets.Input}, Out: 8, Kernel: 3, Stride: 2, Bias: true, Pad: nets.PadSame},
	}, Heads: nets.Heads{Heatmaps: "features_0"}}
	sstore := model.NewStore()
	for _, name := range []string{"weights", "biases"} {
		data, dims, err := export.ReadFloat32(tstore, export.VariablePath("", "model.Conv1_relu.Relu6", name))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := sstore.CreateVariable(export.VariablePath("", "features_0", name), tensors.FromFlatDataAndDimensions(data, dims...)); err != nil {
			t.Fatal(err)
		}
	}
	if err := foldInputAffine(teacher, tstore, student, sstore, map[string]string{"features_0": "model.Conv1_relu.Relu6"}); err != nil {
		t.Fatal(err)
	}
	want := heatmaps(t, backend, teacher, tstore, images) // [1, 6, 6, 8]
	got := heatmaps(t, backend, student, sstore, images)
	for y := range 5 { // SAME padding at stride 2 pads only after: row and column 5 read the padding
		for x := range 5 {
			for c := range 8 {
				i := (y*6+x)*8 + c
				if math.Abs(float64(got[i]-want[i])) > 1e-5 {
					t.Fatalf("at (%d,%d,%d): student %g, teacher %g", y, x, c, got[i], want[i])
				}
			}
		}
	}
}

// Networks that are not Keras MobileNetV2s, or are thinner than the student, are refused by name.
func TestGraftRefusesOtherTeachers(t *testing.T) {
	backend := testkit.Backend(t)
	plain, err := nets.MoVNect(nets.MoVNectOptions{Width: 0.25, HeadChannels: 16, Joints: 5})
	if err != nil {
		t.Fatal(err)
	}
	thin, thinStore := importedMoVNect(t, backend, nets.MoVNectOptions{Width: 0.25, HeadChannels: 16, Joints: 5}, [3]float64{1, 1, 1}, [3]float64{})
	for _, tc := range []struct {
		name    string
		teacher *nets.Net
		store   *model.Store
		opt     nets.MoVNectOptions
		want    string
	}{
		{"not keras", plain, model.NewStore(), nets.MoVNectOptions{Width: 0.25}, "no MobileNetV2 layer of the teacher matches"},
		{"too thin", thin, thinStore, nets.MoVNectOptions{Width: 1}, "fewer than the student's"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := MoVNect(tc.teacher, tc.store, tc.opt); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want %q", err, tc.want)
			}
		})
	}
}

// The zoo's primary teacher (MoveNet Lightning) gives a MoVNect 0.5 of MoVNect's shape.
func TestGraftFromTheZooTeacher(t *testing.T) {
	tr, err := train.LoadTrained("../zoo/teacher-movenet-lightning-128x96")
	if err != nil {
		t.Fatal(err)
	}
	opt := nets.MoVNectOptions{Width: 0.5, HeadChannels: 64}
	g, err := MoVNect(tr.Net, tr.Store, opt)
	if err != nil {
		t.Fatal(err)
	}
	want, err := nets.MoVNect(opt)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := g.Net.Shapes(128, 96)
	ref, _ := want.Shapes(128, 96)
	for name, s := range ref {
		if got[name] != s {
			t.Errorf("layer %s: shape %v, MoVNect 0.5's %v", name, got[name], s)
		}
	}
	if n := len(g.From); n != 39 {
		t.Errorf("%d trunk layers grafted, want MoVNect's 39 trunk convolutions", n)
	}
}

// The zoo's grafted 3D MoVNect loads from another directory than the one it was trained in, with
// its location maps and lateral skips, and its trunk layers keep the teacher's conventions.
func TestZooGraftedMoVNectLoads(t *testing.T) {
	tr, err := train.LoadTrained("../zoo/teacher3d-movnect-1.0-grafted-128x96")
	if err != nil {
		t.Fatal(err)
	}
	if tr.Net.Heads.Locations == "" || !tr.Net.HasLayer("head_0_lateral") {
		t.Errorf("net %s: want location maps and lateral skips", tr.Net.Name)
	}
	for _, l := range tr.Net.Layers {
		if l.Name == "features_0" && (l.BN || !l.Bias || l.Pad != nets.PadSame) {
			t.Errorf("features_0 %+v: want the teacher's bias and SAME padding", l)
		}
	}
}
