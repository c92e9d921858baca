// Step 3: record in the page (getUserMedia + MediaRecorder) or pick a video file.
// Preview, 3-2-1 countdown, visible timer, hard stop at the limit, retake, front/back switch.
// The chosen video is kept in IndexedDB, then the send page uploads it; where this browser
// cannot keep it, this page sends it from memory (a reload would then need the file again).

import { format, megabytes, readJson, saveVideo, clearUploadState } from "./journey-store.js";
import { sendVideo } from "./upload.js";

const config = readJson("journey-config");
const msg = readJson("journey-messages");
const limits = config.limits;
const $ = (id) => document.getElementById(id);

const EXTENSIONS = {
  mp4: "video/mp4", m4v: "video/x-m4v", mov: "video/quicktime", qt: "video/quicktime",
  webm: "video/webm", mkv: "video/x-matroska", "3gp": "video/3gpp", "3g2": "video/3gpp2",
};
const RECORDING_TYPES = [
  "video/webm;codecs=vp9,opus", "video/webm;codecs=vp8,opus", "video/webm",
  "video/mp4;codecs=avc1,mp4a", "video/mp4",
];

let stream = null;
let facing = "user";
let recorder = null;
let chosen = null; // {blob, name, type, duration}
let timerHandle = null;
let stopHandle = null;
let stoppedByLimit = false;
let lastSource = "file"; // what the last reviewed video came from: "camera" or "file"

function showError(text) {
  const box = $("record-message");
  box.textContent = text;
  box.hidden = !text;
}

function announce(text) {
  $("recorder-live").textContent = text;
}

function stopCamera() {
  if (stream) stream.getTracks().forEach((track) => track.stop());
  stream = null;
  $("preview").srcObject = null;
}

function cameraOf(media) {
  const track = media && media.getVideoTracks()[0];
  return track ? track.getSettings() : {};
}

function openCamera(video) {
  return navigator.mediaDevices.getUserMedia({
    video: { ...video, width: { ideal: 1280 }, height: { ideal: 720 } },
    audio: true,
  });
}

// `switching`: the resident asked for the other camera. Phones honour facingMode; cameras that
// do not say which way they face (a laptop's, an external one) ignore it, so when the browser
// hands back the same camera, take the next one in the list.
async function startCamera(switching = false) {
  const previous = switching ? cameraOf(stream).deviceId : null;
  stopCamera();
  showError("");
  try {
    stream = await openCamera({ facingMode: facing });
    if (previous && cameraOf(stream).deviceId === previous) {
      const cameras = (await navigator.mediaDevices.enumerateDevices()).filter(
        (device) => device.kind === "videoinput" && device.deviceId,
      );
      const at = cameras.findIndex((device) => device.deviceId === previous);
      const next = cameras[(at + 1) % cameras.length];
      if (next && next.deviceId !== previous) {
        stopCamera();
        stream = await openCamera({ deviceId: { exact: next.deviceId } });
      }
    }
  } catch (error) {
    showError(msg.cameraError);
    $("file-pick").focus();
    return false;
  }
  $("preview").srcObject = stream;
  // A selfie preview reads like a mirror; the recording itself is not flipped.
  const facingNow = cameraOf(stream).facingMode || facing;
  $("preview").classList.toggle("is-mirrored", facingNow === "user");
  if (switching) announce(msg.cameraSwitched);
  $("camera-section").scrollIntoView({ block: "start" });
  $("camera-on").hidden = true;
  $("record-start").hidden = false;
  const devices = await navigator.mediaDevices.enumerateDevices();
  $("camera-switch").hidden = devices.filter((d) => d.kind === "videoinput").length < 2;
  return true;
}

function clock(seconds) {
  const s = Math.floor(seconds);
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
}

function countdown() {
  const box = $("countdown");
  return new Promise((resolve) => {
    let n = 3;
    const tick = () => {
      if (n === 0) {
        box.hidden = true;
        resolve();
        return;
      }
      box.hidden = false;
      box.textContent = String(n);
      announce(format(msg.countdown, { n }));
      n -= 1;
      setTimeout(tick, 1000);
    };
    tick();
  });
}

