// The pickers of the entry form (server-rendered, working without JS):
//   div.picker[data-picker="cover"]        one image (the cover), by library hash
//   fieldset.picker[data-picker="attachments"]  documents, as checked checkboxes
//   p[data-picker="legal"]                 legal documents, a multiple select listing
//                                          those chosen and the newest
// With JS the typed-in name fields give way to search dialogs over the library, and
// a search over the whole register adds older legal documents to the select.

import { h, uid, clear, isDisabled, formatSize } from "./dom.js";
import { openDialog, searchList } from "./dialog.js";
import { searchFiles, searchLegal } from "./api.js";
import { libraryItemChildren } from "./image.js";

function labelText(label, fallback) {
  if (!label) return fallback;
  return label.textContent.replace(/\s*\([^)]*\)\s*$/, "").trim() || fallback;
}

function enhanceCover(picker) {
  const input = picker.querySelector('input[name="cover"]') || picker.querySelector("input");
  if (!input || isDisabled(input)) return;
  const label = input.id ? picker.querySelector('label[for="' + CSS.escape(input.id) + '"]') : null;
  const row = input.closest("p") || input;
  let current = picker.querySelector(".picker-current");
  if (!current) {
    current = h("div", { class: "picker-current" });
    row.parentNode.insertBefore(current, row.nextSibling);
  }

  // The field now holds the library hash (the server also accepts a file name).
  if (input.dataset.hash) input.value = input.dataset.hash;
  input.type = "hidden";
  row.classList.add("rte-hidden");

  const title = h("p", { class: "picker-title", id: uid("picker-title") }, labelText(label, "Ảnh đại diện"));
  picker.setAttribute("role", "group");
  picker.setAttribute("aria-labelledby", title.id);
  current.setAttribute("aria-live", "polite");
  const choose = h("button", { type: "button", class: "picker-choose" }, "Chọn ảnh đại diện…");
  const remove = h("button", { type: "button", class: "picker-remove" }, "Bỏ ảnh đại diện");
  const actions = h("p", { class: "picker-actions" }, choose, " ", remove);
  picker.insertBefore(title, picker.firstChild);
  current.parentNode.insertBefore(actions, current.nextSibling);
  remove.hidden = !input.value;

  const set = (item) => {
    input.value = item ? item.hash : "";
    input.dataset.hash = item ? item.hash : "";
    clear(current);
    // The same markup the server renders.
    if (item) {
      if (item.thumb) current.appendChild(h("img", { src: item.thumb, alt: "", width: "96" }));
      current.appendChild(document.createTextNode(" "));
      current.appendChild(
        h("span", null, item.name || "", item.alt ? [h("br"), h("small", null, item.alt)] : null)
      );
    } else {
      current.appendChild(h("span", null, "Chưa chọn ảnh."));
    }
    remove.hidden = !item;
    input.dispatchEvent(new Event("change", { bubbles: true }));
  };

  choose.addEventListener("click", () => {
    let ctx = null;
    const search = searchList({
      label: "Tìm ảnh trong thư viện",
      grid: true,
      emptyText: "Thư viện chưa có ảnh.",
      search: (q, signal) => searchFiles(q, "anh", signal),
      render: libraryItemChildren,
      onChoose: (item) => {
        set(item);
        ctx.close();
      },
    });
    search.input.setAttribute("autofocus", "");
    ctx = openDialog({
      title: "Chọn ảnh đại diện",
      className: "rte-picker-dialog",
      body: [search.element],
      restoreFocus: () => choose.focus(),
    });
    search.load();
  });
  remove.addEventListener("click", () => {
    set(null);
    choose.focus();
  });
}

const SCAN_NOTE = "Không tìm kiếm được (bản quét)";

function documentChildren(item) {
  const size = formatSize(item.size);
  return [
    h("span", { class: "rte-result-name" }, item.name || ""),
    size ? h("span", { class: "rte-result-size" }, size) : null,
    item.searchable === false ? h("span", { class: "rte-result-note" }, SCAN_NOTE) : null,
  ];
}

