"""Two checks: container images are pinned, and application Deployments run enough replicas.

Both read only what readiness collects anyway (workloads' ``spec.replicas`` and their pod
templates' container images), so they work on live snapshots and on repository snapshots.
"""

from __future__ import annotations

from dataclasses import dataclass

from readiness.assess.checks import (
    CheckThresholds,
    ClusterSnapshot,
    KubeObject,
    Result,
    check,
    fraction,
    mapping,
    not_applicable,
    unknown,
    whole,
)

WORKLOAD_KINDS = ("Deployment", "StatefulSet", "DaemonSet")


@dataclass(frozen=True)
class PinnedImages:
    """example_images_pinned: tags that do not pin an image, and namespaces left out."""

    floating_tags: tuple[str, ...] = ("latest",)
    skip_namespaces: tuple[str, ...] = ("kube-system",)


@dataclass(frozen=True)
class MinReplicas:
    """example_min_replicas: the fewest replicas an application Deployment may run, and namespaces left out."""

    min_replicas: int = 2
    skip_namespaces: tuple[str, ...] = ("kube-system",)


def _images(w: KubeObject) -> list[str]:
    """The images of a workload's pod template (containers and init containers)."""
    template = mapping(w, "spec.template", mapping(w, "spec", w.spec).get("template"))
    pod = mapping(w, "spec.template.spec", template.get("spec"))
    return [str(c.get("image") or "") for key in ("initContainers", "containers")
            for c in pod.get(key) or [] if isinstance(c, dict)]


def _pinned(image: str, floating: tuple[str, ...]) -> bool:
    """A digest pins an image; else a tag that is not floating (no tag means ``latest``)."""
    if "@sha256:" in image:
        return True
    name = image.rsplit("/", 1)[-1]
    tag = name.split(":", 1)[1] if ":" in name else "latest"
    return tag not in floating


@check("example_images_pinned", thresholds=PinnedImages)
def images_pinned(ev: ClusterSnapshot, cfg: CheckThresholds) -> Result:
    """Every container image of the workloads outside ``skip_namespaces`` is pinned: a digest, or a
    tag not among ``floating_tags`` (partial: the share of workloads all of whose images are)."""
    t: PinnedImages = cfg.values
    types = [("apps", k) for k in WORKLOAD_KINDS]
    if ev.unreadable(*types):
        return unknown(f"workloads could not be read: {ev.gaps(*types)}")
    workloads = [w for k in WORKLOAD_KINDS for w in ev.items("apps", k) if w.namespace not in t.skip_namespaces]
    if not workloads:
        return not_applicable("no workloads outside the skipped namespaces")
    floating = [w for w in workloads if not all(_pinned(i, t.floating_tags) for i in _images(w))]
    reason = f"{len(workloads) - len(floating)}/{len(workloads)} workloads run pinned images"
    if floating:
        reason += f"; floating: {', '.join(w.ref for w in floating[:3])}" + (" ..." if len(floating) > 3 else "")
    return fraction(1 - len(floating) / len(workloads), reason, [w.ref for w in floating])


@check("example_min_replicas", thresholds=MinReplicas)
def min_replicas(ev: ClusterSnapshot, cfg: CheckThresholds) -> Result:
    """Every Deployment outside ``skip_namespaces`` asks for at least ``min_replicas`` replicas
    (``spec.replicas``, 1 when unset; partial: the share that does)."""
    t: MinReplicas = cfg.values
    if ev.unreadable(("apps", "Deployment")):
        return unknown(f"Deployments could not be read: {ev.gaps(('apps', 'Deployment'))}")
    deployments = [d for d in ev.items("apps", "Deployment") if d.namespace not in t.skip_namespaces]
    if not deployments:
        return not_applicable("no Deployments outside the skipped namespaces")
    replicas = {d.ref: whole(d, "spec.replicas", mapping(d, "spec", d.spec).get("replicas"), 1) for d in deployments}
    few = [ref for ref, n in replicas.items() if n < t.min_replicas]
    reason = f"{len(deployments) - len(few)}/{len(deployments)} Deployments ask for >= {t.min_replicas} replicas"
    if few:
        reason += f"; fewer: {', '.join(f'{r} ({replicas[r]})' for r in few[:3])}" + (" ..." if len(few) > 3 else "")
    return fraction(1 - len(few) / len(deployments), reason, few)
