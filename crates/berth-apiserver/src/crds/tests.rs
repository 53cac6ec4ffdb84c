//! CRDs and custom resources through the whole router, on the in-memory store.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use berth_store::memory::MemoryStore;
use serde_json::{Value, json};
use tower::ServiceExt;

use crate::{ApiState, bootstrap, router};

fn widgets_crd() -> Value {
    let schema = json!({
        "type": "object",
        "properties": {
            "spec": {
                "type": "object",
                "required": ["size"],
                "properties": {
                    "size": {"type": "integer", "minimum": 0},
                    "mode": {"type": "string", "default": "slow"},
                    "replicas": {"type": "integer"},
                },
            },
            "status": {"type": "object", "properties": {
                "replicas": {"type": "integer"}, "phase": {"type": "string"},
            }},
        },
    });
    json!({
        "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
        "metadata": {"name": "widgets.example.com"},
        "spec": {
            "group": "example.com", "scope": "Namespaced",
            "names": {"plural": "widgets", "kind": "Widget", "shortNames": ["wd"]},
            "versions": [
                {"name": "v1", "served": true, "storage": true, "schema": {"openAPIV3Schema": schema},
                 "subresources": {"status": {}, "scale": {"specReplicasPath": ".spec.replicas", "statusReplicasPath": ".status.replicas"}},
                 "additionalPrinterColumns": [
                     {"name": "Size", "type": "integer", "jsonPath": ".spec.size"},
                     {"name": "Mode", "type": "string", "jsonPath": ".spec.mode"},
                 ]},
                {"name": "v1beta1", "served": true, "storage": false, "schema": {"openAPIV3Schema": schema}},
            ],
        },
    })
}

struct Api {
    router: Router,
    state: ApiState,
}

impl Api {
    async fn new() -> Api {
        Api::on(Arc::new(MemoryStore::new())).await
    }

    async fn on(store: Arc<MemoryStore>) -> Api {
        let state = ApiState::new(store);
        bootstrap(&state).await.expect("bootstrap");
        Api { router: router(state.clone()), state }
    }

    /// One request; the answer's status and JSON body (null when it has none).
    async fn call(
        &self,
        method: &str,
        path: &str,
        (content_type, accept): (&str, &str),
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut request = Request::builder().method(method).uri(path);
        if !content_type.is_empty() {
            request = request.header(header::CONTENT_TYPE, content_type);
        }
        if !accept.is_empty() {
            request = request.header(header::ACCEPT, accept);
        }
        let body = body.map_or_else(Body::empty, |b| Body::from(b.to_string()));
        let response =
            self.router.clone().oneshot(request.body(body).expect("request")).await.expect("call");
        let status = response.status();
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX).await.expect("body");
        (status, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
    }

    async fn accepting(&self, path: &str, accept: &str) -> Value {
        self.call("GET", path, ("", accept), None).await.1
    }

    async fn get(&self, path: &str) -> (StatusCode, Value) {
        self.call("GET", path, ("", ""), None).await
    }

    async fn post(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.call("POST", path, ("application/json", ""), Some(body)).await
    }

    async fn patch(&self, path: &str, kind: &str, body: Value) -> (StatusCode, Value) {
        self.call("PATCH", path, (kind, ""), Some(body)).await
    }

    async fn delete(&self, path: &str) -> StatusCode {
        self.call("DELETE", path, ("", ""), None).await.0
    }
}

const WIDGETS: &str = "/apis/example.com/v1/namespaces/default/widgets";
const MERGE: &str = "application/merge-patch+json";
const TABLE: &str = "application/json;as=Table;v=v1;g=meta.k8s.io";
const AGGREGATED: &str = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList";

