//! Writes result columns as an Arrow IPC stream (Arrow columnar format, metadata version V5),
//! so JavaScript can turn a whole native result into a nodejs-polars DataFrame
//! (`pl.readIPCStream`) or an apache-arrow Table (`tableFromIPC`) in one call, without
//! touching rows one by one. (`pl.readIPC` wants the IPC *file* format and refuses a stream.)
//!
//! A stream is: the schema message, one record-batch message, the end-of-stream marker. Each
//! message is `0xFFFFFFFF`, the metadata length, the FlatBuffer metadata (`Message.fbs`,
//! `Schema.fbs`) padded to 8 bytes, then the body: every buffer of every column, depth first,
//! each padded to 8 bytes. Columns carry no nulls, so validity buffers are empty.

mod flatbuf;
pub mod read;

/// Tags of the `Type` union of `Schema.fbs`, for the writer and the reader.
mod type_id {
    pub const INT: u8 = 2;
    pub const FLOATING_POINT: u8 = 3;
    pub const BINARY: u8 = 4;
    pub const UTF8: u8 = 5;
    pub const BOOL: u8 = 6;
    pub const LIST: u8 = 12;
    pub const LARGE_BINARY: u8 = 19;
    pub const LARGE_UTF8: u8 = 20;
    pub const BINARY_VIEW: u8 = 23;
    pub const UTF8_VIEW: u8 = 24;
}

use flatbuf::{Builder, Slot, Value};
use std::borrow::Cow;

// Arrow bodies are little-endian and numeric slices are copied as they lie in memory.
const _: () = assert!(cfg!(target_endian = "little"), "arrow_ipc assumes a little-endian target");

