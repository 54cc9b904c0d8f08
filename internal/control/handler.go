package control

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/rotatord/rotatord/internal/iamrotate"
)

// endpoint is one route of the protocol: its method and what it calls.
// call returns the value to encode (on error too, when it has one).
type endpoint struct {
	method string
	call   func(s *Server, ctx context.Context, q url.Values) (any, error)
}

var endpoints = map[string]endpoint{
	pathList:    {http.MethodGet, (*Server).list},
	pathStatus:  {http.MethodGet, (*Server).status},
	pathHistory: {http.MethodGet, (*Server).history},
	pathRotate:  {http.MethodPost, (*Server).rotate},
	pathReveal:  {http.MethodGet, (*Server).reveal},

	pathRollback: {http.MethodPost, (*Server).rollback},
	pathPlan:     {http.MethodGet, (*Server).plan},
}

// ServeHTTP implements http.Handler: it routes, calls r or o, writes
// the JSON answer and logs the request at debug level. It never logs a
// response body: reveal's carries a secret value.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	status, err := s.handle(w, r)
	attrs := []any{"method", r.Method, "path", r.URL.Path, "status", status,
		"duration", time.Since(start)}
	if name := r.URL.Query().Get("name"); name != "" {
		attrs = append(attrs, "secret", name)
	}
	if err != nil {
		attrs = append(attrs, "err", err.Error())
	}
	s.log.Debug("control request", attrs...)
}

// handle serves one request and returns the status it wrote and the error
// it reported, if any.
func (s *Server) handle(w http.ResponseWriter, r *http.Request) (int, error) {
	ep, ok := endpoints[r.URL.Path]
	if !ok {
		err := &badRequestError{msg: "no such endpoint: " + r.URL.Path}
		return writeError(w, http.StatusNotFound, err, nil), err
	}
	if r.Method != ep.method {
		w.Header().Set("Allow", ep.method)
		err := &badRequestError{msg: r.Method + " " + r.URL.Path + ": method not allowed, use " + ep.method}
		return writeError(w, http.StatusMethodNotAllowed, err, nil), err
	}
	if r.ContentLength != 0 || len(r.TransferEncoding) > 0 {
		w.Header().Set("Connection", "close")
		err := &badRequestError{msg: r.Method + " " + r.URL.Path + ": a request carries no body; give the arguments in the query"}
		return writeError(w, http.StatusBadRequest, err, nil), err
	}
	if !s.enter() {
		err := errors.New("the daemon is shutting down")
		return writeError(w, http.StatusServiceUnavailable, err, nil), err
	}
	v, err := func() (any, error) {
		defer s.running.Done()
		return ep.call(s, r.Context(), r.URL.Query())
	}()
	if err != nil {
		_, status := codeOf(err)
		return writeError(w, status, err, v), err
	}
	return writeJSON(w, http.StatusOK, v), nil
}

func (s *Server) list(ctx context.Context, _ url.Values) (any, error) {
	l, err := s.r.List(ctx)
	if err != nil {
		return nil, err
	}
	if l == nil {
		l = []SecretStatus{}
	}
	return utcStatuses(l), nil
}

func (s *Server) status(ctx context.Context, q url.Values) (any, error) {
	name, err := nameArg(q)
	if err != nil {
		return nil, err
	}
	d, err := s.r.Status(ctx, name)
	if err != nil {
		return nil, err
	}
	return utcDetail(d), nil
}

func (s *Server) history(ctx context.Context, q url.Values) (any, error) {
	name, err := nameArg(q)
	if err != nil {
		return nil, err
	}
	evs, err := s.r.History(ctx, name)
	if err != nil {
		return nil, err
	}
	return utcEvents(evs), nil
}

// rotate waits for the rotation; r.Context() ends, and with it the
// Operator's ctx, when the client goes away.
func (s *Server) rotate(ctx context.Context, q url.Values) (any, error) {
	name, err := nameArg(q)
	if err != nil {
		return nil, err
	}
	var res *iamrotate.Result
	if q.Get("revoke") != "" {
		rv, rerr := s.revoker(q)
		if rerr != nil {
			return nil, rerr
		}
		res, err = rv.r.RotateRevoke(ctx, name, rv.rv)
	} else {
		res, err = s.o.Rotate(ctx, name)
	}
	if res == nil {
		return nil, err
	}
	return res, err
}

// rollback waits for the rollback, as rotate does for a rotation.
func (s *Server) rollback(ctx context.Context, q url.Values) (any, error) {
	name, err := nameArg(q)
	if err != nil {
		return nil, err
	}
	res, err := s.o.Rollback(ctx, name, q.Get("reason"))
	if res == nil {
		return nil, err
	}
	return res, err
}

// revokeArgs are the revocation of a rotate request and who serves it.
type revokeArgs struct {
	r  Revoker
	rv iamrotate.Revoke
}

// revoker reads revoke=1, revoke_after= (a Go duration) and reason=.
func (s *Server) revoker(q url.Values) (revokeArgs, error) {
	r, ok := s.o.(Revoker)
	if !ok {
		return revokeArgs{}, &badRequestError{msg: "this daemon cannot revoke keys; restart it with this rotatord version"}
	}
	a := revokeArgs{r: r, rv: iamrotate.Revoke{Reason: q.Get("reason")}}
	if v := q.Get("revoke_after"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < 0 {
			return revokeArgs{}, &badRequestError{msg: "revoke_after must be a duration >= 0 such as 1h, not " + strconv.Quote(v)}
		}
		a.rv.After = d
	}
	return a, nil
}

func (s *Server) reveal(ctx context.Context, q url.Values) (any, error) {
	name, err := nameArg(q)
	if err != nil {
		return nil, err
	}
	n := 0
	if v := q.Get("version"); v != "" {
		if n, err = strconv.Atoi(v); err != nil || n < 0 {
			return nil, &badRequestError{msg: "version must be a whole number >= 0, not " + strconv.Quote(v)}
		}
	}
	ver, err := s.o.Reveal(ctx, name, n)
	if err != nil {
		return nil, err
	}
	return toRevealed(ver), nil
}

func nameArg(q url.Values) (string, error) {
	name := q.Get("name")
	if name == "" {
		return "", &badRequestError{msg: "missing the secret's name (name=)"}
	}
	return name, nil
}

// writeError writes err as an errorBody. v is attached when it is a
// rotation's result.
func writeError(w http.ResponseWriter, status int, err error, v any) int {
	code, _ := codeOf(err)
	body := errorBody{Error: err.Error(), Code: code}
	if res, ok := v.(*iamrotate.Result); ok {
		body.Result = res
	}
	return writeJSON(w, status, body)
}

// writeJSON writes v as the answer, within AnswerTimeout.
func writeJSON(w http.ResponseWriter, status int, v any) int {
	_ = http.NewResponseController(w).SetWriteDeadline(time.Now().Add(AnswerTimeout))
	b, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		b, _ = json.Marshal(errorBody{Error: "encode answer: " + err.Error(), Code: codeInternal})
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
	return status
}
