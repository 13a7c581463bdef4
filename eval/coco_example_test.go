package eval_test

import (
	"context"
	"fmt"

	"github.com/posedistill/posedistill/dataset"
	"github.com/posedistill/posedistill/eval"
)

// ExampleEvaluateCOCO scores one detection of the only person in an image, 12 pixels off on
// every joint.
func ExampleEvaluateCOCO() {
	gtKps := make([]float64, 0, 51)
	dtKps := make([]float64, 0, 51)
	for k := 0; k < 17; k++ {
		x, y := 100+float64(k%3)*40, 50+float64(k/3)*60
		gtKps = append(gtKps, x, y, 2)
		dtKps = append(dtKps, x+12, y, 0.9)
	}
	gt := &dataset.Dataset{
		Images: []dataset.Image{{ID: 1, Width: 640, Height: 480}},
		Annotations: []dataset.Annotation{{ID: 1, ImageID: 1, CategoryID: 1, NumKeypoints: 17,
			Area: 120 * 360, BBox: [4]float64{90, 40, 120, 360}, Keypoints: gtKps}},
		Categories: []dataset.Category{{ID: 1, Name: "person"}},
	}
	results := []dataset.Result{{ImageID: 1, CategoryID: 1, Keypoints: dtKps, Score: 0.9}}
	rep, err := eval.EvaluateCOCO(context.Background(), gt, results, eval.DefaultCOCOParams())
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("AP %.3f AP50 %.3f APm %.0f, nose error %.4f of the person's scale\n",
		rep.Stats.AP, rep.Stats.AP50, rep.Stats.APm, rep.Keypoints[0].MeanError)
	// Output:
	// AP 0.700 AP50 1.000 APm -1, nose error 0.0577 of the person's scale
}
