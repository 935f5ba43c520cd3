"""The datasets service's authorization checks: a loaded dataset or version against the caller (kernel policy)."""

from __future__ import annotations

from annostream_kernel.authz import authorize
from annostream_kernel.errors import NotFound
from annostream_kernel.policy import Permission

from ..domain.model import Dataset, Version


def missing_dataset(dataset_id: str) -> NotFound:
    """What an unknown (or another team's) dataset id gets."""
    return NotFound(f"no dataset {dataset_id!r}", field="dataset_id")


def missing_version(version_id: str, field: str = "version_id") -> NotFound:
    """What an unknown (or another team's) version id gets."""
    return NotFound(f"no version {version_id!r}", field=field)


def dataset_for(permission: Permission, ds: Dataset | None, dataset_id: str) -> Dataset:
    """The dataset if it exists and the caller may `permission` it; else NotFound / PermissionDenied."""
    if ds is None:
        raise missing_dataset(dataset_id)
    authorize(permission, ds.owner, missing=missing_dataset(dataset_id), what=f"dataset {dataset_id}")
    return ds


def version_for(permission: Permission, v: Version | None, version_id: str, field: str = "version_id") -> Version:
    """The version if it exists and the caller may `permission` it; else NotFound / PermissionDenied."""
    if v is None:
        raise missing_version(version_id, field)
    authorize(permission, v.owner, missing=missing_version(version_id, field), what=f"version {version_id}")
    return v
