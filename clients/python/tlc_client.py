"""Tlc's Python client for trainers: the training API over HTTP, with the standard library and numpy only.

A rank of a distributed training launch (PyTorch DDP, launched with RANK/WORLD_SIZE/MASTER_ADDR/MASTER_PORT set) opens
its share of a run's metrics table per stream and epoch, appends per-sample rows, and closes it; the table is published
once every rank has closed its share, each example_id once. A restarted rank (a new attempt) replaces its unfinished
share; a closed share is final.

    api = Api("http://127.0.0.1:8765")
    sampler = ExactSampler(len(dataset))                 # every row in exactly one rank, no padding
    with RankWriter(api, "project/run", table_url, "eval", epoch, {"loss": "float32", "predicted": "int32"}) as w:
        for ids, loss, predicted in ...:
            w.add(example_id=ids, loss=loss, predicted=predicted)
"""

import http.client
import json
import os
import queue
import struct
import threading
import urllib.parse
import uuid

import numpy as np

BINARY_MEDIA_TYPE = "application/vnd.tlc.columns"

_DTYPES = {
    "float32": np.dtype("<f4"),
    "float64": np.dtype("<f8"),
    "int32": np.dtype("<i4"),
    "int64": np.dtype("<i8"),
    "bool": np.dtype("u1"),
}


class TlcError(Exception):
    """A request the API refused: its HTTP status and the message naming the field and row."""

    def __init__(self, status, message):
        super().__init__(f"{status}: {message}")
        self.status = status
        self.message = message


def rank_from_env(environ=None):
    """(rank, world_size, local_rank, launch_id) from RANK, WORLD_SIZE, LOCAL_RANK and TLC_LAUNCH_ID /
    TORCHELASTIC_RUN_ID / MASTER_ADDR:MASTER_PORT, as the C# RankInfo reads them (rank 0 of 1 when unset)."""
    env = os.environ if environ is None else environ
    rank = int(env.get("RANK", "0"))
    world = int(env.get("WORLD_SIZE", "1"))
    local = int(env.get("LOCAL_RANK", str(rank)))
    launch = (env.get("TLC_LAUNCH_ID") or env.get("TORCHELASTIC_RUN_ID")
              or (f"{env['MASTER_ADDR']}:{env.get('MASTER_PORT', '')}" if env.get("MASTER_ADDR") else "single"))
    if not 0 <= rank < world:
        raise ValueError(f"RANK {rank} is outside 0..{world - 1} (WORLD_SIZE {world})")
    return rank, world, local, launch


class Api:
    """The training API at `url` (what `tlc api` printed); `token` when it requires one (TLC_API_TOKEN by default).
    Keeps one HTTP connection per thread open (keep-alive)."""

    def __init__(self, url, token=None, timeout=120):
        self.url = url.rstrip("/")
        parsed = urllib.parse.urlsplit(self.url)
        self._host, self._port = parsed.hostname, parsed.port or 80
        self.token = token if token is not None else os.environ.get("TLC_API_TOKEN")
        self.timeout = timeout
        self._local = threading.local()

    def _connection(self, fresh=False):
        connection = getattr(self._local, "connection", None)
        if connection is None or fresh:
            if connection is not None:
                connection.close()
            connection = http.client.HTTPConnection(self._host, self._port, timeout=self.timeout)
            self._local.connection = connection
        return connection

    def _request(self, method, path, body=None, content_type="application/json", raw=False):
        headers = {"Content-Type": content_type}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        for attempt in (0, 1):
            connection = self._connection(fresh=attempt > 0)
            try:
                connection.request(method, path, body=body, headers=headers)
                response = connection.getresponse()
                data = response.read()
                break
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                # A kept-alive connection the server closed: once more on a new one.
                if attempt:
                    raise
        if response.status >= 400:
            text = data.decode("utf-8", "replace")
            try:
                message = json.loads(text).get("error", text)
            except ValueError:
                message = text
            raise TlcError(response.status, message)
        return data if raw else json.loads(data or b"{}")

    def post(self, path, obj):
        return self._request("POST", path, json.dumps(obj).encode("utf-8"))

    def post_columns(self, path, columns):
        return self._request("POST", path, encode_columns(columns), BINARY_MEDIA_TYPE)

    def get(self, path):
        return self._request("GET", path)

    def job(self, job_id):
        return self.get(f"/v1/jobs/{job_id}")

    def samples(self, table, columns, rows=None, start=0, count=None):
        """Rows of a table as numpy arrays by column (plus example_id): numbers as they are, images as uint8 pixels of
        shape [rows, height, width, channels]. Give row indices, or a start and count (default: every row)."""
        body = {"table": table, "columns": list(columns)}
        if rows is not None:
            body["rows"] = [int(r) for r in rows]
        else:
            body["start"] = start
            if count is not None:
                body["count"] = count
        data = self._request("POST", "/v1/tables/samples", json.dumps(body).encode("utf-8"), raw=True)
        return decode_columns(data)


