//! Errors the algorithms report; the binding turns them into `RusketError`s with the same code.

use std::fmt;

/// Stable error codes, shared with the TypeScript `RusketError`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Code {
    InvalidArgument,
    EmptyInput,
    InvalidFormat,
    CorruptFile,
    VersionMismatch,
    UnknownUser,
    UnknownItem,
}

impl Code {
    pub fn as_str(self) -> &'static str {
        match self {
            Code::InvalidArgument => "INVALID_ARGUMENT",
            Code::EmptyInput => "EMPTY_INPUT",
            Code::InvalidFormat => "INVALID_FORMAT",
            Code::CorruptFile => "CORRUPT_FILE",
            Code::VersionMismatch => "VERSION_MISMATCH",
            Code::UnknownUser => "UNKNOWN_USER",
            Code::UnknownItem => "UNKNOWN_ITEM",
        }
    }
}

/// An error with a stable code and a message naming the argument and the bad value.
#[derive(Debug, Clone, PartialEq)]
pub struct Error {
    pub code: Code,
    pub message: String,
}

impl Error {
    pub fn new(code: Code, message: impl Into<String>) -> Self {
        Error { code, message: message.into() }
    }
    pub fn invalid(message: impl Into<String>) -> Self {
        Error::new(Code::InvalidArgument, message)
    }

    /// A failed file operation on `path`.
    pub fn io(e: std::io::Error, path: &std::path::Path) -> Self {
        Error::invalid(format!("{}: {e}", path.display()))
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code.as_str(), self.message)
    }
}

impl std::error::Error for Error {}

pub type Result<T> = std::result::Result<T, Error>;
