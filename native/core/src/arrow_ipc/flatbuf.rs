//! A minimal FlatBuffers writer, just enough for Arrow's IPC metadata (tables of scalars and
//! offsets, vectors of offsets and of fixed-size structs, strings).
//!
//! It writes front to back, parents first: every object is written when a [`Slot`] (a 4-byte
//! forward offset left empty by its parent) is ready for it, and the slot is patched to point
//! at it. FlatBuffers offsets are unsigned and point forward, so parent-first order is always
//! valid, and the writing code reads top-down like the schema it encodes.
//!
//! Layout rules followed (FlatBuffers binary format): little-endian; the buffer starts with the
//! root table's offset; a table starts with an `i32` (table position minus vtable position) and
//! its vtable is `u16` vtable size, `u16` table size, then one `u16` per field id (offset of
//! the field inside the table, 0 = absent); vectors and strings are a `u32` count followed by
//! the elements (strings also by a 0 byte); every scalar sits at a multiple of its own size.

/// The byte position of an empty 4-byte offset, to be filled by the object written for it.
#[derive(Clone, Copy, Debug)]
pub struct Slot(usize);

/// A table field's value; `Offset` leaves a [`Slot`] for an object written afterwards.
#[derive(Clone, Copy, Debug)]
pub enum Value {
    U8(u8),
    Bool(bool),
    I16(i16),
    I32(i32),
    I64(i64),
    Offset,
}

impl Value {
    fn size(self) -> usize {
        match self {
            Value::U8(_) | Value::Bool(_) => 1,
            Value::I16(_) => 2,
            Value::I32(_) | Value::Offset => 4,
            Value::I64(_) => 8,
        }
    }
}

/// Builds one FlatBuffer; positions are relative to its start, which the caller must place at a
/// multiple of 8 (Arrow messages are 8-aligned) so that absolute alignment holds too.
pub struct Builder {
    buf: Vec<u8>,
}

impl Builder {
    /// A new buffer and the slot for its root table.
    pub fn new() -> (Builder, Slot) {
        (Builder { buf: vec![0; 4] }, Slot(0))
    }

    /// The finished bytes, padded with zeros to a multiple of 8.
    pub fn finish(mut self) -> Vec<u8> {
        self.pad_to(8);
        self.buf
    }

    /// Writes a table with `fields` (field id, value) for `slot`; returns the slots of its
    /// `Value::Offset` fields, in the order given.
    pub fn table(&mut self, slot: Slot, fields: &[(u16, Value)]) -> Vec<Slot> {
        // Largest fields first, so that each lands on a multiple of its size without padding.
        let mut order: Vec<usize> = (0..fields.len()).collect();
        order.sort_by_key(|&i| std::cmp::Reverse(fields[i].1.size()));
        let mut field_offset = vec![0u16; fields.len()];
        let mut cursor = 4usize; // after the vtable offset
        for &i in &order {
            let size = fields[i].1.size();
            cursor = cursor.next_multiple_of(size);
            field_offset[i] = cursor as u16;
            cursor += size;
        }
        let table_size = cursor;
        let table_align = fields.iter().map(|f| f.1.size()).max().unwrap_or(4).max(4);

        let n_ids = fields.iter().map(|f| f.0 as usize + 1).max().unwrap_or(0);
        let mut vtable = vec![0u16; 2 + n_ids];
        vtable[0] = (2 * vtable.len()) as u16;
        vtable[1] = table_size as u16;
        for (f, &off) in fields.iter().zip(&field_offset) {
            vtable[2 + f.0 as usize] = off;
        }
        self.pad_to(2);
        let vtable_pos = self.buf.len();
        vtable.iter().for_each(|v| self.buf.extend_from_slice(&v.to_le_bytes()));

        self.pad_to(table_align);
        let table_pos = self.buf.len();
        self.point(slot, table_pos);
        self.buf.resize(table_pos + table_size, 0);
        self.put(table_pos, &((table_pos - vtable_pos) as i32).to_le_bytes());
        let mut slots = Vec::new();
        for (f, &off) in fields.iter().zip(&field_offset) {
            let at = table_pos + off as usize;
            match f.1 {
                Value::U8(v) => self.put(at, &[v]),
                Value::Bool(v) => self.put(at, &[v as u8]),
                Value::I16(v) => self.put(at, &v.to_le_bytes()),
                Value::I32(v) => self.put(at, &v.to_le_bytes()),
                Value::I64(v) => self.put(at, &v.to_le_bytes()),
                Value::Offset => slots.push(Slot(at)),
            }
        }
        slots
    }

