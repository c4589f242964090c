// HTML in and out of the editor: loading the textarea's value, cleaning pasted markup
// (Word, Google Docs, other sites) and serialising the document back to the HTML the
// server stores.

import { DOMParser as PMDOMParser, DOMSerializer } from "prosemirror-model";
import { schema } from "./schema.js";

let pmParser = null;
let pmSerializer = null;
let outDoc = null;

export function parser() {
  return pmParser || (pmParser = PMDOMParser.fromSchema(schema));
}

function serializer() {
  return pmSerializer || (pmSerializer = DOMSerializer.fromSchema(schema));
}

// An inert document for serialising: nothing created in it loads or runs.
function inertDocument() {
  return outDoc || (outDoc = document.implementation.createHTMLDocument(""));
}

// Parsing markup that carries style="…" or on…="…" attributes reports CSP violations
// (even in an inert document), and the CSP blocks those styles anyway. So before any
// parsing, style attributes are renamed to data-rte-style (read by styleMarks below),
// event-handler attributes dropped, and comments, <script>, <style> and the like cut
// out, with a small tokenizer that respects quoted attribute values.
const RAW_TEXT = /^(script|style|textarea|title|xmp|iframe|noembed|noframes|noscript|template)$/i;
const TAG_NAME = /<([a-zA-Z][^\s/>]*)/y;
const ATTR = /[\s/]*(?:([^\s"'>/=]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]*)))?)?/y;

export function neutralize(html) {
  let out = "";
  let i = 0;
  const n = html.length;
  while (i < n) {
    const lt = html.indexOf("<", i);
    if (lt < 0) {
      out += html.slice(i);
      break;
    }
    out += html.slice(i, lt);
    if (html.startsWith("<!--", lt)) {
      const end = html.indexOf("-->", lt + 4);
      i = end < 0 ? n : end + 3;
      continue;
    }
    const next = html.charAt(lt + 1);
    if (next === "!" || next === "?") {
      const end = html.indexOf(">", lt);
      i = end < 0 ? n : end + 1;
      continue;
    }
    if (next === "/") {
      const end = html.indexOf(">", lt);
      out += end < 0 ? html.slice(lt) : html.slice(lt, end + 1);
      i = end < 0 ? n : end + 1;
      continue;
    }
    TAG_NAME.lastIndex = lt;
    const tag = TAG_NAME.exec(html);
    if (!tag) {
      out += "&lt;";
      i = lt + 1;
      continue;
    }
    let j = TAG_NAME.lastIndex;
    let attrs = "";
    while (j < n && html.charAt(j) !== ">") {
      ATTR.lastIndex = j;
      const m = ATTR.exec(html);
      if (!m || ATTR.lastIndex === j) {
        j += 1; // a stray quote or the like: skip it
        continue;
      }
      j = ATTR.lastIndex;
      const name = m[1];
      if (!name) continue;
      const value = m[2] != null ? m[2] : m[3] != null ? m[3] : m[4];
      if (/^style$/i.test(name)) {
        attrs += ' data-rte-style="' + (value || "").replace(/"/g, "&quot;") + '"';
      } else if (!/^on/i.test(name)) {
        attrs += " " + name + (value == null ? "" : '="' + value.replace(/"/g, "&quot;") + '"');
      }
    }
    i = j + 1;
    if (RAW_TEXT.test(tag[1])) {
      // Drop the element with its content.
      const close = html.toLowerCase().indexOf("</" + tag[1].toLowerCase(), i);
      const end = close < 0 ? -1 : html.indexOf(">", close);
      i = end < 0 ? n : end + 1;
      continue;
    }
    out += "<" + tag[1] + attrs + ">";
  }
  return out;
}

/** Parses an HTML string (neutralised first) into an inert document's <body>. */
function parseBody(html) {
  return new window.DOMParser().parseFromString("<!DOCTYPE html><body>" + neutralize(html), "text/html").body;
}

function declarations(el) {
  const out = {};
  (el.getAttribute("data-rte-style") || "").split(";").forEach((decl) => {
    const colon = decl.indexOf(":");
    if (colon > 0) out[decl.slice(0, colon).trim().toLowerCase()] = decl.slice(colon + 1).trim().toLowerCase();
  });
  return out;
}

function wrapChildren(el, tag) {
  const wrapper = el.ownerDocument.createElement(tag);
  while (el.firstChild) wrapper.appendChild(el.firstChild);
  el.appendChild(wrapper);
}

function unwrap(el) {
  while (el.firstChild) el.parentNode.insertBefore(el.firstChild, el);
  el.remove();
}

// Formatting that other editors express in style attributes, as the tags we keep.
function styleMarks(body) {
  Array.from(body.querySelectorAll("[data-rte-style]"))
    .reverse()
    .forEach((el) => {
      const css = declarations(el);
      const tag = el.tagName;
      const weight = css["font-weight"];
      if (weight && /^(normal|[1-4]00)$/.test(weight) && (tag === "B" || tag === "STRONG")) {
        el.removeAttribute("data-rte-style");
        unwrap(el); // Google Docs wraps everything in <b style="font-weight:normal">
        return;
      }
      if (/^(h\d|th)$/i.test(tag)) return;
      if (weight && /^(bold|bolder|[6-9]00)$/.test(weight) && tag !== "B" && tag !== "STRONG") wrapChildren(el, "strong");
      if (css["font-style"] === "italic" && tag !== "I" && tag !== "EM") wrapChildren(el, "em");
      const deco = css["text-decoration"] || css["text-decoration-line"] || "";
      if (/underline/.test(deco) && tag !== "U" && tag !== "A") wrapChildren(el, "u");
      if (/line-through/.test(deco) && tag !== "S") wrapChildren(el, "s");
      if (css["vertical-align"] === "super") wrapChildren(el, "sup");
      else if (css["vertical-align"] === "sub") wrapChildren(el, "sub");
    });
}

const DROP = "script, style, meta, link, title, xml, iframe, object, embed, noscript, template, head";
const BLOCKS = "p, div, h1, h2, h3, h4, h5, h6";

function blank(el) {
  return !el.textContent.replace(/[\s\u00a0\u200b]+/g, "") && !el.querySelector("img, hr, table");
}

// Word writes lists as paragraphs styled "mso-list: l0 level1 lfo1" with the bullet or
// number as text in a span marked "mso-list: Ignore". Turn runs of them into ul/ol.
function wordLists(body) {
  const doc = body.ownerDocument;
  const items = Array.from(body.querySelectorAll("p")).filter((p) =>
    /mso-list:\s*l\d+\s+level\d+/i.test(p.getAttribute("data-rte-style") || "")
  );
  // Decided before anything moves: does this item directly follow the previous one?
  const continues = items.map((p, i) => i > 0 && items[i - 1].nextElementSibling === p);
  let stack = []; // open lists, innermost last: {list, level}
  items.forEach((p, i) => {
    const level = parseInt(/level(\d+)/i.exec(p.getAttribute("data-rte-style"))[1], 10) || 1;
    const marker = p.querySelector('[data-rte-style*="mso-list" i][data-rte-style*="Ignore" i]');
    const markerText = marker ? marker.textContent.replace(/[\s\u00a0]+/g, "") : "";
    if (marker) marker.remove();
    const ordered = /^(\d+|[a-z]|[ivxlc]+)[.)]$/i.test(markerText);
    if (!continues[i]) stack = [];
    while (stack.length && stack[stack.length - 1].level > level) stack.pop();
    let top = stack[stack.length - 1];
    if (!top || top.level < level) {
      const list = doc.createElement(ordered ? "ol" : "ul");
      if (top && top.list.lastElementChild) top.list.lastElementChild.appendChild(list);
      else p.parentNode.insertBefore(list, p);
      top = { list, level };
      stack.push(top);
    }
    const li = doc.createElement("li");
    top.list.appendChild(li);
    li.appendChild(p);
  });
}

/**
 * Cleans pasted markup before the schema sees it: drops comments (Word's conditional
 * blocks, by neutralize), Office namespaced elements (<o:p>, <v:shape>…), scripts and styles, turns
 * Word's list paragraphs into lists and drops the empty paragraphs Word uses for spacing.
 * Returns the cleaned <body> of an inert document.
 */
export function precleanBody(html) {
  const body = parseBody(String(html || ""));
  body.querySelectorAll(DROP).forEach((el) => el.remove());
  Array.from(body.querySelectorAll("*"))
    .filter((el) => el.tagName.indexOf(":") > 0)
    .forEach((el) => el.remove());
  wordLists(body);
  styleMarks(body);
  Array.from(body.querySelectorAll(BLOCKS))
    .reverse()
    .forEach((el) => {
      if (blank(el)) el.remove();
    });
  return body;
}

/** Parses markup for a check (no CSP reports): the inert <body>. */
export function inertBody(html) {
  return parseBody(String(html || ""));
}

/** transformPastedHTML: the cleaned markup as a string. */
export function precleanHtml(html) {
  return precleanBody(html).innerHTML;
}

/** The editor document for a textarea's value (HTML, or plain text from older data). */
export function docFromValue(value) {
  const text = String(value || "");
  if (text.trim() && !/<[a-z!][\s\S]*>/i.test(text)) {
    const holder = parseBody("");
    text
      .trim()
      .split(/\n\s*\n/)
      .forEach((para) => {
        const p = holder.ownerDocument.createElement("p");
        para.split("\n").forEach((line, i) => {
          if (i) p.appendChild(holder.ownerDocument.createElement("br"));
          p.appendChild(holder.ownerDocument.createTextNode(line));
        });
        holder.appendChild(p);
      });
    return parser().parse(holder);
  }
  return parser().parse(parseBody(text));
}

function isEmptyDoc(doc) {
  return (
    doc.childCount === 0 ||
    (doc.childCount === 1 && doc.firstChild.type === schema.nodes.paragraph && doc.firstChild.content.size === 0)
  );
}

// Puts leading all-<th> rows into <thead>, gives header cells their scope, drops the
// editor-only contenteditable on captions and empty figcaptions.
function finish(holder) {
  holder.querySelectorAll("caption[contenteditable]").forEach((c) => c.removeAttribute("contenteditable"));
  holder.querySelectorAll("table").forEach((table) => {
    const tbody = Array.from(table.children).find((c) => c.tagName === "TBODY");
    if (!tbody) return;
    const rows = Array.from(tbody.children);
    let head = 0;
    while (
      head < rows.length &&
      rows[head].children.length &&
      Array.from(rows[head].children).every((c) => c.tagName === "TH")
    ) {
      head += 1;
    }
    if (head) {
      const thead = table.ownerDocument.createElement("thead");
      rows.slice(0, head).forEach((r) => thead.appendChild(r));
      table.insertBefore(thead, tbody);
      if (!tbody.children.length) tbody.remove();
      thead.querySelectorAll("th").forEach((th) => th.setAttribute("scope", "col"));
    }
    tbody.querySelectorAll(":scope > tr > th").forEach((th) => th.setAttribute("scope", "row"));
  });
  holder.querySelectorAll('img:not([src]), img[src=""]').forEach((img) => {
    const figure = img.parentNode.tagName === "FIGURE" ? img.parentNode : null;
    (figure || img).remove();
  });
  holder.querySelectorAll("figcaption").forEach((c) => {
    if (!c.firstChild) c.remove();
  });
}

/** Serialises a fragment (a document's content) to the stored HTML. */
export function fragmentToHtml(fragment) {
  const doc = inertDocument();
  const holder = doc.createElement("div");
  holder.appendChild(serializer().serializeFragment(fragment, { document: doc }));
  finish(holder);
  return holder.innerHTML;
}

/** The HTML the textarea gets for `doc` ("" for an empty document). */
export function docToHtml(doc) {
  return isEmptyDoc(doc) ? "" : fragmentToHtml(doc.content);
}

/** window.trangtinCleanHtml: pasted-style cleaning through the schema and back. */
export function cleanHtml(html) {
  return docToHtml(parser().parse(precleanBody(html)));
}
