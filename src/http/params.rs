//! The query string, parsed once into decoded keys and values (repeats kept), with the
//! typed readings handlers share: the page number of a list, a date, a number. No
//! handler splits `&` by hand. A query that is not valid percent-encoded UTF-8 is a
//! 400, not a silently empty filter.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use jiff::civil::Date;

use super::admin::form::FormData;
use super::error::HttpError;

/// The highest page number anyone can ask for; more is a 400, not a cache entry.
const MAX_PAGE: usize = 1_000_000;

#[derive(Debug, Clone, Default)]
pub struct Params(FormData);

impl<S: Send + Sync> FromRequestParts<S> for Params {
    type Rejection = HttpError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, HttpError> {
        Params::parse(parts.uri.query())
    }
}

impl Params {
    pub fn parse(query: Option<&str>) -> Result<Params, HttpError> {
        FormData::parse(query.unwrap_or("").as_bytes())
            .map(Params)
            .ok_or(HttpError::BadRequest("malformed query string"))
    }

    /// The first value of `name`, or "".
    pub fn get(&self, name: &str) -> &str {
        self.0.get(name)
    }

    /// The first value of `name`, trimmed, if it is not empty.
    pub fn text(&self, name: &str) -> Option<&str> {
        Some(self.0.get(name).trim()).filter(|v| !v.is_empty())
    }

    pub fn has(&self, name: &str) -> bool {
        self.0.has(name)
    }

    /// `name` as a number, if it is one.
    pub fn number<T: std::str::FromStr>(&self, name: &str) -> Option<T> {
        self.text(name)?.parse().ok()
    }

    /// `name` as a date (`2026-12-05`): absent is `None`, anything else a 400.
    pub fn date(&self, name: &str) -> Result<Option<Date>, HttpError> {
        self.text(name)
            .map(|v| v.parse().map_err(|_| HttpError::BadRequest("not a date")))
            .transpose()
    }

    /// The 1-based page number of a list (`trang=2`): absent is 1; anything but one
    /// number in range is refused. Other parameters (tracking tags) are ignored.
    pub fn page(&self) -> Result<usize, HttpError> {
        match self.0.all("trang").as_slice() {
            [] => Ok(1),
            [one] => one
                .parse::<usize>()
                .ok()
                .filter(|n| (1..=MAX_PAGE).contains(n))
                .ok_or(HttpError::BadRequest("page number out of range")),
            _ => Err(HttpError::BadRequest("page number given twice")),
        }
    }

    /// The flash message code after a redirect (`tb=`).
    pub fn flash(&self) -> Option<&str> {
        self.text("tb")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(query: &str) -> Result<usize, HttpError> {
        Params::parse(Some(query))?.page()
    }

    #[test]
    fn page_numbers() {
        assert_eq!(page("").unwrap(), 1);
        assert_eq!(page("utm=x&trang=3").unwrap(), 3);
        for bad in ["trang=0", "trang=abc", "trang=1&trang=2", "trang=99999999"] {
            assert!(page(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn values_are_decoded_and_bad_encoding_is_refused() {
        let p = Params::parse(Some("q=Quy+Nh%C6%A1n&tuan=2026-11-25&x=")).unwrap();
        assert_eq!(p.get("q"), "Quy Nhơn");
        assert_eq!(p.text("x"), None);
        assert_eq!(
            p.date("tuan").unwrap(),
            Some(jiff::civil::date(2026, 11, 25))
        );
        assert!(Params::parse(Some("q=%FF")).is_err());
        assert!(
            Params::parse(Some("tuan=hom-nay"))
                .unwrap()
                .date("tuan")
                .is_err()
        );
    }
}
