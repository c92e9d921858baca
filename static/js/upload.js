// Step 4: send the video in parts straight to storage (S3 presigned URLs or the local
// signed endpoint: the same protocol). Parts go in parallel (bounded), each retried with
// backoff; a dropped network pauses the upload until it is back; a reloaded page asks the
// server which parts it already holds and sends only the others. The server completes.

// `sendVideo` is called by the send page with the video kept in IndexedDB, or by the record
// page itself with the video in memory when this browser could not keep it.

import {
  clearUploadState, forgetVideo, format, loadUploadState, megabytes, readJson, saveUploadState,
} from "./journey-store.js";

const config = readJson("journey-config");
const msg = readJson("journey-messages");
const $ = (id) => document.getElementById(id);
const csrfToken = () => document.querySelector("#upload [name=csrfmiddlewaretoken]").value;

const CONCURRENCY = 3;
const MAX_ATTEMPTS = 8; // per part, while online; offline time does not count
const SIGN_BATCH = 10;

let video = null;
let state = null; // {upload, partSize, partCount, size}
const sent = new Set();
const inflight = new Map(); // part -> bytes sent so far
const urls = new Map(); // part -> signed URL
let lastAnnounced = -1;

class ApiError extends Error {
  constructor(message, status, data) {
    super(message);
    this.status = status;
    this.code = data.code || "";
    this.data = data;
  }
}

function setState(text) {
  $("upload-state").textContent = text;
}

function showError(text) {
  $("upload-error").textContent = text;
  $("upload-error").hidden = !text;
}

function partBytes(part) {
  return part < state.partCount ? state.partSize : state.size - state.partSize * (state.partCount - 1);
}

function render() {
  if (!state) return;
  let bytes = 0;
  sent.forEach((part) => { bytes += partBytes(part); });
  inflight.forEach((loaded) => { bytes += loaded; });
  const percent = Math.min(100, Math.floor((bytes / state.size) * 100));
  $("upload-progress").value = percent;
  $("upload-progress").textContent = `${percent} %`;
  $("upload-percent").textContent = `${percent} %`;
  $("upload-bytes").textContent =
    `(${megabytes(bytes, msg.megabytes)} / ${megabytes(state.size, msg.megabytes)})`;
  // Screen readers hear every 10 %, not every progress event.
  const step = Math.floor(percent / 10) * 10;
  if (step !== lastAnnounced) {
    lastAnnounced = step;
    $("upload-live").textContent = format(msg.percentSent, { percent: `${step} %` });
  }
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function backOnline() {
  if (navigator.onLine) return Promise.resolve();
  setState(msg.offline);
  return new Promise((resolve) => window.addEventListener("online", () => resolve(), { once: true }));
}

async function pause(attempt) {
  if (!navigator.onLine) {
    await backOnline();
    setState(msg.sending);
    return;
  }
  setState(msg.retrying);
  const delay = Math.min(30000, 1000 * 2 ** attempt) * (0.75 + Math.random() / 2);
  await sleep(delay);
  setState(msg.sending);
}

async function api(url, body) {
  let response;
  try {
    response = await fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
      body: JSON.stringify(body),
    });
  } catch (error) {
    throw new ApiError(msg.failed, 0, { code: "network" });
  }
  let data = {};
  try {
    data = await response.json();
  } catch (error) {
    data = {};
  }
  if (!response.ok) throw new ApiError(data.error || msg.failed, response.status, data);
  return data;
}

// Call the API again after network failures and server errors; refusals (4xx) are final.
async function apiRetrying(url, body) {
  for (let attempt = 0; ; attempt += 1) {
    try {
      return await api(url, body);
    } catch (error) {
      const transient = error.status === 0 || error.status >= 500;
      if (!transient || attempt >= MAX_ATTEMPTS) throw error;
      await pause(attempt);
    }
  }
}

let signing = null; // the sign request in flight, shared by the parallel part senders

async function signMissing(part) {
  // Senders that need a URL while a batch is being signed wait for it instead of asking for
  // the same parts again (three senders starting together made three requests).
  while (signing) {
    await signing.catch(() => {});
    if (urls.has(part)) return;
  }
  const wanted = [];
  for (let n = part; n <= state.partCount && wanted.length < SIGN_BATCH; n += 1) {
    if (!sent.has(n) && !urls.has(n)) wanted.push(n);
  }
  signing = apiRetrying(config.urls.sign, { upload: state.upload, parts: wanted }).then((data) => {
    Object.entries(data.urls).forEach(([n, url]) => urls.set(Number(n), url));
  });
  try {
    await signing;
  } finally {
    signing = null;
  }
}

