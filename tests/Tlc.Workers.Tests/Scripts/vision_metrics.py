#!/usr/bin/env python3
"""Detection and segmentation metrics of a COCO set, computed with numpy alone: the independent side of the vision
collector tests.

    vision_metrics.py ANNOTATIONS.json PREDICTIONS.json OUTPUT.json

PREDICTIONS.json holds what a collect_metrics job predicted, per image (by file name):

    {"detection": {"iou_threshold": 0.5,
                   "samples": [{"key": "...", "file_name": "a.jpg", "boxes": [[x0, y0, x1, y1, score, label], ...]}]},
     "segmentation": {"classes": [0, 1, ...], "background": 0 (or null),
                      "samples": [{"key": "...", "file_name": "a.jpg", "width": W, "height": H,
                                   "instances": [{"label": c, "counts": [...]}]}]}}

The ground truth is read from ANNOTATIONS.json only (never from a Tlc table).

Detection: truth boxes are COCO's [x, y, w, h] as corners; detections are matched greedily per class, in order of
decreasing score (ties: the earlier detection first), each to the still-unmatched truth box of its class with the
highest IoU (ties: the earlier truth box) when that IoU is at least the threshold. Crowd boxes take no part and are no
false negatives. tp = matched detections, fp = the other detections, fn = unmatched non-crowd truth boxes, mean_iou =
mean IoU of the matched pairs (null when none).

Segmentation: the truth is background, then each annotation's polygons (their union, each filled with the non-zero
winding rule at pixel centres) painted with its category in file order; the prediction is background with each
instance's COCO RLE (column-major) painted over it. With "background": null, pixels no annotation covers are ignored
(they count for no class, whatever is predicted there) and the prediction must store every pixel. IoU of class c =
|T=c and P=c| / |T=c or P=c| over the pixels not ignored, null when the class is in neither; mean_iou = mean of the
defined values. Pixels whose centre lies within 1/16 px of a polygon edge are
counted as ambiguous (a fixed-point rasteriser may decide them either way); for each class the output gives the bounds
of the IoU over every way of deciding the ambiguous pixels where that class is possible (and of the mean, the means of
the bounds).
"""

import json
import os
import sys

import numpy as np

EDGE_MARGIN = 1.0 / 16


def load_coco(path):
    with open(path, encoding="utf-8") as f:
        coco = json.load(f)
    images = {}
    for image in coco["images"]:
        images[os.path.basename(image["file_name"])] = (image["id"], image["width"], image["height"])
    annotations = {}
    for a in coco["annotations"]:  # file order
        annotations.setdefault(a["image_id"], []).append(a)
    return images, annotations


# --- detection ---------------------------------------------------------------------------------------------------------

def area(boxes):
    """Areas of corner boxes [n, 4]; 0 for an empty or inverted box."""
    return np.clip(boxes[:, 2] - boxes[:, 0], 0, None) * np.clip(boxes[:, 3] - boxes[:, 1], 0, None)


def iou_matrix(a, b):
    """IoU of every corner box of a [n, 4] with every box of b [m, 4] (float64)."""
    if len(a) == 0 or len(b) == 0:
        return np.zeros((len(a), len(b)))
    w = np.minimum(a[:, None, 2], b[None, :, 2]) - np.maximum(a[:, None, 0], b[None, :, 0])
    h = np.minimum(a[:, None, 3], b[None, :, 3]) - np.maximum(a[:, None, 1], b[None, :, 1])
    inter = np.where((w > 0) & (h > 0), w * h, 0.0)
    union = area(a)[:, None] + area(b)[None, :] - inter
    return np.divide(inter, union, out=np.zeros_like(inter), where=union > 0)