function enhanceAttachments(picker) {
  if (isDisabled(picker)) return;
  const textarea = picker.querySelector("textarea");
  let chosen = picker.querySelector(".picker-chosen");
  if (!chosen) {
    chosen = h("ul", { class: "picker-chosen" });
    const legend = picker.querySelector("legend");
    picker.insertBefore(chosen, legend ? legend.nextSibling : picker.firstChild);
  }
  // The name list stays only when it already holds something (e.g. after an error).
  if (textarea && !textarea.value.trim()) (textarea.closest("p") || textarea).classList.add("rte-hidden");
  const add = h("button", { type: "button", class: "picker-add" }, "Thêm tệp đính kèm…");
  const status = h("span", { class: "picker-status", role: "status" });
  chosen.parentNode.insertBefore(h("p", { class: "picker-actions" }, add, " ", status), chosen.nextSibling);

  const addItem = (item) => {
    const same = Array.from(chosen.querySelectorAll('input[type="checkbox"]')).find((c) => c.value === item.hash);
    if (same) {
      same.checked = true;
      status.textContent = "Tệp " + item.name + " đã có trong danh sách, đã được chọn.";
      return;
    }
    const id = uid("att");
    const size = formatSize(item.size);
    chosen.appendChild(
      h(
        "li",
        null,
        h("input", { type: "checkbox", id, name: "attachments", value: item.hash, checked: true }),
        " ",
        h("label", { for: id }, item.name || item.hash),
        size ? [" ", h("small", null, size)] : null,
        item.searchable === false ? [" ", h("small", { class: "warning" }, SCAN_NOTE)] : null
      )
    );
    status.textContent = "Đã thêm tệp " + (item.name || "") + ".";
  };

  add.addEventListener("click", () => {
    let ctx = null;
    const search = searchList({
      label: "Tìm tài liệu trong thư viện",
      emptyText: "Thư viện chưa có tài liệu.",
      search: (q, signal) => searchFiles(q, "tai-lieu", signal),
      render: documentChildren,
      onChoose: (item) => {
        addItem(item);
        ctx.close();
      },
    });
    search.input.setAttribute("autofocus", "");
    status.textContent = "";
    ctx = openDialog({
      title: "Thêm tệp đính kèm",
      className: "rte-picker-dialog",
      body: [search.element],
      restoreFocus: () => add.focus(),
    });
    search.load();
  });
}

function legalChildren(item) {
  return [
    h("span", { class: "rte-result-name" }, item.label || item.slug || ""),
    item.issued ? h("span", { class: "rte-result-date" }, item.issued) : null,
  ];
}

function enhanceLegal(picker) {
  const select = picker.querySelector("select");
  if (!select || isDisabled(select)) return;
  const label = select.id ? document.querySelector('label[for="' + CSS.escape(select.id) + '"]') : null;
  const name = labelText(label, "Văn bản");
  const find = h("button", { type: "button", class: "picker-add" }, "Tìm văn bản…");
  const status = h("span", { class: "picker-status", role: "status" });
  select.parentNode.insertBefore(h("span", { class: "picker-actions" }, find, " ", status), select.nextSibling);

  // Chosen: selected in the list, added at its top when the list does not have it.
  const choose = (item) => {
    let option = Array.from(select.options).find((o) => o.value === item.slug);
    if (!option) {
      option = new Option(item.label || item.slug, item.slug, true, true);
      select.insertBefore(option, select.firstChild);
    }
    option.selected = true;
    status.textContent = "Đã chọn: " + (item.label || item.slug) + ".";
    select.dispatchEvent(new Event("change", { bubbles: true }));
  };

  find.addEventListener("click", () => {
    let ctx = null;
    const search = searchList({
      label: "Số, ký hiệu hoặc trích yếu",
      emptyText: "Chưa có văn bản nào.",
      search: (q, signal) => searchLegal(q, signal),
      render: legalChildren,
      onChoose: (item) => {
        choose(item);
        ctx.close();
      },
    });
    search.input.setAttribute("autofocus", "");
    status.textContent = "";
    ctx = openDialog({
      title: name + ": tìm văn bản",
      className: "rte-picker-dialog",
      body: [search.element],
      restoreFocus: () => find.focus(),
    });
    search.load();
  });
}

export function enhancePickers(root) {
  (root || document).querySelectorAll("[data-picker]").forEach((picker) => {
    if (picker.dataset.pickerReady) return;
    picker.dataset.pickerReady = "1";
    if (picker.dataset.picker === "cover") enhanceCover(picker);
    else if (picker.dataset.picker === "attachments") enhanceAttachments(picker);
    else if (picker.dataset.picker === "legal") enhanceLegal(picker);
  });
}
