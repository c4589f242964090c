// Modal dialogs (native <dialog>, showModal) and the library/entry search list they
// share. Every dialog has a heading that names it, a label for every field, an error
// area (role="alert") and a "Hủy" button; Esc closes it too. On close the dialog is
// removed and focus goes back where the caller says (the editor, at its selection).

import { h, uid, clear, debounce } from "./dom.js";

/**
 * A labelled field in a <p>. type "textarea" gives a textarea.
 * Returns {row, input}.
 */
export function field({ label, type = "text", value = "", required = false, hint, attrs = {} }) {
  const id = uid("rte-f");
  const input =
    type === "textarea"
      ? h("textarea", Object.assign({ id, rows: "2" }, attrs))
      : h("input", Object.assign({ id, type, autocomplete: "off" }, attrs));
  input.value = value || "";
  if (required) input.setAttribute("aria-required", "true");
  let hintEl = null;
  if (hint) {
    hintEl = h("span", { class: "rte-hint", id: uid("rte-hint") }, hint);
    input.setAttribute("aria-describedby", hintEl.id);
  }
  const row = h("p", { class: "rte-field" }, h("label", { for: id }, label), hintEl, input);
  return { row, input };
}

/**
 * Opens a modal dialog.
 *   title        heading text (also the dialog's accessible name)
 *   body         nodes placed between the heading and the error area
 *   submitLabel  text of the primary button (omit for a dialog with only "Hủy"/"Đóng")
 *   closeLabel   text of the closing button (default "Hủy")
 *   onSubmit(ctx) may be async; return false to keep the dialog open
 *   restoreFocus() called after the dialog closed
 * Returns ctx: {dialog, form, error(msg, input?), clearError(), setBusy(b), close(), signal}
 */
export function openDialog({ title, body, submitLabel, closeLabel = "Hủy", onSubmit, restoreFocus, className = "" }) {
  const titleId = uid("rte-dlg");
  const alertEl = h("p", { class: "rte-alert", role: "alert", id: uid("rte-alert") });
  const submit = submitLabel ? h("button", { type: "submit", class: "primary" }, submitLabel) : null;
  const cancel = h("button", { type: "button", class: "rte-cancel" }, closeLabel);
  const form = h(
    "form",
    { method: "dialog", class: "rte-dialog-form", novalidate: true },
    h("h2", { id: titleId, class: "rte-dialog-title" }, title),
    body,
    // Kept in view at the bottom of a tall dialog (phones): the error and the buttons.
    h("div", { class: "rte-dialog-footer" }, alertEl, h("p", { class: "rte-dialog-actions" }, submit, cancel))
  );
  const dialog = h("dialog", { class: ("rte-dialog " + className).trim(), "aria-labelledby": titleId }, form);
  const aborter = new AbortController();
  let busy = false;
  let invalid = [];

  const ctx = {
    dialog,
    form,
    signal: aborter.signal,
    error(message, input) {
      ctx.clearError();
      alertEl.textContent = message;
      if (input) {
        input.setAttribute("aria-invalid", "true");
        const described = (input.getAttribute("aria-describedby") || "").split(" ").filter(Boolean);
        if (described.indexOf(alertEl.id) < 0) described.push(alertEl.id);
        input.setAttribute("aria-describedby", described.join(" "));
        invalid.push(input);
        input.focus();
      }
    },
    clearError() {
      alertEl.textContent = "";
      invalid.forEach((input) => {
        input.removeAttribute("aria-invalid");
        const described = (input.getAttribute("aria-describedby") || "")
          .split(" ")
          .filter((x) => x && x !== alertEl.id);
        if (described.length) input.setAttribute("aria-describedby", described.join(" "));
        else input.removeAttribute("aria-describedby");
      });
      invalid = [];
    },
    setBusy(value) {
      busy = value;
      form.setAttribute("aria-busy", value ? "true" : "false");
      if (submit) submit.disabled = value;
    },
    close() {
      if (dialog.open) dialog.close();
      finish();
    },
  };

  // Runs once, on close() or on the dialog's own close (Esc): focus goes back at once,
  // before anything else is typed.
  let finished = false;
  function finish() {
    if (finished) return;
    finished = true;
    aborter.abort();
    dialog.remove();
    if (restoreFocus) restoreFocus();
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (busy || !onSubmit) return;
    ctx.clearError();
    let keepOpen = false;
    try {
      keepOpen = (await onSubmit(ctx)) === false;
    } catch (e) {
      if (!(e && e.name === "AbortError")) {
        ctx.error((e && e.message) || "Đã có lỗi. Vui lòng thử lại.");
        keepOpen = true;
      }
    }
    if (!keepOpen) ctx.close();
  });
  cancel.addEventListener("click", () => ctx.close());
  dialog.addEventListener("close", finish);

  document.body.appendChild(dialog);
  dialog.showModal();
  const first = dialog.querySelector("[autofocus]");
  if (first) first.focus();
  return ctx;
}

/**
 * A search field with a live result list of buttons.
 *   label, kind ("anh" | "tai-lieu" | "entries"), search(q, signal) → items
 *   render(item) → children of the result button
 *   onChoose(item, button)
 *   grid: lay results out as thumbnails
 * Returns {element, input, load(), reset()}.
 */
export function searchList({ label, search, render, onChoose, grid = false, emptyText, hint }) {
  const { row, input } = field({ label, type: "search", hint, attrs: { spellcheck: "false" } });
  const status = h("p", { class: "rte-status", role: "status" });
  const list = h("ul", { class: grid ? "rte-results rte-grid" : "rte-results" });
  const element = h("div", { class: "rte-search" }, row, status, list);
  let controller = null;
  let seq = 0;

  async function load() {
    const q = input.value.trim();
    const mine = ++seq;
    if (controller) controller.abort();
    controller = new AbortController();
    status.textContent = "Đang tìm…";
    list.setAttribute("aria-busy", "true");
    let items;
    try {
      items = await search(q, controller.signal);
    } catch (e) {
      if (mine !== seq) return;
      list.removeAttribute("aria-busy");
      if (e && e.name === "AbortError") return;
      status.textContent = "Không tìm được. Vui lòng thử lại.";
      return;
    }
    if (mine !== seq) return;
    list.removeAttribute("aria-busy");
    clear(list);
    items.forEach((item) => {
      const button = h("button", { type: "button", class: "rte-result", "aria-pressed": "false" }, render(item));
      button.addEventListener("click", () => {
        list.querySelectorAll("button[aria-pressed]").forEach((b) => b.setAttribute("aria-pressed", "false"));
        button.setAttribute("aria-pressed", "true");
        onChoose(item, button);
      });
      list.appendChild(h("li", null, button));
    });
    status.textContent = items.length
      ? items.length + " kết quả" + (q ? " cho “" + q + "”." : " mới nhất.")
      : q
      ? "Không có kết quả cho “" + q + "”."
      : emptyText || "Không có kết quả.";
  }

  const later = debounce(load, 250);
  input.addEventListener("input", later);
  // Enter searches at once instead of submitting the dialog.
  input.addEventListener("keydown", (event) => {
    if (event.key === "Enter") {
      event.preventDefault();
      load();
    }
  });

  return {
    element,
    input,
    load,
    reset() {
      list.querySelectorAll("button[aria-pressed]").forEach((b) => b.setAttribute("aria-pressed", "false"));
    },
  };
}
