"""Offline build and checks of the Kubernetes manifests in k8s/ (run by scripts/deploy_check.sh).

    python scripts/deploy_k8s.py render  OVERLAY --out DIR
    python scripts/deploy_k8s.py compare OVERLAY KUBECTL_OUTPUT
    python scripts/deploy_k8s.py lint    OVERLAY
    python scripts/deploy_k8s.py monitoring k8s/monitoring --workloads OVERLAY --dashboard FILE.json

`render` builds a kustomization the way `kubectl kustomize` does, for the subset of kustomize that
k8s/ uses: `resources` (files and kustomization directories), `namespace`, `images` and `patches`
holding JSON 6902 operations with a `target` (group, version, kind, name; kind and name are
anchored regular expressions). Anything else in a kustomization is an error, and so is a patch
whose target matches nothing (kustomize would silently skip it). It writes DIR/manifests.yaml with
the built-in kinds (for kubernetes-validate) and DIR/custom/<group>_<Kind>_<name>.yaml for each
custom resource (validated against a JSON schema of its own).

`compare` checks that the output of `kubectl kustomize OVERLAY` holds exactly the objects `render`
builds, so the validated manifests are the ones `kubectl apply -k` applies.

`lint` checks what schema validation cannot: references between objects (selectors, ports,
ConfigMaps, Secrets, scale targets, Ingress backends), pinned images, probes, resources, security
contexts, network isolation, and JetStream stream replicas equal to the NATS node count.

`monitoring` checks that every metric a PrometheusRule expression or a dashboard query names is exported by the
code or recorded by a rule, that alerts carry a severity and a summary, and that the PodMonitor's ports exist on
the workloads of OVERLAY (module monitoring).
"""

from __future__ import annotations

from .json6902 import apply_json6902
from .kustomize import build, compare, render
from .lint import lint, selector_matches
from .objects import DeployError, Obj

__all__ = ["DeployError", "Obj", "apply_json6902", "build", "compare", "lint", "render", "selector_matches"]
