package control

import (
	"errors"
	"net/http"
	"time"

	"github.com/rotatord/rotatord/config"
	"github.com/rotatord/rotatord/internal/iamrotate"
	"github.com/rotatord/rotatord/internal/state"
)

// The endpoints of protocol version 1. Every one takes its arguments in the
// query string (name=, version=) and answers JSON: the method's result with
// status 200, or an errorBody with a 4xx/5xx status.
const (
	pathList    = "/v1/list"    // GET: []SecretStatus
	pathStatus  = "/v1/status"  // GET ?name=: SecretDetail
	pathHistory = "/v1/history" // GET ?name=: []state.Event
	pathRotate  = "/v1/rotate"  // POST ?name=[&revoke=1&revoke_after=&reason=]: iamrotate.Result
	pathReveal  = "/v1/reveal"  // GET ?name=&version=: revealedVersion
	// pathRollback is POST ?name=&reason=: iamrotate.Result.
	pathRollback = "/v1/rollback"
	// pathPlan is GET ?days=[&folder=]: Plan.
	pathPlan = "/v1/plan"
)

// Error codes: how a sentinel crosses the socket.
const (
	codeUnknownSecret   = "unknown_secret"
	codeNotFound        = "not_found"
	codeDeliveryPending = "delivery_pending"
	codeNoRollback      = "no_rollback"
	codeBusy            = "busy"
	codeInternal        = "internal"
	codeBadRequest      = "bad_request"
	codeRetirementHeld  = "retirement_held"
)

// errorBody is the JSON of every failed request. Result is set by rotate
// and rollback when they got far enough to have one (delivery pending).
type errorBody struct {
	Error  string            `json:"error"`
	Code   string            `json:"code"`
	Result *iamrotate.Result `json:"result,omitempty"`
}

// codes maps each code that stands for a sentinel to it and its status.
var codes = []struct {
	code   string
	err    error
	status int
}{
	{codeUnknownSecret, ErrUnknownSecret, http.StatusNotFound},
	{codeNotFound, ErrNotFound, http.StatusNotFound},
	{codeDeliveryPending, ErrDeliveryPending, http.StatusConflict},
	{codeNoRollback, ErrNoRollback, http.StatusConflict},
	{codeBusy, ErrBusy, http.StatusConflict},
	{codeRetirementHeld, ErrRetirementHeld, http.StatusConflict},
}

// codeOf returns the code and HTTP status for an error of a Reader or
// an Operator.
func codeOf(err error) (string, int) {
	for _, c := range codes {
		if errors.Is(err, c.err) {
			return c.code, c.status
		}
	}
	var bad *badRequestError
	if errors.As(err, &bad) {
		return codeBadRequest, http.StatusBadRequest
	}
	return codeInternal, http.StatusInternalServerError
}

// sentinelOf is codeOf's inverse: nil for codes without a sentinel.
func sentinelOf(code string) error {
	for _, c := range codes {
		if c.code == code {
			return c.err
		}
	}
	return nil
}

// badRequestError is a request the server could not make sense of.
type badRequestError struct{ msg string }

func (e *badRequestError) Error() string { return e.msg }

// remoteError is an error the daemon returned: its message is the daemon's,
// word for word, and it wraps the sentinel its code stands for.
type remoteError struct {
	msg, code string
	sentinel  error
}

func (e *remoteError) Error() string { return e.msg }
func (e *remoteError) Unwrap() error { return e.sentinel }

// revealedVersion is the wire form of a state.Version for the reveal
// endpoint only: Value is a plain string, so the secret access key crosses
// the socket, where config.SecretValue would marshal as config.Redacted.
type revealedVersion struct {
	N           int                  `json:"n"`
	AccessKeyID string               `json:"access_key_id"`
	Created     time.Time            `json:"created,omitzero"`
	State       state.VersionState   `json:"state"`
	Value       string               `json:"value"`
	Delivered   map[string]time.Time `json:"delivered"`
	Committed   map[string]time.Time `json:"committed,omitempty"`
	Replaced    time.Time            `json:"replaced,omitzero"`
	Retired     time.Time            `json:"retired,omitzero"`
	Imported    bool                 `json:"imported,omitempty"`
	RevokeAt    time.Time            `json:"revoke_at,omitzero"`
	RevokedFor  string               `json:"revoked_for,omitempty"`
}

