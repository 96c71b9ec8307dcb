package httpapi

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/threatgraph/threatgraph/query"
)

// An Error is an answer that is not a result: the status, the message the
// client sees, optional structured detail, and the underlying error, which
// is logged and never sent.
type Error struct {
	Status int
	Msg    string
	Detail any
	Err    error
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %v", e.Msg, e.Err)
	}
	return e.Msg
}

func (e *Error) Unwrap() error { return e.Err }

// ErrorBody is the JSON of every error response.
type ErrorBody struct {
	Error  string `json:"error"`
	Detail any    `json:"detail,omitempty"`
}

// ParamDetail names the query parameter that was wrong.
type ParamDetail struct {
	Parameter string `json:"parameter"`
	Value     string `json:"value,omitempty"`
	Expected  string `json:"expected,omitempty"`
}

// paramError is a 400 naming the parameter, its value and what was expected.
func paramError(name, value, want string) *Error {
	msg := fmt.Sprintf("invalid parameter %q", name)
	if value != "" {
		msg = fmt.Sprintf("invalid parameter %q = %q: expected %s", name, value, want)
	} else if want != "" {
		msg = fmt.Sprintf("missing parameter %q: expected %s", name, want)
	}
	return &Error{Status: http.StatusBadRequest, Msg: msg, Detail: ParamDetail{Parameter: name, Value: value, Expected: want}}
}

// entityError turns the query layer's lookup errors for the entity named by
// a parameter into 404 (unknown) and 409 (ambiguous: the matches are listed).
func entityError(param string, err error) error {
	var amb *query.AmbiguousError
	switch {
	case errors.Is(err, query.ErrNotFound):
		return &Error{Status: http.StatusNotFound, Msg: param + ": " + err.Error(), Detail: ParamDetail{Parameter: param}}
	case errors.As(err, &amb):
		return &Error{Status: http.StatusConflict, Msg: param + ": " + err.Error(), Detail: struct {
			Parameter string        `json:"parameter"`
			Matches   []query.Match `json:"matches"`
		}{param, amb.Matches}}
	}
	return err
}

// writeError sends err as JSON. Errors that are not *Error are internal:
// the client gets a bare 500 (or 503 when the request was cancelled by
// shutdown) and the log gets the detail.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	var e *Error
	var pe *query.ParamError
	if errors.As(err, &pe) {
		e = paramError(pe.Param, pe.Value, pe.Want)
	}
	if e == nil && !errors.As(err, &e) {
		switch {
		case errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded):
			e = &Error{Status: http.StatusServiceUnavailable, Msg: "request cancelled", Err: err}
		default:
			e = &Error{Status: http.StatusInternalServerError, Msg: "internal server error", Err: err}
		}
	}
	lvl := slog.LevelDebug
	if e.Status >= 500 {
		lvl = slog.LevelError
	}
	s.log.Log(r.Context(), lvl, "request failed", "method", r.Method, "path", r.URL.Path, "status", e.Status, "msg", e.Msg, "err", e.Err)
	if e.Status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="threatgraph"`)
	}
	s.writeJSON(w, e.Status, ErrorBody{Error: e.Msg, Detail: e.Detail})
}
