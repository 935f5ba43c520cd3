"""Datasets service: datasets, versions (Draft/Published lineage) and their frames."""