    /// Writes a vector of `n` offsets (to tables or strings) for `slot`; returns their slots.
    pub fn offset_vector(&mut self, slot: Slot, n: usize) -> Vec<Slot> {
        let start = self.vector_header(slot, n, 4);
        self.buf.resize(start + 4 * n, 0);
        (0..n).map(|i| Slot(start + 4 * i)).collect()
    }

    /// Writes a vector of `n` structs for `slot`, given as their packed little-endian bytes;
    /// `align` is the struct's alignment.
    pub fn struct_vector(&mut self, slot: Slot, n: usize, align: usize, bytes: &[u8]) {
        self.vector_header(slot, n, align);
        self.buf.extend_from_slice(bytes);
    }

    /// Writes a UTF-8 string for `slot`.
    pub fn string(&mut self, slot: Slot, s: &str) {
        self.vector_header(slot, s.len(), 1);
        self.buf.extend_from_slice(s.as_bytes());
        self.buf.push(0);
    }

    /// Writes a vector's `u32` count so that the elements after it are `align`-aligned; points
    /// `slot` at the count and returns the elements' start.
    fn vector_header(&mut self, slot: Slot, n: usize, align: usize) -> usize {
        let align = align.max(4);
        while !(self.buf.len() + 4).is_multiple_of(align) {
            self.buf.push(0);
        }
        let pos = self.buf.len();
        self.point(slot, pos);
        self.buf.extend_from_slice(&(n as u32).to_le_bytes());
        pos + 4
    }

    fn point(&mut self, slot: Slot, target: usize) {
        assert!(target > slot.0, "flatbuffer offsets point forward");
        self.put(slot.0, &((target - slot.0) as u32).to_le_bytes());
    }

    fn put(&mut self, at: usize, bytes: &[u8]) {
        self.buf[at..at + bytes.len()].copy_from_slice(bytes);
    }

    fn pad_to(&mut self, align: usize) {
        self.buf.resize(self.buf.len().next_multiple_of(align), 0);
    }
}

/// Reading FlatBuffers: every read checked against the buffer's bounds (a corrupt buffer is an
/// error, never a panic or a read outside it).
pub mod read {
    use crate::error::{Code, Error, Result};

    fn corrupt(what: &str) -> Error {
        Error::new(Code::CorruptFile, format!("Arrow IPC metadata: {what}"))
    }

