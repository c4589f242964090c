#!/usr/bin/env python3
"""Test server for the editor bundle (python3 stdlib only).

Serves /work/main/assets/static at /static/, a test page with a form (csrf, two
editors, a disabled one, the cover and attachments pickers), mocks of the admin JSON
endpoints the editor uses, and the admin's strict CSP header on every response.

    python3 editor/test/serve.py [PORT]     (default 8765, 127.0.0.1 only)

Extra endpoints for the browser test: GET /_log (uploads and submissions received),
POST /_reset.
"""
import json
import mimetypes
import os
import struct
import sys
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

ROOT = os.path.dirname(os.path.abspath(__file__))
STATIC = os.path.normpath(os.path.join(ROOT, "..", "..", "assets", "static"))
CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:"
CSRF = "token-abc123"

LOG = {"uploads": [], "submissions": []}


def png(width, height, rgb):
    """A plain-colour PNG."""
    raw = b"".join(b"\x00" + bytes(rgb) * width for _ in range(height))

    def chunk(kind, data):
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)

    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(raw, 9))
        + chunk(b"IEND", b"")
    )


def image_item(hash_, name, alt, width=1200, height=800):
    return {
        "hash": hash_,
        "name": name,
        "alt": alt,
        "url": "/tep/%s/%s" % (hash_, name),
        "thumb": "/tep/%s/thumb.png" % hash_,
        "width": width,
        "height": height,
        "srcset": "/tep/%s/320.png 320w, /tep/%s/800.png 800w" % (hash_, hash_),
        "sizes": "(max-width: 48rem) 100vw, 48rem",
        "size": 345678,
        "searchable": None,
    }


IMAGES = [
    image_item("a1b2c3", "hoi-thao.jpg", "Đại biểu thảo luận tại hội thảo khoa học"),
    image_item("d4e5f6", "le-ky-ket.jpg", "Lãnh đạo Sở ký kết hợp tác"),
    image_item("0718ab", "phong-thi-nghiem.png", "Phòng thí nghiệm sinh học"),
]
DOCUMENTS = [
    {"hash": "dd0001", "name": "Quyết định công nhận.pdf", "alt": "", "url": "/tep/dd0001/qd.pdf",
     "thumb": None, "width": None, "height": None, "srcset": None, "sizes": None,
     "size": 1288490, "searchable": True},
    {"hash": "dd0002", "name": "Bản quét công văn.pdf", "alt": "", "url": "/tep/dd0002/bq.pdf",
     "thumb": None, "width": None, "height": None, "srcset": None, "sizes": None,
     "size": 5242880, "searchable": False},
]
ENTRIES = [
    {"title": "Hội thảo khoa học về chuyển đổi số", "url": "/tin-tuc/hoi-thao-chuyen-doi-so",
     "kind": "article", "date": "05/12/2026"},
    {"title": "Thông báo tuyển chọn nhiệm vụ năm 2027", "url": "/thong-bao/tuyen-chon-2027",
     "kind": "notice", "date": "01/12/2026"},
]


def fold(text):
    import unicodedata
    text = unicodedata.normalize("NFD", text.lower()).replace("đ", "d")
    return "".join(c for c in text if unicodedata.category(c) != "Mn")


def matches(q, *fields):
    q = fold(q.strip())
    return not q or any(q in fold(f or "") for f in fields)


