// Entry point of assets/static/js/editor.js (built by editor/build.sh): enhances every
// textarea[data-editor] and the library pickers on the page.

import { enhanceAll } from "./editor.js";
import { enhancePickers } from "./pickers.js";
import { cleanHtml } from "./html.js";

window.trangtinCleanHtml = cleanHtml;

function init() {
  enhanceAll(document);
  enhancePickers(document);
  // When the editors became usable, for the time-to-first-input benchmark.
  window.trangtinEditorReadyAt = performance.now();
}

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
else init();