def encode_columns(columns):
    """The binary form of a batch: b'TLCC', the header length, a JSON header naming each column and its type, then each
    column's little-endian values, each starting at a multiple of 8 bytes. `columns` maps names to numpy arrays
    (1-D, or 2-D float32 for embeddings)."""
    arrays, described, rows = [], [], None
    for name, values in columns.items():
        array = np.asarray(values)
        if array.ndim == 2:
            array = np.ascontiguousarray(array, dtype="<f4")
            kind = f"float32[{array.shape[1]}]"
        elif array.dtype == np.bool_:
            array, kind = array.astype("u1"), "bool"
        elif name == "example_id" or np.issubdtype(array.dtype, np.integer) and array.dtype.itemsize == 8:
            array, kind = array.astype("<i8"), "int64"
        elif np.issubdtype(array.dtype, np.integer):
            array, kind = array.astype("<i4"), "int32"
        elif array.dtype == np.float64:
            array, kind = array.astype("<f8"), "float64"
        else:
            array, kind = array.astype("<f4"), "float32"
        if rows is None:
            rows = array.shape[0]
        if array.shape[0] != rows:
            raise ValueError(f"column '{name}' has {array.shape[0]} rows, the first column has {rows}")
        arrays.append(array)
        described.append({"name": name, "type": kind})
    header = json.dumps({"rows": rows or 0, "columns": described}).encode("utf-8")
    parts = [b"TLCC", struct.pack("<I", len(header)), header]
    size = 8 + len(header)
    for array in arrays:
        pad = (-size) % 8
        parts.append(b"\0" * pad)
        data = array.tobytes()
        parts.append(data)
        size += pad + len(data)
    return b"".join(parts)


