package control

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// MaxPlanDays bounds a plan's window.
const MaxPlanDays = 3660

// Planner answers `rotatord plan`: what the daemon will do in a window. It
// stands beside Reader, found by type assertion, so that Reader stays
// small; the daemon's backend, the offline one and Client implement it.
type Planner interface {
	// Plan returns everything the daemon will do for the configured
	// secrets under q.Folder ("" or "/": all) from now to q.Days days
	// later, in time order.
	Plan(ctx context.Context, q PlanQuery) (*Plan, error)
}

// PlanQuery is what a plan covers.
type PlanQuery struct {
	// Days is the window's length, 1..MaxPlanDays.
	Days int
	// Folder is a canonical folder (config.CanonicalFolder), or "".
	Folder string
}

// Plan is the answer of Planner.Plan.
type Plan struct {
	// From is the daemon's now, To From + Days days.
	From time.Time `json:"from"`
	To   time.Time `json:"to"`
	// Running: a running daemon computed it from its schedule as it
	// stands; false: the store as a daemon started at From would find it.
	Running bool       `json:"running"`
	Items   []PlanItem `json:"items"`
	// Truncated names the secrets whose items were cut short (a schedule
	// such as @every 30s has more than a plan shows).
	Truncated []string `json:"truncated,omitempty"`
}

// PlanItem is one thing the daemon will do (schedule.Item, named).
type PlanItem struct {
	At     time.Time `json:"at"`
	Secret string    `json:"secret"`
	// Kind is rotation, retirement, retirement-look or reminder; Reason
	// one of schedule's Reason* values.
	Kind   string `json:"kind"`
	Reason string `json:"reason"`
	// Due and Days are a reminder's rotation and its days before it.
	Due  time.Time `json:"due,omitzero"`
	Days int       `json:"days,omitempty"`
}

// Plan implements Planner.
func (c *Client) Plan(ctx context.Context, q PlanQuery) (*Plan, error) {
	var out Plan
	v := url.Values{"days": {strconv.Itoa(q.Days)}}
	if q.Folder != "" {
		v.Set("folder", q.Folder)
	}
	if err := c.call(ctx, http.MethodGet, pathPlan, v, &out); err != nil {
		return nil, err
	}
	return utcPlan(&out), nil
}

var _ Planner = (*Client)(nil)

func (s *Server) plan(ctx context.Context, q url.Values) (any, error) {
	p, ok := s.r.(Planner)
	if !ok {
		return nil, &badRequestError{msg: "this daemon cannot plan; restart it with this rotatord version"}
	}
	days, err := strconv.Atoi(q.Get("days"))
	if err != nil || days < 1 || days > MaxPlanDays {
		return nil, &badRequestError{msg: "days must be a whole number 1.." + strconv.Itoa(MaxPlanDays) + ", not " + strconv.Quote(q.Get("days"))}
	}
	pl, err := p.Plan(ctx, PlanQuery{Days: days, Folder: q.Get("folder")})
	if err != nil {
		return nil, err
	}
	return utcPlan(pl), nil
}

// utcPlan returns a copy of p with every time in UTC.
func utcPlan(p *Plan) *Plan {
	c := *p
	c.From, c.To = p.From.UTC(), p.To.UTC()
	c.Items = make([]PlanItem, len(p.Items))
	for i, it := range p.Items {
		it.At, it.Due = it.At.UTC(), it.Due.UTC()
		c.Items[i] = it
	}
	return &c
}
