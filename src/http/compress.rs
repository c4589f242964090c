//! Precompression and content negotiation: pages and assets are compressed once, when
//! they are made, and each request picks the best encoding the client accepts.

use std::io::Write;

use axum::http::HeaderMap;
use axum::http::header::ACCEPT_ENCODING;
use bytes::Bytes;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Brotli,
    Gzip,
    Identity,
}

impl Encoding {
    /// The best encoding `Accept-Encoding` allows: brotli, then gzip, then none.
    /// A `q=0` refuses an encoding.
    pub fn negotiate(headers: &HeaderMap) -> Encoding {
        let mut br = false;
        let mut gzip = false;
        for value in headers.get_all(ACCEPT_ENCODING) {
            let Ok(text) = value.to_str() else { continue };
            for item in text.split(',') {
                let mut parts = item.split(';');
                let name = parts.next().unwrap_or("").trim();
                let refused = parts.any(|p| {
                    let p = p.trim();
                    p.strip_prefix("q=")
                        .and_then(|q| q.trim().parse::<f32>().ok())
                        .is_some_and(|q| q <= 0.0)
                });
                if refused {
                    continue;
                }
                if name.eq_ignore_ascii_case("br") {
                    br = true;
                } else if name.eq_ignore_ascii_case("gzip") || name.eq_ignore_ascii_case("x-gzip") {
                    gzip = true;
                }
            }
        }
        if br {
            Encoding::Brotli
        } else if gzip {
            Encoding::Gzip
        } else {
            Encoding::Identity
        }
    }

    pub fn header(self) -> Option<&'static str> {
        match self {
            Encoding::Brotli => Some("br"),
            Encoding::Gzip => Some("gzip"),
            Encoding::Identity => None,
        }
    }
}

/// A body in all three encodings.
#[derive(Debug, Clone)]
pub struct Precompressed {
    pub identity: Bytes,
    pub gzip: Bytes,
    pub brotli: Bytes,
}

impl Precompressed {
    pub fn new(bytes: Bytes) -> Precompressed {
        // A large body (a sitemap part of 5,000 addresses, 600 KB) would keep a core
        // busy for a tenth of a second at the best settings, to save a few percent of
        // a file crawlers fetch now and then: it gets the middle settings.
        let (gzip, brotli) = if bytes.len() > LARGE_BODY {
            (
                gzip_at(&bytes, flate2::Compression::new(6)),
                brotli_at(&bytes, 5),
            )
        } else {
            (gzip(&bytes), brotli(&bytes))
        };
        // Should an encoder fail, serve the uncompressed bytes under that encoding's
        // slot rather than an empty body: `get` falls back below.
        Precompressed {
            identity: bytes,
            gzip,
            brotli,
        }
    }

    /// The body with only the encoding `wanted` made, at a fast setting: what a cache
    /// miss can afford on the request path. The best compression follows in the
    /// background (`new`). Brotli quality 2 rather than 4 or 5: on this site's pages
    /// (16–26 KB) it takes 0.18–0.26 ms against 0.47–0.73 ms for quality 4–5 and
    /// 0.36–0.53 ms for gzip level 6, and its output is within 2% of gzip 6's
    /// (`bench/compress.rs`). Gzip stays at level 6 for the clients without brotli.
    pub fn quick(bytes: Bytes, wanted: Encoding) -> Precompressed {
        let (gzip, brotli) = match wanted {
            Encoding::Gzip => (gzip_at(&bytes, flate2::Compression::new(6)), Bytes::new()),
            Encoding::Brotli => (Bytes::new(), brotli_at(&bytes, QUICK_BROTLI)),
            Encoding::Identity => (Bytes::new(), Bytes::new()),
        };
        Precompressed {
            identity: bytes,
            gzip,
            brotli,
        }
    }

    /// Whether both encodings are made (at their best setting, or failed for good).
    pub fn is_complete(&self) -> bool {
        !self.gzip.is_empty() && !self.brotli.is_empty()
    }

    /// The encoding actually available for a request that asked for `wanted`.
    pub fn available(&self, wanted: Encoding) -> Encoding {
        match wanted {
            Encoding::Brotli if !self.brotli.is_empty() => Encoding::Brotli,
            Encoding::Brotli | Encoding::Gzip if !self.gzip.is_empty() => Encoding::Gzip,
            _ => Encoding::Identity,
        }
    }

    pub fn get(&self, encoding: Encoding) -> &Bytes {
        match self.available(encoding) {
            Encoding::Brotli => &self.brotli,
            Encoding::Gzip => &self.gzip,
            Encoding::Identity => &self.identity,
        }
    }

    pub fn size(&self) -> usize {
        self.identity.len() + self.gzip.len() + self.brotli.len()
    }
}

/// Bodies larger than this are compressed at middle settings, not the best.
pub(crate) const LARGE_BODY: usize = 128 * 1024;

/// The brotli quality of a cache miss's answer (see `Precompressed::quick`).
const QUICK_BROTLI: i32 = 2;

fn gzip(bytes: &[u8]) -> Bytes {
    gzip_at(bytes, flate2::Compression::best())
}

fn gzip_at(bytes: &[u8], level: flate2::Compression) -> Bytes {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), level);
    // Writing into a Vec cannot fail.
    let _ = encoder.write_all(bytes);
    exact(encoder.finish().unwrap_or_default())
}

fn brotli(bytes: &[u8]) -> Bytes {
    brotli_at(bytes, 10)
}

fn brotli_at(bytes: &[u8], quality: i32) -> Bytes {
    let mut out = Vec::with_capacity(bytes.len() / 4);
    let params = brotli::enc::BrotliEncoderParams {
        quality,
        lgwin: window_bits(bytes.len()),
        ..Default::default()
    };
    let mut input = bytes;
    if brotli::BrotliCompress(&mut input, &mut out, &params).is_err() {
        return Bytes::new();
    }
    exact(out)
}

