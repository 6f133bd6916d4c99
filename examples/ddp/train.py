"""PyTorch DDP training of a small Fashion-MNIST classifier read from Tlc tables, with every rank's per-sample metrics
written into one Tlc run through the training API (clients/python/tlc_client.py).

Each epoch every rank writes, for its own samples: the per-sample training loss with its step (stream "train"; the padding a
DistributedSampler adds to even out the ranks is trained on but not written, so each example_id is there once) and, after
the epoch, an exact evaluation of the test table (stream "eval": every row in exactly one rank, no padding). Rank 0 saves
a checkpoint at the end of each epoch; a restarted group resumes from it, and each rank's new attempt replaces its
unfinished shares. Launch the ranks with MASTER_ADDR, MASTER_PORT, RANK, WORLD_SIZE and TLC_LAUNCH_ID set (run.sh does).
"""

import argparse
import os
import signal
import sys
import time

import numpy as np
import torch
import torch.distributed as dist
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "clients", "python"))
from tlc_client import Api, ExactSampler, RankWriter, log_rank  # noqa: E402


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 8, 3, padding=1)
        self.fc1 = nn.Linear(8 * 14 * 14, 64)
        self.fc2 = nn.Linear(64, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv(x)), 2)
        return self.fc2(F.relu(self.fc1(x.flatten(1))))


def load(api, table, rows):
    data = api.samples(table, ["image", "label"], start=0, count=rows)
    # [rows, height, width, channels] → [rows, channels, height, width], with the strides of a fresh tensor.
    images = torch.from_numpy(data["image"].astype(np.float32) / 255.0).permute(0, 3, 1, 2).clone(memory_format=torch.contiguous_format)
    return data["example_id"], images, torch.from_numpy(data["label"].astype(np.int64))


