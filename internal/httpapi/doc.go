// Package httpapi serves the query layer over HTTP: JSON under /v1/ with the
// same answers, and byte for byte the same JSON, as the CLI's --format json
// (both call the query package and encode with two-space indentation and no
// HTML escaping), cayley's raw Gizmo and GraphQL with a time limit and a
// result cap, an OpenAPI 3 document of every route at /v1/openapi.json,
// /healthz, Prometheus metrics at /metrics, and POST /v1/ingest behind a
// bearer token.
//
// A Server keeps the store open and the analytics view in memory. Answers
// are computed under the read side of a sync.RWMutex; an ingest takes the
// write side for the whole load and the view rebuild, so a request sees the
// store and view either before or after an ingest, never between.
// Centrality answers are memoised per normalised parameter set until the
// next ingest that changes the store.
//
// Every error is JSON, {"error": "...", "detail": ...}, with the status that
// fits: 400 naming the parameter, 404 for an unknown entity, 408 when a raw
// query runs out of time, 413 for an oversize body, 401/403 for ingest
// without the right token. Internal details go to the log, not the client.
package httpapi
