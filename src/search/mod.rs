//! Full-text search of what is published, understanding Vietnamese: "quyet dinh" finds
//! "Quyết định", đ folds to d, decomposed (NFD) input works, and matches whose
//! diacritics agree with the query rank first.
//!
//! Engine: tantivy. Every text is put in NFC, then indexed twice: an exact field
//! (lowercased, diacritics kept) and a folded field (lowercased, ASCII-folded, which
//! covers all Vietnamese letters including đ). A query term matches either; an exact
//! match adds a larger boost. Queries are built from tokens, never parsed as query
//! syntax, so "242/QĐ-SKHCN" is just three terms that must all match.
//!
//! The index in `data/search/` is derived: it is rebuilt from the store when missing,
//! when its format changes, when its files are found damaged (`app::SearchRepair`; at
//! start, `Search::open`), and by `trangtin reindex`.

mod files;

use std::path::Path;
use std::sync::{Arc, Mutex};

use tantivy::collector::TopDocs;
use tantivy::directory::MmapDirectory;
use tantivy::indexer::NoMergePolicy;
use tantivy::query::{BooleanQuery, BoostQuery, EnableScoring, Occur, Query, TermQuery};
use tantivy::schema::{
    FAST, Field, INDEXED, IndexRecordOption, STORED, Schema, TextFieldIndexing, TextOptions, Value,
};
use tantivy::snippet::SnippetGenerator;
use tantivy::tokenizer::{
    AsciiFoldingFilter, LowerCaser, RemoveLongFilter, SimpleTokenizer, TextAnalyzer,
};
use tantivy::{
    DocAddress, DocSet, Index, IndexReader, ReloadPolicy, TERMINATED, TantivyDocument, Term, doc,
};
use unicode_normalization::UnicodeNormalization;

use crate::content::sanitize::plain_text;
use crate::content::{self, EntryId, Kind, Published};
use crate::store::Store;

