/**
 * Factor models on disk: a versioned binary file with a CRC-32 checksum. A truncated,
 * corrupted or foreign file is a `RusketError`, never garbage.
 *
 * Layout: `RUSKETFM` · u32 format version · u32 header length · header JSON (kind, params,
 * labels, shapes) · padding to 8 · user f32 · item f32 · indptr f64 · indices u32 · data f32
 * (each padded to 8) · u32 CRC-32 of everything before it.
 * @internal
 * @module
 */
import * as fs from "node:fs";
import * as zlib from "node:zlib";
import { RusketError } from "../errors";
import type { FactorState } from "./model";

const MAGIC = Buffer.from("RUSKETFM");
const VERSION = 1;

type Header = {
  kind: string; params: Record<string, unknown>; width: number; userLabels: FactorState["userLabels"];
  itemLabels: FactorState["itemLabels"]; nnz: number; loss: number[]; inputKind: FactorState["kind"];
};

const pad8 = (n: number) => (n + 7) & ~7;

/** Writes a fitted model's state. */
export function saveModel(path: string, kind: string, params: Record<string, unknown>, s: FactorState): void {
  const header: Header = {
    kind, params, width: s.width, userLabels: s.userLabels, itemLabels: s.itemLabels,
    nnz: s.seen.indices.length, loss: Array.from(s.loss), inputKind: s.kind,
  };
  const json = Buffer.from(JSON.stringify(header));
  const arrays = [s.user, s.item, s.seen.indptr, s.seen.indices, s.seen.data];
  const size = pad8(16 + json.length) + arrays.reduce((a, x) => a + pad8(x.byteLength), 0);
  const out = Buffer.alloc(size + 4);
  MAGIC.copy(out, 0);
  out.writeUInt32LE(VERSION, 8);
  out.writeUInt32LE(json.length, 12);
  json.copy(out, 16);
  let at = pad8(16 + json.length);
  for (const a of arrays) {
    Buffer.from(a.buffer, a.byteOffset, a.byteLength).copy(out, at);
    at += pad8(a.byteLength);
  }
  out.writeUInt32LE(zlib.crc32(out.subarray(0, size)), size);
  fs.writeFileSync(path, out);
}

function corrupt(path: string, why: string): RusketError {
  return new RusketError("CORRUPT_FILE", `${path} is not a valid rusket model file: ${why}`);
}

/** Reads a model file written by {@link saveModel}; checks magic, version, sizes and checksum. */
export function loadModel(path: string): { header: Header; state: FactorState } {
  let buf: Buffer;
  try {
    buf = fs.readFileSync(path);
  } catch (e) {
    throw new RusketError("INVALID_ARGUMENT", `cannot read ${path}: ${(e as Error).message}`);
  }
  if (buf.length < 20 || !buf.subarray(0, 8).equals(MAGIC)) throw corrupt(path, "it does not start with RUSKETFM");
  const version = buf.readUInt32LE(8);
  if (version !== VERSION) throw new RusketError("VERSION_MISMATCH", `${path} has model format ${version}; this rusket reads format ${VERSION}`);
  const size = buf.length - 4;
  if (zlib.crc32(buf.subarray(0, size)) !== buf.readUInt32LE(size)) throw corrupt(path, "the checksum does not match (truncated or modified)");
  let header: Header;
  try {
    header = JSON.parse(buf.subarray(16, 16 + buf.readUInt32LE(12)).toString("utf8"));
  } catch {
    throw corrupt(path, "its header is not readable");
  }
  const nu = header.userLabels.length, ni = header.itemLabels.length, w = header.width;
  let at = pad8(16 + buf.readUInt32LE(12));
  const take = <T>(Ctor: { new (b: ArrayBuffer): T; BYTES_PER_ELEMENT: number }, n: number): T => {
    const bytes = n * Ctor.BYTES_PER_ELEMENT;
    if (at + bytes > size) throw corrupt(path, "it is shorter than its header says");
    const copy = new Uint8Array(bytes);
    copy.set(buf.subarray(at, at + bytes));
    at += pad8(bytes);
    return new Ctor(copy.buffer);
  };
  const user = take(Float32Array, nu * w), item = take(Float32Array, ni * w);
  const indptr = take(Float64Array, nu + 1), indices = take(Uint32Array, header.nnz), data = take(Float32Array, header.nnz);
  if (at !== size) throw corrupt(path, "its size does not match its header");
  return {
    header,
    state: {
      user, item, width: w, userLabels: header.userLabels, itemLabels: header.itemLabels,
      seen: { indptr, indices, data }, loss: Float64Array.from(header.loss), kind: header.inputKind,
    },
  };
}
