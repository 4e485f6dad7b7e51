#!/usr/bin/env python3
"""Generate the fixture models (inpainting, depth) used by Retake's tests.

These are TEST FIXTURES, not real models: tiny ONNX graphs with no trained
weights that fill a hole by normalised convolution (the blurred known
pixels divided by the blurred known-pixel weight, over three scales: a
local blur, a blur at 1/8 resolution and the global mean), then keep the
known pixels as they were. They have the same input/output contracts as the
real models described in models/migan.toml and models/lama.toml, so the
learned-inpainting code path can be tested where those cannot be
downloaded.

Writes, into tests/fixtures/models/ (next to this checkout's scripts/):
  fixture-migan.onnx + fixture-migan.toml   MI-GAN contract: u8 image
      [1,3,H,W] "image", u8 mask [1,1,H,W] "mask" (255 = keep, 0 = hole),
      u8 output "result" [1,3,H,W]; any size.
  fixture-lama.onnx + fixture-lama.toml     LaMa contract: f32 image
      [1,3,512,512] in 0..1, f32 mask [1,1,512,512] (1 = hole), f32 output
      "output" [1,3,512,512] in 0..255.
  fixture-depth-anything.onnx + .toml       Depth Anything V2 contract:
      ImageNet-normalised f32 "pixel_values" [1,3,518,518], f32
      "predicted_depth" [1,518,518] relative inverse depth (a receding
      floor plus blurred brightness).

Run it from the checkout's root (needs the `onnx` and `numpy` packages;
nothing else, no network):

    pip install --target /tmp/onnxpy onnx numpy
    PYTHONPATH=/tmp/onnxpy python3 scripts/make_fixture_models.py

The output is deterministic: running it again gives the same bytes and the
same sha256 in the manifests. Add --check to also run both graphs with the
onnx reference evaluator on a small picture.
"""

import hashlib
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

# ONNX Runtime 1.31 runs opset 17 and IR version 8 without question.
OPSET = 17
IR_VERSION = 8
PRODUCER = "retake scripts/make_fixture_models.py"

# Blur sizes of the three scales and how much the coarser ones count. The
# fine blur dominates wherever known pixels are near; the coarse ones take
# over deep inside a wide hole, so the fill never divides by zero while any
# pixel is known.
FINE_KERNEL = 15
FINE_PASSES = 2
COARSE_FACTOR = 8
COARSE_KERNEL = 9
COARSE_PASSES = 2
COARSE_WEIGHT = 1e-2
GLOBAL_WEIGHT = 1e-4
EPSILON = 1e-12

# The depth fixture: Depth Anything V2's input size and normalisation, how
# much the floor ramp and the brightness count, and the blur of the latter.
DEPTH_SIZE = 518
DEPTH_MEAN = [0.485, 0.456, 0.406]
DEPTH_STD = [0.229, 0.224, 0.225]
LUMA = [0.2126, 0.7152, 0.0722]
RAMP_WEIGHT = 4.0
BRIGHTNESS_WEIGHT = 2.0
DEPTH_KERNEL = 31
DEPTH_PASSES = 2

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT_DIR = os.path.join(ROOT, "tests", "fixtures", "models")


class Graph:
    """A tiny builder: unique node names, constants as initializers."""

    def __init__(self):
        self.nodes = []
        self.inits = []
        self.count = 0

    def name(self, base):
        self.count += 1
        return f"{base}_{self.count}"

    def op(self, op_type, inputs, **attrs):
        out = self.name(op_type.lower())
        self.nodes.append(
            helper.make_node(op_type, inputs, [out], name=out, **attrs)
        )
        return out

    def const(self, value, dtype=np.float32):
        name = self.name("const")
        self.inits.append(numpy_helper.from_array(np.array(value, dtype=dtype), name))
        return name

    def box_blur(self, x, kernel, passes):
        """Separable box blur, clipped at the borders (count_include_pad = 0),
        repeated: close to a Gaussian and cheap at any kernel size."""
        r = kernel // 2
        for _ in range(passes):
            x = self.op("AveragePool", [x], kernel_shape=[1, kernel], pads=[0, r, 0, r])
            x = self.op("AveragePool", [x], kernel_shape=[kernel, 1], pads=[r, 0, r, 0])
        return x

    def fill(self, image, known):
        """Normalised-convolution fill of `image` [1,3,H,W] (float) where
        `known` [1,1,H,W] is 1, then the known pixels put back: the result
        is known ? image : fill."""
        weighted = self.op("Mul", [image, known])
        stack = self.op("Concat", [weighted, known], axis=1)  # [1,4,H,W]
        fine = self.box_blur(stack, FINE_KERNEL, FINE_PASSES)
        small = self.op(
            "AveragePool",
            [stack],
            kernel_shape=[COARSE_FACTOR, COARSE_FACTOR],
            strides=[COARSE_FACTOR, COARSE_FACTOR],
            ceil_mode=1,
        )
        small = self.box_blur(small, COARSE_KERNEL, COARSE_PASSES)
        coarse = self.op(
            "Resize",
            [small, "", "", self.op("Shape", [stack])],
            mode="linear",
            coordinate_transformation_mode="half_pixel",
        )
        mean = self.op("ReduceMean", [stack], axes=[2, 3], keepdims=1)
        total = self.op(
            "Add",
            [
                self.op("Add", [fine, self.op("Mul", [coarse, self.const(COARSE_WEIGHT)])]),
                self.op("Mul", [mean, self.const(GLOBAL_WEIGHT)]),
            ],
        )
        split = self.name("split")
        num, den = split + "_num", split + "_den"
        self.nodes.append(
            helper.make_node(
                "Split",
                [total, self.const([3, 1], np.int64)],
                [num, den],
                name=split,
                axis=1,
            )
        )
        filled = self.op("Div", [num, self.op("Add", [den, self.const(EPSILON)])])
        hole = self.op("Sub", [self.const(1.0), known])
        return self.op("Add", [weighted, self.op("Mul", [filled, hole])])


