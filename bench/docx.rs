//! Word import benchmark: a 50-page `.docx` (made by pandoc from Vietnamese text with
//! headings, nested lists and tables, about 500 words a page) converted to a draft's
//! HTML by `content::docx::convert`, the Word import's reader.
//!
//!   cargo run --release --example `docx_bench` [-- PAGES]     (needs pandoc)

use std::process::Command;
use std::time::Instant;

fn main() {
    let pages: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(50);
    let dir = tempfile::tempdir().expect("temp");
    let mut md = String::from("# KẾ HOẠCH TRIỂN KHAI NHIỆM VỤ KHOA HỌC VÀ CÔNG NGHỆ\n\n");
    for page in 1..=pages {
        md.push_str(&format!("## Phần {page}. Nhiệm vụ và giải pháp\n\n"));
        for p in 0..6 {
            md.push_str(&format!(
                "Đoạn {p} của phần {page}: Sở Khoa học và Công nghệ chủ trì, phối hợp với các sở, ngành và **Ủy ban nhân dân** các huyện, thị xã, thành phố triển khai *nhiệm vụ* chuyển đổi số, đổi mới sáng tạo, tiêu chuẩn đo lường chất lượng và sở hữu trí tuệ; bảo đảm tiến độ, chất lượng, hiệu quả, đúng quy định của pháp luật hiện hành và hướng dẫn của Bộ Khoa học và Công nghệ.\n\n"
            ));
        }
        md.push_str("1. Hoàn thiện thể chế\n    - Rà soát văn bản\n    - Ban hành quy chế\n2. Phát triển hạ tầng số\n\n");
        md.push_str("| Nhiệm vụ | Đơn vị | Thời hạn |\n|---|---|---|\n| Rà soát | Văn phòng | Quý I |\n| Ban hành | Phòng QLKH | Quý II |\n\n");
    }
    std::fs::write(dir.path().join("doc.md"), md).expect("markdown");
    let made = Command::new("pandoc")
        .current_dir(dir.path())
        .args(["doc.md", "-o", "doc.docx"])
        .status()
        .expect("pandoc (apt-get install pandoc)");
    assert!(made.success());
    let bytes = std::fs::read(dir.path().join("doc.docx")).expect("docx");
    let runs = 5;
    let started = Instant::now();
    let mut size = 0;
    for _ in 0..runs {
        let converted = trangtin::content::docx::convert(&bytes).expect("convert");
        size = converted.html.len();
    }
    let each = started.elapsed().as_secs_f64() / f64::from(runs);
    println!(
        "docx: {pages} pages, {} KB file, {} KB of HTML, converted in {:.1} ms (mean of {runs})",
        bytes.len() / 1024,
        size / 1024,
        each * 1000.0
    );
}
