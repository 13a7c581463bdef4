package smooth_test

import (
	"fmt"

	"github.com/posedistill/posedistill/smooth"
)

func ExampleOneEuro() {
	f, err := smooth.NewOneEuro(smooth.Params{MinCutoff: 1, Beta: 0.1, DCutoff: 1}, 30)
	if err != nil {
		panic(err)
	}
	for i, x := range []float64{10, 10.4, 9.7, 10.2, 10.1} {
		fmt.Printf("%.3f\n", f.Filter(x, float64(i)/30))
	}
	// Output:
	// 10.000
	// 10.081
	// 10.013
	// 10.048
	// 10.057
}

func ExampleKeypointFilter() {
	// Two 3D joints of track 1; joint 1 drops below the confidence threshold in the second frame
	// and is held at its last position.
	kf, err := smooth.NewKeypointFilter(smooth.KeypointConfig{Params: smooth.DefaultParams(), MinScore: 0.3}, 2, 3)
	if err != nil {
		panic(err)
	}
	kf.Update(1, 0.0, []float64{0, 0, 1000, 100, 0, 1000}, []float64{0.9, 0.9})
	pts, scores, err := kf.Update(1, 0.04, []float64{10, 0, 1000, 500, 0, 1000}, []float64{0.9, 0.1})
	if err != nil {
		panic(err)
	}
	fmt.Printf("joint 0 x %.2f, joint 1 x %.0f (score %.1f)\n", pts[0], pts[3], scores[1])
	// Output: joint 0 x 2.01, joint 1 x 100 (score 0.9)
}
