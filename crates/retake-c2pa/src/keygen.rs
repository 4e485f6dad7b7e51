//! `retake provenance keygen DIR`: a test signing identity. C2PA's
//! certificate profile refuses self-signed signers, so this is a small CA
//! plus an end-entity certificate issued by it, written as a chain. No
//! validator trusts it: readers report it as untrusted, nothing worse.

use std::path::{Path, PathBuf};

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose,
};
use retake_core::atomic::AtomicPath;
use time::{Duration, OffsetDateTime};

use crate::error::{Error, Result};

/// The files of a test identity.
#[derive(Debug)]
pub struct TestIdentity {
    /// The signer's certificate followed by the test CA's (the chain).
    pub cert: PathBuf,
    /// The signer's private key (PKCS#8, P-256).
    pub key: PathBuf,
    /// The test CA alone, for a reader that is told to trust it.
    pub ca: PathBuf,
}

fn names(common_name: &str) -> DistinguishedName {
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, common_name);
    dn.push(DnType::OrganizationName, "Retake test identity (untrusted)");
    dn
}

/// Make `DIR/cert.pem`, `DIR/key.pem` and `DIR/ca.pem`; existing files are
/// kept unless `overwrite`. Valid from yesterday for one year.
pub fn make_test_identity(dir: &Path, overwrite: bool) -> Result<TestIdentity> {
    let ids = TestIdentity {
        cert: dir.join("cert.pem"),
        key: dir.join("key.pem"),
        ca: dir.join("ca.pem"),
    };
    if !dir.is_dir() {
        std::fs::create_dir_all(dir)
            .map_err(|e| Error::write(dir, format!("cannot create the folder: {e}")))?;
    }
    for p in [&ids.cert, &ids.key, &ids.ca] {
        if !overwrite && p.symlink_metadata().is_ok() {
            return Err(Error::write(
                p,
                "already exists; pass --overwrite (-y) to replace the identity",
            ));
        }
    }
    let fail = |e: rcgen::Error| Error::write(dir, format!("cannot make the test identity: {e}"));
    let now = OffsetDateTime::now_utc();
    let (from, until) = (now - Duration::days(1), now + Duration::days(365));

    let ca_key = KeyPair::generate().map_err(fail)?;
    let mut ca = CertificateParams::default();
    ca.distinguished_name = names("Retake test CA");
    ca.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    ca.not_before = from;
    ca.not_after = until;
    let ca_cert = ca.self_signed(&ca_key).map_err(fail)?;

    let key = KeyPair::generate().map_err(fail)?;
    let mut signer = CertificateParams::default();
    signer.distinguished_name = names("Retake test signer");
    signer.is_ca = IsCa::ExplicitNoCa;
    signer.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    signer.extended_key_usages = vec![ExtendedKeyUsagePurpose::EmailProtection];
    signer.use_authority_key_identifier_extension = true;
    signer.not_before = from;
    signer.not_after = until;
    let issuer = Issuer::new(ca, ca_key);
    let cert = signer.signed_by(&key, &issuer).map_err(fail)?;

    write(&ids.key, &key.serialize_pem())?;
    write(&ids.cert, &(cert.pem() + &ca_cert.pem()))?;
    write(&ids.ca, &ca_cert.pem())?;
    Ok(ids)
}

fn write(path: &Path, text: &str) -> Result<()> {
    let target = AtomicPath::new(path).map_err(|e| Error::write(path, e))?;
    std::fs::write(target.temp(), text).map_err(|e| Error::write(path, e))?;
    target.commit().map_err(|e| Error::write(path, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_identity_signs_and_reads_back_untrusted_only() {
        let dir = tempfile::tempdir().unwrap();
        let ids = make_test_identity(dir.path(), false).unwrap();
        // Load checks a signed manifest reads back with no failure other
        // than the untrusted signer.
        crate::Identity::load(&ids.cert, &ids.key).unwrap();
        let err = make_test_identity(dir.path(), false).unwrap_err();
        assert!(err.to_string().contains("already exists"), "{err}");
        make_test_identity(dir.path(), true).unwrap();
    }

    #[test]
    fn a_self_signed_or_mismatched_identity_is_refused_up_front() {
        let dir = tempfile::tempdir().unwrap();
        let a = make_test_identity(&dir.path().join("a"), false).unwrap();
        let b = make_test_identity(&dir.path().join("b"), false).unwrap();
        // The CA alone is self-signed: C2PA's profile refuses it.
        let err = crate::Identity::load(&a.ca, &a.key)
            .unwrap_err()
            .to_string();
        assert!(err.contains("ca.pem"), "{err}");
        // a's certificate with b's key: signatures do not match.
        let err = crate::Identity::load(&a.cert, &b.key)
            .unwrap_err()
            .to_string();
        assert!(err.contains("cert.pem"), "{err}");
        let err = crate::Identity::load(&dir.path().join("none.pem"), &a.key)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("none.pem") && err.contains("cannot read"),
            "{err}"
        );
    }
}
