//! TLS passed through to NATS (issue 21's security part), on a real `nats-server` that
//! requires TLS and verifies client certificates, with a CA and certificates made for the
//! test by the `openssl` command: a node with the CA and a client certificate starts and
//! calls another node; one without the client certificate, or without the CA, is refused.
#![allow(clippy::unwrap_used, reason = "tests fail loudly on unexpected errors")]
mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

use actor_cluster::{ClusterError, Node, NodeOptions, Tls};
use actor_core::Actor;
use support::{Echo, NatsServer, Ping};

/// Runs `openssl` with `args` in `dir`.
fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl").args(args).current_dir(dir).output();
    let out = out.unwrap_or_else(|e| panic!("cannot run openssl: {e} (apt-get install openssl)"));
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A CA, a server certificate for 127.0.0.1 and a client certificate, in a fresh directory.
fn certificates() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("actor-cluster-tls-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let ec = [
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
    ];
    let mut ca = vec!["req", "-x509"];
    ca.extend(ec);
    ca.extend([
        "-keyout",
        "ca.key",
        "-out",
        "ca.pem",
        "-days",
        "2",
        "-subj",
        "/CN=test-ca",
    ]);
    openssl(&dir, &ca);
    for (who, ext) in [
        (
            "server",
            "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n",
        ),
        ("client", "extendedKeyUsage=clientAuth\n"),
    ] {
        std::fs::write(dir.join(format!("{who}.ext")), ext).unwrap();
        let (key, csr, pem, extfile) = (
            format!("{who}.key"),
            format!("{who}.csr"),
            format!("{who}.pem"),
            format!("{who}.ext"),
        );
        let subject = format!("/CN={who}");
        let mut req = vec!["req"];
        req.extend(ec);
        req.extend(["-keyout", &key, "-out", &csr, "-subj", &subject]);
        openssl(&dir, &req);
        openssl(
            &dir,
            &[
                "x509",
                "-req",
                "-in",
                &csr,
                "-CA",
                "ca.pem",
                "-CAkey",
                "ca.key",
                "-CAcreateserial",
                "-out",
                &pem,
                "-days",
                "2",
                "-extfile",
                &extfile,
            ],
        );
    }
    dir
}

fn with_tls(options: NodeOptions, dir: &Path, ca: bool, client: bool) -> NodeOptions {
    options.tls(Tls {
        require: true,
        root_certificates: ca.then(|| dir.join("ca.pem")),
        client_certificate: client.then(|| (dir.join("client.pem"), dir.join("client.key"))),
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs nats-server and openssl: `just cluster-tests`"]
async fn tls_with_client_certificates_works_and_is_enforced() {
    let dir = certificates();
    let path = |f: &str| dir.join(f).to_string_lossy().into_owned();
    let (cert, key, ca) = (path("server.pem"), path("server.key"), path("ca.pem"));
    let nats = NatsServer::start(&[
        "--tls",
        "--tlscert",
        &cert,
        "--tlskey",
        &key,
        "--tlsverify",
        "--tlscacert",
        &ca,
    ])
    .await;
    let options = |name: &str| support::options(name, &nats.url, "tls1");

    let a = Node::start(with_tls(options("a"), &dir, true, true))
        .await
        .unwrap();
    let b = Node::start(with_tls(options("b"), &dir, true, true))
        .await
        .unwrap();
    b.accept_call::<Echo, Ping>();
    let echo = Echo::start(()).await.unwrap();
    let mut seen = a.subscribe();
    while a.nodes().is_empty() {
        let _ = tokio::time::timeout(std::time::Duration::from_secs(10), seen.recv())
            .await
            .unwrap();
    }
    let remote = a.remote_ref::<Echo>(b.remote_pid(&echo.pid()));
    assert_eq!(remote.call(Ping(42)).await.unwrap(), 42);

    // Without the client certificate the server refuses; without the CA the node refuses
    // the server's certificate.
    for (name, ca, client) in [("c", true, false), ("d", false, true)] {
        let refused = Node::start(with_tls(options(name), &dir, ca, client)).await;
        assert!(
            matches!(refused, Err(ClusterError::Connect(_))),
            "{name}: {refused:?}"
        );
    }
    a.stop().await;
    b.stop().await;
    let _ = std::fs::remove_dir_all(&dir);
}
