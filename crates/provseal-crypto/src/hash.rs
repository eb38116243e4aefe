//! Streaming, parallel file hashing with SHA-2 (`aws-lc-rs`, SHA-NI where the CPU has it).
//!
//! Every file is read once, in 256 KiB chunks, and each chunk feeds every requested digest, so
//! memory stays constant whatever the file size. [`hash_files`] hashes many files in parallel
//! (rayon) and returns the results in input order. For a large file and two or more
//! algorithms, [`hash_file`] hashes the algorithms on separate threads from that one read.
//! [`hash_files_observed`] reports its progress ([`HashProgress`]) to a caller's observer, so a
//! program can draw it; this module draws nothing.

use std::fmt;
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::mpsc;
use std::sync::Arc;

use aws_lc_rs::digest;
use provseal_model::DigestSet;
use rayon::prelude::*;

use crate::error::CryptoError;

/// Read size: large enough to amortize system calls, small enough to stay in cache.
pub const CHUNK_SIZE: usize = 256 * 1024;

/// Files at least this large, hashed with two or more algorithms, get one thread per algorithm.
const PIPELINE_MIN_SIZE: u64 = 8 * 1024 * 1024;

/// Chunks in flight per worker thread in the pipelined path (bounds memory).
const PIPELINE_DEPTH: usize = 4;

/// A hash algorithm for artifact digests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum HashAlgorithm {
    /// SHA-256.
    Sha256,
    /// SHA-384.
    Sha384,
    /// SHA-512.
    Sha512,
}

impl HashAlgorithm {
    /// The in-toto `DigestSet` name: `sha256`, `sha384`, `sha512`.
    pub fn name(self) -> &'static str {
        match self {
            HashAlgorithm::Sha256 => "sha256",
            HashAlgorithm::Sha384 => "sha384",
            HashAlgorithm::Sha512 => "sha512",
        }
    }

    fn backend(self) -> &'static digest::Algorithm {
        match self {
            HashAlgorithm::Sha256 => &digest::SHA256,
            HashAlgorithm::Sha384 => &digest::SHA384,
            HashAlgorithm::Sha512 => &digest::SHA512,
        }
    }

    /// The digest of `data` as lowercase hex.
    pub fn hex_digest(self, data: &[u8]) -> String {
        hex::encode(digest::digest(self.backend(), data))
    }
}

impl fmt::Display for HashAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for HashAlgorithm {
    type Err = CryptoError;

    /// Parses `sha256`, `sha384`, `sha512` (case-insensitive; `sha-256` also accepted).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().replace('-', "").as_str() {
            "sha256" => Ok(HashAlgorithm::Sha256),
            "sha384" => Ok(HashAlgorithm::Sha384),
            "sha512" => Ok(HashAlgorithm::Sha512),
            _ => Err(CryptoError::UnknownHashAlgorithm { name: s.to_owned() }),
        }
    }
}

/// What [`hash_files_observed`] reports while it works, from the hashing threads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum HashProgress {
    /// Hashing starts: the number of files and their total size (as the file system reports it
    /// before they are read).
    Started {
        /// Files to hash.
        files: u64,
        /// Their total size in bytes.
        bytes: u64,
    },
    /// This many more bytes were read and hashed (from any file).
    Bytes(u64),
    /// One more file is completely hashed.
    FileDone,
}

/// An observer that ignores every event.
fn ignore(_: HashProgress) {}

/// The requested algorithms without duplicates, in a stable order.
fn distinct(algorithms: &[HashAlgorithm]) -> Vec<HashAlgorithm> {
    let mut v = algorithms.to_vec();
    v.sort();
    v.dedup();
    v
}

fn finish(contexts: Vec<(HashAlgorithm, digest::Context)>) -> DigestSet {
    let mut set = DigestSet::new();
    for (alg, ctx) in contexts {
        set.insert(alg.name(), hex::encode(ctx.finish()));
    }
    set
}

