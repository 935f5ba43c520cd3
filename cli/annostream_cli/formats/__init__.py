"""Readers of datasets in other formats (COCO, Pascal VOC, YOLO) as annostream frames for `annostream import`."""
