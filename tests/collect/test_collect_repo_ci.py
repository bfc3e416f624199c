"""CI as repository facts: Woodpecker, GitLab stage order and manual rules, GitHub reusable workflows,
what counts as SAST and as an end-to-end test. Fixtures are our own, in the shapes of real pipelines."""

from __future__ import annotations

from pathlib import Path
from textwrap import dedent
from typing import Any

import pytest

from readiness.collect import ci
from readiness.collect.reader import Files


def workflows(root: Path, files: dict[str, str]) -> dict[str, dict[str, Any]]:
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(dedent(text).lstrip("\n"), encoding="utf-8")
    reader = Files(root)
    return {w["path"]: w for w in ci.workflows(root, reader.files, reader.yaml)}


def jobs(spec: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {j["name"]: j for j in spec["jobs"]}


def test_github_reusable_workflows_parked_files_sast_and_throwaway_clusters(tmp_path: Path) -> None:
    found = workflows(tmp_path, {
        ".github/workflows/release.yml": """
            on: {push: {branches: [main]}}
            jobs:
              checks:
                uses: ./.github/workflows/_checks.yml
              ship:
                needs: [checks]
                environment: production
                steps: [{run: "helm upgrade --install shop charts/shop"}]
            """,
        ".github/workflows/_checks.yml": """
            on: {workflow_call: {}}
            jobs:
              unit: {steps: [{run: go test ./...}]}
              scan:
                steps:
                - uses: aquasecurity/trivy-action@0.28.0
                - uses: github/codeql-action/upload-sarif@v3
            """,
        ".github/workflows/codeql.yml": """
            on: [push]
            jobs:
              analyze:
                steps: [{uses: github/codeql-action/init@v3}, {uses: github/codeql-action/analyze@v3}]
            """,
        ".github/workflows/e2e.yml": """
            on: [pull_request]
            jobs:
              kubernetes:
                steps:
                - uses: helm/kind-action@v1
                - run: flux install
                - run: kubectl apply -k clusters/staging
                - run: kubectl -n flux-system wait kustomization/apps --for=condition=ready
              validate:
                steps: [{name: Setup Flux CLI, uses: fluxcd/flux2/action@main}, {run: flux migrate -f . --yes}]
            """,
        ".github/vault/old-deploy.yml": """
            on: [push]
            jobs: {deploy: {steps: [{run: kubectl apply -f prod/}]}}
            """,
    })
    assert set(found) == {".github/workflows/release.yml", ".github/workflows/_checks.yml",
                          ".github/workflows/codeql.yml", ".github/workflows/e2e.yml"}  # vault is parked
    release = jobs(found[".github/workflows/release.yml"])
    # the calling job does what the reusable workflow's jobs do
    assert release["checks"]["calls"] == [".github/workflows/_checks.yml"]
    assert release["checks"]["does"] == ["test", "unit-test", "image-scan"]
    assert release["ship"]["does"] == ["deploy", "approval"] and release["ship"]["needs"] == ["checks"]
    assert found[".github/workflows/_checks.yml"]["triggers"] == ["workflow_call"]
    # uploading someone else's SARIF is not static analysis; CodeQL's analyze is
    assert "sast" not in jobs(found[".github/workflows/_checks.yml"])["scan"]["does"]
    assert jobs(found[".github/workflows/codeql.yml"])["analyze"]["does"] == ["sast"]
    e2e = jobs(found[".github/workflows/e2e.yml"])
    assert e2e["kubernetes"]["does"] == ["e2e-test"]  # installs into a throwaway kind cluster: a test
    assert e2e["validate"]["does"] == []  # setting up the flux CLI deploys nothing


def test_gitlab_stage_order_gates_later_stages_and_manual_rules_per_branch(tmp_path: Path) -> None:
    found = workflows(tmp_path, {".gitlab-ci.yml": """
        stages: [build, test, deploy]
        compile: {stage: build, script: [make build]}
        unit: {stage: test, script: [make test]}
        lint: {stage: test, script: [golangci-lint run]}
        deploy-staging:
          stage: deploy
          script: [helm upgrade --install shop charts/shop]
          environment: {name: staging}
        deploy-prod:
          stage: deploy
          needs: [unit]
          script: [helm upgrade --install shop charts/shop]
          environment: {name: production}
          rules:
          - if: $CI_COMMIT_BRANCH == "main"
            when: manual
          - if: $CI_COMMIT_TAG
        """})
    pipeline = jobs(found[".gitlab-ci.yml"])
    assert pipeline["unit"]["needs"] == ["compile"]
    assert pipeline["deploy-staging"]["needs"] == ["compile", "unit", "lint"]  # every earlier stage gates it
    assert pipeline["deploy-staging"]["does"] == ["deploy"] and not pipeline["deploy-staging"]["manual"]
    prod = pipeline["deploy-prod"]
    assert prod["needs"] == ["unit"]  # explicit needs replace stage order
    assert prod["manual"] and prod["manual_rules"] == ['$CI_COMMIT_BRANCH == "main"']
    assert prod["auto_rules"] == ["$CI_COMMIT_TAG"]  # on a tag it deploys by itself
    assert prod["does"] == ["deploy", "approval"]


def test_woodpecker_pipelines(tmp_path: Path) -> None:
    found = workflows(tmp_path, {
        ".woodpecker/test.yml": """
            when: [{event: [push, pull_request]}]
            steps:
              - name: unit
                image: golang:1.23
                commands: [go test ./...]
              - name: semgrep
                image: semgrep/semgrep
                commands: [semgrep scan --config auto]
            """,
        ".woodpecker/deploy.yaml": """
            when: {event: deployment, environment: production}
            depends_on: [test]
            steps:
              deploy:
                image: alpine/helm
                commands: [helm upgrade --install shop charts/shop]
                when: {branch: main}
            """,
        ".woodpecker.yml": "steps: [{name: build, image: docker, commands: [docker build .]}]\n",
    })
    assert set(found) == {".woodpecker/test.yml", ".woodpecker/deploy.yaml", ".woodpecker.yml"}
    test = found[".woodpecker/test.yml"]
    assert (test["system"], test["triggers"]) == ("woodpecker", ["push", "pull_request"])
    steps = jobs(test)
    assert steps["unit"]["does"] == ["test", "unit-test"] and steps["semgrep"]["does"] == ["sast"]
    assert steps["semgrep"]["needs"] == ["unit"]  # steps run in order
    deploy = jobs(found[".woodpecker/deploy.yaml"])["deploy"]
    assert deploy == {"name": "deploy", "does": ["deploy", "approval"], "environment": "production", "needs": [],
                      "branches": ["main"]}
    assert found[".woodpecker/deploy.yaml"]["triggers"] == ["deployment"]


@pytest.mark.parametrize(("text", "does"), [
    ("github/codeql-action/upload-sarif@v3", []),
    ("bandit -r src", ["sast"]),
    ("securego/gosec@master", ["sast"]),
    ("kind create cluster && helm install x ./chart", ["e2e-test"]),
    ("flux reconcile kustomization apps", ["deploy"]),
    ("kubectl get pods", []),
    ("Determine if should deploy\necho should_deploy=true", []),  # a question, not a deploy
    ("filters: |\nbuild:\n  - Dockerfile", []),                  # a paths-filter key, not a build
    ("🚀 Deploy to pro\n./scripts/deploy.sh", ["deploy"]),
    ("🔨 Build image\ndocker buildx build .", ["build"]),
    # GitOps deploys: a new image tag committed for Flux to apply
    ("cd deploy/overlays/dev && kustomize edit set image api=reg/api:$TAG\ngit commit -am bump\ngit push", ["deploy"]),
    ('sed -i "s|newTag: .*|newTag: $TAG|" overlays/$ENV/kustomization.yaml\ngit commit -am tag && git push',
     ["deploy"]),
    ("yq -i '.images[0].newTag = strenv(TAG)' k8s/kustomization.yaml\nuses: peter-evans/create-pull-request@v6",
     ["deploy"]),
    ("yq -i '.images[0].newTag = strenv(TAG)' k8s/kustomization.yaml", []),  # edited but never committed
    ('sed -i "s/version: .*/version: $V/" Chart.yaml\ngit push', []),      # a chart version bump deploys nothing
    # an end-to-end job committing nothing: Flux installed into a throwaway kind cluster is a test
    ("uses: helm/kind-action@v1\nflux install\nkustomize edit set image api=api:test\nkubectl apply -k .",
     ["e2e-test"]),
])
def test_activities(text: str, does: list[str]) -> None:
    assert ci.activities(text) == does


@pytest.mark.parametrize(("text", "does"), [
    ("kustomize build clusters/prod | kubeconform -strict -summary", ["validate"]),
    ("uses: fluxcd/flux-schema/actions/validate@main", ["validate"]),
    ("flux-local test --enable-helm --path clusters/prod", ["validate"]),
    ("conftest test manifests/", ["validate"]),
    ("kubectl apply --dry-run=server -f apps/", ["validate"]),
    ("helm lint charts/api", ["validate"]),
    ("git push --dry-run origin main", []),      # a dry run of something else validates no manifest
    ("yamllint -c .yamllint .", []),           # style and syntax only: no schema, no policy
    ("kustomize build overlays/prod | kubectl apply -f -", ["validate", "deploy"]),
    ("Run security analysis on manifests\nmake --always-make kubescape", ["validate", "sast"]),
    ("Build metrics-server manifests\nmake manifests-metrics-server", []),  # generated YAML is no build
    ("Build image\nmake image", ["build"]),
    ("make --always-make generate validate && git diff --exit-code", ["build", "validate"]),  # jsonnet to YAML
])
def test_manifest_validation_is_its_own_activity(text: str, does: list[str]) -> None:
    assert ci.activities(text) == does


def test_a_job_running_pre_commit_does_what_its_hooks_do(tmp_path: Path) -> None:
    found = workflows(tmp_path, {
        ".github/workflows/pre-commit.yml": """
            on: [pull_request]
            jobs:
              hooks:
                steps:
                - uses: actions/checkout@v4
                - uses: pre-commit/action@v3.0.1
              other:
                steps: [{run: echo hello}]
            """,
        ".pre-commit-config.yaml": """
            repos:
            - repo: https://github.com/adrienverge/yamllint.git
              hooks: [{id: yamllint}]
            # - repo: https://github.com/bridgecrewio/checkov.git   (commented out: not run)
            - repo: local
              hooks:
              - {id: manifests, name: validate manifests, entry: kubeconform -strict, language: system}
            """,
    })
    by = jobs(found[".github/workflows/pre-commit.yml"])
    assert by["hooks"]["does"] == ["validate"]
    assert by["other"]["does"] == []
    # without the configuration, the action alone says nothing of what it runs
    (tmp_path / ".pre-commit-config.yaml").unlink()
    again = jobs(workflows(tmp_path, {})[".github/workflows/pre-commit.yml"])
    assert again["hooks"]["does"] == []


def test_path_filters_of_github_gitlab_and_woodpecker(tmp_path: Path) -> None:
    found = workflows(tmp_path, {
        ".github/workflows/api.yml": """
            on:
              push: {branches: [main], paths: ["services/api/**", .github/workflows/api.yml]}
              pull_request: {paths: ["services/api/**"]}
              workflow_dispatch: {}
            jobs:
              test: {steps: [{run: go test ./...}]}
            """,
        # one change trigger without a filter: the workflow runs on every change
        ".github/workflows/mixed.yml": """
            on:
              push: {paths: [web/**]}
              pull_request: {}
            jobs:
              test: {steps: [{run: npm test}]}
            """,
        ".github/workflows/docs-ignored.yml": """
            on: {push: {paths-ignore: [docs/**]}}
            jobs:
              build: {steps: [{run: docker build .}]}
            """,
        ".gitlab-ci.yml": """
            unit:
              stage: test
              script: [pytest]
              rules:
                - {if: '$CI_PIPELINE_SOURCE == "merge_request_event"', changes: {paths: ["src/**/*"]}}
                - {changes: [pyproject.toml]}
                - {when: never}
            build:
              stage: build
              script: [docker build .]
              rules:
                - changes: [Dockerfile]
                - if: '$CI_COMMIT_BRANCH == "main"'
            """,
        ".woodpecker/ci.yml": """
            when: [{event: push, path: {include: ["app/**"], exclude: ["app/docs/**"]}}]
            steps:
              - {name: test, image: golang, commands: [go test ./...], when: {path: "app/core/**"}}
              - {name: build, image: golang, commands: [go build ./...]}
            """,
    })
    assert found[".github/workflows/api.yml"]["paths"] == ["services/api/**", ".github/workflows/api.yml"]
    assert "paths" not in found[".github/workflows/mixed.yml"]
    assert found[".github/workflows/docs-ignored.yml"]["paths_ignore"] == ["docs/**"]
    gitlab = jobs(found[".gitlab-ci.yml"])
    assert gitlab["unit"]["paths"] == ["src/**/*", "pyproject.toml"]
    assert "paths" not in gitlab["build"]  # the main-branch rule runs it on any change
    woodpecker = found[".woodpecker/ci.yml"]
    assert woodpecker["paths"] == ["app/**"]
    assert jobs(woodpecker)["test"]["paths"] == ["app/core/**"]
    assert "paths" not in jobs(woodpecker)["build"]


def test_github_job_conditions_give_skippable_runs_anyway_and_line(tmp_path: Path) -> None:
    found = workflows(tmp_path, {
        ".github/workflows/op.yml": """
            on:
              workflow_dispatch: {inputs: {skip-tests: {type: boolean}}}
              push: {branches: [main]}
            jobs:
              test:
                if: github.event.inputs.skip-tests != 'true'
                steps: [{run: go test ./...}]
              image:
                needs: [test]
                if: |
                  always() &&
                  (needs.test.result == 'success' || needs.test.result == 'skipped')
                steps: [{run: docker build .}]
              report:
                needs: [image]
                if: ${{ always() }}
                steps: [{run: echo done}]
              plain:
                steps: [{run: echo hi}]
            """,
    })
    op = jobs(found[".github/workflows/op.yml"])
    assert (op["test"]["skippable"], op["test"]["runs_anyway"], op["test"]["if_line"]) == (True, False, 6)
    # a block scalar: the line of its `if: |`
    assert (op["image"]["skippable"], op["image"]["runs_anyway"], op["image"]["if_line"]) == (True, True, 10)
    assert (op["report"]["skippable"], op["report"]["runs_anyway"]) == (False, True)
    assert "skippable" not in op["plain"] and "if_line" not in op["plain"]


def test_a_test_job_whose_failure_is_ignored_is_recorded_per_system(tmp_path: Path) -> None:
    found = workflows(tmp_path, {
        ".github/workflows/ci.yml": """
            on: push
            jobs:
              test: {runs-on: ubuntu-latest, continue-on-error: true, steps: [{run: go test ./...}]}
              strict: {continue-on-error: "${{ matrix.experimental }}", steps: [{run: make test}]}
            """,
        ".gitlab-ci.yml": """
            unit: {stage: test, script: [make test], allow_failure: true}
            lint: {stage: test, script: [make lint], allow_failure: false}
            """,
        ".woodpecker.yml": """
            steps:
              - {name: unit, image: golang, commands: [go test ./...], failure: ignore}
              - {name: vet, image: golang, commands: [go vet ./...], failure: fail}
            """,
    })
    github, gitlab, woodpecker = (jobs(found[p]) for p in (".github/workflows/ci.yml", ".gitlab-ci.yml",
                                                            ".woodpecker.yml"))
    assert github["test"]["ignores_failure"] == "continue-on-error: true"
    assert "ignores_failure" not in github["strict"]  # an expression: not known to be true
    assert gitlab["unit"]["ignores_failure"] == "allow_failure" and "ignores_failure" not in gitlab["lint"]
    assert woodpecker["unit"]["ignores_failure"] == "failure: ignore" and "ignores_failure" not in woodpecker["vet"]


def test_tests_run_so_that_they_cannot_fail_the_job_ignore_failure(tmp_path: Path) -> None:
    found = workflows(tmp_path, {
        ".github/workflows/ci.yml": """
            on: push
            jobs:
              swallowed:
                steps: [{run: "go test -race ./... 2>&1 | tee test-output.txt || true"}]
              step-lenient:
                steps: [{run: pytest -q, continue-on-error: true}, {run: echo done}]
              strict:
                steps: [{run: "go test ./...\\nmake lint || true"}]
            """,
        ".gitlab-ci.yml": """
            unit: {stage: test, script: ["pytest -q || exit 0"]}
            """,
    })
    github, gitlab = jobs(found[".github/workflows/ci.yml"]), jobs(found[".gitlab-ci.yml"])
    assert github["swallowed"]["ignores_failure"] == "go test ... || true"
    assert github["step-lenient"]["ignores_failure"] == "pytest ... || true"
    assert "ignores_failure" not in github["strict"]  # the lint is lenient, the tests are not
    assert gitlab["unit"]["ignores_failure"] == "pytest ... || exit 0"


def test_linters_whose_configuration_enables_a_security_analyser_do_sast(tmp_path: Path) -> None:
    found = workflows(tmp_path, {
        ".github/workflows/go.yml": """
            on: [push]
            env: {SVC: services/api}
            jobs:
              lint:
                defaults: {run: {working-directory: "${{ env.SVC }}/cmd"}}
                steps:
                - uses: golangci/golangci-lint-action@v6
                  with: {working-directory: "${{ env.SVC }}/cmd", args: --timeout=5m --config=../lint.yml}
                  continue-on-error: true
              vet:
                steps:
                - run: golangci-lint run ./...
                  working-directory: tools/cmd
              everything:
                steps: [{run: golangci-lint run -c tools/all.yml}]
              cli:
                steps: [{run: golangci-lint run -E gosec,errcheck}]
              unresolved:
                steps:
                - uses: golangci/golangci-lint-action@v6
                  with: {working-directory: "${{ inputs.dir }}", args: --config=../lint.yml}
            """,
        ".github/workflows/py.yml": """
            on: [push]
            jobs:
              ruff:
                steps: [{run: "pip install ruff mypy\\nruff check app", working-directory: app}]
              plain:
                steps: [{run: "pip install ruff\\nruff format --check ."}]
            """,
        "services/api/lint.yml": "linters:\n  enable: [govet, gosec]\n",
        # found in the parent of tools/cmd: golangci-lint searches upwards
        "tools/.golangci.yaml": "linters:\n  enable-all: true\n  disable: [gosec]\n",
        "tools/all.yml": "version: '2'\nlinters:\n  default: all\n",
        "app/pyproject.toml": "[project]\nname = 'app'\n",  # no [tool.ruff]: ruff looks further up
        "ruff.toml": "[lint]\nextend-select = ['S608', 'B']\n",
    })
    go = jobs(found[".github/workflows/go.yml"])
    assert go["lint"]["does"] == ["sast"]
    assert go["lint"]["sast"] == [{"tool": "golangci-lint", "analyser": "gosec", "config": "services/api/lint.yml",
                                   "blocking": False}]
    assert "sast" not in go["vet"]  # enable-all, but gosec disabled in tools/.golangci.yaml
    assert go["vet"]["does"] == []
    assert go["everything"]["sast"][0]["config"] == "tools/all.yml"
    assert go["cli"]["sast"] == [{"tool": "golangci-lint", "analyser": "gosec", "config": "command line",
                                  "blocking": True}]
    assert go["unresolved"]["does"] == []  # the working directory is an input: nothing says what it reads
    py = jobs(found[".github/workflows/py.yml"])
    assert py["ruff"]["sast"] == [{"tool": "ruff", "analyser": "flake8-bandit (S rules)", "config": "ruff.toml",
                                   "blocking": True}]
    assert py["plain"]["does"] == []  # installing ruff and formatting analyse nothing for security


@pytest.mark.parametrize(("files", "count"), [
    ({"apps/podinfo.yaml": "kind: HelmRelease\n", "scripts/validate.sh": "", "hack/gen.py": "",
      "Makefile": "lint:\n\tyamllint .\nVERSION := 1\n"}, 0),
    ({"Makefile": "lint:\n\tyamllint .\nbuild: lint\n\tgo build ./...\n"}, 1),
    ({"api/Dockerfile.dev": "", "cmd/main.go": "", "web/package.json": "{}"}, 3),
])
def test_build_inputs(tmp_path: Path, files: dict[str, str], count: int) -> None:
    from readiness.collect import facts
    from readiness.collect.reader import walk

    for rel, text in files.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text, encoding="utf-8")
    kind, name, spec = facts.build_inputs(tmp_path, walk(tmp_path))
    assert (kind, name, spec["count"], len(spec["files"])) == ("BuildInputs", "build-inputs", count, count)
    assert "go.mod" in spec["looked_for"]


def test_a_job_that_only_reports_other_jobs_results_does_nothing_itself(tmp_path: Path) -> None:
    found = workflows(tmp_path, {
        ".github/workflows/ci.yml": """
            on: [pull_request]
            jobs:
              e2e:
                steps: [{uses: helm/kind-action@v1}, {run: make test-e2e}]
              e2e-result:
                name: End-to-End Test Results
                needs: [e2e]
                if: always()
                steps:
                - {name: Mark the job as a success, if: "needs.e2e.result == 'success'", run: exit 0}
                - {name: Mark the job as a failure, if: "needs.e2e.result != 'success'", run: exit 1}
            """,
    })
    by = jobs(found[".github/workflows/ci.yml"])
    assert by["e2e"]["does"] == ["test", "e2e-test"]  # make test-e2e in a kind cluster
    assert by["e2e-result"]["does"] == []  # named for end-to-end tests, but it runs none
