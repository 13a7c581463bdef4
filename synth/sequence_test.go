package synth

import (
	"bytes"
	"math"
	"testing"
)

func TestSequenceMovesSmoothly(t *testing.T) {
	r := mustRenderer(t, Options{Width: 96, Height: 96, MinPeople: 2, MaxPeople: 3})
	so := SequenceOptions{Frames: 8, FPS: 30}
	for seq := range 6 {
		type track struct{ last []float64 }
		tracks := map[int64]*track{}
		moved := false
		for fr := range so.Frames {
			f, err := r.SequenceFrame(5, seq, fr, so)
			if err != nil {
				t.Fatal(err)
			}
			checkLabels(t, "sequence", f, 96, 96)
			for _, p := range f.People {
				if p.TrackID != int64(seq)*1000+int64(p.Index)+1 {
					t.Errorf("frame %d person %d: track id %d", fr, p.Index, p.TrackID)
				}
				tr := tracks[p.TrackID]
				if tr == nil {
					tr = &track{}
					tracks[p.TrackID] = tr
				}
				if tr.last != nil {
					// At 30 fps no joint moves more than 15 cm between frames (4.5 m/s, a fast wave).
					for j := 0; j < len(p.Joints3D); j += 3 {
						dx, dy, dz := p.Joints3D[j]-tr.last[j], p.Joints3D[j+1]-tr.last[j+1], p.Joints3D[j+2]-tr.last[j+2]
						d := dx*dx + dy*dy + dz*dz
						if d > 150*150 {
							t.Errorf("sequence %d frame %d track %d joint %d jumped %.0f mm", seq, fr, p.TrackID, j/3, math.Sqrt(d))
						}
						if d > 1 {
							moved = true
						}
					}
				}
				tr.last = p.Joints3D
			}
		}
		if !moved {
			t.Error("nobody moved")
		}
	}
	// Frames are deterministic and independent of rendering order.
	a, _ := r.SequenceFrame(5, 2, 5, so)
	b, _ := r.SequenceFrame(5, 2, 5, so)
	if !bytes.Equal(a.Image.Pix, b.Image.Pix) {
		t.Error("frame not deterministic")
	}
	if _, err := r.SequenceFrame(5, 2, 8, so); err == nil {
		t.Error("frame past the end accepted")
	}
	if _, err := r.SequenceFrame(5, 2, 0, SequenceOptions{Frames: 3}); err == nil {
		t.Error("zero fps accepted")
	}
}
