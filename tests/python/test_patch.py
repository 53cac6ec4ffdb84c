"""Patches as the Python client sends them: a dict body is a strategic merge patch, a list body a
JSON patch, and `_content_type` forces a JSON merge patch. Server-side apply is in test_apply.py."""

import pytest
from kubernetes.client.rest import ApiException

from manifests import deployment


def containers(apps, namespace, name="web"):
    found = apps.read_namespaced_deployment(name, namespace).spec.template.spec.containers
    return [(c.name, c.image, [p.container_port for p in c.ports or []]) for c in found]


def test_strategic_merge_patch_with_dict_body(apps, namespace):
    apps.create_namespaced_deployment(namespace, deployment("web"))
    # Containers merge by name: the image changes and the ports stay.
    apps.patch_namespaced_deployment(
        "web",
        namespace,
        {"metadata": {"labels": {"stage": "test"}},
         "spec": {"template": {"spec": {"containers": [{"name": "web", "image": "nginx:1.27"}]}}}},
    )
    assert containers(apps, namespace) == [("web", "nginx:1.27", [80])]
    # A container with a new name is added beside the first, not instead of it.
    patched = apps.patch_namespaced_deployment(
        "web",
        namespace,
        {"spec": {"template": {"spec": {"containers": [
            {"name": "log", "image": "busybox:1.36"}
        ]}}}},
    )
    assert patched.metadata.labels == {"app": "web", "stage": "test"}
    assert sorted(containers(apps, namespace)) == [
        ("log", "busybox:1.36", []), ("web", "nginx:1.27", [80])
    ]
    # `$patch: delete` removes one element by its merge key.
    apps.patch_namespaced_deployment(
        "web",
        namespace,
        {"spec": {"template": {"spec": {"containers": [{"name": "log", "$patch": "delete"}]}}}},
    )
    assert containers(apps, namespace) == [("web", "nginx:1.27", [80])]


def test_json_patch_with_list_body(core, namespace):
    core.create_namespaced_config_map(
        namespace, {"metadata": {"name": "cm", "labels": {"a": "1"}}, "data": {"k": "v"}}
    )
    patched = core.patch_namespaced_config_map(
        "cm",
        namespace,
        [
            {"op": "test", "path": "/data/k", "value": "v"},
            {"op": "add", "path": "/data/new", "value": "x"},
            {"op": "replace", "path": "/data/k", "value": "w"},
            {"op": "remove", "path": "/metadata/labels/a"},
            {"op": "add", "path": "/metadata/labels/b", "value": "2"},
        ],
    )
    assert patched.data == {"k": "w", "new": "x"}
    assert patched.metadata.labels == {"b": "2"}

    # A failed `test` op rejects the whole patch: 422, nothing changes.
    with pytest.raises(ApiException) as failed:
        core.patch_namespaced_config_map(
            "cm",
            namespace,
            [{"op": "replace", "path": "/data/k", "value": "z"},
             {"op": "test", "path": "/data/k", "value": "not-this"}],
        )
    assert failed.value.status == 422
    assert core.read_namespaced_config_map("cm", namespace).data == {"k": "w", "new": "x"}


def test_merge_patch_via_content_type(apps, namespace):
    apps.create_namespaced_deployment(namespace, deployment("web"))
    apps.patch_namespaced_deployment("web", namespace, {"metadata": {"labels": {"drop": "me"}}})
    # A JSON merge patch replaces lists whole (the ports go) and null deletes a key.
    patched = apps.patch_namespaced_deployment(
        "web",
        namespace,
        {"metadata": {"labels": {"drop": None}},
         "spec": {"template": {"spec": {"containers": [{"name": "web", "image": "nginx:1.28"}]}}}},
        _content_type="application/merge-patch+json",
    )
    assert patched.metadata.labels == {"app": "web"}
    assert containers(apps, namespace) == [("web", "nginx:1.28", [])]
