// Tiny DOM helpers. Elements are built with createElement/setAttribute only: the admin
// pages run under a strict CSP, so nothing here may carry a style attribute or go
// through innerHTML.

let counter = 0;

/** A page-unique id with the given prefix. */
export function uid(prefix) {
  let id;
  do {
    counter += 1;
    id = prefix + "-" + counter;
  } while (document.getElementById(id));
  return id;
}

/**
 * h("button", {type: "button", class: "x", onclick: fn}, "text", child, …)
 * Attribute values of null/undefined/false are skipped; `true` sets an empty attribute.
 */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  if (attrs) {
    for (const name of Object.keys(attrs)) {
      const value = attrs[name];
      if (value == null || value === false) continue;
      if (name === "style") throw new Error("style attributes are not allowed (CSP)");
      if (name.startsWith("on") && typeof value === "function") {
        el.addEventListener(name.slice(2), value);
      } else if (name === "text") {
        el.textContent = value;
      } else {
        el.setAttribute(name, value === true ? "" : String(value));
      }
    }
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children) {
    if (child == null || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else el.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
  }
}

/** Removes every child of `el`. */
export function clear(el) {
  while (el.firstChild) el.removeChild(el.firstChild);
}

/** Calls `fn` once input has paused for `ms` milliseconds. */
export function debounce(fn, ms) {
  let timer = 0;
  return function (...args) {
    clearTimeout(timer);
    timer = setTimeout(() => fn.apply(this, args), ms);
  };
}

/** The CSRF token of the form around `el` (or of the page's first admin form). */
export function csrfToken(el) {
  const form = el && (el.form || el.closest("form"));
  const input =
    (form && form.querySelector('input[name="csrf"]')) ||
    document.querySelector('input[name="csrf"]');
  return input ? input.value : "";
}

/** Whether a form control is switched off (itself or through a disabled fieldset). */
export function isDisabled(el) {
  return Boolean(el.disabled || el.closest("fieldset[disabled]"));
}

/** "1,2 MB" style sizes, with the Vietnamese decimal comma. */
export function formatSize(bytes) {
  // The server sends sizes already written the Vietnamese way ("1,2 MB").
  if (typeof bytes === "string") return bytes;
  if (typeof bytes !== "number" || !isFinite(bytes) || bytes < 0) return "";
  const units = ["B", "KB", "MB", "GB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  const text = unit === 0 ? String(value) : value.toFixed(value < 10 ? 1 : 0);
  return text.replace(".", ",") + " " + units[unit];
}
