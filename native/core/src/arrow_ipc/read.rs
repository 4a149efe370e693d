//! Reads the columns of an Arrow IPC file (what nodejs-polars' `writeIPC` produces) in place:
//! each column's buffers, batch after batch, borrowed from the bytes, not copied. (Tests also
//! read the writer's IPC streams back with the same message decoding.)
//!
//! A file is `ARROW1`, two padding bytes, the schema and record-batch messages, then the footer
//! (a FlatBuffer `Footer`: the schema and one `Block` per record batch), its `i32` length and
//! `ARROW1` again. A block points at an encapsulated message (`0xFFFFFFFF`, the metadata length,
//! a FlatBuffer `Message` whose header is a `RecordBatch`) followed by its body; the batch lists
//! one `FieldNode` per column and the body ranges of its buffers, depth first (`Schema.fbs`,
//! `Message.fbs`, `File.fbs` of the Arrow format, metadata version V5).
//!
//! Supported columns: signed and unsigned integers, floats, `Utf8`/`Binary`, their `Large`
//! forms and the `Utf8View`/`BinaryView` that polars writes. Nulls are not read (the caller
//! checks that the columns have none); dictionary-encoded and compressed files are refused.

use super::type_id::{BINARY, BINARY_VIEW, FLOATING_POINT, INT, LARGE_BINARY, LARGE_UTF8, UTF8, UTF8_VIEW};
use super::flatbuf::read::{read_u32, Table};
use super::HEADER_RECORD_BATCH;
use crate::error::{Code, Error, Result};

fn corrupt(what: &str) -> Error {
    Error::new(Code::CorruptFile, format!("Arrow IPC file: {what}"))
}

/// What kind of number a fixed-width column holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Number {
    Signed,
    Unsigned,
    Float,
}

/// How a column's values are laid out, as far as reading them goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Layout {
    /// Fixed-width numbers, `width` bytes each.
    Fixed { width: usize, number: Number },
    /// `offsets` (i32 or, when `large`, i64) into one data buffer.
    Offsets { large: bool },
    /// 16-byte views, inline up to 12 bytes, else pointing into variadic data buffers.
    Views,
}

/// The buffers of one column in one record batch.
pub struct Chunk<'a> {
    pub rows: usize,
    /// The values buffers (validity left out): fixed → [values]; offsets → [offsets, data];
    /// views → [views, data buffers…].
    pub buffers: Vec<&'a [u8]>,
}

/// One column of the file: its name, layout and one chunk per record batch.
pub struct IpcColumn<'a> {
    pub name: String,
    pub layout: Layout,
    pub chunks: Vec<Chunk<'a>>,
}

impl IpcColumn<'_> {
    pub fn rows(&self) -> usize {
        self.chunks.iter().map(|c| c.rows).sum()
    }

    /// Each chunk has the buffers its layout needs, long enough for its rows (the values' own
    /// ranges are checked as they are read).
    pub fn check(&self) -> Result<()> {
        for c in &self.chunks {
            let needed = match self.layout {
                Layout::Fixed { .. } | Layout::Views => 1,
                Layout::Offsets { .. } => 2,
            };
            if c.buffers.len() < needed {
                return Err(corrupt(&format!("column \"{}\" has too few buffers", self.name)));
            }
            let ok = match self.layout {
                Layout::Fixed { width, .. } => c.buffers[0].len() >= c.rows * width,
                Layout::Offsets { large } => c.buffers[0].len() >= (c.rows + 1) * if large { 8 } else { 4 },
                Layout::Views => c.buffers[0].len() >= c.rows * 16,
            };
            if !ok {
                return Err(corrupt(&format!("column \"{}\" has buffers shorter than its rows", self.name)));
            }
        }
        Ok(())
    }
}

const MAGIC: &[u8] = b"ARROW1";

fn layout(field: &Table) -> Result<Layout> {
    let name = field.string(0)?;
    if field.table(4)?.is_some() {
        return Err(Error::new(Code::InvalidFormat, format!("column \"{name}\": dictionary-encoded columns are not read")));
    }
    let ty = field.table(3)?;
    Ok(match field.u8(2, 0)? {
        INT => {
            let bits = ty.map_or(Ok(0), |t| t.i32(0, 0))?;
            if ![8, 16, 32, 64].contains(&bits) {
                return Err(corrupt("integer width"));
            }
            let signed = ty.map_or(Ok(0), |t| t.u8(1, 0))? != 0;
            Layout::Fixed { width: bits as usize / 8, number: if signed { Number::Signed } else { Number::Unsigned } }
        }
        FLOATING_POINT => match ty.map_or(Ok(0), |t| t.i16(0, 0))? {
            1 => Layout::Fixed { width: 4, number: Number::Float },
            2 => Layout::Fixed { width: 8, number: Number::Float },
            _ => return Err(Error::new(Code::InvalidFormat, format!("column \"{name}\": half floats are not read"))),
        },
        BINARY | UTF8 => Layout::Offsets { large: false },
        LARGE_BINARY | LARGE_UTF8 => Layout::Offsets { large: true },
        BINARY_VIEW | UTF8_VIEW => Layout::Views,
        other => return Err(Error::new(Code::InvalidFormat, format!("column \"{name}\": Arrow type id {other} is not read"))),
    })
}

/// The columns a schema declares, with no chunks yet.
fn schema_columns<'a>(schema: &Table) -> Result<Vec<IpcColumn<'a>>> {
    schema.tables(1)?.iter().map(|f| Ok(IpcColumn { name: f.string(0)?, layout: layout(f)?, chunks: Vec::new() })).collect()
}