def depth_anything_fixture():
    """Depth Anything V2's contract: ImageNet-normalised f32 [1,3,518,518]
    in, relative inverse depth [1,518,518] out. The fixed function is a
    floor receding to the top of frame (a vertical ramp, nearer at the
    bottom) plus the heavily blurred brightness (brighter = nearer), so
    the result depends on the picture and is smooth, like a real model's."""
    g = Graph()
    mean = g.const(np.array(DEPTH_MEAN, np.float32).reshape(1, 3, 1, 1))
    std = g.const(np.array(DEPTH_STD, np.float32).reshape(1, 3, 1, 1))
    rgb = g.op("Add", [g.op("Mul", ["pixel_values", std]), mean])
    weights = g.const(np.array(LUMA, np.float32).reshape(1, 3, 1, 1))
    luma = g.op("ReduceSum", [g.op("Mul", [rgb, weights]), g.const([1], np.int64)], keepdims=1)
    smooth = g.box_blur(luma, DEPTH_KERNEL, DEPTH_PASSES)
    ramp = np.linspace(0.0, 1.0, DEPTH_SIZE, dtype=np.float32).reshape(1, 1, DEPTH_SIZE, 1)
    disparity = g.op(
        "Add",
        [
            g.op("Add", [g.const(1.0), g.op("Mul", [g.const(ramp), g.const(RAMP_WEIGHT)])]),
            g.op("Mul", [smooth, g.const(BRIGHTNESS_WEIGHT)]),
        ],
    )
    out = g.op("Squeeze", [disparity, g.const([1], np.int64)])
    return finish(
        g,
        out,
        "predicted_depth",
        [
            helper.make_tensor_value_info(
                "pixel_values", TensorProto.FLOAT, [1, 3, DEPTH_SIZE, DEPTH_SIZE]
            )
        ],
        [
            helper.make_tensor_value_info(
                "predicted_depth", TensorProto.FLOAT, [1, DEPTH_SIZE, DEPTH_SIZE]
            )
        ],
        "TEST FIXTURE, not a real model: a receding floor plus blurred brightness "
        "as relative inverse depth, with Depth Anything V2's tensor contract. "
        "Made by scripts/make_fixture_models.py.",
    )


def finish(g, result, output, inputs, outputs, doc):
    g.nodes.append(helper.make_node("Identity", [result], [output], name="result"))
    graph = helper.make_graph(g.nodes, "fixture", inputs, outputs, initializer=g.inits)
    model = helper.make_model(
        graph,
        opset_imports=[helper.make_opsetid("", OPSET)],
        producer_name=PRODUCER,
        doc_string=doc,
    )
    model.ir_version = IR_VERSION
    onnx.checker.check_model(model, full_check=True)
    return model


def migan_fixture():
    g = Graph()
    image = g.op("Cast", ["image"], to=TensorProto.FLOAT)
    maskf = g.op("Cast", ["mask"], to=TensorProto.FLOAT)
    # 255 = keep; anything below the middle counts as hole.
    known = g.op(
        "Cast", [g.op("Greater", [maskf, g.const(127.5)])], to=TensorProto.FLOAT
    )
    out = g.fill(image, known)
    out = g.op("Clip", [g.op("Round", [out]), g.const(0.0), g.const(255.0)])
    out = g.op("Cast", [out], to=TensorProto.UINT8)
    vi = lambda name, c: helper.make_tensor_value_info(
        name, TensorProto.UINT8, [1, c, "height", "width"]
    )
    return finish(
        g,
        out,
        "result",
        [vi("image", 3), vi("mask", 1)],
        [vi("result", 3)],
        "TEST FIXTURE, not a real model: normalised-convolution fill with the "
        "MI-GAN pipeline's tensor contract. Made by scripts/make_fixture_models.py.",
    )