def padded_share(n, rank, world, seed, epoch):
    """DistributedSampler's share (shuffled with seed + epoch, padded by repeating the start) and which positions are
    padding (trained on, not written)."""
    order = np.random.RandomState(seed + epoch).permutation(n)
    total = -(-n // world) * world
    padded = np.concatenate([order, order[: total - n]])
    positions = np.arange(rank, total, world)
    return padded[positions], positions < n


def evaluate(model, images, labels, ids, indices, batch=500):
    """Per-sample loss, prediction and confidence of `indices`."""
    model.eval()
    out = {"example_id": [], "loss": [], "predicted": [], "confidence": []}
    with torch.no_grad():
        for start in range(0, len(indices), batch):
            chosen = indices[start:start + batch]
            logits = model(images[chosen])
            loss = F.cross_entropy(logits, labels[chosen], reduction="none")
            probabilities = F.softmax(logits, dim=1)
            confidence, predicted = probabilities.max(dim=1)
            out["example_id"].append(ids[chosen])
            out["loss"].append(loss.numpy().astype(np.float32))
            out["predicted"].append(predicted.numpy().astype(np.int32))
            out["confidence"].append(confidence.numpy().astype(np.float32))
    model.train()
    return {k: np.concatenate(v) if v else np.zeros(0) for k, v in out.items()}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--api", required=True)
    parser.add_argument("--run", required=True)
    parser.add_argument("--train-table", required=True)
    parser.add_argument("--test-table", required=True)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--train-rows", type=int, default=6000)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--checkpoint", required=True)
    parser.add_argument("--kill-rank", type=int, default=-1)
    parser.add_argument("--kill-epoch", type=int, default=-1)
    parser.add_argument("--kill-after-batches", type=int, default=10)
    parser.add_argument("--eval-only", action="store_true", help="evaluate the checkpoint's weights (no training)")
    parser.add_argument("--eval-stream", default="eval")
    parser.add_argument("--no-stream", action="store_true", help="write no per-sample training losses (to measure what streaming costs)")
    parser.add_argument("--skip-eval", action="store_true", help="no evaluation after each epoch")
    args = parser.parse_args()

    torch.set_num_threads(1)
    dist.init_process_group("gloo", init_method="env://")
    rank, world = dist.get_rank(), dist.get_world_size()
    api = Api(args.api)
    torch.manual_seed(args.seed)
    model = Net()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    start_epoch, checkpoint_epoch = 0, None
    if os.path.exists(args.checkpoint):
        state = torch.load(args.checkpoint)
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        checkpoint_epoch = state["epoch"]
        start_epoch = checkpoint_epoch + 1
    ddp = nn.parallel.DistributedDataParallel(model)
    test_ids, test_images, test_labels = load(api, args.test_table, None)
    columns = {"loss": "float32", "predicted": "int32", "confidence": "float32"}

    if args.eval_only:
        share = ExactSampler(len(test_ids), num_replicas=world, rank=rank).indices()
        result = evaluate(model, test_images, test_labels, test_ids, share)
        if checkpoint_epoch is None:
            raise SystemExit(f"--eval-only needs a checkpoint at {args.checkpoint}")
        with RankWriter(api, args.run, args.test_table, args.eval_stream, checkpoint_epoch, columns, require_full_coverage=True) as w:
            w.add(**result)
        dist.barrier()
        return

    train_ids, train_images, train_labels = load(api, args.train_table, args.train_rows)
    for epoch in range(start_epoch, args.epochs):
        started = time.time()
        share, real = padded_share(len(train_ids), rank, world, args.seed, epoch)
        # Training-time values are a stream like any other: each sample's loss at the step it was trained in.
        writer = None if args.no_stream else RankWriter(api, args.run, args.train_table, "train", epoch, {"loss": "float32", "step": "int32"})
        steps_per_epoch = -(-len(share) // args.batch)
        losses, batches = [], 0
        for start in range(0, len(share), args.batch):
            chosen, keep = share[start:start + args.batch], real[start:start + args.batch]
            logits = ddp(train_images[chosen])
            per_sample = F.cross_entropy(logits, train_labels[chosen], reduction="none")
            optimizer.zero_grad()
            per_sample.mean().backward()
            optimizer.step()
            if writer is not None and not writer.closed and keep.any():
                step = epoch * steps_per_epoch + start // args.batch
                writer.add(example_id=train_ids[chosen][keep], loss=per_sample.detach().numpy()[keep].astype(np.float32),
                           step=np.full(int(keep.sum()), step, dtype=np.int32))
            losses.append(per_sample.detach().mean().item())
            batches += 1
            if rank == args.kill_rank and epoch == args.kill_epoch and batches == args.kill_after_batches and not os.path.exists(args.checkpoint + ".killed"):
                open(args.checkpoint + ".killed", "w").close()
                print(f"rank {rank}: killing myself in epoch {epoch} after {batches} batches", flush=True)
                os.kill(os.getpid(), signal.SIGKILL)
        if writer is not None:
            writer.close()
        trained = time.time() - started
        print(f"rank {rank}: epoch {epoch} trained in {trained:.3f} s", flush=True)
        if args.skip_eval:
            continue
        share_eval = ExactSampler(len(test_ids), num_replicas=world, rank=rank).indices()
        result = evaluate(model, test_images, test_labels, test_ids, share_eval)
        with RankWriter(api, args.run, args.test_table, "eval", epoch, columns, require_full_coverage=True) as w:
            w.add(**result)
        accuracy = float((result["predicted"] == test_labels.numpy()[share_eval]).mean()) if len(share_eval) else 0.0
        log_rank(api, args.run, {"epoch": epoch, "train_loss": float(np.mean(losses)), "eval_accuracy": accuracy})
        dist.barrier()
        if rank == 0:
            torch.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(), "epoch": epoch}, args.checkpoint + ".tmp")
            os.replace(args.checkpoint + ".tmp", args.checkpoint)
        dist.barrier()
        print(f"rank {rank}: epoch {epoch} done in {time.time() - started:.1f} s, loss {np.mean(losses):.4f}, eval accuracy {accuracy:.4f}", flush=True)
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
