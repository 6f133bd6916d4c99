// Baseline of the import benchmarks: DuckDB reads a CSV (or a Parquet file, by its extension) and writes Parquet
// (COPY ... TO ... FORMAT parquet), timed inside one process, best of N after a warm-up.
// Usage: node duckdb_csv_to_parquet.cjs <csv|parquet> <out.parquet> <threads> <runs>
// Resolves @duckdb/node-api through NODE_PATH (the fixture folder's node_modules).
const { DuckDBInstance } = require('@duckdb/node-api');

async function main() {
  const [csv, out, threads, runs] = process.argv.slice(2);
  const instance = await DuckDBInstance.create(':memory:', { threads: String(threads) });
  const connection = await instance.connect();
  const reader = csv.endsWith('.parquet') ? 'read_parquet' : 'read_csv';
  const sql = `COPY (SELECT * FROM ${reader}('${csv.replace(/'/g, "''")}')) TO '${out.replace(/'/g, "''")}' (FORMAT parquet)`;
  await connection.run(sql); // warm-up
  let best = Infinity;
  for (let i = 0; i < Number(runs); i++) {
    const start = performance.now();
    await connection.run(sql);
    best = Math.min(best, performance.now() - start);
  }
  const count = await connection.runAndReadAll(`SELECT count(*) AS n FROM read_parquet('${out.replace(/'/g, "''")}')`);
  console.log(JSON.stringify({ ms: best, rows: Number(count.getRows()[0][0]) }));
}

main().catch(e => { console.error(e); process.exit(1); });
