// A reader of the Arrow IPC streams GET /v1/columns answers: record batches whose columns are int32, float32, float64 or
// fixed-size lists of float32 (embeddings). Values come back as typed arrays viewing the response's bytes (no per-value
// work), so a million points cost one download. Other types are refused by name.

const MessageHeader = { Schema: 1, RecordBatch: 3 };
const TypeKind = { Int: 2, FloatingPoint: 3, FixedSizeList: 16 };

/** A flatbuffer table at byte position pos of view. */
class FlatTable {
  constructor(view, pos) {
    this.view = view;
    this.pos = pos;
    this.vtable = pos - view.getInt32(pos, true);
    this.vsize = view.getUint16(this.vtable, true);
  }

  /** The position of field id's value, or 0 when absent (its default). */
  field(id) {
    const at = 4 + 2 * id;
    const offset = at < this.vsize ? this.view.getUint16(this.vtable + at, true) : 0;
    return offset ? this.pos + offset : 0;
  }

  uint8(id, fallback = 0) { const p = this.field(id); return p ? this.view.getUint8(p) : fallback; }
  int16(id, fallback = 0) { const p = this.field(id); return p ? this.view.getInt16(p, true) : fallback; }
  int32(id, fallback = 0) { const p = this.field(id); return p ? this.view.getInt32(p, true) : fallback; }
  int64(id, fallback = 0) { const p = this.field(id); return p ? Number(this.view.getBigInt64(p, true)) : fallback; }

  /** The sub-table at field id, or null. */
  table(id) {
    const p = this.field(id);
    return p ? new FlatTable(this.view, p + this.view.getUint32(p, true)) : null;
  }

  /** The vector at field id: its length and the position of its first element. */
  vector(id) {
    const p = this.field(id);
    if (!p) return { length: 0, start: 0 };
    const at = p + this.view.getUint32(p, true);
    return { length: this.view.getUint32(at, true), start: at + 4 };
  }

  /** The vector of tables at field id. */
  tables(id) {
    const { length, start } = this.vector(id);
    return Array.from({ length }, (_, i) => {
      const p = start + 4 * i;
      return new FlatTable(this.view, p + this.view.getUint32(p, true));
    });
  }

  string(id) {
    const { length, start } = this.vector(id);
    return new TextDecoder().decode(new Uint8Array(this.view.buffer, this.view.byteOffset + start, length));
  }
}

/** The column type a schema field describes, or an error naming the field. */
function fieldType(field) {
  const name = field.string(0);
  const kind = field.uint8(2);
  const type = field.table(3);
  if (kind === TypeKind.Int && type.int32(0) === 32 && type.uint8(1) === 1) return { name, kind: 'int32', bytes: 4 };
  if (kind === TypeKind.FloatingPoint && type.int16(0) === 1) return { name, kind: 'float32', bytes: 4 };
  if (kind === TypeKind.FloatingPoint && type.int16(0) === 2) return { name, kind: 'float64', bytes: 8 };
  if (kind === TypeKind.FixedSizeList) {
    const child = fieldType(field.tables(5)[0]);
    if (child.kind === 'float32') return { name, kind: 'list', bytes: 4, size: type.int32(0) };
  }
  throw new Error(`Arrow column '${name}': type ${kind} is not one this page reads (int32, float32, float64, fixed-size list of float32).`);
}

const arrays = { int32: Int32Array, float32: Float32Array, float64: Float64Array, list: Float32Array };

/** A typed array over length values at byte offset of buffer (copied when misaligned). */
function typed(kind, buffer, offset, length) {
  const Type = arrays[kind];
  if (offset % Type.BYTES_PER_ELEMENT === 0) return new Type(buffer, offset, length);
  return new Type(buffer.slice(offset, offset + length * Type.BYTES_PER_ELEMENT));
}

/**
 * Reads an Arrow IPC stream (an ArrayBuffer) into { length, columns: { name: { kind, size, values, valid } } }: values a
 * typed array (length × size for lists), valid a function of a row telling whether it holds a value.
 */
export function readArrowStream(buffer) {
  const view = new DataView(buffer);
  let offset = 0;
  let schema = null;
  const batches = [];
  while (offset + 4 <= buffer.byteLength) {
    let length = view.getInt32(offset, true);
    offset += 4;
    if (length === -1) { length = view.getInt32(offset, true); offset += 4; } // continuation marker
    if (length === 0) break; // end of stream
    const message = new FlatTable(view, offset + view.getUint32(offset, true));
    const headerType = message.uint8(1);
    const header = message.table(2);
    const bodyLength = message.int64(3);
    const body = offset + length;
    if (headerType === MessageHeader.Schema) {
      schema = header.tables(1).map(fieldType);
    } else if (headerType === MessageHeader.RecordBatch) {
      if (!schema) throw new Error('Arrow stream: a record batch came before the schema.');
      if (header.table(3)) throw new Error('Arrow stream: compressed batches are not read.');
      const rows = header.int64(0);
      const nodes = header.vector(1);
      const buffers = header.vector(2);
      let node = 0;
      let buf = 0;
      const nextBuffer = () => {
        const at = buffers.start + 16 * buf++;
        return { offset: body + Number(view.getBigInt64(at, true)), length: Number(view.getBigInt64(at + 8, true)) };
      };
      const columns = {};
      for (const field of schema) {
        const nulls = Number(view.getBigInt64(nodes.start + 16 * node + 8, true));
        node++;
        const validity = nextBuffer();
        if (field.kind === 'list') { node++; nextBuffer(); } // the child's node and validity
        const data = nextBuffer();
        const bits = nulls > 0 && validity.length > 0 ? new Uint8Array(buffer, validity.offset, validity.length) : null;
        columns[field.name] = {
          kind: field.kind,
          size: field.size ?? 1,
          values: typed(field.kind, buffer, data.offset, rows * (field.size ?? 1)),
          valid: bits ? row => (bits[row >> 3] & (1 << (row & 7))) !== 0 : () => true,
        };
      }
      batches.push({ length: rows, columns });
    }
    offset = body + bodyLength;
  }
  if (!schema) throw new Error('Arrow stream: no schema.');
  if (batches.length !== 1) throw new Error(`Arrow stream: expected one record batch, got ${batches.length}.`);
  return batches[0];
}
