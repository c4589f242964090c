//! The editor's form: its fields as typed, per kind, and how they become a draft.

use serde::Serialize;

use super::super::form::FormData;
use super::Choice;
use crate::content::editorial::Draft;
use crate::content::{self, Entry, Kind, Revision, legal, procedure};
use crate::store::{BlobHash, BlobMeta};

/// A legal document's fields as typed in the form.
#[derive(Serialize, Default, Clone)]
pub(super) struct LegalForm {
    pub(super) doc_type: String,
    pub(super) number: String,
    pub(super) issuer: String,
    pub(super) signer: String,
    pub(super) issued: String,
    pub(super) effective: String,
    pub(super) expires: String,
    pub(super) status: String,
    pub(super) field: String,
    pub(super) replaces: Vec<String>,
    pub(super) amends: Vec<String>,
    pub(super) guides: Vec<String>,
}

impl LegalForm {
    pub(super) fn from_doc(d: &legal::LegalDoc) -> LegalForm {
        LegalForm {
            doc_type: d.doc_type.clone(),
            number: d.number.clone(),
            issuer: d.issuer.clone(),
            signer: d.signer.clone(),
            issued: d.issued.to_string(),
            effective: d.effective.to_string(),
            expires: d.expires.map(|e| e.to_string()).unwrap_or_default(),
            status: d.status.map(|s| s.as_str().to_string()).unwrap_or_default(),
            field: d.field.clone(),
            replaces: d.replaces.clone(),
            amends: d.amends.clone(),
            guides: d.guides.clone(),
        }
    }

    pub(super) fn from_form(form: &FormData) -> LegalForm {
        let all = |k: &str| {
            form.all(k)
                .into_iter()
                .filter(|v| !v.is_empty())
                .map(String::from)
                .collect()
        };
        LegalForm {
            doc_type: form.get("doc_type").into(),
            number: form.get("number").trim().into(),
            issuer: form.get("issuer").trim().into(),
            signer: form.get("signer").trim().into(),
            issued: form.get("issued").into(),
            effective: form.get("effective").into(),
            expires: form.get("expires").into(),
            status: form.get("status").into(),
            field: form.get("field").trim().into(),
            replaces: all("replaces"),
            amends: all("amends"),
            guides: all("guides"),
        }
    }

    /// `None` when a required date is missing or malformed.
    pub(super) fn doc(&self) -> Option<legal::LegalDoc> {
        let expires = match self.expires.trim() {
            "" => None,
            text => Some(text.parse().ok()?),
        };
        Some(legal::LegalDoc {
            doc_type: self.doc_type.clone(),
            number: self.number.clone(),
            issuer: self.issuer.clone(),
            signer: self.signer.clone(),
            issued: self.issued.trim().parse().ok()?,
            effective: self.effective.trim().parse().ok()?,
            expires,
            status: legal::Validity::parse(&self.status),
            field: self.field.clone(),
            replaces: self.replaces.clone(),
            amends: self.amends.clone(),
            guides: self.guides.clone(),
        })
    }
}

/// A procedure's fields as typed in the form.
#[derive(Serialize, Default, Clone)]
pub(super) struct ProcedureForm {
    pub(super) code: String,
    pub(super) field: String,
    pub(super) level: String,
    pub(super) steps_html: String,
    pub(super) submission: String,
    pub(super) dossier_html: String,
    pub(super) processing_time: String,
    pub(super) fees: String,
    pub(super) applicants: String,
    pub(super) implementing_body: String,
    pub(super) result: String,
    pub(super) legal_basis: Vec<String>,
    pub(super) portal_url: String,
}

impl ProcedureForm {
    pub(super) fn from_procedure(p: &procedure::Procedure) -> ProcedureForm {
        ProcedureForm {
            code: p.code.clone(),
            field: p.field.clone(),
            level: p.level.clone(),
            steps_html: p.steps_html.clone(),
            submission: p.submission.clone(),
            dossier_html: p.dossier_html.clone(),
            processing_time: p.processing_time.clone(),
            fees: p.fees.clone(),
            applicants: p.applicants.clone(),
            implementing_body: p.implementing_body.clone(),
            result: p.result.clone(),
            legal_basis: p.legal_basis.clone(),
            portal_url: p.portal_url.clone(),
        }
    }