/// One column of a result; every column of a stream has the same number of rows.
pub enum Column<'a> {
    F64(&'a [f64]),
    /// f64 values the column owns (e.g. numeric labels gathered by code)
    F64Owned(Vec<f64>),
    F32(&'a [f32]),
    U32(&'a [u32]),
    I32(&'a [i32]),
    I64(Vec<i64>),
    Bool(Vec<bool>),
    /// UTF-8 strings: value i is data[offsets[i]..offsets[i+1]]
    Utf8 {
        offsets: Vec<i32>,
        data: Vec<u8>,
    },
    /// Variable-length lists: row i is child[offsets[i]..offsets[i+1]]
    List {
        offsets: Vec<i32>,
        child: Box<Column<'a>>,
    },
    /// Strings given by code, written as `Utf8` like [`gather_utf8`], but copied straight
    /// into the stream instead of into a column first.
    Labels(Labels<'a>),
}

/// Strings given as codes into a list of labels: value i is label `codes[i]`, where label j is
/// `label_data[label_offsets[j]..label_offsets[j+1]]`.
#[derive(Clone, Copy)]
pub struct Labels<'a> {
    pub codes: &'a [u32],
    pub label_offsets: &'a [i32],
    pub label_data: &'a [u8],
}

impl<'a> Labels<'a> {
    /// Each value's text, in order.
    fn texts(self) -> impl Iterator<Item = &'a [u8]> {
        self.codes.iter().map(move |&c| {
            let c = c as usize;
            &self.label_data[self.label_offsets[c] as usize..self.label_offsets[c + 1] as usize]
        })
    }

    /// The total length of the texts; panics beyond the 2 GiB that 32-bit offsets address.
    fn text_len(self) -> usize {
        let len = self.texts().map(<[u8]>::len).sum();
        assert!(len <= i32::MAX as usize, "gathered strings exceed the 2 GiB of 32-bit offsets");
        len
    }

    /// The `Utf8` offsets of the texts: 0, then the end of each (rows + 1 entries).
    fn offsets(self) -> impl Iterator<Item = i32> + 'a {
        std::iter::once(0).chain(self.texts().scan(0i32, |end, t| {
            *end += t.len() as i32;
            Some(*end)
        }))
    }
}

impl Column<'_> {
    /// The number of rows (values, strings or lists).
    pub fn len(&self) -> usize {
        match self {
            Column::F64(v) => v.len(),
            Column::F64Owned(v) => v.len(),
            Column::F32(v) => v.len(),
            Column::U32(v) => v.len(),
            Column::I32(v) => v.len(),
            Column::I64(v) => v.len(),
            Column::Bool(v) => v.len(),
            Column::Labels(labels) => labels.codes.len(),
            Column::Utf8 { offsets, .. } | Column::List { offsets, .. } => {
                assert!(!offsets.is_empty(), "offsets hold rows + 1 entries, so at least [0]");
                offsets.len() - 1
            }
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The `Type` union tag of `Schema.fbs` and the fields of its table.
    fn arrow_type(&self) -> (u8, Vec<(u16, Value)>) {
        use type_id::{BOOL, FLOATING_POINT, INT, LIST, UTF8};
        let int = |bits: i32, signed: bool| (INT, vec![(0, Value::I32(bits)), (1, Value::Bool(signed))]);
        // Precision enum: HALF = 0, SINGLE = 1, DOUBLE = 2.
        let float = |precision: i16| (FLOATING_POINT, vec![(0, Value::I16(precision))]);
        match self {
            Column::F64(_) | Column::F64Owned(_) => float(2),
            Column::F32(_) => float(1),
            Column::U32(_) => int(32, false),
            Column::I32(_) => int(32, true),
            Column::I64(_) => int(64, true),
            Column::Utf8 { .. } | Column::Labels(_) => (UTF8, vec![]),
            Column::Bool(_) => (BOOL, vec![]),
            Column::List { .. } => (LIST, vec![]),
        }
    }
}

/// One record batch with these columns (all the same length; no nulls), as an IPC stream:
/// schema message, one record-batch message, end-of-stream marker. Types: `Float64`, `Float32`,
/// `UInt32`, `Int32`, `Int64`, `Bool`, `Utf8` (32-bit offsets), `List<child>` with child field
/// name "item"; every field is declared non-nullable.
///
/// Panics if the columns differ in length, or a `Utf8`/`List` column has no offsets or offsets
/// past its data.
pub fn write_stream(columns: &[(&str, Column)]) -> Vec<u8> {
    let rows = columns.first().map_or(0, |(_, c)| c.len());
    for (name, c) in columns {
        assert_eq!(c.len(), rows, "column {name:?} has {} rows, the first column {rows}", c.len());
    }
    let schema = schema_message(columns);
    let mut body = Body::default();
    columns.iter().for_each(|(_, c)| body.add(c));
    let batch = record_batch_message(rows, &body);

    let mut out = Vec::with_capacity(8 + schema.len() + 8 + batch.len() + body.len() + 8);
    frame(&mut out, &schema);
    frame(&mut out, &batch);
    body.write_to(&mut out);
    out.extend_from_slice(&END_OF_STREAM);
    out
}

/// Gathers labels by code into a `Utf8` column: value i is label `codes[i]`, where label j is
/// `label_data[label_offsets[j]..label_offsets[j+1]]`. (`Column::Labels` writes the same
/// column without building it.)
///
/// Panics if a code has no label or the gathered text exceeds 2 GiB (32-bit offsets).
pub fn gather_utf8(codes: &[u32], label_offsets: &[i32], label_data: &[u8]) -> Column<'static> {
    let labels = Labels { codes, label_offsets, label_data };
    let mut data = Vec::with_capacity(labels.text_len());
    labels.texts().for_each(|t| data.extend_from_slice(t));
    Column::Utf8 { offsets: labels.offsets().collect(), data }
}

/// Continuation marker and a zero metadata length.
const END_OF_STREAM: [u8; 8] = [0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0];

/// `MetadataVersion.V5` and the `MessageHeader` union tags.
const V5: i16 = 4;
pub(crate) const HEADER_SCHEMA: u8 = 1;
pub(crate) const HEADER_RECORD_BATCH: u8 = 3;

/// Appends one encapsulated message's prefix and metadata (already padded to 8 bytes).
fn frame(out: &mut Vec<u8>, metadata: &[u8]) {
    out.extend_from_slice(&[0xFF; 4]);
    out.extend_from_slice(&(metadata.len() as i32).to_le_bytes());
    out.extend_from_slice(metadata);
}

/// A `Message` table around a header table; returns the builder and the header's slot.
fn message(header_type: u8, body_length: usize) -> (Builder, Slot) {
    let (mut b, root) = Builder::new();
    let slots = b.table(
        root,
        &[(0, Value::I16(V5)), (1, Value::U8(header_type)), (2, Value::Offset), (3, Value::I64(body_length as i64))],
    );
    (b, slots[0])
}

fn schema_message(columns: &[(&str, Column)]) -> Vec<u8> {
    let (mut b, header) = message(HEADER_SCHEMA, 0);
    // Schema: endianness (Little = 0), fields.
    let fields = b.table(header, &[(0, Value::I16(0)), (1, Value::Offset)])[0];
    let slots = b.offset_vector(fields, columns.len());
    for ((name, column), slot) in columns.iter().zip(slots) {
        write_field(&mut b, slot, name, column);
    }
    b.finish()
}

/// A `Field` table: name, nullable, type (union tag + table), children.
fn write_field(b: &mut Builder, slot: Slot, name: &str, column: &Column) {
    let (type_tag, type_fields) = column.arrow_type();
    let s = b.table(
        slot,
        &[
            (0, Value::Offset),
            (1, Value::Bool(false)),
            (2, Value::U8(type_tag)),
            (3, Value::Offset),
            (5, Value::Offset),
        ],
    );
    b.string(s[0], name);
    b.table(s[1], &type_fields);
    match column {
        Column::List { child, .. } => {
            let children = b.offset_vector(s[2], 1);
            write_field(b, children[0], "item", child);
        }
        _ => {
            b.offset_vector(s[2], 0);
        }
    }
}

fn record_batch_message(rows: usize, body: &Body) -> Vec<u8> {
    let (mut b, header) = message(HEADER_RECORD_BATCH, body.len());
    // RecordBatch: length, nodes, buffers.
    let s = b.table(header, &[(0, Value::I64(rows as i64)), (1, Value::Offset), (2, Value::Offset)]);
    // FieldNode { length, null_count } and Buffer { offset, length }.
    let nodes = i64_pairs(body.nodes.iter().map(|&len| (len, 0)));
    b.struct_vector(s[0], body.nodes.len(), 8, &nodes);
    let buffers = i64_pairs(body.offsets().zip(body.buffers.iter().map(|buf| buf.len())));
    b.struct_vector(s[1], body.buffers.len(), 8, &buffers);
    b.finish()
}

/// The bytes of structs made of two `i64`s.
fn i64_pairs(pairs: impl Iterator<Item = (usize, usize)>) -> Vec<u8> {
    pairs.flat_map(|(a, b)| [(a as i64).to_le_bytes(), (b as i64).to_le_bytes()]).flatten().collect()
}

/// The record batch body: one node per column (lists count their child too) and the buffers,
/// both in depth-first column order.
#[derive(Default)]
struct Body<'a> {
    /// Each node's length; no node has nulls.
    nodes: Vec<usize>,
    buffers: Vec<Buffer<'a>>,
}

