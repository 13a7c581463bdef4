// Package distill is posedistill's knowledge distillation library: teachers (checkpoints trained
// here, imported BlazePose and MoveNet models, each on its own crop of the original image), the distillation
// loss terms of MoVNect/FPD (heatmap blend α·‖H−H_GT‖² + (1−α)·‖H−H_T‖², location maps masked by
// the GT heatmaps, bone lengths) and of ODKD (orderly dual-teacher schedule, binarized teacher
// heatmaps, segmentation knowledge), all described by a Recipe, a JSON value saved with every
// run (recipe.json) whose hash keys the caches; and Train, which runs train.Run (the one
// training loop: validation, checkpoints, bit-for-bit resume) for students and teachers with
// optional location-map and mask heads, the teachers attached as its BeforeStep (Hook).
//
// The applications built on it live elsewhere: the ablation, the demo and their report in
// package experiment, pseudo-labelling and label-free distillation in package pseudolabel,
// pictures of models in package figures.
//
// Teachers see the original image. A View is where a student crop lies in its image (the
// augmentation's affine, flip included); a RegionTeacher (BlazePoseTeacher, MoveNetTeacher,
// NetTeacher) renders the same region at its own input size and aspect (View.TeacherCrop: a
// square for BlazePose and MoveNet, as MediaPipe's ROI; the network's own aspect for a run
// trained here) and returns a Record in image coordinates (keypoints with confidence, soft maps,
// mask). Render warps a record to any augmented crop of the same person and re-renders it in the
// student's codec, so a teacher needs to run only once per person: CacheRecords computes each
// record on the person's un-augmented crop and stores it in a RecordCache (keyed by the model
// file's SHA-256, the image file's SHA-256, the box and the crop geometry), and RegionHook warps
// the records to each batch (or, without records, runs the teachers live on their own crops).
// Teachers that are only Teachers (HeatmapTeacher, DiskCached) still see the student's crops
// through Predict; DiskCached stores their outputs by the SHA-256 of the crops.
//
// # Loss rules
//
// All heatmap terms are MMPose's KeypointMSELoss form: the mean over batch, heatmap pixels and
// joints of w[n,k]·(H[n,y,x,k] − T[n,y,x,k])², with w the GT target weights.
//
// Binarization (ODKD): a teacher heatmap channel T_k is replaced by the indicator
// B_k(p) = 1 if T_k(p) ≥ τ·max_p T_k and max_p T_k ≥ Floor, else 0 (τ = Threshold, 0.5 by
// default; Floor 0.2). A channel whose peak is below Floor, a joint the teacher does not see,
// becomes all zeros. The indicator removes the teacher's low, spread-out responses (the noise
// ODKD blames for degradation: second modes on a neighbouring person, a long tail along the
// limb) while keeping where the teacher puts the joint; its peak value 1 equals the peak of the
// GT gaussians, so both targets ask for the same amplitude.
//
// Segmentation knowledge (ODKD): the senior teacher's mask logits m_T give the probability
// M_T = σ(m_T). The student's light mask head (one 1×1 convolution beside its heatmap head)
// learns it with the binary cross-entropy on logits, mean over pixels:
// L_mask = mean(softplus(m_S) − m_S·M_T). The mask restricts where keypoint evidence may lie:
// with D = the 3×3 max-pool dilation of M_T (keypoints sit on the silhouette's edge and the
// gaussians reach one pixel past it), L_restrict = mean(w[n,k]·H_S[n,y,x,k]²·(1 − D[n,y,x])),
// so student heatmap mass outside the teacher's person mask is penalised.
//
// Location maps (MoVNect): with H_GT the GT heatmap of joint j, L the student's X/Y/Z maps and
// L* the GT or teacher maps, L_loc = mean(w[n,j]·(H_GT[n,y,x,j]·(L[n,y,x,c·J+j] − L*[…]))²);
// the GT heatmaps restrict the loss to the neighbourhood of the joint, where the 3D position is
// read. The bone-length loss compares, per bone (a, b) of the skeleton, ‖P_a − P_b‖ with the GT
// length, P_j being the location maps averaged under the normalised GT heatmap of joint j.
package distill