    /// A FlatBuffers table inside `buf`: its position and its vtable's.
    #[derive(Clone, Copy)]
    pub struct Table<'a> {
        buf: &'a [u8],
        pub pos: usize,
        vtable: usize,
        vtable_len: usize,
    }

    pub fn read_u32(buf: &[u8], at: usize) -> Result<u32> {
        buf.get(at..at + 4).map(|b| u32::from_le_bytes(b.try_into().unwrap())).ok_or_else(|| corrupt("offset out of bounds"))
    }

    pub fn read_i64(buf: &[u8], at: usize) -> Result<i64> {
        buf.get(at..at + 8).map(|b| i64::from_le_bytes(b.try_into().unwrap())).ok_or_else(|| corrupt("offset out of bounds"))
    }

    impl<'a> Table<'a> {
        /// The table at `pos` (FlatBuffers layout: an `i32` back to the vtable, which holds its own
        /// length, the table's length, then one `u16` offset per field, 0 when absent).
        pub fn at(buf: &'a [u8], pos: usize) -> Result<Table<'a>> {
            let back = read_u32(buf, pos)? as i32 as isize;
            let vtable = pos as isize - back;
            if vtable < 0 || vtable as usize + 4 > buf.len() {
                return Err(corrupt("vtable out of bounds"));
            }
            let vtable = vtable as usize;
            let vtable_len = u16::from_le_bytes([buf[vtable], buf[vtable + 1]]) as usize;
            if vtable + vtable_len > buf.len() {
                return Err(corrupt("vtable out of bounds"));
            }
            Ok(Table { buf, pos, vtable, vtable_len })
        }

        /// The root table of a FlatBuffer.
        pub fn root(buf: &'a [u8]) -> Result<Table<'a>> {
            Table::at(buf, read_u32(buf, 0)? as usize)
        }

        /// Where field `id` lies, or None when absent.
        pub fn field(&self, id: usize) -> Option<usize> {
            let slot = 4 + 2 * id;
            if slot + 2 > self.vtable_len {
                return None;
            }
            let off = u16::from_le_bytes([self.buf[self.vtable + slot], self.buf[self.vtable + slot + 1]]) as usize;
            (off != 0).then_some(self.pos + off)
        }

        fn scalar<const N: usize>(&self, id: usize) -> Result<Option<[u8; N]>> {
            match self.field(id) {
                None => Ok(None),
                Some(at) => self.buf.get(at..at + N).map(|b| Some(b.try_into().unwrap())).ok_or_else(|| corrupt("field out of bounds")),
            }
        }

        pub fn u8(&self, id: usize, default: u8) -> Result<u8> {
            Ok(self.scalar::<1>(id)?.map_or(default, |b| b[0]))
        }

        pub fn i16(&self, id: usize, default: i16) -> Result<i16> {
            Ok(self.scalar::<2>(id)?.map_or(default, i16::from_le_bytes))
        }

        pub fn i32(&self, id: usize, default: i32) -> Result<i32> {
            Ok(self.scalar::<4>(id)?.map_or(default, i32::from_le_bytes))
        }

        pub fn i64(&self, id: usize, default: i64) -> Result<i64> {
            Ok(self.scalar::<8>(id)?.map_or(default, i64::from_le_bytes))
        }

        /// Where an offset field points (a table, vector or string), or None when absent.
        fn target(&self, id: usize) -> Result<Option<usize>> {
            match self.field(id) {
                None => Ok(None),
                Some(at) => Ok(Some(at + read_u32(self.buf, at)? as usize)),
            }
        }

        pub fn table(&self, id: usize) -> Result<Option<Table<'a>>> {
            self.target(id)?.map(|at| Table::at(self.buf, at)).transpose()
        }

        /// A vector field: its element count and where the elements start.
        pub fn vector(&self, id: usize) -> Result<(usize, usize)> {
            match self.target(id)? {
                None => Ok((0, 0)),
                Some(at) => Ok((read_u32(self.buf, at)? as usize, at + 4)),
            }
        }

        /// A vector of tables.
        pub fn tables(&self, id: usize) -> Result<Vec<Table<'a>>> {
            let (n, start) = self.vector(id)?;
            (0..n).map(|i| {
                let at = start + 4 * i;
                Table::at(self.buf, at + read_u32(self.buf, at)? as usize)
            }).collect()
        }

        /// A vector of structs made of `K` little-endian `i64`s (Block, FieldNode, Buffer).
        pub fn structs<const K: usize>(&self, id: usize) -> Result<Vec<[i64; K]>> {
            let (n, start) = self.vector(id)?;
            (0..n).map(|i| {
                let mut s = [0i64; K];
                for (k, v) in s.iter_mut().enumerate() {
                    *v = read_i64(self.buf, start + (i * K + k) * 8)?;
                }
                Ok(s)
            }).collect()
        }

        pub fn string(&self, id: usize) -> Result<String> {
            let (n, start) = self.vector(id)?;
            let bytes = self.buf.get(start..start + n).ok_or_else(|| corrupt("string out of bounds"))?;
            Ok(String::from_utf8_lossy(bytes).into_owned())
        }
    }
}

/// Positions inside a FlatBuffer, for tests of the writer's layout (alignment, vtables).
#[cfg(test)]
pub mod positions {
    use super::read::{read_i64, read_u32, Table};

    pub fn u32_at(b: &[u8], at: usize) -> u32 {
        read_u32(b, at).unwrap()
    }

    pub fn i64_at(b: &[u8], at: usize) -> i64 {
        read_i64(b, at).unwrap()
    }

    /// Follows the forward offset stored at `at`.
    pub fn deref(b: &[u8], at: usize) -> usize {
        at + u32_at(b, at) as usize
    }

    /// The root table's position.
    pub fn root(b: &[u8]) -> usize {
        Table::root(b).unwrap().pos
    }

    /// Where field `id` of the table at `table` is stored, if present.
    pub fn field(b: &[u8], table: usize, id: usize) -> Option<usize> {
        Table::at(b, table).unwrap().field(id)
    }