/// `bytes` in a buffer of exactly their size, for the page cache: its bound counts the
/// bodies' lengths, and a buffer grown by doubling (a rendered page, a compressor's
/// output) can hold up to twice that.
pub(crate) fn exact(mut bytes: Vec<u8>) -> Bytes {
    bytes.shrink_to_fit();
    Bytes::from(bytes)
}

/// The smallest brotli window that holds the whole body (a window never helps past the
/// body's end), up to 256 KiB. The encoder's tables grow with the window: at quality
/// 10 (the background's), a 256 KiB window made every page's encoder allocate 2 MB,
/// past glibc's mapping threshold (`cli::keep_large_blocks_mapped`), so each page
/// compressed mapped and unmapped it, and the unmapping interrupted the other core to
/// flush its TLB. With a window fitted to a page of 16–32 KB they stay below 1 MB, in
/// the arena. The default 4 MiB window would cost tens of MB per encoder, for nothing.
fn window_bits(len: usize) -> i32 {
    // brotli's window holds 2^bits − 16 bytes.
    (10..18)
        .find(|bits| (1usize << bits) - 16 >= len)
        .unwrap_or(18)
}

/// The largest dynamic body compressed on the fly; a larger one (a big CSV export)
/// goes out as it is rather than be held in memory twice.
const ON_THE_FLY_MAX: u64 = 4 * 1024 * 1024;

/// Compresses, on the fly, the text answers that were not made once and cached
/// (`no-store` pages: search, the forms, the admin pages, JSON and CSV): gzip at a
/// fast level, for clients that accept it. Cached pages and assets already carry their
/// encoding and pass through untouched, as do files and small bodies.
pub async fn on_the_fly(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::body::HttpBody as _;
    use axum::http::header::{CONTENT_ENCODING, CONTENT_LENGTH, CONTENT_TYPE, VARY};
    let wanted = Encoding::negotiate(request.headers());
    let response = next.run(request).await;
    if wanted == Encoding::Identity || response.headers().contains_key(CONTENT_ENCODING) {
        return response;
    }
    let textual = response
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| {
            t.starts_with("text/") || t.starts_with("application/json") || t.contains("+xml")
        });
    let size = response.body().size_hint().exact();
    if !textual || !size.is_some_and(|n| (1024..=ON_THE_FLY_MAX).contains(&n)) {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) =
        axum::body::to_bytes(body, usize::try_from(ON_THE_FLY_MAX).unwrap_or(usize::MAX)).await
    else {
        // The body failed while being read: nothing sensible can be sent.
        return axum::response::IntoResponse::into_response(
            axum::http::StatusCode::INTERNAL_SERVER_ERROR,
        );
    };
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    let _ = encoder.write_all(&bytes);
    let compressed = encoder.finish().unwrap_or_default();
    if compressed.is_empty() {
        return axum::response::Response::from_parts(parts, axum::body::Body::from(bytes));
    }
    parts.headers.remove(CONTENT_LENGTH);
    parts.headers.insert(
        CONTENT_ENCODING,
        axum::http::HeaderValue::from_static("gzip"),
    );
    parts.headers.append(
        VARY,
        axum::http::HeaderValue::from_static("Accept-Encoding"),
    );
    axum::response::Response::from_parts(parts, axum::body::Body::from(compressed))
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;
    use std::io::Read;

    fn accept(value: &str) -> Encoding {
        let mut h = HeaderMap::new();
        h.insert(ACCEPT_ENCODING, HeaderValue::from_str(value).unwrap());
        Encoding::negotiate(&h)
    }

    #[test]
    fn negotiation_prefers_brotli_and_honours_q_zero() {
        assert_eq!(accept("gzip, deflate, br"), Encoding::Brotli);
        assert_eq!(accept("gzip"), Encoding::Gzip);
        assert_eq!(accept("br;q=0, gzip;q=0.5"), Encoding::Gzip);
        assert_eq!(accept("identity"), Encoding::Identity);
        assert_eq!(Encoding::negotiate(&HeaderMap::new()), Encoding::Identity);
    }

    #[test]
    fn the_brotli_window_just_holds_the_body() {
        assert_eq!(window_bits(0), 10);
        assert_eq!(window_bits(1008), 10);
        assert_eq!(window_bits(1009), 11);
        assert_eq!(window_bits(20_000), 15);
        assert_eq!(window_bits(32_752), 15);
        assert_eq!(window_bits(32_753), 16);
        assert_eq!(window_bits(10_000_000), 18);
        // Every body round-trips whatever its window.
        for len in [0, 1008, 1009, 32_753, 300_000] {
            let text: Vec<u8> = (0..len).map(|i| (i * 7 % 251) as u8).collect();
            for quality in [QUICK_BROTLI, 5, 10] {
                let mut out = Vec::new();
                brotli::BrotliDecompress(&mut &brotli_at(&text, quality)[..], &mut out).unwrap();
                assert_eq!(out, text);
            }
        }
    }

    #[test]
    fn both_encodings_round_trip() {
        let text = "Sở Khoa học và Công nghệ ".repeat(200);
        let p = Precompressed::new(Bytes::from(text.clone()));
        let mut out = String::new();
        flate2::read::GzDecoder::new(&p.gzip[..])
            .read_to_string(&mut out)
            .unwrap();
        assert_eq!(out, text);
        let mut out = Vec::new();
        brotli::BrotliDecompress(&mut &p.brotli[..], &mut out).unwrap();
        assert_eq!(out, text.as_bytes());
        assert!(p.brotli.len() < text.len() / 10);
    }
}
