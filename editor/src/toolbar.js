// The toolbar: one tab stop (roving tabindex, arrow keys move between buttons), visible
// Vietnamese text on every button, the exact titles the tests and users rely on,
// aria-pressed on toggles and aria-disabled when a command does not apply.

import { undo, redo, undoDepth, redoDepth } from "prosemirror-history";
import { addRowAfter, addColumnAfter, deleteRow, deleteColumn, deleteTable, isInTable } from "prosemirror-tables";
import { h } from "./dom.js";
import { schema } from "./schema.js";
import {
  markActive,
  toggleMarkCmd,
  blockActive,
  setBlock,
  listAround,
  toggleList,
  inBlockquote,
  toggleBlockquote,
  linkAt,
  removeLink,
  selectedImage,
} from "./commands.js";

const N = schema.nodes;
const M = schema.marks;

/**
 * Builds the toolbar for an editor. actions: {link(view), image(view), table(view),
 * caption(view)} open the dialogs.
 * Returns {element, update(state)}.
 */
export function buildToolbar(getView, actions) {
  const heading = (level) => ({ type: N.heading, attrs: { level } });
  const specs = [
    { text: "Đoạn văn", title: "Đoạn văn thường", cmd: setBlock(N.paragraph), pressed: (s) => blockActive(s, N.paragraph) },
    { text: "Tiêu đề mục", title: "Tiêu đề mục (cấp 2)", ...blockSpec(heading(2)) },
    { text: "Tiêu đề nhỏ", title: "Tiêu đề mục nhỏ (cấp 3)", ...blockSpec(heading(3)) },
    { text: "Tiêu đề 4", title: "Tiêu đề cấp 4", ...blockSpec(heading(4)) },
    { sep: true },
    { text: "Đậm", title: "Chữ đậm", cls: "rte-b", keys: "Ctrl+B", cmd: toggleMarkCmd(M.strong), pressed: (s) => markActive(s, M.strong) },
    { text: "Nghiêng", title: "Chữ nghiêng", cls: "rte-i", keys: "Ctrl+I", cmd: toggleMarkCmd(M.em), pressed: (s) => markActive(s, M.em) },
    { sep: true },
    { text: "Danh sách chấm", title: "Danh sách dấu chấm", cmd: toggleList(N.bullet_list), pressed: (s) => isList(s, N.bullet_list) },
    { text: "Danh sách số", title: "Danh sách đánh số", cmd: toggleList(N.ordered_list), pressed: (s) => isList(s, N.ordered_list) },
    { text: "Trích dẫn", title: "Trích dẫn", cmd: toggleBlockquote, pressed: inBlockquote },
    { sep: true },
    { text: "Liên kết", title: "Chèn liên kết", keys: "Ctrl+K", dialog: "link", enabled: (s) => !inCode(s) },
    { text: "Bỏ liên kết", title: "Bỏ liên kết", cmd: removeLink },
    { text: "Bảng", title: "Chèn bảng", dialog: "table", enabled: (s) => !isInTable(s) && !inCode(s) },
    { text: "Ảnh", title: "Chèn ảnh", dialog: "image", enabled: (s) => Boolean(selectedImage(s)) || !inCode(s) },
    { sep: true },
    { text: "Hoàn tác", title: "Hoàn tác", keys: "Ctrl+Z", cmd: undo, enabled: (s) => undoDepth(s) > 0 },
    { text: "Làm lại", title: "Làm lại", keys: "Ctrl+Y", cmd: redo, enabled: (s) => redoDepth(s) > 0 },
  ];
  const tableSpecs = [
    { text: "Thêm hàng", title: "Thêm hàng", cmd: addRowAfter },
    { text: "Thêm cột", title: "Thêm cột", cmd: addColumnAfter },
    { text: "Xóa hàng", title: "Xóa hàng", cmd: deleteRow },
    { text: "Xóa cột", title: "Xóa cột", cmd: deleteColumn },
    { text: "Tên bảng", title: "Tên bảng", dialog: "caption" },
    { text: "Xóa bảng", title: "Xóa bảng", cmd: deleteTable },
  ];

  const buttons = [];
  function makeButton(spec) {
    const button = h(
      "button",
      {
        type: "button",
        class: spec.cls || null,
        title: spec.title,
        "aria-keyshortcuts": spec.keys ? spec.keys.replace("Ctrl", "Control") : null,
        tabindex: "-1",
      },
      spec.text
    );
    if (spec.pressed) button.setAttribute("aria-pressed", "false");
    // Keep the editor's focus and selection while the mouse is down on a button.
    button.addEventListener("mousedown", (event) => event.preventDefault());
    button.addEventListener("click", (event) => {
      event.preventDefault();
      const view = getView();
      if (button.getAttribute("aria-disabled") === "true") return;
      if (spec.dialog) {
        actions[spec.dialog](view);
        return;
      }
      spec.cmd(view.state, view.dispatch, view);
      view.focus();
    });
    buttons.push({ spec, button });
    return button;
  }

  const main = specs.map((spec) => (spec.sep ? h("span", { class: "rte-sep", "aria-hidden": "true" }) : makeButton(spec)));
  const tableGroup = h(
    "span",
    { class: "rte-table-tools", role: "group", "aria-label": "Bảng", hidden: true },
    tableSpecs.map(makeButton)
  );
  const element = h(
    "div",
    { class: "rte-toolbar", role: "toolbar", "aria-label": "Định dạng nội dung" },
    main,
    tableGroup
  );
  buttons[0].button.setAttribute("tabindex", "0");

  const visible = () => buttons.map((b) => b.button).filter((b) => !b.closest("[hidden]"));
  element.addEventListener("keydown", (event) => {
    const list = visible();
    const i = list.indexOf(document.activeElement);
    if (i < 0) return;
    let next = -1;
    if (event.key === "ArrowRight" || event.key === "ArrowDown") next = (i + 1) % list.length;
    else if (event.key === "ArrowLeft" || event.key === "ArrowUp") next = (i - 1 + list.length) % list.length;
    else if (event.key === "Home") next = 0;
    else if (event.key === "End") next = list.length - 1;
    if (next < 0) return;
    event.preventDefault();
    list[next].focus();
  });
  element.addEventListener("focusin", (event) => {
    if (event.target.tagName !== "BUTTON") return;
    buttons.forEach((b) => b.button.setAttribute("tabindex", b.button === event.target ? "0" : "-1"));
  });

  function update(state) {
    const inTable = isInTable(state);
    tableGroup.hidden = !inTable;
    for (const { spec, button } of buttons) {
      if (!inTable && tableSpecs.indexOf(spec) >= 0) continue;
      let enabled = spec.enabled ? spec.enabled(state) : spec.cmd ? spec.cmd(state) : true;
      if (spec.pressed) {
        const on = spec.pressed(state);
        button.setAttribute("aria-pressed", on ? "true" : "false");
        if (on) enabled = true;
      }
      if (spec.title === "Bỏ liên kết") enabled = Boolean(linkAt(state));
      if (enabled) button.removeAttribute("aria-disabled");
      else button.setAttribute("aria-disabled", "true");
    }
    // The tab stop must stay on a visible button.
    const list = visible();
    if (!list.some((b) => b.getAttribute("tabindex") === "0")) {
      buttons.forEach((b) => b.button.setAttribute("tabindex", b.button === list[0] ? "0" : "-1"));
    }
  }

  return { element, update };
}

function blockSpec({ type, attrs }) {
  return { cmd: setBlock(type, attrs), pressed: (s) => blockActive(s, type, attrs) };
}

function isList(state, type) {
  const list = listAround(state);
  return Boolean(list && list.node.type === type);
}

function inCode(state) {
  return state.selection.$from.parent.type.spec.code === true;
}