def detection_sample(sample, truth_annotations, threshold):
    det = np.array([b[:4] for b in sample["boxes"]], dtype=np.float64).reshape(-1, 4)
    scores = np.array([b[4] for b in sample["boxes"]], dtype=np.float64)
    det_labels = np.array([int(b[5]) for b in sample["boxes"]], dtype=np.int64)
    truth = np.array([[a["bbox"][0], a["bbox"][1], a["bbox"][0] + a["bbox"][2], a["bbox"][1] + a["bbox"][3]]
                      for a in truth_annotations], dtype=np.float64).reshape(-1, 4)
    truth_labels = np.array([a["category_id"] for a in truth_annotations], dtype=np.int64)
    crowd = np.array([bool(a.get("iscrowd", 0)) for a in truth_annotations], dtype=bool)
    ious = iou_matrix(det, truth)
    eligible = (det_labels[:, None] == truth_labels[None, :]) & ~crowd[None, :]
    order = np.lexsort((np.arange(len(det)), -scores))  # score descending, then index ascending
    taken = np.zeros(len(truth), dtype=bool)
    matched = np.full(len(det), -1, dtype=np.int64)
    match_iou = [None] * len(det)
    lost_to_taken = 0
    for d in order:
        candidates = eligible[d] & (ious[d] >= threshold)
        if candidates.any() and not (candidates & ~taken).any():
            lost_to_taken += 1
        candidates &= ~taken
        if not candidates.any():
            continue
        masked = np.where(candidates, ious[d], -1.0)
        t = int(np.argmax(masked))  # the first of equal maxima: the earlier truth box
        taken[t] = True
        matched[d] = t
        match_iou[d] = float(ious[d, t])
    tp = int((matched >= 0).sum())
    same_class = np.abs(ious[eligible] - threshold)
    # Pairs at the threshold to the last bit (whole-pixel boxes built to an exact ratio) are decided by "at least";
    # the margin is that of the others, whose decisions float32 storage could not change when it is wide.
    at_threshold = same_class <= 1e-12
    margin = float(np.min(same_class[~at_threshold])) if (~at_threshold).any() else None
    _, counts = np.unique(scores, return_counts=True)
    return {
        "truth": [[float(v) for v in box] + [int(label)] for box, label in zip(truth, truth_labels)],
        "matched": [int(m) for m in matched],
        "match_iou": match_iou,
        "tp": tp,
        "fp": int(len(det) - tp),
        "fn": int((~crowd).sum() - tp),
        "mean_iou": float(np.mean([v for v in match_iou if v is not None])) if tp else None,
        "threshold_margin": margin,
        "lost_to_taken": lost_to_taken,
        "matched_at_threshold": int(sum(1 for v in match_iou if v is not None and abs(v - threshold) <= 1e-12)),
        "tied_scores": int((counts[counts > 1]).sum()),
        "label_mismatches": int(sum(1 for d in range(len(det))
                                    if matched[d] < 0 and (ious[d] >= threshold).any() and not eligible[d][ious[d] >= threshold].any())),
    }


# --- segmentation ------------------------------------------------------------------------------------------------------

def rasterize(polygon, width, height):
    """(inside, near) of one polygon at pixel centres: non-zero winding, and within EDGE_MARGIN of an edge."""
    p = np.asarray(polygon, dtype=np.float64).reshape(-1, 2)
    inside = np.zeros((height, width), dtype=bool)
    near = np.zeros((height, width), dtype=bool)
    if len(p) < 3:
        return inside, near
    x0 = max(0, int(np.floor(p[:, 0].min())) - 1)
    x1 = min(width, int(np.ceil(p[:, 0].max())) + 2)
    y0 = max(0, int(np.floor(p[:, 1].min())) - 1)
    y1 = min(height, int(np.ceil(p[:, 1].max())) + 2)
    if x0 >= x1 or y0 >= y1:
        return inside, near
    cx, cy = np.meshgrid(np.arange(x0, x1) + 0.5, np.arange(y0, y1) + 0.5)
    winding = np.zeros(cx.shape, dtype=np.int64)
    close = np.zeros(cx.shape, dtype=bool)
    for a, b in zip(p, np.roll(p, -1, axis=0)):
        (ax, ay), (bx, by) = a, b
        left = (bx - ax) * (cy - ay) - (cx - ax) * (by - ay)
        winding += ((ay <= cy) & (by > cy) & (left > 0)).astype(np.int64)
        winding -= ((ay > cy) & (by <= cy) & (left < 0)).astype(np.int64)
        dx, dy = bx - ax, by - ay
        length = dx * dx + dy * dy
        t = np.zeros(cx.shape) if length == 0 else np.clip(((cx - ax) * dx + (cy - ay) * dy) / length, 0, 1)
        close |= np.hypot(ax + t * dx - cx, ay + t * dy - cy) < EDGE_MARGIN
    inside[y0:y1, x0:x1] = winding != 0
    near[y0:y1, x0:x1] = close
    return inside, near


def rle_decode(counts, width, height):
    flat = np.zeros(width * height, dtype=bool)
    position = 0
    for i, c in enumerate(counts):
        if i % 2 == 1:
            flat[position:position + c] = True
        position += c
    if position != width * height:
        raise ValueError(f"RLE counts sum to {position}, not {width * height}")
    return flat.reshape(width, height).T  # column-major


IGNORE = -1


