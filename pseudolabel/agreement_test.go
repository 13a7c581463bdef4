package pseudolabel

import (
	"context"
	"testing"

	"github.com/posedistill/posedistill/codec"
	"github.com/posedistill/posedistill/distill"
	"github.com/posedistill/posedistill/internal/testkit"
	"github.com/posedistill/posedistill/topdown"
	"github.com/posedistill/posedistill/train"
)

// oracleTeacher is a RegionTeacher that answers each plain view with the ground truth of the
// person it shows, shifted by Shift pixels (a teacher that knows the labels, more or less).
type oracleTeacher struct {
	split *train.Split
	sc    topdown.Config
	shift float64
}

func (o *oracleTeacher) ID() string { return "oracle" }
func (o *oracleTeacher) Close()     {}
func (o *oracleTeacher) Predict(context.Context, topdown.Tensor, int, int) (distill.TeacherOutput, error) {
	panic("oracleTeacher: Predict must not be called")
}
func (o *oracleTeacher) Look(_ context.Context, views []distill.View) ([]distill.Record, error) {
	recs := make([]distill.Record, len(views))
	for i, v := range views {
		for _, in := range o.split.Instances {
			p, err := distill.PlainView(in, nil, o.sc)
			if err != nil {
				return nil, err
			}
			if p.ToImage != v.ToImage {
				continue
			}
			a := in.Annotation.Keypoints
			kps := make([]codec.Keypoint, len(a)/3)
			for j := range kps {
				kps[j] = codec.Keypoint{X: a[3*j] + o.shift, Y: a[3*j+1], V: a[3*j+2]}
			}
			recs[i] = distill.Record{Keypoints: kps}
		}
		if recs[i].Keypoints == nil {
			panic("oracleTeacher: a view of no person")
		}
	}
	return recs, nil
}

// TestTeacherAgreement scores a teacher that returns the pseudo ground truth itself (AP 1), and
// one that returns it shifted by a few pixels (lower).
func TestTeacherAgreement(t *testing.T) {
	ctx := context.Background()
	data := testkit.SynthData(t, testkit.Synth{Size: 64, MinPeople: 1, MaxPeople: 2, Images: 12, Seed: 5})
	val, err := train.ReadSplit(ctx, data, "val.json")
	if err != nil {
		t.Fatal(err)
	}
	cfg := train.DefaultConfig()
	cfg.InputW, cfg.InputH = 32, 32
	sc, err := distill.SampleConfig(cfg, false, false, false)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		shift  float64
		lo, hi float64
	}{{"exact", 0, 0.999, 1}, {"shifted 3 px", 3, 0, 0.9}} {
		t.Run(tc.name, func(t *testing.T) {
			st, err := TeacherAgreement(ctx, &oracleTeacher{split: val, sc: sc, shift: tc.shift}, val, sc, &distill.RecordCache{Dir: t.TempDir()})
			if err != nil {
				t.Fatal(err)
			}
			if st.AP < tc.lo || st.AP > tc.hi {
				t.Errorf("AP %.3f, want in [%v, %v]", st.AP, tc.lo, tc.hi)
			}
		})
	}
}
