package httpapi

import (
	"fmt"
	"net/http"
	"reflect"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3gen"

	"github.com/threatgraph/threatgraph/query"
)

// openAPIDocument describes every route. The schemas are generated from the
// result types themselves (their JSON tags), with every field that has no
// omitempty required, no other properties allowed, and slices, maps and
// interfaces nullable, as encoding/json writes nil ones as null; so a field
// renamed, added or dropped in the query package shows up in the document,
// and the tests validate real responses against it.
func (s *Server) openAPIDocument() (*openapi3.T, error) {
	doc := &openapi3.T{
		OpenAPI: "3.0.3",
		Info: &openapi3.Info{
			Title:   "threatgraph",
			Version: "1",
			Description: "A knowledge graph of armed groups, attacks, warnings and claims, every fact with its source. " +
				"The JSON answers are those of the CLI's --format json. Errors are {\"error\": \"...\", \"detail\": ...}. " +
				"GraphML export (/v1/export/graphml) is not served yet.",
		},
		Servers:    openapi3.Servers{{URL: "/"}},
		Paths:      openapi3.NewPaths(),
		Components: &openapi3.Components{Schemas: openapi3.Schemas{}},
	}
	gen := openapi3gen.NewGenerator(
		openapi3gen.SchemaCustomizer(customizeSchema),
		openapi3gen.CreateComponentSchemas(openapi3gen.ExportComponentSchemasOptions{ExportComponentSchemas: true, ExportTopLevelSchema: true}),
	)
	schemaOf := func(v any) (*openapi3.SchemaRef, error) {
		ref, err := gen.NewSchemaRefForValue(v, doc.Components.Schemas)
		if err != nil {
			return nil, fmt.Errorf("schema of %T: %w", v, err)
		}
		return ref, nil
	}
	errRef, err := schemaOf(&ErrorBody{})
	if err != nil {
		return nil, err
	}
	for _, rt := range s.routes {
		op := openapi3.NewOperation()
		op.Summary = rt.summary
		op.OperationID = operationID(rt)
		for _, p := range rt.params {
			var prm *openapi3.Parameter
			if p.path {
				prm = openapi3.NewPathParameter(p.name)
			} else {
				prm = openapi3.NewQueryParameter(p.name)
				prm.Required = p.required
			}
			prm.Description = p.desc
			sc := &openapi3.Schema{Type: &openapi3.Types{p.typ}}
			if p.def != "" {
				switch p.typ {
				case "integer":
					n, _ := strconv.Atoi(p.def)
					sc.Default = n
				case "boolean":
					sc.Default = p.def == "true"
				case "number":
					f, _ := strconv.ParseFloat(p.def, 64)
					sc.Default = f
				default:
					sc.Default = p.def
				}
			}
			prm.Schema = openapi3.NewSchemaRef("", sc)
			op.AddParameter(prm)
		}
		if rt.body != nil {
			content := openapi3.Content{}
			for _, t := range rt.body.types {
				content[t] = openapi3.NewMediaType().WithSchema(openapi3.NewStringSchema())
			}
			op.RequestBody = &openapi3.RequestBodyRef{Value: openapi3.NewRequestBody().WithDescription(rt.body.desc).WithRequired(rt.body.required).WithContent(content)}
		}
		if rt.method == "POST" && rt.path == "/v1/ingest" {
			op.Security = &openapi3.SecurityRequirements{{"bearer": []string{}}}
		}
		op.Responses = openapi3.NewResponses()
		switch {
		case rt.path == "/v1/export/{format}":
			content := openapi3.Content{}
			for _, f := range query.ExportFormats {
				sch := openapi3.NewStringSchema() // XML or N-Quads text
				if ct := query.ExportContentType(f); ct == "application/json" || strings.HasPrefix(ct, "application/stix+json") {
					sch = openapi3.NewObjectSchema() // Cytoscape.js elements, the native format or a STIX bundle
				}
				content[query.ExportContentType(f)] = openapi3.NewMediaType().WithSchema(sch)
			}
			op.Responses.Set("200", &openapi3.ResponseRef{Value: openapi3.NewResponse().WithDescription("the export, streamed").WithContent(content)})
		case rt.path == "/v1/openapi.json":
			op.Responses.Set("200", &openapi3.ResponseRef{Value: openapi3.NewResponse().WithDescription("the OpenAPI 3 document").
				WithJSONSchema(openapi3.NewObjectSchema())})
		default:
			ref, err := schemaOf(rt.result)
			if err != nil {
				return nil, err
			}
			op.Responses.Set("200", &openapi3.ResponseRef{Value: openapi3.NewResponse().WithDescription("the answer").WithJSONSchemaRef(ref)})
		}
		// Every route may also answer these: a bad query string, a Host the
		// server does not answer to, a cancelled request, an internal failure.
		codes := append([]int{400, 421, 500, 503}, rt.errors...)
		for _, c := range codes {
			ref := errRef
			if c == http.StatusInternalServerError && rt.failure != nil {
				if ref, err = schemaOf(rt.failure); err != nil {
					return nil, err
				}
			}
			op.Responses.Set(strconv.Itoa(c), &openapi3.ResponseRef{Value: openapi3.NewResponse().WithDescription(http.StatusText(c)).WithJSONSchemaRef(ref)})
		}
		doc.AddOperation(rt.path, rt.method, op)
	}
	metrics := openapi3.NewOperation()
	metrics.Summary = "Prometheus metrics (text format): requests and latencies by route pattern, store quads"
	metrics.OperationID = "metrics"
	metrics.Responses = openapi3.NewResponses()
	metrics.Responses.Set("200", &openapi3.ResponseRef{Value: openapi3.NewResponse().WithDescription("Prometheus text exposition format").
		WithContent(openapi3.Content{"text/plain": openapi3.NewMediaType().WithSchema(openapi3.NewStringSchema())})})
	doc.AddOperation("/metrics", "GET", metrics)
	doc.Components.SecuritySchemes = openapi3.SecuritySchemes{
		"bearer": &openapi3.SecuritySchemeRef{Value: openapi3.NewJWTSecurityScheme().WithBearerFormat("token")},
	}
	doc.Components.SecuritySchemes["bearer"].Value.BearerFormat = "opaque token (serve.token)"
	return doc, nil
}