/// One buffer of the body: bytes at hand, or labels gathered while the body is written.
enum Buffer<'a> {
    Bytes(Cow<'a, [u8]>),
    LabelOffsets(Labels<'a>),
    /// The labels' texts and their total length.
    LabelTexts(Labels<'a>, usize),
}

impl Buffer<'_> {
    fn len(&self) -> usize {
        match self {
            Buffer::Bytes(b) => b.len(),
            Buffer::LabelOffsets(labels) => 4 * (labels.codes.len() + 1),
            Buffer::LabelTexts(_, len) => *len,
        }
    }

    fn write_to(&self, out: &mut Vec<u8>) {
        match self {
            Buffer::Bytes(b) => out.extend_from_slice(b),
            Buffer::LabelOffsets(labels) => labels.offsets().for_each(|o| out.extend_from_slice(&o.to_le_bytes())),
            Buffer::LabelTexts(labels, _) => labels.texts().for_each(|t| out.extend_from_slice(t)),
        }
    }
}

impl<'a> Body<'a> {
    fn add(&mut self, column: &'a Column) {
        self.nodes.push(column.len());
        self.bytes(&[]); // validity: absent, no nulls
        match column {
            Column::F64(v) => self.bytes(bytes_of(v)),
            Column::F64Owned(v) => self.bytes(bytes_of(v)),
            Column::F32(v) => self.bytes(bytes_of(v)),
            Column::U32(v) => self.bytes(bytes_of(v)),
            Column::I32(v) => self.bytes(bytes_of(v)),
            Column::I64(v) => self.bytes(bytes_of(v)),
            Column::Bool(v) => self.buffers.push(Buffer::Bytes(Cow::Owned(pack_bits(v)))),
            Column::Utf8 { offsets, data } => {
                assert!(offsets[offsets.len() - 1] as usize <= data.len(), "string offsets end within the data");
                self.bytes(bytes_of(offsets));
                self.bytes(data);
            }
            Column::Labels(labels) => {
                self.buffers.push(Buffer::LabelOffsets(*labels));
                self.buffers.push(Buffer::LabelTexts(*labels, labels.text_len()));
            }
            Column::List { offsets, child } => {
                assert!(offsets[offsets.len() - 1] as usize <= child.len(), "list offsets end within the child");
                self.bytes(bytes_of(offsets));
                self.add(child);
            }
        }
    }

    fn bytes(&mut self, bytes: &'a [u8]) {
        self.buffers.push(Buffer::Bytes(Cow::Borrowed(bytes)));
    }

    /// Each buffer's offset in the body: buffers follow each other, each padded to 8 bytes.
    fn offsets(&self) -> impl Iterator<Item = usize> + '_ {
        self.buffers.iter().scan(0, |at, b| {
            let start = *at;
            *at += b.len().next_multiple_of(8);
            Some(start)
        })
    }

    fn len(&self) -> usize {
        self.buffers.iter().map(|b| b.len().next_multiple_of(8)).sum()
    }

    fn write_to(&self, out: &mut Vec<u8>) {
        for b in &self.buffers {
            b.write_to(out);
            out.resize(out.len() + (b.len().next_multiple_of(8) - b.len()), 0);
        }
    }
}

