package pose_test

import (
	"context"
	"fmt"
	"log"

	"github.com/posedistill/posedistill/dataset"
	"github.com/posedistill/posedistill/pose"
)

// Find the people in a photo with BlazePose (the models come from "posedistill models fetch
// blazepose"; a run directory of "posedistill train" works the same way). The people in this
// photo are large: the detector scans the whole image and tiles of 320 pixels only (the default
// adds smaller tiles for people far away, at more cost).
func Example() {
	est, err := pose.Open("blazepose-lite", pose.Options{Detector: pose.DetectorConfig{People: pose.DetectBlazePose, Tiles: []int{320}}})
	if err != nil {
		log.Fatal(err)
	}
	defer est.Close()
	img, err := dataset.LoadImage("/usr/share/doc/opencv-doc/examples/data/basketball1.png")
	if err != nil {
		log.Fatal(err)
	}
	people, err := est.Estimate(context.Background(), img)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(len(people), "people")
	nose := people[0].Keypoints[0]
	fmt.Println("first nose near the standing player's head:", nose.X > 40 && nose.X < 140 && nose.Y > 80 && nose.Y < 160)
	// Output:
	// 2 people
	// first nose near the standing player's head: true
}

// Follow people through video frames, with track ids.
func ExampleEstimator_NewTracker() {
	est, err := pose.Open("blazepose-lite", pose.Options{Detector: pose.DetectorConfig{People: pose.DetectBlazePose, Tiles: []int{320}}})
	if err != nil {
		log.Fatal(err)
	}
	defer est.Close()
	tracker, err := est.NewTracker(pose.TrackerConfig{DetectEvery: 10})
	if err != nil {
		log.Fatal(err)
	}
	frame, err := dataset.LoadImage("/usr/share/doc/opencv-doc/examples/data/basketball1.png")
	if err != nil {
		log.Fatal(err)
	}
	for range 3 { // the same frame three times: the same people, the same ids
		people, err := tracker.Step(context.Background(), frame)
		if err != nil {
			log.Fatal(err)
		}
		var ids []int64
		for _, p := range people {
			ids = append(ids, p.TrackID)
		}
		fmt.Println(ids)
	}
	// Output:
	// [1 2]
	// [1 2]
	// [1 2]
}
