//! The HTTP client every request goes through: one small runtime (the rest of provseal stays
//! synchronous) with one worker thread, so a request started in the background (the
//! certificate prefetch) progresses while the caller hashes; one connection pool; a timeout on
//! every request; and bounded retries with backoff for transient failures.

use std::future::Future;
use std::time::Duration;

use sigstore_sign::reqwest;

use crate::error::{KeylessError, Service};
use crate::source::Secret;

/// Timeouts and retries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpOptions {
    /// The whole-request timeout.
    pub timeout: Duration,
    /// The connect timeout.
    pub connect_timeout: Duration,
    /// Attempts for an operation whose failure is transient (connection refused or reset,
    /// timeout, HTTP 408, 429 or 5xx); at least 1.
    pub attempts: u32,
    /// The wait before the second attempt; doubled before each further one.
    pub backoff: Duration,
}

impl Default for HttpOptions {
    fn default() -> Self {
        HttpOptions {
            timeout: Duration::from_secs(60),
            connect_timeout: Duration::from_secs(10),
            attempts: 3,
            backoff: Duration::from_millis(500),
        }
    }
}

/// The runtime and the client.
pub struct Http {
    runtime: tokio::runtime::Runtime,
    pub(crate) client: reqwest::Client,
    pub(crate) options: HttpOptions,
}

impl std::fmt::Debug for Http {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Http")
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

/// Whether an HTTP status is worth another attempt.
pub(crate) fn transient_status(status: u16) -> bool {
    status == 408 || status == 429 || status >= 500
}

impl Http {
    /// A runtime with one worker thread and a client with `options`' timeouts.
    ///
    /// # Errors
    /// [`KeylessError::Setup`].
    pub fn new(options: &HttpOptions) -> Result<Http, KeylessError> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("provseal-keyless-http")
            .enable_all()
            .build()
            .map_err(|e| KeylessError::Setup {
                part: "async runtime",
                source: Box::new(e),
            })?;
        let client = {
            let _guard = runtime.enter();
            reqwest::Client::builder()
                .timeout(options.timeout)
                .connect_timeout(options.connect_timeout)
                .user_agent(concat!("provseal/", env!("CARGO_PKG_VERSION")))
                .build()
                .map_err(|e| KeylessError::Setup {
                    part: "HTTP client",
                    source: Box::new(e),
                })?
        };
        Ok(Http {
            runtime,
            client,
            options: HttpOptions {
                attempts: options.attempts.max(1),
                ..options.clone()
            },
        })
    }

    pub(crate) fn block_on<F: Future>(&self, f: F) -> F::Output {
        self.runtime.block_on(f)
    }

    /// Starts `f` on the worker thread; it runs while the caller does other things.
    pub(crate) fn spawn<F>(&self, f: F) -> tokio::task::JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        self.runtime.spawn(f)
    }

    /// [`retry_async`], waited for.
    pub(crate) fn retry<T, E, F, Fut>(
        &self,
        op: F,
        transient: impl Fn(&E) -> bool,
    ) -> (Result<T, E>, u32)
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, E>>,
    {
        self.block_on(retry_async(&self.options, op, transient))
    }

    /// GitHub Actions' token request: `GET URL&audience=AUD` with the request token as bearer;
    /// the answer is `{"value": TOKEN}`.
    pub(crate) fn github_actions_token(
        &self,
        url: &str,
        bearer: &Secret,
        audience: &str,
    ) -> Result<Secret, KeylessError> {
        struct Failed {
            status: Option<u16>,
            message: String,
            source: Option<Box<dyn std::error::Error + Send + Sync>>,
        }
        let (result, attempts) = self.retry(
            || async {
                let response = self
                    .client
                    .get(url)
                    .query(&[("audience", audience)])
                    .bearer_auth(bearer.expose())
                    .send()
                    .await
                    .map_err(|e| Failed {
                        status: None,
                        message: String::new(),
                        source: Some(Box::new(e)),
                    })?;
                let status = response.status().as_u16();
                let body = response.bytes().await.map_err(|e| Failed {
                    status: Some(status),
                    message: String::new(),
                    source: Some(Box::new(e)),
                })?;
                if !(200..300).contains(&status) {
                    return Err(Failed {
                        status: Some(status),
                        message: String::from_utf8_lossy(&body).chars().take(300).collect(),
                        source: None,
                    });
                }
                #[derive(serde::Deserialize)]
                struct Answer {
                    value: String,
                }
                // Not the parser's message: it quotes what it rejects, and the answer carries a
                // token. Its class and position say enough.
                let answer: Answer = serde_json::from_slice(&body).map_err(|e| Failed {
                    status: Some(status),
                    message: format!(
                        "the answer is not `{{\"value\": …}}` JSON ({:?} error at line {}, column {})",
                        e.classify(),
                        e.line(),
                        e.column()
                    ),
                    source: None,
                })?;
                Ok(Secret::new(answer.value))
            },
            |f: &Failed| f.status.is_none_or(transient_status),
        );
        result.map_err(|f| KeylessError::Service {
            service: Service::TokenEndpoint,
            url: without_query(url),
            status: f.status,
            attempts,
            message: f.message,
            source: f.source,
        })
    }
}

/// Runs `op` up to `options.attempts` times while `transient` says its error is transient,
/// waiting `backoff`, `2 × backoff`, … in between (only after a failure: nothing here waits on a
/// fixed interval). Returns the result and the attempts made.
pub(crate) async fn retry_async<T, E, F, Fut>(
    options: &HttpOptions,
    mut op: F,
    transient: impl Fn(&E) -> bool,
) -> (Result<T, E>, u32)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, E>>,
{
    let mut wait = options.backoff;
    let mut attempt = 1;
    loop {
        match op().await {
            Err(e) if attempt < options.attempts.max(1) && transient(&e) => {
                tokio::time::sleep(wait).await;
                wait = wait.saturating_mul(2);
                attempt += 1;
            }
            other => return (other, attempt),
        }
    }
}

/// The URL without its query (GitHub's request URL carries opaque parameters).
pub(crate) fn without_query(url: &str) -> String {
    url.split('?').next().unwrap_or(url).to_owned()
}

#[cfg(test)]
mod tests {
    use std::io::{Read as _, Write as _};

    use super::*;

    /// An answer that is JSON but not `{"value": …}` (here a bare string holding the token) is
    /// refused naming the JSON class and position, never quoting the answer.
    #[test]
    fn a_malformed_token_answer_is_not_quoted() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let url = format!("http://{}/token?x=1", listener.local_addr().expect("addr"));
        let server = std::thread::spawn(move || {
            if let Ok((mut conn, _)) = listener.accept() {
                let mut buf = [0u8; 4096];
                let _ = conn.read(&mut buf);
                let body = "\"TOKEN-SECRET-PART\"";
                let _ = write!(
                    conn,
                    "HTTP/1.1 200 OK\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
            }
        });
        let http = Http::new(&HttpOptions::default()).expect("client");
        let e = http
            .github_actions_token(&url, &Secret::new("request-token"), "sigstore")
            .unwrap_err();
        server.join().expect("server");
        let shown = provseal_model::one_line(&e);
        assert!(
            shown.contains("the answer is not `{\"value\": …}` JSON (Data error at line 1"),
            "{shown}"
        );
        assert!(!shown.contains("SECRET"), "{shown}");
        assert!(!format!("{e:?}").contains("SECRET"), "{e:?}");
    }
}
