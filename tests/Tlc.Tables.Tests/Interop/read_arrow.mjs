// Reads an Arrow IPC file with the npm package apache-arrow and prints it as JSON:
//   { "fields": [{ "name", "type", "nullable" }], "numRows": n, "columns": { name: [values...] } }
// int64 values are printed as strings (they may exceed 2^53), non-finite floats as "NaN"/"Infinity", typed arrays and
// list vectors as arrays, struct rows as objects.
// Usage: node read_arrow.mjs <file.arrow> <node_modules folder holding apache-arrow>
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const [file, nodeModules] = process.argv.slice(2);
if (!file || !nodeModules) {
  console.error('usage: node read_arrow.mjs <file.arrow> <node_modules>');
  process.exit(2);
}
const arrow = await import(pathToFileURL(path.join(nodeModules, 'apache-arrow', 'Arrow.node.mjs')).href);

function plain(v) {
  if (v === null || v === undefined) return null;
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'number') return Number.isFinite(v) ? v : String(v);
  if (typeof v === 'string' || typeof v === 'boolean') return v;
  if (v instanceof arrow.Vector || ArrayBuffer.isView(v) || Array.isArray(v)) return Array.from(v, plain);
  if (typeof v.toJSON === 'function') v = v.toJSON();
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)]));
}

const table = arrow.tableFromIPC(readFileSync(file));
const columns = {};
for (const field of table.schema.fields) {
  columns[field.name] = Array.from(table.getChild(field.name), plain);
}
const fields = table.schema.fields.map(f => ({ name: f.name, type: String(f.type), nullable: f.nullable }));
process.stdout.write(JSON.stringify({ fields, numRows: table.numRows, columns }));
