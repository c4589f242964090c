// Turns <textarea data-editor> into a ProseMirror editor with a toolbar. The textarea
// stays in the form (hidden) and always holds the serialised HTML, so the form posts
// exactly what it did without JavaScript.

import { EditorState, Plugin, NodeSelection, TextSelection } from "prosemirror-state";
import { EditorView, Decoration, DecorationSet } from "prosemirror-view";
import { keymap } from "prosemirror-keymap";
import { history, undo, redo } from "prosemirror-history";
import { baseKeymap, chainCommands, exitCode, toggleMark, setBlockType } from "prosemirror-commands";
import { splitListItem, sinkListItem, liftListItem } from "prosemirror-schema-list";
import { dropCursor } from "prosemirror-dropcursor";
import { gapCursor } from "prosemirror-gapcursor";
import { tableEditing, goToNextCell } from "prosemirror-tables";
import { h, uid, csrfToken, isDisabled } from "./dom.js";
import { schema } from "./schema.js";
import { docFromValue, docToHtml, precleanHtml, inertBody } from "./html.js";
import { buildToolbar } from "./toolbar.js";
import { exitFigcaption, selectFigureBackward } from "./commands.js";
import { openImageDialog, imageFileOf } from "./image.js";
import { openLinkDialog } from "./link.js";
import { openInsertTableDialog, openCaptionDialog } from "./table.js";

const N = schema.nodes;
const M = schema.marks;

const insertHardBreak = (state, dispatch) => {
  if (dispatch) dispatch(state.tr.replaceSelectionWith(N.hard_break.create()).scrollIntoView());
  return true;
};

function buildKeymap(open) {
  const item = N.list_item;
  return {
    "Mod-z": undo,
    "Shift-Mod-z": redo,
    "Mod-y": redo,
    "Mod-b": toggleMark(M.strong),
    "Mod-i": toggleMark(M.em),
    "Mod-u": toggleMark(M.underline),
    "Mod-`": toggleMark(M.code),
    "Mod-k": (state, dispatch, view) => {
      if (view) open.link(view);
      return true;
    },
    Enter: chainCommands(exitFigcaption, splitListItem(item)),
    "Shift-Enter": chainCommands(exitCode, insertHardBreak),
    "Mod-Enter": chainCommands(exitCode, insertHardBreak),
    // Tab moves between table cells and indents list items; anywhere else it is left
    // to the browser, so keyboard users can leave the editor.
    Tab: chainCommands(goToNextCell(1), sinkListItem(item)),
    "Shift-Tab": chainCommands(goToNextCell(-1), liftListItem(item)),
    Backspace: selectFigureBackward,
    "Mod-Alt-0": setBlockType(N.paragraph),
    "Mod-Alt-2": setBlockType(N.heading, { level: 2 }),
    "Mod-Alt-3": setBlockType(N.heading, { level: 3 }),
    "Mod-Alt-4": setBlockType(N.heading, { level: 4 }),
  };
}

// A hint in empty figure captions (a class; the text comes from editor.css).
const captionHints = new Plugin({
  props: {
    decorations(state) {
      const decos = [];
      state.doc.descendants((node, pos) => {
        if (node.type === N.figcaption && node.content.size === 0) {
          decos.push(Decoration.node(pos, pos + node.nodeSize, { class: "rte-empty-caption" }));
        }
        return !node.isTextblock;
      });
      return decos.length ? DecorationSet.create(state.doc, decos) : DecorationSet.empty;
    },
  },
});

function labelOf(textarea) {
  if (!textarea.id) return null;
  const scope = textarea.form || document;
  let label = scope.querySelector('label[for="' + CSS.escape(textarea.id) + '"]');
  if (!label) label = document.querySelector('label[for="' + CSS.escape(textarea.id) + '"]');
  if (!label) return null;
  if (!label.id) label.id = uid(textarea.id + "-label");
  return label;
}

