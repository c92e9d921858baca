// The send page: upload the video the record page kept in this browser.

import { loadVideo, readJson } from "./journey-store.js";
import { noVideo, sendVideo } from "./upload.js";

loadVideo(readJson("journey-config").testimonial)
  .then((kept) => (kept ? sendVideo(kept) : noVideo()))
  .catch(noVideo);
