//! The one cap on an HTTP body read into memory, for both clients (Spark's ImpEx API, GitHub's REST API,
//! their token and error answers). A success answer over its cap is an error (nothing that large is
//! documented: a server that sends it is broken or hostile); an error body is cut at its cap, since a
//! message quotes only its start. Either way the rest is never read: the connection is dropped.
use bytes::{Bytes, BytesMut};

/// The most of a JSON answer read into memory (a job, a job list, a version list, a page of comments).
pub(crate) const ANSWER_LIMIT: usize = 16 * 1024 * 1024;
/// The most of an error body read into memory (an error keeps 4 KiB of it, a message a few hundred bytes).
pub(crate) const ERROR_LIMIT: usize = 64 * 1024;

/// A body read up to a cap.
#[derive(Debug)]
pub(crate) struct Capped {
    buf: BytesMut,
    limit: usize,
    over: bool,
}

impl Capped {
    /// An empty body that keeps at most `limit` bytes.
    pub fn new(limit: usize) -> Capped {
        Capped {
            buf: BytesMut::new(),
            limit,
            over: false,
        }
    }

    /// Adds `chunk`; false once the cap is reached (stop reading: the rest would be thrown away).
    pub fn push(&mut self, chunk: &[u8]) -> bool {
        let room = self.limit - self.buf.len();
        if chunk.len() > room {
            self.buf.extend_from_slice(&chunk[..room]);
            self.over = true;
            return false;
        }
        self.buf.extend_from_slice(chunk);
        true
    }

    /// The bytes kept, with every secret known to the run removed (see [`crate::redact`]).
    pub fn into_bytes(self) -> Bytes {
        crate::redact::bytes(self.buf.freeze())
    }

    /// A success answer: the bytes, or [`TooLarge`] when the body was over the cap.
    pub fn answer(self) -> Result<Bytes, TooLarge> {
        if self.over {
            return Err(TooLarge { limit: self.limit });
        }
        Ok(self.into_bytes())
    }
}

/// A success answer over its cap.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the answer is over {} MiB; stopped reading it", limit / (1024 * 1024))]
pub(crate) struct TooLarge {
    pub limit: usize,
}

/// True when a declared `Content-Length` is already over `limit`: the body need not be read at all.
pub(crate) fn declared_over(content_length: Option<u64>, limit: usize) -> bool {
    content_length.is_some_and(|length| length > limit as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_body_keeps_at_most_its_cap_and_says_when_it_was_longer() {
        let mut body = Capped::new(10);
        assert!(body.push(b"hello"));
        assert!(!body.push(b"world and more"));
        assert_eq!(body.answer(), Err(TooLarge { limit: 10 }));
        let mut body = Capped::new(10);
        assert!(body.push(b"0123456789"));
        assert_eq!(&body.answer().unwrap()[..], b"0123456789");
        let mut cut = Capped::new(4);
        cut.push(b"abcdef");
        assert_eq!(&cut.into_bytes()[..], b"abcd");
    }

    #[test]
    fn a_declared_length_over_the_cap_is_refused_before_reading() {
        assert!(declared_over(Some(11), 10));
        assert!(!declared_over(Some(10), 10));
        assert!(!declared_over(None, 10));
    }
}
