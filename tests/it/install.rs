//! `trangtin install` into a staging root: the tree it makes, a second run that changes
//! nothing it should not, `--dry-run`, and `uninstall` with and without `--purge`.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Output};

fn trangtin(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_trangtin"))
        .args(args)
        .output()
        .unwrap()
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[test]
fn install_into_a_staging_root_makes_the_tree_and_a_second_run_keeps_it() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("root");
    let root_arg = root.to_str().unwrap();
    let domain = "skhcn.example.gov.vn";

    let dry = trangtin(&[
        "install",
        "--domain",
        domain,
        "--root",
        root_arg,
        "--dry-run",
    ]);
    assert!(dry.status.success(), "{}", text(&dry));
    assert!(text(&dry).contains("would: write configuration"));
    assert!(!root.exists(), "a dry run changes nothing");

    let bad = trangtin(&["install", "--domain", "not a domain", "--root", root_arg]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(text(&bad).contains("is not a domain name"));

    let first = trangtin(&["install", "--domain", domain, "--root", root_arg]);
    assert!(first.status.success(), "{}", text(&first));
    let out = text(&first);
    assert!(out.contains("one-time password: "), "{out}");
    assert!(out.contains("https://skhcn.example.gov.vn/"));
    let config = root.join("etc/trangtin/trangtin.toml");
    let data = root.join("var/lib/trangtin");
    let binary = root.join("usr/local/bin/trangtin");
    let unit = root.join("etc/systemd/system/trangtin.service");
    assert_eq!(mode(&config), 0o640);
    assert_eq!(mode(&data), 0o700);
    assert_eq!(mode(&binary), 0o755);
    assert_eq!(mode(&unit), 0o644);
    assert!(data.join("trangtin.redb").exists());
    assert_eq!(
        std::fs::read(&binary).unwrap(),
        std::fs::read(env!("CARGO_BIN_EXE_trangtin")).unwrap()
    );
    let unit_text = std::fs::read_to_string(&unit).unwrap();
    for hardening in [
        "ProtectSystem=strict",
        "NoNewPrivileges=yes",
        "PrivateTmp=yes",
        "AmbientCapabilities=CAP_NET_BIND_SERVICE",
        "Type=notify",
        "WatchdogSec=",
    ] {
        assert!(unit_text.contains(hardening), "{hardening}");
    }
    let checked = trangtin(&["--config", config.to_str().unwrap(), "check-config"]);
    assert!(checked.status.success(), "{}", text(&checked));
    assert!(text(&checked).contains(domain));
    verify_unit(&unit_text, &binary);

    // Again: everything is kept; no second administrator password.
    std::fs::write(
        &config,
        format!(
            "{}\n# edited by hand\n",
            std::fs::read_to_string(&config).unwrap()
        ),
    )
    .unwrap();
    let second = trangtin(&["install", "--domain", domain, "--root", root_arg]);
    assert!(second.status.success(), "{}", text(&second));
    let out = text(&second);
    for kept in [
        "unchanged: configuration",
        "unchanged: data folder",
        "unchanged: program",
        "unchanged: systemd unit",
    ] {
        assert!(out.contains(kept), "{kept}: {out}");
    }
    assert!(!out.contains("one-time password"));
    assert!(
        std::fs::read_to_string(&config)
            .unwrap()
            .contains("# edited by hand")
    );

    // Uninstall keeps data and configuration unless purged.
    let kept = trangtin(&["uninstall", "--root", root_arg]);
    assert!(kept.status.success(), "{}", text(&kept));
    assert!(!binary.exists() && !unit.exists());
    assert!(data.join("trangtin.redb").exists() && config.exists());
    let purged = trangtin(&["uninstall", "--root", root_arg, "--purge"]);
    assert!(purged.status.success(), "{}", text(&purged));
    assert!(!data.exists() && !config.exists());
}

/// `systemd-analyze verify` on the unit, pointed at the staged program, where the tool
/// exists (it needs systemd; containers often lack it).
fn verify_unit(unit: &str, binary: &Path) {
    let available = Command::new("systemd-analyze")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !available {
        crate::support::missing_tool(
            "the systemd unit check",
            "systemd-analyze",
            "apt-get install systemd",
        );
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("trangtin.service");
    std::fs::write(
        &path,
        unit.replace(
            "ExecStart=trangtin ",
            &format!("ExecStart={} ", binary.display()),
        ),
    )
    .unwrap();
    let out = Command::new("systemd-analyze")
        .arg("verify")
        .arg(&path)
        .output()
        .unwrap();
    let report = String::from_utf8_lossy(&out.stderr);
    // Only the unit's own problems count; the host may lack users or targets it names.
    let own: Vec<&str> = report
        .lines()
        .filter(|l| {
            l.contains("trangtin.service")
                && !l.contains("Failed to resolve user")
                && !l.contains("network-online")
        })
        .collect();
    assert!(own.is_empty(), "{report}");
}