PAGE = """<!DOCTYPE html>
<html lang="vi">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Thử trình soạn thảo – Quản trị</title>
<link rel="stylesheet" href="/static/css/site.css">
<link rel="stylesheet" href="/static/css/admin.css">
<link rel="stylesheet" href="/static/css/editor.css">
<script src="/static/js/editor.js" defer></script>
</head>
<body class="admin">
<main id="noi-dung" class="wrap admin-main">
<h1>Thử trình soạn thảo</h1>
<form method="post" action="/submit" class="form editor-form" id="editor-form">
  <input type="hidden" name="csrf" value="%(csrf)s">
  <p><label for="title">Tiêu đề</label><input id="title" name="title" value="Bài thử"></p>
  <p><label for="body">Nội dung</label>
  <textarea id="body" name="body" rows="18" data-editor></textarea></p>
  <p><label for="steps_html">Trình tự thực hiện</label>
  <textarea id="steps_html" name="steps_html" rows="5" data-editor>&lt;ol start="3"&gt;&lt;li&gt;&lt;p&gt;Bước ba&lt;/p&gt;&lt;/li&gt;&lt;/ol&gt;&lt;figure&gt;&lt;img src="/tep/a1b2c3/hoi-thao.jpg" alt="Hội thảo" width="1200" height="800"&gt;&lt;figcaption&gt;Toàn cảnh&lt;/figcaption&gt;&lt;/figure&gt;&lt;table&gt;&lt;caption&gt;Bảng cũ&lt;/caption&gt;&lt;thead&gt;&lt;tr&gt;&lt;th&gt;A&lt;/th&gt;&lt;th&gt;B&lt;/th&gt;&lt;/tr&gt;&lt;/thead&gt;&lt;tbody&gt;&lt;tr&gt;&lt;td&gt;1&lt;/td&gt;&lt;td&gt;2&lt;/td&gt;&lt;/tr&gt;&lt;/tbody&gt;&lt;/table&gt;</textarea></p>
  <fieldset disabled><legend>Khóa</legend>
  <p><label for="locked">Nội dung khóa</label><textarea id="locked" name="locked" data-editor>&lt;p&gt;khóa&lt;/p&gt;</textarea></p>
  </fieldset>
  <div class="picker" data-picker="cover" data-kind="anh">
    <p><label for="cover">Ảnh đại diện (tên tệp trong thư viện)</label>
    <input id="cover" name="cover" value="le-ky-ket.jpg" data-hash="d4e5f6" autocomplete="off"></p>
    <div class="picker-current"><img src="/tep/d4e5f6/thumb.png" alt="" width="96"> <span>le-ky-ket.jpg<br><small>Lãnh đạo Sở ký kết hợp tác</small></span></div>
  </div>
  <fieldset class="picker attachments-choice" data-picker="attachments" data-kind="tai-lieu"><legend>Tệp đính kèm</legend>
  <ul class="picker-chosen">
    <li><input type="checkbox" id="att-1" name="attachments" value="dd0001" checked> <label for="att-1">Quyết định công nhận.pdf</label> <small>1,2 MB</small></li>
  </ul>
  <p><label for="attachments_add">Thêm tệp đính kèm (tên tệp trong thư viện, mỗi dòng một tệp)</label><textarea id="attachments_add" name="attachments_add" rows="2"></textarea></p>
  </fieldset>
  <p><button type="submit" class="primary">Lưu bản sửa</button></p>
</form>
</main>
</body>
</html>
"""


def parse_multipart(body, content_type):
    """[(name, filename or None, bytes)] in the order sent."""
    boundary = None
    for part in content_type.split(";"):
        part = part.strip()
        if part.startswith("boundary="):
            boundary = part[len("boundary="):].strip('"')
    if not boundary:
        return []
    out = []
    for chunk in body.split(b"--" + boundary.encode()):
        if not chunk or chunk.startswith(b"--"):
            continue
        chunk = chunk.lstrip(b"\r\n")
        head, _, data = chunk.partition(b"\r\n\r\n")
        if data.endswith(b"\r\n"):
            data = data[:-2]
        name = filename = None
        for line in head.decode("utf-8", "replace").split("\r\n"):
            if line.lower().startswith("content-disposition"):
                for item in line.split(";"):
                    item = item.strip()
                    if item.startswith("name="):
                        name = item[5:].strip('"')
                    elif item.startswith("filename="):
                        filename = item[9:].strip('"')
        out.append((name, filename, data))
    return out


