"""Drives the training API with tlc_client the way DDP ranks do (run by the C# API tests): two ranks write their shares
of one table through the binary form, a bad batch is refused with the row named, and the exact sampler splits any size
without padding. Usage: check_client.py API_URL RUN TABLE_URL ROWS"""

import sys

import numpy as np

from tlc_client import Api, ExactSampler, RankWriter, TlcError, log_rank


def main():
    url, run, table, rows = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    api = Api(url)
    for n in (10, 11, 7):
        shares = [list(ExactSampler(n, num_replicas=3, rank=r, shuffle=True, seed=5)) for r in range(3)]
        assert sorted(i for s in shares for i in s) == list(range(n)), shares
        assert [len(s) for s in shares] == [len(ExactSampler(n, 3, r)) for r in range(3)]
    writers = [RankWriter(api, run, table, "eval", 1, {"loss": "float32", "predicted": "int32", "embedding": "float32[2]"},
                          rank=r, world_size=2, launch_id="python-launch", require_full_coverage=True) for r in range(2)]
    assert writers[0].sink_id == writers[1].sink_id
    try:
        # Rows are buffered and sent in the background: the API's answer comes with the flush.
        writers[0].add(example_id=np.array([0, rows + 5]), loss=np.zeros(2, "f4"), predicted=np.zeros(2, "i4"),
                       embedding=np.zeros((2, 2), "f4"))
        writers[0].flush()
        raise AssertionError("an id outside the table was accepted")
    except TlcError as e:
        assert e.status == 400 and "Row 1, column 'example_id'" in e.message, e
    for r, writer in enumerate(writers):
        sampler = ExactSampler(rows, num_replicas=2, rank=r, shuffle=True, seed=3)
        ids = np.array(list(sampler), dtype=np.int64)
        for chunk in np.array_split(ids, 40):
            writer.add(example_id=chunk, loss=(chunk * 0.25).astype(np.float32), predicted=(chunk % 10).astype(np.int32),
                       embedding=np.stack([chunk, -chunk], axis=1).astype(np.float32))
        log_rank(api, run, {"epoch": 1, "loss": 0.5 + r}, rank=r, world_size=2, launch_id="python-launch")
    read = api.samples(table, ["name_length"], rows=[3, 1, 2])
    assert list(read["example_id"]) == [3, 1, 2] and list(read["name_length"]) == [4, 4, 4], read
    for writer in writers:
        writer.close()
    print(writers[0].sink_id)


if __name__ == "__main__":
    main()
