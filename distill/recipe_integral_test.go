package distill

import (
	"context"
	"strings"
	"testing"

	"github.com/posedistill/posedistill/train"
)

// A distillation run with the integral codec is refused with a clear error, not trained with
// heatmap terms on logits.
func TestTrainRefusesIntegralCodec(t *testing.T) {
	cfg := train.DefaultConfig()
	cfg.Name, cfg.Codec = "integral-student", "integral"
	_, err := Train(context.Background(), RunOptions{Config: cfg, OutDir: t.TempDir()})
	if err == nil || !strings.Contains(err.Error(), "codec integral") {
		t.Fatalf("error %v, want a refusal naming codec integral", err)
	}
}