    pub(super) fn from_form(form: &FormData) -> ProcedureForm {
        let text = |k: &str| form.get(k).trim().to_string();
        ProcedureForm {
            code: text("code"),
            field: text("proc_field"),
            level: text("level"),
            steps_html: form.get("steps_html").into(),
            submission: text("submission"),
            dossier_html: form.get("dossier_html").into(),
            processing_time: text("processing_time"),
            fees: text("fees"),
            applicants: text("applicants"),
            implementing_body: text("implementing_body"),
            result: text("result"),
            legal_basis: form
                .all("legal_basis")
                .into_iter()
                .filter(|v| !v.is_empty())
                .map(String::from)
                .collect(),
            portal_url: text("portal_url"),
        }
    }

    pub(super) fn procedure(&self) -> procedure::Procedure {
        procedure::Procedure {
            code: self.code.clone(),
            field: self.field.clone(),
            level: self.level.clone(),
            steps_html: self.steps_html.clone(),
            submission: self.submission.clone(),
            dossier_html: self.dossier_html.clone(),
            processing_time: self.processing_time.clone(),
            fees: self.fees.clone(),
            applicants: self.applicants.clone(),
            implementing_body: self.implementing_body.clone(),
            result: self.result.clone(),
            legal_basis: self.legal_basis.clone(),
            portal_url: self.portal_url.clone(),
        }
    }
}

/// The `r_…` fields of a form: a described kind's values (checkboxes as true/false).
pub(super) fn record_from_form(form: &FormData) -> content::record::Record {
    let kind = Kind::ALL
        .iter()
        .copied()
        .find(|k| k.as_str() == form.get("kind"));
    let Some(spec) = kind.and_then(content::record::spec) else {
        return Default::default();
    };
    spec.fields
        .iter()
        .map(|f| {
            let name = format!("r_{}", f.key);
            let value = match f.ty {
                content::record::FieldType::Bool => form.has(&name).to_string(),
                _ => form.get(&name).to_string(),
            };
            (f.key.to_string(), value)
        })
        .collect()
}

/// One input of a described kind's form.
#[derive(Serialize)]
pub(super) struct RecordField {
    pub(super) name: String,
    pub(super) label: &'static str,
    pub(super) input: &'static str,
    pub(super) required: bool,
    pub(super) options: Vec<Choice>,
    pub(super) value: String,
}

pub(super) fn record_fields(kind: &str, values: &content::record::Record) -> Vec<RecordField> {
    use content::record::FieldType;
    let Some(spec) = Kind::ALL
        .iter()
        .copied()
        .find(|k| k.as_str() == kind)
        .and_then(content::record::spec)
    else {
        return Vec::new();
    };
    spec.fields
        .iter()
        .map(|f| RecordField {
            name: format!("r_{}", f.key),
            label: f.label,
            input: match f.ty {
                FieldType::Text => "text",
                FieldType::LongText => "textarea",
                FieldType::Date => "date",
                FieldType::Money | FieldType::Number => "number",
                FieldType::Url => "url",
                FieldType::Select(_) => "select",
                FieldType::Bool => "checkbox",
            },
            required: f.required,
            options: match f.ty {
                FieldType::Select(options) => options
                    .iter()
                    .map(|(v, l)| Choice {
                        value: (*v).into(),
                        label: (*l).into(),
                    })
                    .collect(),
                _ => Vec::new(),
            },
            value: values.get(f.key).cloned().unwrap_or_default(),
        })
        .collect()
}

