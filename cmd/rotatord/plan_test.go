package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rotatord/rotatord/internal/control"
	"github.com/rotatord/rotatord/internal/schedule"
)

// TestPlanCommand: `rotatord plan` without a daemon and through one gives
// the same items; -o ics holds the same events, as a real iCalendar
// parser reads them; a folder filters; a bad --days is a usage error.
func TestPlanCommand(t *testing.T) {
	w := newWorld(t, secretOpts{graceful: true, extra: "    auto_rotate: true\n    rotation_interval: 30\n    rotation_hour: 3\n    grace_period: 2\n    notify_before: [7]\n"})
	w.replaceConfig(w.runSettings("3s"))
	w.mustRun("rotate", "/team/app")
	last := w.stored().LastRotation

	var offline planDoc
	decodeJSON(t, "plan -o json", w.mustRun("plan", "--days", "400", "-o", "json"), &offline)
	if offline.Source != "store" || offline.Days != 400 || offline.Folder != nil {
		t.Errorf("plan document: source %q, days %d, folder %v; want store, 400, null", offline.Source, offline.Days, offline.Folder)
	}
	// A rotation every 30 days at 03:00 after the first, each with its
	// reminder, and the grace period's retirements.
	first := time.Date(last.Year(), last.Month(), last.Day()+30, 3, 0, 0, 0, time.UTC)
	var rotations, retirements, reminders []string
	for _, it := range offline.Items {
		switch it.Kind {
		case schedule.KindRotation:
			rotations = append(rotations, deref(it.At))
		case schedule.KindRetirement:
			retirements = append(retirements, deref(it.At))
		case schedule.KindReminder:
			reminders = append(reminders, deref(it.At))
		}
	}
	if len(rotations) != 13 || rotations[0] != first.Format(time.RFC3339) {
		t.Fatalf("rotations %v, want 13 from %s", rotations, first)
	}
	if want := last.UTC().AddDate(0, 0, 2).Truncate(time.Second).Format(time.RFC3339); len(retirements) != 14 || retirements[0] != want {
		t.Errorf("retirements %v, want 14 from %s (the grace period of the rotation just made)", retirements, want)
	}
	if len(reminders) != 13 || reminders[0] != first.AddDate(0, 0, -7).Format(time.RFC3339) {
		t.Errorf("reminders %v, want 13, a week before each rotation", reminders)
	}

	ics := w.mustRun("plan", "--days", "400", "-o", "ics")
	checkICSLines(t, ics)
	if n := strings.Count(ics, "BEGIN:VEVENT\r\n"); n != len(offline.Items) {
		t.Errorf("the calendar has %d events, the plan %d items", n, len(offline.Items))
	}

	table := w.mustRun("plan", "--days", "400")
	if !strings.HasPrefix(table, "TIME") || strings.Count(table, "\n") != len(offline.Items)+1 {
		t.Errorf("plan table has %d lines for %d items:\n%s", strings.Count(table, "\n"), len(offline.Items), table)
	}
	var none planDoc
	decodeJSON(t, "plan /other/ -o json", w.mustRun("plan", "/other/", "-o", "json"), &none)
	if len(none.Items) != 0 || deref(none.Folder) != "/other/" {
		t.Errorf("plan /other/: %d items, folder %v; want none, /other/", len(none.Items), none.Folder)
	}
	for _, args := range [][]string{{"plan", "--days", "0"}, {"plan", "-o", "pdf"}, {"plan", "team"}} {
		if _, _, code := w.run(args...); code != exitUsage {
			t.Errorf("rotatord %v exited %d, want %d", args, code, exitUsage)
		}
	}

	p := w.startDaemon()
	var running planDoc
	decodeJSON(t, "plan -o json (daemon)", w.mustRun("plan", "--days", "400", "-o", "json"), &running)
	if running.Source != "daemon" || !slices.EqualFunc(running.Items, offline.Items, func(a, b planItemDoc) bool {
		return deref(a.At) == deref(b.At) && a.Kind == b.Kind && a.Reason == b.Reason && a.UID == b.UID
	}) {
		t.Errorf("through the daemon (source %s):\n%s\nwithout one:\n%s", running.Source, show(running.Items), show(offline.Items))
	}
	if code, _ := p.term(); code != 0 {
		t.Errorf("exit %d after SIGTERM, want 0", code)
	}

	// Last, as it may skip: a real iCalendar parser reads the same events.
	events := parseICS(t, ics)
	if len(events) != len(offline.Items) {
		t.Fatalf("the calendar has %d events, the plan %d items", len(events), len(offline.Items))
	}
	for i, e := range events {
		// DTSTAMP is when that run planned: after the JSON run's.
		if it := offline.Items[i]; e.Start != deref(it.At) || e.UID != it.UID || e.Stamp < deref(offline.From) || e.Stamp != events[0].Stamp {
			t.Errorf("event %d: start %s uid %s stamp %s, want %s %s, stamped with the others from %s on", i, e.Start, e.UID, e.Stamp, deref(it.At), it.UID, deref(offline.From))
		}
	}
}

