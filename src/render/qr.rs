//! QR codes drawn by the server as inline SVG: the enrolment page shows the TOTP
//! address without sending the secret to any outside service, and without a script.

use qrcodegen::{QrCode, QrCodeEcc};

/// An SVG drawing of `text` as a QR code, labelled for screen readers; `None` if the
/// text is too long for any QR code.
pub fn svg(text: &str, label: &str) -> Option<String> {
    let code = QrCode::encode_text(text, QrCodeEcc::Medium).ok()?;
    // Four modules of quiet zone on every side, as the standard asks.
    const BORDER: i32 = 4;
    let size = code.size();
    let mut path = String::new();
    for y in 0..size {
        for x in 0..size {
            if code.get_module(x, y) {
                path.push_str(&format!("M{},{}h1v1h-1z", x + BORDER, y + BORDER));
            }
        }
    }
    let dimension = size + BORDER * 2;
    Some(format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {dimension} {dimension}\" \
         class=\"qr\" role=\"img\" aria-label=\"{}\" shape-rendering=\"crispEdges\">\
         <rect width=\"100%\" height=\"100%\" fill=\"#fff\"/>\
         <path d=\"{path}\" fill=\"#000\"/></svg>",
        escape(label)
    ))
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draws_a_square_labelled_svg() {
        let svg = svg("otpauth://totp/x?secret=ABC", "Mã QR \"x\"").unwrap();
        assert!(svg.starts_with("<svg"));
        assert!(svg.contains("aria-label=\"Mã QR &quot;x&quot;\""));
        let view_box = svg.split("viewBox=\"0 0 ").nth(1).unwrap();
        let (w, rest) = view_box.split_once(' ').unwrap();
        let h = rest.split('"').next().unwrap();
        assert_eq!(w, h, "square");
        let side: i32 = w.parse().unwrap();
        assert!(
            side >= 29 && (side - 8 - 17) % 4 == 0,
            "a QR size plus the quiet zone"
        );
        assert!(svg.matches('M').count() > 100);
        assert!(super::svg(&"x".repeat(5000), "").is_none());
    }
}
