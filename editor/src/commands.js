// Editing commands used by the toolbar and the keymap.

import { NodeSelection, TextSelection, Selection } from "prosemirror-state";
import { setBlockType, toggleMark, wrapIn, lift } from "prosemirror-commands";
import { wrapInList, liftListItem } from "prosemirror-schema-list";
import { schema } from "./schema.js";

const N = schema.nodes;

/** Whether the mark is on the selection (or will be on typed text). */
export function markActive(state, type) {
  const { from, $from, to, empty } = state.selection;
  if (empty) return Boolean(type.isInSet(state.storedMarks || $from.marks()));
  return state.doc.rangeHasMark(from, to, type);
}

export function toggleMarkCmd(type) {
  return toggleMark(type);
}

/** Whether every textblock of the selection is of `type` (with `attrs`). */
export function blockActive(state, type, attrs) {
  const { $from, to } = state.selection;
  if (state.selection instanceof NodeSelection) return false;
  if ($from.parent.type !== type) return false;
  if (attrs && Object.keys(attrs).some((k) => $from.parent.attrs[k] !== attrs[k])) return false;
  return to <= $from.end();
}

function inFigure(state) {
  const { $from } = state.selection;
  return $from.parent.type === N.figcaption;
}

/** Sets the textblocks to `type`; setting an active heading again makes a paragraph. */
export function setBlock(type, attrs) {
  return (state, dispatch) => {
    if (inFigure(state)) return false;
    if (type !== N.paragraph && blockActive(state, type, attrs)) {
      return setBlockType(N.paragraph)(state, dispatch);
    }
    return setBlockType(type, attrs)(state, dispatch);
  };
}

/** The closest list around the selection: {node, pos, depth} or null. */
export function listAround(state) {
  const { $from } = state.selection;
  for (let d = $from.depth; d > 0; d--) {
    const node = $from.node(d);
    if (node.type === N.bullet_list || node.type === N.ordered_list) {
      return { node, pos: $from.before(d), depth: d };
    }
    if (node.type.spec.tableRole === "cell" || node.type.spec.tableRole === "header_cell") return null;
  }
  return null;
}

/** Bullet/numbered list button: wrap, unwrap, or switch the list's kind. */
export function toggleList(type) {
  return (state, dispatch) => {
    if (inFigure(state)) return false;
    const list = listAround(state);
    if (list && list.node.type === type) return liftListItem(N.list_item)(state, dispatch);
    if (list) {
      if (dispatch) dispatch(state.tr.setNodeMarkup(list.pos, type));
      return true;
    }
    return wrapInList(type)(state, dispatch);
  };
}

export function inBlockquote(state) {
  const { $from } = state.selection;
  for (let d = $from.depth; d > 0; d--) if ($from.node(d).type === N.blockquote) return true;
  return false;
}

export function toggleBlockquote(state, dispatch) {
  if (inFigure(state)) return false;
  if (inBlockquote(state)) return lift(state, dispatch);
  return wrapIn(N.blockquote)(state, dispatch);
}

/** The extent of the mark of `type` at (or just before) $pos: {from, to, mark} or null. */
export function markExtent($pos, type) {
  const parent = $pos.parent;
  let index = $pos.index();
  let mark = index < parent.childCount ? type.isInSet(parent.child(index).marks) : null;
  if (!mark && index > 0 && $pos.textOffset === 0) {
    index -= 1;
    mark = type.isInSet(parent.child(index).marks);
  }
  if (!mark) return null;
  let startIndex = index;
  let endIndex = index + 1;
  while (startIndex > 0 && mark.isInSet(parent.child(startIndex - 1).marks)) startIndex--;
  while (endIndex < parent.childCount && mark.isInSet(parent.child(endIndex).marks)) endIndex++;
  let from = $pos.start();
  for (let i = 0; i < startIndex; i++) from += parent.child(i).nodeSize;
  let to = from;
  for (let i = startIndex; i < endIndex; i++) to += parent.child(i).nodeSize;
  return { from, to, mark };
}

