//! Several sites in one process: where their settings live (DESIGN section 12).
//!
//! One site, as `install` writes it: `/etc/trangtin/trangtin.toml` and its data folder.
//! Several: that same file keeps what the process shares (listen addresses, limits, the
//! page-cache budget, the log filter), and each site has `sites/NAME.toml` beside it,
//! with its data folder at `DATA/sites/NAME/` unless its file names another. A site
//! that was removed keeps its file as `sites/NAME.toml.removed`, and its data.

use std::path::{Path, PathBuf};

use super::{Config, Error, Overrides};

/// The keys only `trangtin.toml` may set: one process has one value for each.
pub const SHARED_KEYS: [&str; 4] = ["listen", "limits", "cache", "log"];

/// One site's settings file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SiteFile {
    pub name: String,
    pub path: PathBuf,
}

/// The folder of the site files that go with the main configuration file.
pub fn dir(main_config: &Path) -> PathBuf {
    main_config
        .parent()
        .unwrap_or_else(|| Path::new("."))
        .join("sites")
}

/// The file a site named `name` has (or would have).
pub fn file_of(main_config: &Path, name: &str) -> SiteFile {
    SiteFile {
        name: name.to_string(),
        path: dir(main_config).join(format!("{name}.toml")),
    }
}

/// The data folder a new site gets: `DATA/sites/NAME`.
pub fn default_data(main: &Config, name: &str) -> PathBuf {
    main.data.join("sites").join(name)
}

/// A site name: 1–32 of a-z, 0-9 and '-', not starting with '-'. It names a file and a
/// folder, and labels metrics.
pub fn check_name(name: &str) -> Result<(), String> {
    let fits = !name.is_empty()
        && name.len() <= 32
        && !name.starts_with('-')
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if fits {
        Ok(())
    } else {
        Err(format!(
            "{name:?} is not a site name: use 1 to 32 of a-z, 0-9 and '-', not starting with '-'"
        ))
    }
}

/// The site files next to `main_config`, sorted by name; none when there is no main
/// file or no `sites` folder (one site, today's layout).
pub fn files(main_config: Option<&Path>) -> Result<Vec<SiteFile>, Error> {
    let Some(main_config) = main_config else {
        return Ok(Vec::new());
    };
    let dir = dir(main_config);
    let entries = match std::fs::read_dir(&dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(source) => return Err(Error::Read { path: dir, source }),
    };
    let mut found = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|source| Error::Read {
            path: dir.clone(),
            source,
        })?;
        let path = entry.path();
        let Some(name) = path
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(|n| n.strip_suffix(".toml"))
        else {
            continue;
        };
        check_name(name).map_err(|message| Error::Parse {
            path: path.clone(),
            message,
        })?;
        found.push(SiteFile {
            name: name.to_string(),
            path,
        });
    }
    found.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(found)
}

/// One site's configuration: its own file, with what the process shares taken from
/// `main`. `sharing` is the number of sites, among which the page-cache budget is
/// divided evenly.
pub fn load(main: &Config, file: &SiteFile, sharing: usize) -> Result<Config, Error> {
    let text = std::fs::read_to_string(&file.path).map_err(|source| Error::Read {
        path: file.path.clone(),
        source,
    })?;
    let table: toml::Table = toml::from_str(&text).map_err(|e| Error::Parse {
        path: file.path.clone(),
        message: e.to_string().trim_end().to_string(),
    })?;
    if let Some(key) = SHARED_KEYS.iter().find(|k| table.contains_key(**k)) {
        return Err(Error::Invalid {
            key: format!("{key} (in {})", file.path.display()),
            message: "is set once for all sites, in the main configuration file".to_string(),
        });
    }
    let overrides = Overrides {
        config: Some(file.path.clone()),
        data: (!table.contains_key("data")).then(|| default_data(main, &file.name)),
        https: None,
        http: None,
    };
    let mut config = Config::load(&overrides)?;
    config.https = main.https;
    config.http = main.http;
    config.limits = main.limits.clone();
    config.log.clone_from(&main.log);
    config.cache_max_bytes = (main.cache_max_bytes / sharing.max(1)).max(1024 * 1024);
    config.name.clone_from(&file.name);
    Ok(config)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_checked() {
        assert!(check_name("so-khcn").is_ok());
        assert!(check_name("xa1").is_ok());
        for bad in ["", "-a", "A", "a_b", "a/b", "..", &"x".repeat(33)] {
            assert!(check_name(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn a_site_file_takes_the_shared_settings_from_the_main_file() {
        let dir = tempfile::tempdir().unwrap();
        let main_path = dir.path().join("trangtin.toml");
        std::fs::write(
            &main_path,
            "data = \"host\"\n[listen]\nhttps = \"127.0.0.1:9443\"\nhttp = \"off\"\n\
             [cache]\nmax_bytes = 33554432\n",
        )
        .unwrap();
        let main = Config::load(&Overrides {
            config: Some(main_path.clone()),
            ..Overrides::default()
        })
        .unwrap();
        std::fs::create_dir(dir.path().join("sites")).unwrap();
        std::fs::write(
            dir.path().join("sites/xa.toml"),
            "hosts = [\"xa.example.vn\"]\ndemo = false\n\
             [archive]\nsince = \"2025-07-01\"\nsuccessor = \"https://moi.example.vn\"\n",
        )
        .unwrap();
        std::fs::write(dir.path().join("sites/xa.toml.removed"), "").unwrap();
        let files = files(Some(&main_path)).unwrap();
        assert_eq!(files, vec![file_of(&main_path, "xa")]);
        let site = load(&main, &files[0], 2).unwrap();
        assert_eq!(site.data, dir.path().join("host/sites/xa"));
        assert_eq!(site.https.port(), 9443);
        assert_eq!(site.http, None);
        assert_eq!(site.cache_max_bytes, 16 * 1024 * 1024);
        assert_eq!(site.hosts, vec!["xa.example.vn".to_string()]);
        assert_eq!(site.name, "xa");
        let archive = site.archive.unwrap();
        assert_eq!(archive.since, jiff::civil::date(2025, 7, 1));
        assert_eq!(archive.successor.as_deref(), Some("https://moi.example.vn"));

        std::fs::write(
            dir.path().join("sites/xa.toml"),
            "[listen]\nhttps = \"127.0.0.1:1\"\n",
        )
        .unwrap();
        let refused = load(&main, &files[0], 2).unwrap_err().to_string();
        assert!(refused.contains("listen"), "{refused}");
    }
}