func toRevealed(v *state.Version) *revealedVersion {
	u := utcVersion(*v)
	return &revealedVersion{
		N: u.N, AccessKeyID: u.AccessKeyID, Created: u.Created, State: u.State,
		Value: u.Value.Reveal(), Delivered: u.Delivered, Committed: u.Committed, Replaced: u.Replaced,
		Retired: u.Retired, Imported: u.Imported, RevokeAt: u.RevokeAt, RevokedFor: u.RevokedFor,
	}
}

func (r *revealedVersion) version() *state.Version {
	return &state.Version{
		N: r.N, AccessKeyID: r.AccessKeyID, Created: r.Created, State: r.State,
		Value: config.SecretValue(r.Value), Delivered: r.Delivered, Committed: r.Committed, Replaced: r.Replaced,
		Retired: r.Retired, Imported: r.Imported, RevokeAt: r.RevokeAt, RevokedFor: r.RevokedFor,
	}
}

// The utc* helpers return copies with every time in UTC (and no monotonic
// reading), so that times cross the socket as RFC 3339 "Z" times and come
// back equal (==) to what the daemon holds. They never modify their
// argument, which may be shared with the daemon, and keep nil as nil.

func utcStatus(s SecretStatus) SecretStatus {
	s.LastRotation = s.LastRotation.UTC()
	s.NextRotation = s.NextRotation.UTC()
	if s.Held != nil {
		s.Held = utcHold(*s.Held)
	}
	return s
}

func utcHold(h state.Hold) *state.Hold {
	h.Since, h.LastUsed, h.NextLook, h.Settles, h.Notified = h.Since.UTC(), h.LastUsed.UTC(), h.NextLook.UTC(), h.Settles.UTC(), h.Notified.UTC()
	return &h
}

func utcDetail(d *SecretDetail) *SecretDetail {
	c := *d
	c.SecretStatus = utcStatus(d.SecretStatus)
	c.Secret = utcSecret(d.Secret)
	if d.Sinks != nil {
		c.Sinks = make([]SinkStatus, len(d.Sinks))
		for i, s := range d.Sinks {
			s.Current, s.Pending = s.Current.UTC(), s.Pending.UTC()
			c.Sinks[i] = s
		}
	}
	return &c
}

func utcSecret(s *state.Secret) *state.Secret {
	if s == nil {
		return nil
	}
	c := *s
	c.LastRotation = s.LastRotation.UTC()
	c.LastErrorAt = s.LastErrorAt.UTC()
	if s.Versions != nil {
		c.Versions = make([]state.Version, len(s.Versions))
		for i, v := range s.Versions {
			c.Versions[i] = utcVersion(v)
		}
	}
	if s.Journal != nil {
		j := *s.Journal
		j.Started = j.Started.UTC()
		j.NextDelivery = j.NextDelivery.UTC()
		c.Journal = &j
	}
	if s.Held != nil {
		c.Held = utcHold(*s.Held)
	}
	return &c
}

func utcVersion(v state.Version) state.Version {
	v.Created = v.Created.UTC()
	v.Replaced = v.Replaced.UTC()
	v.Retired = v.Retired.UTC()
	v.RevokeAt = v.RevokeAt.UTC()
	v.Delivered = utcMap(v.Delivered)
	v.Committed = utcMap(v.Committed)
	return v
}

// utcMap copies a sink-id → time map in UTC, keeping nil as nil.
func utcMap(m map[string]time.Time) map[string]time.Time {
	if m == nil {
		return nil
	}
	d := make(map[string]time.Time, len(m))
	for k, t := range m {
		d[k] = t.UTC()
	}
	return d
}

func utcEvents(evs []state.Event) []state.Event {
	if evs == nil {
		return nil
	}
	c := make([]state.Event, len(evs))
	for i, e := range evs {
		e.Time = e.Time.UTC()
		c[i] = e
	}
	return c
}

func utcStatuses(ss []SecretStatus) []SecretStatus {
	if ss == nil {
		return nil
	}
	c := make([]SecretStatus, len(ss))
	for i, s := range ss {
		c[i] = utcStatus(s)
	}
	return c
}
