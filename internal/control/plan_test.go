package control

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

// planFake is the fake backend with a Planner.
type planFake struct {
	*fakeBackend
	got chan PlanQuery
}

var _ Planner = planFake{}

func (p planFake) Plan(_ context.Context, q PlanQuery) (*Plan, error) {
	p.got <- q
	from := time.Date(2026, 3, 1, 12, 0, 0, 0, cest)
	return &Plan{From: from, To: from.AddDate(0, 0, q.Days), Running: true, Items: []PlanItem{
		{At: at(2, 0).In(cest), Secret: nameOK, Kind: "reminder", Reason: "notify-before", Due: at(3, 0).In(cest), Days: 1},
		{At: at(3, 0).In(cest), Secret: nameOK, Kind: "rotation", Reason: "interval"},
	}, Truncated: []string{nameSlow}}, nil
}

// TestPlan: the plan crosses the socket whole, in UTC, with its query;
// days out of range are a bad request the backend never sees.
func TestPlan(t *testing.T) {
	f := planFake{newFake(), make(chan PlanQuery, 1)}
	s := serveBackend(t, f)
	got, err := s.client.Plan(t.Context(), PlanQuery{Days: 400, Folder: "/team-a/"})
	if err != nil {
		t.Fatal(err)
	}
	if q := <-f.got; q != (PlanQuery{Days: 400, Folder: "/team-a/"}) {
		t.Errorf("the daemon got query %+v", q)
	}
	from := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	want := &Plan{From: from, To: from.AddDate(0, 0, 400), Running: true, Items: []PlanItem{
		{At: at(2, 0), Secret: nameOK, Kind: "reminder", Reason: "notify-before", Due: at(3, 0), Days: 1},
		{At: at(3, 0), Secret: nameOK, Kind: "rotation", Reason: "interval", Due: time.Time{}.UTC()},
	}, Truncated: []string{nameSlow}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v\nwant %+v", got, want)
	}
	for _, days := range []int{0, -1, MaxPlanDays + 1} {
		if _, err := s.client.Plan(t.Context(), PlanQuery{Days: days}); err == nil {
			t.Errorf("days %d accepted", days)
		}
	}
	select {
	case q := <-f.got:
		t.Errorf("the daemon was asked %+v", q)
	default:
	}
}

// TestPlanOldDaemon: a backend without Planner answers a bad request that
// says to restart the daemon.
func TestPlanOldDaemon(t *testing.T) {
	s := serve(t, newFake())
	var rerr *remoteError
	_, err := s.client.Plan(t.Context(), PlanQuery{Days: 1})
	if !errors.As(err, &rerr) || !strings.Contains(err.Error(), "restart it") {
		t.Fatalf("got %v, want the daemon's error saying to restart it", err)
	}
}

// serveBackend serves r (a Reader and Operator) as serve does the fake.
func serveBackend(t *testing.T, r interface {
	Reader
	Operator
}) *served {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	srv, err := Listen(ctx, sockPath(t), r, r, nil)
	if err != nil {
		cancel()
		t.Fatalf("Listen: %v", err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	c, err := Dial(t.Context(), srv.Path())
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return &served{srv: srv, client: c}
}