async function startRecording() {
  $("record-start").hidden = true;
  $("camera-switch").disabled = true;
  $("file-section").hidden = true;
  await countdown();
  const mimeType = RECORDING_TYPES.find((type) => MediaRecorder.isTypeSupported(type)) || "";
  const chunks = [];
  // Bitrates chosen for the resident's uplink (ambassadors/conf.py): a 90 s recording weighs
  // about half what the browser's default makes, with no visible loss once published, for the
  // codecs they were measured with (VP9); others keep the browser's default.
  const options = {};
  if (mimeType) options.mimeType = mimeType;
  if (limits.bitrateCodecs.some((codec) => mimeType.includes(codec))) {
    options.videoBitsPerSecond = limits.videoBitsPerSecond;
    options.audioBitsPerSecond = limits.audioBitsPerSecond;
  }
  recorder = new MediaRecorder(stream, options);
  const started = performance.now();
  recorder.ondataavailable = (event) => event.data.size && chunks.push(event.data);
  recorder.onstop = () => {
    clearInterval(timerHandle);
    clearTimeout(stopHandle);
    const duration = (performance.now() - started) / 1000;
    const type = (recorder.mimeType || mimeType || "video/webm").split(";")[0];
    const extension = type.includes("mp4") ? "mp4" : "webm";
    stopCamera();
    $("timer").hidden = true;
    $("record-stop").hidden = true;
    $("camera-section").hidden = true;
    lastSource = "camera";
    const blob = new Blob(chunks, { type });
    if (!blob.size) {
      // The engine recorded nothing (WebKitGTK's MP4 video recorder here): say so and offer
      // the file picker, rather than a review of an empty video.
      $("file-section").hidden = false;
      $("camera-on").hidden = false;
      $("camera-section").hidden = false;
      $("camera-switch").disabled = false;
      showError(msg.recordingEmpty);
      $("file-pick").focus();
      return;
    }
    review({ blob, name: `video.${extension}`, type, duration });
  };
  recorder.start(1000);
  $("record-stop").hidden = false;
  $("record-stop").focus();
  $("timer").hidden = false;
  announce(msg.recording);
  timerHandle = setInterval(() => {
    $("timer-text").textContent = clock((performance.now() - started) / 1000);
  }, 250);
  // Hard stop at the limit, whatever the resident does: a quarter of a second before it, so
  // the file's own length (which the server measures) is never over the limit.
  stoppedByLimit = false;
  stopHandle = setTimeout(() => {
    stoppedByLimit = true;
    stopRecording();
  }, limits.recordSeconds * 1000 - 250);
}

function stopRecording() {
  if (recorder && recorder.state !== "inactive") recorder.stop();
}

function problemWith(video) {
  if (!limits.types.includes(video.type)) return msg.notVideo;
  if (video.blob.size > limits.maxBytes) {
    return format(msg.tooBig, { max: megabytes(limits.maxBytes, msg.megabytes) });
  }
  if (video.duration && video.duration > limits.maxSeconds) {
    return format(msg.tooLong, { seconds: Math.round(video.duration), max: limits.maxSeconds });
  }
  if (video.duration && video.duration < limits.minSeconds) {
    return format(msg.tooShort, { min: limits.minSeconds });
  }
  return "";
}

// MediaRecorder's WebM (and a fragmented MP4) says nothing of its length: the player shows
// Infinity and cannot be scrubbed. Seeking far past the end makes the browser read the file to
// its end and learn the length; then back to the start. Nothing is played or decoded for show.
function learnDuration(player) {
  if (Number.isFinite(player.duration)) return;
  const known = () => {
    if (!Number.isFinite(player.duration)) return;
    player.removeEventListener("durationchange", known);
    player.removeEventListener("timeupdate", known);
    player.currentTime = 0;
    player.dataset.duration = String(player.duration);
  };
  player.addEventListener("durationchange", known);
  player.addEventListener("timeupdate", known);
  player.currentTime = Number.MAX_SAFE_INTEGER;
}

function review(video) {
  const problem = problemWith(video);
  const playback = $("playback");
  if (playback.src) URL.revokeObjectURL(playback.src);
  delete playback.dataset.duration;
  playback.onloadedmetadata = () => {
    if (Number.isFinite(playback.duration)) playback.dataset.duration = String(playback.duration);
    else learnDuration(playback);
  };
  playback.preload = "metadata";
  playback.src = URL.createObjectURL(video.blob);
  chosen = problem ? null : video;
  $("use-video").hidden = Boolean(problem);
  $("review-info").textContent = format(msg.videoInfo, {
    seconds: video.duration ? Math.round(video.duration) : "?",
    size: megabytes(video.blob.size, msg.megabytes),
  });
  $("review").hidden = false;
  $("file-section").hidden = true;
  showError(problem);
  if (!problem) announce(stoppedByLimit ? `${msg.limitReached} ${msg.stopped}` : msg.stopped);
  $("review-title").focus();
}

// A fragmented MP4 (what Safari and iPhones record) says nothing of its length in its header:
// browsers guess from the first fragments (WebKit said 8.3 s for 12 s). The server decides.
async function isFragmentedMp4(file) {
  try {
    const head = new Uint8Array(await file.slice(0, 4096).arrayBuffer());
    const text = String.fromCharCode(...head);
    return text.includes("mvex") || text.includes("moof");
  } catch (error) {
    return false;
  }
}

// The first bytes of every container the server takes: ISO BMFF (MP4, MOV, 3GP: a box type at
// byte 4) or EBML (WebM, Matroska).
const BOX_TYPES = ["ftyp", "moov", "mdat", "wide", "free", "skip", "pnot", "styp", "moof"];
async function startsLikeAVideo(file) {
  try {
    const head = new Uint8Array(await file.slice(0, 12).arrayBuffer());
    const ebml = head[0] === 0x1a && head[1] === 0x45 && head[2] === 0xdf && head[3] === 0xa3;
    return ebml || BOX_TYPES.includes(String.fromCharCode(...head.slice(4, 8)));
  } catch (error) {
    return false;
  }
}

