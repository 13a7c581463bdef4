package figures

import (
	"context"
	"fmt"
	"image"
	"image/draw"

	"github.com/posedistill/posedistill/distill"

	"github.com/posedistill/posedistill/dataset"
	"github.com/posedistill/posedistill/render"
	"github.com/posedistill/posedistill/topdown"
	"github.com/posedistill/posedistill/train"
)

// AgreementFigure writes a PNG grid: one row per held-out image (the first n with people), the
// teacher's pseudo ground truth (split's keypoints) on the left and the student's top-down
// predictions on the same boxes on the right.
func AgreementFigure(ctx context.Context, path string, sc topdown.Config, split *train.Split, n int, student *distill.NetTeacher) error {
	if student == nil || split == nil {
		return fmt.Errorf("agreement figure %s: no student or split", path)
	}
	order, byImage := firstImages(split, n)
	var cells []image.Image
	for _, id := range order {
		insts := byImage[id]
		src, err := dataset.LoadImage(insts[0].ImagePath)
		if err != nil {
			return fmt.Errorf("agreement figure: %w", err)
		}
		res, err := train.Predict(ctx, heatmapFunc(ctx, student, sc), sc, insts, len(insts), false)
		if err != nil {
			return fmt.Errorf("agreement figure: student: %w", err)
		}
		var gt, pred [][]float64
		for _, in := range insts {
			gt = append(gt, in.Annotation.Keypoints)
		}
		for _, r := range res {
			pred = append(pred, r.Keypoints)
		}
		for i, people := range [][][]float64{gt, pred} {
			img := image.NewRGBA(image.Rectangle{Max: src.Bounds().Size()})
			draw.Draw(img, img.Rect, src, src.Bounds().Min, draw.Src)
			st := render.DefaultStyle(img.Rect.Dy())
			st.Occlusion = false
			if i == 1 {
				st.MinScore = 0.2
			}
			for _, kps := range people {
				if err := render.Skeleton(img, sc.Joints, kps, st); err != nil {
					return fmt.Errorf("agreement figure: %w", err)
				}
			}
			cells = append(cells, img)
		}
	}
	if len(cells) == 0 {
		return fmt.Errorf("agreement figure %s: no held-out images", path)
	}
	b := cells[0].Bounds()
	return writeGrid(path, cells, 2, b.Dx(), b.Dy(), "teacher (pseudo-GT)", "student")
}