def lama_fixture():
    g = Graph()
    # 1 = hole; anything below the middle counts as known.
    known = g.op(
        "Cast", [g.op("Less", ["mask", g.const(0.5)])], to=TensorProto.FLOAT
    )
    out = g.op("Mul", [g.fill("image", known), g.const(255.0)])
    vi = lambda name, c: helper.make_tensor_value_info(
        name, TensorProto.FLOAT, [1, c, 512, 512]
    )
    return finish(
        g,
        out,
        "output",
        [vi("image", 3), vi("mask", 1)],
        [vi("output", 3)],
        "TEST FIXTURE, not a real model: normalised-convolution fill with the "
        "LaMa (Carve ONNX export) tensor contract. Made by scripts/make_fixture_models.py.",
    )


COMMON_DEPTH = """licence = "Apache-2.0, as Retake itself: a test fixture generated by scripts/make_fixture_models.py, with no third-party weights"
source = "Test fixture generated by scripts/make_fixture_models.py in this repository. Not a real model: a fixed ramp plus blurred brightness, no learned weights."
training_data = "none (not trained; a fixed function for tests)"
fixture = true
"""

COMMON = """licence = "Apache-2.0, as Retake itself: a test fixture generated by scripts/make_fixture_models.py, with no third-party weights"
source = "Test fixture generated by scripts/make_fixture_models.py in this repository. Not a real model: a fixed normalised-convolution fill with no learned weights."
training_data = "none (not trained; a fixed normalised-convolution fill for tests)"
fixture = true
"""

MIGAN_TOML = """# TEST FIXTURE, not a real model: generated by scripts/make_fixture_models.py.
# Same tensor contract as models/migan.toml (MI-GAN pipeline).
name = "fixture-migan"
role = "inpaint"
file = "fixture-migan.onnx"
sha256 = "{sha}"
{common}description = "Test fixture with the MI-GAN pipeline's contract: fills the hole by normalised convolution (blurred known pixels over blurred known weight). Not a real model; for tests only."

[[inputs]]
name = "image"
dtype = "u8"
shape = [1, 3, -1, -1]
layout = "nchw"
encoding = "srgb"
range = [0.0, 255.0]
description = "RGB picture, any size, 8-bit sRGB values"

[[inputs]]
name = "mask"
dtype = "u8"
shape = [1, 1, -1, -1]
layout = "nchw"
range = [0.0, 255.0]
mask = "keep"
description = "mask, same size as the image: 255 = keep (known pixel), 0 = hole to fill"

[[outputs]]
name = "result"
dtype = "u8"
shape = [1, 3, -1, -1]
layout = "nchw"
encoding = "srgb"
range = [0.0, 255.0]
description = "the whole picture with the hole filled, 8-bit sRGB RGB"
"""

LAMA_TOML = """# TEST FIXTURE, not a real model: generated by scripts/make_fixture_models.py.
# Same tensor contract as models/lama.toml (LaMa, Carve's ONNX export).
name = "fixture-lama"
role = "inpaint"
file = "fixture-lama.onnx"
sha256 = "{sha}"
{common}description = "Test fixture with LaMa's contract (fixed 512x512, 1 = hole, output in 0..255): fills the hole by normalised convolution. Not a real model; for tests only."

[[inputs]]
name = "image"
dtype = "f32"
shape = [1, 3, 512, 512]
layout = "nchw"
encoding = "srgb"
range = [0.0, 1.0]
description = "RGB picture scaled to [0, 1]"

[[inputs]]
name = "mask"
dtype = "f32"
shape = [1, 1, 512, 512]
layout = "nchw"
range = [0.0, 1.0]
mask = "hole"
description = "mask: 1 = hole to fill, 0 = keep"

[[outputs]]
name = "output"
dtype = "f32"
shape = [1, 3, 512, 512]
layout = "nchw"
encoding = "srgb"
range = [0.0, 255.0]
description = "filled RGB in 0..255 (not 0..1)"

[size]
fixed = [512, 512]
"""


