// The rich-text editor: turns <textarea data-editor> into an editable area with a
// toolbar, cleans text pasted from Word, and writes the HTML back into the textarea on
// submit. Without JavaScript the textarea takes HTML directly; either way the server
// sanitises what arrives. Loaded from our own origin; no inline code (strict CSP).
(function () {
  "use strict";

  var ALLOWED = {
    P: [], H2: [], H3: [], H4: [], STRONG: [], B: [], EM: [], I: [], U: [], S: [],
    SUB: [], SUP: [], UL: [], OL: ["start"], LI: [], A: ["href", "title"],
    BLOCKQUOTE: [], TABLE: [], CAPTION: [], THEAD: [], TBODY: [], TFOOT: [], TR: [],
    TH: ["scope", "colspan", "rowspan"], TD: ["colspan", "rowspan"], BR: [],
    IMG: ["src", "alt", "width", "height"], HR: [], PRE: [], CODE: []
  };
  var DROP = { SCRIPT: 1, STYLE: 1, META: 1, LINK: 1, TITLE: 1, XML: 1, IFRAME: 1, OBJECT: 1 };

  // Word and other editors wrap everything in spans, fonts and styled divs: keep the
  // structure (paragraphs, headings, lists, tables, links, emphasis), drop the rest.
  function cleanNode(node, doc) {
    var out = doc.createDocumentFragment();
    node.childNodes.forEach(function (child) {
      if (child.nodeType === 3) {
        out.appendChild(doc.createTextNode(child.nodeValue));
        return;
      }
      if (child.nodeType !== 1) return; // comments, Word's conditional blocks
      var tag = child.tagName.toUpperCase().replace(/^O:/, "");
      if (DROP[tag] || child.tagName.indexOf(":") > 0) return;
      var inner = cleanNode(child, doc);
      if (tag === "DIV") tag = "P";
      if (!ALLOWED[tag]) {
        out.appendChild(inner);
        return;
      }
      var el = doc.createElement(tag);
      ALLOWED[tag].forEach(function (name) {
        var value = child.getAttribute(name);
        if (value !== null && !/^\s*javascript:/i.test(value)) el.setAttribute(name, value);
      });
      el.appendChild(inner);
      // Word leaves empty paragraphs for spacing.
      if (tag === "P" && !el.textContent.trim() && !el.querySelector("img")) return;
      out.appendChild(el);
    });
    return out;
  }

  function cleanHtml(html) {
    var parsed = new DOMParser().parseFromString(html, "text/html");
    var holder = document.createElement("div");
    holder.appendChild(cleanNode(parsed.body, document));
    return holder.innerHTML;
  }

  function button(label, title, run) {
    var b = document.createElement("button");
    b.type = "button";
    b.textContent = label;
    // The visible text is the accessible name; the title only adds a hint.
    b.title = title;
    b.addEventListener("click", function (event) {
      event.preventDefault();
      run();
    });
    return b;
  }

  function enhance(textarea) {
    // A read-only form (the entry is past the writer's step) gets no toolbar.
    if (textarea.disabled || textarea.closest("fieldset[disabled]")) return;
    var form = textarea.form;
    var area = document.createElement("div");
    area.className = "rte-area";
    area.contentEditable = "true";
    area.setAttribute("role", "textbox");
    area.setAttribute("aria-multiline", "true");
    var label = form.querySelector('label[for="' + textarea.id + '"]');
    if (label) {
      label.id = label.id || textarea.id + "-label";
      area.setAttribute("aria-labelledby", label.id);
    }
    area.innerHTML = cleanHtml(textarea.value);

    var exec = function (command, value) {
      area.focus();
      document.execCommand("styleWithCSS", false, false);
      document.execCommand(command, false, value);
    };
    var toolbar = document.createElement("div");
    toolbar.className = "rte-toolbar";
    toolbar.setAttribute("role", "toolbar");
    toolbar.setAttribute("aria-label", "Định dạng nội dung");
    [
      button("Đoạn văn", "Đoạn văn thường", function () { exec("formatBlock", "<p>"); }),
      button("Tiêu đề mục", "Tiêu đề mục (cấp 2)", function () { exec("formatBlock", "<h2>"); }),
      button("Tiêu đề nhỏ", "Tiêu đề mục nhỏ (cấp 3)", function () { exec("formatBlock", "<h3>"); }),
      button("Đậm", "Chữ đậm", function () { exec("bold"); }),
      button("Nghiêng", "Chữ nghiêng", function () { exec("italic"); }),
      button("Danh sách chấm", "Danh sách dấu chấm", function () { exec("insertUnorderedList"); }),
      button("Danh sách số", "Danh sách đánh số", function () { exec("insertOrderedList"); }),
      button("Liên kết", "Chèn liên kết", function () {
        var url = window.prompt("Địa chỉ liên kết (https://… hoặc /…):", "https://");
        if (url && /^(https?:\/\/|\/|mailto:)/i.test(url)) exec("createLink", url);
      }),
      button("Bỏ liên kết", "Bỏ liên kết", function () { exec("unlink"); }),
      button("Bảng", "Chèn bảng", function () {
        exec("insertHTML", "<table><caption>Tên bảng</caption><thead><tr><th scope=\"col\">Cột 1</th><th scope=\"col\">Cột 2</th></tr></thead><tbody><tr><td>…</td><td>…</td></tr></tbody></table><p></p>");
      }),
      button("Ảnh", "Chèn ảnh từ thư viện", function () {
        var cover = form.querySelector("#cover");
        if (!cover || cover.options.length < 2) {
          window.alert("Thư viện chưa có ảnh. Hãy tải ảnh lên ở mục Thư viện tệp.");
          return;
        }
        var names = [];
        for (var i = 1; i < cover.options.length; i++) names.push(i + ". " + cover.options[i].text);
        var pick = parseInt(window.prompt("Chọn số thứ tự ảnh:\n" + names.join("\n"), "1"), 10);
        var option = cover.options[pick];
        if (!option || pick < 1) return;
        var parts = option.text.split(" — ");
        var img = document.createElement("img");
        img.src = "/tep/" + option.value + "/anh.jpg";
        img.alt = parts.length > 1 ? parts.slice(1).join(" — ") : parts[0];
        exec("insertHTML", img.outerHTML);
      })
    ].forEach(function (b) { toolbar.appendChild(b); });

    area.addEventListener("paste", function (event) {
      var data = event.clipboardData;
      if (!data) return;
      event.preventDefault();
      var html = data.getData("text/html");
      if (html) {
        exec("insertHTML", cleanHtml(html));
      } else {
        exec("insertText", data.getData("text/plain"));
      }
    });

    // Enter makes a paragraph, not a <div> the server's sanitiser would drop (which ran
    // two paragraphs into one).
    document.execCommand("defaultParagraphSeparator", false, "p");
    // The hidden textarea is filled on submit: a `required` on it would block the form.
    textarea.required = false;
    textarea.classList.add("rte-hidden");
    textarea.setAttribute("aria-hidden", "true");
    textarea.tabIndex = -1;
    textarea.parentNode.insertBefore(toolbar, textarea);
    textarea.parentNode.insertBefore(area, textarea);
    form.addEventListener("submit", function () {
      textarea.value = area.innerHTML;
    });
  }

  document.querySelectorAll("textarea[data-editor]").forEach(enhance);
  window.trangtinCleanHtml = cleanHtml;
})();