/** Enhances one textarea; returns the EditorView (or null when left alone). */
export function enhance(textarea) {
  if (textarea.trangtinEditor || isDisabled(textarea) || textarea.readOnly) return null;
  const form = textarea.form;
  const label = labelOf(textarea);
  const wasRequired = textarea.required;
  const original = textarea.value;
  let changed = false;
  let view = null;

  const open = {
    link: (v) => openLinkDialog(v),
    image: (v, file) => openImageDialog(v, { file, csrf: () => csrfToken(textarea) }),
    table: (v) => openInsertTableDialog(v),
    caption: (v) => openCaptionDialog(v),
  };
  const toolbar = buildToolbar(() => view, open);
  const error = h("p", { class: "rte-error", role: "alert", id: uid("rte-err") });

  const toolbarSync = new Plugin({
    view: () => ({ update: (v) => toolbar.update(v.state) }),
  });

  const attributes = {
    class: "rte-area",
    role: "textbox",
    "aria-multiline": "true",
  };
  if (label) attributes["aria-labelledby"] = label.id;
  else attributes["aria-label"] = textarea.getAttribute("aria-label") || textarea.title || "Nội dung";
  const described = textarea.getAttribute("aria-describedby");
  if (described) attributes["aria-describedby"] = described;
  if (wasRequired) attributes["aria-required"] = "true";

  const state = EditorState.create({
    doc: docFromValue(original),
    plugins: [
      tableEditing(),
      keymap(buildKeymap(open)),
      keymap(baseKeymap),
      history(),
      dropCursor({ class: "rte-dropcursor", color: false }),
      gapCursor(),
      captionHints,
      toolbarSync,
    ],
  });

  const area = h("div");
  const wrapper = h("div", { class: "rte" }, toolbar.element, area, error);
  textarea.parentNode.insertBefore(wrapper, textarea);

  const sync = () => {
    textarea.value = docToHtml(view.state.doc);
  };

  view = new EditorView(
    { mount: area },
    {
      state,
      attributes,
      dispatchTransaction(tr) {
        view.updateState(view.state.apply(tr));
        if (tr.docChanged) {
          changed = true;
          sync();
          if (error.textContent) error.textContent = "";
          textarea.dispatchEvent(new Event("input", { bubbles: true }));
        }
      },
      transformPastedHTML: precleanHtml,
      handlePaste(v, event) {
        const data = event.clipboardData;
        const file = imageFileOf(data);
        if (!file) return false;
        // A copied image usually comes with an <img> in text/html too; text with
        // pictures (Word) comes as text/html that has text: let that through.
        const html = data.getData("text/html");
        if (html && inertBody(html).textContent.trim()) return false;
        event.preventDefault();
        open.image(v, file);
        return true;
      },
      handleDrop(v, event, slice, moved) {
        if (moved) return false;
        const file = imageFileOf(event.dataTransfer);
        if (!file) return false;
        event.preventDefault();
        const at = v.posAtCoords({ left: event.clientX, top: event.clientY });
        if (at) v.dispatch(v.state.tr.setSelection(TextSelection.near(v.state.doc.resolve(at.pos))));
        open.image(v, file);
        return true;
      },
      handleClickOn(v, pos, node, nodePos) {
        // A click on a figure's image selects the whole figure.
        if (node.type === N.figure_image) {
          v.dispatch(v.state.tr.setSelection(NodeSelection.create(v.state.doc, nodePos - 1)));
          return true;
        }
        return false;
      },
      handleDoubleClickOn(v, pos, node, nodePos, event) {
        if (node.type === N.figure_image || node.type === N.image) {
          const at = node.type === N.figure_image ? nodePos - 1 : nodePos;
          v.dispatch(v.state.tr.setSelection(NodeSelection.create(v.state.doc, at)));
          open.image(v);
          return true;
        }
        if (node.type === N.table && event.target.closest && event.target.closest("caption")) {
          v.dispatch(v.state.tr.setSelection(TextSelection.near(v.state.doc.resolve(nodePos + 1))));
          open.caption(v);
          return true;
        }
        return false;
      },
    }
  );
  toolbar.update(view.state);

  // The textarea stays in the form, hidden, and carries the value.
  textarea.required = false;
  textarea.classList.add("rte-hidden");
  textarea.setAttribute("aria-hidden", "true");
  textarea.tabIndex = -1;
  if (label) {
    // Clicking the label focuses the editor, as it focused the textarea.
    label.addEventListener("click", (event) => {
      event.preventDefault();
      view.focus();
    });
  }

  if (form) {
    form.addEventListener("submit", (event) => {
      // Unedited content goes back exactly as it came.
      if (changed) sync();
      else textarea.value = original;
      if (wasRequired && !view.state.doc.textContent.trim() && !hasMedia(view.state.doc)) {
        event.preventDefault();
        error.textContent = "Vui lòng nhập nội dung.";
        view.focus();
      }
    });
  }

  textarea.trangtinEditor = view;
  return view;
}

function hasMedia(doc) {
  let found = false;
  doc.descendants((node) => {
    if (node.type === N.image || node.type === N.figure || node.type === N.table) found = true;
    return !found;
  });
  return found;
}

export function enhanceAll(root) {
  (root || document).querySelectorAll("textarea[data-editor]").forEach((t) => enhance(t));
}
