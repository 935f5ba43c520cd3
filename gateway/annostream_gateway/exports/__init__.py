"""Export writers: a version's frames (as the annotation service streams them) → COCO, Pascal VOC, YOLO or
annostream's own JSON lines, written as they arrive into a streamed zip or ndjson body (docs/formats.md)."""
