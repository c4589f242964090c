// The document schema: exactly the markup the server's sanitiser keeps.
//   p br h2 h3 h4 strong/b em/i u s sub sup ul ol(start) li a(href,title) blockquote
//   table caption thead tbody tfoot tr th(scope,colspan,rowspan) td(colspan,rowspan)
//   img(src,alt,width,height,srcset,sizes) figure figcaption hr pre code
// Anything else that is pasted or loaded is dropped or mapped onto these.

import { Schema, DOMParser as PMDOMParser, Fragment } from "prosemirror-model";

/** A link address we accept: http(s), mailto:, tel:, or a path on this site. */
export function safeHref(value) {
  if (typeof value !== "string") return null;
  const href = value.trim();
  if (/^https?:\/\/[^\s/?#]+[^\s]*$/i.test(href)) return href;
  if (/^mailto:[^\s]+$/i.test(href)) return href;
  if (/^tel:\+?[0-9][0-9\-.() ]*$/i.test(href)) return href.replace(/ /g, "");
  if (/^\/(?![/\\])[^\s]*$/.test(href)) return href;
  return null;
}

/** An image address we accept: http(s) or a path on this site. */
export function safeSrc(value) {
  if (typeof value !== "string") return null;
  const src = value.trim();
  if (/^https?:\/\/[^\s/?#]+[^\s]*$/i.test(src)) return src;
  if (/^\/(?![/\\])[^\s]*$/.test(src)) return src;
  return null;
}

function dimension(value) {
  if (value == null || value === "") return null;
  const n = parseInt(String(value), 10);
  return n > 0 && n < 100000 ? n : null;
}

const imageAttrSpec = {
  // A default keeps figure_image "generatable" for ProseMirror; an image without an
  // address is dropped on serialisation (html.js).
  src: { default: "" },
  alt: { default: "" },
  srcset: { default: null },
  sizes: { default: null },
  width: { default: null },
  height: { default: null },
};

/** Attributes of an <img> element, or null when its address is not acceptable. */
export function imageAttrsOf(img) {
  const src = safeSrc(img.getAttribute("src"));
  if (!src) return null;
  return {
    src,
    alt: (img.getAttribute("alt") || "").trim(),
    srcset: img.getAttribute("srcset") || null,
    sizes: img.getAttribute("sizes") || null,
    width: dimension(img.getAttribute("width")),
    height: dimension(img.getAttribute("height")),
  };
}

function imageDOMAttrs(attrs) {
  return {
    src: attrs.src,
    alt: attrs.alt || "",
    srcset: attrs.srcset || null,
    sizes: attrs.srcset && attrs.sizes ? attrs.sizes : null,
    width: attrs.width == null ? null : String(attrs.width),
    height: attrs.height == null ? null : String(attrs.height),
  };
}

function cellAttrs(dom) {
  const span = (name) => {
    const n = parseInt(dom.getAttribute(name) || "1", 10);
    return n > 1 && n < 1000 ? n : 1;
  };
  return { colspan: span("colspan"), rowspan: span("rowspan") };
}

function cellDOMAttrs(node) {
  const attrs = {};
  if (node.attrs.colspan !== 1) attrs.colspan = String(node.attrs.colspan);
  if (node.attrs.rowspan !== 1) attrs.rowspan = String(node.attrs.rowspan);
  return attrs;
}

const cellSpec = (tag, role) => ({
  content: "block+",
  attrs: {
    colspan: { default: 1 },
    rowspan: { default: 1 },
    colwidth: { default: null }, // prosemirror-tables reads it; never rendered
  },
  tableRole: role,
  isolating: true,
  parseDOM: [{ tag, getAttrs: cellAttrs }],
  toDOM: (node) => [tag, cellDOMAttrs(node), 0],
});

function captionOf(table) {
  for (const child of Array.from(table.children)) {
    if (child.tagName === "CAPTION") return child.textContent.replace(/\s+/g, " ").trim();
  }
  return "";
}

let parser = null;
function captionParser() {
  return parser || (parser = PMDOMParser.fromSchema(schema));
}

export const schema = new Schema({
  nodes: {
    doc: { content: "block+" },
    paragraph: {
      content: "inline*",
      group: "block",
      parseDOM: [{ tag: "p" }],
      toDOM: () => ["p", 0],
    },
    heading: {
      attrs: { level: { default: 2 } },
      content: "inline*",
      group: "block",
      defining: true,
      parseDOM: [
        { tag: "h1", attrs: { level: 2 } },
        { tag: "h2", attrs: { level: 2 } },
        { tag: "h3", attrs: { level: 3 } },
        { tag: "h4", attrs: { level: 4 } },
        { tag: "h5", attrs: { level: 4 } },
        { tag: "h6", attrs: { level: 4 } },
      ],
      toDOM: (node) => ["h" + node.attrs.level, 0],
    },
    blockquote: {
      content: "block+",
      group: "block",
      defining: true,
      parseDOM: [{ tag: "blockquote" }],
      toDOM: () => ["blockquote", 0],
    },
    horizontal_rule: {
      group: "block",
      parseDOM: [{ tag: "hr" }],
      toDOM: () => ["hr"],
    },
    code_block: {
      content: "text*",
      marks: "",
      group: "block",
      code: true,
      defining: true,
      parseDOM: [{ tag: "pre", preserveWhitespace: "full" }],
      toDOM: () => ["pre", ["code", 0]],
    },
    bullet_list: {
      content: "list_item+",
      group: "block",
      parseDOM: [{ tag: "ul" }],
      toDOM: () => ["ul", 0],
    },
    ordered_list: {
      attrs: { order: { default: 1 } },
      content: "list_item+",
      group: "block",
      parseDOM: [
        {
          tag: "ol",
          getAttrs: (dom) => {
            const start = parseInt(dom.getAttribute("start") || "1", 10);
            return { order: isFinite(start) ? start : 1 };
          },
        },
      ],
      toDOM: (node) => (node.attrs.order === 1 ? ["ol", 0] : ["ol", { start: String(node.attrs.order) }, 0]),
    },
    list_item: {
      content: "paragraph block*",
      defining: true,
      parseDOM: [{ tag: "li" }],
      toDOM: () => ["li", 0],
    },
    // <figure><img><figcaption>…</figcaption></figure>. The image sits in its own
    // atom (figure_image) so the caption can be edited as text; the figure is selected
    // as a whole (see handleClickOn in editor.js).
    figure: {
      content: "figure_image figcaption",
      group: "block",
      isolating: true,
      draggable: true,
      parseDOM: [
        {
          tag: "figure",
          getAttrs: (dom) => {
            const img = dom.querySelector("img");
            return img && imageAttrsOf(img) ? null : false;
          },
          getContent: (dom, s) => {
            const image = s.nodes.figure_image.create(imageAttrsOf(dom.querySelector("img")));
            const cap = dom.querySelector("figcaption");
            const caption = cap
              ? captionParser().parse(cap, { topNode: s.nodes.figcaption.create() })
              : s.nodes.figcaption.create();
            return Fragment.from([image, caption]);
          },
        },
      ],
      toDOM: () => ["figure", 0],
    },
    figure_image: {
      attrs: imageAttrSpec,
      atom: true,
      selectable: false,
      toDOM: (node) => ["img", imageDOMAttrs(node.attrs)],
    },
    figcaption: {
      content: "(text | hard_break)*",
      toDOM: () => ["figcaption", 0],
    },
    table: {
      attrs: { caption: { default: "" } },
      content: "table_row+",
      tableRole: "table",
      isolating: true,
      group: "block",
      parseDOM: [
        { tag: "table", getAttrs: (dom) => ({ caption: captionOf(dom) }) },
        // The caption is an attribute of the table (prosemirror-tables wants only rows
        // inside a table); colgroup carries nothing we keep.
        { tag: "caption", ignore: true },
        { tag: "colgroup", ignore: true },
      ],
      // In the editor the caption is shown but not editable in place ('Tên bảng'
      // dialog). Serialisation strips contenteditable and sorts rows into thead/tbody
      // (html.js).
      toDOM: (node) =>
        node.attrs.caption
          ? ["table", ["caption", { contenteditable: "false" }, node.attrs.caption], ["tbody", 0]]
          : ["table", ["tbody", 0]],
    },
    table_row: {
      content: "(table_cell | table_header)*",
      tableRole: "row",
      parseDOM: [{ tag: "tr" }],
      toDOM: () => ["tr", 0],
    },
    table_cell: cellSpec("td", "cell"),
    table_header: cellSpec("th", "header_cell"),
    text: { group: "inline" },
    image: {
      inline: true,
      group: "inline",
      attrs: imageAttrSpec,
      draggable: true,
      parseDOM: [{ tag: "img[src]", getAttrs: (dom) => imageAttrsOf(dom) || false }],
      toDOM: (node) => ["img", imageDOMAttrs(node.attrs)],
    },
    hard_break: {
      inline: true,
      group: "inline",
      selectable: false,
      parseDOM: [{ tag: "br" }],
      toDOM: () => ["br"],
    },
  },
  marks: {
    link: {
      attrs: { href: { validate: "string" }, title: { default: null } },
      inclusive: false,
      parseDOM: [
        {
          tag: "a[href]",
          getAttrs: (dom) => {
            const href = safeHref(dom.getAttribute("href"));
            return href ? { href, title: dom.getAttribute("title") || null } : false;
          },
        },
      ],
      toDOM: (mark) => ["a", { href: mark.attrs.href, title: mark.attrs.title || null }, 0],
    },
    strong: {
      // Styled formatting (font-weight: bold…) becomes tags before parsing (html.js).
      parseDOM: [{ tag: "strong" }, { tag: "b" }],
      toDOM: () => ["strong", 0],
    },
    em: {
      parseDOM: [{ tag: "em" }, { tag: "i" }],
      toDOM: () => ["em", 0],
    },
    underline: {
      parseDOM: [{ tag: "u" }],
      toDOM: () => ["u", 0],
    },
    strike: {
      parseDOM: [{ tag: "s" }, { tag: "strike" }, { tag: "del" }],
      toDOM: () => ["s", 0],
    },
    sub: {
      excludes: "sub sup",
      parseDOM: [{ tag: "sub" }],
      toDOM: () => ["sub", 0],
    },
    sup: {
      excludes: "sub sup",
      parseDOM: [{ tag: "sup" }],
      toDOM: () => ["sup", 0],
    },
    code: {
      parseDOM: [{ tag: "code" }],
      toDOM: () => ["code", 0],
    },
  },
});