def decode_columns(data):
    """Reads the binary form (see encode_columns) into a dict of numpy arrays; image columns get their header shape."""
    if data[:4] != b"TLCC":
        raise ValueError("not a TLCC body")
    (length,) = struct.unpack("<I", data[4:8])
    header = json.loads(data[8:8 + length])
    rows, offset, columns = header["rows"], 8 + length, {}
    for column in header["columns"]:
        offset += (-offset) % 8
        kind = column["type"]
        if kind.startswith("uint8[") or kind.startswith("float32["):
            width = int(kind[kind.index("[") + 1:-1])
            dtype = np.dtype("u1") if kind.startswith("uint8") else np.dtype("<f4")
            array = np.frombuffer(data, dtype, rows * width, offset).reshape(rows, width)
            if "shape" in column:
                array = array.reshape([rows] + list(column["shape"]))
        else:
            dtype = _DTYPES[kind]
            array = np.frombuffer(data, dtype, rows, offset)
            if kind == "bool":
                array = array.astype(bool)
        offset += rows * (array.size // max(rows, 1)) * dtype.itemsize if rows else 0
        columns[column["name"]] = array
    return columns


class RankWriter:
    """This rank's share of the (run, stream, epoch) metrics table of its launch. `columns` maps column names to types:
    float32, float64, int32, int64, bool, string, float32[N]. Rows added are buffered and sent in the binary form by a
    background thread once `buffer_rows` are buffered, so training does not wait for the network; an error the API
    answers is raised by the next add, flush or close. Closing (or leaving a `with` block without an error) sends what is
    buffered and closes the share; the table is published once every rank of the launch has closed its share."""

    def __init__(self, api, run, table, stream, epoch, columns, rank=None, world_size=None, launch_id=None, attempt=None,
                 require_full_coverage=False, buffer_rows=16384):
        env_rank, env_world, _, env_launch = rank_from_env()
        self.api = api
        self.rank = env_rank if rank is None else rank
        self.world_size = env_world if world_size is None else world_size
        self.launch_id = env_launch if launch_id is None else launch_id
        self.attempt = attempt or os.environ.get("TLC_RANK_ATTEMPT") or uuid.uuid4().hex[:12]
        self.buffer_rows = buffer_rows
        opened = api.post("/v1/ranks", {
            "run": run, "table": table, "stream": stream, "epoch": epoch, "columns": columns,
            "rank": self.rank, "world_size": self.world_size, "launch_id": self.launch_id, "attempt": self.attempt,
            "require_full_coverage": require_full_coverage,
        })
        self.writer = opened["writer"]
        self.sink_id = opened["sink_id"]
        self.url = opened["url"]
        # True when an earlier attempt of this rank closed the share: it is final, and rows added now are ignored.
        self.closed = opened["closed"]
        self._buffer, self._buffered = {}, 0
        self._queue = queue.Queue(maxsize=2)
        self._error = None
        self._sender = threading.Thread(target=self._send_loop, daemon=True)
        self._sender.start()

    def _send_loop(self):
        while True:
            body = self._queue.get()
            try:
                if body is None:
                    return
                if self._error is None:
                    self.api.post_columns(f"/v1/ranks/{self.writer}/rows", body)
            except Exception as e:  # noqa: BLE001 - raised on the caller's thread
                self._error = e
            finally:
                self._queue.task_done()

    def _raise_pending(self):
        if self._error is not None:
            error, self._error = self._error, None
            raise error

    def add(self, **columns):
        """Appends rows: example_id (row indices into the input table) and every column, as equally long arrays."""
        self._raise_pending()
        if "example_id" not in columns:
            raise ValueError("each batch needs example_id")
        if self.closed:
            return
        rows = len(columns["example_id"])
        for name, values in columns.items():
            if len(values) != rows:
                raise ValueError(f"column '{name}' has {len(values)} rows, example_id has {rows}")
            self._buffer.setdefault(name, []).append(np.asarray(values))
        self._buffered += rows
        if self._buffered >= self.buffer_rows:
            self._send()

    def _send(self):
        if self._buffered:
            body = {name: np.concatenate(parts) for name, parts in self._buffer.items()}
            self._buffer, self._buffered = {}, 0
            self._queue.put(body)

    def flush(self):
        """Sends what is buffered and waits until the API has taken every row added so far (raising its errors)."""
        self._send()
        self._queue.join()
        self._raise_pending()

    def add_json(self, rows):
        """Appends rows given as a dict of lists at once (for columns the binary form does not carry, e.g. strings)."""
        self.flush()
        return self.api.post(f"/v1/ranks/{self.writer}/rows", rows)

    def close(self):
        if not self.closed:
            self.flush()
            self.api.post(f"/v1/ranks/{self.writer}/close", {})
            self.closed = True
        self._stop()

    def _stop(self):
        if self._sender.is_alive():
            self._queue.put(None)
            self._sender.join()

    def __enter__(self):
        return self

    def __exit__(self, kind, value, traceback):
        if kind is None:
            self.close()
        else:
            self._stop()
        return False


def log_rank(api, run, values, rank=None, world_size=None, launch_id=None, reduction="mean"):
    """Logs this rank's aggregates of a step (values hold 'epoch' or 'iteration'); once every rank has logged the step,
    the run gets one entry with each value reduced over the ranks ('mean' or 'sum')."""
    env_rank, env_world, _, env_launch = rank_from_env()
    return api.post("/v1/runs/log", {
        "run": run, "values": values, "rank": env_rank if rank is None else rank,
        "world_size": env_world if world_size is None else world_size,
        "launch_id": env_launch if launch_id is None else launch_id, "reduction": reduction,
    })


class ExactSampler:
    """A drop-in for torch.utils.data.DistributedSampler for exact evaluation: rank r gets positions r, r+N, ... of the
    (optionally shuffled, seeded per epoch) indices, with no padding — every index in exactly one rank, any dataset size."""

    def __init__(self, dataset, num_replicas=None, rank=None, shuffle=False, seed=0):
        env_rank, env_world, _, _ = rank_from_env()
        self.length = dataset if isinstance(dataset, int) else len(dataset)
        self.num_replicas = env_world if num_replicas is None else num_replicas
        self.rank = env_rank if rank is None else rank
        self.shuffle = shuffle
        self.seed = seed
        self.epoch = 0
        if not 0 <= self.rank < self.num_replicas:
            raise ValueError(f"rank {self.rank} is outside 0..{self.num_replicas - 1}")

    def indices(self):
        order = np.arange(self.length)
        if self.shuffle:
            order = np.random.RandomState(self.seed + self.epoch).permutation(self.length)
        return order[self.rank::self.num_replicas]

    def __iter__(self):
        return iter(int(i) for i in self.indices())

    def __len__(self):
        return len(range(self.rank, self.length, self.num_replicas))

    def set_epoch(self, epoch):
        self.epoch = epoch
