"""Server-side apply as the Python client does it: `utils.create_from_yaml(..., apply=True)`
(manager `python-client`) and the DynamicClient's `server_side_apply`, both a PATCH with
`application/apply-patch+yaml` and `fieldManager`."""

import copy
import json

import pytest
from kubernetes import utils
from kubernetes.client.rest import ApiException

APPLIED = {
    "apiVersion": "apps/v1",
    "kind": "Deployment",
    "metadata": {"name": "applied", "labels": {"app": "applied"}},
    "spec": {
        "replicas": 1,
        "selector": {"matchLabels": {"app": "applied"}},
        "template": {
            "metadata": {"labels": {"app": "applied"}},
            "spec": {"containers": [{"name": "web", "image": "nginx:1.25"}]},
        },
    },
}


def test_server_side_apply_with_create_from_yaml(api_client, apps, namespace):
    [[created]] = utils.create_from_yaml(
        api_client, yaml_objects=[copy.deepcopy(APPLIED)], apply=True, namespace=namespace
    )
    assert created.metadata.namespace == namespace
    assert created.metadata.generation == 1
    assert apps.read_namespaced_deployment("applied", namespace).spec.replicas == 1

    # Someone else labels it; a second apply changes replicas and keeps that label.
    apps.patch_namespaced_deployment("applied", namespace, {"metadata": {"labels": {"x": "y"}}})
    changed = copy.deepcopy(APPLIED)
    changed["spec"]["replicas"] = 3
    [[updated]] = utils.create_from_yaml(
        api_client, yaml_objects=[changed], apply=True, namespace=namespace
    )
    assert updated.metadata.uid == created.metadata.uid
    after = apps.read_namespaced_deployment("applied", namespace)
    assert after.spec.replicas == 3
    assert after.metadata.labels == {"app": "applied", "x": "y"}


def test_server_side_apply_through_dynamic_client(dynamic_client, core, namespace):
    config_maps = dynamic_client.resources.get(api_version="v1", kind="ConfigMap")
    body = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "ssa"},
            "data": {"owner": "python"}}
    created = config_maps.server_side_apply(body=body, namespace=namespace, field_manager="tests")
    assert created.data.owner == "python"
    body["data"]["extra"] = "1"
    config_maps.server_side_apply(body=body, namespace=namespace, field_manager="tests")
    assert core.read_namespaced_config_map("ssa", namespace).data == {
        "owner": "python", "extra": "1"
    }


def raw_apply(api_client, path, body, field_manager=None):
    """PATCHes `body` (text) as `application/apply-patch+yaml` through the client's own request
    path and auth; returns (HTTP status, parsed JSON answer)."""
    query = [("fieldManager", field_manager)] if field_manager else None
    request = api_client.param_serialize(
        "PATCH", path, query_params=query,
        header_params={"Content-Type": "application/apply-patch+yaml",
                       "Accept": "application/json"},
        body=body, auth_settings=["BearerToken"],
    )
    response = api_client.call_api(*request)
    return response.status, json.loads(response.read())


def test_raw_apply_creates_with_201_then_updates_with_200(api_client, core, namespace):
    # JSON text, as kubectl and the Python client send it (JSON is YAML).
    path = f"/api/v1/namespaces/{namespace}/configmaps/raw"
    body = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "raw"},
            "data": {"answer": "42"}}
    status, created = raw_apply(api_client, path, json.dumps(body), field_manager="raw")
    assert (status, created["data"]) == (201, {"answer": "42"})
    body["data"]["answer"] = "43"
    status, updated = raw_apply(api_client, path, json.dumps(body), field_manager="raw")
    assert (status, updated["metadata"]["uid"]) == (200, created["metadata"]["uid"])
    assert core.read_namespaced_config_map("raw", namespace).data == {"answer": "43"}


def test_raw_apply_with_a_yaml_text_body(api_client, core, namespace):
    manifest = """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: from-yaml
data:
  answer: "42"
"""
    path = f"/api/v1/namespaces/{namespace}/configmaps/from-yaml"
    status, created = raw_apply(api_client, path, manifest, field_manager="raw-yaml")
    assert status == 201, created
    assert core.read_namespaced_config_map("from-yaml", namespace).data == {"answer": "42"}


def test_apply_without_field_manager_is_invalid(api_client, namespace):
    # kube-apiserver validates PatchOptions: a missing fieldManager is 422 Invalid.
    path = f"/api/v1/namespaces/{namespace}/configmaps/no-manager"
    status, answer = raw_apply(
        api_client, path, "{apiVersion: v1, kind: ConfigMap, metadata: {name: no-manager}}"
    )
    assert (status, answer["reason"]) == (422, "Invalid")
    assert "fieldManager" in answer["message"]


def test_apply_records_its_field_manager(api_client, apps, namespace):
    utils.create_from_yaml(api_client, yaml_objects=[copy.deepcopy(APPLIED)], apply=True,
                           namespace=namespace)
    managed = apps.read_namespaced_deployment("applied", namespace).metadata.managed_fields or []
    assert [(m.manager, m.operation, m.api_version, m.fields_type) for m in managed] == [
        ("python-client", "Apply", "apps/v1", "FieldsV1")
    ]


def test_apply_by_another_manager_conflicts_unless_forced(api_client, dynamic_client, apps,
                                                          namespace):
    utils.create_from_yaml(api_client, yaml_objects=[copy.deepcopy(APPLIED)], apply=True,
                           namespace=namespace)
    deployments = dynamic_client.resources.get(api_version="apps/v1", kind="Deployment")
    theirs = copy.deepcopy(APPLIED)
    theirs["spec"]["replicas"] = 5
    with pytest.raises(ApiException) as conflict:
        deployments.server_side_apply(body=theirs, namespace=namespace, field_manager="other")
    assert conflict.value.status == 409
    deployments.server_side_apply(body=theirs, namespace=namespace, field_manager="other",
                                  force_conflicts=True)
    assert apps.read_namespaced_deployment("applied", namespace).spec.replicas == 5


def test_field_dropped_from_applied_config_is_removed(api_client, apps, namespace):
    labelled = copy.deepcopy(APPLIED)
    labelled["metadata"]["labels"]["temporary"] = "yes"
    utils.create_from_yaml(api_client, yaml_objects=[labelled], apply=True, namespace=namespace)
    utils.create_from_yaml(api_client, yaml_objects=[copy.deepcopy(APPLIED)], apply=True,
                           namespace=namespace)
    assert apps.read_namespaced_deployment("applied", namespace).metadata.labels == {
        "app": "applied"
    }
