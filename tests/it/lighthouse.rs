//! Lighthouse 12 (mobile preset) on the pages citizens land on: full marks for
//! accessibility, best practices and SEO. Performance depends on the machine's load, so
//! it is measured by `bench/lighthouse.sh`, not here. Without Chromium, Node or
//! Lighthouse (`.ci/node_modules`) the test prints a loud notice and passes, except
//! under CI=true, where `.ci/run` installs them.

use std::path::PathBuf;

use crate::support::{TestServer, first_link, missing_tool};

const CHROMIUM: &str = "/usr/bin/chromium";

fn skip(what: &str) {
    missing_tool(
        "Lighthouse test",
        what,
        "apt-get install chromium nodejs npm; npm install --prefix .ci --no-save --no-audit --no-fund axe-core@4.14 lighthouse@12",
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn lighthouse_gives_full_marks_for_accessibility_best_practices_and_seo() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    if !std::path::Path::new(CHROMIUM).exists() {
        return skip("Chromium (/usr/bin/chromium)");
    }
    if !root
        .join(".ci/node_modules/lighthouse/package.json")
        .exists()
    {
        return skip("Lighthouse (.ci/node_modules/lighthouse)");
    }
    if std::process::Command::new("node")
        .arg("--version")
        .output()
        .is_err()
    {
        return skip("Node.js (node)");
    }
    let server = TestServer::start().await;
    let (_, home) = server.page("/").await;
    let article = first_link(&home, "/tin-tuc/").expect("the home page links an article");
    let mut failures = Vec::new();
    for page in ["/", article.as_str(), "/van-ban", "/hoi-dap/gui-cau-hoi"] {
        let (script, url) = (root.join("tests/lighthouse/audit.mjs"), server.url(page));
        // Lighthouse takes seconds; the server keeps running on the test's runtime.
        let out = tokio::task::spawn_blocking(move || {
            std::process::Command::new("node")
                .arg(script)
                .arg(url)
                .env("CHROME_PATH", CHROMIUM)
                .output()
        })
        .await
        .unwrap()
        .expect("run node");
        assert!(
            out.status.success(),
            "Lighthouse did not run on {page}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let stdout = String::from_utf8_lossy(&out.stdout);
        let line = stdout.lines().last().unwrap_or_default();
        let report: serde_json::Value = serde_json::from_str(line)
            .unwrap_or_else(|e| panic!("{page}: not JSON ({e}): {stdout}"));
        for category in ["accessibility", "best-practices", "seo"] {
            let score = report[category].as_f64().unwrap_or(0.0);
            if score < 1.0 {
                failures.push(format!("{page}: {category} {score}"));
            }
        }
        if let Some(list) = report["failures"].as_array() {
            for f in list {
                failures.push(format!("{page}: {f}"));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "Lighthouse found:\n{}",
        failures.join("\n")
    );
}