/// Hashes everything `reader` yields with every algorithm in `algorithms`, in one pass.
///
/// An empty `algorithms` list is an `InvalidInput` error.
pub fn hash_reader<R: Read>(reader: R, algorithms: &[HashAlgorithm]) -> io::Result<DigestSet> {
    hash_reader_buffered(reader, algorithms, CHUNK_SIZE, &ignore)
}

/// [`hash_reader`] with a read buffer of `buf_len` bytes (at least 1), reporting each read to
/// `observer`.
fn hash_reader_buffered<R: Read>(
    mut reader: R,
    algorithms: &[HashAlgorithm],
    buf_len: usize,
    observer: &(dyn Fn(HashProgress) + Sync),
) -> io::Result<DigestSet> {
    let algs = distinct(algorithms);
    if algs.is_empty() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "no hash algorithm requested",
        ));
    }
    let mut contexts: Vec<(HashAlgorithm, digest::Context)> = algs
        .iter()
        .map(|&a| (a, digest::Context::new(a.backend())))
        .collect();
    let mut buf = vec![0u8; buf_len.max(1)];
    loop {
        let n = match reader.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        let chunk = buf.get(..n).unwrap_or_default();
        for (_, ctx) in &mut contexts {
            ctx.update(chunk);
        }
        observer(HashProgress::Bytes(n as u64));
    }
    Ok(finish(contexts))
}

/// Hashes in-memory `data` with every algorithm in `algorithms`.
pub fn hash_bytes(data: &[u8], algorithms: &[HashAlgorithm]) -> DigestSet {
    let mut set = DigestSet::new();
    for alg in distinct(algorithms) {
        set.insert(alg.name(), alg.hex_digest(data));
    }
    set
}

/// Hashes one file with every algorithm in `algorithms`, reading it once.
///
/// Errors name the path: a missing or unreadable file is [`CryptoError::Io`]; a directory or
/// other non-regular file is [`CryptoError::NotAFile`].
pub fn hash_file(path: &Path, algorithms: &[HashAlgorithm]) -> Result<DigestSet, CryptoError> {
    hash_file_observed(path, algorithms, &ignore)
}

/// [`hash_file`], reporting the bytes read to `observer` (not [`HashProgress::FileDone`]).
fn hash_file_observed(
    path: &Path,
    algorithms: &[HashAlgorithm],
    observer: &(dyn Fn(HashProgress) + Sync),
) -> Result<DigestSet, CryptoError> {
    let algs = distinct(algorithms);
    if algs.is_empty() {
        return Err(CryptoError::NoHashAlgorithm);
    }
    // Check before opening (opening a FIFO would block), and again on the open handle.
    let before = std::fs::metadata(path).map_err(|e| CryptoError::io(path, e))?;
    if !before.is_file() {
        return Err(CryptoError::NotAFile {
            path: path.to_path_buf(),
        });
    }
    let file = std::fs::File::open(path).map_err(|e| CryptoError::io(path, e))?;
    let meta = file.metadata().map_err(|e| CryptoError::io(path, e))?;
    if !meta.is_file() {
        return Err(CryptoError::NotAFile {
            path: path.to_path_buf(),
        });
    }
    if algs.len() >= 2 && meta.len() >= PIPELINE_MIN_SIZE {
        return hash_pipelined(file, &algs, observer).map_err(|e| CryptoError::io(path, e));
    }
    // A small file gets a small buffer (one byte more than its size, so that one read sees
    // the end): allocating and zeroing 256 KiB per file would dominate for tiny files.
    let buf_len = usize::try_from(meta.len())
        .unwrap_or(CHUNK_SIZE)
        .saturating_add(1)
        .min(CHUNK_SIZE);
    hash_reader_buffered(file, &algs, buf_len, observer).map_err(|e| CryptoError::io(path, e))
}