/// Numeric types whose bytes in memory are their Arrow (little-endian) encoding.
trait Plain: Copy {}
impl Plain for f64 {}
impl Plain for f32 {}
impl Plain for u32 {}
impl Plain for i32 {}
impl Plain for i64 {}

fn bytes_of<T: Plain>(values: &[T]) -> &[u8] {
    // SAFETY: `Plain` types have no padding and every byte of them is initialised; u8 has
    // alignment 1 and the length covers exactly the same memory.
    unsafe { std::slice::from_raw_parts(values.as_ptr().cast::<u8>(), std::mem::size_of_val(values)) }
}

/// Arrow's bit-packed booleans: value i is bit i % 8 of byte i / 8.
fn pack_bits(values: &[bool]) -> Vec<u8> {
    values.chunks(8).map(|chunk| chunk.iter().enumerate().fold(0u8, |byte, (i, &v)| byte | ((v as u8) << i))).collect()
}

#[cfg(test)]
mod tests {
    use super::flatbuf::positions::*;
    use super::*;

    /// Splits a stream into its messages' (metadata, body) and checks the framing.
    fn messages(stream: &[u8]) -> Vec<(&[u8], &[u8])> {
        let mut out = Vec::new();
        let mut at = 0;
        loop {
            assert_eq!(at % 8, 0, "messages start 8-aligned");
            assert_eq!(u32_at(stream, at), 0xFFFF_FFFF, "continuation marker");
            let len = u32_at(stream, at + 4) as usize;
            if len == 0 {
                assert_eq!(at + 8, stream.len(), "end-of-stream marker closes the stream");
                return out;
            }
            assert_eq!(len % 8, 0, "metadata padded to 8 bytes");
            let meta = &stream[at + 8..at + 8 + len];
            let message = root(meta);
            let body_len = i64_at(meta, field(meta, message, 3).unwrap()) as usize;
            let body_start = at + 8 + len;
            out.push((meta, &stream[body_start..body_start + body_len]));
            at = body_start + body_len;
        }
    }

