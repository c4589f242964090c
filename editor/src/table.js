// Tables: insert (3×3 with a header row, caption asked for), the caption dialog
// ('Tên bảng') and the row/column commands of prosemirror-tables.

import { isInTable } from "prosemirror-tables";
import { openDialog, field } from "./dialog.js";
import { schema } from "./schema.js";
import { insertBlock } from "./commands.js";

const N = schema.nodes;

function emptyCell(type) {
  return type.createAndFill();
}

export function createTable(caption, rows = 3, cols = 3) {
  const out = [];
  for (let r = 0; r < rows; r++) {
    const cells = [];
    for (let c = 0; c < cols; c++) cells.push(emptyCell(r === 0 ? N.table_header : N.table_cell));
    out.push(N.table_row.create(null, cells));
  }
  return N.table.create({ caption: caption || "" }, out);
}

/** The table around the selection: {node, pos} or null. */
export function tableAround(state) {
  const { $from } = state.selection;
  for (let d = $from.depth; d > 0; d--) {
    if ($from.node(d).type === N.table) return { node: $from.node(d), pos: $from.before(d) };
  }
  return null;
}

function captionField(value) {
  const f = field({
    label: "Tên bảng (hiện ở đầu bảng)",
    value,
    hint: "Ví dụ: Kết quả thực hiện nhiệm vụ năm 2025.",
  });
  f.input.setAttribute("autofocus", "");
  return f;
}

const clean = (s) => s.replace(/\s+/g, " ").trim();

export function openInsertTableDialog(view) {
  const caption = captionField("");
  openDialog({
    title: "Chèn bảng",
    className: "rte-table-dialog",
    body: [caption.row],
    submitLabel: "Chèn bảng",
    restoreFocus: () => view.focus(),
    onSubmit: () => {
      view.dispatch(insertBlock(view.state, createTable(clean(caption.input.value))));
      return true;
    },
  });
}

export function openCaptionDialog(view) {
  const table = tableAround(view.state);
  if (!table) return;
  const caption = captionField(table.node.attrs.caption);
  openDialog({
    title: "Tên bảng",
    className: "rte-table-dialog",
    body: [caption.row],
    submitLabel: "Lưu",
    restoreFocus: () => view.focus(),
    onSubmit: () => {
      const now = view.state.doc.nodeAt(table.pos);
      if (now && now.type === N.table) {
        view.dispatch(view.state.tr.setNodeAttribute(table.pos, "caption", clean(caption.input.value)));
      }
      return true;
    },
  });
}

export { isInTable };
