# Sourced (not run) by the scripts that need OpenCV for their baselines
# (eval_remove.sh, bench.sh): makes sure the venv $venv holds OpenCV and
# numpy. A venv keeps them out of the system Python.
venv=.deps/eval-venv
if ! "$venv/bin/python" -c 'import cv2, numpy' 2>/dev/null; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check opencv-python-headless numpy
fi
