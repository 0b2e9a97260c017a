//! Files clients upload (GraphQL multipart requests), whatever they are
//! for: avatars now, verification documents next. Each kind sets its size
//! limit; the bytes are read under it, and what a file is is told from its
//! content, never from its name or declared type ([`image`]).
//!
//! The HTTP layer already refuses a request body far past the limits while
//! it streams in (`http/body.rs`); this is the exact, per-kind check.

pub mod image;

use std::io::Read;

use crate::error::{AppError, AppResult};

/// An uploaded file as the domain sees it: its size and its bytes, with no trace of the GraphQL request it came in.
pub struct Upload {
    /// The file name the client sent (only ever shown back, never trusted).
    pub name: String,
    /// Its size in bytes.
    pub size: u64,
    /// Its content.
    pub content: Box<dyn Read + Send>,
}

impl Upload {
    /// `PAYLOAD_TOO_LARGE` on `field` when the file is larger than `max` bytes.
    pub fn check_size(&self, max: usize, field: &'static str) -> AppResult<()> {
        if self.size > max as u64 {
            return Err(AppError::PayloadTooLarge {
                field,
                message: format!("the file is larger than {max} bytes"),
            });
        }
        Ok(())
    }

    /// Read the whole file, at most `max` bytes of it (blocking: call from [`crate::cpu::run`] or a blocking task).
    pub fn read(self, max: usize) -> AppResult<Vec<u8>> {
        let mut bytes = Vec::with_capacity(max.min(usize::try_from(self.size).unwrap_or(max)));
        self.content
            .take(max as u64)
            .read_to_end(&mut bytes)
            .map_err(AppError::internal)?;
        Ok(bytes)
    }
}
