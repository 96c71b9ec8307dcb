// Package httpapi serves the query layer over HTTP: JSON under /v1/ with the
// same answers, and byte for byte the same JSON, as the CLI's --format json
// (both call the same query.Reader methods and encode with two-space indentation and no
// HTML escaping), cayley's raw Gizmo and GraphQL with a time limit and a
// result cap, an OpenAPI 3 document of every route at /v1/openapi.json,
// /healthz, Prometheus metrics at /metrics, and POST /v1/ingest behind a
// bearer token.
//
// A Server keeps the store open and serves answers from a query.Reader per
// store generation, published through an atomic pointer: a request loads
// the current Reader once and never waits for an ingest (except into a store
// that cannot be read while written: memstore, an empty bbolt store). An
// ingest goes through the Loader that cmd wires to package ingest (this
// package does not import it), then opens and loads a new Reader and
// publishes it. Centrality answers are memoised per normalised parameter
// set and generation; other GET answers are cached, never across an ingest.
//
// Every error is JSON, {"error": "...", "detail": ...}, with the status that
// fits: 400 naming the parameter, 404 for an unknown entity, 408 when a raw
// query runs out of time, 413 for an oversize body, 401/403 for ingest
// without the right token. Internal details go to the log, not the client.
package httpapi