/// Bump when the schema or the analysis changes: the index is then rebuilt.
const FORMAT: &str = "trangtin-search-6";
const EXACT: &str = "vi_exact";
const FOLDED: &str = "vi_folded";
/// Memory for the indexing arena (tantivy's minimum is 15 MB).
const WRITER_BYTES: usize = 15_000_000;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("search index: {0}")]
    Index(#[from] tantivy::TantivyError),
    #[error("search index folder: {0}")]
    Dir(#[from] tantivy::directory::error::OpenDirectoryError),
    #[error("search index folder: {0}")]
    Io(#[from] std::io::Error),
    #[error(transparent)]
    Content(#[from] content::Error),
    #[error(transparent)]
    Store(#[from] crate::store::Error),
    /// A rebuild ended before it was done, as the server stopped.
    #[error("search index rebuild stopped")]
    Stopped,
    /// The index library panicked (on bytes it did not expect).
    #[error("search index library failed: {0}")]
    Panicked(String),
}

impl Error {
    /// Whether this says the index's files are damaged or unreadable (a segment file cut
    /// short, altered or gone), which a rebuild from the store mends. Not a store error,
    /// and not a full disk or a process out of file handles or memory: rebuilding would
    /// only make those worse.
    pub fn is_damage(&self) -> bool {
        use tantivy::TantivyError as T;
        use tantivy::directory::error::{OpenDirectoryError as D, OpenReadError as R};
        match self {
            Error::Index(
                T::DataCorruption(_)
                | T::OpenReadError(R::FileDoesNotExist(_) | R::IncompatibleIndex(_)),
            ) => true,
            Error::Index(
                T::IoError(e)
                | T::OpenReadError(R::IoError { io_error: e, .. })
                | T::OpenDirectoryError(D::IoError { io_error: e, .. }),
            )
            | Error::Dir(D::IoError { io_error: e, .. }) => damaged_file(e),
            Error::Io(e) => damaged_file(e),
            Error::Index(_)
            | Error::Dir(_)
            | Error::Content(_)
            | Error::Store(_)
            | Error::Stopped
            | Error::Panicked(_) => false,
        }
    }
}

/// Whether an I/O error from the index's files says the files are at fault.
fn damaged_file(e: &std::io::Error) -> bool {
    !crate::files::is_disk_full(e)
        && e.kind() != std::io::ErrorKind::OutOfMemory
        && !matches!(
            e.raw_os_error(),
            Some(libc::EMFILE | libc::ENFILE | libc::ENOMEM)
        )
}

struct Fields {
    id: Field,
    kind: Field,
    title_exact: Field,
    title_folded: Field,
    body_exact: Field,
    body_folded: Field,
    /// Words found but not shown: keywords, codes and dates of a record, the text of
    /// attached files. Kept apart from the body, so a snippet is prose, not a dump of
    /// fields.
    extra_exact: Field,
    extra_folded: Field,
    /// Title, body and hidden words together, folded: the field the first pass reads.
    all_folded: Field,
    date: Field,
}

pub struct Search {
    index: Index,
    reader: IndexReader,
    fields: Fields,
    /// One writer at a time (tantivy allows one per index).
    writing: Mutex<()>,
    /// `FORMAT`, written once a rebuild has committed: a rebuild cut short (a kill, a
    /// full disk) leaves none, and the next start rebuilds again instead of serving a
    /// half-filled index as complete.
    marker: std::path::PathBuf,
    /// The large ranges of the index kept mapped between queries (`files`).
    recent: Arc<files::RecentMaps>,
}

/// One hit, ready for the results page.
#[derive(Debug, Clone)]
pub struct Hit {
    pub id: EntryId,
    pub kind: Kind,
    pub title: String,
    /// The body around the matches, HTML-escaped, matches in `<mark>`.
    pub snippet_html: String,
    pub date: Option<jiff::Timestamp>,
}

#[derive(Debug, Clone)]
pub struct Results {
    pub hits: Vec<Hit>,
    /// How many match, counted up to `COUNT_LIMIT`.
    pub total: usize,
    /// Whether more than `COUNT_LIMIT` match (`total` then equals it).
    pub more: bool,
}

/// Matches are counted up to this many. Past it a page says "more than", and the best
/// matches are found without visiting every match: on a million entries a common word
/// matches most of them, and counting them all costs more than finding the best ten.
pub const COUNT_LIMIT: usize = 1_000;

fn analyzer(fold: bool) -> TextAnalyzer {
    let builder = TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(60))
        .filter(LowerCaser);
    if fold {
        builder.filter(AsciiFoldingFilter).build()
    } else {
        builder.build()
    }
}

fn schema() -> (Schema, Fields) {
    let text = |tokenizer: &str, stored: bool| {
        let options = TextOptions::default().set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(tokenizer)
                // Queries are words, never phrases: positions would only add size.
                .set_index_option(IndexRecordOption::WithFreqs),
        );
        if stored {
            options.set_stored()
        } else {
            options
        }
    };
    let mut b = Schema::builder();
    let fields = Fields {
        id: b.add_u64_field("id", INDEXED | STORED | FAST),
        // With frequencies, unlike a plain STRING field: a kind clause beside the words
        // then keeps the first pass a conjunction of scored terms, which tantivy walks
        // skipping blocks (block-max WAND); a clause without them made it score every
        // match. Every entry's kind is one word, so the clause adds the same to each
        // score of a kind and changes no order.
        kind: b.add_text_field(
            "kind",
            TextOptions::default()
                .set_indexing_options(
                    TextFieldIndexing::default()
                        .set_tokenizer("raw")
                        .set_index_option(IndexRecordOption::WithFreqs),
                )
                .set_stored(),
        ),
        title_exact: b.add_text_field("title_exact", text(EXACT, true)),
        title_folded: b.add_text_field("title_folded", text(FOLDED, false)),
        body_exact: b.add_text_field("body_exact", text(EXACT, false)),
        body_folded: b.add_text_field("body_folded", text(FOLDED, true)),
        extra_exact: b.add_text_field("extra_exact", text(EXACT, false)),
        extra_folded: b.add_text_field("extra_folded", text(FOLDED, false)),
        all_folded: b.add_text_field("all_folded", text(FOLDED, false)),
        date: b.add_i64_field("date", STORED | FAST),
    };
    (b.build(), fields)
}

/// Text as indexed and queried: NFC, and đ spelled out for any tokenizer that would
/// not fold it (`AsciiFolding` does; this keeps the rule explicit).
pub fn normalize(text: &str) -> String {
    text.nfc().collect()
}

impl Search {
    /// Opens `dir`, creating it (empty) when missing, of another format or damaged (a
    /// segment file cut short or altered: the index is derived, and a server that
    /// would not start over it would take the whole site down). Returns whether the
    /// index needs a rebuild from the store.
    pub fn open(dir: &Path) -> Result<(Search, bool), Error> {
        match Search::open_as_is(dir) {
            Err(e) if e.is_damage() && dir.exists() => {
                tracing::warn!(
                    "the search index in {} is damaged ({e}); starting it afresh, to be rebuilt from the store",
                    dir.display()
                );
                std::fs::remove_dir_all(dir)?;
                Search::open_as_is(dir)
            }
            opened => opened,
        }
    }

    fn open_as_is(dir: &Path) -> Result<(Search, bool), Error> {
        let marker = dir.join("FORMAT");
        let current = std::fs::read_to_string(&marker).ok();
        let fresh = current.as_deref() != Some(FORMAT);
        if fresh && dir.exists() {
            std::fs::remove_dir_all(dir)?;
        }
        std::fs::create_dir_all(dir)?;
        let (schema, fields) = schema();
        // Writers (and their merges, which read whole segments) map the files; searches
        // read them (see `files`). Two handles on one folder, as tantivy allows.
        let index = Index::open_or_create(MmapDirectory::open(dir)?, schema)?;
        let files = files::ReadDirectory::open(dir)?;
        let recent = files.recent();
        let mut reading = Index::open(files)?;
        // A query's segments are searched side by side, one per core: a large index is
        // built as that many parts (`rebuild`), so one search uses every core.
        let threads = search_threads();
        if threads > 1 {
            reading.set_multithread_executor(threads)?;
        }
        for each in [&index, &reading] {
            each.tokenizers().register(EXACT, analyzer(false));
            each.tokenizers().register(FOLDED, analyzer(true));
        }
        let reader = reading
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()?;
        Ok((
            Search {
                index,
                reader,
                fields,
                writing: Mutex::new(()),
                marker,
                recent,
            },
            fresh,
        ))
    }

    /// Unmaps the ranges of the index no query has read for a while (`files`).
    pub fn release_idle(&self) {
        self.recent.release_idle();
    }

    /// The words of an entry's attached PDF and DOCX files, as read into the library.
    fn attached_text(tx: &impl crate::store::Tx, p: &Published) -> Result<String, Error> {
        let mut out = String::new();
        for a in &p.revision.fields.attachments {
            if let Some(read) = crate::document_text::of(tx, &a.blob)? {
                out.push(' ');
                out.push_str(&read.text);
            }
        }
        Ok(out)
    }

    fn document(&self, p: &Published, attached: &str) -> TantivyDocument {
        let f = &p.revision.fields;
        // A document is found by its number, type and issuer as well as its summary.
        let title = match (&f.legal, &f.procedure) {
            (Some(d), _) => normalize(&format!(
                "{} {} {} {}",
                d.doc_type, d.number, f.title, d.issuer
            )),
            (None, Some(p)) => normalize(&format!("{} {}", f.title, p.code)),
            (None, None) => normalize(&f.title),
        };
        let extra = f.procedure.as_ref().map_or(String::new(), |p| {
            format!(
                "{} {} {} {}",
                p.field,
                plain_text(&p.steps_html),
                plain_text(&p.dossier_html),
                p.result
            )
        });
        // A record's long texts (objectives, a biography) read as prose; its codes,
        // dates and choices are found but not quoted.
        let long_text = |key: &str| {
            content::record::spec(p.entry.kind).is_some_and(|spec| {
                spec.fields
                    .iter()
                    .any(|x| x.key == key && x.ty == content::record::FieldType::LongText)
            })
        };
        let (mut record_prose, mut record_codes) = (Vec::new(), Vec::new());
        for (key, value) in &f.record {
            if long_text(key) {
                record_prose.push(value.as_str());
            } else {
                record_codes.push(value.as_str());
            }
        }
        let schedule: Vec<String> = f.schedule.as_ref().map_or(Vec::new(), |w| {
            w.items
                .iter()
                .map(|i| format!("{} {} {}", i.leaders.join(" "), i.content, i.venue))
                .collect()
        });
        let body = normalize(&format!(
            "{} {} {} {} {}",
            f.summary,
            plain_text(&f.body_html),
            extra,
            record_prose.join(" "),
            schedule.join(" "),
        ));
        let hidden = normalize(&format!(
            "{} {} {}",
            f.keywords.join(" "),
            record_codes.join(" "),
            attached
        ));
        let date = p.entry.published_at.map_or(0, jiff::Timestamp::as_second);
        doc!(
            self.fields.id => p.entry.id.0,
            self.fields.kind => p.entry.kind.as_str(),
            self.fields.all_folded => format!("{title} {body} {hidden}"),
            self.fields.title_exact => title.clone(),
            self.fields.title_folded => title,
            self.fields.body_exact => body.clone(),
            self.fields.body_folded => body,
            self.fields.extra_exact => hidden.clone(),
            self.fields.extra_folded => hidden,
            self.fields.date => date,
        )
    }

    /// Holds the index's writer lock: rebuilds and updates wait until it goes.
    #[cfg(test)]
    pub(crate) fn hold_writer(&self) -> std::sync::MutexGuard<'_, ()> {
        self.writing
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The index's one writer, with the lock that keeps it the only one.
    fn writer(
        &self,
    ) -> Result<
        (
            std::sync::MutexGuard<'_, ()>,
            tantivy::IndexWriter<TantivyDocument>,
        ),
        Error,
    > {
        let one_writer = self
            .writing
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let writer = self
            .index
            .writer_with_num_threads::<TantivyDocument>(1, WRITER_BYTES)?;
        Ok((one_writer, writer))
    }

    /// Writes an empty index's `meta.json` over an unreadable one, so that a writer
    /// opens again; the segments it listed are left for the rebuild to replace.
    fn start_empty(&self, why: &Error) -> Result<(), Error> {
        let Some(dir) = self.marker.parent() else {
            return Ok(());
        };
        tracing::warn!(
            "the search index's list of segments cannot be read ({why}); starting it empty"
        );
        match std::fs::remove_file(dir.join("meta.json")) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e.into()),
            _ => {}
        }
        Index::create(
            MmapDirectory::open(dir)?,
            self.index.schema(),
            tantivy::IndexSettings::default(),
        )?;
        Ok(())
    }

    /// Brings the index in line with the store for these entries: published ones are
    /// (re)indexed, anything else leaves the index.
    pub fn update(&self, store: &Store, ids: &[EntryId]) -> Result<(), Error> {
        let (_one_writer, mut writer) = self.writer()?;
        for id in ids {
            writer.delete_term(Term::from_field_u64(self.fields.id, id.0));
            let found = store.read_blocking(|tx| -> Result<_, Error> {
                match content::published(tx, *id)?.filter(content::Published::is_listed) {
                    Some(p) => {
                        let attached = Self::attached_text(tx, &p)?;
                        Ok(Some(self.document(&p, &attached)))
                    }
                    None => Ok(None),
                }
            })?;
            if let Some(document) = found {
                writer.add_document(document)?;
            }
        }
        writer.commit()?;
        self.reader.reload()?;
        Ok(())
    }

    /// Re-indexes everything published, from scratch.
    pub fn rebuild(&self, store: &Store) -> Result<usize, Error> {
        self.rebuild_unless(store, &std::sync::atomic::AtomicBool::new(false))
    }

    /// As `rebuild`, ending with `Error::Stopped` (nothing committed) at the first
    /// batch after `stopping` turns true.
    pub fn rebuild_unless(
        &self,
        store: &Store,
        stopping: &std::sync::atomic::AtomicBool,
    ) -> Result<usize, Error> {
        // Files stored before their words were kept are read first.
        crate::document_text::fill_missing(store)?;
        let (_one_writer, mut writer) = match self.writer() {
            // The list of segments (`meta.json`) unreadable: a writer cannot open, and
            // a rebuild needs none of what it listed.
            Err(e) if e.is_damage() => {
                self.start_empty(&e)?;
                self.writer()?
            }
            opened => opened?,
        };
        // Unfinished until the marker is written again at the end: a rebuild killed
        // after its commit but before its merges leaves every document in hundreds of
        // segments (searches four times slower), which the next start then rebuilds.
        match std::fs::remove_file(&self.marker) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e.into()),
            _ => {}
        }
        // Merged once, at the end (below): merges started along the way would take the
        // segments that final merge names.
        writer.set_merge_policy(Box::new(NoMergePolicy));
        writer.delete_all_documents()?;
        // Only the ids are kept: a million entries' envelopes would not fit the budget.
        let ids: Vec<EntryId> = store.read_blocking(|tx| -> Result<_, content::Error> {
            let mut ids = Vec::new();
            crate::content::tables::ENTRIES.scan(tx, 0u64.., false, |e| {
                if e.published.is_some() {
                    ids.push(e.id);
                }
                true
            })?;
            Ok(ids)
        })?;
        let mut count = 0;
        for chunk in ids.chunks(500) {
            if stopping.load(std::sync::atomic::Ordering::Acquire) {
                return Err(Error::Stopped);
            }
            let docs = store.read_blocking(|tx| -> Result<_, Error> {
                let mut docs = Vec::new();
                for id in chunk {
                    if let Some(p) = content::published(tx, *id)?
                        && p.is_listed()
                    {
                        let attached = Self::attached_text(tx, &p)?;
                        docs.push(self.document(&p, &attached));
                    }
                }
                Ok(docs)
            })?;
            for d in docs {
                writer.add_document(d)?;
                count += 1;
            }
        }
        writer.commit()?;
        // As few segments as there are cores to search them (`parts`): each part finds
        // its best matches in one pass, raising the bar as it goes, instead of starting
        // again in each of a dozen segments; and the parts are searched side by side.
        self.merge_into(&mut writer, parts(count))?;
        writer.wait_merging_threads()?;
        self.reader.reload()?;
        // Written after the commit, synced: a partial write reads as another format.
        crate::files::write_file(&self.marker, FORMAT.as_bytes(), false)?;
        Ok(count)
    }

    /// Merges the index's segments into at most `parts`, of about the same size.
    fn merge_into(
        &self,
        writer: &mut tantivy::IndexWriter<TantivyDocument>,
        parts: usize,
    ) -> Result<(), Error> {
        // Only the ids are kept: while a segment's meta lives, tantivy keeps its files.
        let groups = balanced(&self.index.searchable_segment_metas()?, parts);
        for group in groups {
            if group.len() > 1 {
                writer.merge(&group).wait()?;
            }
        }
        Ok(())
    }

    /// The queries for `text`, narrowed to `kind`; `None` without a word.
    /// - `first`: every word must be among the entry's words (title, body, hidden),
    ///   folded: plain terms, which tantivy intersects skipping blocks of postings that
    ///   cannot make the top.
    /// - `full`: the same matches, weighed per field: a word in the title, or with the
    ///   query's diacritics, weighs more.
    fn queries(&self, text: &str, kind: Option<Kind>) -> Option<Queries> {
        let text = normalize(text);
        let tokens = |fold: bool| {
            let mut analyzer = analyzer(fold);
            let mut stream = analyzer.token_stream(&text);
            let mut out = Vec::new();
            while stream.advance() {
                out.push(stream.token().text.clone());
            }
            out
        };
        let (exact, folded) = (tokens(false), tokens(true));
        if folded.is_empty() {
            return None;
        }
        let f = &self.fields;
        let term = |field: Field, word: &str| -> Box<dyn Query> {
            Box::new(TermQuery::new(
                Term::from_field_text(field, word),
                IndexRecordOption::WithFreqs,
            ))
        };
        let boosted = |term: Term, boost: f32| -> (Occur, Box<dyn Query>) {
            let query = TermQuery::new(term, IndexRecordOption::WithFreqs);
            (
                Occur::Should,
                Box::new(BoostQuery::new(Box::new(query), boost)),
            )
        };
        let of_kind = kind.map(|kind| -> (Occur, Box<dyn Query>) {
            (
                Occur::Must,
                Box::new(TermQuery::new(
                    Term::from_field_text(f.kind, kind.as_str()),
                    IndexRecordOption::WithFreqs,
                )),
            )
        });
        let mut first: Vec<(Occur, Box<dyn Query>)> = folded
            .iter()
            .map(|fw| (Occur::Must, term(f.all_folded, fw)))
            .collect();
        let weighed: Vec<(Term, f32)> = folded
            .iter()
            .zip(exact.iter())
            .flat_map(|(fw, ew)| {
                [
                    (f.title_folded, fw, 2.0),
                    (f.body_folded, fw, 1.0),
                    (f.title_exact, ew, 6.0),
                    (f.body_exact, ew, 3.0),
                    (f.extra_folded, fw, 1.0),
                    (f.extra_exact, ew, 2.0),
                ]
                .map(|(field, word, boost)| (Term::from_field_text(field, word), boost))
            })
            .collect();
        let mut full: Vec<(Occur, Box<dyn Query>)> = weighed
            .chunks(6)
            .map(|word| -> (Occur, Box<dyn Query>) {
                let any = word
                    .iter()
                    .map(|(term, boost)| boosted(term.clone(), *boost))
                    .collect();
                (Occur::Must, Box::new(BooleanQuery::new(any)))
            })
            .collect();
        if let Some(clause) = of_kind {
            first.push((clause.0, clause.1.box_clone()));
            full.push(clause);
        }
        // One word is asked as its term alone: tantivy skips blocks for a lone term
        // query or a conjunction of two or more, but scores every match of a
        // conjunction of one (a million, for a common word).
        let first: Box<dyn Query> = match <[_; 1]>::try_from(first) {
            Ok([(_, alone)]) => alone,
            Err(clauses) => Box::new(BooleanQuery::new(clauses)),
        };
        Some(Queries {
            first,
            full: Box::new(BooleanQuery::new(full)),
            weighed,
        })
    }

    /// Searches what is published; `kind` narrows to one kind.
    ///
    /// Two passes: the best `RERANK` (or as many as the page reaches) by `first`, then
    /// those weighed again by `full` and sorted. With fewer matches than that every
    /// match is weighed by `full`; on a large site the best of a common word are found
    /// without scoring each of its hundreds of thousands of matches.
    pub fn search(
        &self,
        text: &str,
        kind: Option<Kind>,
        offset: usize,
        limit: usize,
    ) -> Result<Results, Error> {
        let Some(queries) = self.queries(text, kind) else {
            return Ok(Results {
                hits: Vec::new(),
                total: 0,
                more: false,
            });
        };
        let searcher = self.reader.searcher();
        // The top documents alone, so that tantivy can skip blocks (block-max WAND): a
        // `Count` beside it would score every match. The count is taken apart, unscored,
        // and stops at its limit.
        let pool = offset.saturating_add(limit).max(RERANK);
        let candidates =
            searcher.search(&*queries.first, &TopDocs::with_limit(pool).order_by_score())?;
        let ranked = rescore(&searcher, &queries.weighed, candidates)?;
        let total = count_up_to(&searcher, &*queries.first, COUNT_LIMIT + 1)?;
        let mut snippets =
            SnippetGenerator::create(&searcher, &*queries.full, self.fields.body_folded)?;
        snippets.set_max_num_chars(220);
        // Reading a hit's stored text and cutting its snippet take about a tenth of a
        // millisecond each: the page's hits are made side by side too.
        let page = ranked.into_iter().skip(offset).take(limit);
        let hits = searcher.index().search_executor().map(
            |(_score, address)| self.hit(&searcher, address, &snippets),
            page,
        )?;
        Ok(Results {
            hits,
            total: total.min(COUNT_LIMIT),
            more: total > COUNT_LIMIT,
        })
    }
}

