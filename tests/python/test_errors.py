"""Failures reach the Python client as `ApiException` with the right HTTP status and a
`Status` body it can read: 404, 409 (exists / stale resourceVersion), 422, 400."""

import json

import pytest
from kubernetes import client
from kubernetes.client.rest import ApiException

from manifests import config_map


def status_of(call):
    """Runs `call`, which must fail, and returns (HTTP status, the parsed Status body)."""
    with pytest.raises(ApiException) as failure:
        call()
    body = json.loads(failure.value.body)
    assert body["kind"] == "Status"
    assert body["status"] == "Failure"
    assert body["code"] == failure.value.status
    return failure.value.status, body


def test_missing_objects_are_404(core, namespace):
    code, body = status_of(lambda: core.read_namespaced_config_map("ghost", namespace))
    assert code == 404
    assert body["reason"] == "NotFound"
    assert body["details"] == {"name": "ghost", "group": "", "kind": "configmaps"}
    assert status_of(lambda: core.delete_namespaced_config_map("ghost", namespace))[0] == 404
    assert status_of(
        lambda: core.patch_namespaced_config_map("ghost", namespace, {"data": {"a": "b"}})
    )[0] == 404
    code, body = status_of(
        lambda: core.create_namespaced_config_map("no-such-namespace", config_map("x"))
    )
    assert (code, body["details"]["kind"]) == (404, "namespaces")


def test_creating_twice_is_409_already_exists(core, namespace):
    core.create_namespaced_config_map(namespace, config_map("once"))
    code, body = status_of(lambda: core.create_namespaced_config_map(namespace, config_map("once")))
    assert code == 409
    assert body["reason"] == "AlreadyExists"
    assert body["details"]["name"] == "once"


def test_update_with_stale_resource_version_is_409_conflict(core, namespace):
    original = core.create_namespaced_config_map(namespace, config_map("cas", data={"n": "0"}))
    first = core.read_namespaced_config_map("cas", namespace)
    first.data["n"] = "1"
    core.replace_namespaced_config_map("cas", namespace, first)

    stale = original
    stale.data["n"] = "2"
    code, body = status_of(lambda: core.replace_namespaced_config_map("cas", namespace, stale))
    assert code == 409
    assert body["reason"] == "Conflict"
    assert core.read_namespaced_config_map("cas", namespace).data == {"n": "1"}

    # A patch that names a stale resourceVersion is a conflict too.
    stale_patch = {"metadata": {"resourceVersion": original.metadata.resource_version},
                   "data": {"n": "3"}}
    assert status_of(
        lambda: core.patch_namespaced_config_map("cas", namespace, stale_patch)
    )[0] == 409


def test_delete_with_failed_precondition_is_409(core, namespace):
    created = core.create_namespaced_config_map(namespace, config_map("guarded"))
    core.patch_namespaced_config_map("guarded", namespace, {"data": {"changed": "yes"}})
    for precondition in [
        client.V1Preconditions(resource_version=created.metadata.resource_version),
        client.V1Preconditions(uid="00000000-0000-0000-0000-000000000000"),
    ]:
        options = client.V1DeleteOptions(preconditions=precondition)
        code, body = status_of(
            lambda: core.delete_namespaced_config_map("guarded", namespace, body=options)
        )
        assert (code, body["reason"]) == (409, "Conflict")
    options = client.V1DeleteOptions(preconditions=client.V1Preconditions(uid=created.metadata.uid))
    core.delete_namespaced_config_map("guarded", namespace, body=options)


def test_invalid_name_is_422(core, namespace):
    code, body = status_of(
        lambda: core.create_namespaced_config_map(namespace, config_map("Not_A_Name"))
    )
    assert code == 422
    assert body["reason"] == "Invalid"
    assert body["details"]["kind"] == "ConfigMap"
    assert [cause["field"] for cause in body["details"]["causes"]] == ["metadata.name"]


def test_bad_label_selector_is_400(core, namespace):
    code, body = status_of(
        lambda: core.list_namespaced_config_map(namespace, label_selector="app in (web")
    )
    assert (code, body["reason"]) == (400, "BadRequest")
