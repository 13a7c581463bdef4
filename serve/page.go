package serve

import (
	"bytes"
	"encoding/json"
	"fmt"
	"html/template"

	"github.com/posedistill/posedistill/skeleton"
)

// pageTemplate is the web page: pick an image, it is POSTed to /v1/pose and drawn on a canvas
// with the skeletons of the people found (left side green, right orange, middle blue); pick a
// video, it is POSTed to /v1/video and played, each frame drawn on the canvas with the skeletons
// of its nearest analysed frame (colour by track id). The query parameters image=/path and
// video=/path estimate a file from the same origin at once.
var pageTemplate = template.Must(template.New("page").Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>posedistill: {{.Model}}</title>
<style>
body { font-family: sans-serif; margin: 1.5em; }
canvas { max-width: 100%; border: 1px solid #ccc; display: block; margin-top: 1em; }
#status { margin-top: 0.5em; color: #444; }
#status.error { color: #b00; }
</style></head>
<body>
<h1>posedistill</h1>
<p>Model <code>{{.Model}}</code>. Choose a JPEG or PNG photo, or a short video ({{.VideoLimits}}): the people in it and their poses are drawn below.</p>
<input type="file" id="file" accept="image/jpeg,image/png,video/*">
<div id="status">No image yet.</div>
<canvas id="canvas" width="640" height="360"></canvas>
<video id="video" controls muted playsinline style="display:none; max-width: 480px; margin-top: 0.5em"></video>
<script>
const joints = {{.Joints}};
const bones = {{.Bones}};
const minScore = 0.3;
function side(name) { return name.startsWith("left_") ? "#28dc3c" : name.startsWith("right_") ? "#f07814" : "#3c8cff"; }
const palette = ["#e6194b", "#3cb44b", "#ffe119", "#4363d8", "#f58231", "#911eb4", "#46f0f0", "#f032e6"];
function draw(img, people) {
  const c = document.getElementById("canvas"), g = c.getContext("2d");
  const w0 = img.naturalWidth || img.videoWidth, h0 = img.naturalHeight || img.videoHeight;
  if (c.width != w0 || c.height != h0) { c.width = w0; c.height = h0; }
  g.drawImage(img, 0, 0);
  const w = Math.max(2, c.height / 200);
  people.forEach((p, i) => {
    const k = p.keypoints, pt = j => [k[3*j], k[3*j+1], k[3*j+2]];
    g.strokeStyle = palette[(p.track_id ? p.track_id - 1 : i) % palette.length]; g.lineWidth = w / 2;
    if (p.bbox) g.strokeRect(p.bbox[0], p.bbox[1], p.bbox[2], p.bbox[3]);
    g.lineWidth = w;
    bones.forEach(([a, b]) => {
      const [xa, ya, sa] = pt(a), [xb, yb, sb] = pt(b);
      if (sa < minScore || sb < minScore) return;
      g.strokeStyle = side(joints[b]); g.beginPath(); g.moveTo(xa, ya); g.lineTo(xb, yb); g.stroke();
    });
    joints.forEach((name, j) => {
      const [x, y, s] = pt(j);
      if (s < minScore) return;
      g.fillStyle = side(name); g.beginPath(); g.arc(x, y, 1.5 * w, 0, 2 * Math.PI); g.fill();
    });
  });
}
function fail(msg) { const s = document.getElementById("status"); s.className = "error"; s.textContent = msg; }
async function estimate(f) {
  if ((f.type || "").startsWith("video/")) return estimateVideo(f);
  const status = document.getElementById("status");
  status.className = ""; status.textContent = "Estimating…";
  document.getElementById("video").style.display = "none";
  const img = new Image();
  img.src = URL.createObjectURL(f);
  await img.decode();
  const t0 = performance.now();
  const res = await fetch("v1/pose", { method: "POST", headers: { "Content-Type": f.type || "application/octet-stream" }, body: f });
  const body = await res.json();
  if (!res.ok) { status.className = "error"; status.textContent = "Error " + res.status + ": " + body.error; return; }
  draw(img, body);
  status.textContent = body.length + (body.length == 1 ? " person" : " people") + " in " + Math.round(performance.now() - t0) + " ms.";
  document.body.dataset.people = body.length;
}
// estimateVideo sends a video to v1/video, then plays it with the people of the analysed frame
// nearest before each shown frame drawn over it.
async function estimateVideo(f) {
  const status = document.getElementById("status"), v = document.getElementById("video");
  status.className = ""; status.textContent = "Analysing the video (this takes a while)…";
  const t0 = performance.now();
  const res = await fetch("v1/video", { method: "POST", headers: { "Content-Type": f.type }, body: f });
  const body = await res.json();
  if (!res.ok) { fail("Error " + res.status + ": " + body.error); return; }
  const frames = body.frames, last = frames.length / body.fps;
  const at = t => { const i = Math.floor(t * body.fps + 1e-6); return i < frames.length ? frames[i].people : []; };
  const show = () => draw(v, at(v.currentTime));
  const loop = () => { show(); if (!v.paused && !v.ended) requestAnimationFrame(loop); };
  // A paused video's first frame is drawable once seeked to (not always at loadeddata).
  v.onloadeddata = () => { v.currentTime = 0.001; };
  v.onseeked = () => { show(); document.body.dataset.drawn = "1"; };
  v.onplay = loop;
  v.onerror = () => fail("This browser cannot play the video; the analysis is in the answer of v1/video.");
  v.src = URL.createObjectURL(f); v.style.display = "block";
  const tracks = new Set(); let poses = 0;
  frames.forEach(fr => fr.people.forEach(p => { tracks.add(p.track_id); poses++; }));
  status.textContent = frames.length + " frames analysed (" + last.toFixed(1) + " s at " + body.fps + " frames/s), " + poses + " poses, " + tracks.size + " tracks, in " + Math.round(performance.now() - t0) + " ms. Press play.";
  document.body.dataset.frames = frames.length;
  document.body.dataset.people = frames[0].people.length;
}
document.getElementById("file").addEventListener("change", ev => { if (ev.target.files[0]) estimate(ev.target.files[0]); });
// ?image=/path and ?video=/path estimate a file of this server's origin (links and tests).
const start = new URLSearchParams(location.search).get("image");
const startVideo = new URLSearchParams(location.search).get("video");
const local = p => p && p.startsWith("/") && !p.startsWith("//");
if (local(start)) {
  fetch(start).then(r => r.blob()).then(estimate).catch(e => fail(String(e)));
} else if (local(startVideo)) {
  fetch(startVideo).then(r => r.blob()).then(b => estimate(b.type.startsWith("video/") ? b : new Blob([b], { type: "video/webm" }))).catch(e => fail(String(e)));
}
</script>
</body></html>
`))

// renderPage renders the page for a model whose keypoints are set.
func renderPage(model string, set *skeleton.Set, videoLimits string) ([]byte, error) {
	var buf bytes.Buffer
	jb, err := json.Marshal(set.Bones)
	if err != nil {
		return nil, err
	}
	err = pageTemplate.Execute(&buf, struct {
		Model       string
		Joints      []string
		Bones       template.JS
		VideoLimits string
	}{model, set.Joints, template.JS(jb), videoLimits})
	if err != nil {
		return nil, fmt.Errorf("serve: page: %w", err)
	}
	return buf.Bytes(), nil
}
