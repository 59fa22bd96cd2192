"""The INT8 variant of an exported model: static quantisation with onnxruntime's tools (QDQ,
weights int8 per output channel, activations uint8), calibrated on training photos. Offline,
like the rest of the training; the edge picks the variant by configuration."""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static
from onnxruntime.quantization.shape_inference import quant_pre_process


class PhotoReader(CalibrationDataReader):
    def __init__(self, images: np.ndarray):
        self._batches = iter([{"image": images[i:i + 1].astype(np.float32) / 255.0} for i in range(len(images))])

    def get_next(self):
        return next(self._batches, None)


def quantize(float_path: Path, int8_path: Path, calibration: np.ndarray) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        prepared = Path(tmp) / "prepared.onnx"
        quant_pre_process(str(float_path), str(prepared), skip_symbolic_shape=True)
        quantize_static(str(prepared), str(int8_path), PhotoReader(calibration), quant_format=QuantFormat.QDQ,
                        per_channel=True, weight_type=QuantType.QInt8, activation_type=QuantType.QUInt8)
