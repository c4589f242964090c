// Drives Debian's Chromium (headless) against editor/test/serve.py and checks the
// editor bundle end to end. Needs playwright-core and axe-core installed OUTSIDE
// editor/ (they are not part of the build):
//
//   mkdir -p /tmp/edtest && cd /tmp/edtest && npm i --no-save playwright-core axe-core@4.14.1
//   NODE_DEPS=/tmp/edtest/node_modules node editor/test/browser.mjs
//
// Prints one line per check and closes with "N passed, N failed"; exits non-zero on a
// failure. Screenshots go to $SHOTS (default /tmp/editor-shots).

import { createRequire } from "node:module";
import { spawn } from "node:child_process";
import { mkdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const deps = process.env.NODE_DEPS || "/tmp/edtest/node_modules";
const require = createRequire(join(deps, "noop.js"));
const { chromium } = require("playwright-core");
const axeSource = readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");
const shots = process.env.SHOTS || "/tmp/editor-shots";
mkdirSync(shots, { recursive: true });

const PORT = Number(process.env.PORT || 8765);
const BASE = `http://127.0.0.1:${PORT}`;
const AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"];

let passed = 0;
let failed = 0;
function check(name, ok, detail) {
  if (ok) {
    passed += 1;
    console.log("ok   " + name);
  } else {
    failed += 1;
    console.log("FAIL " + name + (detail !== undefined ? "\n     " + JSON.stringify(detail) : ""));
  }
}

const server = spawn("python3", [join(here, "serve.py"), String(PORT)], { stdio: ["ignore", "pipe", "inherit"] });
process.on("exit", () => server.kill());
process.on("uncaughtException", (e) => {
  console.log("FAIL uncaught: " + (e && e.stack));
  console.log(`${passed} passed, ${failed + 1} failed`);
  process.exit(1);
});
await new Promise((resolve, reject) => {
  server.stdout.once("data", resolve);
  server.once("exit", (code) => reject(new Error("serve.py exited " + code)));
});

const browser = await chromium.launch({
  executablePath: "/usr/bin/chromium",
  args: [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
  ],
});

const consoleErrors = [];
async function newPage(viewport) {
  const context = await browser.newContext({ viewport, locale: "vi-VN" });
  const page = await context.newPage();
  await page.addInitScript(() => {
    window.__csp = [];
    document.addEventListener("securitypolicyviolation", (e) =>
      window.__csp.push(e.violatedDirective + " " + e.blockedURI + " " + (e.sample || ""))
    );
  });
  page.on("console", (msg) => {
    if (msg.type() === "error") consoleErrors.push(msg.text());
  });
  page.on("pageerror", (err) => consoleErrors.push("pageerror: " + err.message));
  await fetch(BASE + "/_reset", { method: "POST" });
  await page.goto(BASE + "/");
  await page.waitForSelector(".rte-area");
  return page;
}

async function axe(page, label) {
  // The page's CSP forbids inline scripts; axe goes in through the DevTools protocol.
  if (!(await page.evaluate(() => Boolean(window.axe)))) await page.evaluate(axeSource);
  const violations = await page.evaluate(async (tags) => {
    const r = await window.axe.run(document, { runOnly: { type: "tag", values: tags } });
    return r.violations.map((v) => v.id + ": " + v.help + " @ " + v.nodes.map((n) => n.target.join(" ")).join(", "));
  }, AXE_TAGS);
  check("axe: no WCAG 2.1 AA violations (" + label + ")", violations.length === 0, violations);
}

const log = async () => (await fetch(BASE + "/_log")).json();
const value = (page, id) => page.$eval("#" + id, (t) => t.value);
const area = (id) => `.rte:has(+ #${id}) .rte-area`;
const button = (id, title) => `.rte:has(+ #${id}) button[title="${title}"]`;
const dialog = "dialog.rte-dialog[open]";
const mod = "Control";

// Ctrl+End is the browser's; the editor reads the moved selection on selectionchange.
async function toEnd(page) {
  await page.keyboard.press(mod + "+End");
  await page.waitForTimeout(150);
}

async function pasteFile(page, selector, name) {
  await page.evaluate(
    async ({ selector, name }) => {
      const blob = await (await fetch("/tep/dan/thumb.png")).blob();
      const file = new File([blob], name, { type: "image/png" });
      const data = new DataTransfer();
      data.items.add(file);
      const target = document.querySelector(selector);
      target.dispatchEvent(new ClipboardEvent("paste", { clipboardData: data, bubbles: true, cancelable: true }));
    },
    { selector, name }
  );
  await page.waitForSelector(dialog);
}

// ---------------------------------------------------------------------------------
const page = await newPage({ width: 1280, height: 900 });

// Structure and accessibility of the enhanced field.
const info = await page.evaluate(() => {
  const t = document.getElementById("body");
  const a = document.querySelector(".rte:has(+ #body) .rte-area");
  const label = document.querySelector('label[for="body"]');
  const toolbar = document.querySelector(".rte:has(+ #body) .rte-toolbar");
  return {
    editors: document.querySelectorAll(".rte-area").length,
    role: a.getAttribute("role"),
    multiline: a.getAttribute("aria-multiline"),
    labelledby: a.getAttribute("aria-labelledby"),
    labelId: label.id,
    pm: a.classList.contains("ProseMirror"),
    hidden: t.classList.contains("rte-hidden") && t.getAttribute("aria-hidden") === "true" && t.tabIndex === -1 && !t.required,
    toolbarRole: toolbar.getAttribute("role"),
    toolbarLabel: toolbar.getAttribute("aria-label"),
    titles: Array.from(toolbar.querySelectorAll("button")).map((b) => b.title),
    allTypeButton: Array.from(toolbar.querySelectorAll("button")).every((b) => b.type === "button" && b.textContent.trim()),
    lockedLeftAlone: !document.getElementById("locked").classList.contains("rte-hidden"),
  };
});
check("two editors (the one in fieldset[disabled] is skipped)", info.editors === 2 && info.lockedLeftAlone, info);
check("rte-area: ProseMirror, role=textbox, aria-multiline", info.pm && info.role === "textbox" && info.multiline === "true", info);
check("aria-labelledby points at the label (given an id)", info.labelId && info.labelledby === info.labelId, info);
check("textarea hidden, aria-hidden, tabIndex -1, not required", info.hidden, info);
check("toolbar role and Vietnamese label", info.toolbarRole === "toolbar" && info.toolbarLabel === "Định dạng nội dung", info);
const wanted = [
  "Đoạn văn thường", "Tiêu đề mục (cấp 2)", "Tiêu đề mục nhỏ (cấp 3)", "Tiêu đề cấp 4", "Chữ đậm", "Chữ nghiêng",
  "Danh sách dấu chấm", "Danh sách đánh số", "Trích dẫn", "Chèn liên kết", "Bỏ liên kết", "Chèn bảng", "Chèn ảnh",
  "Hoàn tác", "Làm lại", "Thêm hàng", "Thêm cột", "Xóa hàng", "Xóa cột", "Tên bảng",
];
check("toolbar buttons with the agreed titles and visible text", wanted.every((t) => info.titles.includes(t)) && info.allTypeButton, info.titles);
await axe(page, "page, no dialog");

// Typing: Enter makes paragraphs, Shift+Enter a <br>, Ctrl+B bold.
await page.click(area("body"));
await page.keyboard.type("Đoạn một");
await page.keyboard.press("Enter");
await page.keyboard.type("Đoạn hai");
check("Enter gives two paragraphs", (await value(page, "body")) === "<p>Đoạn một</p><p>Đoạn hai</p>", await value(page, "body"));
await page.keyboard.press("Shift+Enter");
await page.keyboard.type("dòng mới");
check("Shift+Enter gives <br>", (await value(page, "body")).endsWith("<p>Đoạn hai<br>dòng mới</p>"), await value(page, "body"));
await page.keyboard.press("Enter");
await page.keyboard.press(mod + "+b");
await page.keyboard.type("đậm");
await page.keyboard.press(mod + "+b");
await page.keyboard.type(" thường ");
check("Ctrl+B makes <strong>", (await value(page, "body")).endsWith("<p><strong>đậm</strong> thường </p>"), await value(page, "body"));
const pressed = await page.$eval(button("body", "Chữ đậm"), (b) => b.getAttribute("aria-pressed"));
check("bold button exposes aria-pressed", pressed === "false", pressed);
// The toolbar button (as the Rust browser test uses it).
await page.click(button("body", "Chữ đậm"));
await page.keyboard.type("nút đậm");
const pressedNow = await page.$eval(button("body", "Chữ đậm"), (b) => b.getAttribute("aria-pressed"));
await page.click(button("body", "Chữ đậm"));
await page.keyboard.type(" hết");
check("bold button toggles, focus stays in the editor", pressedNow === "true" && (await value(page, "body")).endsWith("<strong>nút đậm</strong> hết</p>"), await value(page, "body"));
await page.keyboard.press(mod + "+z");
check("Ctrl+Z undoes", !(await value(page, "body")).includes(" hết"), await value(page, "body"));
await page.keyboard.press(mod + "+y");
check("Ctrl+Y redoes", (await value(page, "body")).includes(" hết"), await value(page, "body"));
// Heading button, then back.
await page.click(button("body", "Tiêu đề mục (cấp 2)"));
check("heading button makes <h2>", (await value(page, "body")).includes("<h2><strong>đậm</strong>"), await value(page, "body"));
await page.click(button("body", "Đoạn văn thường"));
// Lists: button, Enter splits, Tab indents.
await page.keyboard.press("End");
await page.keyboard.press("Enter");
await page.click(button("body", "Danh sách dấu chấm"));
await page.keyboard.type("một");
await page.keyboard.press("Enter");
await page.keyboard.type("hai");
await page.keyboard.press("Tab");
check("list: Enter splits items, Tab nests", (await value(page, "body")).includes("<ul><li><p>một</p><ul><li><p>hai</p></li></ul></li></ul>"), await value(page, "body"));
await page.keyboard.press("Shift+Tab");
await page.keyboard.press("Enter");
await page.keyboard.press("Enter");
await page.keyboard.type("Sau danh sách");
check("Shift+Tab lifts, Enter on an empty item leaves the list", (await value(page, "body")).includes("<li><p>hai</p></li></ul><p>Sau danh sách</p>"), await value(page, "body"));

// Link through the dialog: selection + search result.
await page.keyboard.press("Shift+Home");
await page.keyboard.press(mod + "+k");
await page.waitForSelector(dialog);
check("Ctrl+K opens the link dialog, named by its heading", await page.$eval(dialog, (d) => {
  const h = document.getElementById(d.getAttribute("aria-labelledby"));
  return h && h.textContent === "Chèn liên kết";
}));
check("selection made: no link-text field", (await page.$$(dialog + " input")).length === 2);
await page.waitForSelector(dialog + " .rte-results button");
await axe(page, "link dialog");
await page.fill(dialog + ' input[type="search"]', "tuyen chon");
await page.waitForFunction(() => {
  const b = document.querySelectorAll("dialog[open] .rte-results button");
  return b.length === 1 && b[0].textContent.includes("tuyển chọn");
});
await page.click(dialog + " .rte-results button");
const addr = await page.$eval(dialog + " input:not([type=search])", (i) => i.value);
check("choosing a search result fills the address", addr === "/thong-bao/tuyen-chon-2027", addr);
await page.click(dialog + " button.primary");
await page.waitForSelector(dialog, { state: "detached" });
check("link from a search result", (await value(page, "body")).includes('<p><a href="/thong-bao/tuyen-chon-2027">Sau danh sách</a></p>'), await value(page, "body"));
check("focus returns to the editor", await page.evaluate(() => document.activeElement.classList.contains("rte-area")));
// Typed address with no selection: text field required, bad address refused.
await page.keyboard.press("End");
await page.keyboard.type(" xem ");
await page.click(button("body", "Chèn liên kết"));
await page.waitForSelector(dialog);
const linkInputs = await page.$$(dialog + " input:not([type=search])");
check("empty selection: 'Chữ hiển thị' field", linkInputs.length === 2 && (await page.$eval(dialog + " label", (l) => l.textContent)).startsWith("Chữ hiển thị"));
await linkInputs[1].fill("javascript:alert(1)");
await page.click(dialog + " button.primary");
let alertText = await page.$eval(dialog + ' [role="alert"]', (a) => a.textContent);
check("link text required", alertText.includes("chữ hiển thị"), alertText);
await linkInputs[0].fill("Cổng thông tin");
await page.click(dialog + " button.primary");
alertText = await page.$eval(dialog + ' [role="alert"]', (a) => a.textContent);
check("javascript: refused with the Vietnamese message", alertText === "Địa chỉ phải bắt đầu bằng https://, http://, mailto:, tel: hoặc /.", alertText);
check("bad address marked aria-invalid", (await linkInputs[1].getAttribute("aria-invalid")) === "true");
await axe(page, "link dialog with an error");
await linkInputs[1].fill("https://chinhphu.vn/");
await page.click(dialog + " button.primary");
await page.waitForSelector(dialog, { state: "detached" });
check("typed link inserted with its text", (await value(page, "body")).includes(' xem <a href="https://chinhphu.vn/">Cổng thông tin</a></p>'), await value(page, "body"));
await page.keyboard.type(" sau");
check("typing after a link does not extend it", (await value(page, "body")).includes("Cổng thông tin</a> sau</p>"), await value(page, "body"));
// Editing an existing link prefills; 'Bỏ liên kết' removes it.
await page.keyboard.press("ArrowLeft");
await page.keyboard.press("ArrowLeft");
await page.keyboard.press("ArrowLeft");
await page.keyboard.press("ArrowLeft");
await page.keyboard.press("ArrowLeft");
await page.keyboard.press(mod + "+k");
await page.waitForSelector(dialog);
const prefilled = await page.$eval(dialog + " input:not([type=search])", (i) => i.value);
check("editing a link prefills its address", prefilled === "https://chinhphu.vn/", prefilled);
await page.keyboard.press("Escape");
await page.waitForSelector(dialog, { state: "detached" });
check("Esc closes, focus back in the editor", await page.evaluate(() => document.activeElement.classList.contains("rte-area")));
await page.click(button("body", "Bỏ liên kết"));
check("'Bỏ liên kết' removes the link", !(await value(page, "body")).includes("chinhphu.vn"), await value(page, "body"));
await toEnd(page);

// Pasting an image file opens the image dialog; alt required; upload order; figure.
await page.keyboard.press("Enter");
await pasteFile(page, area("body"), "anh-dan.png");
check("pasting an image file opens 'Chèn ảnh'", await page.$eval(dialog + " h2", (h) => h.textContent === "Chèn ảnh"));
await page.waitForSelector(dialog + " .rte-results button");
await axe(page, "image dialog");
await page.click(dialog + " button.primary");
alertText = await page.$eval(dialog + ' [role="alert"]', (a) => a.textContent);
check("empty alt refused", alertText.startsWith("Vui lòng nhập mô tả ảnh"), alertText);
check("nothing uploaded without alt", (await log()).uploads.length === 0);
await axe(page, "image dialog with an error");
const altSel = dialog + " .rte-field:has(label:text-is('Mô tả ảnh (alt, bắt buộc)')) input";
await page.fill(altSel, "Biểu đồ dán vào");
await page.fill(dialog + " .rte-field:has(label:text-is('Chú thích ảnh (không bắt buộc)')) input", "Nguồn: Sở KH&CN");
await page.click(dialog + " button.primary");
await page.waitForSelector(dialog, { state: "detached" });
let uploads = (await log()).uploads;
check("upload posted once, fields in order csrf, alt, file, Accept: application/json",
  uploads.length === 1 && uploads[0].order.join(",") === "csrf,alt,file" && uploads[0].accept === "application/json" &&
  uploads[0].alt === "Biểu đồ dán vào" && uploads[0].csrf === "token-abc123" && uploads[0].filename === "anh-dan.png" && uploads[0].bytes > 50,
  uploads);
let body = await value(page, "body");
check("figure with srcset, sizes, size, alt and caption",
  body.includes('<figure><img src="/tep/f00d01/anh-dan.png" alt="Biểu đồ dán vào" srcset="/tep/f00d01/320.png 320w, /tep/f00d01/800.png 800w" sizes="(max-width: 48rem) 100vw, 48rem" width="900" height="600"><figcaption>Nguồn: Sở KH&amp;CN</figcaption></figure>'),
  body);
check("cursor continues in a paragraph after the figure", await page.evaluate(() => {
  const s = getSelection();
  return s.anchorNode && s.anchorNode.nodeName === "P" && s.anchorNode.previousElementSibling && s.anchorNode.previousElementSibling.nodeName === "FIGURE";
}));
// 413 without JSON and a network failure are reported in the dialog.
for (const [name, expected] of [["qua-lon.png", "Tệp lớn quá giới hạn cho phép."], ["loi-mang.png", "Không tải được tệp lên. Vui lòng thử lại."]]) {
  await pasteFile(page, area("body"), name);
  await page.fill(altSel, "Ảnh thử");
  await page.click(dialog + " button.primary");
  await page.waitForFunction(() => document.querySelector("dialog[open] [role=alert]").textContent !== "");
  alertText = await page.$eval(dialog + ' [role="alert"]', (a) => a.textContent);
  check("upload failure shown: " + name, alertText === expected, alertText);
  await page.click(dialog + " button.rte-cancel");
  await page.waitForSelector(dialog, { state: "detached" });
}
// Choosing from the library: alt prefilled, no upload.
await page.click(button("body", "Chèn ảnh"));
await page.waitForSelector(dialog + " .rte-results button");
await page.fill(dialog + ' input[type="search"]', "phong thi");
await page.waitForFunction(() => document.querySelectorAll("dialog[open] .rte-results button").length === 1);
const tile = await page.$eval(dialog + " .rte-results button", (b) => ({
  img: b.querySelector("img") && b.querySelector("img").getAttribute("alt"),
  text: b.textContent,
}));
check("library tile: thumbnail with alt=\"\", name and alt text", tile.img === "" && tile.text.includes("phong-thi-nghiem.png") && tile.text.includes("Phòng thí nghiệm sinh học"), tile);
await page.click(dialog + " .rte-results button");
check("chosen tile aria-pressed, alt prefilled",
  (await page.$eval(dialog + " .rte-results button", (b) => b.getAttribute("aria-pressed"))) === "true" &&
  (await page.$eval(altSel, (i) => i.value)) === "Phòng thí nghiệm sinh học");
await page.click(dialog + " button.primary");
await page.waitForSelector(dialog, { state: "detached" });
body = await value(page, "body");
check("library image inserted as a figure, nothing uploaded", body.includes('<figure><img src="/tep/0718ab/phong-thi-nghiem.png" alt="Phòng thí nghiệm sinh học"') && (await log()).uploads.length === 3, body);
// Editing an image: click selects the figure, the button edits alt and caption.
await page.click(area("body") + ' img[alt="Biểu đồ dán vào"]');
await page.click(button("body", "Chèn ảnh"));
await page.waitForSelector(dialog);
check("editing an image prefills alt", (await page.$eval(altSel, (i) => i.value)) === "Biểu đồ dán vào");
await axe(page, "image edit dialog");
await page.fill(altSel, "Biểu đồ số liệu quý III");
await page.fill(dialog + " .rte-field:has(label:text-is('Chú thích ảnh (không bắt buộc)')) input", "");
await page.click(dialog + " button.primary");
await page.waitForSelector(dialog, { state: "detached" });
body = await value(page, "body");
check("alt edited, empty caption leaves no figcaption", body.includes('alt="Biểu đồ số liệu quý III"') && body.includes('height="600"></figure>'), body);
// Double-clicking an image opens the same dialog.
await page.dblclick(area("body") + ' img[alt="Phòng thí nghiệm sinh học"]');
await page.waitForSelector(dialog);
check("double-click on an image edits it", (await page.$eval(dialog + " h2", (h) => h.textContent)) === "Sửa mô tả ảnh" && (await page.$eval(altSel, (i) => i.value)) === "Phòng thí nghiệm sinh học");
await page.keyboard.press("Escape");
await page.waitForSelector(dialog, { state: "detached" });
// Dropping an image file opens the dialog too.
await page.evaluate(async (selector) => {
  const target = document.querySelector(selector);
  const rect = target.getBoundingClientRect();
  const blob = await (await fetch("/tep/keo/thumb.png")).blob();
  const data = new DataTransfer();
  data.items.add(new File([blob], "keo-tha.png", { type: "image/png" }));
  target.dispatchEvent(new DragEvent("drop", { dataTransfer: data, bubbles: true, cancelable: true, clientX: rect.left + 20, clientY: rect.top + 10 }));
}, area("body"));
await page.waitForSelector(dialog);
check("dropping an image file opens the dialog with the file", (await page.$eval(dialog + " .rte-file-note", (n) => n.textContent)).includes("keo-tha.png"));
await page.keyboard.press("Escape");
await page.waitForSelector(dialog, { state: "detached" });

// Tables.
await page.click(area("body"));
await toEnd(page);
await page.click(button("body", "Chèn bảng"));
await page.waitForSelector(dialog);
await axe(page, "table dialog");
await page.fill(dialog + " input", "Bảng số liệu");
await page.click(dialog + " button.primary");
await page.waitForSelector(dialog, { state: "detached" });
await page.keyboard.type("Năm");
await page.keyboard.press("Tab");
await page.keyboard.type("Số đề tài");
await page.keyboard.press("Tab");
await page.keyboard.type("Ghi chú");
await page.keyboard.press("Tab");
await page.keyboard.type("2025");
body = await value(page, "body");
check("table: caption, thead with th scope=col, tbody, Tab moves between cells",
  body.includes('<table><caption>Bảng số liệu</caption><thead><tr><th scope="col"><p>Năm</p></th><th scope="col"><p>Số đề tài</p></th><th scope="col"><p>Ghi chú</p></th></tr></thead><tbody><tr><td><p>2025</p></td><td><p></p></td><td><p></p></td></tr><tr><td><p></p></td><td><p></p></td><td><p></p></td></tr></tbody></table>'),
  body);
check("table tools shown inside a table", await page.$eval(button("body", "Thêm hàng"), (b) => !b.closest("[hidden]")));
await page.click(button("body", "Thêm hàng"));
await page.click(button("body", "Thêm cột"));
body = await value(page, "body");
check("'Thêm hàng' and 'Thêm cột'", (body.match(/<tr>/g) || []).length === 4 && (body.match(/<th scope="col">/g) || []).length === 4, body);
await page.click(button("body", "Xóa cột"));
await page.click(button("body", "Xóa hàng"));
body = await value(page, "body");
check("'Xóa hàng' and 'Xóa cột'", (body.match(/<tr>/g) || []).length === 3 && (body.match(/<th scope="col">/g) || []).length === 3, body);
await page.click(button("body", "Tên bảng"));
await page.waitForSelector(dialog);
check("'Tên bảng' prefilled", (await page.$eval(dialog + " input", (i) => i.value)) === "Bảng số liệu");
await axe(page, "caption dialog");
await page.fill(dialog + " input", "Kết quả năm 2025");
await page.keyboard.press("Enter");
await page.waitForSelector(dialog, { state: "detached" });
check("caption changed", (await value(page, "body")).includes("<caption>Kết quả năm 2025</caption>"));
check("caption not editable in place", await page.$eval(area("body") + " caption", (c) => c.getAttribute("contenteditable") === "false"));
await toEnd(page);
check("table tools hidden outside a table", await page.$eval(button("body", "Thêm hàng"), (b) => Boolean(b.closest("[hidden]"))));

// Word paste and trangtinCleanHtml.
const cleaned = await page.evaluate(() =>
  window.trangtinCleanHtml('<p class=MsoNormal style="mso-bidi:1"><span style="font-family:Arial">Văn bản <b>đậm</b></span><o:p></o:p></p><!--[if gte mso 9]><xml>rác</xml><![endif]--><p class=MsoNormal><o:p>&nbsp;</o:p></p>')
);
check("trangtinCleanHtml(Word example)", cleaned === "<p>Văn bản <strong>đậm</strong></p>", cleaned);
const more = await page.evaluate(() => [
  window.trangtinCleanHtml('<h1>Lớn</h1><h6>Nhỏ</h6><div>Khối</div><a href="javascript:alert(1)">xấu</a> <a href="/tin-tuc/x" title="t" onclick="x()">tốt</a><img src="x" onerror="alert(1)"><script>alert(1)</script>'),
  window.trangtinCleanHtml('<p class=MsoListParagraph style="mso-list:l0 level1 lfo1"><![if !supportLists]><span style="mso-list:Ignore">1.<span>&nbsp;&nbsp;</span></span><![endif]>Một</p><p class=MsoListParagraph style="mso-list:l0 level1 lfo1"><![if !supportLists]><span style="mso-list:Ignore">2.<span>&nbsp;</span></span><![endif]>Hai</p>'),
  window.trangtinCleanHtml('<b style="font-weight:normal" id="docs-internal-guid-1"><p><span style="font-weight:700">Google</span> <i>nghiêng</i> <u>gạch</u> <s>xóa</s> H<sub>2</sub>O x<sup>2</sup></p></b>'),
]);
check("clean: headings mapped, div → p, bad links and scripts dropped",
  more[0] === '<h2>Lớn</h2><h4>Nhỏ</h4><p>Khối</p><p>xấu <a href="/tin-tuc/x" title="t">tốt</a></p>', more[0]);
check("clean: Word list paragraphs become <ol>", more[1] === "<ol><li><p>Một</p></li><li><p>Hai</p></li></ol>", more[1]);
check("clean: Google Docs bold/italic/u/s/sub/sup", more[2] === "<p><strong>Google</strong> <em>nghiêng</em> <u>gạch</u> <s>xóa</s> H<sub>2</sub>O x<sup>2</sup></p>", more[2]);
await page.click(area("body"));
await toEnd(page);
await page.evaluate((selector) => {
  const data = new DataTransfer();
  data.setData("text/html", '<html xmlns:o="urn:schemas-microsoft-com:office:office"><head><style>p.MsoNormal{color:red}</style></head><body><p class=MsoNormal style="margin:0;color:red"><span style="font-family:Arial">Dán từ <b>Word</b></span><o:p></o:p></p><!--[if gte mso 9]><xml>rác</xml><![endif]--><p class=MsoNormal><o:p>&nbsp;</o:p></p><p class=MsoNormal><i>Hết</i></p></body></html>');
  data.setData("text/plain", "Dán từ Word\n\nHết");
  document.querySelector(selector).dispatchEvent(new ClipboardEvent("paste", { clipboardData: data, bubbles: true, cancelable: true }));
}, area("body"));
body = await value(page, "body");
check("Word paste comes out clean", body.endsWith("<p>Dán từ <strong>Word</strong></p><p><em>Hết</em></p>"), body);

// The second editor loaded existing content and serialises it back faithfully.
await page.click(area("steps_html") + " li p");
await page.keyboard.press("End");
await page.keyboard.type(" nữa");
const steps = await value(page, "steps_html");
check("second editor: ol start, figure, table with caption/thead round-trip",
  steps === '<ol start="3"><li><p>Bước ba nữa</p></li></ol><figure><img src="/tep/a1b2c3/hoi-thao.jpg" alt="Hội thảo" width="1200" height="800"><figcaption>Toàn cảnh</figcaption></figure><table><caption>Bảng cũ</caption><thead><tr><th scope="col"><p>A</p></th><th scope="col"><p>B</p></th></tr></thead><tbody><tr><td><p>1</p></td><td><p>2</p></td></tr></tbody></table>',
  steps);
check("editors are independent", !(await value(page, "body")).includes("Bước ba"));

// Pickers.
const cover = await page.evaluate(() => {
  const i = document.getElementById("cover");
  return { type: i.type, value: i.value };
});
check("cover: hidden field holding the hash", cover.type === "hidden" && cover.value === "d4e5f6", cover);
await page.click("button.picker-choose");
await page.waitForSelector(dialog + " .rte-results button");
check("cover dialog titled 'Chọn ảnh đại diện'", await page.$eval(dialog + " h2", (h) => h.textContent === "Chọn ảnh đại diện"));
await axe(page, "cover dialog");
await page.fill(dialog + ' input[type="search"]', "hoi thao");
await page.waitForFunction(() => document.querySelectorAll("dialog[open] .rte-results button").length === 1);
await page.click(dialog + " .rte-results button");
await page.waitForSelector(dialog, { state: "detached" });
const coverAfter = await page.evaluate(() => ({
  value: document.getElementById("cover").value,
  current: document.querySelector(".picker-current").textContent,
  focus: document.activeElement.textContent,
}));
check("cover chosen: hash stored, .picker-current updated, focus back on the button",
  coverAfter.value === "a1b2c3" && coverAfter.current.includes("hoi-thao.jpg") && coverAfter.focus === "Chọn ảnh đại diện…", coverAfter);
await page.click("button.picker-remove");
check("'Bỏ ảnh đại diện' clears it", await page.evaluate(() => document.getElementById("cover").value === "" && document.querySelector(".picker-current").textContent.includes("Chưa chọn ảnh.")));
check("attachments: name textarea hidden", await page.$eval("#attachments_add", (t) => t.closest(".rte-hidden") !== null));
await page.click("button.picker-add");
await page.waitForSelector(dialog + " .rte-results button");
const docs = await page.$$eval(dialog + " .rte-results button", (bs) => bs.map((b) => b.textContent));
check("document results: name, size, scan note", docs.length === 2 && docs[0].includes("1,2 MB") && docs[1].includes("Không tìm kiếm được (bản quét)"), docs);
await axe(page, "attachments dialog");
await page.click(dialog + " .rte-results li:nth-child(2) button");
await page.waitForSelector(dialog, { state: "detached" });
const chosen = await page.$$eval(".picker-chosen input", (is) => is.map((i) => [i.id, i.value, i.checked, i.name]));
check("attachment added as a checked checkbox with a unique id",
  chosen.length === 2 && chosen[1][1] === "dd0002" && chosen[1][2] && chosen[1][3] === "attachments" && chosen[1][0] !== chosen[0][0] && (await page.$$("#" + chosen[1][0])).length === 1,
  chosen);
await axe(page, "page after all edits");

// Submitting posts the serialised HTML.
const expected = await value(page, "body");
await Promise.all([page.waitForURL("**/submit"), page.click("#editor-form button.primary")]);
const sub = (await log()).submissions[0] || {};
check("submit posts the editor's HTML and the pickers' values",
  sub.body && sub.body[0] === expected && sub.cover && sub.cover[0] === "" && sub.attachments && sub.attachments.join() === "dd0001,dd0002" && sub.csrf[0] === "token-abc123",
  sub);

const csp = await page.evaluate(() => window.__csp);
check("no CSP violations (first page)", csp.length === 0, csp);

// ---------------------------------------------------------------------------------
// A phone: 390 px wide.
const phone = await newPage({ width: 390, height: 844 });
const layout = await phone.evaluate(() => {
  const t = document.querySelector(".rte-toolbar");
  return { scroll: document.documentElement.scrollWidth, toolbar: t.getBoundingClientRect().width, rows: t.getBoundingClientRect().height };
});
check("390 px: toolbar wraps, no sideways scrolling", layout.scroll <= 390 && layout.toolbar <= 390 && layout.rows > 40, layout);
await phone.screenshot({ path: join(shots, "phone-page.png"), fullPage: false });
for (const [title, file] of [["Chèn ảnh", "phone-image.png"], ["Chèn liên kết", "phone-link.png"]]) {
  await phone.click(area("body"));
  await phone.click(button("body", title));
  await phone.waitForSelector(dialog + " .rte-results button");
  const box = await phone.$eval(dialog, (d) => {
    const r = d.getBoundingClientRect();
    return { left: r.left, right: r.right, width: r.width, inner: d.scrollWidth <= d.clientWidth };
  });
  check("390 px: '" + title + "' dialog fits", box.left >= 0 && box.right <= 390 && box.inner, box);
  await phone.screenshot({ path: join(shots, file) });
  await phone.keyboard.press("Escape");
  await phone.waitForSelector(dialog, { state: "detached" });
}
const phoneCsp = await phone.evaluate(() => window.__csp);
check("no CSP violations (phone)", phoneCsp.length === 0, phoneCsp);
await page.goto(BASE + "/");
await page.waitForSelector(".rte-area");
await page.screenshot({ path: join(shots, "desktop-page.png"), fullPage: true });

// The two failed uploads above are logged by Chromium itself; anything else counts.
const unexpected = consoleErrors.filter(
  (m) => !/status of 413|ERR_EMPTY_RESPONSE/.test(m)
);
check("no console errors (CSP reports included)", unexpected.length === 0, unexpected);

await browser.close();
server.kill();
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