/// How many threads search one query: the cores, up to four.
fn search_threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get().min(4))
}

/// A rebuilt index of fewer entries than this is one segment: a search of it takes a
/// millisecond or less, less than handing it to other threads would save.
const SPLIT_FROM: usize = 50_000;

/// How many segments a rebuilt index of `count` entries is made of.
fn parts(count: usize) -> usize {
    if count < SPLIT_FROM {
        1
    } else {
        search_threads()
    }
}

/// `segments` in at most `parts` groups of about the same number of documents, in
/// their order, for merging each group into one segment.
fn balanced(
    segments: &[tantivy::index::SegmentMeta],
    parts: usize,
) -> Vec<Vec<tantivy::index::SegmentId>> {
    let total: u64 = segments.iter().map(|s| u64::from(s.num_docs())).sum();
    let share = total.div_ceil(parts.max(1) as u64).max(1);
    let mut groups = Vec::new();
    let (mut group, mut filled) = (Vec::new(), 0);
    for segment in segments {
        group.push(segment.id());
        filled += u64::from(segment.num_docs());
        if filled >= share {
            groups.push(std::mem::take(&mut group));
            filled = 0;
        }
    }
    if !group.is_empty() {
        groups.push(group);
    }
    groups
}

/// A search's two queries (see `Search::queries`).
struct Queries {
    first: Box<dyn Query>,
    /// For the snippets: which words of the body to highlight.
    full: Box<dyn Query>,
    /// Every term of `full` with its boost.
    weighed: Vec<(Term, f32)>,
}

