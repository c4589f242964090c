//! Structured kinds described by data: S&T tasks, plans, projects and procurement,
//! magazine issues and the staff directory. Each kind lists its fields (label, type,
//! whether required, whether citizens can filter by it); the editor form, validation,
//! the public list and the detail table all follow the list. Adding a field is a line
//! here, not a new form, template and handler.

use std::collections::BTreeMap;

use jiff::civil::Date;

use super::Kind;

/// A record's values by field key; dates as `YYYY-MM-DD`, money in millions of VND.
pub type Record = BTreeMap<String, String>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldType {
    Text,
    /// Several lines; shown with its line breaks.
    LongText,
    Date,
    /// A whole number of million VND.
    Money,
    /// An `https://` address.
    Url,
    /// One of (value, label).
    Select(&'static [(&'static str, &'static str)]),
    /// A whole number (display order).
    Number,
    Bool,
}

#[derive(Debug, Clone, Copy)]
pub struct FieldSpec {
    pub key: &'static str,
    pub label: &'static str,
    pub ty: FieldType,
    pub required: bool,
    /// Offered as a filter on the public list.
    pub filter: bool,
    /// Shown as a column of the public list.
    pub column: bool,
}

const fn field(key: &'static str, label: &'static str, ty: FieldType) -> FieldSpec {
    FieldSpec {
        key,
        label,
        ty,
        required: false,
        filter: false,
        column: false,
    }
}

const fn required(key: &'static str, label: &'static str, ty: FieldType) -> FieldSpec {
    FieldSpec {
        key,
        label,
        ty,
        required: true,
        filter: false,
        column: false,
    }
}

const fn filtered(mut spec: FieldSpec) -> FieldSpec {
    spec.filter = true;
    spec.column = true;
    spec
}

const fn column(mut spec: FieldSpec) -> FieldSpec {
    spec.column = true;
    spec
}

pub struct KindSpec {
    pub kind: Kind,
    pub fields: &'static [FieldSpec],
    /// Pairs of date fields where the first must not come after the second.
    pub date_order: &'static [(&'static str, &'static str)],
    /// The field lists sort by, newest (or, for `order`, smallest) first.
    pub sort_by: &'static str,
    /// What the attachments are on this kind.
    pub files_label: &'static str,
    /// When set, attachments are required while this field has this value (an empty
    /// value: always).
    pub files_required_when: Option<(&'static str, &'static str)>,
    pub intro: &'static str,
}

const TASK_STATUS: &[(&str, &str)] = &[
    ("approved", "Đã phê duyệt"),
    ("in_progress", "Đang thực hiện"),
    ("accepted", "Đã nghiệm thu"),
];
const TASK_LEVEL: &[(&str, &str)] = &[
    ("Cấp quốc gia", "Cấp quốc gia"),
    ("Cấp bộ", "Cấp bộ"),
    ("Cấp tỉnh", "Cấp tỉnh"),
    ("Cấp cơ sở", "Cấp cơ sở"),
];
const PROJECT_STATUS: &[(&str, &str)] = &[
    ("chuan_bi", "Đang chuẩn bị"),
    ("dang_thuc_hien", "Đang thực hiện"),
    ("hoan_thanh", "Đã hoàn thành"),
];

pub const SPECS: &[KindSpec] = &[
    KindSpec {
        kind: Kind::Task,
        fields: &[
            column(required("code", "Mã số", FieldType::Text)),
            filtered(required(
                "level",
                "Cấp quản lý",
                FieldType::Select(TASK_LEVEL),
            )),
            filtered(required("field", "Lĩnh vực", FieldType::Text)),
            required("host", "Tổ chức chủ trì", FieldType::Text),
            required("lead", "Chủ nhiệm", FieldType::Text),
            required(
                "objectives",
                "Mục tiêu và nội dung chính",
                FieldType::LongText,
            ),
            field("method", "Phương pháp thực hiện", FieldType::LongText),
            required("expected_results", "Kết quả dự kiến", FieldType::LongText),
            required("start", "Bắt đầu", FieldType::Date),
            required("end", "Kết thúc", FieldType::Date),
            field("budget_million_vnd", "Kinh phí", FieldType::Money),
            filtered(required(
                "status",
                "Tình trạng",
                FieldType::Select(TASK_STATUS),
            )),
            field("approval_decision", "Quyết định phê duyệt", FieldType::Text),
            field("accepted_on", "Ngày nghiệm thu", FieldType::Date),
        ],
        date_order: &[("start", "end"), ("start", "accepted_on")],
        sort_by: "start",
        files_label: "Báo cáo kết quả (báo cáo tổng hợp, báo cáo ứng dụng)",
        files_required_when: Some(("status", "accepted")),
        intro: "Danh mục nhiệm vụ khoa học và công nghệ sử dụng ngân sách nhà nước; kết quả được công bố sau khi nghiệm thu.",
    },
    KindSpec {
        kind: Kind::Plan,
        fields: &[
            column(required(
                "decision_number",
                "Số quyết định",
                FieldType::Text,
            )),
            column(required("decision_date", "Ngày phê duyệt", FieldType::Date)),
            filtered(required("period", "Giai đoạn", FieldType::Text)),
            required(
                "status",
                "Tình hình thực hiện, kết quả",
                FieldType::LongText,
            ),
        ],
        date_order: &[],
        sort_by: "decision_date",
        files_label: "Tệp văn bản",
        files_required_when: None,
        intro: "Chiến lược, quy hoạch, kế hoạch phát triển khoa học và công nghệ và tình hình thực hiện.",
    },
    KindSpec {
        kind: Kind::Project,
        fields: &[
            required("objective", "Mục tiêu chính", FieldType::LongText),
            filtered(required("field", "Lĩnh vực", FieldType::Text)),
            column(required("project_type", "Loại dự án", FieldType::Text)),
            required("start", "Bắt đầu", FieldType::Date),
            required("end", "Kết thúc", FieldType::Date),
            column(required("budget_million_vnd", "Tổng vốn", FieldType::Money)),
            required("funding", "Loại nguồn vốn", FieldType::Text),
            field("donor", "Nhà tài trợ", FieldType::Text),
            filtered(required(
                "status",
                "Tình trạng",
                FieldType::Select(PROJECT_STATUS),
            )),
            field(
                "notice",
                "Thông báo mời thầu, kết quả lựa chọn nhà thầu",
                FieldType::LongText,
            ),
        ],
        date_order: &[("start", "end")],
        sort_by: "start",
        files_label: "Tài liệu dự án, đấu thầu",
        files_required_when: None,
        intro: "Dự án, hạng mục đầu tư, đấu thầu, mua sắm công đang chuẩn bị, đang thực hiện và đã hoàn thành.",
    },
    KindSpec {
        kind: Kind::Magazine,
        fields: &[
            column(required("issue_number", "Số", FieldType::Text)),
            column(required("date", "Ngày phát hành", FieldType::Date)),
            required("toc", "Mục lục (mỗi bài một dòng)", FieldType::LongText),
        ],
        date_order: &[],
        sort_by: "date",
        files_label: "Bản PDF",
        files_required_when: Some(("issue_number", "")),
        intro: "Tạp chí, bản tin khoa học và công nghệ: đọc mục lục và tải bản PDF.",
    },
    KindSpec {
        kind: Kind::Person,
        fields: &[
            column(required("position", "Chức vụ", FieldType::Text)),
            filtered(required("unit", "Đơn vị", FieldType::Text)),
            field("position_en", "Chức vụ (tiếng Anh)", FieldType::Text),
            field("unit_en", "Đơn vị (tiếng Anh)", FieldType::Text),
            field("bio", "Tóm tắt tiểu sử", FieldType::LongText),
            field("duties", "Nhiệm vụ được phân công", FieldType::LongText),
            column(field("phone", "Điện thoại công vụ", FieldType::Text)),
            column(field("email", "Thư điện tử công vụ", FieldType::Text)),
            field(
                "official_contact",
                "Đầu mối liên hệ chính thức",
                FieldType::Bool,
            ),
            field("order", "Thứ tự hiển thị", FieldType::Number),
        ],
        date_order: &[],
        sort_by: "order",
        files_label: "Tệp đính kèm",
        files_required_when: None,
        intro: "Lãnh đạo Sở và đầu mối liên hệ của các phòng, đơn vị: chức vụ, nhiệm vụ, điện thoại và thư điện tử công vụ.",
    },
    KindSpec {
        kind: Kind::Answer,
        fields: &[
            filtered(required("topic", "Lĩnh vực", FieldType::Text)),
            column(required("asked_on", "Ngày hỏi", FieldType::Date)),
            required(
                "question",
                "Câu hỏi (đã bỏ mọi thông tin cá nhân)",
                FieldType::LongText,
            ),
            column(field("ticket", "Số tiếp nhận", FieldType::Text)),
            field(
                PUBLIC_ANSWER,
                "Công khai trên trang Hỏi – đáp (câu hỏi nhiều người quan tâm)",
                FieldType::Bool,
            ),
        ],
        date_order: &[],
        sort_by: "asked_on",
        files_label: "Tệp đính kèm",
        files_required_when: None,
        intro: "Câu hỏi của người dân, doanh nghiệp và câu trả lời của Sở về những vấn đề nhiều người quan tâm. Câu trả lời riêng được gửi tới người hỏi qua trang tra cứu.",
    },
    KindSpec {
        kind: Kind::Consultation,
        fields: &[
            column(required(
                "opens",
                "Ngày bắt đầu lấy ý kiến",
                FieldType::Date,
            )),
            column(required(
                "closes",
                "Ngày kết thúc lấy ý kiến",
                FieldType::Date,
            )),
            filtered(required("field", "Lĩnh vực", FieldType::Text)),
            required("receiving_unit", "Đơn vị tiếp nhận ý kiến", FieldType::Text),
            required("address", "Địa chỉ đơn vị tiếp nhận", FieldType::Text),
            required("email", "Thư điện tử đơn vị tiếp nhận", FieldType::Text),
            field("phone", "Điện thoại", FieldType::Text),
        ],
        date_order: &[("opens", "closes")],
        sort_by: "opens",
        files_label: "Toàn văn dự thảo",
        files_required_when: None,
        intro: "Dự thảo văn bản, chính sách đang lấy ý kiến nhân dân: đọc toàn văn, gửi ý kiến trước ngày kết thúc. Ý kiến được duyệt trước khi hiển thị.",
    },
    KindSpec {
        kind: Kind::Statistic,
        fields: &[
            filtered(required("field", "Lĩnh vực", FieldType::Text)),
            column(required("period", "Kỳ số liệu", FieldType::Text)),
            column(required("unit", "Đơn vị thực hiện", FieldType::Text)),
            required("method", "Phương pháp thống kê", FieldType::LongText),
            column(required(
                DECIDED_ON,
                "Ngày lãnh đạo quyết định công bố",
                FieldType::Date,
            )),
            field("analysis", "Phân tích, nhận xét", FieldType::LongText),
        ],
        date_order: &[],
        sort_by: DECIDED_ON,
        files_label: "Số liệu, báo cáo thống kê",
        files_required_when: Some(("period", "")),
        intro: "Số liệu, báo cáo thống kê về khoa học và công nghệ: phương pháp, kỳ số liệu, phân tích và tệp dữ liệu.",
    },
];

/// The field of a statistic the D6 deadline counts from: the day the head decided to
/// publish it.
pub const DECIDED_ON: &str = "decided_on";

/// The field of an answer that puts it on the public Q&A list; other answers reach
/// only the person who asked.
pub const PUBLIC_ANSWER: &str = "public";

pub fn spec(kind: Kind) -> Option<&'static KindSpec> {
    SPECS.iter().find(|s| s.kind == kind)
}