/** The link the selection is in or covers: {from, to, mark} or null. */
export function linkAt(state) {
  const type = schema.marks.link;
  const { empty, $from, from, to } = state.selection;
  if (empty) return markExtent($from, type);
  let found = null;
  state.doc.nodesBetween(from, to, (node, pos) => {
    if (found) return false;
    const mark = node.isInline && type.isInSet(node.marks);
    if (mark) {
      const ext = markExtent(state.doc.resolve(Math.max(pos, from)), type);
      found = ext && { from: Math.min(ext.from, from), to: Math.max(ext.to, to), mark };
    }
    return !found;
  });
  return found;
}

export function removeLink(state, dispatch) {
  const type = schema.marks.link;
  const { empty, from, to } = state.selection;
  const range = empty ? linkAt(state) : state.doc.rangeHasMark(from, to, type) ? { from, to } : null;
  if (!range) return false;
  if (dispatch) dispatch(state.tr.removeMark(range.from, range.to, type).scrollIntoView());
  return true;
}

/**
 * Inserts a block node (figure, table) at the selection, then puts the cursor in a
 * paragraph after it (a new one when needed) or, for tables, in the first cell.
 */
export function insertBlock(state, node) {
  const tr = state.tr;
  const { $from, empty } = state.selection;
  let pos;
  if (
    empty &&
    $from.parent.type === N.paragraph &&
    $from.parent.content.size === 0 &&
    $from.node($from.depth - 1).canReplaceWith($from.index($from.depth - 1), $from.indexAfter($from.depth - 1), node.type)
  ) {
    pos = $from.before();
    tr.replaceWith(pos, $from.after(), node);
  } else {
    tr.replaceSelectionWith(node, false);
    // Find where it went: the outermost ancestor of the new selection of its type.
    const sel = tr.selection;
    if (sel instanceof NodeSelection && sel.node.type === node.type) pos = sel.from;
    else {
      const $s = sel.$from;
      for (let d = 1; d <= $s.depth; d++) {
        if ($s.node(d).type === node.type) {
          pos = $s.before(d);
          break;
        }
      }
    }
  }
  if (pos == null) return tr.scrollIntoView();
  const inserted = tr.doc.nodeAt(pos);
  const end = pos + inserted.nodeSize;
  const $end = tr.doc.resolve(end);
  const next = $end.nodeAfter;
  if ((!next || !next.isTextblock) && $end.parent.canReplaceWith($end.index(), $end.index(), N.paragraph)) {
    tr.insert(end, N.paragraph.create());
  }
  if (node.type === N.table) tr.setSelection(TextSelection.near(tr.doc.resolve(pos + 4)));
  else tr.setSelection(Selection.near(tr.doc.resolve(end + 1)));
  return tr.scrollIntoView();
}

/** Enter in a figure caption: continue in a paragraph after the figure. */
export function exitFigcaption(state, dispatch) {
  const { $from, empty } = state.selection;
  if ($from.parent.type !== N.figcaption || !empty) return false;
  if (dispatch) {
    const end = $from.after($from.depth - 1);
    const tr = state.tr;
    const next = tr.doc.resolve(end).nodeAfter;
    if (!next || next.type !== N.paragraph || next.content.size) tr.insert(end, N.paragraph.create());
    tr.setSelection(TextSelection.create(tr.doc, end + 1));
    dispatch(tr.scrollIntoView());
  }
  return true;
}

/** Backspace at the start of a caption selects the figure instead of breaking it. */
export function selectFigureBackward(state, dispatch) {
  const { $from, empty } = state.selection;
  if (!empty || $from.parent.type !== N.figcaption || $from.parentOffset > 0) return false;
  if (dispatch) dispatch(state.tr.setSelection(NodeSelection.create(state.doc, $from.before($from.depth - 1))));
  return true;
}

/** The figure or inline image the selection is on: {node, pos, kind} or null. */
export function selectedImage(state) {
  const sel = state.selection;
  if (sel instanceof NodeSelection) {
    if (sel.node.type === N.figure) return { node: sel.node, pos: sel.from, kind: "figure" };
    if (sel.node.type === N.image) return { node: sel.node, pos: sel.from, kind: "image" };
  }
  return null;
}