/// The editor's form values, as shown (and re-shown after an error).
#[derive(Serialize, Default, Clone)]
pub(super) struct FormValues {
    pub(super) kind: String,
    pub(super) slug: String,
    pub(super) title: String,
    pub(super) summary: String,
    pub(super) body: String,
    pub(super) category: String,
    pub(super) author: String,
    pub(super) source: String,
    /// `YYYY-MM-DD`, or empty.
    pub(super) source_date: String,
    pub(super) featured: bool,
    pub(super) cover: String,
    pub(super) cover_alt: String,
    pub(super) attachments: Vec<String>,
    /// Files to attach, named one per line (the form without JavaScript).
    pub(super) attachments_add: String,
    pub(super) base: u64,
    pub(super) legal: LegalForm,
    pub(super) procedure: ProcedureForm,
    pub(super) record: content::record::Record,
    pub(super) week_start: String,
    pub(super) schedule_lines: String,
}

impl FormValues {
    pub(super) fn from_revision(entry: &Entry, r: &Revision) -> FormValues {
        let f = &r.fields;
        FormValues {
            kind: entry.kind.as_str().into(),
            slug: entry.slug.clone(),
            title: f.title.clone(),
            summary: f.summary.clone(),
            body: f.body_html.clone(),
            category: entry.category.clone().unwrap_or_default(),
            author: f.author.clone(),
            source: f.source.clone(),
            source_date: f.source_date.map(|d| d.to_string()).unwrap_or_default(),
            featured: entry.featured,
            cover: f
                .cover
                .as_ref()
                .map(|c| c.blob.to_string())
                .unwrap_or_default(),
            cover_alt: f.cover.as_ref().map(|c| c.alt.clone()).unwrap_or_default(),
            attachments: f.attachments.iter().map(|a| a.blob.to_string()).collect(),
            attachments_add: String::new(),
            base: r.id.0,
            legal: f
                .legal
                .as_ref()
                .map(LegalForm::from_doc)
                .unwrap_or_default(),
            procedure: f
                .procedure
                .as_ref()
                .map(ProcedureForm::from_procedure)
                .unwrap_or_default(),
            record: f.record.clone(),
            week_start: f
                .schedule
                .as_ref()
                .map(|w| w.start.to_string())
                .unwrap_or_default(),
            schedule_lines: f
                .schedule
                .as_ref()
                .map(|w| content::schedule::to_lines(&w.items))
                .unwrap_or_default(),
        }
    }

    pub(super) fn from_form(form: &FormData) -> FormValues {
        FormValues {
            kind: form.get("kind").into(),
            slug: form.get("slug").trim().into(),
            title: form.get("title").into(),
            summary: form.get("summary").into(),
            body: form.get("body").into(),
            category: form.get("category").into(),
            author: form.get("author").into(),
            source: form.get("source").into(),
            source_date: form.get("source_date").trim().into(),
            featured: form.has("featured"),
            cover: form.get("cover").into(),
            cover_alt: form.get("cover_alt").into(),
            attachments: form
                .all("attachments")
                .into_iter()
                .map(String::from)
                .collect(),
            attachments_add: form.get("attachments_add").into(),
            base: form.get("base").parse().unwrap_or(0),
            legal: LegalForm::from_form(form),
            procedure: ProcedureForm::from_form(form),
            record: record_from_form(form),
            week_start: form.get("week_start").trim().into(),
            schedule_lines: form.get("schedule_lines").into(),
        }
    }

    /// The week typed in the form, or why it is not one.
    pub(super) fn week(&self) -> Result<content::schedule::Week, String> {
        let day: jiff::civil::Date = self
            .week_start
            .parse()
            .map_err(|_| "Vui lòng chọn ngày đầu tuần.".to_string())?;
        let start = content::schedule::monday_of(day);
        let items = content::schedule::parse_lines(start, &self.schedule_lines)?;
        Ok(content::schedule::Week { start, items })
    }

