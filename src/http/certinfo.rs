//! What operators need to know about the serving certificate (subject, issuer, expiry),
//! read straight from its DER: an X.509 certificate is a SEQUENCE whose first element,
//! the `TBSCertificate`, holds [0] version, serial, signature algorithm, issuer, validity
//! and subject in that order (RFC 5280 section 4.1). Only those fields are read.

use jiff::Timestamp;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertInfo {
    pub subject: String,
    pub issuer: String,
    pub not_before: Timestamp,
    pub not_after: Timestamp,
}

/// One DER element: its tag, its contents, and what follows it.
fn element(input: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = input.split_first()?;
    let (&first, rest) = rest.split_first()?;
    let (length, rest) = if first < 0x80 {
        (usize::from(first), rest)
    } else {
        let count = usize::from(first & 0x7f);
        if count == 0 || count > 4 || rest.len() < count {
            return None;
        }
        let length = rest[..count]
            .iter()
            .fold(0usize, |acc, b| (acc << 8) | usize::from(*b));
        (length, &rest[count..])
    };
    if rest.len() < length {
        return None;
    }
    Some((tag, &rest[..length], &rest[length..]))
}

/// `UTCTime` (tag 0x17, YYMMDDHHMMSSZ) or `GeneralizedTime` (0x18, YYYYMMDDHHMMSSZ).
fn time(tag: u8, body: &[u8]) -> Option<Timestamp> {
    let text = std::str::from_utf8(body).ok()?.strip_suffix('Z')?;
    let full = match (tag, text.len()) {
        (0x17, 12) => {
            let year: i32 = text[..2].parse().ok()?;
            let century = if year >= 50 { "19" } else { "20" };
            format!("{century}{text}")
        }
        (0x18, 14) => text.to_string(),
        _ => return None,
    };
    let stamp = format!(
        "{}-{}-{}T{}:{}:{}Z",
        &full[..4],
        &full[4..6],
        &full[6..8],
        &full[8..10],
        &full[10..12],
        &full[12..14]
    );
    stamp.parse().ok()
}

/// The common name of a Name (or, lacking one, every attribute value joined).
fn name(body: &[u8]) -> String {
    const COMMON_NAME: &[u8] = &[0x55, 0x04, 0x03];
    let mut values = Vec::new();
    let mut common = None;
    let mut sets = body;
    while let Some((_, set, rest)) = element(sets) {
        sets = rest;
        let mut attributes = set;
        while let Some((_, attribute, rest)) = element(attributes) {
            attributes = rest;
            let Some((_, oid, after)) = element(attribute) else {
                continue;
            };
            let Some((_, value, _)) = element(after) else {
                continue;
            };
            let text = String::from_utf8_lossy(value).into_owned();
            if oid == COMMON_NAME {
                common = Some(text.clone());
            }
            values.push(text);
        }
    }
    common.unwrap_or_else(|| values.join(", "))
}

/// Reads subject, issuer and validity from a DER certificate.
pub fn from_der(der: &[u8]) -> Option<CertInfo> {
    let (_, certificate, _) = element(der)?;
    let (_, tbs, _) = element(certificate)?;
    let mut rest = tbs;
    // [0] EXPLICIT version, present for v2 and v3 certificates.
    if rest.first() == Some(&0xa0) {
        rest = element(rest)?.2;
    }
    let (_, _serial, rest) = element(rest)?;
    let (_, _algorithm, rest) = element(rest)?;
    let (_, issuer, rest) = element(rest)?;
    let (_, validity, rest) = element(rest)?;
    let (_, subject, _) = element(rest)?;
    let (before_tag, before, after) = element(validity)?;
    let (after_tag, after, _) = element(after)?;
    Some(CertInfo {
        subject: name(subject),
        issuer: name(issuer),
        not_before: time(before_tag, before)?,
        not_after: time(after_tag, after)?,
    })
}

/// Reads the first certificate of a PEM file.
pub fn from_pem_file(path: &std::path::Path) -> Option<CertInfo> {
    use rustls_pki_types::CertificateDer;
    use rustls_pki_types::pem::PemObject;
    let first = CertificateDer::pem_file_iter(path).ok()?.next()?.ok()?;
    from_der(first.as_ref())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_what_rcgen_wrote_and_refuses_garbage() {
        let mut params =
            rcgen::CertificateParams::new(vec!["skhcn.example.gov.vn".into()]).unwrap();
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "skhcn.example.gov.vn");
        params.not_before = rcgen::date_time_ymd(2026, 1, 2);
        params.not_after = rcgen::date_time_ymd(2051, 3, 4);
        let key = rcgen::KeyPair::generate().unwrap();
        let cert = params.self_signed(&key).unwrap();
        let info = from_der(cert.der()).unwrap();
        assert_eq!(info.subject, "skhcn.example.gov.vn");
        assert_eq!(info.issuer, "skhcn.example.gov.vn");
        assert_eq!(info.not_before.to_string(), "2026-01-02T00:00:00Z");
        assert_eq!(info.not_after.to_string(), "2051-03-04T00:00:00Z");
        assert!(from_der(b"\x30\x82\xff").is_none());
        assert!(from_der(&cert.der()[..40]).is_none());
    }
}
