"""A cluster and a GitOps repository with a unique marker planted in every place a credential hides.

``Places`` hands out markers ``LEAKMARK001``, ``LEAKMARK002``, ...; each one is one place. Where the
collector keeps a field as scrubbed text (URLs, condition messages, runbook URLs) the marker sits
where a credential sits in such text (user info, a query string, a bearer token, ``password=``);
everywhere else it is the whole value.
"""

from __future__ import annotations

from typing import Any

BASE = "LEAKMARK"


class Places:
    """Hands out one fresh marker per place and remembers them."""

    def __init__(self) -> None:
        self.issued: list[str] = []

    def __call__(self) -> str:
        marker = f"{BASE}{len(self.issued) + 1:03d}"
        self.issued.append(marker)
        return marker


def _meta(m: Places, name: str, ns: str | None = "apps", **labels: str) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name, "annotations": {"team/notes": f"owner password {m()}",
                                                          "example.com/webhook": m()}}
    if ns:
        meta["namespace"] = ns
    if labels:
        meta["labels"] = labels
    return meta


def _pod_spec(m: Places) -> dict[str, Any]:
    return {
        "initContainers": [{"name": "migrate", "image": "ghcr.io/x/migrate:1",
                            "command": ["sh", "-c", f"curl -H 'Authorization: Bearer {m()}' https://api.x.io/init"],
                            "env": [{"name": "DB_PASSWORD", "value": m()}]}],
        "containers": [{
            "name": "api", "image": "ghcr.io/x/api:2",
            "args": [f"--auth={m()}", f"-p{m()}", "--token", m(), f"--dsn=postgres://app:{m()}@db/app",
                     f"https://hooks.example.com/notify?token={m()}"],
            "command": ["/bin/api", "-H", f"X-Api-Key: {m()}"],
            "env": [{"name": "PLAIN", "value": m()},
                    {"name": "FROM_SECRET", "valueFrom": {"secretKeyRef": {"name": "api-db", "key": "password"}}}],
            "readinessProbe": {"httpGet": {"path": f"/healthz?token={m()}", "port": 8080,
                                           "httpHeaders": [{"name": "Authorization", "value": m()}]}},
            "livenessProbe": {"exec": {"command": ["sh", "-c", f"check --password {m()}"]}},
            "securityContext": {"runAsNonRoot": True},
        }],
    }


