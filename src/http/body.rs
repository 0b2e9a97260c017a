//! Request bodies read under limits, enforced while they stream in: a byte
//! limit for every body and, for multipart bodies, a limit on the number of
//! parts. async-graphql writes every file part to a temporary file before any
//! resolver runs, and its `MultipartOptions::max_num_files` does not bound
//! the count of files (only, together with `max_file_size`, the size of the
//! whole stream), so the count is bounded here, on the raw bytes: every part
//! starts with the delimiter `--<boundary>`.

use std::io;
use std::sync::{Arc, OnceLock};

use axum::body::{Body, Bytes};
use futures_util::{Stream, StreamExt};
use memchr::memmem::Finder;

/// A limit a body went past.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exceeded {
    /// More bytes than this.
    Bytes(usize),
    /// More multipart parts than allowed.
    Parts,
}

/// Counts what a body brings in, chunk by chunk.
pub struct BodyGuard {
    max_bytes: usize,
    bytes: usize,
    parts: Option<PartCounter>,
}

/// Counts multipart delimiters, including those split across chunks.
struct PartCounter {
    delimiter: Finder<'static>,
    max_parts: usize,
    found: usize,
    /// The end of what was read so far, too short to hold a whole delimiter.
    tail: Vec<u8>,
}

impl BodyGuard {
    /// A body of at most `max_bytes`.
    pub fn new(max_bytes: usize) -> Self {
        BodyGuard {
            max_bytes,
            bytes: 0,
            parts: None,
        }
    }

    /// Also a multipart body (with this boundary) of at most `max_parts` parts.
    pub fn with_parts(mut self, boundary: &str, max_parts: usize) -> Self {
        let delimiter = format!("--{boundary}").into_bytes();
        self.parts = Some(PartCounter {
            delimiter: Finder::new(&delimiter).into_owned(),
            max_parts,
            found: 0,
            tail: Vec::new(),
        });
        self
    }

    /// The most bytes the body may have.
    pub fn max_bytes(&self) -> usize {
        self.max_bytes
    }

    /// Take in the next chunk of the body.
    pub fn feed(&mut self, chunk: &[u8]) -> Result<(), Exceeded> {
        self.bytes = self.bytes.saturating_add(chunk.len());
        if self.bytes > self.max_bytes {
            return Err(Exceeded::Bytes(self.max_bytes));
        }
        let Some(parts) = &mut self.parts else {
            return Ok(());
        };
        let keep = parts.delimiter.needle().len().saturating_sub(1);
        // A delimiter that starts in the tail and ends in this chunk.
        let mut seam = std::mem::take(&mut parts.tail);
        seam.extend_from_slice(&chunk[..chunk.len().min(keep)]);
        parts.found += parts.delimiter.find_iter(&seam).count();
        parts.found += parts.delimiter.find_iter(chunk).count();
        let end = if chunk.len() >= keep { chunk } else { &seam[..] };
        parts.tail = end[end.len().saturating_sub(keep)..].to_vec();
        // Every part opens with a delimiter; one more closes the body.
        if parts.found > parts.max_parts + 1 {
            return Err(Exceeded::Parts);
        }
        Ok(())
    }
}

/// `body` as a stream that fails at the first chunk past `guard`'s limits, leaving which limit in `breach` (the parsers wrap the error in their own).
pub fn guarded(
    body: Body,
    mut guard: BodyGuard,
    breach: Arc<OnceLock<Exceeded>>,
) -> impl Stream<Item = io::Result<Bytes>> + Unpin {
    body.into_data_stream().map(move |chunk| {
        let chunk = chunk.map_err(io::Error::other)?;
        if let Err(exceeded) = guard.feed(&chunk) {
            let _ = breach.set(exceeded);
            return Err(io::Error::other("the request body is past its limits"));
        }
        Ok(chunk)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn feed_all(guard: &mut BodyGuard, body: &[u8], chunk: usize) -> Result<(), Exceeded> {
        body.chunks(chunk).try_for_each(|c| guard.feed(c))
    }

    fn multipart(files: usize) -> Vec<u8> {
        let mut body =
            String::from("--XyZ\r\nContent-Disposition: form-data; name=\"operations\"\r\n\r\n{}\r\n");
        body += "--XyZ\r\nContent-Disposition: form-data; name=\"map\"\r\n\r\n{}\r\n";
        for i in 0..files {
            body += &format!(
                "--XyZ\r\nContent-Disposition: form-data; name=\"{i}\"; filename=\"a\"\r\n\r\nx\r\n"
            );
        }
        body += "--XyZ--\r\n";
        body.into_bytes()
    }

    #[test]
    fn bytes_past_the_limit_are_refused() {
        let mut guard = BodyGuard::new(10);
        assert_eq!(feed_all(&mut guard, b"0123456789", 3), Ok(()));
        assert_eq!(guard.feed(b"!"), Err(Exceeded::Bytes(10)));
    }

    #[test]
    fn parts_are_counted_across_any_chunking() {
        for chunk in [1, 2, 3, 4, 5, 7, 64, 4096] {
            let mut guard = BodyGuard::new(1 << 20).with_parts("XyZ", 3);
            assert_eq!(
                feed_all(&mut guard, &multipart(1), chunk),
                Ok(()),
                "chunks of {chunk}"
            );
            let mut guard = BodyGuard::new(1 << 20).with_parts("XyZ", 3);
            assert_eq!(
                feed_all(&mut guard, &multipart(2), chunk),
                Err(Exceeded::Parts),
                "chunks of {chunk}"
            );
        }
    }

    #[test]
    fn bodies_without_parts_are_only_measured() {
        let mut guard = BodyGuard::new(1 << 20);
        assert_eq!(feed_all(&mut guard, &multipart(50), 10), Ok(()));
    }
}
