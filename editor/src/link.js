// The link dialog ('Chèn liên kết'): an address typed in or found among the site's
// published entries; link text when nothing is selected.

import { TextSelection } from "prosemirror-state";
import { h } from "./dom.js";
import { openDialog, field, searchList } from "./dialog.js";
import { searchEntries } from "./api.js";
import { schema, safeHref } from "./schema.js";
import { linkAt } from "./commands.js";

export const BAD_ADDRESS = "Địa chỉ phải bắt đầu bằng https://, http://, mailto:, tel: hoặc /.";

export function openLinkDialog(view) {
  const state = view.state;
  const existing = linkAt(state);
  const { empty } = state.selection;
  const needsText = empty && !existing;
  const linkType = schema.marks.link;

  const text = needsText ? field({ label: "Chữ hiển thị (bắt buộc)", required: true }) : null;
  const address = field({
    label: "Địa chỉ: https://… hoặc /…",
    value: existing ? existing.mark.attrs.href : "",
    required: true,
    attrs: { inputmode: "url", spellcheck: "false" },
  });
  (text || address).input.setAttribute("autofocus", "");

  const entries = searchList({
    label: "Tìm bài viết trên trang",
    emptyText: "Chưa có bài viết nào.",
    search: searchEntries,
    render: (item) => [
      h("span", { class: "rte-result-name" }, item.title || item.url || ""),
      item.date ? h("span", { class: "rte-result-date" }, item.date) : null,
    ],
    onChoose: (item) => {
      address.input.value = item.url || "";
      if (text && !text.input.value.trim()) text.input.value = item.title || "";
    },
  });

  openDialog({
    title: existing ? "Sửa liên kết" : "Chèn liên kết",
    className: "rte-link-dialog",
    body: [
      text && text.row,
      address.row,
      h("fieldset", { class: "rte-source" }, h("legend", null, "Hoặc chọn một bài viết trên trang"), entries.element),
    ],
    submitLabel: existing ? "Lưu liên kết" : "Chèn liên kết",
    restoreFocus: () => view.focus(),
    onSubmit: (ctx) => {
      const label = text ? text.input.value.replace(/\s+/g, " ").trim() : "";
      if (text && !label) {
        ctx.error("Vui lòng nhập chữ hiển thị của liên kết.", text.input);
        return false;
      }
      const raw = address.input.value.trim();
      if (!raw) {
        ctx.error("Vui lòng nhập địa chỉ liên kết. " + BAD_ADDRESS, address.input);
        return false;
      }
      const href = safeHref(raw);
      if (!href) {
        ctx.error(BAD_ADDRESS, address.input);
        return false;
      }
      const now = view.state;
      const title = existing && existing.mark.attrs.title;
      const mark = linkType.create({ href, title: title || null });
      const tr = now.tr;
      if (needsText) {
        const { from } = now.selection;
        const marks = (now.storedMarks || now.selection.$from.marks()).filter((m) => m.type !== linkType);
        tr.replaceSelectionWith(schema.text(label, mark.addToSet(marks)), false);
        tr.setSelection(TextSelection.create(tr.doc, from + label.length));
        tr.setStoredMarks(marks);
      } else {
        const range = existing && now.selection.empty ? existing : { from: now.selection.from, to: now.selection.to };
        tr.removeMark(range.from, range.to, linkType).addMark(range.from, range.to, mark);
      }
      view.dispatch(tr.scrollIntoView());
      return true;
    },
  });
  entries.load();
}