def cluster_objects(m: Places) -> list[dict[str, Any]]:
    """Objects as a Kubernetes API server serves them, with markers in every class of place."""
    cond = lambda kind, msg: {"type": kind, "status": "False", "reason": "Failed", "message": msg}  # noqa: E731
    return [
        {"apiVersion": "v1", "kind": "Namespace", "metadata": _meta(m, "apps", None)},
        {"apiVersion": "v1", "kind": "Pod", "metadata": _meta(m, "api-0"), "spec": _pod_spec(m),
         "status": {"phase": "Running", "message": m(),
                    "conditions": [cond("Ready", f"probe failed: GET https://u:{m()}@api/healthz")],
                    "containerStatuses": [{"name": "api", "ready": False, "restartCount": 3, "image": "ghcr.io/x/api:2",
                                           "lastState": {"terminated": {"exitCode": 1, "reason": "Error",
                                                                        "message": f"panic: {m()}"}},
                                           "state": {"waiting": {"reason": "CrashLoopBackOff", "message": m()}}}]}},
        {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": _meta(m, "api", app="api"),
         "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "api"}},
                  "template": {"metadata": {"labels": {"app": "api"},
                                            "annotations": {"vault.hashicorp.com/agent-inject-token": m(),
                                                            "linkerd.io/inject": "enabled"}},
                               "spec": _pod_spec(m)}},
         "status": {"replicas": 2, "readyReplicas": 1,
                    "conditions": [cond("Available", f"quota: token={m()} rejected")]}},
        {"apiVersion": "batch/v1", "kind": "CronJob", "metadata": _meta(m, "dump"),
         "spec": {"schedule": "0 3 * * *", "jobTemplate": {"spec": {"template": {"spec": {
             "containers": [{"name": "dump", "image": "postgres:16",
                             "args": ["sh", "-c", f"pg_dump postgres://backup:{m()}@db/app | aws s3 cp - s3://b"]}]}}}}}},
        {"apiVersion": "v1", "kind": "Service", "metadata": _meta(m, "api"),
         "spec": {"type": "ClusterIP", "ports": [{"port": 80}], "externalName": m()}},
        # Flux sources and appliers.
        {"apiVersion": "source.toolkit.fluxcd.io/v1", "kind": "GitRepository",
         "metadata": _meta(m, "apps", "flux-system"),
         "spec": {"url": f"https://git:{m()}@git.example.com/org/apps.git", "interval": "1m",
                  "ref": {"branch": "main"}},
         "status": {"conditions": [{"type": "Ready", "status": "True", "reason": "Succeeded",
                                    "message": f"stored artifact from https://git.example.com/org/apps.git?private_token={m()}"}]}},
        {"apiVersion": "source.toolkit.fluxcd.io/v1", "kind": "HelmRepository",
         "metadata": _meta(m, "charts", "flux-system"),
         "spec": {"url": f"https://charts.example.com/index.yaml?token={m()}", "interval": "1h"}},
        {"apiVersion": "source.toolkit.fluxcd.io/v1", "kind": "OCIRepository",
         "metadata": _meta(m, "oci", "flux-system"),
         "spec": {"url": f"oci://robot:{m()}@registry.example.com/manifests", "ref": {"tag": "latest"}}},
        {"apiVersion": "kustomize.toolkit.fluxcd.io/v1", "kind": "Kustomization",
         "metadata": _meta(m, "apps", "flux-system"),
         "spec": {"path": "./apps", "prune": True, "sourceRef": {"kind": "GitRepository", "name": "apps"},
                  "patches": [{"patch": f"- op: add\n  path: /spec/x\n  value: {m()}\n",
                               "target": {"kind": "Deployment"}}],
                  "postBuild": {"substitute": {"db_password": m()},
                                "substituteFrom": [{"kind": "Secret", "name": "cluster-vars"}]}},
         "status": {"conditions": [cond("Ready", f"apply failed: Secret/apps/x data password: {m()}")]}},
        {"apiVersion": "helm.toolkit.fluxcd.io/v2", "kind": "HelmRelease",
         "metadata": _meta(m, "grafana", "monitoring"),
         "spec": {"chart": {"spec": {"chart": "grafana", "sourceRef": {"kind": "HelmRepository", "name": "charts"}}},
                  "values": {"adminPassword": m(), "ingress": {"hosts": [m()]}},
                  "valuesFrom": [{"kind": "Secret", "name": "grafana-values", "valuesKey": "values.yaml"}],
                  "postRenderers": [{"kustomize": {"patches": [{"patch": f"value: {m()}"}]}}]},
         "status": {"conditions": [{"type": "Ready", "status": "True", "reason": "InstallSucceeded",
                                    "message": f"Helm install succeeded, password={m()}"}]}},
        # Argo CD.
        {"apiVersion": "argoproj.io/v1alpha1", "kind": "Application", "metadata": _meta(m, "db", "argocd"),
         "spec": {"project": "default", "destination": {"namespace": "db", "server": "https://kubernetes.default.svc"},
                  "source": {"repoURL": f"https://ci:{m()}@git.example.com/org/db.git", "path": "db",
                             "helm": {"values": f"password: {m()}", "parameters": [{"name": "pw", "value": m()}]},
                             "plugin": {"name": "vault", "env": [{"name": "VAULT_TOKEN", "value": m()}],
                                        "parameters": [{"name": "token", "string": m()}]}}},
         "status": {"sync": {"status": "Synced"}, "health": {"status": "Healthy"},
                    "operationState": {"phase": "Failed", "message": f"one or more hooks failed: {m()}"},
                    "conditions": [{"type": "ComparisonError", "message": m()}]}},
        {"apiVersion": "argoproj.io/v1alpha1", "kind": "ApplicationSet", "metadata": _meta(m, "dbs", "argocd"),
         "spec": {"generators": [{"list": {"elements": [{"cluster": "pro", "dbPassword": m()}]}},
                                 {"plugin": {"configMapRef": {"name": "gen"}, "input": {"parameters": {"key": m()}}}}],
                  "template": {"metadata": {"name": "{{cluster}}-db"},
                               "spec": {"project": "default", "source": {"repoURL": "https://git.example.com/db.git",
                                                                         "helm": {"values": m()}}}}}},
        # Prometheus Operator.
        {"apiVersion": "monitoring.coreos.com/v1", "kind": "Prometheus", "metadata": _meta(m, "k8s", "monitoring"),
         "spec": {"replicas": 1, "remoteWrite": [{"url": f"https://metrics:{m()}@mimir.example.com/api/v1/push",
                                                  "basicAuth": {"username": {"name": "rw", "key": "user"}},
                                                  "headers": {"X-Scope-OrgID": m()}}]},
         "status": {"conditions": [{"type": "Available", "status": "True"}]}},
        {"apiVersion": "monitoring.coreos.com/v1", "kind": "Alertmanager", "metadata": _meta(m, "main", "monitoring"),
         "spec": {"replicas": 1, "alertmanagerConfiguration": {
             "name": "global", "global": {"slackApiUrl": f"https://hooks.slack.com/services/T0/B0/{m()}",
                                         "httpConfig": {"authorization": {"credentials": m(), "type": "Bearer"}},
                                         "smtp": {"authPassword": m()}}}}},
        {"apiVersion": "monitoring.coreos.com/v1alpha1", "kind": "AlertmanagerConfig",
         "metadata": _meta(m, "global", "monitoring"),
         "spec": {"route": {"receiver": "pager", "routes": [{"receiver": "slack", "matchers": [
             {"name": "severity", "value": "warning"}]}]},
                  "receivers": [{"name": "pager", "pagerdutyConfigs": [{"routingKey": m(), "serviceKey": m(),
                                                                        "url": f"https://events.pagerduty.com/{m()}"}]},
                                {"name": "slack", "slackConfigs": [{"apiURL": f"https://hooks.slack.com/services/{m()}",
                                                                    "channel": "#alerts"}]},
                                {"name": "genie", "opsgenieConfigs": [{"apiKey": m(), "apiURL": m()}]},
                                {"name": "hook", "webhookConfigs": [{"url": f"https://h.example.com/x?apikey={m()}",
                                                                     "httpConfig": {"bearerTokenSecret": m()}}]}]}},
        {"apiVersion": "monitoring.coreos.com/v1", "kind": "ServiceMonitor", "metadata": _meta(m, "api", "monitoring"),
         "spec": {"selector": {"matchLabels": {"app": "api"}},
                  "endpoints": [{"port": "http", "path": f"/metrics?token={m()}", "bearerToken": m(),
                                 "basicAuth": {"username": m(), "password": m()}, "params": {"key": [m()]}}]}},
        {"apiVersion": "monitoring.coreos.com/v1", "kind": "PodMonitor", "metadata": _meta(m, "api", "monitoring"),
         "spec": {"podMetricsEndpoints": [{"port": "http", "bearerTokenSecret": {"name": "t", "key": m()},
                                           "basicAuth": {"password": m()}, "params": {"auth": [m()]}}]}},
        {"apiVersion": "monitoring.coreos.com/v1", "kind": "Probe", "metadata": _meta(m, "site", "monitoring"),
         "spec": {"prober": {"url": f"probe:{m()}@blackbox:9115"}, "bearerToken": m(),
                  "basicAuth": {"password": m()}, "params": {"token": [m()]},
                  "targets": {"staticConfig": {"static": [f"https://site.example.com/?key={m()}"]}}}},
        {"apiVersion": "monitoring.coreos.com/v1", "kind": "PrometheusRule", "metadata": _meta(m, "api", "monitoring"),
         "spec": {"groups": [{"name": "api", "rules": [
             {"alert": "ApiDown", "expr": "up == 0", "labels": {"severity": "critical"},
              "annotations": {"runbook_url": f"https://u:{m()}@wiki.example.com/runbooks/api-down.md?t={m()}",
                              "description": m()}}]}]}},
        # Velero.
        {"apiVersion": "velero.io/v1", "kind": "BackupStorageLocation", "metadata": _meta(m, "default", "velero"),
         "spec": {"provider": "aws", "objectStorage": {"bucket": m()},
                  "config": {"s3Url": f"https://minio:{m()}@minio.example.com", "region": "eu",
                             "accessKeyId": m(), "secretAccessKey": m()},
                  "credential": {"name": "cloud", "key": "creds"}},
         "status": {"phase": "Available",
                    "message": f"BackupStorageLocation invalid: AccessDenied for key=x&Signature={m()}"}},
        {"apiVersion": "velero.io/v1", "kind": "Backup", "metadata": _meta(m, "daily-1", "velero"),
         "spec": {"storageLocation": "default"},
         "status": {"phase": "Failed", "failureReason": f"upload to https://x.s3/b?X-Amz-Signature={m()} failed"}},
        # Secrets management and certificates.
        {"apiVersion": "external-secrets.io/v1", "kind": "SecretStore", "metadata": _meta(m, "fake"),
         "spec": {"provider": {"fake": {"data": [{"key": "db", "value": m()}]}}}},
        {"apiVersion": "external-secrets.io/v1", "kind": "ClusterSecretStore", "metadata": _meta(m, "hook", None),
         "spec": {"provider": {"webhook": {"url": f"https://vault.example.com/v1/x?token={m()}",
                                           "headers": {"Authorization": m()}}}},
         "status": {"conditions": [{"type": "Ready", "status": "True", "message": f"Bearer {m()} accepted"}]}},
        {"apiVersion": "external-secrets.io/v1", "kind": "ExternalSecret", "metadata": _meta(m, "db"),
         "spec": {"secretStoreRef": {"name": "fake", "kind": "SecretStore"}, "target": {"name": "db", "template": {
             "data": {"dsn": f"postgres://app:{m()}@db/app", "password": m()}}},
                  "data": [{"secretKey": "password", "remoteRef": {"key": "db"}}]}},
        {"apiVersion": "cert-manager.io/v1", "kind": "ClusterIssuer", "metadata": _meta(m, "letsencrypt", None),
         "spec": {"acme": {"server": f"https://acme.example.com/directory?eab={m()}", "email": m(),
                           "externalAccountBinding": {"keyID": m()},
                           "solvers": [{"dns01": {"cloudflare": {"apiToken": m(), "email": m()},
                                                  "webhook": {"config": {"apiKey": m()}}}}]}},
         "status": {"conditions": [{"type": "Ready", "status": "True"}]}},
        {"apiVersion": "cert-manager.io/v1", "kind": "Issuer", "metadata": _meta(m, "vault"),
         "spec": {"vault": {"server": f"https://vault.example.com?token={m()}", "auth": {"tokenSecretRef": {
             "name": "vault", "key": m()}}}}},
        {"apiVersion": "bitnami.com/v1alpha1", "kind": "SealedSecret", "metadata": _meta(m, "db"),
         "spec": {"encryptedData": {"password": m()},
                  "template": {"metadata": {"name": "db"}, "data": {"config.yaml": f"password: {m()}"}}}},
        # Progressive delivery.
        {"apiVersion": "flagger.app/v1beta1", "kind": "Canary", "metadata": _meta(m, "api"),
         "spec": {"targetRef": {"kind": "Deployment", "name": "api"},
                  "analysis": {"webhooks": [{"name": "load", "url": f"http://tester/?token={m()}",
                                             "metadata": {"cmd": f"hey -H 'Authorization: Basic {m()}' http://api"}}]}}},
        # Something no policy lists.
        {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": _meta(m, "w"),
         "spec": {"password": m(), "endpoint": f"https://u:{m()}@x"},
         "status": {"phase": "Ready", "conditions": [cond("Ready", f"token {m()}")], "detail": m()}},
        # A Secret: served, and never requested.
        {"apiVersion": "v1", "kind": "Secret", "metadata": _meta(m, "api-db"), "data": {"password": m()}},
    ]