/// An encapsulated message at `at`: `0xFFFFFFFF`, the metadata length, the `Message` (older
/// writers leave out the `0xFFFFFFFF`). Returns it and where its body starts, or None at the
/// end-of-stream marker (length 0).
fn message_at(bytes: &[u8], at: usize) -> Result<Option<(Table<'_>, usize)>> {
    let first = read_u32(bytes, at)?;
    let (len, meta) = if first == u32::MAX { (read_u32(bytes, at + 4)? as usize, at + 8) } else { (first as usize, at + 4) };
    if len == 0 {
        return Ok(None);
    }
    let message = bytes.get(meta..meta + len).ok_or_else(|| corrupt("message out of bounds"))?;
    Ok(Some((Table::root(message)?, meta + len)))
}

/// Adds one record batch (its `Message` and body) to the columns, a chunk each.
fn add_batch<'a>(columns: &mut [IpcColumn<'a>], message: &Table, body: &'a [u8]) -> Result<()> {
    let batch = message.table(2)?.ok_or_else(|| corrupt("no record batch"))?;
    if batch.table(3)?.is_some() {
        return Err(Error::new(Code::InvalidFormat, "Arrow IPC: compressed bodies are not read (write it uncompressed)"));
    }
    let rows = batch.i64(0, 0)? as usize;
    let buffers = batch.structs::<2>(2)?;
    let variadic = batch.structs::<1>(4)?;
    let (mut next, mut views) = (0usize, 0usize);
    for column in columns {
        let count = match column.layout {
            Layout::Fixed { .. } => 2,
            Layout::Offsets { .. } => 3,
            Layout::Views => {
                let data = variadic.get(views).ok_or_else(|| corrupt("no variadic buffer count"))?[0] as usize;
                views += 1;
                2 + data
            }
        };
        // Skip the validity buffer: the columns have no nulls.
        let buffers = buffers.get(next + 1..next + count).ok_or_else(|| corrupt("too few buffers"))?.iter()
            .map(|&[at, len]| body.get(at as usize..(at + len) as usize).ok_or_else(|| corrupt("buffer out of bounds")))
            .collect::<Result<Vec<_>>>()?;
        next += count;
        column.chunks.push(Chunk { rows, buffers });
    }
    Ok(())
}

fn checked(columns: Vec<IpcColumn<'_>>) -> Result<Vec<IpcColumn<'_>>> {
    columns.iter().try_for_each(IpcColumn::check)?;
    Ok(columns)
}

/// Reads every column of an Arrow IPC file held in `file`, through its footer.
pub fn read_file(file: &[u8]) -> Result<Vec<IpcColumn<'_>>> {
    let n = file.len();
    if n < 18 || &file[..6] != MAGIC || &file[n - 6..] != MAGIC {
        return Err(corrupt("not an Arrow IPC file (no ARROW1 magic)"));
    }
    let footer_len = u32::from_le_bytes(file[n - 10..n - 6].try_into().unwrap()) as usize;
    let footer_at = (n - 10).checked_sub(footer_len).filter(|&a| a >= 8).ok_or_else(|| corrupt("footer length"))?;
    let footer = Table::root(&file[footer_at..n - 10])?;
    if footer.vector(2)?.0 > 0 {
        return Err(Error::new(Code::InvalidFormat, "Arrow IPC: dictionary-encoded columns are not read"));
    }
    let mut columns = schema_columns(&footer.table(1)?.ok_or_else(|| corrupt("no schema"))?)?;
    for [offset, _, body_len] in footer.structs::<3>(3)? {
        // Block { offset: i64, metaDataLength: i32 (+4 padding), bodyLength: i64 }
        let (message, body_at) = message_at(file, offset as usize)?.ok_or_else(|| corrupt("empty block"))?;
        if message.u8(1, 0)? != HEADER_RECORD_BATCH {
            return Err(corrupt("a block that is not a record batch"));
        }
        let body = file.get(body_at..body_at + body_len as usize).ok_or_else(|| corrupt("body out of bounds"))?;
        add_batch(&mut columns, &message, body)?;
    }
    checked(columns)
}

/// Reads every column of an Arrow IPC stream (tests read the writer's streams back with it):
/// the schema message, then record batches up to the end-of-stream marker or the end.
#[cfg(test)]
pub fn read_stream(stream: &[u8]) -> Result<Vec<IpcColumn<'_>>> {
    let mut columns: Option<Vec<IpcColumn>> = None;
    let mut at = 0;
    while at < stream.len() {
        let Some((message, body_at)) = message_at(stream, at)? else { break };
        let body = stream.get(body_at..body_at + message.i64(3, 0)? as usize).ok_or_else(|| corrupt("body out of bounds"))?;
        match (message.u8(1, 0)?, columns.as_mut()) {
            (super::HEADER_SCHEMA, None) => columns = Some(schema_columns(&message.table(2)?.ok_or_else(|| corrupt("no schema"))?)?),
            (HEADER_RECORD_BATCH, Some(columns)) => add_batch(columns, &message, body)?,
            _ => return Err(Error::new(Code::InvalidFormat, "Arrow IPC stream: only a schema then record batches are read")),
        }
        at = body_at + body.len();
    }
    checked(columns.ok_or_else(|| corrupt("no schema message"))?)
}

/// Offset `i` of an offsets buffer (`i32`, or `i64` when `large`).
#[inline]
pub fn offset(offsets: &[u8], large: bool, i: usize) -> usize {
    if large {
        i64::from_le_bytes(offsets[i * 8..i * 8 + 8].try_into().unwrap()) as usize
    } else {
        i32::from_le_bytes(offsets[i * 4..i * 4 + 4].try_into().unwrap()) as u32 as usize
    }
}