/// How many of the first pass's best are weighed again by the full query.
const RERANK: usize = 100;

/// `found` scored again, best first (ties in index order): for each document, the sum
/// of its weighed terms' scores, which is what `Queries::full` scores. Each term's
/// scorer seeks to the documents in order; no union of postings is built.
fn rescore(
    searcher: &tantivy::Searcher,
    terms: &[(Term, f32)],
    found: Vec<(tantivy::Score, DocAddress)>,
) -> Result<Vec<(tantivy::Score, DocAddress)>, Error> {
    let scoring = EnableScoring::enabled_from_searcher(searcher);
    let weights = terms
        .iter()
        .map(|(term, boost)| {
            let query = TermQuery::new(term.clone(), IndexRecordOption::WithFreqs);
            Ok((query.weight(scoring)?, *boost))
        })
        .collect::<Result<Vec<_>, Error>>()?;
    let mut addresses: Vec<DocAddress> = found.into_iter().map(|(_, a)| a).collect();
    addresses.sort();
    // Each segment's documents on a search thread of their own (see `Search::open`).
    let segment_scores = |segment: &[DocAddress]| -> tantivy::Result<Vec<_>> {
        let reader = searcher.segment_reader(segment[0].segment_ord);
        let mut scorers = weights
            .iter()
            .map(|(weight, boost)| weight.scorer(reader, *boost))
            .collect::<Result<Vec<_>, _>>()?;
        let mut scored = Vec::with_capacity(segment.len());
        for address in segment {
            let mut score = 0.0;
            for scorer in &mut scorers {
                if scorer.doc() < address.doc_id {
                    scorer.seek(address.doc_id);
                }
                if scorer.doc() == address.doc_id {
                    score += scorer.score();
                }
            }
            scored.push((score, *address));
        }
        Ok(scored)
    };
    let mut scored: Vec<_> = searcher
        .index()
        .search_executor()
        .map(
            segment_scores,
            addresses.chunk_by(|a, b| a.segment_ord == b.segment_ord),
        )?
        .into_iter()
        .flatten()
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    Ok(scored)
}