// TestICSFolding: long names with characters TEXT escapes and multi-byte
// runes fold at 75 octets and parse back whole.
func TestICSFolding(t *testing.T) {
	at := time.Date(2027, 2, 28, 3, 0, 0, 0, time.UTC)
	name := "/équipe-ü/" + strings.Repeat("déployeur,;\\", 12)
	p := &control.Plan{From: at.Add(-time.Hour), To: at.AddDate(0, 0, 1), Items: []control.PlanItem{
		{At: at, Secret: name, Kind: schedule.KindRotation, Reason: schedule.ReasonInterval},
		{At: at.Add(-24 * time.Hour), Secret: name, Kind: schedule.KindReminder, Reason: schedule.ReasonNotifyBefore, Due: at, Days: 1},
	}}
	var b bytes.Buffer
	if err := writeICS(&b, p); err != nil {
		t.Fatal(err)
	}
	checkICSLines(t, b.String())
	events := parseICS(t, b.String())
	if len(events) != 2 || events[0].Start != "2027-02-28T03:00:00Z" || !strings.HasPrefix(events[0].Summary, name+": ") {
		t.Fatalf("parsed %+v, want the rotation of %s first", events, name)
	}
	var again bytes.Buffer
	p.From = p.From.Add(time.Hour)
	if err := writeICS(&again, p); err != nil {
		t.Fatal(err)
	}
	if uids := parseICS(t, again.String()); uids[0].UID != events[0].UID || uids[1].UID != events[1].UID || events[0].UID == events[1].UID {
		t.Errorf("UIDs %s %s then %s %s: want the same per item across runs, distinct between items", events[0].UID, events[1].UID, uids[0].UID, uids[1].UID)
	}
}

// checkICSLines checks RFC 5545's line rules: CRLF endings and at most 75
// octets a line.
func checkICSLines(t *testing.T, ics string) {
	t.Helper()
	if !strings.HasSuffix(ics, "END:VCALENDAR\r\n") {
		t.Errorf("the calendar does not end with END:VCALENDAR CRLF")
	}
	for i, l := range strings.Split(strings.TrimSuffix(ics, "\r\n"), "\r\n") {
		if len(l) > 75 || strings.ContainsAny(l, "\r\n") {
			t.Errorf("line %d is %d octets or holds a bare line break: %q", i+1, len(l), l)
		}
	}
}

// icsEvent is what parseICS reads of a VEVENT.
type icsEvent struct {
	UID     string `json:"uid"`
	Start   string `json:"start"`
	Stamp   string `json:"stamp"`
	Summary string `json:"summary"`
}

// parseICS reads the calendar with Python's icalendar (Debian's
// python3-icalendar), and checks VERSION and PRODID. It skips the test
// when no python3 here has the module.
func parseICS(t *testing.T, ics string) []icsEvent {
	t.Helper()
	py := ""
	for _, cand := range []string{"python3", "/usr/bin/python3"} {
		if exec.Command(cand, "-c", "import icalendar").Run() == nil {
			py = cand
			break
		}
	}
	if py == "" {
		t.Skip("no python3 with the icalendar module: apt-get install python3-icalendar to parse the .ics with a real iCalendar parser")
	}
	f := filepath.Join(t.TempDir(), "plan.ics")
	if err := os.WriteFile(f, []byte(ics), 0o600); err != nil {
		t.Fatal(err)
	}
	const script = `
import icalendar, json, sys
cal = icalendar.Calendar.from_ical(open(sys.argv[1], 'rb').read())
assert str(cal['VERSION']) == '2.0', cal['VERSION']
assert str(cal['PRODID']).startswith('-//rotatord//'), cal['PRODID']
out = []
for e in cal.walk('VEVENT'):
    start = e.decoded('DTSTART')
    assert start.utcoffset().total_seconds() == 0, start
    out.append({'uid': str(e['UID']), 'start': start.strftime('%Y-%m-%dT%H:%M:%SZ'),
                'stamp': e.decoded('DTSTAMP').strftime('%Y-%m-%dT%H:%M:%SZ'), 'summary': str(e['SUMMARY'])})
json.dump(out, sys.stdout)
`
	cmd := exec.Command(py, "-c", script, f)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("icalendar cannot read the calendar: %v\n%s", err, stderr.String())
	}
	var events []icsEvent
	if err := json.Unmarshal(stdout.Bytes(), &events); err != nil {
		t.Fatal(err)
	}
	return events
}
