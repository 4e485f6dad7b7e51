//! Model downloads: `retake models fetch NAME`.
//!
//! Learned models are too big (and their licences too varied) to ship, so
//! each catalogue manifest pins an official URL, a byte size and a sha256.
//! This crate streams the file into a hidden temporary beside its final
//! name, hashing as it goes, and publishes it only when size and sha256
//! match; a cut connection, a wrong mirror or a full disk never leaves a
//! file under the final name. Air-gapped studios point
//! `RETAKE_MODEL_MIRROR` at their own server (or folder) holding the same
//! files; the sha256 is the trust boundary, so any mirror is as good as the
//! official address.

use std::fs::File;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use retake_core::atomic::AtomicPath;
use retake_core::folders::NewFolders;
use retake_core::{Error, Result};
use retake_model::manifest::{hex, sha256_file};
use retake_model::Manifest;
use sha2::{Digest, Sha256};

/// Environment variable naming a mirror base URL (`https://…`, `http://…`
/// or `file:///…`) that holds the model files under their manifest names.
pub const MIRROR_ENV: &str = "RETAKE_MODEL_MIRROR";

/// Default for [`FetchOptions::timeout`]: long enough for a slow proxy to
/// answer, short enough that a dead link does not hang a farm job.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);

/// Progress callback: bytes done so far and the expected total when known.
pub type Progress = Box<dyn FnMut(u64, Option<u64>) + Send>;

/// How to download.
pub struct FetchOptions {
    /// Base URL of a mirror holding the files under their manifest names;
    /// replaces the manifest's official URL when set.
    pub mirror: Option<String>,
    /// Limit for connecting, for the server to answer, and for each read
    /// while the body streams. Not a limit on the whole download, which for
    /// a 200 MB model on a slow line may rightly take longer.
    pub timeout: Duration,
    /// Called after every chunk written (and once before the first).
    pub progress: Option<Progress>,
}

impl Default for FetchOptions {
    fn default() -> Self {
        FetchOptions {
            mirror: None,
            timeout: DEFAULT_TIMEOUT,
            progress: None,
        }
    }
}

impl std::fmt::Debug for FetchOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FetchOptions")
            .field("mirror", &self.mirror)
            .field("timeout", &self.timeout)
            .field("progress", &self.progress.as_ref().map(|_| "callback"))
            .finish()
    }
}

impl FetchOptions {
    /// Options from the environment: the mirror from `RETAKE_MODEL_MIRROR`
    /// (an empty value counts as unset), the default timeout, no progress.
    pub fn from_env() -> Self {
        let mirror = std::env::var(MIRROR_ENV)
            .ok()
            .map(|m| m.trim().to_string())
            .filter(|m| !m.is_empty());
        FetchOptions {
            mirror,
            ..FetchOptions::default()
        }
    }
}

/// Where `manifest`'s file is downloaded from: `mirror` + "/" + file name
/// when a mirror is given, else the manifest's official `[fetch] url`.
pub fn source_url(manifest: &Manifest, mirror: Option<&str>) -> Result<String> {
    let file = checked_file_name(manifest)?;
    if let Some(base) = mirror.map(str::trim).filter(|m| !m.is_empty()) {
        if !is_supported_url(base) {
            return Err(Error::parameter(
                MIRROR_ENV,
                format!(
                    "mirror `{base}` is not an http://, https:// or file:// URL; set it to the base address of the folder that holds {file}"
                ),
            ));
        }
        return Ok(format!(
            "{}/{}",
            base.trim_end_matches('/'),
            percent_encode(file)
        ));
    }
    match &manifest.fetch {
        Some(spec) if is_supported_url(spec.url.trim()) => Ok(spec.url.trim().to_string()),
        Some(spec) => Err(Error::model(
            manifest_context(manifest),
            format!(
                "[fetch] url `{}` is not an http:// or https:// URL; fix the manifest or set {MIRROR_ENV}",
                spec.url
            ),
        )),
        None => Err(Error::model(
            manifest_context(manifest),
            format!(
                "model `{}` has no [fetch] section and {MIRROR_ENV} is not set, so there is nowhere to download {file} from; copy the file beside the manifest by hand, or set {MIRROR_ENV} to a mirror that holds it",
                manifest.name
            ),
        )),
    }
}