// Load the file in a <video> as the review player will: {readable, duration}. Readable when
// the browser finds a picture in it (its width and height); its length may be unknown
// (Infinity or NaN: a fragmented MP4, a WebM from MediaRecorder), the server measures it.
// Unreadable when the browser says it cannot decode it, or finds no picture (a damaged file,
// a renamed text, audio only). WebKitGTK never loads a picked file's metadata (as a File or a
// Blob of it; the same bytes over HTTP load at once): after 2 s without an answer, the file's
// first bytes decide (a video container, or not).
function probeVideo(file) {
  return new Promise((resolve) => {
    const probe = document.createElement("video");
    const url = URL.createObjectURL(file);
    let settled = false;
    const done = (readable, duration = 0) => {
      if (settled) return;
      settled = true;
      clearTimeout(timeout);
      probe.removeAttribute("src");
      probe.load();
      URL.revokeObjectURL(url);
      resolve({ readable, duration });
    };
    probe.preload = "metadata";
    probe.muted = true;
    probe.onloadedmetadata = () => {
      const finite = Number.isFinite(probe.duration) && probe.duration > 0;
      done(probe.videoWidth > 0 && probe.videoHeight > 0, finite ? probe.duration : 0);
    };
    probe.onerror = () => done(false);
    const timeout = setTimeout(async () => {
      if (!settled) done(await startsLikeAVideo(file));
    }, 2000);
    probe.src = url;
  });
}

// The browser could not read it: say so, no review, the picker offered again.
function refusePick(input, text) {
  chosen = null;
  showError(text);
  input.value = "";
  $("review").hidden = true;
  $("file-section").hidden = false;
  $("file-pick").focus();
}

async function pickFile(input) {
  const file = input.files && input.files[0];
  if (!file) return;
  showError("");
  const extension = (file.name.split(".").pop() || "").toLowerCase();
  const type = (file.type || EXTENSIONS[extension] || "").split(";")[0];
  if (!type.startsWith("video/")) {
    refusePick(input, msg.notVideo);
    return;
  }
  const [probed, fragmented] = await Promise.all([probeVideo(file), isFragmentedMp4(file)]);
  if (!probed.readable) {
    refusePick(input, msg.unreadable);
    return;
  }
  const duration = fragmented ? 0 : probed.duration;
  // A file replaces the camera: free it and put the camera away while the file is reviewed
  // (as after a recording); "Recommencer" offers to turn it on again.
  stopCamera();
  $("camera-section").hidden = true;
  $("camera-on").hidden = false;
  $("record-start").hidden = true;
  $("camera-switch").hidden = true;
  lastSource = "file";
  review({ blob: file, name: file.name, type, duration });
}

async function useVideo() {
  if (!chosen) return;
  $("use-video").disabled = true;
  try {
    clearUploadState(config.testimonial);
    await saveVideo(config.testimonial, chosen);
  } catch (error) {
    sendFromMemory(chosen);
    return;
  }
  window.location.assign(config.urls.send);
}

// This browser could not keep the video (IndexedDB refused or never answered): send it from
// this page, and say that a reload would need the video again.
function sendFromMemory(video) {
  showError("");
  $("review").hidden = true;
  $("camera-section").hidden = true;
  $("file-section").hidden = true;
  $("upload-section").hidden = false;
  $("upload-memory").textContent = msg.keptInMemory;
  $("upload-title").focus();
  sendVideo(video);
}

function retake() {
  chosen = null;
  $("review").hidden = true;
  $("file-section").hidden = false;
  $("file-pick").value = "";
  $("file-capture").value = "";
  $("use-video").hidden = false;
  showError("");
  if (cameraSupported) {
    $("camera-section").hidden = false;
    $("camera-switch").disabled = false;
  }
  if (cameraSupported && lastSource === "camera") {
    startCamera().then((ok) => ok && $("record-start").focus());
  } else {
    $("file-pick").focus();
  }
}

const cameraSupported = Boolean(
  navigator.mediaDevices && navigator.mediaDevices.getUserMedia && window.MediaRecorder,
);
if (cameraSupported) {
  $("camera-section").hidden = false;
} else {
  // No camera in the page: the questions go with the file picker.
  $("file-title").textContent = $("file-title").dataset.alt;
  $("file-section").prepend($("prompts"));
}
$("camera-on").addEventListener("click", () => startCamera());
$("record-start").addEventListener("click", startRecording);
$("record-stop").addEventListener("click", stopRecording);
$("camera-switch").addEventListener("click", () => {
  facing = facing === "user" ? "environment" : "user";
  startCamera(true);
});
$("file-pick").addEventListener("change", (event) => pickFile(event.target));
$("file-capture").addEventListener("change", (event) => pickFile(event.target));
$("use-video").addEventListener("click", useVideo);
$("retake").addEventListener("click", retake);