    /// The `(count, first element position)` of the vector an offset field points to.
    pub fn vector(b: &[u8], table: usize, id: usize) -> (usize, usize) {
        Table::at(b, table).unwrap().vector(id).unwrap()
    }

    pub fn string(b: &[u8], table: usize, id: usize) -> String {
        let (n, start) = vector(b, table, id);
        assert_eq!(b[start + n], 0, "strings end with a 0 byte");
        Table::at(b, table).unwrap().string(id).unwrap()
    }

    /// The table an offset field points to.
    pub fn table(b: &[u8], table: usize, id: usize) -> usize {
        Table::at(b, table).unwrap().table(id).unwrap().expect("table field present").pos
    }
}

#[cfg(test)]
mod tests {
    use super::positions::*;
    use super::*;

    #[test]
    fn empty_table_is_a_four_byte_vtable_and_a_bare_offset() {
        let (mut b, top) = Builder::new();
        assert!(b.table(top, &[]).is_empty());
        let bytes = b.finish();
        // root offset 8 | vtable at 4: size 4, table size 4 | table at 8: vtable is 4 bytes back
        assert_eq!(bytes, [8, 0, 0, 0, 4, 0, 4, 0, 4, 0, 0, 0, 0, 0, 0, 0]);
    }

    #[test]
    fn table_fields_are_aligned_and_sorted_by_size() {
        let (mut b, top) = Builder::new();
        b.table(top, &[(0, Value::I16(-2)), (1, Value::U8(7)), (3, Value::I64(1 << 40))]);
        let bytes = b.finish();
        let t = root(&bytes);
        assert_eq!(t % 8, 0);
        // vtable: 2 header u16 + 4 field ids (id 2 absent)
        let vt = t - i32::from_le_bytes(bytes[t..t + 4].try_into().unwrap()) as usize;
        let vt_words: Vec<u16> =
            (0..6).map(|i| u16::from_le_bytes([bytes[vt + 2 * i], bytes[vt + 2 * i + 1]])).collect();
        // i64 at 8, i16 at 16, u8 at 18; table size 19
        assert_eq!(vt_words, [12, 19, 16, 18, 0, 8]);
        assert_eq!(i64_at(&bytes, field(&bytes, t, 3).unwrap()), 1 << 40);
        assert_eq!(bytes[field(&bytes, t, 1).unwrap()], 7);
        assert_eq!(field(&bytes, t, 2), None);
        assert_eq!(field(&bytes, t, 9), None);
    }

    #[test]
    fn nested_tables_strings_and_vectors_read_back() {
        let (mut b, top) = Builder::new();
        let s = b.table(top, &[(0, Value::Offset), (1, Value::I32(5)), (2, Value::Offset), (3, Value::Offset)]);
        b.string(s[0], "héllo");
        let names = b.offset_vector(s[1], 2);
        b.string(names[0], "a");
        let child = b.table(names[1], &[(0, Value::Bool(true)), (1, Value::Offset)]);
        b.string(child[0], "");
        let structs: Vec<u8> = [3i64, 4, 5, 6].iter().flat_map(|v| v.to_le_bytes()).collect();
        b.struct_vector(s[2], 2, 8, &structs);
        let bytes = b.finish();
        assert_eq!(bytes.len() % 8, 0);

        let t = root(&bytes);
        assert_eq!(string(&bytes, t, 0), "héllo");
        assert_eq!(u32_at(&bytes, field(&bytes, t, 1).unwrap()), 5);
        let (n, first) = vector(&bytes, t, 2);
        assert_eq!(n, 2);
        let a = deref(&bytes, first);
        assert_eq!(&bytes[a + 4..a + 5], b"a");
        let c = deref(&bytes, first + 4);
        assert_eq!(bytes[field(&bytes, c, 0).unwrap()], 1);
        assert_eq!(string(&bytes, c, 1), "");
        let (n, first) = vector(&bytes, t, 3);
        assert_eq!(n, 2);
        assert_eq!(first % 8, 0, "struct elements keep their 8-byte alignment");
        assert_eq!((0..4).map(|i| i64_at(&bytes, first + 8 * i)).collect::<Vec<_>>(), [3, 4, 5, 6]);
    }
}