/// Download `manifest`'s model into `dest_dir` (created if missing), verify
/// its size and sha256, publish it as `dest_dir/<file>` and put a copy of
/// the manifest beside it so the model is discoverable there. Returns the
/// path of the installed ONNX file. Does nothing when the file is already
/// there with the right sha256.
pub fn fetch(manifest: &Manifest, dest_dir: &Path, opts: &mut FetchOptions) -> Result<PathBuf> {
    let file = checked_file_name(manifest)?;
    // Made for this fetch, and removed again if the fetch fails empty-handed.
    let new_folders = NewFolders::create(dest_dir).map_err(|e| {
        Error::output(
            dest_dir,
            format!("cannot create the models folder: {e}; check its permissions or choose another folder"),
        )
    })?;
    let final_path = dest_dir.join(file);

    if final_path.is_file() {
        let actual = sha256_file(&final_path)?;
        if actual.eq_ignore_ascii_case(&manifest.sha256) {
            log::info!(
                "{} is already installed at {} with the right sha256; nothing to download",
                manifest.name,
                final_path.display()
            );
            write_manifest_copy(manifest, dest_dir)?;
            return Ok(final_path);
        }
        log::warn!(
            "{} has sha256 {actual}, not {} as the manifest says; downloading it again",
            final_path.display(),
            manifest.sha256
        );
    }

    let url = source_url(manifest, opts.mirror.as_deref())?;
    let hint = next_step_hint(opts.mirror.as_deref(), file);
    log::info!(
        "downloading {} from {url} into {}",
        manifest.name,
        dest_dir.display()
    );

    let (mut body, announced) = open(&url, opts.timeout, &hint, manifest)?;
    let pinned = manifest.fetch.as_ref().and_then(|f| f.size);
    if let (Some(a), Some(p)) = (announced, pinned) {
        if a != p {
            return Err(Error::model(
                manifest_context(manifest),
                format!(
                    "{url} announces {a} bytes but the manifest says {p}; {}",
                    mismatch_hint(opts.mirror.as_deref())
                ),
            ));
        }
    }
    let expected = announced.or(pinned);

    let atomic = AtomicPath::new(&final_path)?;
    let digest = stream_to(
        &mut *body,
        atomic.temp(),
        &manifest_context(manifest),
        &url,
        expected,
        opts.progress.as_mut(),
    )?;
    if !digest.eq_ignore_ascii_case(&manifest.sha256) {
        return Err(Error::model(
            manifest_context(manifest),
            format!(
                "sha256 of the download from {url} is {digest} but the manifest says {}; {} (nothing was installed)",
                manifest.sha256,
                mismatch_hint(opts.mirror.as_deref())
            ),
        ));
    }
    atomic.commit()?;
    write_manifest_copy(manifest, dest_dir)?;
    new_folders.keep();
    log::info!(
        "installed {} at {} (sha256 {digest})",
        manifest.name,
        final_path.display()
    );
    Ok(final_path)
}

/// Open the source: the response body and the length it announces.
fn open(
    url: &str,
    timeout: Duration,
    hint: &str,
    manifest: &Manifest,
) -> Result<(Box<dyn Read>, Option<u64>)> {
    let ctx = manifest_context(manifest);
    if let Some(rest) = url.strip_prefix("file://") {
        // A studio mirror on a shared disk: same checks, no server needed.
        let path = PathBuf::from(percent_decode(rest));
        let f = File::open(&path).map_err(|e| {
            Error::model(
                &ctx,
                format!("cannot read {url} ({}): {e}; {hint}", path.display()),
            )
        })?;
        let len = f.metadata().ok().map(|m| m.len());
        return Ok((Box::new(f), len));
    }
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_connect(Some(timeout))
        .timeout_recv_response(Some(timeout))
        .timeout_per_read(Some(timeout))
        .http_status_as_error(false)
        .build()
        .into();
    let response = agent
        .get(url)
        .call()
        .map_err(|e| Error::model(&ctx, format!("cannot download {url}: {e}; {hint}")))?;
    let status = response.status();
    if !status.is_success() {
        return Err(Error::model(
            &ctx,
            format!(
                "download of {url} failed: HTTP {} {}; {hint}",
                status.as_u16(),
                status.canonical_reason().unwrap_or("")
            ),
        ));
    }
    let len = response.body().content_length();
    let reader = response.into_body().into_reader();
    Ok((Box::new(reader), len))
}