def segmentation_sample(sample, truth_annotations, classes, background):
    """Per-class IoU of one image; background None: pixels no annotation covers are ignored (counted for no class)."""
    width, height = sample["width"], sample["height"]
    base = IGNORE if background is None else background
    truth = np.full((height, width), base, dtype=np.int64)
    instances = []
    for a in truth_annotations:
        inside = np.zeros((height, width), dtype=bool)
        near = np.zeros((height, width), dtype=bool)
        for polygon in a["segmentation"]:
            i, n = rasterize(polygon, width, height)
            inside |= i
            near |= n
        truth[inside] = a["category_id"]
        instances.append((a["category_id"], inside, near))
    prediction = np.full((height, width), base, dtype=np.int64)
    painted = np.zeros((height, width), dtype=bool)
    for instance in sample["instances"]:
        m = rle_decode(instance["counts"], width, height)
        if (m & painted).any():
            raise ValueError(f"{sample['file_name']}: predicted instances overlap")
        painted |= m
        prediction[m] = instance["label"]
    if background is None and not painted.all():
        raise ValueError(f"{sample['file_name']}: without a background class every predicted pixel is stored, but {int((~painted).sum())} are not")
    ambiguous = np.zeros((height, width), dtype=bool)
    touched = []  # per instance: the pixels whose truth that instance may decide
    for label, inside, near in instances:
        ambiguous |= near
        touched.append((label, inside | near))
    counted = truth != IGNORE
    iou, bounds, ambiguous_definedness = {}, {}, []
    for c in classes:
        t, p = (truth == c) & counted, (prediction == c) & counted
        union = int((t | p).sum())
        inter = int((t & p).sum())
        iou[str(c)] = None if union == 0 else inter / union
        # An ambiguous pixel's truth may be the label found here, the base (background or ignored), or the label of an
        # instance near or containing it. Per pixel, the options for (intersection, union) of class c are: predicted c —
        # (1, 1) truth c, (0, 1) another class, (0, 0) ignored; predicted otherwise — (0, 1) truth c, (0, 0) else. Adding
        # (1, 1) raises a ratio ≤ 1 and (0, 1) lowers it, so the extremes take them wherever the pixel allows.
        can_c = (truth == c) | (base == c)
        can_other = ((truth != c) & (truth != IGNORE)) | (base not in (c, IGNORE))
        can_ignore = (truth == IGNORE) | (base == IGNORE)
        for label, pixels in touched:
            if label == c:
                can_c = can_c | pixels
            else:
                can_other = can_other | pixels
        can_c, can_other, can_ignore = (np.broadcast_to(x, truth.shape) for x in (can_c, can_other, can_ignore))
        a = ambiguous
        i0, u0 = int((~a & t & p).sum()), int((~a & (t | p)).sum())
        pc, po = a & (prediction == c), a & (prediction != c)
        # Highest: predicted c → (1, 1) if possible, else (0, 0), else (0, 1); otherwise (0, 0) unless the truth must be c.
        hi_i = int((pc & can_c).sum())
        hi_u = hi_i + int((pc & ~can_c & ~can_ignore).sum()) + int((po & ~can_other & ~can_ignore).sum())
        # Lowest: predicted c → (0, 1) if possible, else (0, 0), else (1, 1); otherwise (0, 1) if the truth may be c.
        lo_forced = pc & ~can_other & ~can_ignore
        lo_i = int(lo_forced.sum())
        lo_u = int((pc & can_other).sum()) + lo_i + int((po & can_c).sum())
        # The least union any decision allows: (0, 0) wherever possible.
        least = u0 + int((pc & ~can_ignore).sum()) + int((po & ~can_other & ~can_ignore).sum())
        most = u0 + int((pc & (can_c | can_other)).sum()) + int((po & can_c).sum())
        if least == 0 and most > 0:
            ambiguous_definedness.append(c)
        if u0 + hi_u == 0 or u0 + lo_u == 0:
            bounds[str(c)] = None
        else:
            bounds[str(c)] = [(i0 + lo_i) / (u0 + lo_u), (i0 + hi_i) / (u0 + hi_u)]
    defined = [v for v in iou.values() if v is not None]
    defined_bounds = [bounds[c] for c, v in iou.items() if v is not None]
    return {
        "iou": iou,
        "bounds": bounds,
        "mean_iou": float(np.mean(defined)) if defined else None,
        "mean_bounds": None if not defined_bounds or any(b is None for b in defined_bounds)
        else [float(np.mean([b[0] for b in defined_bounds])), float(np.mean([b[1] for b in defined_bounds]))],
        "ambiguous_pixels": int(ambiguous.sum()),
        "ambiguous_definedness": ambiguous_definedness,
        "ignored_pixels": int((~counted).sum()),
    }


def main(annotations_path, predictions_path, output_path):
    images, annotations = load_coco(annotations_path)
    with open(predictions_path, encoding="utf-8") as f:
        predictions = json.load(f)
    result = {"numpy": np.__version__, "detection": [], "segmentation": []}
    detection = predictions.get("detection")
    if detection:
        for sample in detection["samples"]:
            image_id = images[sample["file_name"]][0]
            out = detection_sample(sample, annotations.get(image_id, []), detection["iou_threshold"])
            out["key"] = sample["key"]
            result["detection"].append(out)
    segmentation = predictions.get("segmentation")
    if segmentation:
        for sample in segmentation["samples"]:
            image_id, width, height = images[sample["file_name"]]
            if (width, height) != (sample["width"], sample["height"]):
                raise ValueError(f"{sample['file_name']}: the prediction is {sample['width']}x{sample['height']}, the image {width}x{height}")
            out = segmentation_sample(sample, annotations.get(image_id, []), segmentation["classes"], segmentation["background"])
            out["key"] = sample["key"]
            result["segmentation"].append(out)
    with open(output_path, "w", encoding="utf-8") as f:
        json.dump(result, f)


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    main(*sys.argv[1:])
