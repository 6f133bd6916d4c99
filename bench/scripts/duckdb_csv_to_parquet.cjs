// Baselines of the import benchmarks, timed inside one process after a warm-up:
//   parquet — DuckDB reads a CSV (or a Parquet file, by its extension) and writes Parquet (COPY ... TO ... FORMAT parquet);
//   table   — DuckDB reads it into its own native table (CREATE OR REPLACE TABLE t AS SELECT * FROM read_...), the fastest
//             thing a DuckDB user would do.
// Usage: node duckdb_csv_to_parquet.cjs <csv|parquet> <out.parquet> <threads> <runs> [parquet|table]
// Prints {"ms": best, "all": [each run], "rows": rows written}. Resolves @duckdb/node-api through NODE_PATH.
const { DuckDBInstance } = require('@duckdb/node-api');

async function main() {
  const [input, out, threads, runs, mode = 'parquet'] = process.argv.slice(2);
  const instance = await DuckDBInstance.create(':memory:', { threads: String(threads) });
  const connection = await instance.connect();
  const reader = input.endsWith('.parquet') ? 'read_parquet' : 'read_csv';
  const source = `${reader}('${input.replace(/'/g, "''")}')`;
  let sql;
  let count;
  if (mode === 'table') {
    sql = `CREATE OR REPLACE TABLE t AS SELECT * FROM ${source}`;
    count = 'SELECT count(*) AS n FROM t';
  } else if (mode === 'parquet') {
    sql = `COPY (SELECT * FROM ${source}) TO '${out.replace(/'/g, "''")}' (FORMAT parquet)`;
    count = `SELECT count(*) AS n FROM read_parquet('${out.replace(/'/g, "''")}')`;
  } else {
    throw new Error(`unknown mode ${mode}: parquet or table`);
  }
  await connection.run(sql); // warm-up
  const all = [];
  for (let i = 0; i < Number(runs); i++) {
    const start = performance.now();
    await connection.run(sql);
    all.push(performance.now() - start);
  }
  const rows = await connection.runAndReadAll(count);
  console.log(JSON.stringify({ ms: Math.min(...all), all, rows: Number(rows.getRows()[0][0]) }));
}

main().catch(e => { console.error(e); process.exit(1); });