/// Field problems, in Vietnamese, for the form.
pub fn problems(spec: &KindSpec, record: &Record, has_files: bool) -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    let value = |key: &str| record.get(key).map_or("", |v| v.trim());
    for f in spec.fields {
        let v = value(f.key);
        if v.is_empty() {
            if f.required {
                out.push((f.key, format!("Vui lòng nhập {}.", f.label.to_lowercase())));
            }
            continue;
        }
        let ok = match f.ty {
            FieldType::Date => v.parse::<Date>().is_ok(),
            FieldType::Money | FieldType::Number => v.parse::<u64>().is_ok(),
            FieldType::Url => v.starts_with("https://"),
            FieldType::Select(options) => options.iter().any(|(o, _)| *o == v),
            FieldType::Bool => v == "true" || v == "false",
            FieldType::Text | FieldType::LongText => true,
        };
        if !ok {
            out.push((
                f.key,
                format!("Giá trị của mục “{}” không hợp lệ.", f.label),
            ));
        }
    }
    for (first, second) in spec.date_order {
        if let (Ok(a), Ok(b)) = (value(first).parse::<Date>(), value(second).parse::<Date>())
            && a > b
        {
            let label = |k: &'static str| -> &'static str {
                spec.fields
                    .iter()
                    .find(|f| f.key == k)
                    .map_or(k, |f| f.label)
            };
            out.push((
                second,
                format!("“{}” không được trước “{}”.", label(second), label(first)),
            ));
        }
    }
    if let Some((key, wanted)) = spec.files_required_when
        && (wanted.is_empty() || value(key) == wanted)
        && !has_files
    {
        out.push((
            "attachments",
            format!("Vui lòng chọn {}.", spec.files_label.to_lowercase()),
        ));
    }
    out
}

