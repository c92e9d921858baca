// The video waiting to be sent and its upload state, kept in the browser so a reload or a
// dropped network never loses it: the file in IndexedDB, the upload token in localStorage.

const DB_NAME = "onprovence-journey";
const STORE = "videos";

function openDb() {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(DB_NAME, 1);
    request.onupgradeneeded = () => request.result.createObjectStore(STORE);
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

async function withStore(mode, action) {
  const db = await openDb();
  try {
    return await new Promise((resolve, reject) => {
      const tx = db.transaction(STORE, mode);
      const request = action(tx.objectStore(STORE));
      tx.oncomplete = () => resolve(request && request.result);
      tx.onerror = () => reject(tx.error);
      tx.onabort = () => reject(tx.error);
    });
  } finally {
    db.close();
  }
}

// Some engines never settle a `put` of a Blob (WebKitGTK here; Safari drops Blobs in private
// browsing): past this delay the caller stops waiting and sends from memory instead.
export const SAVE_TIMEOUT_MS = 4000;

export function saveVideo(testimonialId, video, timeout = SAVE_TIMEOUT_MS) {
  // video: {blob, name, type, duration}
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("IndexedDB did not answer")), timeout);
    withStore("readwrite", (store) => store.put(video, testimonialId)).then(
      (value) => { clearTimeout(timer); resolve(value); },
      (error) => { clearTimeout(timer); reject(error); },
    );
  });
}

export function loadVideo(testimonialId) {
  return withStore("readonly", (store) => store.get(testimonialId));
}

export function forgetVideo(testimonialId) {
  localStorage.removeItem(stateKey(testimonialId));
  return withStore("readwrite", (store) => store.delete(testimonialId));
}

function stateKey(testimonialId) {
  return `onprovence-upload:${testimonialId}`;
}

export function loadUploadState(testimonialId) {
  try {
    return JSON.parse(localStorage.getItem(stateKey(testimonialId)) || "null");
  } catch {
    return null;
  }
}

export function saveUploadState(testimonialId, state) {
  localStorage.setItem(stateKey(testimonialId), JSON.stringify(state));
}

export function clearUploadState(testimonialId) {
  localStorage.removeItem(stateKey(testimonialId));
}

export function readJson(id) {
  const element = document.getElementById(id);
  return element ? JSON.parse(element.textContent) : {};
}

export function format(template, values) {
  return template.replace(/%\((\w+)\)s/g, (_, name) => String(values[name] ?? ""));
}

export function megabytes(bytes, unit) {
  return `${(bytes / (1024 * 1024)).toLocaleString(document.documentElement.lang, {
    maximumFractionDigits: 1,
  })} ${unit}`;
}