class Handler(BaseHTTPRequestHandler):
    server_version = "editor-test"

    def log_message(self, fmt, *args):  # quiet
        pass

    def send(self, status, body, ctype="text/html; charset=utf-8", extra=None):
        if isinstance(body, str):
            body = body.encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Content-Security-Policy", CSP)
        self.send_header("Cache-Control", "no-store")
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def send_json(self, status, data):
        self.send(status, json.dumps(data, ensure_ascii=False), "application/json")

    def do_GET(self):
        url = urlparse(self.path)
        q = parse_qs(url.query)
        path = url.path
        if path in ("/", "/test"):
            return self.send(200, PAGE % {"csrf": CSRF})
        if path.startswith("/static/"):
            file = os.path.normpath(os.path.join(STATIC, path[len("/static/"):]))
            if not file.startswith(STATIC + os.sep) or not os.path.isfile(file):
                return self.send(404, "không có")
            ctype = mimetypes.guess_type(file)[0] or "application/octet-stream"
            if ctype.startswith("text/") or ctype.endswith("javascript"):
                ctype += "; charset=utf-8"
            with open(file, "rb") as f:
                return self.send(200, f.read(), ctype)
        if path.startswith("/tep/"):
            shade = sum(path.encode()) % 200
            return self.send(200, png(32, 24, (40, shade, 160)), "image/png")
        if path == "/quan-tri/tep/tim":
            text = q.get("q", [""])[0]
            kind = q.get("loai", ["anh"])[0]
            pool = IMAGES if kind == "anh" else DOCUMENTS
            items = [i for i in pool if matches(text, i["name"], i["alt"])]
            return self.send_json(200, {"items": items})
        if path == "/quan-tri/bai-viet/tim":
            text = q.get("q", [""])[0]
            return self.send_json(200, {"items": [e for e in ENTRIES if matches(text, e["title"])]})
        if path == "/favicon.ico":
            return self.send(204, b"")
        if path == "/_log":
            return self.send_json(200, LOG)
        return self.send(404, "không có")

    def do_POST(self):
        url = urlparse(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        if url.path == "/_reset":
            LOG["uploads"].clear()
            LOG["submissions"].clear()
            return self.send_json(200, {})
        if url.path == "/quan-tri/tep":
            parts = parse_multipart(body, self.headers.get("Content-Type", ""))
            fields = {n: d for n, f, d in parts if f is None}
            files = [(n, f, d) for n, f, d in parts if f is not None]
            LOG["uploads"].append({
                "order": [n for n, _, _ in parts],
                "accept": self.headers.get("Accept"),
                "csrf": fields.get("csrf", b"").decode(),
                "alt": fields.get("alt", b"").decode("utf-8"),
                "filename": files[0][1] if files else None,
                "bytes": len(files[0][2]) if files else 0,
            })
            if fields.get("csrf", b"").decode() != CSRF:
                return self.send_json(403, {"error": "Phiên làm việc đã hết hạn."})
            filename = files[0][1] if files else ""
            if filename == "qua-lon.png":
                return self.send(413, "Payload Too Large", "text/plain")
            if filename == "loi-mang.png":
                self.close_connection = True
                try:
                    self.connection.shutdown(2)
                except OSError:
                    pass
                return None
            if not fields.get("alt", b"").strip():
                return self.send_json(422, {"error": "Ảnh cần có mô tả thay thế (alt)."})
            item = image_item("f00d%02d" % len(LOG["uploads"]), filename, fields["alt"].decode("utf-8"), 900, 600)
            return self.send_json(200, {"item": item})
        if url.path == "/submit":
            form = parse_qs(body.decode("utf-8"), keep_blank_values=True)
            LOG["submissions"].append(form)
            return self.send(200, "<!DOCTYPE html><html lang=vi><title>Đã lưu</title><p>Đã lưu.</p>")
        return self.send(404, "không có")


def main():
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 8765
    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    print("serving on http://127.0.0.1:%d/" % port, flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
