//! Reads package versions from Cargo.lock without a TOML parser.
//!
//! Cargo writes the lockfile as a list of `[[package]]` tables whose first two
//! keys are `name = "..."` and `version = "..."`, one per line, which a line
//! scan reads reliably.

/// Returns the versions of every package named `name` in the lockfile text,
/// in file order.
pub fn package_versions(lockfile: &str, name: &str) -> Vec<String> {
    let mut versions = Vec::new();
    let mut current_name: Option<&str> = None;

    for line in lockfile.lines().map(str::trim) {
        if line == "[[package]]" {
            current_name = None;
        } else if let Some(value) = quoted_value(line, "name") {
            current_name = Some(value);
        } else if let Some(value) = quoted_value(line, "version")
            && current_name == Some(name)
        {
            versions.push(value.to_string());
        }
    }
    versions
}

/// Returns `value` for a line of the form `key = "value"`.
fn quoted_value<'a>(line: &'a str, key: &str) -> Option<&'a str> {
    let rest = line
        .strip_prefix(key)?
        .trim_start()
        .strip_prefix('=')?
        .trim();
    rest.strip_prefix('"')?.strip_suffix('"')
}

#[cfg(test)]
mod tests {
    use super::package_versions;

    const LOCKFILE: &str = r#"
version = 4

[[package]]
name = "wasm-bindgen"
version = "0.2.130"
source = "registry+https://github.com/rust-lang/crates.io-index"
dependencies = [
 "wasm-bindgen-macro",
]

[[package]]
name = "wasm-bindgen-macro"
version = "0.2.130"

[[package]]
name = "ridechat"
version = "0.1.0"
"#;

    #[test]
    fn versions_of_named_package() {
        assert_eq!(package_versions(LOCKFILE, "wasm-bindgen"), vec!["0.2.130"]);
    }

    #[test]
    fn versions_skip_similar_names() {
        assert_eq!(
            package_versions(LOCKFILE, "wasm-bindgen-macro"),
            vec!["0.2.130"]
        );
        assert!(package_versions(LOCKFILE, "wasm").is_empty());
    }

    #[test]
    fn versions_ignore_lockfile_format_version() {
        assert!(package_versions(LOCKFILE, "").is_empty());
    }

    #[test]
    fn versions_list_every_copy() {
        let two = "[[package]]\nname = \"a\"\nversion = \"1.0.0\"\n\n[[package]]\nname = \"a\"\nversion = \"2.0.0\"\n";
        assert_eq!(package_versions(two, "a"), vec!["1.0.0", "2.0.0"]);
    }
}
