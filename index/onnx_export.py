"""Export the embedding model's transformer to ONNX, in a process of its own.

Run as ``python -m index.onnx_export TARGET`` by :meth:`index.encoder.OnnxEncoder.from_cache`:
the export needs torch, sentence-transformers and onnx, and tracing the model
takes about 300 MiB, none of which a serving or building process should keep.
The file is written under a temporary name and renamed, so a killed export
never leaves half a model behind, and two exports at once cannot mix.
"""

from __future__ import annotations

import logging
import os
import sys
import warnings
from pathlib import Path
from typing import Any

from index.encoder import MODEL_NAME, ONNX_INPUTS, ONNX_OPSET, load_model

logger = logging.getLogger(__name__)


def export_onnx(target: Path) -> Path:
    """Export the model's transformer to ONNX (float32) at ``target``; needs torch and onnx once."""
    import torch

    class _LastHiddenState(torch.nn.Module):
        def __init__(self, transformer: Any) -> None:
            super().__init__()
            self.transformer = transformer

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            return self.transformer(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state

    target.parent.mkdir(parents=True, exist_ok=True)  # first: a target that cannot be written fails fast
    model = load_model()
    sample = model.tokenizer(["an example", "a second, longer example"], padding=True, return_tensors="pt")
    partial = target.with_name(f"{target.name}.{os.getpid()}.partial")
    axes = {name: {0: "batch", 1: "tokens"} for name in (*ONNX_INPUTS, "last_hidden_state")}
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tracer warnings about shape-dependent branches
        torch.onnx.export(
            _LastHiddenState(model[0].auto_model).eval(),  # restored afterwards: eval, or dropout stays on
            tuple(sample[name] for name in ONNX_INPUTS),
            str(partial),
            input_names=list(ONNX_INPUTS),
            output_names=["last_hidden_state"],
            dynamic_axes=axes,
            opset_version=ONNX_OPSET,
            dynamo=False,
        )
    os.replace(partial, target)  # a killed export never leaves a half-written model behind
    logger.info("Exported %s to ONNX at %s", MODEL_NAME, target)
    return target


def main(argv: list[str]) -> int:
    """Export to the one path given."""
    if len(argv) != 1:
        print("usage: python -m index.onnx_export TARGET", file=sys.stderr)
        return 2
    export_onnx(Path(argv[0]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
