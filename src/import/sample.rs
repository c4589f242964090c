//! A generated WordPress export of any size, shaped like the real one in
//! `tests/fixtures/wordpress`: for the import benchmark and the interrupted-run test.

use std::io::Write;
use std::path::Path;

const SECTIONS: &[(&str, &str)] = &[
    ("tin-hoat-dong", "Tin hoạt động"),
    ("thong-bao", "Thông báo"),
    ("chuyen-doi-so", "Chuyển đổi số"),
];

/// Writes an export of `posts` posts and `images` image attachments (their files into
/// `uploads`, as `YYYY/MM/anh-N.jpg`) to `path`. Every tenth post links to the one
/// before it; post N uses image N mod `images` as its cover and in its body.
pub fn write_export(
    path: &Path,
    posts: usize,
    images: usize,
    uploads: &Path,
) -> std::io::Result<()> {
    let file = std::fs::File::create(path)?;
    let mut out = std::io::BufWriter::new(file);
    writeln!(
        out,
        r#"<?xml version="1.0" encoding="UTF-8" ?>
<rss version="2.0" xmlns:excerpt="http://wordpress.org/export/1.2/excerpt/" xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:wfw="http://wellformedweb.org/CommentAPI/" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:wp="http://wordpress.org/export/1.2/">
<channel><title>Trang cũ</title><link>http://old.example</link>
<wp:wxr_version>1.2</wp:wxr_version><wp:base_site_url>http://old.example</wp:base_site_url><wp:base_blog_url>http://old.example</wp:base_blog_url>
<wp:author><wp:author_id>1</wp:author_id><wp:author_login><![CDATA[bientap]]></wp:author_login><wp:author_display_name><![CDATA[Ban Biên tập]]></wp:author_display_name></wp:author>"#
    )?;
    for (slug, name) in SECTIONS {
        writeln!(
            out,
            "<wp:category><wp:category_nicename><![CDATA[{slug}]]></wp:category_nicename><wp:category_parent><![CDATA[]]></wp:category_parent><wp:cat_name><![CDATA[{name}]]></wp:cat_name></wp:category>"
        )?;
    }
    let jpeg = |n: usize| -> Vec<u8> {
        let image = image::RgbImage::from_fn(640, 360, |x, y| {
            image::Rgb([
                (x as usize + n) as u8,
                (y as usize * 2 + n / 7) as u8,
                (n % 251) as u8,
            ])
        });
        let mut bytes = Vec::new();
        let _ =
            image::codecs::jpeg::JpegEncoder::new_with_quality(&mut bytes, 80).encode_image(&image);
        bytes
    };
    for n in 0..images {
        let id = 1_000_000 + n;
        let dir = uploads.join(format!("2024/{:02}", n % 12 + 1));
        std::fs::create_dir_all(&dir)?;
        std::fs::write(dir.join(format!("anh-{n}.jpg")), jpeg(n))?;
        writeln!(
            out,
            r"<item><title><![CDATA[Ảnh {n}]]></title><link>http://old.example/anh-{n}/</link><dc:creator><![CDATA[bientap]]></dc:creator><content:encoded><![CDATA[]]></content:encoded><excerpt:encoded><![CDATA[Chú thích ảnh {n}]]></excerpt:encoded><wp:post_id>{id}</wp:post_id><wp:post_date><![CDATA[2024-01-01 08:00:00]]></wp:post_date><wp:post_date_gmt><![CDATA[2024-01-01 01:00:00]]></wp:post_date_gmt><wp:post_name><![CDATA[anh-{n}]]></wp:post_name><wp:status><![CDATA[inherit]]></wp:status><wp:post_parent>0</wp:post_parent><wp:post_type><![CDATA[attachment]]></wp:post_type><wp:attachment_url><![CDATA[http://old.example/wp-content/uploads/2024/{month:02}/anh-{n}.jpg]]></wp:attachment_url><wp:postmeta><wp:meta_key><![CDATA[_wp_attached_file]]></wp:meta_key><wp:meta_value><![CDATA[2024/{month:02}/anh-{n}.jpg]]></wp:meta_value></wp:postmeta><wp:postmeta><wp:meta_key><![CDATA[_wp_attachment_image_alt]]></wp:meta_key><wp:meta_value><![CDATA[Quang cảnh sự kiện số {n}]]></wp:meta_value></wp:postmeta></item>",
            month = n % 12 + 1
        )?;
    }
    for n in 0..posts {
        let (slug, name) = SECTIONS[n % SECTIONS.len()];
        let day = n % 28 + 1;
        let month = n % 12 + 1;
        let mut body = format!(
            "Sở Khoa học và Công nghệ thông báo nội dung số {n} về chuyển đổi số, đổi mới sáng tạo và tiêu chuẩn đo lường chất lượng.\n\nĐoạn thứ hai của bài {n}: hội thảo, tập huấn và kết quả nghiên cứu được ứng dụng tại địa phương."
        );
        if images > 0 {
            let image = n % images;
            body.push_str(&format!(
                "\n\n[caption id=\"attachment_{}\" align=\"aligncenter\" width=\"640\"]<img class=\"wp-image-{}\" src=\"http://old.example/wp-content/uploads/2024/{:02}/anh-{image}.jpg\" alt=\"Quang cảnh sự kiện số {image}\" width=\"640\" height=\"360\" /> Chú thích ảnh {image}[/caption]",
                1_000_000 + image,
                1_000_000 + image,
                image % 12 + 1
            ));
        }
        if n % 10 == 9 {
            body.push_str(&format!(
                "\n\nXem thêm <a href=\"http://old.example/bai-viet-so-{}/\">bài trước</a>.",
                n - 1
            ));
        }
        let thumbnail = if images > 0 {
            format!(
                "<wp:postmeta><wp:meta_key><![CDATA[_thumbnail_id]]></wp:meta_key><wp:meta_value><![CDATA[{}]]></wp:meta_value></wp:postmeta>",
                1_000_000 + n % images
            )
        } else {
            String::new()
        };
        writeln!(
            out,
            r#"<item><title><![CDATA[Bài viết số {n}: hoạt động khoa học và công nghệ]]></title><link>http://old.example/bai-viet-so-{n}/</link><dc:creator><![CDATA[bientap]]></dc:creator><guid isPermaLink="false">http://old.example/?p={id}</guid><content:encoded><![CDATA[{body}]]></content:encoded><excerpt:encoded><![CDATA[Tóm tắt bài số {n}.]]></excerpt:encoded><wp:post_id>{id}</wp:post_id><wp:post_date><![CDATA[2024-{month:02}-{day:02} 08:00:00]]></wp:post_date><wp:post_date_gmt><![CDATA[2024-{month:02}-{day:02} 01:00:00]]></wp:post_date_gmt><wp:post_name><![CDATA[bai-viet-so-{n}]]></wp:post_name><wp:status><![CDATA[publish]]></wp:status><wp:post_parent>0</wp:post_parent><wp:post_type><![CDATA[post]]></wp:post_type><category domain="category" nicename="{slug}"><![CDATA[{name}]]></category><category domain="post_tag" nicename="khoa-hoc"><![CDATA[khoa học]]></category>{thumbnail}</item>"#,
            id = n + 1
        )?;
    }
    writeln!(out, "</channel></rss>")?;
    out.flush()
}
