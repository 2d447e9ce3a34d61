//! A throwaway certificate authority for TLS tests (feature `test-ca`): one CA and a
//! server certificate it signed for `localhost` and `127.0.0.1`, all in PEM.

use std::path::{Path, PathBuf};

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};

/// A CA generated at run time and a server identity signed by it.
#[derive(Clone)]
pub struct TestCa {
    /// The CA certificate (what a client adds to its trusted roots).
    pub ca_cert_pem: String,
    /// The server certificate, for `localhost` and `127.0.0.1`.
    pub server_cert_pem: String,
    /// The server's private key.
    pub server_key_pem: String,
}

impl std::fmt::Debug for TestCa {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestCa").finish_non_exhaustive()
    }
}

impl TestCa {
    /// Generates a CA named `common_name` and a server certificate signed by it.
    pub fn generate(common_name: &str) -> Result<Self, rcgen::Error> {
        let mut ca_params = CertificateParams::new(Vec::<String>::new())?;
        let mut dn = DistinguishedName::new();
        dn.push(DnType::CommonName, common_name);
        ca_params.distinguished_name = dn;
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        let ca_key = KeyPair::generate()?;
        let ca_cert = ca_params.self_signed(&ca_key)?;
        let issuer = Issuer::new(ca_params, ca_key);

        let mut server_params =
            CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()])?;
        let mut dn = DistinguishedName::new();
        dn.push(DnType::CommonName, "localhost");
        server_params.distinguished_name = dn;
        let server_key = KeyPair::generate()?;
        let server_cert = server_params.signed_by(&server_key, &issuer)?;
        Ok(Self {
            ca_cert_pem: ca_cert.pem(),
            server_cert_pem: server_cert.pem(),
            server_key_pem: server_key.serialize_pem(),
        })
    }

    /// Writes the CA certificate to `dir/name` (creating `dir`) and returns the path, for
    /// settings that take a CA bundle file.
    pub fn write_ca_bundle(&self, dir: &Path, name: &str) -> std::io::Result<PathBuf> {
        std::fs::create_dir_all(dir)?;
        let path = dir.join(name);
        std::fs::write(&path, &self.ca_cert_pem)?;
        Ok(path)
    }
}
