//! Administrative procedures (thủ tục hành chính, regulation C14): the official fields,
//! the legal basis linked to the document register, the forms as attachments, and the
//! link to the national or provincial public-service portal where they are carried out.

use serde::{Deserialize, Serialize};

/// A procedure's fields; the title of its revision is the procedure's name. Steps and
/// dossier are HTML, sanitised like any body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Procedure {
    /// The code in the national catalogue.
    pub code: String,
    pub field: String,
    /// Cấp thực hiện.
    pub level: String,
    pub steps_html: String,
    /// Cách thức thực hiện.
    pub submission: String,
    /// Thành phần hồ sơ.
    pub dossier_html: String,
    pub processing_time: String,
    pub fees: String,
    /// Đối tượng thực hiện.
    pub applicants: String,
    /// Cơ quan thực hiện.
    pub implementing_body: String,
    /// Kết quả.
    pub result: String,
    /// Slugs of the legal documents it rests on.
    #[serde(default)]
    pub legal_basis: Vec<String>,
    /// The procedure on the public-service portal.
    pub portal_url: String,
}

pub const LEVELS: &[&str] = &["Cấp tỉnh", "Cấp huyện", "Cấp xã", "Cấp trung ương"];

impl Procedure {
    /// Field problems, in Vietnamese, for the form.
    pub fn problems(&self) -> Vec<(&'static str, &'static str)> {
        let mut out = Vec::new();
        let required = [
            ("code", &self.code, "Vui lòng nhập mã thủ tục."),
            ("proc_field", &self.field, "Vui lòng nhập lĩnh vực."),
            (
                "steps_html",
                &self.steps_html,
                "Vui lòng nhập trình tự thực hiện.",
            ),
            (
                "dossier_html",
                &self.dossier_html,
                "Vui lòng nhập thành phần hồ sơ.",
            ),
            (
                "processing_time",
                &self.processing_time,
                "Vui lòng nhập thời hạn giải quyết.",
            ),
            (
                "implementing_body",
                &self.implementing_body,
                "Vui lòng nhập cơ quan thực hiện.",
            ),
            ("result", &self.result, "Vui lòng nhập kết quả thực hiện."),
        ];
        for (field, value, message) in required {
            if value.trim().is_empty() {
                out.push((field, message));
            }
        }
        if !LEVELS.contains(&self.level.as_str()) {
            out.push(("level", "Vui lòng chọn cấp thực hiện."));
        }
        if !self.portal_url.starts_with("https://") {
            out.push((
                "portal_url",
                "Đường dẫn Cổng Dịch vụ công phải bắt đầu bằng https://.",
            ));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn required_fields_and_the_portal_link_are_checked() {
        let p = Procedure {
            code: "1.002246.000.00.00.H10".into(),
            field: "Khoa học và công nghệ".into(),
            level: "Cấp tỉnh".into(),
            steps_html: "<ol><li>Nộp hồ sơ</li></ol>".into(),
            submission: "Trực tuyến".into(),
            dossier_html: "<ul><li>Phiếu đăng ký</li></ul>".into(),
            processing_time: "10 ngày làm việc".into(),
            fees: "Không".into(),
            applicants: "Tổ chức, cá nhân".into(),
            implementing_body: "Sở Khoa học và Công nghệ".into(),
            result: "Giấy chứng nhận".into(),
            legal_basis: vec![],
            portal_url: "https://dichvucong.gov.vn".into(),
        };
        assert!(p.problems().is_empty());
        let mut bad = p.clone();
        bad.code.clear();
        bad.level = "Cấp vũ trụ".into();
        bad.portal_url = "javascript:alert(1)".into();
        let fields: Vec<&str> = bad.problems().iter().map(|x| x.0).collect();
        assert_eq!(fields, vec!["code", "level", "portal_url"]);
    }
}