def repo_files(m: Places) -> dict[str, str]:
    """Files only a repository holds (repo-relative path -> text), with markers."""
    import yaml

    workflow = {
        "name": "deploy", "on": {"push": {"branches": ["main"]}},
        "env": {"REGISTRY_TOKEN": m()},
        "jobs": {"deploy": {"runs-on": "ubuntu-latest",
                            "environment": {"name": "production", "url": f"https://app.example.com/?token={m()}"},
                            "env": {"KUBE_TOKEN": m()},
                            "steps": [{"uses": "azure/k8s-deploy@v5", "with": {"token": m(), "namespace": "apps"}},
                                      {"run": f"kubectl apply -f k8s/ --token={m()}", "env": {"PW": m()}}]}},
    }
    kustomization = {"apiVersion": "kustomize.config.k8s.io/v1beta1", "kind": "Kustomization",
                     "resources": ["cluster.yaml", f"https://ci:{m()}@github.com/org/base//k8s?ref=v1"],
                     "patches": [{"patch": f"- op: replace\n  path: /data/password\n  value: {m()}\n",
                                  "target": {"kind": "ConfigMap"}}],
                     "secretGenerator": [{"name": "db", "literals": [f"password={m()}"]}],
                     "helmCharts": [{"name": "minio", "valuesInline": {"rootPassword": m()}}]}
    helmchart = {"apiVersion": "helm.cattle.io/v1", "kind": "HelmChart", "metadata": {"name": "minio"},
                 "spec": {"chart": "minio", "repo": f"https://u:{m()}@charts.example.com",
                          "valuesContent": f"rootPassword: {m()}\n", "set": {"rootPassword": m()}}}
    sloth = {"apiVersion": "sloth.slok.dev/v1", "kind": "PrometheusServiceLevel", "metadata": {"name": "api"},
             "spec": {"service": "api", "slos": [{"name": "avail", "objective": 99.9,
                                                  "description": f"see https://u:{m()}@wiki",
                                                  "sli": {"plugin": {"id": "x", "options": {"token": m()}}}}]}}
    configmap = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cfg", "annotations": {"x": m()}},
                 "data": {"url": f"postgres://u:{m()}@db"}}
    runbook = (f"---\nalerts: [ApiDown]\nlast_tested: 2026-01-01\ntoken: {m()}\n---\n"
               f"# Api down (password={m()})\n\nRun `curl -H 'Authorization: Bearer {m()}'`.\n")
    return {
        ".github/workflows/deploy.yaml": yaml.safe_dump(workflow, sort_keys=False),
        "apps/kustomization.yaml": yaml.safe_dump(kustomization),
        "apps/helmchart.yaml": yaml.safe_dump(helmchart),
        "apps/slo.yaml": yaml.safe_dump(sloth),
        "apps/configmap.yaml": yaml.safe_dump(configmap),
        "docs/runbooks/api-down.md": runbook,
    }
