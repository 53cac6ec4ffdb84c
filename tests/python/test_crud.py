"""Create, read, replace, delete and list through the typed Python client (CoreV1Api, AppsV1Api,
RbacAuthorizationV1Api), including the scale and status subresources."""

import pytest
from kubernetes import client
from kubernetes.client.rest import ApiException

from manifests import config_map, deployment


def names(object_list):
    return sorted(item.metadata.name for item in object_list.items)


def test_version_with_trailing_slash(api_client):
    # VersionApi.get_code asks for `/version/`, with the slash.
    info = client.VersionApi(api_client).get_code()
    assert (info.major, info.minor) == ("1", "32")
    assert info.git_version.startswith("v1.32.")


def test_config_map_lifecycle(core, namespace):
    created = core.create_namespaced_config_map(
        namespace, config_map("settings", labels={"app": "demo"}, data={"mode": "fast"})
    )
    assert created.metadata.namespace == namespace
    assert len(created.metadata.uid) == 36
    assert created.metadata.creation_timestamp is not None

    read = core.read_namespaced_config_map("settings", namespace)
    assert read.data == {"mode": "fast"}
    assert read.metadata.resource_version == created.metadata.resource_version

    read.data["mode"] = "slow"
    replaced = core.replace_namespaced_config_map("settings", namespace, read)
    assert replaced.data == {"mode": "slow"}
    assert int(replaced.metadata.resource_version) > int(created.metadata.resource_version)
    assert replaced.metadata.uid == created.metadata.uid

    core.delete_namespaced_config_map("settings", namespace)
    with pytest.raises(ApiException) as missing:
        core.read_namespaced_config_map("settings", namespace)
    assert missing.value.status == 404


def test_pod_gets_defaults_and_deletes_at_once(core, namespace):
    pod = client.V1Pod(
        metadata=client.V1ObjectMeta(name="solo"),
        spec=client.V1PodSpec(containers=[client.V1Container(name="c", image="busybox:1.36")]),
    )
    created = core.create_namespaced_pod(namespace, pod)
    assert created.spec.restart_policy == "Always"
    assert created.spec.dns_policy == "ClusterFirst"
    assert created.spec.termination_grace_period_seconds == 30
    assert created.spec.containers[0].image_pull_policy == "IfNotPresent"
    assert created.status.phase == "Pending"

    # Unscheduled pods go at once (no kubelet to wait for); the client parses the answer.
    core.delete_namespaced_pod("solo", namespace)
    assert core.list_namespaced_pod(namespace).items == []


def test_deployment_crud_and_scale_subresource(apps, namespace):
    created = apps.create_namespaced_deployment(namespace, deployment("web"))
    assert created.metadata.generation == 1
    assert created.spec.strategy.type == "RollingUpdate"
    assert created.spec.template.spec.containers[0].ports[0].protocol == "TCP"

    scale = apps.read_namespaced_deployment_scale("web", namespace)
    assert scale.spec.replicas == 2
    scale.spec.replicas = 4
    apps.replace_namespaced_deployment_scale("web", namespace, scale)
    apps.patch_namespaced_deployment_scale("web", namespace, {"spec": {"replicas": 5}})
    scaled = apps.read_namespaced_deployment("web", namespace)
    assert scaled.spec.replicas == 5

    scaled.spec.template.spec.containers[0].image = "nginx:1.26"
    replaced = apps.replace_namespaced_deployment("web", namespace, scaled)
    assert replaced.spec.template.spec.containers[0].image == "nginx:1.26"
    assert replaced.metadata.generation > created.metadata.generation

    apps.delete_namespaced_deployment("web", namespace)
    assert apps.list_namespaced_deployment(namespace).items == []


def test_status_subresource_and_main_resource_write_separate_halves(core, namespace):
    # Pod status fields no controller writes without a kubelet: message and hostIP.
    pod = client.V1Pod(
        metadata=client.V1ObjectMeta(name="halves"),
        spec=client.V1PodSpec(containers=[client.V1Container(name="c", image="busybox:1.36")]),
    )
    core.create_namespaced_pod(namespace, pod)
    written = core.patch_namespaced_pod_status(
        "halves", namespace, {"spec": {"activeDeadlineSeconds": 5},
                              "status": {"message": "from status", "hostIP": "10.0.0.9"}}
    )
    assert (written.status.message, written.status.host_ip) == ("from status", "10.0.0.9")
    assert written.spec.active_deadline_seconds is None

    current = core.read_namespaced_pod("halves", namespace)
    current.metadata.labels = {"set": "by-update"}
    current.status.message = "from update"
    replaced = core.replace_namespaced_pod("halves", namespace, current)
    assert replaced.metadata.labels == {"set": "by-update"}
    assert replaced.status.message == "from status"
    assert core.read_namespaced_pod_status("halves", namespace).status.host_ip == "10.0.0.9"


