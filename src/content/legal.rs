//! Legal and administrative documents (văn bản): the metadata the law asks for
//! (Decree 43/2011 Art. 10(1)(e), Decree 42/2022 Art. 4(1)(a)), validity worked out from
//! the dates and the relations, and the relations themselves in both directions.

use jiff::civil::Date;
use serde::{Deserialize, Serialize};

/// Whether a document is in force. Worked out from the dates and the relations unless
/// an editor set it (some texts lapse in part, which no date says).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Validity {
    ConHieuLuc,
    ChuaHieuLuc,
    HetHieuLuc,
    HetHieuLucMotPhan,
    BiThayThe,
}

impl Validity {
    pub const ALL: &[Validity] = &[
        Validity::ConHieuLuc,
        Validity::ChuaHieuLuc,
        Validity::HetHieuLucMotPhan,
        Validity::HetHieuLuc,
        Validity::BiThayThe,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Validity::ConHieuLuc => "con_hieu_luc",
            Validity::ChuaHieuLuc => "chua_hieu_luc",
            Validity::HetHieuLuc => "het_hieu_luc",
            Validity::HetHieuLucMotPhan => "het_hieu_luc_mot_phan",
            Validity::BiThayThe => "bi_thay_the",
        }
    }

    pub fn parse(text: &str) -> Option<Validity> {
        Validity::ALL.iter().copied().find(|v| v.as_str() == text)
    }

    pub fn label(self) -> &'static str {
        match self {
            Validity::ConHieuLuc => "Còn hiệu lực",
            Validity::ChuaHieuLuc => "Chưa có hiệu lực",
            Validity::HetHieuLuc => "Hết hiệu lực",
            Validity::HetHieuLucMotPhan => "Hết hiệu lực một phần",
            Validity::BiThayThe => "Bị thay thế",
        }
    }

    /// Whether citizens should be warned that the text no longer applies in full.
    pub fn warns(self) -> bool {
        matches!(
            self,
            Validity::HetHieuLuc | Validity::HetHieuLucMotPhan | Validity::BiThayThe
        )
    }
}

/// The types of document the register offers (hình thức văn bản).
pub const TYPES: &[&str] = &[
    "Luật",
    "Nghị quyết",
    "Nghị định",
    "Quyết định",
    "Thông tư",
    "Chỉ thị",
    "Kế hoạch",
    "Công văn",
    "Điều ước quốc tế",
];

/// A document's metadata; the title of its revision is the trích yếu.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LegalDoc {
    pub doc_type: String,
    /// Số, ký hiệu: "242/QĐ-SKHCN".
    pub number: String,
    /// Cơ quan ban hành.
    pub issuer: String,
    #[serde(default)]
    pub signer: String,
    pub issued: Date,
    pub effective: Date,
    #[serde(default)]
    pub expires: Option<Date>,
    /// Set by an editor; otherwise worked out.
    #[serde(default)]
    pub status: Option<Validity>,
    /// Lĩnh vực.
    pub field: String,
    /// Slugs of documents this one replaces, amends or guides.
    #[serde(default)]
    pub replaces: Vec<String>,
    #[serde(default)]
    pub amends: Vec<String>,
    #[serde(default)]
    pub guides: Vec<String>,
}

impl LegalDoc {
    /// Validity on `today`, given whether a published document replaces this one.
    pub fn validity(&self, today: Date, replaced: bool) -> Validity {
        if let Some(status) = self.status {
            return status;
        }
        if replaced {
            Validity::BiThayThe
        } else if self.expires.is_some_and(|e| e <= today) {
            Validity::HetHieuLuc
        } else if self.effective > today {
            Validity::ChuaHieuLuc
        } else {
            Validity::ConHieuLuc
        }
    }

