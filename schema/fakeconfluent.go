package schema

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
)

// NewFakeConfluentHandler returns a FAKE Confluent Schema Registry: an http.Handler that
// serves a MemoryRegistry over the small part of Confluent's REST API that
// ConfluentRegistry uses, so that code on ConfluentRegistry can be tested without a
// real registry (serve it with net/http/httptest). It is not a Schema Registry: it
// knows only Avro, has no deletes, contexts, modes, references or authentication, and
// its compatibility verdicts and verbose messages are this package's (Check), not
// Confluent's. Served paths:
//
//	POST /subjects/{subject}/versions
//	POST /subjects/{subject}
//	GET  /subjects/{subject}/versions/latest
//	GET  /schemas/ids/{id}
//	POST /compatibility/subjects/{subject}/versions/latest
//	POST /compatibility/subjects/{subject}/versions
//	GET  /config, GET /config/{subject}
//	PUT  /config, PUT /config/{subject}
//
// Both compatibility paths check under the subject's level (latest version, or every
// version for TRANSITIVE levels), which is what ConfluentRegistry asks for.
func NewFakeConfluentHandler(m *MemoryRegistry) http.Handler {
	f := &fakeConfluent{m: m}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /subjects/{subject}/versions", f.register)
	mux.HandleFunc("POST /subjects/{subject}", f.lookup)
	mux.HandleFunc("GET /subjects/{subject}/versions/latest", f.latest)
	mux.HandleFunc("GET /schemas/ids/{id}", f.byID)
	mux.HandleFunc("POST /compatibility/subjects/{subject}/versions/latest", f.compat)
	mux.HandleFunc("POST /compatibility/subjects/{subject}/versions", f.compat)
	mux.HandleFunc("GET /config", f.getConfig)
	mux.HandleFunc("GET /config/{subject}", f.getConfig)
	mux.HandleFunc("PUT /config", f.putConfig)
	mux.HandleFunc("PUT /config/{subject}", f.putConfig)
	return mux
}

type fakeConfluent struct{ m *MemoryRegistry }

func reply(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/vnd.schemaregistry.v1+json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func replyErr(w http.ResponseWriter, status, code int, msg string) {
	reply(w, status, map[string]any{"error_code": code, "message": msg})
}

// schemaBody reads {"schema": "...", "schemaType": "AVRO"}.
func schemaBody(w http.ResponseWriter, r *http.Request) (string, bool) {
	var body struct {
		Schema     string `json:"schema"`
		SchemaType string `json:"schemaType"`
	}
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		replyErr(w, http.StatusUnprocessableEntity, 422, "invalid request body: "+err.Error())
		return "", false
	}
	if body.SchemaType != "" && body.SchemaType != "AVRO" {
		replyErr(w, http.StatusUnprocessableEntity, 42201, "this fake registry knows only AVRO schemas")
		return "", false
	}
	return body.Schema, true
}

func (f *fakeConfluent) register(w http.ResponseWriter, r *http.Request) {
	text, ok := schemaBody(w, r)
	if !ok {
		return
	}
	subject := r.PathValue("subject")
	id, _, err := f.m.Register(r.Context(), subject, text)
	var ie *IncompatibleError
	switch {
	case errors.As(err, &ie):
		replyErr(w, http.StatusConflict, 409, fmt.Sprintf("Schema being registered is incompatible with an earlier schema for subject %q, details: %v",
			subject, ie.Report.Messages()))
	case errors.Is(err, ErrInvalidSchema):
		replyErr(w, http.StatusUnprocessableEntity, 42201, err.Error())
	case err != nil:
		replyErr(w, http.StatusInternalServerError, 50001, err.Error())
	default:
		reply(w, http.StatusOK, map[string]any{"id": id})
	}
}

func versionJSON(v Version) map[string]any {
	return map[string]any{"subject": v.Subject, "version": v.Version, "id": v.ID, "schema": v.Schema}
}

func (f *fakeConfluent) lookup(w http.ResponseWriter, r *http.Request) {
	text, ok := schemaBody(w, r)
	if !ok {
		return
	}
	subject := r.PathValue("subject")
	if len(f.m.Versions(subject)) == 0 {
		replyErr(w, http.StatusNotFound, 40401, fmt.Sprintf("Subject '%s' not found.", subject))
		return
	}
	v, err := f.m.Lookup(subject, text)
	switch {
	case errors.Is(err, ErrInvalidSchema):
		replyErr(w, http.StatusUnprocessableEntity, 42201, err.Error())
	case err != nil:
		replyErr(w, http.StatusNotFound, 40403, "Schema not found")
	default:
		reply(w, http.StatusOK, versionJSON(v))
	}
}

func (f *fakeConfluent) latest(w http.ResponseWriter, r *http.Request) {
	v, err := f.m.Latest(r.Context(), r.PathValue("subject"))
	if err != nil {
		replyErr(w, http.StatusNotFound, 40401, fmt.Sprintf("Subject '%s' not found.", r.PathValue("subject")))
		return
	}
	reply(w, http.StatusOK, versionJSON(v))
}

func (f *fakeConfluent) byID(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.Atoi(r.PathValue("id"))
	if err != nil {
		replyErr(w, http.StatusNotFound, 40403, "Schema not found")
		return
	}
	text, err := f.m.ByID(r.Context(), id)
	if err != nil {
		replyErr(w, http.StatusNotFound, 40403, "Schema not found")
		return
	}
	reply(w, http.StatusOK, map[string]any{"schema": text})
}

func (f *fakeConfluent) compat(w http.ResponseWriter, r *http.Request) {
	text, ok := schemaBody(w, r)
	if !ok {
		return
	}
	subject := r.PathValue("subject")
	if len(f.m.Versions(subject)) == 0 {
		replyErr(w, http.StatusNotFound, 40401, fmt.Sprintf("Subject '%s' not found.", subject))
		return
	}
	rep, err := f.m.CheckCompatibility(r.Context(), subject, text)
	if err != nil {
		replyErr(w, http.StatusUnprocessableEntity, 42201, err.Error())
		return
	}
	out := map[string]any{"is_compatible": rep.Compatible}
	if r.URL.Query().Get("verbose") == "true" {
		out["messages"] = rep.Messages()
	}
	reply(w, http.StatusOK, out)
}

func (f *fakeConfluent) getConfig(w http.ResponseWriter, r *http.Request) {
	l, _ := f.m.Level(r.Context(), r.PathValue("subject"))
	reply(w, http.StatusOK, map[string]any{"compatibilityLevel": string(l)})
}

func (f *fakeConfluent) putConfig(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Compatibility string `json:"compatibility"`
	}
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		replyErr(w, http.StatusUnprocessableEntity, 422, "invalid request body: "+err.Error())
		return
	}
	if err := f.m.SetLevel(r.Context(), r.PathValue("subject"), Level(body.Compatibility)); err != nil {
		replyErr(w, http.StatusUnprocessableEntity, 42203, "Invalid compatibility level")
		return
	}
	reply(w, http.StatusOK, map[string]any{"compatibility": body.Compatibility})
}
