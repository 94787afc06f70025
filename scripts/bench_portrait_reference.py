#!/usr/bin/env python3
"""The anchor of `popbooth bench portrait`: what a creator scripts in Python today.

MediaPipe 0.10.14 + Pillow: for each photo, detect the face, segment the person, replace the
background with the studio backdrop, crop to 4x6 around the face, and save a 300 dpi JPEG.
Prints one JSON object: the milliseconds of each photo (after one warm-up photo).

Usage: bench_portrait_reference.py BACKGROUND OUT_DIR PHOTO...
"""
import json
import sys
import time

import mediapipe as mp
import numpy as np
from PIL import Image, ImageOps


def main() -> None:
    background_path, out_dir, photos = sys.argv[1], sys.argv[2], sys.argv[3:]
    backdrop = Image.open(background_path).convert("RGB")
    detector = mp.solutions.face_detection.FaceDetection(model_selection=1, min_detection_confidence=0.5)
    segmenter = mp.solutions.selfie_segmentation.SelfieSegmentation(model_selection=0)
    times = []
    for i, path in enumerate([photos[0]] + photos):  # the first run warms up
        started = time.perf_counter()
        img = ImageOps.exif_transpose(Image.open(path)).convert("RGB")
        arr = np.asarray(img)
        h, w = arr.shape[:2]
        faces = detector.process(arr).detections or []
        mask = segmenter.process(arr).segmentation_mask
        bg = np.asarray(backdrop.resize((w, h), Image.BILINEAR))
        alpha = (mask > 0.5)[..., None]
        out = np.where(alpha, arr, bg).astype(np.uint8)
        # A 4x6 portrait crop: the face a quarter of the height, eyes near the upper third.
        if faces:
            box = faces[0].location_data.relative_bounding_box
            fx, fy, fw, fh = box.xmin * w, box.ymin * h, box.width * w, box.height * h
            ch = min(h, fh / 0.26)
            cw = ch * 4 / 6
            x0 = min(max(fx + fw / 2 - cw / 2, 0), w - cw)
            y0 = min(max(fy + fh * 0.35 - ch / 3, 0), h - ch)
        else:
            ch = min(h, w * 6 / 4)
            cw = ch * 4 / 6
            x0, y0 = (w - cw) / 2, (h - ch) / 2
        crop = Image.fromarray(out).crop((int(x0), int(y0), int(x0 + cw), int(y0 + ch)))
        crop.resize((1200, 1800), Image.LANCZOS).save(f"{out_dir}/ref-{i:03}.jpg", quality=95, dpi=(300, 300))
        if i > 0:
            times.append((time.perf_counter() - started) * 1000.0)
    print(json.dumps({"ms": times}))


if __name__ == "__main__":
    main()