/// One read, one thread per extra algorithm: the reading thread hashes the first algorithm and
/// hands each chunk (shared, never copied) to the other threads through bounded channels.
fn hash_pipelined<R: Read>(
    mut reader: R,
    algs: &[HashAlgorithm],
    observer: &(dyn Fn(HashProgress) + Sync),
) -> io::Result<DigestSet> {
    let Some((&first, rest)) = algs.split_first() else {
        return hash_reader(reader, algs);
    };
    std::thread::scope(|scope| {
        let mut senders = Vec::with_capacity(rest.len());
        let mut workers = Vec::with_capacity(rest.len());
        for &alg in rest {
            let (tx, rx) = mpsc::sync_channel::<Arc<Vec<u8>>>(PIPELINE_DEPTH);
            senders.push(tx);
            workers.push(scope.spawn(move || {
                let mut ctx = digest::Context::new(alg.backend());
                for chunk in rx {
                    ctx.update(&chunk);
                }
                (alg, ctx)
            }));
        }
        let mut ctx = digest::Context::new(first.backend());
        let mut read_result = Ok(());
        loop {
            let mut buf = vec![0u8; CHUNK_SIZE];
            let n = match read_full(&mut reader, &mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) => {
                    read_result = Err(e);
                    break;
                }
            };
            buf.truncate(n);
            let chunk = Arc::new(buf);
            for tx in &senders {
                // A worker only stops receiving by panicking; that surfaces at join below.
                let _ = tx.send(Arc::clone(&chunk));
            }
            ctx.update(&chunk);
            observer(HashProgress::Bytes(n as u64));
        }
        drop(senders);
        let mut contexts = vec![(first, ctx)];
        for w in workers {
            match w.join() {
                Ok(pair) => contexts.push(pair),
                Err(_) => return Err(io::Error::other("hash worker thread panicked")),
            }
        }
        read_result?;
        Ok(finish(contexts))
    })
}