/// Copy `body` into a new file at `temp`, hashing on the way; checks the
/// byte count against `expected`. Returns the lower-case hex sha256.
fn stream_to(
    body: &mut dyn Read,
    temp: &Path,
    ctx: &str,
    url: &str,
    expected: Option<u64>,
    mut progress: Option<&mut Progress>,
) -> Result<String> {
    let mut out = File::create(temp).map_err(|e| {
        Error::output(
            temp,
            format!("cannot create the download file: {e}; check the folder's permissions and free space"),
        )
    })?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 256 * 1024];
    let mut done: u64 = 0;
    let cut = |done: u64, why: &str| -> Error {
        let of = expected.map_or(String::new(), |m| format!(" of {m}"));
        Error::model(
            ctx,
            format!("download of {url} ended after {done}{of} bytes{why}; run the command again"),
        )
    };
    if let Some(p) = progress.as_mut() {
        p(0, expected);
    }
    loop {
        let n = match body.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(cut(done, &format!(" ({e})"))),
        };
        done += n as u64;
        if let Some(m) = expected.filter(|&m| done > m) {
            return Err(Error::model(
                ctx,
                format!("{url} sent more than the {m} bytes expected; the source may hold a different file"),
            ));
        }
        hasher.update(&buf[..n]);
        out.write_all(&buf[..n]).map_err(|e| {
            Error::output(
                temp,
                format!("cannot write the download: {e}; check free space in the folder"),
            )
        })?;
        if let Some(p) = progress.as_mut() {
            p(done, expected);
        }
    }
    if expected.is_some_and(|m| done != m) {
        return Err(cut(done, ""));
    }
    // On disk before the rename, so a power cut cannot publish a hole.
    out.sync_all().map_err(|e| {
        Error::output(
            temp,
            format!("cannot flush the download to disk: {e}; check free space in the folder"),
        )
    })?;
    Ok(hex(&hasher.finalize()))
}

/// Put the manifest beside the model (atomically), so `retake models list`
/// finds it in `dest_dir`. Keeps the original text (and its comments) when
/// the manifest came from a file.
fn write_manifest_copy(manifest: &Manifest, dest_dir: &Path) -> Result<()> {
    let name = format!("{}.toml", manifest.name);
    if !is_plain_file_name(&name) {
        return Err(Error::model(
            manifest_context(manifest),
            format!(
                "model name `{}` cannot be used as a file name; use letters, digits, `-`, `_` and `.`",
                manifest.name
            ),
        ));
    }
    let dest = dest_dir.join(&name);
    let text = match std::fs::read_to_string(&manifest.manifest_path) {
        Ok(t) => t,
        Err(_) => toml::to_string(manifest).map_err(|e| {
            Error::Internal(format!(
                "cannot write manifest `{}` as TOML: {e}",
                manifest.name
            ))
        })?,
    };
    // Fetching into the manifest's own folder: it is already there.
    if std::fs::read_to_string(&dest).is_ok_and(|existing| existing == text) {
        return Ok(());
    }
    let atomic = AtomicPath::new(&dest)?;
    std::fs::write(atomic.temp(), text.as_bytes()).map_err(|e| {
        Error::output(
            &dest,
            format!("cannot write the manifest copy: {e}; check the folder's permissions and free space"),
        )
    })?;
    atomic.commit()
}

/// The manifest's `file`, checked to be one plain file name: it is joined
/// to the destination folder and to a mirror URL, so `../x` or `a/b` must
/// never get through.
fn checked_file_name(manifest: &Manifest) -> Result<&str> {
    let file = manifest.file.as_str();
    if is_plain_file_name(file) {
        Ok(file)
    } else {
        Err(Error::model(
            manifest_context(manifest),
            format!(
                "file `{file}` must be a plain file name (no folders, no `..`) for `retake models fetch`"
            ),
        ))
    }
}

fn is_plain_file_name(name: &str) -> bool {
    !name.is_empty()
        && name != "."
        && name != ".."
        && !name.contains(['/', '\\', '\0'])
        && !name.starts_with('.')
}

fn is_supported_url(url: &str) -> bool {
    ["http://", "https://", "file://"]
        .iter()
        .any(|s| url.len() > s.len() && url[..s.len()].eq_ignore_ascii_case(s))
}

/// What to try after a failed download, depending on where it came from.
fn next_step_hint(mirror: Option<&str>, file: &str) -> String {
    match mirror.map(str::trim).filter(|m| !m.is_empty()) {
        Some(m) => format!(
            "check that {MIRROR_ENV}={m} is reachable from this machine and holds {file}"
        ),
        None => format!(
            "check the network connection (and any proxy), or set {MIRROR_ENV} to a studio mirror that holds {file}"
        ),
    }
}

