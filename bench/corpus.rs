//! Generated Vietnamese text for the benchmarks: the same corpus on every run.

/// Common Vietnamese syllables of administrative and scientific writing.
pub const WORDS: &[&str] = &[
    "khoa",
    "học",
    "công",
    "nghệ",
    "đổi",
    "mới",
    "sáng",
    "tạo",
    "quyết",
    "định",
    "kế",
    "hoạch",
    "nhiệm",
    "vụ",
    "đề",
    "tài",
    "dự",
    "án",
    "tiêu",
    "chuẩn",
    "đo",
    "lường",
    "chất",
    "lượng",
    "sở",
    "hữu",
    "trí",
    "tuệ",
    "chuyển",
    "số",
    "thông",
    "tin",
    "điện",
    "tử",
    "hội",
    "thảo",
    "nghiên",
    "cứu",
    "ứng",
    "dụng",
    "nông",
    "nghiệp",
    "thủy",
    "sản",
    "doanh",
    "năng",
    "suất",
    "kiểm",
    "tra",
    "thẩm",
    "phê",
    "duyệt",
    "báo",
    "cáo",
    "tổng",
    "kết",
    "triển",
    "khai",
    "thực",
    "hiện",
    "đánh",
    "giá",
    "nghiệm",
    "thu",
    "hợp",
    "tác",
    "phát",
    "triển",
    "bền",
    "vững",
    "năng",
    "lượng",
    "tái",
    "tạo",
    "an",
    "toàn",
    "bức",
    "xạ",
    "hạt",
    "nhân",
    "sản",
    "phẩm",
    "hàng",
    "hóa",
    "thị",
    "trường",
    "chính",
    "sách",
    "pháp",
    "luật",
    "tỉnh",
    "Gia",
    "Lai",
    "Quy",
    "Nhơn",
    "đơn",
    "vị",
    "cơ",
    "quan",
    "cán",
    "bộ",
];

/// A small deterministic generator, so every run indexes the same corpus.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    pub fn word(&mut self) -> &'static str {
        WORDS[(self.next() % WORDS.len() as u64) as usize]
    }

    pub fn sentence(&mut self, words: usize) -> String {
        (0..words)
            .map(|_| self.word())
            .collect::<Vec<_>>()
            .join(" ")
    }
}