function put(url, blob, part) {
  return new Promise((resolve) => {
    const xhr = new XMLHttpRequest();
    xhr.open("PUT", url);
    xhr.upload.onprogress = (event) => {
      inflight.set(part, event.loaded);
      render();
    };
    xhr.onload = () => resolve(xhr.status);
    xhr.onerror = () => resolve(0);
    xhr.ontimeout = () => resolve(0);
    xhr.onabort = () => resolve(0);
    xhr.send(blob);
  });
}

async function sendPart(part) {
  const start = (part - 1) * state.partSize;
  const blob = video.blob.slice(start, start + partBytes(part));
  for (let attempt = 0; ; attempt += 1) {
    if (!urls.has(part)) await signMissing(part);
    const status = await put(urls.get(part), blob, part);
    inflight.delete(part);
    if (status >= 200 && status < 300) {
      sent.add(part);
      render();
      return;
    }
    render();
    if (status === 403) urls.delete(part); // the signed URL expired: ask for a fresh one
    if (attempt >= MAX_ATTEMPTS && navigator.onLine) throw new ApiError(msg.failed, status, {});
    await pause(attempt);
  }
}

async function sendAll() {
  const queue = [];
  for (let part = 1; part <= state.partCount; part += 1) if (!sent.has(part)) queue.push(part);
  const worker = async () => {
    while (queue.length) await sendPart(queue.shift());
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, queue.length) }, worker));
}

async function startOrResume() {
  state = loadUploadState(config.testimonial);
  if (state && state.size === video.blob.size) {
    try {
      const known = await apiRetrying(config.urls.state, { upload: state.upload });
      if (known.done) return known;
      Object.entries(known.parts).forEach(([n, size]) => {
        if (size === partBytes(Number(n))) sent.add(Number(n));
      });
      render();
      return null;
    } catch (error) {
      if (error.status === 0 || error.status >= 500) throw error;
      clearUploadState(config.testimonial); // expired or not ours: start again
    }
  }
  const started = await apiRetrying(config.urls.start, {
    size: video.blob.size,
    type: video.type,
    duration: video.duration || 0,
  });
  state = {
    upload: started.upload,
    partSize: started.partSize,
    partCount: started.partCount,
    size: video.blob.size,
  };
  // A new upload: nothing of an earlier one (expired, restarted) counts any more.
  sent.clear();
  urls.clear();
  inflight.clear();
  // The start signs the first parts (a server from before it did not: they are signed later).
  Object.entries(started.urls || {}).forEach(([n, url]) => urls.set(Number(n), url));
  saveUploadState(config.testimonial, state);
  render();
  return null;
}

async function finish(result) {
  setState(msg.done);
  $("upload-progress").value = 100;
  // An engine whose IndexedDB never answers must not keep the resident from the next page.
  await Promise.race([forgetVideo(config.testimonial).catch(() => {}), sleep(1000)]);
  window.location.assign(result.redirect);
}

let wakeLock = null;

async function keepScreenOn() {
  // A phone that dims and sleeps mid-upload pauses it; ask to stay awake where supported.
  try {
    if ("wakeLock" in navigator && !wakeLock) wakeLock = await navigator.wakeLock.request("screen");
  } catch (error) {
    wakeLock = null;
  }
}

async function run() {
  keepScreenOn();
  showError("");
  $("upload-retry").hidden = true;
  $("upload-back").hidden = true;
  setState(msg.preparing);
  try {
    const already = await startOrResume();
    if (already) return finish(already);
    setState(msg.sending);
    for (let round = 0; round < 3; round += 1) {
      await sendAll();
      setState(msg.finishing);
      try {
        return await finish(await apiRetrying(config.urls.complete, { upload: state.upload }));
      } catch (error) {
        // The server saw parts missing or of the wrong size: send those again.
        if (!["missing", "size"].includes(error.code) || !error.data.parts.length) throw error;
        error.data.parts.forEach((part) => sent.delete(part));
        setState(msg.sending);
      }
    }
    throw new ApiError(msg.failed, 409, {});
  } catch (error) {
    showError(error.message || msg.failed);
    if (["expired", "foreign"].includes(error.code)) clearUploadState(config.testimonial);
    if (error.data && error.data.redirect) {
      window.location.assign(error.data.redirect);
      return undefined;
    }
    const final = ["type", "size", "duration"].includes(error.code);
    $("upload-retry").hidden = final;
    $("upload-back").hidden = false;
    setState("");
  }
  return undefined;
}

export function sendVideo(chosen) {
  video = chosen;
  window.addEventListener("offline", () => setState(msg.offline));
  $("upload-retry").addEventListener("click", run);
  return run();
}

export function noVideo() {
  showError(msg.noVideo);
  setState("");
  $("upload-back").hidden = false;
}