/// Why a download might not be the pinned file, depending on its source.
fn mismatch_hint(mirror: Option<&str>) -> &'static str {
    if mirror.map(str::trim).is_some_and(|m| !m.is_empty()) {
        "the mirror may hold a different file"
    } else {
        "the file at the official address may have changed since the manifest was written; look for an updated manifest, or set RETAKE_MODEL_MIRROR to a mirror holding the pinned file"
    }
}

fn manifest_context(manifest: &Manifest) -> String {
    if manifest.manifest_path.as_os_str().is_empty() {
        format!("model `{}`", manifest.name)
    } else {
        manifest.manifest_path.display().to_string()
    }
}

/// Percent-encode everything outside RFC 3986's unreserved set.
fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Undo `%XX` escapes (for `file://` mirrors); bad escapes stay as they are.
fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let h = std::str::from_utf8(&bytes[i + 1..i + 3])
                .ok()
                .and_then(|h| u8::from_str_radix(h, 16).ok());
            if let Some(v) = h {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use retake_model::manifest::FetchSpec;
    use retake_model::{DType, Role, TensorSpec};

    fn manifest(file: &str, fetch: Option<&str>) -> Manifest {
        let t = |name: &str| TensorSpec {
            name: name.into(),
            dtype: DType::F32,
            shape: vec![1, 3, -1, -1],
            layout: Default::default(),
            encoding: Default::default(),
            range: [0.0, 1.0],
            mean: vec![],
            std: vec![],
            description: String::new(),
            mask: None,
        };
        Manifest {
            name: "fixture-model".into(),
            role: Role::Mask,
            file: file.into(),
            sha256: "0".repeat(64),
            licence: "MIT".into(),
            source: "test".into(),
            training_data: "none (fixture)".into(),
            description: String::new(),
            fixture: true,
            inputs: vec![t("x")],
            outputs: vec![t("y")],
            size: Default::default(),
            fetch: fetch.map(|u| FetchSpec {
                url: u.into(),
                size: None,
            }),
            manifest_path: PathBuf::new(),
        }
    }

    #[test]
    fn official_url_without_mirror() {
        let m = manifest("m.onnx", Some("https://example.org/dl/m.onnx"));
        assert_eq!(
            source_url(&m, None).unwrap(),
            "https://example.org/dl/m.onnx"
        );
        // An empty mirror (RETAKE_MODEL_MIRROR="") counts as unset.
        assert_eq!(
            source_url(&m, Some("  ")).unwrap(),
            "https://example.org/dl/m.onnx"
        );
    }

    #[test]
    fn mirror_replaces_official_url() {
        let m = manifest("m.onnx", Some("https://example.org/dl/other-name.onnx"));
        for base in [
            "http://mirror.studio:8080/models",
            "http://mirror.studio:8080/models/",
        ] {
            assert_eq!(
                source_url(&m, Some(base)).unwrap(),
                "http://mirror.studio:8080/models/m.onnx"
            );
        }
        let odd = manifest("a b+c.onnx", None);
        assert_eq!(
            source_url(&odd, Some("https://m/x")).unwrap(),
            "https://m/x/a%20b%2Bc.onnx"
        );
        assert_eq!(
            source_url(&odd, Some("file:///srv/models")).unwrap(),
            "file:///srv/models/a%20b%2Bc.onnx"
        );
    }

    #[test]
    fn no_source_is_a_clear_error() {
        let m = manifest("m.onnx", None);
        let err = source_url(&m, None).unwrap_err().to_string();
        assert!(
            err.contains("no [fetch] section") && err.contains(MIRROR_ENV),
            "{err}"
        );
        let err = source_url(&m, Some("ftp://x")).unwrap_err().to_string();
        assert!(err.contains(MIRROR_ENV) && err.contains("ftp://x"), "{err}");
        let bad = manifest("m.onnx", Some("/just/a/path"));
        let err = source_url(&bad, None).unwrap_err().to_string();
        assert!(err.contains("/just/a/path"), "{err}");
    }

    #[test]
    fn file_names_that_escape_the_folder_are_refused() {
        for file in [
            "../evil.onnx",
            "a/b.onnx",
            "",
            "..",
            ".hidden.onnx",
            "a\\b.onnx",
        ] {
            let m = manifest(file, Some("https://example.org/x.onnx"));
            let err = source_url(&m, Some("https://m")).unwrap_err().to_string();
            assert!(err.contains("plain file name"), "{file}: {err}");
        }
    }

    #[test]
    fn percent_round_trip() {
        let s = "/srv/my models/a+b.onnx";
        assert_eq!(percent_decode(&percent_encode(s)), s);
        assert_eq!(percent_decode("%zz%4"), "%zz%4");
    }
}
