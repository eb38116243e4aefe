//! The test OIDC issuer of `scripts/sigstore-stack` (see `provseal_testsupport::oidc`).
//!
//! ```text
//! provseal-test-oidc serve DIR          new key + request token in DIR/oidc/, serve on 127.0.0.1
//! provseal-test-oidc mint DIR [CLAIM=VALUE…]   print a token of the issuer whose state is in DIR
//! ```
#![forbid(unsafe_code)]

use std::path::PathBuf;
use std::process::ExitCode;

use provseal_testsupport::oidc::Issuer;

const USAGE: &str = "usage: provseal-test-oidc serve DIR [--port N] | mint DIR [CLAIM=VALUE...]";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(msg) => {
            eprintln!("provseal-test-oidc: error: {msg}");
            ExitCode::from(2)
        }
    }
}

fn run(args: &[String]) -> Result<(), String> {
    let (cmd, dir) = match args {
        [cmd, dir, ..] => (cmd.as_str(), PathBuf::from(dir)),
        _ => return Err(USAGE.into()),
    };
    let rest = &args[2..];
    match cmd {
        "serve" => {
            let port = match rest {
                [] => 0,
                [flag, p] if flag == "--port" => {
                    p.parse().map_err(|_| format!("bad port `{p}`"))?
                }
                _ => return Err(USAGE.into()),
            };
            let server = tiny_http::Server::http(("127.0.0.1", port))
                .map_err(|e| format!("cannot listen on 127.0.0.1:{port}: {e}"))?;
            let addr = server
                .server_addr()
                .to_ip()
                .ok_or("the server has no IP address")?;
            let issuer =
                Issuer::create(&dir, &format!("http://{addr}")).map_err(|e| e.to_string())?;
            eprintln!("provseal-test-oidc: serving {} on {addr}", issuer.url());
            issuer.serve(&server, &mut std::io::stderr());
            Ok(())
        }
        "mint" => {
            let overrides = rest
                .iter()
                .map(|kv| {
                    kv.split_once('=')
                        .ok_or_else(|| format!("`{kv}` is not CLAIM=VALUE"))
                })
                .collect::<Result<Vec<_>, _>>()?;
            let issuer = Issuer::open(&dir).map_err(|e| e.to_string())?;
            let token = issuer.mint(&overrides).map_err(|e| e.to_string())?;
            println!("{token}");
            Ok(())
        }
        _ => Err(USAGE.into()),
    }
}
