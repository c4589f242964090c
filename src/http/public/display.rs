//! Display preferences (F10): text size and high contrast, chosen with a plain form and
//! kept in a cookie, so they work without JavaScript. Every page's HTML stays the same
//! for everyone (and so stays in shared caches); only the small stylesheet
//! `/hien-thi.css` the layout links to differs, and it is private to each browser.

use crate::http::form::Form;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE, COOKIE, ETAG, SET_COOKIE, VARY};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use crate::http::error::HttpError;
use crate::http::frame::check_origin;

const COOKIE_NAME: &str = "hien-thi";

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Size {
    #[default]
    Normal,
    Large,
    Larger,
}

/// What a browser asked for.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Display {
    pub size: Size,
    pub high_contrast: bool,
}

impl Display {
    /// From the `hien-thi` cookie, e.g. `lon.cao`; anything unknown is ignored.
    pub fn from_headers(headers: &HeaderMap) -> Display {
        let mut display = Display::default();
        let value = headers
            .get_all(COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(';'))
            .filter_map(|pair| pair.trim().split_once('='))
            .find(|(name, _)| *name == COOKIE_NAME)
            .map(|(_, value)| value);
        for token in value.unwrap_or("").split('.') {
            match token {
                "lon" => display.size = Size::Large,
                "rat-lon" => display.size = Size::Larger,
                "cao" => display.high_contrast = true,
                _ => {}
            }
        }
        display
    }

    fn cookie_value(self) -> String {
        let mut tokens = Vec::new();
        match self.size {
            Size::Normal => {}
            Size::Large => tokens.push("lon"),
            Size::Larger => tokens.push("rat-lon"),
        }
        if self.high_contrast {
            tokens.push("cao");
        }
        tokens.join(".")
    }

    /// The stylesheet for these preferences (empty for the defaults). It also marks
    /// the chosen buttons, which the shared HTML cannot.
    pub fn stylesheet(self) -> String {
        let mut css = String::from("/* Tùy chọn hiển thị của trình duyệt này */\n");
        let (percent, chosen) = match self.size {
            Size::Normal => (100, "vua"),
            Size::Large => (125, "lon"),
            Size::Larger => (150, "rat-lon"),
        };
        if percent != 100 {
            css.push_str(&format!("html {{ font-size: {percent}%; }}\n"));
        }
        css.push_str(&format!(
            ".display-prefs button[value=\"{chosen}\"] {{ text-decoration: underline; font-weight: 700; }}\n"
        ));
        if self.high_contrast {
            css.push_str(HIGH_CONTRAST);
        }
        css
    }
}

/// Black, white and yellow: well past 7:1 everywhere (WCAG AAA), without images of
/// colour behind text.
const HIGH_CONTRAST: &str = "\
:root { --red: #000; --red-dark: #000; --blue: #000; --blue-dark: #000; --ink: #fff; --muted: #fff; --line: #fff; --paper: #000; --tint: #000; --focus: #ff0; }
body, .site-header, .main-menu, .site-footer, main, .primary, .sidebar, .card, .featured, .latest, .section-block, table, th, td, input, select, textarea, button { background: #000 !important; color: #fff !important; border-color: #fff !important; }
a, a:visited, .agency a, .main-menu a { color: #ff0 !important; }
h1, h2, h3, h4 { color: #fff !important; }
img { filter: grayscale(100%) contrast(1.2); }
mark, .snippet mark { background: #ff0 !important; color: #000 !important; }
:focus-visible { outline: 3px solid #ff0 !important; }
.display-prefs button[value=\"cao\"] { text-decoration: underline; font-weight: 700; }
";

/// `GET /hien-thi.css`
pub async fn stylesheet(headers: HeaderMap) -> Response {
    let display = Display::from_headers(&headers);
    let etag = format!("\"hien-thi-{}\"", display.cookie_value());
    let etag = HeaderValue::from_str(&etag).unwrap_or(HeaderValue::from_static("\"hien-thi\""));
    let mut response_headers = HeaderMap::new();
    response_headers.insert(CACHE_CONTROL, HeaderValue::from_static("private, no-cache"));
    response_headers.insert(VARY, HeaderValue::from_static("cookie"));
    response_headers.insert(ETAG, etag.clone());
    if crate::http::cache::etag_matches(&headers, &etag) {
        return (StatusCode::NOT_MODIFIED, response_headers).into_response();
    }
    response_headers.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/css; charset=utf-8"),
    );
    (response_headers, display.stylesheet()).into_response()
}

#[derive(Debug, Deserialize)]
pub struct Choice {
    #[serde(rename = "co-chu", default)]
    size: Option<String>,
    #[serde(rename = "tuong-phan", default)]
    contrast: Option<String>,
    #[serde(rename = "quay-lai", default)]
    back: Option<String>,
}

impl Display {
    /// The reader's new choice of text size or contrast.
    fn apply(&mut self, choice: &Choice) -> Result<(), HttpError> {
        match choice.size.as_deref() {
            None => {}
            Some("vua") => self.size = Size::Normal,
            Some("lon") => self.size = Size::Large,
            Some("rat-lon") => self.size = Size::Larger,
            Some(_) => return Err(HttpError::BadRequest("unknown text size")),
        }
        match choice.contrast.as_deref() {
            None => {}
            Some("cao") => self.high_contrast = true,
            Some("thuong") => self.high_contrast = false,
            Some(_) => return Err(HttpError::BadRequest("unknown contrast")),
        }
        Ok(())
    }
}

/// `POST /hien-thi`: stores the choice in the cookie and goes back to the page.
pub async fn choose(
    headers: HeaderMap,
    uri: Uri,
    Form(choice): Form<Choice>,
) -> Result<Response, HttpError> {
    check_origin(&headers, &uri)?;
    let mut display = Display::from_headers(&headers);
    display.apply(&choice)?;
    // Only a path on this site: never an open redirect.
    let back = choice
        .back
        .filter(|b| crate::paths::is_local_path(b))
        .unwrap_or_else(|| "/".to_string());
    let value = display.cookie_value();
    let cookie = if value.is_empty() {
        format!("{COOKIE_NAME}=; Path=/; Max-Age=0; Secure; HttpOnly; SameSite=Lax")
    } else {
        format!("{COOKIE_NAME}={value}; Path=/; Max-Age=31536000; Secure; HttpOnly; SameSite=Lax")
    };
    let mut response = crate::http::error::see_other(&back);
    let headers = response.headers_mut();
    headers.insert(
        SET_COOKIE,
        HeaderValue::from_str(&cookie).map_err(|e| HttpError::Internal(e.to_string()))?,
    );
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cookie_round_trips_and_ignores_junk() {
        let mut headers = HeaderMap::new();
        headers.insert(
            COOKIE,
            HeaderValue::from_static("a=b; hien-thi=rat-lon.cao.xyz"),
        );
        let display = Display::from_headers(&headers);
        assert_eq!(
            display,
            Display {
                size: Size::Larger,
                high_contrast: true
            }
        );
        assert_eq!(display.cookie_value(), "rat-lon.cao");
        assert!(display.stylesheet().contains("font-size: 150%"));
        assert!(display.stylesheet().contains("#ff0"));
        assert_eq!(Display::from_headers(&HeaderMap::new()), Display::default());
        assert!(!Display::default().stylesheet().contains("font-size"));
    }
}