func operationID(rt *route) string {
	id := strings.ToLower(rt.method)
	for _, part := range strings.Split(rt.path, "/") {
		part = strings.Trim(part, "{}")
		part = strings.TrimSuffix(part, ".json")
		if part == "" || part == "v1" {
			continue
		}
		id += strings.ToUpper(part[:1]) + part[1:]
	}
	return id
}

// customizeSchema tightens the generated schemas to what encoding/json
// writes.
func customizeSchema(name string, t reflect.Type, tag reflect.StructTag, sc *openapi3.Schema) error {
	switch t.Kind() {
	case reflect.Slice, reflect.Map, reflect.Interface, reflect.Pointer:
		sc.Nullable = true
	case reflect.Array:
		n := uint64(t.Len())
		sc.Type = &openapi3.Types{"array"}
		sc.Items = openapi3.NewSchemaRef("", &openapi3.Schema{Type: &openapi3.Types{jsonType(t.Elem())}})
		sc.MinItems, sc.MaxItems = n, &n
	case reflect.Struct:
		if sc.Properties == nil {
			return nil
		}
		no := false
		sc.AdditionalProperties = openapi3.AdditionalProperties{Has: &no}
		sc.Required = nil
		for i := range t.NumField() {
			f := t.Field(i)
			jt, ok := f.Tag.Lookup("json")
			if !ok || jt == "-" || !f.IsExported() {
				continue
			}
			fname, opts, _ := strings.Cut(jt, ",")
			if fname == "" {
				fname = f.Name
			}
			if !strings.Contains(","+opts+",", ",omitempty,") {
				sc.Required = append(sc.Required, fname)
			}
		}
	}
	return nil
}

func jsonType(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64, reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "integer"
	case reflect.Float32, reflect.Float64:
		return "number"
	case reflect.Bool:
		return "boolean"
	}
	return "string"
}