def test_generate_name_and_delete_collection(core, namespace):
    made = [
        core.create_namespaced_config_map(
            namespace, client.V1ConfigMap(metadata=client.V1ObjectMeta(
                generate_name="batch-", labels={"batch": "yes"}))
        ).metadata.name
        for _ in range(3)
    ]
    assert len(set(made)) == 3
    assert all(name.startswith("batch-") and len(name) == len("batch-") + 5 for name in made)
    core.create_namespaced_config_map(namespace, config_map("keeper"))

    core.delete_collection_namespaced_config_map(namespace, label_selector="batch=yes")
    assert names(core.list_namespaced_config_map(namespace)) == ["keeper"]


def test_service_gets_cluster_ip_and_node_port(core, namespace):
    service = client.V1Service(
        metadata=client.V1ObjectMeta(name="web"),
        spec=client.V1ServiceSpec(
            type="NodePort", selector={"app": "web"},
            ports=[client.V1ServicePort(port=80, target_port=8080)],
        ),
    )
    created = core.create_namespaced_service(namespace, service)
    assert created.spec.cluster_ip and created.spec.cluster_ips == [created.spec.cluster_ip]
    [port] = created.spec.ports
    assert port.protocol == "TCP"
    assert 30000 <= port.node_port <= 32767


def test_secret_string_data_becomes_data(core, namespace):
    secret = client.V1Secret(metadata=client.V1ObjectMeta(name="creds"),
                             string_data={"password": "hunter2"})
    core.create_namespaced_secret(namespace, secret)
    stored = core.read_namespaced_secret("creds", namespace)
    assert stored.data == {"password": "aHVudGVyMg=="}
    assert stored.string_data is None


def test_cluster_scoped_objects(api_client):
    rbac = client.RbacAuthorizationV1Api(api_client)
    role = client.V1ClusterRole(
        metadata=client.V1ObjectMeta(name="python-reader", labels={"suite": "python"}),
        rules=[client.V1PolicyRule(api_groups=[""], resources=["pods"], verbs=["get", "list"])],
    )
    created = rbac.create_cluster_role(role)
    assert created.metadata.namespace is None
    listed = rbac.list_cluster_role(label_selector="suite=python")
    assert [r.metadata.name for r in listed.items] == ["python-reader"]
    rbac.delete_cluster_role("python-reader")
    assert rbac.list_cluster_role(label_selector="suite=python").items == []


def test_list_with_label_and_field_selectors(core, namespace):
    for name, labels in [
        ("front", {"app": "web", "tier": "front"}),
        ("back", {"app": "web", "tier": "back"}),
        ("cache", {"app": "redis"}),
        ("plain", None),
    ]:
        core.create_namespaced_config_map(namespace, config_map(name, labels=labels))

    def listed(**selectors):
        return names(core.list_namespaced_config_map(namespace, **selectors))

    assert listed() == ["back", "cache", "front", "plain"]
    assert listed(label_selector="app=web") == ["back", "front"]
    assert listed(label_selector="app in (web,redis),tier!=back") == ["cache", "front"]
    assert listed(label_selector="!tier") == ["cache", "plain"]
    assert listed(label_selector="app") == ["back", "cache", "front"]
    assert listed(field_selector="metadata.name=cache") == ["cache"]
    assert listed(field_selector="metadata.name!=cache", label_selector="app") == ["back", "front"]

    everywhere = core.list_config_map_for_all_namespaces(label_selector="app=redis")
    assert [(c.metadata.namespace, c.metadata.name) for c in everywhere.items] == [
        (namespace, "cache")
    ]
    assert everywhere.metadata.resource_version


def test_list_pages_with_limit_and_continue(core, namespace):
    expected = [f"item-{i:02}" for i in range(7)]
    for name in expected:
        core.create_namespaced_config_map(namespace, config_map(name))

    seen, token, pages = [], None, 0
    while True:
        page = core.list_namespaced_config_map(namespace, limit=3, _continue=token)
        assert len(page.items) <= 3
        seen += [item.metadata.name for item in page.items]
        pages += 1
        token = page.metadata._continue
        if not token:
            break
    assert seen == expected
    assert pages == 3


def test_paged_list_counts_remaining_items(core, namespace):
    for i in range(5):
        core.create_namespaced_config_map(namespace, config_map(f"item-{i}"))
    page = core.list_namespaced_config_map(namespace, limit=2)
    assert page.metadata.remaining_item_count == 3
