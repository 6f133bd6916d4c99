"""One rank of the chaos test's training stream (rank and world size from RANK and WORLD_SIZE, the launch from
TLC_LAUNCH_ID). For its share of the input table's rows (ExactSampler: every row in exactly one rank) it writes a loss
and a step per example_id through the training API in small batches spread over the round, then closes its share.
The values follow from the example_id alone, so every round's table must equal the fault-free one."""

import argparse
import json
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "clients", "python"))

import numpy as np  # noqa: E402
from tlc_client import Api, ExactSampler, RankWriter  # noqa: E402


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--api", required=True)
    parser.add_argument("--run", required=True)
    parser.add_argument("--table", required=True)
    parser.add_argument("--rows", type=int, required=True)
    parser.add_argument("--batch", type=int, default=250)
    parser.add_argument("--pause", type=float, default=0.5)
    args = parser.parse_args()

    api = Api(args.api)
    ids = ExactSampler(args.rows).indices().astype(np.int64)
    columns = {"loss": "float32", "step": "int64"}
    with RankWriter(api, args.run, args.table, "chaos", 1, columns, buffer_rows=args.batch) as writer:
        print(json.dumps({"sink_id": writer.sink_id, "url": writer.url}), flush=True)
        for start in range(0, len(ids), args.batch):
            batch = ids[start:start + args.batch]
            writer.add(example_id=batch, loss=((batch % 97) / 97.0).astype(np.float32), step=batch // 100)
            time.sleep(args.pause)
    print("closed", flush=True)


if __name__ == "__main__":
    main()
