// Reads a Tlc table the way an independent reader would, with the npm package apache-arrow only: the object file
// (object.tlc.json) lists the chunk files in row order, relative to the table folder; each is an Arrow IPC file.
// Prints JSON: { "rowCount" (the object file's), "numRows" (rows read), "chunks", "batches" ([rows per record batch]),
//   "fields": [{ "name", "type", "tlcType" (the "type" of the field's tlc.schema metadata) }], "columns": { name: [...] } }
// (int64 values as strings). Usage: node read_table.mjs <table folder> <node_modules folder holding apache-arrow>
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const [folder, nodeModules] = process.argv.slice(2);
if (!folder || !nodeModules) {
  console.error('usage: node read_table.mjs <table folder> <node_modules>');
  process.exit(2);
}
const arrow = await import(pathToFileURL(path.join(nodeModules, 'apache-arrow', 'Arrow.node.mjs')).href);

const object = JSON.parse(readFileSync(path.join(folder, 'object.tlc.json'), 'utf8'));
const tables = object.chunks.map(chunk => arrow.tableFromIPC(readFileSync(path.join(folder, chunk.url))));
const table = tables.reduce((all, t) => all.concat(t));

const plain = v => (v === null || v === undefined ? null : typeof v === 'bigint' ? v.toString() : v);
const columns = {};
for (const field of table.schema.fields) {
  columns[field.name] = Array.from(table.getChild(field.name), plain);
}
const fields = table.schema.fields.map(f => ({
  name: f.name,
  type: String(f.type),
  tlcType: f.metadata.has('tlc.schema') ? JSON.parse(f.metadata.get('tlc.schema')).type ?? null : null,
}));
const batches = tables.flatMap(t => t.batches.map(b => b.numRows));
process.stdout.write(JSON.stringify({ rowCount: object.row_count, numRows: table.numRows, chunks: tables.length, batches, fields, columns }));
