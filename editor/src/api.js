// The admin's JSON endpoints (same origin, session cookie).

export const ENDPOINTS = {
  files: "/quan-tri/tep/tim", // GET ?q=&loai=anh|tai-lieu → {items: [...]}
  upload: "/quan-tri/tep", // POST multipart csrf, alt, file → {item} | {error}
  entries: "/quan-tri/bai-viet/tim", // GET ?q= → {items: [{title, url, kind, date}]}
  legal: "/quan-tri/van-ban/tim", // GET ?q= → {items: [{slug, label, issued}]}
};

async function getJson(url, signal) {
  const response = await fetch(url, {
    credentials: "same-origin",
    headers: { Accept: "application/json" },
    signal,
  });
  if (!response.ok) throw new Error("HTTP " + response.status);
  const data = await response.json();
  return Array.isArray(data && data.items) ? data.items : [];
}

/** Library files: kind is "anh" (images) or "tai-lieu" (documents). */
export function searchFiles(q, kind, signal) {
  const params = new URLSearchParams({ q: q || "", loai: kind });
  return getJson(ENDPOINTS.files + "?" + params, signal);
}

/** The site's published entries, for links. */
export function searchEntries(q, signal) {
  const params = new URLSearchParams({ q: q || "" });
  return getJson(ENDPOINTS.entries + "?" + params, signal);
}

/** The register's legal documents, by number or trích yếu (newest without a query). */
export function searchLegal(q, signal) {
  const params = new URLSearchParams({ q: q || "" });
  return getJson(ENDPOINTS.legal + "?" + params, signal);
}

export const UPLOAD_ERRORS = {
  tooLarge: "Tệp lớn quá giới hạn cho phép.",
  network: "Không tải được tệp lên. Vui lòng thử lại.",
  other: "Không tải được tệp lên (lỗi máy chủ). Vui lòng thử lại.",
};

/**
 * Uploads a file into the library. Fields go in this order: csrf, alt, file (the
 * server reads the token before it accepts the body). Resolves to the new item;
 * rejects with an Error whose message is shown to the user as is.
 */
export async function uploadFile(file, alt, csrf, signal) {
  const body = new FormData();
  body.append("csrf", csrf);
  body.append("alt", alt);
  body.append("file", file, file.name || "anh");
  let response;
  try {
    response = await fetch(ENDPOINTS.upload, {
      method: "POST",
      body,
      credentials: "same-origin",
      headers: { Accept: "application/json" },
      signal,
    });
  } catch (e) {
    if (e && e.name === "AbortError") throw e;
    throw new Error(UPLOAD_ERRORS.network);
  }
  let data = null;
  try {
    data = await response.json();
  } catch (e) {
    data = null;
  }
  if (response.ok && data && data.item && data.item.url) return data.item;
  if (data && typeof data.error === "string" && data.error) throw new Error(data.error);
  if (response.status === 413) throw new Error(UPLOAD_ERRORS.tooLarge);
  throw new Error(UPLOAD_ERRORS.other);
}