DEPTH_TOML = """# TEST FIXTURE, not a real model: generated by scripts/make_fixture_models.py.
# Same tensor contract as models/depth-anything-v2-small.toml.
name = "fixture-depth-anything"
role = "depth"
file = "fixture-depth-anything.onnx"
sha256 = "{sha}"
{common}description = "Test fixture with Depth Anything V2's contract: relative inverse depth = 1 + 4 x (row from top, 0..1) + 2 x (blurred brightness). Not a real model; for tests and benchmarks only."

[[inputs]]
name = "pixel_values"
dtype = "f32"
shape = [1, 3, 518, 518]
layout = "nchw"
encoding = "srgb"
range = [0.0, 1.0]
mean = [0.485, 0.456, 0.406]
std = [0.229, 0.224, 0.225]
description = "RGB picture resized to 518x518, scaled to [0, 1], then ImageNet-normalised"

[[outputs]]
name = "predicted_depth"
dtype = "f32"
shape = [1, 518, 518]
range = [0.0, inf]
description = "relative inverse depth, larger = nearer"

[size]
fixed = [518, 518]
"""


def write(stem, model, template):
    data = model.SerializeToString(deterministic=True)
    onnx_path = os.path.join(OUT_DIR, stem + ".onnx")
    with open(onnx_path, "wb") as f:
        f.write(data)
    sha = hashlib.sha256(data).hexdigest()
    with open(os.path.join(OUT_DIR, stem + ".toml"), "w") as f:
        f.write(template.format(sha=sha, common=COMMON))
    print(f"{os.path.relpath(onnx_path, ROOT)}: {len(data)} bytes, sha256 {sha}")


def check(migan, lama):
    """Run both graphs on a two-colour picture with a hole across the edge;
    the fill must lie between the colours and known pixels stay."""
    from onnx.reference import ReferenceEvaluator

    h, w = 40, 64
    img = np.zeros((1, 3, h, w), np.float32)
    img[:, :, :, : w // 2] = 0.2
    img[:, :, :, w // 2 :] = 0.8
    hole = np.zeros((1, 1, h, w), bool)
    hole[:, :, 10:30, 20:44] = True
    out = ReferenceEvaluator(migan).run(
        None,
        {
            "image": np.round(img * 255).astype(np.uint8),
            "mask": np.where(hole, 0, 255).astype(np.uint8),
        },
    )[0]
    assert out.dtype == np.uint8 and out.shape == img.shape
    known = np.broadcast_to(~hole, img.shape)
    assert np.array_equal(out[known], np.round(img * 255).astype(np.uint8)[known])
    fill = out[np.broadcast_to(hole, img.shape)]
    assert fill.min() >= 51 and fill.max() <= 204, (fill.min(), fill.max())
    big = np.zeros((1, 3, 512, 512), np.float32)
    big[:, :, :, :256] = 0.2
    big[:, :, :, 256:] = 0.8
    bhole = np.zeros((1, 1, 512, 512), np.float32)
    bhole[:, :, 100:400, 150:350] = 1.0
    out = ReferenceEvaluator(lama).run(None, {"image": big, "mask": bhole})[0]
    fill = out[np.broadcast_to(bhole > 0, big.shape)] / 255.0
    assert fill.min() >= 0.2 - 1e-4 and fill.max() <= 0.8 + 1e-4, (fill.min(), fill.max())
    print("reference evaluator: both fixtures fill between the colours")


def check_depth(depth):
    """On a uniform grey picture the depth fixture is the bare ramp:
    nearer (larger) at the bottom, constant along each row."""
    from onnx.reference import ReferenceEvaluator

    grey = np.full((1, 3, DEPTH_SIZE, DEPTH_SIZE), 0.5, np.float32)
    grey = (grey - np.array(DEPTH_MEAN, np.float32).reshape(1, 3, 1, 1)) / np.array(
        DEPTH_STD, np.float32
    ).reshape(1, 3, 1, 1)
    out = ReferenceEvaluator(depth).run(None, {"pixel_values": grey})[0]
    assert out.shape == (1, DEPTH_SIZE, DEPTH_SIZE), out.shape
    assert np.allclose(out[0, :, 0], out[0, :, -1], atol=1e-4)
    assert abs(out[0, -1, 0] - out[0, 0, 0] - RAMP_WEIGHT) < 1e-3, out[0, [0, -1], 0]
    print("reference evaluator: the depth fixture is a ramp on a flat picture")


def main():
    os.makedirs(OUT_DIR, exist_ok=True)
    migan = migan_fixture()
    lama = lama_fixture()
    write("fixture-migan", migan, MIGAN_TOML)
    write("fixture-lama", lama, LAMA_TOML)
    depth = depth_anything_fixture()
    write("fixture-depth-anything", depth, DEPTH_TOML.replace("{common}", COMMON_DEPTH))
    if "--check" in sys.argv[1:]:
        check(migan, lama)
        check_depth(depth)


if __name__ == "__main__":
    main()
