//! A file mapped into memory, for reading files too large to copy or that are read whole
//! right away (disk matrices, Arrow IPC files written by polars).

use std::fs::File;
use std::path::Path;

use crate::error::{Code, Error, Result};

#[cfg(target_os = "linux")]
const MAP_POPULATE: i32 = 0x8000;
#[cfg(not(target_os = "linux"))]
const MAP_POPULATE: i32 = 0;

extern "C" {
    fn mmap(addr: *mut u8, len: usize, prot: i32, flags: i32, fd: i32, offset: i64) -> *mut u8;
    fn munmap(addr: *mut u8, len: usize) -> i32;
}

/// A file mapped into memory (copy-on-write: the file is never changed); unmapped when dropped.
pub struct Mapped {
    ptr: *mut u8,
    len: usize,
}

// The mapping lives until drop and is only read through shared references: any thread may read it.
unsafe impl Send for Mapped {}
unsafe impl Sync for Mapped {}

impl Mapped {
    /// Maps the whole file. `populate` reads it all in at once (one call instead of a fault per
    /// page: for files read whole right away); otherwise pages come in as they are touched.
    pub fn open(path: &Path, populate: bool) -> Result<Mapped> {
        use std::os::unix::io::AsRawFd;
        let file = File::open(path).map_err(|e| Error::io(e, path))?;
        let len = file.metadata().map_err(|e| Error::io(e, path))?.len() as usize;
        if len == 0 {
            return Ok(Mapped { ptr: std::ptr::NonNull::<u64>::dangling().as_ptr() as *mut u8, len: 0 });
        }
        // Private and writable: a write (say, from JS code holding the pages as a typed array)
        // copies the page instead of faulting, and never reaches the file.
        const PROT_READ_WRITE: i32 = 1 | 2;
        const MAP_PRIVATE: i32 = 2;
        let flags = MAP_PRIVATE | if populate { MAP_POPULATE } else { 0 };
        let ptr = unsafe { mmap(std::ptr::null_mut(), len, PROT_READ_WRITE, flags, file.as_raw_fd(), 0) };
        if ptr as isize == -1 {
            return Err(Error::invalid(format!("{}: cannot be memory-mapped", path.display())));
        }
        Ok(Mapped { ptr, len })
    }

    /// The mapped bytes.
    pub fn bytes(&self) -> &[u8] {
        unsafe { std::slice::from_raw_parts(self.ptr, self.len) }
    }

    /// The mapping as elements of `T` (a plain number type); a length that is not a multiple
    /// of its size is a corrupt file.
    pub fn slice<T: Copy>(&self, path: &Path) -> Result<&[T]> {
        let size = std::mem::size_of::<T>();
        if !self.len.is_multiple_of(size) {
            return Err(Error::new(Code::CorruptFile, format!("{} has {} bytes, not whole {size}-byte values", path.display(), self.len)));
        }
        // Page-aligned base, so aligned for any number type.
        Ok(unsafe { std::slice::from_raw_parts(self.ptr as *const T, self.len / size) })
    }
}

impl Drop for Mapped {
    fn drop(&mut self) {
        if self.len > 0 {
            unsafe { munmap(self.ptr, self.len) };
        }
    }
}