/// How many live documents match `query`, counting no further than `limit`: the
/// matches are walked in order, unscored, and the walk stops there.
fn count_up_to(
    searcher: &tantivy::Searcher,
    query: &dyn Query,
    limit: usize,
) -> Result<usize, Error> {
    let weight = query.weight(EnableScoring::disabled_from_searcher(searcher))?;
    let mut count = 0;
    for segment in searcher.segment_readers() {
        let mut matches = weight.scorer(segment, 1.0)?;
        let alive = segment.alive_bitset();
        let mut doc = matches.doc();
        while doc != TERMINATED && count < limit {
            if alive.is_none_or(|a| a.is_alive(doc)) {
                count += 1;
            }
            doc = matches.advance();
        }
    }
    Ok(count)
}

impl Search {
    fn hit(
        &self,
        searcher: &tantivy::Searcher,
        address: DocAddress,
        snippets: &SnippetGenerator,
    ) -> tantivy::Result<Hit> {
        let doc: TantivyDocument = searcher.doc(address)?;
        let text = |field| {
            doc.get_first(field)
                .and_then(|v| v.as_str())
                .unwrap_or_default()
                .to_string()
        };
        let mut snippet = snippets.snippet_from_doc(&doc);
        snippet.set_snippet_prefix_postfix("<mark>", "</mark>");
        let kind = text(self.fields.kind);
        Ok(Hit {
            id: EntryId(
                doc.get_first(self.fields.id)
                    .and_then(|v| v.as_u64())
                    .unwrap_or(0),
            ),
            kind: Kind::ALL
                .iter()
                .copied()
                .find(|k| k.as_str() == kind)
                .unwrap_or(Kind::Article),
            title: text(self.fields.title_exact),
            snippet_html: snippet.to_html(),
            date: doc
                .get_first(self.fields.date)
                .and_then(|v| v.as_i64())
                .filter(|s| *s > 0)
                .and_then(|s| jiff::Timestamp::from_second(s).ok()),
        })
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::content::{Category, Fields as EntryFields, NewEntry};

    /// A file that cannot be read is damage, which a rebuild mends; a full disk or a
    /// process out of file handles is not: a rebuild would only make it worse.
    #[test]
    fn a_full_disk_or_no_file_handles_is_not_damage() {
        let os = std::io::Error::from_raw_os_error;
        let index = |e: std::io::Error| Error::Index(tantivy::TantivyError::IoError(Arc::new(e)));
        assert!(index(os(libc::EIO)).is_damage());
        assert!(
            index(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                "failed to fill whole buffer"
            ))
            .is_damage()
        );
        assert!(Error::Io(os(libc::EIO)).is_damage());
        for healthy_files in [
            libc::ENOSPC,
            libc::EDQUOT,
            libc::EMFILE,
            libc::ENFILE,
            libc::ENOMEM,
        ] {
            assert!(!index(os(healthy_files)).is_damage(), "{healthy_files}");
            assert!(!Error::Io(os(healthy_files)).is_damage(), "{healthy_files}");
        }
        assert!(
            !Error::Index(tantivy::TantivyError::LockFailure(
                tantivy::directory::error::LockError::LockBusy,
                None
            ))
            .is_damage()
        );
    }