    /// (name, nullable, type tag, children) of every field of a schema message, depth first.
    fn fields(meta: &[u8]) -> Vec<(String, bool, u8, usize)> {
        fn walk(meta: &[u8], vec_field: (usize, usize), out: &mut Vec<(String, bool, u8, usize)>) {
            for i in 0..vec_field.0 {
                let f = deref(meta, vec_field.1 + 4 * i);
                let children = vector(meta, f, 5);
                let nullable = meta[field(meta, f, 1).unwrap()] != 0;
                out.push((string(meta, f, 0).to_string(), nullable, meta[field(meta, f, 2).unwrap()], children.0));
                walk(meta, children, out);
            }
        }
        let schema = table(meta, root(meta), 2);
        let mut out = Vec::new();
        walk(meta, vector(meta, schema, 1), &mut out);
        out
    }

    /// Three rows: ids 7, 8, 9; item lists [a, bc], [], [a]; flags true, false, true.
    fn sample_stream() -> Vec<u8> {
        let ids = [7u32, 8, 9];
        let columns = [
            ("id", Column::U32(&ids)),
            (
                "items",
                Column::List {
                    offsets: vec![0, 2, 2, 3],
                    child: Box::new(gather_utf8(&[0, 1, 0], &[0, 1, 3], b"abc")),
                },
            ),
            ("ok", Column::Bool(vec![true, false, true])),
        ];
        write_stream(&columns)
    }

    #[test]
    fn schema_names_types_and_list_children() {
        let stream = sample_stream();
        let msgs = messages(&stream);
        assert_eq!(msgs.len(), 2);
        let (meta, body) = msgs[0];
        assert_eq!(meta[field(meta, root(meta), 1).unwrap()], HEADER_SCHEMA);
        assert_eq!(i64_at(meta, field(meta, root(meta), 3).unwrap()), 0);
        assert!(body.is_empty());
        let expect = [("id", 2, 0), ("items", 12, 1), ("item", 5, 0), ("ok", 6, 0)];
        let got = fields(meta);
        assert_eq!(got.len(), expect.len());
        for (g, e) in got.iter().zip(expect) {
            assert_eq!((g.0.as_str(), g.1, g.2, g.3), (e.0, false, e.1, e.2));
        }
    }

    #[test]
    fn record_batch_nodes_and_buffers_point_into_the_body() {
        let stream = sample_stream();
        let (meta, body) = messages(&stream)[1];
        let message = root(meta);
        assert_eq!(meta[field(meta, message, 1).unwrap()], HEADER_RECORD_BATCH);
        let batch = table(meta, message, 2);
        assert_eq!(i64_at(meta, field(meta, batch, 0).unwrap()), 3);

        let (n, first) = vector(meta, batch, 1);
        let nodes: Vec<(i64, i64)> =
            (0..n).map(|i| (i64_at(meta, first + 16 * i), i64_at(meta, first + 16 * i + 8))).collect();
        assert_eq!(nodes, [(3, 0), (3, 0), (3, 0), (3, 0)]); // id, items, item, ok

        let (n, first) = vector(meta, batch, 2);
        let buffers: Vec<&[u8]> = (0..n)
            .map(|i| {
                let (off, len) = (i64_at(meta, first + 16 * i) as usize, i64_at(meta, first + 16 * i + 8) as usize);
                assert_eq!(off % 8, 0, "buffers start 8-aligned");
                &body[off..off + len]
            })
            .collect();
        let le = |v: &[i32]| v.iter().flat_map(|x| x.to_le_bytes()).collect::<Vec<u8>>();
        let expect: [&[u8]; 9] = [
            // id: validity, values
            &[],
            &[7, 0, 0, 0, 8, 0, 0, 0, 9, 0, 0, 0],
            // items: validity, list offsets
            &[],
            &le(&[0, 2, 2, 3]),
            // item: validity, string offsets, bytes
            &[],
            &le(&[0, 1, 3, 4]),
            b"abca",
            // ok: validity, bits
            &[],
            &[0b101],
        ];
        assert_eq!(buffers, expect);
        assert_eq!(body.len(), [16, 16, 16, 8, 8].iter().sum::<usize>());
    }