    /// The draft, with the files the form names found in the library (`library_file`);
    /// a name that is not there is a problem to show, never a file silently dropped.
    pub(super) fn draft_in(&self, tx: &impl crate::store::Tx) -> Result<Draft, content::Error> {
        let library = crate::media::library(tx, None)?;
        let mut draft = self.draft();
        let mut problems = Vec::new();
        let cover = self.cover.trim();
        draft.cover = library_file(&library, cover, true).map(|m| m.hash.clone());
        if draft.cover.is_none() && !cover.is_empty() {
            problems.push(content::Invalid {
                field: "cover",
                message: format!("Thư viện không có ảnh “{cover}”."),
            });
        }
        draft.attachments = Vec::new();
        let named = self.attachments.iter().map(String::as_str);
        for name in named.chain(self.attachments_add.lines()).map(str::trim) {
            if name.is_empty() {
                continue;
            }
            match library_file(&library, name, false) {
                Some(m) if !draft.attachments.contains(&m.hash) => {
                    draft.attachments.push(m.hash.clone());
                }
                Some(_) => {}
                None => problems.push(content::Invalid {
                    field: "attachments",
                    message: format!("Thư viện không có tài liệu “{name}”."),
                }),
            }
        }
        if problems.is_empty() {
            Ok(draft)
        } else {
            Err(content::Error::Invalids(problems))
        }
    }

    fn draft(&self) -> Draft {
        let kind = Kind::ALL.iter().copied().find(|k| k.as_str() == self.kind);
        Draft {
            legal: (kind == Some(Kind::LegalDocument))
                .then(|| self.legal.doc())
                .flatten(),
            procedure: (kind == Some(Kind::Procedure)).then(|| self.procedure.procedure()),
            record: self.record.clone(),
            schedule: (kind == Some(Kind::ScheduleWeek)).then(|| self.week()),
            kind,
            slug: self.slug.clone(),
            category: Some(self.category.clone()).filter(|c| !c.is_empty()),
            featured: self.featured,
            title: match (&kind, self.title.trim(), self.week()) {
                (Some(Kind::ScheduleWeek), "", Ok(week)) => {
                    content::schedule::week_title(week.start)
                }
                _ => self.title.clone(),
            },
            summary: self.summary.clone(),
            body_html: self.body.clone(),
            author: self.author.clone(),
            source: self.source.clone(),
            source_date: self.source_date.clone(),
            cover: BlobHash::try_from(self.cover.clone()).ok(),
            cover_alt: self.cover_alt.clone(),
            attachments: self
                .attachments
                .iter()
                .filter_map(|h| BlobHash::try_from(h.clone()).ok())
                .collect(),
            // The form has no fields for these: a save keeps the revision's.
            keywords: None,
            parent: None,
        }
    }
}

/// A library file the form has chosen, as the pickers show it.
#[derive(Serialize)]
pub(super) struct MediaChoice {
    pub(super) hash: String,
    pub(super) name: String,
    pub(super) alt: String,
    pub(super) thumb: Option<String>,
    pub(super) size: String,
    /// Why its words cannot be searched (a scanned PDF).
    pub(super) warning: Option<&'static str>,
}

impl MediaChoice {
    pub(super) fn new(m: &BlobMeta, warning: Option<&'static str>) -> MediaChoice {
        MediaChoice {
            hash: m.hash.to_string(),
            name: m.original_name.clone(),
            alt: m.alt.clone(),
            thumb: m.content_type.starts_with("image/").then(|| {
                let small = m.variants.first().map_or(&m.hash, |v| &v.hash);
                crate::paths::blob(small, &m.original_name)
            }),
            size: crate::format::file_size(m.size),
            warning,
        }
    }
}

/// The library file a form names: by its hash (the pickers) or by its file name (the
/// form without JavaScript; the newest file of that name), of the kind asked for.
pub(super) fn library_file<'a>(
    library: &'a [BlobMeta],
    reference: &str,
    image: bool,
) -> Option<&'a BlobMeta> {
    let reference = reference.trim();
    let wanted: String = unicode_normalization::UnicodeNormalization::nfc(reference)
        .collect::<String>()
        .to_lowercase();
    library
        .iter()
        .filter(|m| m.content_type.starts_with("image/") == image)
        .find(|m| m.hash.as_str() == reference || m.original_name.to_lowercase() == wanted)
}