/// A value as people read it.
pub fn display(spec: &FieldSpec, value: &str) -> String {
    match spec.ty {
        FieldType::Date => value.parse::<Date>().map_or_else(
            |_| value.to_string(),
            |d| d.strftime("%d/%m/%Y").to_string(),
        ),
        FieldType::Money => value.parse::<u64>().map_or_else(
            |_| value.to_string(),
            |n| format!("{} triệu đồng", group_thousands(n)),
        ),
        FieldType::Select(options) => options
            .iter()
            .find(|(v, _)| *v == value)
            .map_or(value.to_string(), |(_, label)| label.to_string()),
        FieldType::Bool => if value == "true" { "Có" } else { "Không" }.to_string(),
        _ => value.to_string(),
    }
}

/// 1180 → "1.180" (Vietnamese thousands separator).
fn group_thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push('.');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn task() -> Record {
        [
            ("code", "ĐTKHCN.09/24"),
            ("level", "Cấp tỉnh"),
            ("field", "Khoa học nông nghiệp"),
            ("host", "Trung tâm Ứng dụng"),
            ("lead", "ThS. Võ Thị Kim Oanh"),
            ("objectives", "Mục tiêu"),
            ("expected_results", "Kết quả"),
            ("start", "2024-07-01"),
            ("end", "2026-06-30"),
            ("budget_million_vnd", "1180"),
            ("status", "in_progress"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
    }

    #[test]
    fn a_task_is_checked_against_its_spec() {
        let spec = spec(Kind::Task).unwrap();
        assert!(problems(spec, &task(), false).is_empty());
        let mut bad = task();
        bad.insert("end".into(), "2024-01-01".into());
        bad.insert("status".into(), "accepted".into());
        bad.insert("budget_million_vnd".into(), "nhiều".into());
        bad.remove("lead");
        let fields: Vec<&str> = problems(spec, &bad, false).iter().map(|p| p.0).collect();
        assert_eq!(
            fields,
            vec!["lead", "budget_million_vnd", "end", "attachments"]
        );
    }

    #[test]
    fn values_read_naturally() {
        let spec = spec(Kind::Task).unwrap();
        let budget = spec
            .fields
            .iter()
            .find(|f| f.key == "budget_million_vnd")
            .unwrap();
        assert_eq!(display(budget, "1180"), "1.180 triệu đồng");
        let status = spec.fields.iter().find(|f| f.key == "status").unwrap();
        assert_eq!(display(status, "accepted"), "Đã nghiệm thu");
        let start = spec.fields.iter().find(|f| f.key == "start").unwrap();
        assert_eq!(display(start, "2024-07-01"), "01/07/2024");
    }
}
