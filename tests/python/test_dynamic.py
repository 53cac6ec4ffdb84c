"""The DynamicClient, which finds resources through legacy discovery (`/version`, `/api`,
`/api/v1`, `/apis`, `/apis/<group>/<version>`) and then drives them as plain dicts."""

from kubernetes import watch

WATCH_SECONDS = 10


def test_discovery_finds_builtin_resources(dynamic_client):
    assert dynamic_client.version["kubernetes"]["minor"] == "32"

    deployments = dynamic_client.resources.get(api_version="apps/v1", kind="Deployment")
    assert deployments.name == "deployments"
    assert deployments.namespaced
    assert deployments.short_names == ["deploy"]
    assert {"create", "get", "list", "watch", "patch", "delete"} <= set(deployments.verbs)
    assert {"scale", "status"} <= set(deployments.subresources)

    namespaces = dynamic_client.resources.get(api_version="v1", kind="Namespace")
    assert not namespaces.namespaced
    assert dynamic_client.resources.get(api_version="v1", short_names=["po"]).kind == "Pod"
    lease = dynamic_client.resources.get(kind="Lease")
    assert lease.group_version == "coordination.k8s.io/v1"
    crds = dynamic_client.resources.get(kind="CustomResourceDefinition")
    assert crds.group_version == "apiextensions.k8s.io/v1"


def test_dynamic_crud_list_and_watch(dynamic_client, namespace):
    config_maps = dynamic_client.resources.get(api_version="v1", kind="ConfigMap")
    start = config_maps.get(namespace=namespace).metadata.resourceVersion

    for name, tier in [("one", "a"), ("two", "b")]:
        created = config_maps.create(
            body={"apiVersion": "v1", "kind": "ConfigMap",
                  "metadata": {"name": name, "labels": {"tier": tier}}, "data": {"k": name}},
            namespace=namespace,
        )
        assert created.metadata.namespace == namespace

    fetched = config_maps.get(name="one", namespace=namespace)
    assert fetched.data.k == "one"
    listed = config_maps.get(namespace=namespace, label_selector="tier=b")
    assert [item.metadata.name for item in listed.items] == ["two"]

    patched = config_maps.patch(name="one", namespace=namespace, body={"data": {"extra": "x"}})
    assert patched.data.to_dict() == {"k": "one", "extra": "x"}
    merged = config_maps.patch(name="one", namespace=namespace, body={"data": {"extra": None}},
                               content_type="application/merge-patch+json")
    assert merged.data.to_dict() == {"k": "one"}
    body = merged.to_dict()
    body["data"]["replaced"] = "yes"
    replaced = config_maps.replace(body=body, namespace=namespace)
    assert replaced.data.replaced == "yes"

    config_maps.delete(name="two", namespace=namespace)
    left = config_maps.get(namespace=namespace)
    assert [item.metadata.name for item in left.items] == ["one"]

    watcher = watch.Watch()
    seen = []
    for event in config_maps.watch(namespace=namespace, resource_version=start,
                                   timeout=WATCH_SECONDS, watcher=watcher):
        seen.append((event["type"], event["object"].metadata.name))
        if event["type"] == "DELETED":
            watcher.stop()
    assert seen == [("ADDED", "one"), ("ADDED", "two"), ("MODIFIED", "one"), ("MODIFIED", "one"),
                    ("MODIFIED", "one"), ("DELETED", "two")]


def test_dynamic_scale_subresource(dynamic_client, namespace):
    deployments = dynamic_client.resources.get(api_version="apps/v1", kind="Deployment")
    deployments.create(
        namespace=namespace,
        body={
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": "web"},
            "spec": {
                "replicas": 1,
                "selector": {"matchLabels": {"app": "web"}},
                "template": {"metadata": {"labels": {"app": "web"}},
                             "spec": {"containers": [{"name": "web", "image": "nginx:1.25"}]}},
            },
        },
    )
    scale = deployments.subresources["scale"]
    assert scale.get(name="web", namespace=namespace).spec.replicas == 1
    scale.patch(name="web", namespace=namespace, body={"spec": {"replicas": 4}})
    assert deployments.get(name="web", namespace=namespace).spec.replicas == 4
