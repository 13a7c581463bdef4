// Package pseudolabel distills without human labels: PseudoLabeler turns BlazePose's people in
// photos and sampled video frames into a COCO dataset (the senior teacher's pseudo ground truth,
// trailing frames held out), and DistillUnlabeled trains a student from two BlazePose teachers on
// it in ODKD's order, measuring its agreement with the senior (OKS AP) and the latencies. Run does
// both, as "posedistill distill-unlabeled".
package pseudolabel