#[tokio::test]
async fn a_crd_serves_its_custom_resources() {
    let api = Api::new().await;
    let crds = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions";
    assert_eq!(api.get(WIDGETS).await.0, StatusCode::NOT_FOUND);
    let (code, crd) = api.post(crds, widgets_crd()).await;
    assert_eq!(code, StatusCode::CREATED, "{crd}");
    assert_eq!(crd["status"]["conditions"][1]["type"], "Established");
    assert_eq!(crd["status"]["acceptedNames"]["listKind"], "WidgetList");

    // Discovery, legacy and aggregated.
    let (_, groups) = api.get("/apis").await;
    let group =
        groups["groups"].as_array().and_then(|g| g.iter().find(|g| g["name"] == "example.com"));
    assert_eq!(
        group.map(|g| g["preferredVersion"]["version"].clone()),
        Some(json!("v1")),
        "{groups}"
    );
    let (_, resources) = api.get("/apis/example.com/v1").await;
    let names: Vec<&str> = resources["resources"]
        .as_array()
        .map_or(vec![], |r| r.iter().filter_map(|r| r["name"].as_str()).collect());
    assert_eq!(names, ["widgets", "widgets/status", "widgets/scale"]);
    let aggregated = api.accepting("/apis", AGGREGATED).await;
    let items = aggregated["items"].as_array().cloned().unwrap_or_default();
    let example = items.iter().find(|g| g["metadata"]["name"] == "example.com").cloned();
    let example = example.unwrap_or_default();
    assert_eq!(example["versions"][0]["version"], "v1");
    assert_eq!(example["versions"][1]["version"], "v1beta1");
    let widgets = &example["versions"][0]["resources"][0];
    assert_eq!(
        (&widgets["resource"], &widgets["scope"]),
        (&json!("widgets"), &json!("Namespaced"))
    );
    assert_eq!(widgets["subresources"][1]["responseKind"]["kind"], "Scale");
    assert_eq!(resources["resources"][0]["shortNames"], json!(["wd"]));
    assert_eq!(api.get("/apis/example.com/v1beta1").await.0, StatusCode::OK);

    // Create: the unknown field pruned, the default filled, the status dropped.
    let widget = json!({"apiVersion": "example.com/v1", "kind": "Widget",
        "metadata": {"name": "w1"}, "spec": {"size": 3, "colour": "red"}, "status": {"phase": "x"}});
    let (code, created) = api.post(WIDGETS, widget).await;
    assert_eq!(code, StatusCode::CREATED, "{created}");
    assert_eq!(created["spec"], json!({"size": 3, "mode": "slow"}));
    assert!(created.get("status").is_none(), "{created}");
    assert_eq!(created["metadata"]["generation"], 1);

    // Invalid: 422 naming the field.
    let (code, status) =
        api.post(WIDGETS, json!({"metadata": {"name": "bad"}, "spec": {"size": "big"}})).await;
    assert_eq!(code, StatusCode::UNPROCESSABLE_ENTITY, "{status}");
    assert_eq!(status["details"]["causes"][0]["field"], "spec.size");
    assert!(
        status["message"]
            .as_str()
            .is_some_and(|m| m.starts_with("Widget.example.com \"bad\" is invalid: spec.size")),
        "{status}"
    );
    let (code, status) = api.post(WIDGETS, json!({"metadata": {"name": "bad"}, "spec": {}})).await;
    assert_eq!(
        (code, &status["details"]["causes"][0]["reason"]),
        (StatusCode::UNPROCESSABLE_ENTITY, &json!("FieldValueRequired"))
    );
    let strict = format!("{WIDGETS}?fieldValidation=Strict");
    let (code, status) = api
        .post(&strict, json!({"metadata": {"name": "s"}, "spec": {"size": 1, "colour": "red"}}))
        .await;
    assert_eq!(code, StatusCode::BAD_REQUEST, "{status}");
    assert!(
        status["message"].as_str().is_some_and(|m| m.contains(r#"unknown field "spec.colour""#)),
        "{status}"
    );

    // Served in both versions, stored in v1.
    let (_, old) = api.get("/apis/example.com/v1beta1/namespaces/default/widgets/w1").await;
    assert_eq!(old["apiVersion"], "example.com/v1beta1");
    let (code, via_beta) = api
        .post(
            "/apis/example.com/v1beta1/namespaces/default/widgets",
            json!({"metadata": {"name": "w2"}, "spec": {"size": 2}}),
        )
        .await;
    assert_eq!(
        (code, &via_beta["apiVersion"]),
        (StatusCode::CREATED, &json!("example.com/v1beta1"))
    );
    let (_, w2) = api.get(&format!("{WIDGETS}/w2")).await;
    assert_eq!(w2["apiVersion"], "example.com/v1");
    let stored = api
        .state
        .objects
        .store()
        .get("/registry/example.com/widgets/default/w2")
        .await
        .expect("stored");
    assert!(stored.value.starts_with(br#"{"apiVersion":"example.com/v1","#));
    let (_, list) = api.get("/apis/example.com/v1beta1/widgets").await;
    let versions: Vec<&Value> =
        list["items"].as_array().map_or(vec![], |i| i.iter().map(|i| &i["apiVersion"]).collect());
    assert_eq!(versions, [&json!("example.com/v1beta1"), &json!("example.com/v1beta1")]);

    // Printer columns.
    let table = api.accepting(WIDGETS, TABLE).await;
    let columns: Vec<&str> = table["columnDefinitions"]
        .as_array()
        .map_or(vec![], |c| c.iter().filter_map(|c| c["name"].as_str()).collect());
    assert_eq!(columns, ["Name", "Size", "Mode"]);
    assert_eq!(table["rows"][0]["cells"], json!(["w1", 3, "slow"]));

    // Patches: merge and JSON work, strategic merge is 415.
    let item = format!("{WIDGETS}/w1");
    let (code, patched) = api.patch(&item, MERGE, json!({"spec": {"size": 4}})).await;
    assert_eq!(
        (code, &patched["spec"]["size"], &patched["metadata"]["generation"]),
        (StatusCode::OK, &json!(4), &json!(2))
    );
    let (code, _) = api
        .patch(
            &item,
            "application/json-patch+json",
            json!([{"op": "replace", "path": "/spec/size", "value": 5}]),
        )
        .await;
    assert_eq!(code, StatusCode::OK);
    let (code, _) = api
        .patch(&item, "application/strategic-merge-patch+json", json!({"spec": {"size": 6}}))
        .await;
    assert_eq!(code, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let (code, _) = api.patch(&item, MERGE, json!({"spec": {"size": -1}})).await;
    assert_eq!(code, StatusCode::UNPROCESSABLE_ENTITY);

    // Status: the main resource ignores it, /status writes only it.
    let (_, same) = api.patch(&item, MERGE, json!({"status": {"phase": "Ignored"}})).await;
    assert!(same.get("status").is_none(), "{same}");
    let (code, with_status) = api
        .patch(
            &format!("{item}/status"),
            MERGE,
            json!({"status": {"phase": "Ready", "replicas": 1}, "spec": {"size": 9}}),
        )
        .await;
    assert_eq!(code, StatusCode::OK, "{with_status}");
    assert_eq!(
        (&with_status["status"]["phase"], &with_status["spec"]["size"]),
        (&json!("Ready"), &json!(5))
    );

    // Scale.
    let (_, scale) = api.get(&format!("{item}/scale")).await;
    assert_eq!(
        (&scale["kind"], &scale["spec"]["replicas"], &scale["status"]["replicas"]),
        (&json!("Scale"), &json!(0), &json!(1))
    );
    let (code, scaled) =
        api.patch(&format!("{item}/scale"), MERGE, json!({"spec": {"replicas": 3}})).await;
    assert_eq!((code, &scaled["spec"]["replicas"]), (StatusCode::OK, &json!(3)));
    assert_eq!(api.get(&item).await.1["spec"]["replicas"], 3);

    // OpenAPI.
    let (_, index) = api.get("/openapi/v3").await;
    let url = index["paths"]["apis/example.com/v1"]["serverRelativeURL"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(url.starts_with("/openapi/v3/apis/example.com/v1?hash="), "{index}");
    let (code, document) = api.get(&url).await;
    assert_eq!(code, StatusCode::OK);
    let widget_schema = &document["components"]["schemas"]["com.example.v1.Widget"];
    assert_eq!(widget_schema["x-kubernetes-group-version-kind"][0]["kind"], "Widget");
    assert_eq!(widget_schema["properties"]["spec"]["properties"]["size"]["type"], "integer");
    assert!(
        document["components"]["schemas"]["io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"]
            .is_object()
    );
    let patch =
        &document["paths"]["/apis/example.com/v1/namespaces/{namespace}/widgets/{name}"]["patch"];
    assert!(patch["requestBody"]["content"]["application/merge-patch+json"].is_object());
    assert!(patch["requestBody"]["content"]["application/strategic-merge-patch+json"].is_null());

    // Deleting the CRD deletes its resources, then itself.
    assert_eq!(api.delete(&format!("{crds}/widgets.example.com")).await, StatusCode::OK);
    assert_eq!(api.get(&format!("{crds}/widgets.example.com")).await.0, StatusCode::NOT_FOUND);
    assert_eq!(api.get(WIDGETS).await.0, StatusCode::NOT_FOUND);
    let left = api
        .state
        .objects
        .store()
        .list(&berth_store::ListOptions::prefix("/registry/example.com/"))
        .await
        .expect("list");
    assert!(left.kvs.is_empty(), "{:?}", left.kvs);
    let (_, groups) = api.get("/apis").await;
    assert!(!groups.to_string().contains("example.com"));
}

#[tokio::test]
async fn a_cluster_scoped_crd_and_its_finalizers() {
    let api = Api::new().await;
    let mut crd = widgets_crd();
    crd["metadata"]["name"] = json!("gadgets.example.com");
    crd["spec"]["scope"] = json!("Cluster");
    crd["spec"]["names"] = json!({"plural": "gadgets", "kind": "Gadget"});
    let (code, _) = api.post("/apis/apiextensions.k8s.io/v1/customresourcedefinitions", crd).await;
    assert_eq!(code, StatusCode::CREATED);
    let gadgets = "/apis/example.com/v1/gadgets";
    assert_eq!(
        api.get("/apis/example.com/v1/namespaces/default/gadgets").await.0,
        StatusCode::NOT_FOUND
    );
    let (code, created) =
        api.post(gadgets, json!({"metadata": {"name": "g", "finalizers": ["example.com/hold"]}, "spec": {"size": 1}})).await;
    assert_eq!(code, StatusCode::CREATED, "{created}");
    assert!(created["metadata"].get("namespace").is_none());

    // The CRD waits, terminating, for the resource with a finalizer; creates are refused.
    let crd_item = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/gadgets.example.com";
    assert_eq!(api.delete(crd_item).await, StatusCode::OK);
    let (_, terminating) = api.get(crd_item).await;
    assert!(terminating.to_string().contains("InstanceDeletionInProgress"), "{terminating}");
    let (code, _) =
        api.post(gadgets, json!({"metadata": {"name": "h"}, "spec": {"size": 1}})).await;
    assert_eq!(code, StatusCode::METHOD_NOT_ALLOWED);
    let (_, held) = api.get(&format!("{gadgets}/g")).await;
    assert!(held["metadata"]["deletionTimestamp"].is_string(), "{held}");

    // Its controller lets it go; the next cleanup finishes the CRD.
    let (code, _) =
        api.patch(&format!("{gadgets}/g"), MERGE, json!({"metadata": {"finalizers": null}})).await;
    assert_eq!(code, StatusCode::OK);
    assert!(super::cleanup::finish(&api.state, "gadgets.example.com").await.expect("finish"));
    assert_eq!(api.get(crd_item).await.0, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn api_servers_sharing_a_store_agree_on_crds() {
    let store = Arc::new(MemoryStore::new());
    let one = Api::on(store.clone()).await;
    let two = Api::on(store).await;
    let follower = tokio::spawn(super::sync::run(two.state.clone()));
    let (code, _) =
        one.post("/apis/apiextensions.k8s.io/v1/customresourcedefinitions", widgets_crd()).await;
    assert_eq!(code, StatusCode::CREATED);
    let mut served = false;
    for _ in 0..100 {
        if two.get(WIDGETS).await.0 == StatusCode::OK {
            served = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(served, "the second server never served widgets");
    let (code, _) =
        two.post(WIDGETS, json!({"metadata": {"name": "w"}, "spec": {"size": 1}})).await;
    assert_eq!(code, StatusCode::CREATED);
    assert_eq!(one.get(&format!("{WIDGETS}/w")).await.1["spec"]["mode"], "slow");
    follower.abort();
}