    /// Publishes an article (in category "tin") for each (slug, title, body paragraph).
    pub(crate) fn publish_articles(
        store: &Store,
        articles: impl Iterator<Item = (String, String, String)>,
    ) {
        let now = jiff::Timestamp::now();
        store
            .write_blocking(|tx| -> Result<(), content::Error> {
                content::put_category(tx, &Category::new("tin", "Tin"), now)?;
                for (slug, title, body) in articles {
                    let entry = content::create(
                        tx,
                        NewEntry {
                            kind: Kind::Article,
                            slug,
                            category: Some("tin".into()),
                            unit: None,
                            featured: false,
                        },
                        EntryFields {
                            title,
                            body_html: format!("<p>{body}</p>"),
                            ..EntryFields::default()
                        },
                        "test",
                        now,
                    )?;
                    content::publish(tx, entry.id, now)?;
                }
                Ok(())
            })
            .unwrap();
    }

    /// A fixed Vietnamese corpus, published.
    fn corpus() -> (tempfile::TempDir, Store, Search) {
        let dir = tempfile::tempdir().unwrap();
        let (store, _) = Store::open(&dir.path().join("data")).unwrap();
        let docs = [
            (
                "quyet-dinh-242",
                "Quyết định số 242/QĐ-SKHCN ban hành quy chế trang thông tin",
                "Quyết định quy định việc quản lý, vận hành trang thông tin điện tử của Sở.",
            ),
            (
                "quyet-dinh-khac",
                "Quyệt đính tên gần giống",
                "Một văn bản có chữ quyệt đính với dấu khác để thử xếp hạng.",
            ),
            (
                "do-luong",
                "Đo lường và chất lượng sản phẩm hàng hóa",
                "Đoàn kiểm tra đo lường tại Quy Nhơn, đảm bảo chất lượng.",
            ),
            (
                "chuyen-doi-so",
                "Hưởng ứng Ngày Chuyển đổi số quốc gia",
                "Nhiều hoạt động chuyển đổi số diễn ra trong tháng 10.",
            ),
        ];
        publish_articles(
            &store,
            docs.iter().map(|(slug, title, body)| {
                (
                    (*slug).to_string(),
                    (*title).to_string(),
                    (*body).to_string(),
                )
            }),
        );
        let (search, fresh) = Search::open(&dir.path().join("data/search")).unwrap();
        assert!(fresh);
        assert_eq!(search.rebuild(&store).unwrap(), 4);
        (dir, store, search)
    }