/// Reads until `buf` is full or the end of input; returns the bytes read.
fn read_full<R: Read>(reader: &mut R, buf: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while let Some(rest) = buf.get_mut(filled..) {
        if rest.is_empty() {
            break;
        }
        match reader.read(rest) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

/// Hashes many files in parallel (rayon's pool); results are in the order of `paths`.
///
/// Memory is constant per file (one chunk buffer per file in flight). The first error (in no
/// particular order) is returned and names its path.
pub fn hash_files(
    paths: &[PathBuf],
    algorithms: &[HashAlgorithm],
) -> Result<Vec<DigestSet>, CryptoError> {
    if distinct(algorithms).is_empty() {
        return Err(CryptoError::NoHashAlgorithm);
    }
    paths.par_iter().map(|p| hash_file(p, algorithms)).collect()
}

/// [`hash_files`], reporting to `observer`: [`HashProgress::Started`] once with the file count
/// and their total size, then [`HashProgress::Bytes`] as chunks are hashed and
/// [`HashProgress::FileDone`] as files finish. `observer` is called from several threads at once.
pub fn hash_files_observed(
    paths: &[PathBuf],
    algorithms: &[HashAlgorithm],
    observer: &(dyn Fn(HashProgress) + Sync),
) -> Result<Vec<DigestSet>, CryptoError> {
    if distinct(algorithms).is_empty() {
        return Err(CryptoError::NoHashAlgorithm);
    }
    report_started(paths, observer);
    paths
        .par_iter()
        .map(|p| hash_one_observed(p, algorithms, observer))
        .collect()
}

/// [`hash_files_observed`] with one result per file, in the order of `paths`: every file is
/// hashed, and an error stays with the file it is about. No [`HashProgress::Started`]: this
/// hashes one part of a larger set whose total the caller reports (verify's chunks of
/// artifacts), so the files are not looked up for a total here.
pub fn hash_each_observed(
    paths: &[PathBuf],
    algorithms: &[HashAlgorithm],
    observer: &(dyn Fn(HashProgress) + Sync),
) -> Vec<Result<DigestSet, CryptoError>> {
    if distinct(algorithms).is_empty() {
        return paths
            .iter()
            .map(|_| Err(CryptoError::NoHashAlgorithm))
            .collect();
    }
    paths
        .par_iter()
        .map(|p| hash_one_observed(p, algorithms, observer))
        .collect()
}

/// [`HashProgress::Started`] for `paths`; an unreadable file counts as empty here (hashing it
/// reports the error with its path).
fn report_started(paths: &[PathBuf], observer: &(dyn Fn(HashProgress) + Sync)) {
    let bytes = paths
        .par_iter()
        .map(|p| std::fs::metadata(p).map_or(0, |m| m.len()))
        .sum();
    observer(HashProgress::Started {
        files: paths.len() as u64,
        bytes,
    });
}

/// One file of a many-file hash: its bytes reported as read, then [`HashProgress::FileDone`].
fn hash_one_observed(
    path: &Path,
    algorithms: &[HashAlgorithm],
    observer: &(dyn Fn(HashProgress) + Sync),
) -> Result<DigestSet, CryptoError> {
    let set = hash_file_observed(path, algorithms, observer)?;
    observer(HashProgress::FileDone);
    Ok(set)
}

#[cfg(test)]
mod tests {
    use super::*;

    const ABC_SHA256: &str = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";

    #[test]
    fn names_round_trip() {
        for a in [
            HashAlgorithm::Sha256,
            HashAlgorithm::Sha384,
            HashAlgorithm::Sha512,
        ] {
            assert_eq!(a.name().parse::<HashAlgorithm>().unwrap(), a);
            assert_eq!(a.to_string(), a.name());
        }
        assert_eq!(
            "SHA-256".parse::<HashAlgorithm>().unwrap(),
            HashAlgorithm::Sha256
        );
        assert!(matches!(
            "md5".parse::<HashAlgorithm>(),
            Err(CryptoError::UnknownHashAlgorithm { .. })
        ));
    }

    #[test]
    fn reader_and_pipeline_agree() {
        let data: Vec<u8> = (0..(3 * CHUNK_SIZE + 17))
            .map(|i| (i % 251) as u8)
            .collect();
        let algs = [
            HashAlgorithm::Sha512,
            HashAlgorithm::Sha256,
            HashAlgorithm::Sha384,
        ];
        let a = hash_reader(&data[..], &algs).unwrap();
        let b = hash_pipelined(&data[..], &distinct(&algs), &ignore).unwrap();
        let c = hash_bytes(&data, &algs);
        assert_eq!(a, b);
        assert_eq!(a, c);
        assert_eq!(a.len(), 3);
        assert_eq!(
            hash_reader(&b"abc"[..], &[HashAlgorithm::Sha256])
                .unwrap()
                .get("sha256"),
            Some(ABC_SHA256)
        );
        assert!(hash_reader(&b"abc"[..], &[]).is_err());
    }

    /// The observer hears the total first, then every byte and every file exactly once, on the
    /// plain and the pipelined paths alike.
    #[test]
    fn observed_hashing_reports_every_byte_and_file() {
        use std::sync::atomic::{AtomicU64, Ordering};
        use std::sync::Mutex;
        let dir = tempfile::tempdir().unwrap();
        let sizes = [0usize, 1, CHUNK_SIZE + 3, PIPELINE_MIN_SIZE as usize + 5];
        let paths: Vec<PathBuf> = sizes
            .iter()
            .enumerate()
            .map(|(i, &n)| {
                let p = dir.path().join(format!("f{i}"));
                std::fs::write(&p, vec![7u8; n]).unwrap();
                p
            })
            .collect();
        let total: u64 = sizes.iter().map(|&n| n as u64).sum();
        let started = Mutex::new(Vec::new());
        let (bytes, files) = (AtomicU64::new(0), AtomicU64::new(0));
        let observer = |e: HashProgress| match e {
            HashProgress::Started { files, bytes } => started.lock().unwrap().push((files, bytes)),
            HashProgress::Bytes(n) => {
                bytes.fetch_add(n, Ordering::Relaxed);
            }
            HashProgress::FileDone => {
                files.fetch_add(1, Ordering::Relaxed);
            }
        };
        let algs = [HashAlgorithm::Sha256, HashAlgorithm::Sha512];
        let sets = hash_files_observed(&paths, &algs, &observer).unwrap();
        assert_eq!(sets, hash_files(&paths, &algs).unwrap());
        assert_eq!(*started.lock().unwrap(), [(4, total)]);
        assert_eq!(bytes.load(Ordering::Relaxed), total);
        assert_eq!(files.load(Ordering::Relaxed), 4);
    }
}
