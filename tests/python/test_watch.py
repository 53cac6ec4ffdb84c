"""Watches through `kubernetes.watch.Watch`: replay from a resourceVersion, live events while the
stream is open, selectors, bookmarks allowed, and the server ending the stream at timeoutSeconds."""

import queue
import threading
import time

import pytest
from kubernetes import watch

from manifests import config_map, deployment

WATCH_SECONDS = 10


def test_watch_replays_changes_after_a_resource_version(core, namespace):
    start = core.list_namespaced_config_map(namespace).metadata.resource_version
    core.create_namespaced_config_map(namespace, config_map("w", data={"n": "0"}))
    core.patch_namespaced_config_map("w", namespace, {"data": {"n": "1"}})
    core.delete_namespaced_config_map("w", namespace)

    watcher = watch.Watch()
    stream = watcher.stream(core.list_namespaced_config_map, namespace,
                            resource_version=start, timeout_seconds=WATCH_SECONDS)
    seen = []
    for event in stream:
        seen.append((event["type"], event["object"].metadata.name))
        if event["type"] == "DELETED":
            watcher.stop()
    assert seen == [("ADDED", "w"), ("MODIFIED", "w"), ("DELETED", "w")]


def watch_in_background(list_call, namespace, **options):
    """Starts a watch on another thread from the current resourceVersion, so that no event is lost
    however late the request reaches the server. Returns the thread and a queue of (type, object)
    for every event up to the first DELETED, after which the thread stops the watch itself."""
    start = list_call(namespace).metadata.resource_version
    events = queue.Queue()

    def consume():
        watcher = watch.Watch()
        for event in watcher.stream(list_call, namespace, resource_version=start,
                                    timeout_seconds=WATCH_SECONDS, **options):
            if event["type"] == "BOOKMARK":
                continue
            events.put((event["type"], event["object"]))
            if event["type"] == "DELETED":
                watcher.stop()

    thread = threading.Thread(target=consume, daemon=True)
    thread.start()
    return thread, events


def test_watch_delivers_live_events_with_label_selector(core, namespace):
    thread, events = watch_in_background(core.list_namespaced_config_map, namespace,
                                         label_selector="watched=yes", allow_watch_bookmarks=True)
    core.create_namespaced_config_map(namespace, config_map("ignored", labels={"watched": "no"}))
    core.create_namespaced_config_map(
        namespace, config_map("live", labels={"watched": "yes"}, data={"v": "1"})
    )
    core.patch_namespaced_config_map("live", namespace, {"data": {"v": "2"}})
    # Relabelling out of the selector looks like a delete to this watcher.
    core.patch_namespaced_config_map("live", namespace, {"metadata": {"labels": {"watched": "no"}}})

    got = [events.get(timeout=WATCH_SECONDS) for _ in range(3)]
    thread.join(WATCH_SECONDS)
    assert [(kind, obj.metadata.name, obj.data) for kind, obj in got] == [
        ("ADDED", "live", {"v": "1"}),
        ("MODIFIED", "live", {"v": "2"}),
        ("DELETED", "live", {"v": "2"}),
    ]


def test_object_leaving_the_selector_is_deleted_as_it_last_matched(core, namespace):
    thread, events = watch_in_background(core.list_namespaced_config_map, namespace,
                                         label_selector="watched=yes")
    core.create_namespaced_config_map(namespace, config_map("leaves", labels={"watched": "yes"}))
    core.patch_namespaced_config_map("leaves", namespace,
                                     {"metadata": {"labels": {"watched": "no"}}})
    got = [events.get(timeout=WATCH_SECONDS) for _ in range(2)]
    thread.join(WATCH_SECONDS)
    assert [(kind, obj.metadata.labels) for kind, obj in got] == [
        ("ADDED", {"watched": "yes"}),
        ("DELETED", {"watched": "yes"}),
    ]


def test_server_ends_an_idle_watch_at_timeout_seconds(core, namespace):
    began = time.monotonic()
    stream = watch.Watch().stream(core.list_namespaced_config_map, namespace, timeout_seconds=1)
    assert [e for e in stream if e["type"] != "BOOKMARK"] == []
    assert time.monotonic() - began < WATCH_SECONDS


def test_watch_of_one_deployment_by_field_selector(apps, namespace):
    start = apps.list_namespaced_deployment(namespace).metadata.resource_version
    apps.create_namespaced_deployment(namespace, deployment("other"))
    apps.create_namespaced_deployment(namespace, deployment("mine"))
    apps.patch_namespaced_deployment_scale("mine", namespace, {"spec": {"replicas": 3}})

    watcher = watch.Watch()
    stream = watcher.stream(apps.list_namespaced_deployment, namespace,
                            field_selector="metadata.name=mine", resource_version=start,
                            timeout_seconds=WATCH_SECONDS)
    replicas = []
    for event in stream:
        assert event["object"].metadata.name == "mine"
        replicas.append((event["type"], event["object"].spec.replicas))
        if event["type"] == "MODIFIED":
            break
    watcher.stop()
    assert replicas == [("ADDED", 2), ("MODIFIED", 3)]
