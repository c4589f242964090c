// The image dialog ('Chèn ảnh'): upload a file or pick one from the library, with a
// required alt text and an optional caption; or edit the alt/caption of the image the
// selection is on.

import { Fragment } from "prosemirror-model";
import { h, formatSize } from "./dom.js";
import { openDialog, field, searchList } from "./dialog.js";
import { searchFiles, uploadFile } from "./api.js";
import { schema } from "./schema.js";
import { insertBlock, selectedImage } from "./commands.js";

const N = schema.nodes;
export const IMAGE_TYPES = ["image/jpeg", "image/png", "image/webp"];

/** The first image file of a DataTransfer (paste or drop), or null. */
export function imageFileOf(data) {
  if (!data) return null;
  const files = Array.from(data.files || []);
  return files.find((f) => /^image\//.test(f.type)) || null;
}

export function libraryItemChildren(item) {
  return [
    item.thumb ? h("img", { src: item.thumb, alt: "", loading: "lazy", width: "160", height: "120" }) : null,
    h("span", { class: "rte-result-name" }, item.name || ""),
    item.alt ? h("span", { class: "rte-result-alt" }, item.alt) : null,
  ];
}

function figureNode(attrs, caption) {
  return N.figure.create(null, [
    N.figure_image.create(attrs),
    N.figcaption.create(null, caption ? schema.text(caption) : null),
  ]);
}

function attrsFromItem(item, alt) {
  const dim = (v) => (typeof v === "number" && v > 0 ? Math.round(v) : null);
  return {
    src: item.url,
    alt,
    srcset: item.srcset || null,
    sizes: item.sizes || null,
    width: dim(item.width),
    height: dim(item.height),
  };
}

/**
 * Opens the dialog for `view`. options.file: an image file that was pasted or dropped.
 * options.csrf: the token for uploads.
 */
export function openImageDialog(view, options) {
  const editing = options.file ? null : selectedImage(view.state);
  if (editing) return openEditDialog(view, editing, options);

  let chosen = options.file ? { file: options.file } : null;
  let prefilledAlt = "";
  const restoreFocus = () => view.focus();

  const alt = field({
    label: "Mô tả ảnh (alt, bắt buộc)",
    required: true,
    hint: "Tả ngắn gọn điều ảnh cho thấy, cho người không xem được ảnh.",
  });
  const caption = field({ label: "Chú thích ảnh (không bắt buộc)" });
  const note = h("p", { class: "rte-file-note", role: "status" });
  const fileInput = field({
    label: "Tệp ảnh (JPEG, PNG hoặc WebP)",
    type: "file",
    attrs: { accept: IMAGE_TYPES.join(",") },
  });
  const showFile = (file) => {
    note.textContent = file ? "Sẽ tải lên: " + (file.name || "ảnh") + " (" + formatSize(file.size) + ")." : "";
  };
  showFile(chosen && chosen.file);

  const library = searchList({
    label: "Tìm ảnh trong thư viện",
    grid: true,
    emptyText: "Thư viện chưa có ảnh.",
    search: (q, signal) => searchFiles(q, "anh", signal),
    render: libraryItemChildren,
    onChoose: (item) => {
      chosen = { item };
      fileInput.input.value = "";
      showFile(null);
      note.textContent = "Đã chọn ảnh " + (item.name || "") + " trong thư viện.";
      if (!alt.input.value.trim() || alt.input.value === prefilledAlt) {
        alt.input.value = item.alt || "";
        prefilledAlt = alt.input.value;
      }
    },
  });

  fileInput.input.addEventListener("change", () => {
    const file = fileInput.input.files && fileInput.input.files[0];
    chosen = file ? { file } : null;
    library.reset();
    showFile(file);
  });

  const body = [
    h("fieldset", { class: "rte-source" }, h("legend", null, "Tải ảnh lên"), fileInput.row),
    h("fieldset", { class: "rte-source" }, h("legend", null, "Chọn từ thư viện"), library.element),
    note,
    alt.row,
    caption.row,
  ];
  if (options.file) alt.input.setAttribute("autofocus", "");
  else fileInput.input.setAttribute("autofocus", "");

  openDialog({
    title: "Chèn ảnh",
    className: "rte-image-dialog",
    body,
    submitLabel: "Chèn ảnh",
    restoreFocus,
    onSubmit: async (ctx) => {
      if (!chosen) {
        ctx.error("Hãy chọn tệp ảnh để tải lên hoặc chọn một ảnh trong thư viện.", fileInput.input);
        return false;
      }
      if (chosen.file && IMAGE_TYPES.indexOf(chosen.file.type) < 0) {
        ctx.error("Chỉ nhận ảnh JPEG, PNG hoặc WebP.", fileInput.input);
        return false;
      }
      const altText = alt.input.value.replace(/\s+/g, " ").trim();
      if (!altText) {
        ctx.error("Vui lòng nhập mô tả ảnh (alt): ảnh cần mô tả cho người không xem được ảnh.", alt.input);
        return false;
      }
      let item = chosen.item;
      if (chosen.file) {
        ctx.setBusy(true);
        note.textContent = "Đang tải ảnh lên…";
        try {
          item = await uploadFile(chosen.file, altText, options.csrf(), ctx.signal);
        } catch (e) {
          ctx.setBusy(false);
          showFile(chosen.file);
          if (e && e.name === "AbortError") throw e;
          ctx.error(e.message);
          return false;
        }
        ctx.setBusy(false);
      }
      const node = figureNode(attrsFromItem(item, altText), caption.input.value.replace(/\s+/g, " ").trim());
      view.dispatch(insertBlock(view.state, node));
      return true;
    },
  });
  library.load();
}

function openEditDialog(view, target, options) {
  const isFigure = target.kind === "figure";
  const image = isFigure ? target.node.firstChild : target.node;
  const cap = isFigure ? target.node.lastChild : null;
  const alt = field({ label: "Mô tả ảnh (alt, bắt buộc)", value: image.attrs.alt, required: true });
  alt.input.setAttribute("autofocus", "");
  const caption = isFigure ? field({ label: "Chú thích ảnh (không bắt buộc)", value: cap.textContent }) : null;
  const preview = h(
    "p",
    { class: "rte-preview" },
    h("img", { src: image.attrs.src, alt: "", width: "160", height: "120" })
  );
  openDialog({
    title: "Sửa mô tả ảnh",
    className: "rte-image-dialog",
    body: [preview, alt.row, caption && caption.row],
    submitLabel: "Lưu",
    restoreFocus: () => view.focus(),
    onSubmit: (ctx) => {
      const altText = alt.input.value.replace(/\s+/g, " ").trim();
      if (!altText) {
        ctx.error("Vui lòng nhập mô tả ảnh (alt): ảnh cần mô tả cho người không xem được ảnh.", alt.input);
        return false;
      }
      const node = view.state.doc.nodeAt(target.pos);
      if (!node || node.type !== target.node.type) return true; // the document changed meanwhile
      const tr = view.state.tr;
      if (isFigure) {
        const imagePos = target.pos + 1;
        tr.setNodeMarkup(imagePos, null, Object.assign({}, node.firstChild.attrs, { alt: altText }));
        const text = caption.input.value.replace(/\s+/g, " ").trim();
        if (text !== node.lastChild.textContent.replace(/\s+/g, " ").trim()) {
          const capStart = imagePos + node.firstChild.nodeSize + 1;
          tr.replaceWith(capStart, capStart + node.lastChild.content.size, text ? schema.text(text) : Fragment.empty);
        }
      } else {
        tr.setNodeMarkup(target.pos, null, Object.assign({}, node.attrs, { alt: altText }));
      }
      view.dispatch(tr);
      return true;
    },
  });
}