    /// Field problems, in Vietnamese, for the form.
    pub fn problems(&self, own_slug: &str) -> Vec<(&'static str, &'static str)> {
        let mut out = Vec::new();
        if !TYPES.contains(&self.doc_type.as_str()) {
            out.push(("doc_type", "Vui lòng chọn hình thức văn bản."));
        }
        if self.number.trim().is_empty() {
            out.push(("number", "Vui lòng nhập số, ký hiệu văn bản."));
        }
        if self.issuer.trim().is_empty() {
            out.push(("issuer", "Vui lòng nhập cơ quan ban hành."));
        }
        if self.field.trim().is_empty() {
            out.push(("field", "Vui lòng nhập lĩnh vực."));
        }
        if self.effective < self.issued {
            out.push((
                "effective",
                "Ngày có hiệu lực không được trước ngày ban hành.",
            ));
        }
        if self.expires.is_some_and(|e| e <= self.effective) {
            out.push(("expires", "Ngày hết hiệu lực phải sau ngày có hiệu lực."));
        }
        let related = self.replaces.iter().chain(&self.amends).chain(&self.guides);
        if related.clone().any(|s| s == own_slug) {
            out.push(("replaces", "Văn bản không thể liên quan đến chính nó."));
        }
        out
    }

    /// The related slugs, each with how this document relates to it.
    pub fn relations(&self) -> impl Iterator<Item = (Relation, &String)> {
        self.replaces
            .iter()
            .map(|s| (Relation::Replaces, s))
            .chain(self.amends.iter().map(|s| (Relation::Amends, s)))
            .chain(self.guides.iter().map(|s| (Relation::Guides, s)))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Relation {
    Replaces,
    Amends,
    Guides,
}

impl Relation {
    /// How the document that holds the relation describes it.
    pub fn label(self) -> &'static str {
        match self {
            Relation::Replaces => "Thay thế",
            Relation::Amends => "Sửa đổi, bổ sung",
            Relation::Guides => "Hướng dẫn thi hành",
        }
    }

    /// How the other document describes it.
    pub fn inverse_label(self) -> &'static str {
        match self {
            Relation::Replaces => "Bị thay thế bởi",
            Relation::Amends => "Được sửa đổi, bổ sung bởi",
            Relation::Guides => "Được hướng dẫn bởi",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    fn doc() -> LegalDoc {
        LegalDoc {
            doc_type: "Quyết định".into(),
            number: "242/QĐ-SKHCN".into(),
            issuer: "Sở Khoa học và Công nghệ tỉnh Bình Định".into(),
            signer: String::new(),
            issued: date(2018, 9, 17),
            effective: date(2018, 9, 17),
            expires: None,
            status: None,
            field: "Thông tin điện tử".into(),
            replaces: vec![],
            amends: vec![],
            guides: vec![],
        }
    }

    #[test]
    fn validity_comes_from_the_dates_and_the_relations() {
        let mut d = doc();
        assert_eq!(d.validity(date(2026, 11, 28), false), Validity::ConHieuLuc);
        assert_eq!(d.validity(date(2026, 11, 28), true), Validity::BiThayThe);
        assert_eq!(d.validity(date(2018, 9, 1), false), Validity::ChuaHieuLuc);
        d.expires = Some(date(2025, 1, 1));
        assert_eq!(d.validity(date(2026, 11, 28), false), Validity::HetHieuLuc);
        d.status = Some(Validity::HetHieuLucMotPhan);
        assert_eq!(
            d.validity(date(2026, 11, 28), false),
            Validity::HetHieuLucMotPhan
        );
    }

    #[test]
    fn inconsistent_dates_and_self_references_are_refused() {
        let mut d = doc();
        assert!(d.problems("qd-242").is_empty());
        d.effective = date(2018, 9, 1);
        d.expires = Some(date(2018, 8, 1));
        d.replaces = vec!["qd-242".into()];
        let fields: Vec<&str> = d.problems("qd-242").iter().map(|p| p.0).collect();
        assert_eq!(fields, vec!["effective", "expires", "replaces"]);
    }
}