    #[test]
    fn empty_table_keeps_its_schema() {
        let stream = write_stream(&[("x", Column::F64(&[])), ("s", Column::Utf8 { offsets: vec![0], data: vec![] })]);
        let msgs = messages(&stream);
        assert_eq!(fields(msgs[0].0).iter().map(|f| f.2).collect::<Vec<_>>(), [3, 5]);
        let batch = table(msgs[1].0, root(msgs[1].0), 2);
        assert_eq!(i64_at(msgs[1].0, field(msgs[1].0, batch, 0).unwrap()), 0);
        assert_eq!(msgs[1].1.len(), 8, "only the single 0 string offset, padded");
    }

    #[test]
    fn no_columns_is_a_valid_empty_stream() {
        assert_eq!(messages(&write_stream(&[])).len(), 2);
    }

    #[test]
    #[should_panic(expected = "has 2 rows")]
    fn columns_of_different_lengths_are_refused() {
        write_stream(&[("a", Column::F32(&[1.0])), ("b", Column::F32(&[1.0, 2.0]))]);
    }

    #[test]
    #[should_panic(expected = "list offsets end within the child")]
    fn list_offsets_past_the_child_are_refused() {
        write_stream(&[("l", Column::List { offsets: vec![0, 3], child: Box::new(Column::U32(&[1, 2])) })]);
    }

    /// Codes into the labels "foo", "", "ébar".
    const CODES: [u32; 4] = [2, 0, 2, 1];
    const LABEL_OFFSETS: [i32; 4] = [0, 3, 3, 8];
    const LABEL_DATA: &[u8] = "fooébar".as_bytes();

    #[test]
    fn gather_copies_each_label_per_code() {
        let Column::Utf8 { offsets, data } = gather_utf8(&CODES, &LABEL_OFFSETS, LABEL_DATA) else { unreachable!() };
        assert_eq!(offsets, [0, 5, 8, 13, 13]);
        assert_eq!(data, "ébarfooébar".as_bytes());
    }

    #[test]
    fn labels_write_the_same_bytes_as_a_gathered_column() {
        let labels = Labels { codes: &CODES, label_offsets: &LABEL_OFFSETS, label_data: LABEL_DATA };
        let list = |child| Column::List { offsets: vec![0, 1, 1, 4], child: Box::new(child) };
        let gathered = write_stream(&[
            ("s", gather_utf8(&CODES[..3], &LABEL_OFFSETS, LABEL_DATA)),
            ("l", list(gather_utf8(&CODES, &LABEL_OFFSETS, LABEL_DATA))),
        ]);
        let labels_3 = Labels { codes: &CODES[..3], ..labels };
        assert_eq!(write_stream(&[("s", Column::Labels(labels_3)), ("l", list(Column::Labels(labels)))]), gathered);
    }

    #[test]
    fn bits_are_packed_least_significant_first() {
        let v: Vec<bool> = (0..10).map(|i| i % 3 == 0).collect();
        assert_eq!(pack_bits(&v), [0b0100_1001, 0b10]);
    }
}