    #[test]
    fn an_index_is_complete_only_once_a_rebuild_has_committed() {
        let dir = tempfile::tempdir().unwrap();
        let (store, _) = Store::open(&dir.path().join("data")).unwrap();
        let folder = dir.path().join("data/search");
        // Opened for a rebuild that never ran (the process was killed): still fresh.
        let (first, fresh) = Search::open(&folder).unwrap();
        assert!(fresh);
        drop(first);
        let (again, fresh) = Search::open(&folder).unwrap();
        assert!(fresh, "an index never rebuilt is rebuilt at the next start");
        again.rebuild(&store).unwrap();
        drop(again);
        let (_, fresh) = Search::open(&folder).unwrap();
        assert!(!fresh);
    }

    #[test]
    fn a_common_word_is_counted_up_to_the_limit_and_paged_without_repeats() {
        let dir = tempfile::tempdir().unwrap();
        let (store, _) = Store::open(&dir.path().join("data")).unwrap();
        // More matches than the count limit; one of them has the word, with its
        // diacritics, in its title.
        let n = COUNT_LIMIT + 50;
        publish_articles(
            &store,
            (0..n).map(|i| {
                let title = if i == 700 {
                    "Hội nghị khoa học tổng kết năm".to_string()
                } else {
                    format!("Tin số {i}")
                };
                (
                    format!("tin-{i}"),
                    title,
                    format!("Hoạt động khoa học số {i} của Sở."),
                )
            }),
        );
        let (search, _) = Search::open(&dir.path().join("data/search")).unwrap();
        assert_eq!(search.rebuild(&store).unwrap(), n);
        let first = search.search("khoa học", None, 0, 10).unwrap();
        assert_eq!((first.total, first.more), (COUNT_LIMIT, true));
        assert_eq!(first.hits[0].title, "Hội nghị khoa học tổng kết năm");
        let mut seen = std::collections::HashSet::new();
        for page in 0..12 {
            let found = search.search("khoa hoc", None, page * 10, 10).unwrap();
            assert_eq!(found.hits.len(), 10);
            for hit in found.hits {
                assert!(seen.insert(hit.id), "page {page} repeats {:?}", hit.id);
            }
        }
        // One word, and words within a kind: the first pass takes other shapes there
        // (a lone term; a conjunction with the kind), with the same results.
        let one = search.search("khoa", None, 0, 10).unwrap();
        assert_eq!((one.total, one.more), (COUNT_LIMIT, true));
        assert_eq!(one.hits[0].title, "Hội nghị khoa học tổng kết năm");
        for q in ["khoa", "khoa học"] {
            let all = search.search(q, None, 0, 10).unwrap();
            let articles = search.search(q, Some(Kind::Article), 0, 10).unwrap();
            let ids = |r: &Results| r.hits.iter().map(|h| h.id).collect::<Vec<_>>();
            assert_eq!(ids(&articles), ids(&all), "{q}");
            assert_eq!((articles.total, articles.more), (all.total, all.more));
            let none = search.search(q, Some(Kind::LegalDocument), 0, 10).unwrap();
            assert_eq!((none.total, none.hits.len()), (0, 0), "{q}");
        }
        let few = search.search("khoa học 700", None, 0, 10).unwrap();
        assert_eq!((few.total, few.more, few.hits.len()), (1, false, 1));
    }

