//! The studio's signing identity: a certificate chain and its private key,
//! both PEM, checked once before any frame is rendered.

use std::io::Cursor;
use std::path::{Path, PathBuf};

use c2pa::{BoxedSigner, SigningAlg};

use crate::error::{Error, Result};

/// Environment variable naming the signing certificate chain (PEM: the
/// signer's certificate first, then its issuers).
pub const CERT_VAR: &str = "RETAKE_SIGN_CERT";
/// Environment variable naming the signing certificate's private key (PEM).
pub const KEY_VAR: &str = "RETAKE_SIGN_KEY";

/// Algorithms tried, in order, to find the one the key is for.
const ALGORITHMS: [SigningAlg; 6] = [
    SigningAlg::Es256,
    SigningAlg::Es384,
    SigningAlg::Es512,
    SigningAlg::Ps256,
    SigningAlg::Ps384,
    SigningAlg::Ed25519,
];

/// A certificate chain and key that the C2PA SDK signs with and whose
/// signatures read back valid (a test identity reads back untrusted, which
/// is allowed: trust is the reader's decision, not the signer's).
pub struct Identity {
    pub cert_path: PathBuf,
    pub key_path: PathBuf,
    cert: Vec<u8>,
    key: Vec<u8>,
    alg: SigningAlg,
}

impl std::fmt::Debug for Identity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Identity")
            .field("cert_path", &self.cert_path)
            .field("key_path", &self.key_path)
            .field("alg", &self.alg)
            .finish_non_exhaustive()
    }
}

impl Identity {
    /// The identity given by paths (flags, a job file), else by
    /// `RETAKE_SIGN_CERT` and `RETAKE_SIGN_KEY`; `None` when neither names
    /// one. Half an identity (a certificate without a key) is an error.
    pub fn configured(cert: Option<&str>, key: Option<&str>) -> Result<Option<Identity>> {
        let from_env = |var: &str| std::env::var(var).ok().filter(|v| !v.is_empty());
        let (cert, key) = match (cert, key) {
            (None, None) => (from_env(CERT_VAR), from_env(KEY_VAR)),
            (c, k) => (c.map(String::from), k.map(String::from)),
        };
        match (cert, key) {
            (None, None) => Ok(None),
            (Some(c), Some(k)) => Identity::load(Path::new(&c), Path::new(&k)).map(Some),
            (Some(c), None) => Err(Error::identity(
                c,
                format!("a signing certificate without a key; also set {KEY_VAR} (or sign-key)"),
            )),
            (None, Some(k)) => Err(Error::identity(
                k,
                format!("a signing key without a certificate; also set {CERT_VAR} (or sign-cert)"),
            )),
        }
    }

    /// Read and check an identity: the files exist, the key fits one of the
    /// C2PA signing algorithms, and a manifest signed with them reads back
    /// with no error other than an untrusted signer.
    pub fn load(cert_path: &Path, key_path: &Path) -> Result<Identity> {
        let read = |p: &Path, what: &str| {
            std::fs::read(p)
                .map_err(|e| Error::identity(p, format!("cannot read the signing {what}: {e}")))
        };
        let cert = read(cert_path, "certificate")?;
        let key = read(key_path, "key")?;
        if !String::from_utf8_lossy(&cert).contains("-----BEGIN CERTIFICATE-----") {
            return Err(Error::identity(
                cert_path,
                "not a PEM certificate chain (expected -----BEGIN CERTIFICATE-----)",
            ));
        }
        let alg = ALGORITHMS
            .into_iter()
            .find(|alg| {
                c2pa::create_signer::from_keys(&cert, &key, *alg, None)
                    .and_then(|s| s.sign(b"retake"))
                    .is_ok()
            })
            .ok_or_else(|| {
                Error::identity(
                    key_path,
                    "not a private key the C2PA SDK can sign with for this certificate \
                     (PEM PKCS#8 ECDSA P-256/P-384/P-521, RSA-PSS or Ed25519)",
                )
            })?;
        let identity = Identity {
            cert_path: cert_path.to_path_buf(),
            key_path: key_path.to_path_buf(),
            cert,
            key,
            alg,
        };
        identity.check_round_trip()?;
        Ok(identity)
    }

    pub fn signer(&self) -> Result<BoxedSigner> {
        c2pa::create_signer::from_keys(&self.cert, &self.key, self.alg, None)
            .map_err(|e| Error::identity(&self.cert_path, format!("cannot make a signer: {e}")))
    }

    /// Sign a few bytes and read the manifest back: a certificate C2PA's
    /// profile refuses, or a key that is not the certificate's, is found
    /// here, before anything is rendered.
    fn check_round_trip(&self) -> Result<()> {
        const PROBE: &[u8] = b"retake signing identity check";
        let signer = self.signer()?;
        let manifest = crate::manifest::sign_detached(
            serde_json::json!({
                "claim_generator_info": [{"name": "Retake", "version": env!("CARGO_PKG_VERSION")}],
                "title": "identity check",
                "assertions": [{
                    "label": "c2pa.actions",
                    "data": {"actions": [{
                        "action": "c2pa.created",
                        "digitalSourceType": "http://cv.iptc.org/newscodes/digitalsourcetype/algorithmicMedia"
                    }]}
                }]
            }),
            PROBE,
            signer.as_ref(),
        )
        .map_err(|e| Error::identity(&self.cert_path, format!("the C2PA SDK refused to sign: {e}")))?;
        let verdict = crate::inspect::verdict_of_detached(
            &manifest,
            "application/octet-stream",
            Cursor::new(PROBE),
        )
        .map_err(|e| {
            Error::identity(
                &self.cert_path,
                format!("a manifest signed with it does not read back: {e}"),
            )
        })?;
        match verdict.failures.first() {
            None => Ok(()),
            Some(f) => Err(Error::identity(
                &self.cert_path,
                format!(
                    "a manifest signed with this certificate and key ({}) does not validate: {f}; \
                     C2PA needs an end-entity certificate (not a CA, not self-signed) with the \
                     digitalSignature key usage and an extended key usage such as emailProtection, \
                     followed by its issuers; `retake provenance keygen DIR` makes such a test identity",
                    self.key_path.display()
                ),
            )),
        }
    }
}
