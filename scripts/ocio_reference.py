"""OpenColorIO's own answer for the colour tests: applies a config's
processor (PyPI opencolorio, in .deps/ocio/venv, made by scripts/setup.sh)
to raw little-endian float32 RGB triples, so Retake's conversions are
compared with OpenColorIO itself on the same pixels.

  python ocio_reference.py CONFIG IN.f32 OUT.f32 space FROM TO
  python ocio_reference.py CONFIG IN.f32 OUT.f32 display FROM DISPLAY VIEW
  python ocio_reference.py CONFIG - OUT.ocio role ROLE SPACE   (a copy of
      the config with ROLE pointing at SPACE)
"""

import array
import sys

import PyOpenColorIO as ocio


def main(argv):
    config_path, src, dst, mode = argv[1:5]
    config = ocio.Config.CreateFromFile(config_path)
    if mode == "role":
        role, space = argv[5:7]
        config.setRole(role, space)
        with open(dst, "w") as f:
            f.write(config.serialize())
        return
    if mode == "space":
        processor = config.getProcessor(argv[5], argv[6])
    elif mode == "display":
        t = ocio.DisplayViewTransform(src=argv[5], display=argv[6], view=argv[7])
        processor = config.getProcessor(t)
    else:
        raise SystemExit(f"unknown mode {mode}")
    pixels = array.array("f")
    with open(src, "rb") as f:
        pixels.frombytes(f.read())
    if sys.byteorder != "little":
        pixels.byteswap()
    processor.getDefaultCPUProcessor().applyRGB(pixels)
    if sys.byteorder != "little":
        pixels.byteswap()
    with open(dst, "wb") as f:
        f.write(pixels.tobytes())


if __name__ == "__main__":
    main(sys.argv)