    #[test]
    fn an_index_in_parts_finds_what_one_segment_finds() {
        let dir = tempfile::tempdir().unwrap();
        let (store, _) = Store::open(&dir.path().join("data")).unwrap();
        // Bodies of one length, each with the query's first word a different number of
        // times: every score differs, so the order does not depend on the segments.
        let n = 30;
        publish_articles(
            &store,
            (1..=n).map(|k| {
                let body = format!("{} học {}", "khoa ".repeat(k), "lorem ".repeat(n + 1 - k));
                (format!("tin-{k}"), format!("Tin {k}"), body)
            }),
        );
        let (search, _) = Search::open(&dir.path().join("data/search")).unwrap();
        // Three segments, as updates leave them.
        let ids: Vec<EntryId> = (1..=n as u64).map(EntryId).collect();
        for batch in ids.chunks(10) {
            search.update(&store, batch).unwrap();
        }
        let segments = |search: &Search| search.reader.searcher().segment_readers().len();
        let found = |search: &Search| {
            ["khoa học", "khoa", "hoc"].map(|q| {
                [0, 10].map(|offset| {
                    let r = search.search(q, None, offset, 10).unwrap();
                    (
                        r.total,
                        r.hits.into_iter().map(|h| h.title).collect::<Vec<_>>(),
                    )
                })
            })
        };
        assert_eq!(segments(&search), 3);
        let in_three = found(&search);
        assert_eq!(in_three[0][0].1[0], format!("Tin {n}"));
        assert_eq!(in_three[0][1].1[0], format!("Tin {}", n - 10));
        for (parts, expected) in [(2, 2), (1, 1)] {
            let (_one_writer, mut writer) = search.writer().unwrap();
            search.merge_into(&mut writer, parts).unwrap();
            writer.wait_merging_threads().unwrap();
            search.reader.reload().unwrap();
            assert_eq!(segments(&search), expected);
            assert_eq!(found(&search), in_three, "in {parts} parts");
            // The merged segments' files are gone.
            let files: std::collections::HashSet<String> =
                std::fs::read_dir(dir.path().join("data/search"))
                    .unwrap()
                    .filter_map(|f| {
                        let name = f.unwrap().file_name().into_string().unwrap();
                        let (stem, _) = name.split_once('.')?;
                        (stem.len() == 32).then(|| stem.to_string())
                    })
                    .collect();
            assert_eq!(files.len(), expected, "segments' files in {parts} parts");
        }
    }

    fn titles(search: &Search, q: &str) -> Vec<String> {
        search
            .search(q, None, 0, 10)
            .unwrap()
            .hits
            .into_iter()
            .map(|h| h.title)
            .collect()
    }

    #[test]
    fn folded_queries_find_diacritics_and_exact_ones_rank_first() {
        let (_dir, _store, search) = corpus();
        let folded = titles(&search, "quyet dinh");
        assert_eq!(folded.len(), 2, "{folded:?}");
        let exact = titles(&search, "Quyết định");
        assert!(exact[0].starts_with("Quyết định số 242"), "{exact:?}");
        let other = titles(&search, "quyệt đính");
        assert!(other[0].starts_with("Quyệt đính"), "{other:?}");
    }

    #[test]
    fn d_with_stroke_folds_and_nfd_input_works() {
        let (_dir, _store, search) = corpus();
        assert_eq!(titles(&search, "do luong").len(), 1);
        assert_eq!(titles(&search, "ĐO LƯỜNG").len(), 1);
        let nfd: String = "đo lường".nfd().collect();
        assert_eq!(titles(&search, &nfd).len(), 1);
    }

    #[test]
    fn numbers_and_symbols_find_the_document() {
        let (_dir, _store, search) = corpus();
        assert_eq!(titles(&search, "242/QĐ-SKHCN").len(), 1);
        assert_eq!(titles(&search, "242").len(), 1);
        assert_eq!(titles(&search, "qd-skhcn").len(), 1);
    }

    #[test]
    fn snippets_highlight_in_the_original_text() {
        let (_dir, _store, search) = corpus();
        let hit = &search.search("chuyen doi so", None, 0, 5).unwrap().hits[0];
        assert!(
            hit.snippet_html.contains("<mark>chuyển</mark>"),
            "{}",
            hit.snippet_html
        );
    }

    #[test]
    fn a_withdrawn_entry_leaves_the_index_and_nonsense_finds_nothing() {
        let (_dir, store, search) = corpus();
        let id = store
            .read_blocking(|tx| content::find_published(tx, Kind::Article, "do-luong"))
            .unwrap()
            .unwrap()
            .entry
            .id;
        store
            .write_blocking(|tx| -> Result<(), content::Error> {
                let mut e = crate::content::tables::ENTRIES.get(tx, id.0)?.unwrap();
                content::unlist(tx, &e)?;
                e.published = None;
                crate::content::tables::ENTRIES.insert(tx, id.0, &e)?;
                Ok(())
            })
            .unwrap();
        search.update(&store, &[id]).unwrap();
        assert!(titles(&search, "đo lường").is_empty());
        assert!(titles(&search, "").is_empty());
        assert!(titles(&search, "+-:()\"").is_empty());
    }
}
